//! The control API under `/_sim/`: a path prefix the real API never uses,
//! no authentication, JSON in and out, and never recorded in the request
//! log or counters (so tests see only what their client sent).
//!
//! | Operation | Answer |
//! |---|---|
//! | `GET /_sim/` | 200 `{"routes": [{"method", "path", "description"}]}`: this table |
//! | `POST /_sim/reset` | 204; orders, images, tokens, faults, log and counters are cleared |
//! | `POST /_sim/faults` | 201 with the fault; 400 `{"error"}` when it is invalid |
//! | `GET /_sim/faults` | 200 `{"faults": [...]}` with uses left |
//! | `DELETE /_sim/faults` | 204 |
//! | `GET /_sim/requests` | 200 `{"requests": [...]}`, secrets masked |
//! | `DELETE /_sim/requests` | 204 |
//! | `GET /_sim/counters` | 200 `{"tokenRequests", "tokensIssued", "requests"}` |
//! | `GET /_sim/orders` | 200 `{"orders": [...]}` |
//! | `GET /_sim/images` | 200 `{"images": [...]}` |
//! | `DELETE /_sim/tokens` | 204; every token is revoked |
//! | `POST /_sim/rehearsal` | 201 `{"msn", "seed"}`; 400 `{"error"}` when the spec is invalid |
//! | `GET /_sim/checklist?msn=` | 200 `{"reports": [...]}` ([`crate::checklist::Report`]); 404 for an unknown MSN |
//! | `GET /_sim/checklist.html?msn=` | 200 the same as a page (no scripts, printable) |

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::json;

use crate::faults::{Fault, FaultSpec};
use crate::reply::Reply;
use crate::state::SimState;

/// Largest body a control request may have (a fault is under 1 KiB);
/// more gets 413.
pub const CONTROL_BODY_LIMIT: usize = 64 * 1024;

/// The `/_sim/` routes.
pub(crate) fn routes() -> Router<SimState> {
    Router::new()
        .route("/_sim/", get(index))
        .route("/_sim", get(index))
        .route("/_sim/reset", post(reset))
        .route(
            "/_sim/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/_sim/requests", get(requests).delete(clear_requests))
        .route("/_sim/counters", get(counters))
        .route("/_sim/orders", get(orders))
        .route(
            "/_sim/orders/{msn}/{payment_type}/{order_id}/receipt-taken",
            post(receipt_taken),
        )
        .route("/_sim/images", get(images))
        .route("/_sim/tokens", delete(revoke_tokens))
        .route("/_sim/rehearsal", post(rehearsal))
        .route("/_sim/checklist", get(checklist_json))
        .route("/_sim/checklist.html", get(checklist_html))
        .layer(DefaultBodyLimit::max(CONTROL_BODY_LIMIT))
}

/// Every control operation: method, path, what it does.
pub(crate) const CONTROL_ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/_sim/", "This index of the control API."),
    (
        "POST",
        "/_sim/reset",
        "Forget orders, images, tokens, faults, the request log and counters (204).",
    ),
    (
        "POST",
        "/_sim/faults",
        "Queue a fault: {\"route\", \"status\", \"count\", \"delayMs\", \"retryAfter\"} (201 with the fault).",
    ),
    (
        "GET",
        "/_sim/faults",
        "The queued faults with their uses left.",
    ),
    ("DELETE", "/_sim/faults", "Remove every queued fault (204)."),
    (
        "GET",
        "/_sim/requests",
        "The request log, secrets masked, with each request's warnings (what production may refuse).",
    ),
    ("DELETE", "/_sim/requests", "Empty the request log (204)."),
    (
        "GET",
        "/_sim/counters",
        "Token requests, tokens issued, and requests per route and status.",
    ),
    (
        "GET",
        "/_sim/orders",
        "Every stored order: categories and receipt.",
    ),
    (
        "POST",
        "/_sim/orders/{msn}/{paymentType}/{orderId}/receipt-taken",
        "Mark the order's receipt slot taken, as an ePayment payment with a receipt would (204; 409 when taken; an optional receipt body is what GET returns).",
    ),
    (
        "GET",
        "/_sim/images",
        "Every uploaded image: id, format, size.",
    ),
    (
        "DELETE",
        "/_sim/tokens",
        "Revoke every access token (204); their next use gets 401.",
    ),
    (
        "POST",
        "/_sim/rehearsal",
        "Rehearse the failures an integration must survive in a merchant's traffic: {\"msn\", \"faults\", \"seed\", \"maxSkip\", \"slowMs\", \"partner\"} (201 with the seed).",
    ),
    (
        "GET",
        "/_sim/checklist",
        "The merchant's checklist graded from its traffic (?msn=, ?partner=true, ?links=skip); all merchants seen without msn.",
    ),
    (
        "GET",
        "/_sim/checklist.html",
        "The same report as a page to print or keep for the go-live review.",
    ),
];

async fn index() -> Response {
    let routes: Vec<_> = CONTROL_ROUTES
        .iter()
        .map(|(method, path, description)| {
            json!({"method": method, "path": path, "description": description})
        })
        .collect();
    Reply::json(StatusCode::OK, &json!({"routes": routes})).into_response()
}

async fn reset(State(state): State<SimState>) -> StatusCode {
    state.reset();
    StatusCode::NO_CONTENT
}

async fn add_fault(State(state): State<SimState>, body: Bytes) -> Response {
    let added = Fault::from_json(&body).and_then(|fault| {
        let spec = fault.to_spec();
        state.inject_fault(fault).map(|()| spec)
    });
    match added {
        Ok(spec) => Reply::json(StatusCode::CREATED, &json!({ "fault": spec })),
        Err(e) => Reply::json(StatusCode::BAD_REQUEST, &json!({ "error": e.to_string() })),
    }
    .into_response()
}

async fn list_faults(State(state): State<SimState>) -> Response {
    let faults: Vec<FaultSpec> = state.faults().iter().map(Fault::to_spec).collect();
    Reply::json(StatusCode::OK, &json!({ "faults": faults })).into_response()
}

async fn clear_faults(State(state): State<SimState>) -> StatusCode {
    state.clear_faults();
    StatusCode::NO_CONTENT
}

async fn requests(State(state): State<SimState>) -> Response {
    Reply::json(StatusCode::OK, &json!({ "requests": state.requests() })).into_response()
}

async fn clear_requests(State(state): State<SimState>) -> StatusCode {
    state.clear_requests();
    StatusCode::NO_CONTENT
}

async fn counters(State(state): State<SimState>) -> Response {
    Reply::json(StatusCode::OK, &state.counters()).into_response()
}

async fn orders(State(state): State<SimState>) -> Response {
    Reply::json(StatusCode::OK, &json!({ "orders": state.orders() })).into_response()
}

/// `POST /_sim/orders/{msn}/{paymentType}/{orderId}/receipt-taken`: the
/// order's receipt slot is taken, as by a receipt sent with an ePayment
/// payment. An optional body (a receipt) is what the OM GET returns.
async fn receipt_taken(
    State(state): State<SimState>,
    axum::extract::Path((msn, payment_type, order_id)): axum::extract::Path<(
        String,
        String,
        String,
    )>,
    body: Bytes,
) -> Response {
    let receipt = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<vipps_om::models::Receipt>(&body) {
            Ok(r) => Some(r),
            Err(e) => {
                return Reply::json(
                    StatusCode::BAD_REQUEST,
                    &json!({"error": format!("the body must be empty or a receipt (orderLines, bottomLine): {e}")}),
                )
                .into_response();
            }
        }
    };
    match state.mark_receipt_taken(&msn, &payment_type, &order_id, receipt.as_ref()) {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => Reply::json(
            StatusCode::CONFLICT,
            &json!({"error": "this order's receipt slot is already taken"}),
        )
        .into_response(),
        Err(e) => Reply::json(StatusCode::BAD_REQUEST, &json!({ "error": e })).into_response(),
    }
}

async fn images(State(state): State<SimState>) -> Response {
    Reply::json(StatusCode::OK, &json!({ "images": state.images() })).into_response()
}

async fn revoke_tokens(State(state): State<SimState>) -> StatusCode {
    state.revoke_tokens();
    StatusCode::NO_CONTENT
}

async fn rehearsal(State(state): State<SimState>, body: Bytes) -> Response {
    let spec: crate::checklist::RehearsalSpec = match serde_json::from_slice(&body) {
        Ok(spec) => spec,
        Err(e) => {
            return Reply::json(
                StatusCode::BAD_REQUEST,
                &json!({"error": format!("the rehearsal is not valid: {e}; send e.g. {{\"msn\": \"123456\", \"faults\": [\"server-error\", \"rate-limit\"]}}")}),
            )
            .into_response();
        }
    };
    match state.start_rehearsal(&spec) {
        Ok(seed) => Reply::json(
            StatusCode::CREATED,
            &json!({"msn": spec.msn.trim(), "seed": seed}),
        ),
        Err(e) => Reply::json(StatusCode::BAD_REQUEST, &json!({ "error": e.to_string() })),
    }
    .into_response()
}

/// The reports asked for by `?msn=`, `?partner=` and `?links=skip`.
async fn reports(
    state: &SimState,
    uri: &axum::http::Uri,
) -> Result<Vec<crate::checklist::Report>, Response> {
    let mut msn = None;
    let mut partner = None;
    let mut links = true;
    for (name, value) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        match name.as_ref() {
            "msn" => msn = Some(value.trim().to_owned()),
            "partner" => partner = Some(value == "true" || value == "1"),
            "links" => links = value != "skip",
            _ => {}
        }
    }
    if let (Some(msn), Some(partner)) = (&msn, partner) {
        state.set_partner(msn, partner);
    }
    let mut reports = state
        .checklist_report(msn.as_deref())
        .map_err(|e| Reply::json(StatusCode::NOT_FOUND, &json!({ "error": e })).into_response())?;
    if links {
        crate::checklist::report::check_links(&mut reports).await;
    }
    Ok(reports)
}

async fn checklist_json(State(state): State<SimState>, uri: axum::http::Uri) -> Response {
    match reports(&state, &uri).await {
        Ok(reports) => Reply::json(StatusCode::OK, &json!({ "reports": reports })).into_response(),
        Err(response) => response,
    }
}

async fn checklist_html(State(state): State<SimState>, uri: axum::http::Uri) -> Response {
    match reports(&state, &uri).await {
        Ok(reports) => (
            [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
            crate::checklist::report::html(&reports),
        )
            .into_response(),
        Err(response) => response,
    }
}
