//! The language switch: a cookie, then back to the page it came from.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::St;
use crate::i18n::Lang;
use crate::web::{local_path, set_cookie};

#[derive(Deserialize)]
pub(crate) struct Back {
    back: Option<String>,
}

pub(crate) async fn set_lang(
    State(state): St,
    Path(code): Path<String>,
    Query(q): Query<Back>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::En);
    let back = q
        .back
        .as_deref()
        .and_then(local_path)
        .unwrap_or("/")
        .to_owned();
    let mut response = Redirect::to(&back).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, "console_lang", lang.code(), Some(365 * 24 * 3600)),
    );
    response
}
