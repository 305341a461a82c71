//! An order: as the customer sees it (read from the API), its delivery
//! history (from the outbox) and, for editors, the fixes.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use vipps_om::{Error, OrderId};

use super::{Page, St, audit, load_jobs};
use crate::links::{payment_type, pt_code};
use crate::store::NewAudit;
use crate::views::{self, page, respond};
use crate::web::Signed;

#[derive(Deserialize, Default)]
pub(crate) struct OrderQuery {
    #[serde(default)]
    order_id: String,
    #[serde(default)]
    payment_type: String,
    /// The customer's language for the status text staff copy
    /// (`en`, `nb`, `da`, `fi`, `sv`); by the order's currency when absent.
    #[serde(default)]
    customer_lang: String,
}

pub(crate) async fn order(State(state): St, signed: Signed, Query(q): Query<OrderQuery>) -> Page {
    let ctx = &signed.ctx;
    let pt = payment_type(&q.payment_type);
    let raw = q.order_id.trim();
    let search = views::search_form(ctx, raw, pt_code(&pt));
    if raw.is_empty() {
        return Ok(respond(
            StatusCode::OK,
            views::order::search_page(ctx, search, None),
        ));
    }
    let order_id = match OrderId::new(raw) {
        Ok(id) => id,
        Err(e) => {
            let page = views::order::search_page(ctx, search, Some(&e.to_string()));
            return Ok(respond(StatusCode::BAD_REQUEST, page));
        }
    };
    let fetched = state.client.orders().get(&pt, &order_id).await;
    let key = state.order_key(&pt, &order_id);
    let jobs = load_jobs(&state, &key).await;
    let editor = signed.session.user.role == crate::Role::Editor;
    let body = views::order::page(
        ctx,
        search,
        &key,
        &fetched,
        &jobs,
        editor,
        crate::i18n::Lang::parse(&q.customer_lang),
    );
    if state.config.audit_page_views {
        audit(
            &state,
            NewAudit {
                username: &signed.session.user.username,
                action: "order.view",
                order_id: Some(order_id.as_str()),
                payment_type: Some(pt.as_str()),
                detail: match &fetched {
                    Ok(_) => "viewed the order",
                    Err(Error::NotFound { .. }) => "looked for the order: not in the app",
                    Err(_) => "looked for the order: the API could not be asked",
                },
                outcome: "ok",
            },
        )
        .await;
    }
    Ok(respond(StatusCode::OK, page(ctx, order_id.as_str(), body)))
}
