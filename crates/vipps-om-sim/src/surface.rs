//! The entry point of every request to the simulated API surface (all
//! paths but `/_sim/...`), in commented phases:
//!
//! 1. read the body (at most [`BODY_LIMIT`]; more is a 413);
//! 2. match the route ([`crate::routes`]): unknown paths and wrong
//!    methods get the gateway's 404 (`{"statusCode": 404, "message":
//!    "Resource not found"}`), the removed v1 paths a 404 naming their
//!    replacement;
//! 3. apply an injected fault ([`crate::faults`]): wait, and/or answer
//!    with its status;
//! 4. otherwise hand over to [`crate::api`];
//! 5. record the request (log with secrets masked, counters) and emit one
//!    tracing line.
//!
//! A request whose client gives up is still handled and recorded, like on
//! a real server, which is exactly the ambiguity retry logic must survive:
//! after the body is read, the only point that waits is an injected
//! delay, and a delayed request runs phases 3–5 in a spawned task; any
//! other is answered and recorded without waiting (no task spawned per
//! request).

use std::time::{Duration, Instant};

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::{self, ApiRequest};
use crate::auth;
use crate::faults::FaultAction;
use crate::observe::{EntryParts, LogEntry};
use crate::reply::{INVALID_TOKEN, Reply};
use crate::routes::{Matched, match_request};
use crate::state::SimState;

/// Largest request body read: enough for a 2 MiB image in base64 with room
/// to spare, so an oversized image gets the API's 400 naming `src`.
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Counter key of paths that are no operation.
const UNKNOWN: &str = "(unknown)";
/// Counter key of the removed v1 paths.
const DEPRECATED: &str = "(deprecated)";

/// Handles one request to the simulated surface.
pub(crate) async fn handle(State(state): State<SimState>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    if path == "/_sim" || path.starts_with("/_sim/") {
        return Reply::json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"error": format!("no control operation {} {path}", parts.method)}),
        )
        .into_response();
    }
    let query = parts.uri.query().map(str::to_owned);
    let msn = state.acting_msn(
        auth::header_text(&parts.headers, auth::SUBSCRIPTION_KEY),
        auth::header_text(&parts.headers, auth::MERCHANT_SERIAL_NUMBER),
    );

    let matched = match_request(&parts.method, &path);
    let body = match to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let mut reply = body_error_reply(&e);
            let entry = entry(
                &parts,
                &path,
                &query,
                &[],
                &mut reply,
                started,
                msn,
                &matched,
            );
            return finish(&state, entry, counter_key(&matched), reply, started);
        }
    };

    let fault = match &matched {
        Matched::Route(route, _) => state.lock().take_fault(*route, msn.as_deref()),
        _ => None,
    };
    let request = Handled {
        parts,
        path,
        query,
        body,
        msn,
        matched,
        started,
    };
    match fault {
        // Only a delay is a point where the client can give up: then the
        // rest runs in its own task, to be handled and recorded anyway.
        Some(action) if !action.delay.is_zero() => {
            let task = tokio::spawn(async move {
                tokio::time::sleep(action.delay).await;
                request.answer(&state, Some(action))
            });
            match task.await {
                Ok(response) => response,
                Err(_) => Reply::internal("the request task failed").into_response(),
            }
        }
        // Without a delay nothing below waits: the answer is made and
        // recorded in one go, whatever the client does meanwhile.
        fault => request.answer(&state, fault),
    }
}

/// A request whose body was read, to answer and record.
struct Handled {
    parts: axum::http::request::Parts,
    path: String,
    query: Option<String>,
    body: axum::body::Bytes,
    msn: Option<String>,
    matched: Matched,
    started: Instant,
}

impl Handled {
    /// Phases 3 (the fault's status, if it has one) to 5.
    fn answer(self, state: &SimState, fault: Option<FaultAction>) -> Response {
        let Self {
            parts,
            path,
            query,
            body,
            msn,
            matched,
            started,
        } = self;
        let mut reply = match (&matched, fault) {
            (
                _,
                Some(
                    action @ FaultAction {
                        status: Some(_), ..
                    },
                ),
            ) => fault_reply(action),
            (Matched::Route(route, params), _) => {
                let request = ApiRequest {
                    headers: &parts.headers,
                    query: query.as_deref(),
                    body: &body,
                };
                api::handle(state, *route, params, &request)
            }
            (Matched::Deprecated { replacement }, _) => Reply::problem(
                StatusCode::NOT_FOUND,
                format!(
                    "{} {path} is no longer available; use {replacement}.",
                    parts.method
                ),
            ),
            // Azure API Management answers for paths and methods it has
            // no operation for, in its own format.
            (Matched::WrongMethod { .. } | Matched::Unknown, _) => Reply::resource_not_found(),
        };
        crate::checklist::seen(
            state,
            msn.as_deref(),
            &matched,
            &parts,
            &body,
            &reply,
            started,
        );
        let entry = entry(
            &parts, &path, &query, &body, &mut reply, started, msn, &matched,
        );
        finish(state, entry, counter_key(&matched), reply, started)
    }
}

/// The answer when the body could not be read: too large (413), too slow
/// (408, the server's body-read timeout) or cut off (400).
fn body_error_reply(error: &axum::Error) -> Reply {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return Reply::problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "The request body is larger than {BODY_LIMIT} bytes (8 MiB), the simulator's limit; send a smaller body."
                ),
            );
        }
        source = e.source();
    }
    if let Some(timeout) = vipps_om_serve::BodyReadTimeout::find(error) {
        return Reply::problem(StatusCode::REQUEST_TIMEOUT, format!("{timeout}."));
    }
    Reply::problem(
        StatusCode::BAD_REQUEST,
        format!("The request body could not be read: {error}."),
    )
}

fn counter_key(matched: &Matched) -> &'static str {
    match matched {
        Matched::Route(route, _) => route.template(),
        Matched::Deprecated { .. } => DEPRECATED,
        Matched::WrongMethod { .. } | Matched::Unknown => UNKNOWN,
    }
}

/// The answer to a faulted request, in the format the real component
/// would use for that status.
fn fault_reply(action: FaultAction) -> Reply {
    let status = action
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let reply = match status {
        StatusCode::TOO_MANY_REQUESTS => {
            return Reply::rate_limited(action.retry_after.unwrap_or(1)).with_header(
                HeaderName::from_static("x-sim-fault"),
                HeaderValue::from_static("injected"),
            );
        }
        StatusCode::UNAUTHORIZED => Reply::gateway(status, INVALID_TOKEN),
        StatusCode::SERVICE_UNAVAILABLE => Reply::problem(
            status,
            "The service is temporarily unavailable. Please try again later.",
        ),
        // A 400 names what is wrong, as the API's validation does.
        StatusCode::BAD_REQUEST => Reply::refused(vec![crate::rules::Problem {
            name: "$".to_owned(),
            reason: "The simulator refused this request body (an injected fault); fix what is named here before sending it again.".to_owned(),
            rule: None,
        }]),
        StatusCode::INTERNAL_SERVER_ERROR => Reply::problem(
            status,
            "An unexpected error occurred while processing the request.",
        ),
        other => Reply::problem(
            other,
            format!(
                "The request failed ({}).",
                other.canonical_reason().unwrap_or("error")
            ),
        ),
    };
    let reply = match action.retry_after {
        Some(seconds) => reply.with_header(header::RETRY_AFTER, HeaderValue::from(seconds)),
        None => reply,
    };
    reply.with_header(
        HeaderName::from_static("x-sim-fault"),
        HeaderValue::from_static("injected"),
    )
}

#[allow(clippy::too_many_arguments)]
fn entry(
    parts: &axum::http::request::Parts,
    path: &str,
    query: &Option<String>,
    body: &[u8],
    reply: &mut Reply,
    started: Instant,
    msn: Option<String>,
    matched: &Matched,
) -> LogEntry {
    LogEntry::from_request(EntryParts {
        method: &parts.method,
        path,
        query: query.as_deref(),
        route: match matched {
            Matched::Route(route, _) => Some(route.template()),
            _ => None,
        },
        headers: &parts.headers,
        body,
        status: reply.status.as_u16(),
        ms: millis(started.elapsed()),
        msn,
        // Only for the log: the answer never carries them.
        warnings: std::mem::take(&mut reply.warnings),
    })
}

fn finish(
    state: &SimState,
    entry: LogEntry,
    counter_key: &'static str,
    reply: Reply,
    started: Instant,
) -> Response {
    tracing::info!(
        method = %entry.method(),
        path = %entry.path(),
        route = counter_key,
        status = entry.status,
        latency_ms = millis(started.elapsed()),
        msn = %entry.msn().unwrap_or("-"),
        "request"
    );
    state.record(entry, counter_key);
    reply.into_response()
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::Route;

    #[test]
    fn fault_replies_use_the_real_formats() {
        let reply = fault_reply(FaultAction {
            status: Some(429),
            retry_after: Some(7),
            delay: Duration::ZERO,
        });
        assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
        let body: serde_json::Value =
            serde_json::from_slice(reply.body.as_deref().unwrap_or_default()).unwrap();
        assert_eq!(body["statusCode"], 429);
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("7 seconds")
        );
        assert!(
            reply
                .headers
                .iter()
                .any(|(n, v)| n == header::RETRY_AFTER && v == "7")
        );

        let reply = fault_reply(FaultAction {
            status: Some(503),
            retry_after: None,
            delay: Duration::ZERO,
        });
        let body: serde_json::Value =
            serde_json::from_slice(reply.body.as_deref().unwrap_or_default()).unwrap();
        assert_eq!(body["title"], "Service Unavailable");
        assert!(!reply.headers.iter().any(|(n, _)| n == header::RETRY_AFTER));
    }

    #[test]
    fn counter_keys_name_routes_or_kinds_of_miss() {
        assert_eq!(
            counter_key(&match_request(
                &axum::http::Method::POST,
                "/accessToken/get"
            )),
            Route::AccessToken.template()
        );
        assert_eq!(
            counter_key(&match_request(
                &axum::http::Method::GET,
                "/order-management/v1/orders/1"
            )),
            DEPRECATED
        );
        assert_eq!(counter_key(&Matched::Unknown), UNKNOWN);
    }
}
