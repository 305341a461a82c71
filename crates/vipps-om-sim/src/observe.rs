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
//!
//! # Size
//! The log is bounded twice: by entries (the configured capacity, 1000 by
//! default) and by bytes ([`crate::config::DEFAULT_REQUEST_LOG_BYTES`],
//! 16 MiB, by default); the oldest entries are dropped first to stay
//! within both. An entry's bytes are what it keeps: its strings, its
//! stored body and [`ENTRY_OVERHEAD`] plus [`HEADER_OVERHEAD`] per header
//! for the structures around them. What an entry keeps is bounded too:
//! - a body of at most [`LOG_BODY_PREFIX`] (8 KiB) is kept as received;
//! - a larger JSON body (up to [`LOG_PARSE_MAX`]) is kept if shortening
//!   its long strings brings it within 8 KiB (an image upload does);
//! - any other body keeps only its first 8 KiB, shown as a string ending
//!   `… (truncated: N bytes in all)`, with
//!   [`LoggedRequest::body_truncated`] set; [`LoggedRequest::body_bytes`]
//!   is always the size received;
//! - a header value, the path or the query longer than [`LOG_FIELD_MAX`]
//!   (1 KiB) keeps its first 1 KiB, marked `… (N bytes in all)`.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, Method};
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
    /// A body too large to keep is its first [`LOG_BODY_PREFIX`] bytes as
    /// text, marked (see [`LoggedRequest::body_truncated`]).
    pub body: serde_json::Value,
    /// The size of the body as received, in bytes.
    pub body_bytes: usize,
    /// Whether `body` is only the start of what was received.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub body_truncated: bool,
    /// The status the simulator answered.
    pub status: u16,
    /// Time to answer, in milliseconds.
    pub ms: u64,
    /// The merchant the request was attributed to (by subscription key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merchant_serial_number: Option<String>,
    /// What the simulator accepted but production may refuse (default
    /// mode; strict mode refuses these), each `"production may refuse this:
    /// <field>: <reason>"`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
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
#[cfg(test)]
pub(crate) fn masked_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers_map(&compact_headers(headers))
}

/// Separates names and values in [`compact_headers`]: a byte no header
/// value can hold (`http` refuses control characters in values) and no
/// lossy UTF-8 conversion makes.
const SEPARATOR: char = '\0';

/// The masked headers in arrival order as one string, each name and value
/// followed by [`SEPARATOR`]: one allocation per request log entry rather
/// than two strings per header and a map (the map is built when the log
/// is read, most entries never are).
pub(crate) fn compact_headers(headers: &HeaderMap) -> Box<str> {
    let mut out = String::with_capacity(
        headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len().min(LOG_FIELD_MAX + 32) + 2)
            .sum(),
    );
    for (name, value) in headers {
        let name = name.as_str();
        out.push_str(name);
        out.push(SEPARATOR);
        // Visible ASCII (nearly every header) needs no lossy conversion.
        match value.to_str() {
            Ok(text) => push_masked(&mut out, name, text),
            Err(_) => push_masked(&mut out, name, &String::from_utf8_lossy(value.as_bytes())),
        }
        out.push(SEPARATOR);
    }
    out.into_boxed_str()
}

/// The (name, value) pairs of [`compact_headers`].
fn compact_pairs(compact: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut parts = compact.split(SEPARATOR);
    std::iter::from_fn(move || Some((parts.next()?, parts.next()?)))
}

/// [`compact_headers`] as the log shows them: several values of a name
/// joined with `, `.
fn headers_map(compact: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, shown) in compact_pairs(compact) {
        out.entry(name.to_owned())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(shown);
            })
            .or_insert_with(|| shown.to_owned());
    }
    out
}

/// `value` of header `name` as logged (masked, cut) appended to `out`.
fn push_masked(out: &mut String, name: &str, value: &str) {
    if name == "authorization" {
        match value.split_once(' ') {
            Some((scheme, _)) if !scheme.is_empty() => {
                if scheme.len() + 1 + MASK.len() <= LOG_FIELD_MAX {
                    out.push_str(scheme);
                    out.push(' ');
                    out.push_str(MASK);
                } else {
                    push_cut(out, &format!("{scheme} {MASK}"));
                }
            }
            _ => out.push_str(MASK),
        }
        return;
    }
    let secret = name == "ocp-apim-subscription-key"
        || ["secret", "password", "token"]
            .iter()
            .any(|word| name.contains(word));
    if secret {
        out.push_str(MASK);
    } else {
        push_cut(out, value);
    }
}

/// [`cut_field`] appended to `out`, without a copy when it fits.
fn push_cut(out: &mut String, text: &str) {
    if text.len() <= LOG_FIELD_MAX {
        out.push_str(text);
    } else {
        out.push_str(&cut_field(text.to_owned()));
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

/// Bodies up to this size are kept in the request log as received (and
/// read into JSON only when the log is read: most entries never are).
pub const LOG_BODY_PREFIX: usize = 8 * 1024;
/// Larger JSON bodies up to this size are read once when logged, to see
/// whether shortening their long strings (an image's base64 `src`) makes
/// them fit [`LOG_BODY_PREFIX`]; larger bodies are cut without reading.
/// 4 MiB holds the largest image upload the API accepts (2 MiB in base64).
pub const LOG_PARSE_MAX: usize = 4 * 1024 * 1024;
/// Header values, paths and queries longer than this keep only their start
/// in the log.
pub const LOG_FIELD_MAX: usize = 1024;
/// Bytes counted for each log entry beside its strings and body: the entry
/// itself and the allocations around its strings.
pub const ENTRY_OVERHEAD: usize = 256;
/// Bytes counted for each logged header beside its name and value: the
/// map node and the two strings of the log's view of it (an entry keeps
/// its headers in one string; the view is built when the log is read).
pub const HEADER_OVERHEAD: usize = 64;

/// `text` if it fits [`LOG_FIELD_MAX`], else its start, marked.
pub(crate) fn cut_field(text: String) -> String {
    if text.len() <= LOG_FIELD_MAX {
        return text;
    }
    format!(
        "{}… ({} bytes in all)",
        prefix_of(&text, LOG_FIELD_MAX),
        text.len()
    )
}

/// The longest start of `text` of at most `max` bytes ending on a
/// character boundary.
fn prefix_of(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A request log entry as stored: the request's parts in as few
/// allocations as possible (the [`LoggedRequest`] is built when the log
/// is read; most entries never are), the body as kept, and what the entry
/// counts against the log's byte budget.
#[derive(Debug, Clone)]
pub(crate) struct LogEntry {
    /// Position in arrival order, set when recorded.
    pub(crate) id: u64,
    /// The status answered.
    pub(crate) status: u16,
    method: Method,
    /// The path, cut to [`LOG_FIELD_MAX`].
    path: Box<str>,
    /// The query, masked and cut.
    query: Option<Box<str>>,
    route: Option<&'static str>,
    /// [`compact_headers`].
    headers: Box<str>,
    msn: Option<Box<str>>,
    warnings: Vec<String>,
    ms: u64,
    body: StoredBody,
    body_bytes: usize,
    body_truncated: bool,
    bytes: usize,
}

#[derive(Debug, Clone)]
enum StoredBody {
    /// As received (or compacted with long strings shortened), at most
    /// [`LOG_BODY_PREFIX`] bytes.
    Raw(Box<[u8]>),
    /// The first [`LOG_BODY_PREFIX`] bytes, as text.
    Truncated(Box<str>),
}

/// What a request log entry is made of, as the request arrived (masking
/// and cutting happen in [`LogEntry::from_request`]).
pub(crate) struct EntryParts<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) route: Option<&'static str>,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
    pub(crate) status: u16,
    pub(crate) ms: u64,
    pub(crate) msn: Option<String>,
    pub(crate) warnings: Vec<String>,
}

impl LogEntry {
    /// The entry of a request as received, secrets masked, long fields cut
    /// and the body kept as the module documentation says.
    pub(crate) fn from_request(parts: EntryParts<'_>) -> LogEntry {
        let path = if parts.path.len() <= LOG_FIELD_MAX {
            Box::from(parts.path)
        } else {
            cut_field(parts.path.to_owned()).into_boxed_str()
        };
        LogEntry::assemble(
            parts.method.clone(),
            path,
            parts
                .query
                .map(|q| cut_field(masked_query(q)).into_boxed_str()),
            parts.route,
            compact_headers(parts.headers),
            parts.msn.map(String::into_boxed_str),
            parts.warnings,
            parts.status,
            parts.ms,
            parts.body,
        )
    }

    /// `request` (its `body` ignored) with `body` kept as the module
    /// documentation says.
    #[cfg(test)]
    pub(crate) fn new(request: LoggedRequest, body: &[u8]) -> LogEntry {
        let mut headers = String::new();
        for (name, value) in &request.headers {
            headers.push_str(name);
            headers.push(SEPARATOR);
            headers.push_str(value);
            headers.push(SEPARATOR);
        }
        let route = request
            .route
            .as_deref()
            .and_then(|r| r.parse::<Route>().ok())
            .map(Route::template);
        let mut entry = LogEntry::assemble(
            request.method.parse().unwrap_or(Method::GET),
            request.path.into_boxed_str(),
            request.query.map(String::into_boxed_str),
            route,
            headers.into_boxed_str(),
            request.merchant_serial_number.map(String::into_boxed_str),
            request.warnings,
            request.status,
            request.ms,
            body,
        );
        entry.id = request.id;
        entry
    }

    #[allow(clippy::too_many_arguments)]
    fn assemble(
        method: Method,
        path: Box<str>,
        query: Option<Box<str>>,
        route: Option<&'static str>,
        headers: Box<str>,
        msn: Option<Box<str>>,
        warnings: Vec<String>,
        status: u16,
        ms: u64,
        body: &[u8],
    ) -> LogEntry {
        let mut body_truncated = false;
        let stored = if body.len() <= LOG_BODY_PREFIX {
            StoredBody::Raw(body.into())
        } else {
            match shortened_json(body) {
                Some(compact) if compact.len() <= LOG_BODY_PREFIX => {
                    StoredBody::Raw(compact.into_boxed_slice())
                }
                _ => {
                    let cut = &body[..LOG_BODY_PREFIX];
                    let text = match std::str::from_utf8(cut) {
                        Ok(text) => text.to_owned(),
                        // A character split at the cut is dropped.
                        Err(e) if e.error_len().is_none() => {
                            String::from_utf8_lossy(&cut[..e.valid_up_to()]).into_owned()
                        }
                        Err(_) => String::from_utf8_lossy(cut).into_owned(),
                    };
                    body_truncated = true;
                    StoredBody::Truncated(text.into_boxed_str())
                }
            }
        };
        let strings = method.as_str().len()
            + path.len()
            + query.as_ref().map_or(0, |q| q.len())
            + route.map_or(0, str::len)
            + msn.as_ref().map_or(0, |m| m.len())
            + warnings.iter().map(String::len).sum::<usize>();
        // Counted as the log shows them: name, value and an overhead per
        // header (several values of one name each count in full).
        let headers_bytes: usize = compact_pairs(&headers)
            .map(|(name, value)| name.len() + value.len() + HEADER_OVERHEAD)
            .sum();
        let kept = match &stored {
            StoredBody::Raw(bytes) => bytes.len(),
            StoredBody::Truncated(text) => text.len(),
        };
        LogEntry {
            id: 0,
            status,
            method,
            path,
            query,
            route,
            headers,
            msn,
            warnings,
            ms,
            body: stored,
            body_bytes: body.len(),
            body_truncated,
            bytes: ENTRY_OVERHEAD
                .saturating_add(strings)
                .saturating_add(headers_bytes)
                .saturating_add(kept),
        }
    }

    /// What this entry counts against the log's byte budget.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// The HTTP method.
    pub(crate) fn method(&self) -> &Method {
        &self.method
    }

    /// The path as logged.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The merchant the request was attributed to.
    pub(crate) fn msn(&self) -> Option<&str> {
        self.msn.as_deref()
    }

    /// The entry as the log shows it.
    pub(crate) fn logged(self) -> LoggedRequest {
        let body = match self.body {
            StoredBody::Raw(bytes) => logged_body(&bytes),
            StoredBody::Truncated(text) => serde_json::Value::String(format!(
                "{text}… (truncated: {} bytes in all)",
                self.body_bytes
            )),
        };
        LoggedRequest {
            id: self.id,
            method: self.method.to_string(),
            path: self.path.into_string(),
            query: self.query.map(str::into_string),
            route: self.route.map(str::to_owned),
            headers: headers_map(&self.headers),
            body,
            body_bytes: self.body_bytes,
            body_truncated: self.body_truncated,
            status: self.status,
            ms: self.ms,
            merchant_serial_number: self.msn.map(str::into_string),
            warnings: self.warnings,
        }
    }
}

/// A JSON body of at most [`LOG_PARSE_MAX`] bytes with its long strings
/// shortened, written compactly; `None` when it is larger or not JSON.
fn shortened_json(body: &[u8]) -> Option<Vec<u8>> {
    if body.len() > LOG_PARSE_MAX {
        return None;
    }
    let mut value = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    shorten(&mut value);
    serde_json::to_vec(&value).ok()
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
    /// Token requests per partner name (attributed by subscription key),
    /// whatever the outcome.
    pub partner_token_requests: BTreeMap<String, u64>,
    /// Tokens issued per partner name.
    pub partner_tokens_issued: BTreeMap<String, u64>,
    /// API calls per MSN made with partner keys and accepted by
    /// authentication (a linked merchant).
    pub partner_requests: BTreeMap<String, u64>,
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

    /// Token requests made with the keys of partner `name`.
    pub fn partner_token_requests_for(&self, name: &str) -> u64 {
        self.partner_token_requests.get(name).copied().unwrap_or(0)
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
            body_bytes: 0,
            body_truncated: false,
            status: 201,
            ms: 1,
            merchant_serial_number: None,
            warnings: Vec::new(),
        };
        let small = b"{\"a\":[1,\"x\"]}".to_vec();
        let image = format!("{{\"src\":\"{}\"}}", "A".repeat(LOG_BODY_PREFIX + 1)).into_bytes();
        for body in [Vec::new(), b"not json".to_vec(), small, image] {
            let logged = LogEntry::new(request.clone(), &body).logged();
            assert_eq!(logged.body, logged_body(&body));
            assert_eq!(logged.body_bytes, body.len());
            assert!(!logged.body_truncated);
            assert_eq!(logged.id, 7);
            assert_eq!(logged.status, 201);
        }
    }

    fn request_with(headers: BTreeMap<String, String>) -> LoggedRequest {
        LoggedRequest {
            id: 0,
            method: "POST".to_owned(),
            path: "/p".to_owned(),
            query: None,
            route: None,
            headers,
            body: serde_json::Value::Null,
            body_bytes: 0,
            body_truncated: false,
            status: 400,
            ms: 0,
            merchant_serial_number: None,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn a_large_body_keeps_a_marked_prefix_and_counts_only_that() {
        // Short strings throughout: shortening cannot make it fit.
        let numbers = format!("[{}1]", "1,".repeat(10_000));
        for body in [
            numbers.into_bytes(),
            vec![b'x'; LOG_PARSE_MAX + 1],
            "€".repeat(3000).into_bytes(),
        ] {
            let entry = LogEntry::new(request_with(BTreeMap::new()), &body);
            assert!(
                entry.bytes() <= ENTRY_OVERHEAD + 16 + LOG_BODY_PREFIX,
                "{}",
                entry.bytes()
            );
            let logged = entry.logged();
            assert!(logged.body_truncated);
            assert_eq!(logged.body_bytes, body.len());
            let text = logged.body.as_str().unwrap_or_default();
            assert!(
                text.ends_with(&format!("… (truncated: {} bytes in all)", body.len())),
                "{}",
                &text[text.len().saturating_sub(60)..]
            );
            assert!(text.len() < LOG_BODY_PREFIX + 64);
        }
    }

    #[test]
    fn long_header_values_are_cut_and_headers_are_counted() {
        let mut headers = HeaderMap::new();
        let long = "v".repeat(LOG_FIELD_MAX * 4);
        headers.insert("x-long", HeaderValue::from_str(&long).unwrap());
        let logged = masked_headers(&headers);
        assert!(logged["x-long"].ends_with(&format!("… ({} bytes in all)", long.len())));
        assert!(logged["x-long"].len() < LOG_FIELD_MAX + 32);
        let entry = LogEntry::new(request_with(logged), b"");
        assert!(entry.bytes() >= ENTRY_OVERHEAD + LOG_FIELD_MAX + HEADER_OVERHEAD);
        assert!(entry.bytes() < ENTRY_OVERHEAD + 2 * LOG_FIELD_MAX + HEADER_OVERHEAD);
    }
}
