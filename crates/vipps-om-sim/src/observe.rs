//! What the simulator remembers about traffic, for tests that assert what
//! a client sent: the request log ([`LoggedRequest`], secrets masked) and
//! the [`Counters`].
//!
//! Masking happens when a request is recorded, so a secret never reaches
//! the log at all: `Authorization` keeps only its scheme (`Bearer ***`),
//! `Ocp-Apim-Subscription-Key`, `client_secret` and any header whose name
//! contains `secret`, `password` or `token` become `***`, and so do query
//! parameters named like `*key*`, `*secret*`, `*token*`. Long strings in
//! bodies (an image's base64 `src`) are shortened so the log stays small.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use serde::Serialize;

use crate::routes::Route;

/// The masked stand-in for a secret.
pub const MASK: &str = "***";
/// Strings in logged bodies longer than this are shortened.
pub const MAX_LOGGED_STRING: usize = 256;

/// One request as the simulator received it (secrets masked).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    /// Position in arrival order, from 1; survives log trimming.
    pub id: u64,
    /// HTTP method.
    pub method: String,
    /// Path as sent (not decoded).
    pub path: String,
    /// Query string without `?`, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The route template matched, if the path is a live operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Headers by lower-case name, several values joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The body: JSON when it parses, otherwise text; `null` when empty.
    pub body: serde_json::Value,
    /// The status the simulator answered.
    pub status: u16,
    /// Time to answer, in milliseconds.
    pub ms: u64,
    /// The merchant the request was attributed to (by subscription key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_serial_number: Option<String>,
}

impl LoggedRequest {
    /// A header's value as logged (masked when secret), by any-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// Headers as logged: lower-case names, secrets masked.
pub(crate) fn masked_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.as_str();
        let text = String::from_utf8_lossy(value.as_bytes());
        let shown = mask(name, &text);
        out.entry(name.to_owned())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(&shown);
            })
            .or_insert(shown);
    }
    out
}

fn mask(name: &str, value: &str) -> String {
    if name == "authorization" {
        return match value.split_once(' ') {
            Some((scheme, _)) if !scheme.is_empty() => format!("{scheme} {MASK}"),
            _ => MASK.to_owned(),
        };
    }
    let secret = name == "ocp-apim-subscription-key"
        || ["secret", "password", "token"]
            .iter()
            .any(|word| name.contains(word));
    if secret {
        MASK.to_owned()
    } else {
        value.to_owned()
    }
}

/// A query string as logged: values of parameters named like a secret
/// (the gateway also takes `subscription-key` as a query parameter) masked.
pub(crate) fn masked_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_name(&name.to_ascii_lowercase()) => {
                format!("{name}={MASK}")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn is_secret_name(lower: &str) -> bool {
    ["secret", "password", "token", "key"]
        .iter()
        .any(|word| lower.contains(word))
}

/// Bodies up to this size are kept in the request log as received and
/// read into JSON only when the log is read (most entries never are, and
/// parsing every body into a `serde_json::Value` tree, then freeing the
/// tree of the entry it evicts, was a large share of the simulator's cost
/// per request). Larger bodies (image uploads) are read at once, so their
/// long strings are shortened before they are kept.
pub(crate) const RAW_BODY_MAX: usize = 64 * 1024;

/// A request log entry as stored: the request with its `body` left
/// `null`, and the body, read into JSON by [`LogEntry::logged`].
#[derive(Debug, Clone)]
pub(crate) struct LogEntry {
    pub(crate) request: LoggedRequest,
    body: StoredBody,
}

#[derive(Debug, Clone)]
enum StoredBody {
    /// As received (at most [`RAW_BODY_MAX`] bytes).
    Raw(Box<[u8]>),
    /// Already read, long strings shortened.
    Read(serde_json::Value),
}

impl LogEntry {
    /// `request` with `body` to be logged as [`logged_body`] reads it.
    pub(crate) fn new(request: LoggedRequest, body: &[u8]) -> LogEntry {
        let body = if body.len() <= RAW_BODY_MAX {
            StoredBody::Raw(body.into())
        } else {
            StoredBody::Read(logged_body(body))
        };
        LogEntry { request, body }
    }

    /// The entry as the log shows it.
    pub(crate) fn logged(self) -> LoggedRequest {
        let body = match self.body {
            StoredBody::Raw(bytes) => logged_body(&bytes),
            StoredBody::Read(value) => value,
        };
        LoggedRequest {
            body,
            ..self.request
        }
    }
}

/// A body as logged: JSON with long strings shortened, else text.
pub(crate) fn logged_body(body: &[u8]) -> serde_json::Value {
    if body.is_empty() {
        return serde_json::Value::Null;
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value) => {
            shorten(&mut value);
            value
        }
        Err(_) => {
            let mut text = serde_json::Value::String(String::from_utf8_lossy(body).into_owned());
            shorten(&mut text);
            text
        }
    }
}

fn shorten(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) if s.chars().count() > MAX_LOGGED_STRING => {
            let total = s.chars().count();
            let head: String = s.chars().take(64).collect();
            *s = format!("{head}… ({total} characters)");
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(shorten),
        serde_json::Value::Object(map) => map.values_mut().for_each(shorten),
        _ => {}
    }
}

/// Traffic counts since start or the last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    /// Token requests per MSN (attributed by subscription key), whatever
    /// the outcome.
    pub token_requests: BTreeMap<String, u64>,
    /// Tokens issued per MSN.
    pub tokens_issued: BTreeMap<String, u64>,
    /// Requests per route template and status. Paths that are not live
    /// operations count under `(unknown)` and `(deprecated)`.
    pub requests: BTreeMap<String, BTreeMap<u16, u64>>,
}

impl Counters {
    /// Requests to `route` answered with `status`.
    pub fn count(&self, route: Route, status: u16) -> u64 {
        self.requests
            .get(route.template())
            .and_then(|by_status| by_status.get(&status))
            .copied()
            .unwrap_or(0)
    }

    /// Requests to `route`, whatever the answer.
    pub fn total(&self, route: Route) -> u64 {
        self.requests
            .get(route.template())
            .map(|by_status| by_status.values().sum())
            .unwrap_or(0)
    }

    /// Token requests attributed to merchant `msn`.
    pub fn token_requests_for(&self, msn: &str) -> u64 {
        self.token_requests.get(msn).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn secrets_are_masked_and_the_rest_kept() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("Bearer abc.def"));
        headers.insert(
            "ocp-apim-subscription-key",
            HeaderValue::from_static("key-1"),
        );
        headers.insert("client_secret", HeaderValue::from_static("s3cret"));
        headers.insert("client_id", HeaderValue::from_static("id-1"));
        headers.insert("x-refresh-token", HeaderValue::from_static("t"));
        headers.append("accept", HeaderValue::from_static("a/b"));
        headers.append("accept", HeaderValue::from_static("c/d"));
        let logged = masked_headers(&headers);
        assert_eq!(logged["authorization"], "Bearer ***");
        assert_eq!(logged["ocp-apim-subscription-key"], "***");
        assert_eq!(logged["client_secret"], "***");
        assert_eq!(logged["x-refresh-token"], "***");
        assert_eq!(logged["client_id"], "id-1");
        assert_eq!(logged["accept"], "a/b, c/d");

        headers.insert("authorization", HeaderValue::from_static("abc.def"));
        assert_eq!(masked_headers(&headers)["authorization"], "***");
    }

    #[test]
    fn secret_query_parameters_are_masked() {
        assert_eq!(
            masked_query("orderId=o-1&subscription-key=k&x"),
            "orderId=o-1&subscription-key=***&x"
        );
    }

    #[test]
    fn bodies_are_json_or_text_and_long_strings_are_shortened() {
        assert_eq!(logged_body(b""), serde_json::Value::Null);
        assert_eq!(logged_body(b"{\"a\":1}")["a"], 1);
        assert_eq!(logged_body(b"not json"), "not json");
        let long = format!("{{\"src\":\"{}\"}}", "A".repeat(5000));
        let logged = logged_body(long.as_bytes());
        let src = logged["src"].as_str().unwrap_or_default();
        assert!(src.ends_with("(5000 characters)"), "{src}");
        assert!(src.len() < 100);
    }

    #[test]
    fn log_entries_read_their_bodies_like_logged_body_small_or_large() {
        let request = LoggedRequest {
            id: 7,
            method: "POST".to_owned(),
            path: "/p".to_owned(),
            query: None,
            route: None,
            headers: BTreeMap::new(),
            body: serde_json::Value::Null,
            status: 201,
            ms: 1,
            merchant_serial_number: None,
        };
        let small = b"{\"a\":[1,\"x\"]}".to_vec();
        let large = format!("{{\"src\":\"{}\"}}", "A".repeat(RAW_BODY_MAX + 1)).into_bytes();
        for body in [Vec::new(), b"not json".to_vec(), small, large] {
            let logged = LogEntry::new(request.clone(), &body).logged();
            assert_eq!(logged.body, logged_body(&body));
            assert_eq!(logged.id, 7);
            assert_eq!(logged.status, 201);
        }
    }
}
