//! The start page (the order search), the stylesheet and the 404 page.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::i18n::T;
use crate::views::{self, page, respond};
use crate::web::{Ctx, Signed};

const STYLESHEET: &str = include_str!("../../static/console.css");

pub(crate) async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

pub(crate) async fn not_found(ctx: Ctx) -> Response {
    views::message_page(
        &ctx,
        StatusCode::NOT_FOUND,
        ctx.lang.t(T::NotFound),
        ctx.lang.t(T::NotFound),
    )
}

pub(crate) async fn home(signed: Signed) -> Response {
    let ctx = &signed.ctx;
    respond(
        StatusCode::OK,
        page(
            ctx,
            ctx.lang.t(T::FindOrder),
            views::search_form(ctx, "", "ecom"),
        ),
    )
}
