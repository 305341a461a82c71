//! An order: as the customer sees it (read from the API), its delivery
//! history (from the outbox) and, for editors, the fixes.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use vipps_om::{Error, OrderId};

use super::{Page, St, audit, internal, load_jobs};
use crate::i18n::T;
use crate::images::{self, Found};
use crate::links::{payment_type, pt_code};
use crate::store::NewAudit;
use crate::views::order::CategoryImage;
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
    let editor = signed.session.user.role.may_edit();
    let image = match fetched
        .as_ref()
        .ok()
        .and_then(|o| o.category.as_ref())
        .and_then(|c| c.image_id.as_ref())
        .map(|id| id.as_str())
    {
        None => CategoryImage::Unknown,
        Some(id) => match images::find(&state.outbox, &key, id).await {
            Ok(Found::Bytes(bytes)) if images::content_type(&bytes).is_some() => {
                CategoryImage::Held(format!(
                    "/order/image?{}&image_id={}",
                    crate::links::order_query(order_id.as_str(), &pt),
                    crate::links::encoded(id)
                ))
            }
            Ok(Found::Missing) => CategoryImage::NotHeld,
            Ok(Found::Bytes(_) | Found::TooLarge) => CategoryImage::Refused,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the order's image jobs");
                CategoryImage::NotHeld
            }
        },
    };
    let other_merchants = other_merchants(&state, order_id.as_str()).await;
    let shown = views::order::Shown {
        image,
        other_merchants,
        customer_lang: crate::i18n::Lang::parse(&q.customer_lang),
    };
    let body = views::order::page(ctx, search, &key, &fetched, &jobs, editor, &shown);
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

/// The merchants other than this console's that have deliveries for the
/// same order id in the outbox (a console works for one merchant; the
/// outbox may be shared). Empty when the outbox cannot be read (the
/// delivery history says so).
async fn other_merchants(state: &crate::AppState, order_id: &str) -> Vec<String> {
    let ours = state.client.merchant_serial_number().as_str();
    let mut others: Vec<String> = match state.outbox.order_status(order_id).await {
        Ok(jobs) => jobs
            .into_iter()
            .map(|j| j.merchant_serial_number)
            .filter(|m| m != ours)
            .collect(),
        Err(_) => Vec::new(),
    };
    others.sort();
    others.dedup();
    others
}

#[derive(Deserialize, Default)]
pub(crate) struct ImageQuery {
    #[serde(default)]
    order_id: String,
    #[serde(default)]
    payment_type: String,
    #[serde(default)]
    image_id: String,
}

/// A refusal of the image route, as plain text (it is read by an `<img>`,
/// or by someone who opened its address).
fn text(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message.to_owned(),
    )
        .into_response()
}

/// `/order/image`: the image an order's image job uploads under
/// `image_id`, with its real type (see [`crate::images`]).
pub(crate) async fn category_image(
    State(state): St,
    signed: Signed,
    headers: HeaderMap,
    Query(q): Query<ImageQuery>,
) -> Page {
    let ctx = &signed.ctx;
    let lang = ctx.lang;
    let order_id = match OrderId::new(q.order_id.trim()) {
        Ok(id) => id,
        Err(e) => return Ok(text(StatusCode::BAD_REQUEST, &format!("order_id: {e}"))),
    };
    let image_id = q.image_id.trim();
    if image_id.is_empty() {
        return Ok(text(
            StatusCode::BAD_REQUEST,
            &format!("image_id: {}", lang.t(T::ImageNotFound)),
        ));
    }
    let pt = payment_type(&q.payment_type);
    let key = state.order_key(&pt, &order_id);
    let bytes = match images::find(&state.outbox, &key, image_id)
        .await
        .map_err(|e| internal(ctx, e))?
    {
        Found::Bytes(bytes) => bytes,
        Found::Missing => return Ok(text(StatusCode::NOT_FOUND, lang.t(T::ImageNotFound))),
        Found::TooLarge => {
            return Ok(text(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang.t(T::ImageStoredTooLarge),
            ));
        }
    };
    let Some(content_type) = images::content_type(&bytes) else {
        return Ok(text(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t(T::ImageNotPicture),
        ));
    };
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&bytes)[..16]));
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, content_type)],
            bytes,
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, value);
    }
    Ok(response)
}
