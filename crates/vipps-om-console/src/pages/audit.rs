//! The audit log, 50 rows a page, newest first, optionally of one order.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::{Page, St, internal};
use crate::i18n::T;
use crate::store::AuditCursor;
use crate::views::{self, respond};
use crate::web::Signed;

#[derive(Deserialize)]
pub(crate) struct AuditQuery {
    order_id: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

pub(crate) async fn audit_page(
    State(state): St,
    signed: Signed,
    Query(q): Query<AuditQuery>,
) -> Page {
    let ctx = &signed.ctx;
    let lang = ctx.lang;
    let order = q
        .order_id
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty());
    let row = |v: &Option<String>| v.as_deref().map(|v| v.trim().parse::<i64>());
    let cursor = match (row(&q.before), row(&q.after)) {
        (None, None) => AuditCursor::Newest,
        (Some(Ok(id)), None) => AuditCursor::Before(id),
        (None, Some(Ok(id))) => AuditCursor::After(id),
        _ => {
            return Err(views::message_page(
                ctx,
                StatusCode::BAD_REQUEST,
                lang.t(T::InvalidInput),
                lang.t(T::AuditCursorBad),
            )
            .into());
        }
    };
    let audit = state
        .store
        .audit_page(order, cursor, crate::limits::AUDIT_PAGE_ROWS)
        .await
        .map_err(|e| internal(ctx, e))?;
    Ok(respond(
        StatusCode::OK,
        views::audit::page(ctx, order, &audit, state.config.audit_page_views),
    ))
}
