//! What one merchant's integration did, summarised as it happens
//! (`MerchantBook`): outcomes per endpoint, the Vipps HTTP headers of
//! every request, token requests against API calls, retries and their
//! timing, what followed each error, resends of refused bodies and receipts
//! sent twice. Nothing here keeps a secret: headers are kept as counts and
//! lengths, paths only as hashes except in the few pieces of evidence
//! (method, path, time, status) kept for the first offending request of
//! each kind.
//!
//! Every collection is bounded by a named constant; the book of a merchant
//! that sends requests forever stays within a few hundred KiB.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant, SystemTime};

use axum::http::{HeaderMap, HeaderName};
use serde::Serialize;

use super::rehearsal::{Action, IN_FLIGHT_SLACK, RETRY_WINDOW_TIME, Rehearsal};
use crate::routes::Route;

/// The Vipps HTTP headers every request should carry (the token request
/// included), in the order the report lists them.
pub const VIPPS_HEADERS: [&str; 5] = [
    "Merchant-Serial-Number",
    "Vipps-System-Name",
    "Vipps-System-Version",
    "Vipps-System-Plugin-Name",
    "Vipps-System-Plugin-Version",
];

/// [`VIPPS_HEADERS`] parsed once, in the same order (a lookup by `&str`
/// parses the name on every request).
const VIPPS_HEADER_NAMES: [HeaderName; 5] = [
    HeaderName::from_static("merchant-serial-number"),
    HeaderName::from_static("vipps-system-name"),
    HeaderName::from_static("vipps-system-version"),
    HeaderName::from_static("vipps-system-plugin-name"),
    HeaderName::from_static("vipps-system-plugin-version"),
];

/// The knowledge base's limit for each Vipps HTTP header value, in
/// characters (the OM spec says 100; the simulator refuses over 100, the
/// checklist flags over 30).
pub const HEADER_MAX_CHARS: usize = 30;

/// A retry that arrives sooner than this after the failed answer was sent
/// is "without a delay" (a hot loop). Generous: the client library's first
/// backoff is 100–200 ms.
pub const MIN_RETRY_DELAY: Duration = Duration::from_millis(50);

/// How many of the merchant's latest requests are kept (as hashes and
/// times) to tell a retry from a new request.
pub const RECENT_KEPT: usize = 64;

/// How many errors (non-2xx answers) are kept with what followed them.
pub const ERROR_EVIDENCE_KEPT: usize = 20;

/// How many refused (400) bodies are watched for being sent again
/// unchanged; the oldest is forgotten first.
pub const WATCHED_400S: usize = 32;

/// How many receipt paths (as 8-byte hashes) are remembered to tell a
/// receipt sent twice from a retry; beyond it the oldest half is
/// forgotten (a resend of a forgotten one is then not noticed).
pub const RECEIPT_PATHS_KEPT: usize = 10_000;

/// A request answered this long after it arrived was held (a slow
/// answer): a reason for its client to have given up and sent it again.
pub const HELD_LONG: Duration = Duration::from_secs(5);

/// Longest path kept in a piece of evidence; longer ones are cut, marked.
pub const EVIDENCE_PATH_MAX: usize = 200;

/// One request as the checklist sees it.
pub(crate) struct Observed<'a> {
    pub(crate) route: Route,
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
    pub(crate) status: u16,
    /// The answer was an injected fault (`x-sim-fault`).
    pub(crate) injected: bool,
    /// The v2 `{paymentType}` as written, if the route has one.
    pub(crate) payment_type: Option<&'a str>,
    pub(crate) arrived: Instant,
    pub(crate) answered: Instant,
}

impl Observed<'_> {
    /// What identifies "the same request": method and path, and for the
    /// two writes whose path names no order (image upload, v3 category)
    /// a sample of the body ([`body_sample`]).
    pub(crate) fn key(&self) -> u64 {
        match self.route {
            Route::UploadImage | Route::AddCategoryV3 => {
                hash_of(&(self.method, self.path, body_sample(self.body)))
            }
            _ => hash_of(&(self.method, self.path)),
        }
    }

    pub(crate) fn is_token(&self) -> bool {
        self.route == Route::AccessToken
    }

    pub(crate) fn is_write(&self) -> bool {
        matches!(
            self.route,
            Route::UploadImage | Route::SetCategoryV2 | Route::AddReceipt | Route::AddCategoryV3
        )
    }

    pub(crate) fn evidence(&self, detail: impl Into<String>) -> Evidence {
        Evidence {
            method: self.method.to_owned(),
            path: cut(self.path),
            at: crate::reply::utc_timestamp(SystemTime::now()),
            status: self.status,
            detail: detail.into(),
        }
    }
}

/// The first offending request of a kind: never a header value, a body or
/// a query (they may hold secrets), only what identifies the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// HTTP method.
    pub method: String,
    /// Path as sent (cut at [`EVIDENCE_PATH_MAX`] bytes).
    pub path: String,
    /// When the simulator answered it (UTC).
    pub at: String,
    /// The status it was answered with.
    pub status: u16,
    /// What was wrong, in a sentence.
    pub detail: String,
}

/// Bytes from each end of a body that, with its length, tell two
/// uploads apart without hashing megabytes of image on every request.
pub const BODY_SAMPLE: usize = 4096;

fn body_sample(body: &[u8]) -> (usize, &[u8], &[u8]) {
    let head = &body[..body.len().min(BODY_SAMPLE)];
    let tail = &body[body.len().saturating_sub(BODY_SAMPLE)..];
    (body.len(), head, tail)
}

pub(crate) fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

fn cut(path: &str) -> String {
    if path.len() <= EVIDENCE_PATH_MAX {
        return path.to_owned();
    }
    let mut end = EVIDENCE_PATH_MAX;
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &path[..end], path.len())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// How one Vipps header fared on one kind of request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeaderTally {
    /// Requests looked at.
    pub requests: u64,
    /// Requests without the header.
    pub missing: u64,
    /// Requests with the header present but blank.
    pub empty: u64,
    /// Requests whose value is longer than [`HEADER_MAX_CHARS`].
    pub too_long: u64,
    /// The longest value seen, in characters.
    pub longest: usize,
    /// The first request with a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_problem: Option<Evidence>,
}

impl HeaderTally {
    fn count(
        &mut self,
        name: &str,
        parsed: &HeaderName,
        headers: &HeaderMap,
        request: &Observed<'_>,
    ) {
        self.requests = self.requests.saturating_add(1);
        let problem = match headers.get(parsed) {
            None => {
                self.missing = self.missing.saturating_add(1);
                Some(format!("{name} is missing"))
            }
            Some(value) => {
                let chars = match value.to_str() {
                    // Visible ASCII (nearly always): one byte a character.
                    Ok(text) => text.trim().len(),
                    Err(_) => String::from_utf8_lossy(value.as_bytes())
                        .trim()
                        .chars()
                        .count(),
                };
                self.longest = self.longest.max(chars);
                if chars == 0 {
                    self.empty = self.empty.saturating_add(1);
                    Some(format!("{name} is empty"))
                } else if chars > HEADER_MAX_CHARS {
                    self.too_long = self.too_long.saturating_add(1);
                    Some(format!(
                        "{name} is {chars} characters long; the limit is {HEADER_MAX_CHARS}"
                    ))
                } else {
                    None
                }
            }
        };
        if let Some(detail) = problem
            && self.first_problem.is_none()
        {
            self.first_problem = Some(request.evidence(detail));
        }
    }

    /// Requests with any problem.
    pub fn problems(&self) -> u64 {
        self.missing
            .saturating_add(self.empty)
            .saturating_add(self.too_long)
    }
}

/// One error answer and what the integration did next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorFollow {
    /// The error answer.
    pub error: Evidence,
    /// Whether the simulator injected it (a fault or a rehearsal).
    pub injected: bool,
    /// What came next from this merchant, e.g. "after 1203 ms: POST the
    /// same path (201)"; `None` until something came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub followed_by: Option<String>,
}

/// One of the merchant's latest requests.
#[derive(Debug, Clone, Copy)]
struct Recent {
    key: u64,
    status: u16,
    arrived: Instant,
    answered: Instant,
}

/// A refused body watched for being sent again unchanged.
#[derive(Debug, Clone, Copy)]
struct Watched400 {
    key: u64,
    body: u64,
}

/// Everything the checklist keeps about one merchant.
#[derive(Debug, Default)]
pub(crate) struct MerchantBook {
    pub(crate) requests: u64,
    pub(crate) token_requests: u64,
    pub(crate) tokens_issued: u64,
    pub(crate) api_calls: u64,
    /// Route template → status → count.
    pub(crate) outcomes: BTreeMap<&'static str, BTreeMap<u16, u64>>,
    /// Route template → payment types (upper case) answered 2xx.
    pub(crate) succeeded_types: BTreeMap<&'static str, BTreeSet<&'static str>>,
    /// Payment types (upper case; anything else as "other") tried.
    pub(crate) tried_types: BTreeSet<&'static str>,
    /// Per Vipps header: on token requests, on API calls.
    pub(crate) token_headers: [HeaderTally; 5],
    pub(crate) api_headers: [HeaderTally; 5],
    /// API calls answered 401 by the simulator itself (not injected).
    pub(crate) refused_tokens: u64,
    pub(crate) first_refused_token: Option<Evidence>,
    /// A 401 on an API call (and when it was answered) waiting to see a
    /// token request.
    awaiting_renewal: Option<(Evidence, Instant)>,
    /// API calls sent with a refused token after a 401, without a token
    /// request in between.
    pub(crate) unrenewed: u64,
    pub(crate) first_unrenewed: Option<Evidence>,
    recent: VecDeque<Recent>,
    /// Requests sent again after a 5xx, 408 or 429.
    pub(crate) retries: u64,
    pub(crate) shortest_retry_ms: Option<u64>,
    pub(crate) fast_retries: u64,
    pub(crate) first_fast_retry: Option<Evidence>,
    pub(crate) errors: VecDeque<ErrorFollow>,
    /// The index in `errors` of the last error, waiting for what follows.
    follow_pending: bool,
    watched_400s: VecDeque<Watched400>,
    pub(crate) resent_400s: u64,
    pub(crate) first_resent_400: Option<Evidence>,
    /// Receipt path hash → when its 201 was sent.
    receipts_accepted: HashMap<u64, Instant>,
    /// Receipt paths whose POST failed or was held (a reason to resend).
    receipts_troubled: HashMap<u64, Instant>,
    pub(crate) receipts_created: u64,
    pub(crate) receipt_conflicts: u64,
    pub(crate) conflicts_without_reason: u64,
    pub(crate) first_conflict_without_reason: Option<Evidence>,
    /// Image uploads refused (400) for their size or format.
    pub(crate) images_refused: u64,
    pub(crate) first_image_refused: Option<Evidence>,
    /// When the first and the latest request arrived (formatted only
    /// when the report is read: formatting a timestamp per request was a
    /// measurable part of every request's cost).
    pub(crate) first_seen: Option<SystemTime>,
    pub(crate) last_seen: Option<SystemTime>,
    pub(crate) rehearsal: Option<Rehearsal>,
    /// When the rehearsal last revoked the merchant's tokens.
    revoked_at: Option<Instant>,
}

fn payment_type_name(written: &str) -> &'static str {
    if written.eq_ignore_ascii_case("ecom") {
        "ECOM"
    } else if written.eq_ignore_ascii_case("recurring") {
        "RECURRING"
    } else {
        "other"
    }
}

impl MerchantBook {
    /// Takes one request into account; returns what the rehearsal wants
    /// done (arm a fault, revoke tokens, store a receipt).
    pub(crate) fn observe(&mut self, request: &Observed<'_>) -> Vec<Action> {
        let now = SystemTime::now();
        if self.first_seen.is_none() {
            self.first_seen = Some(now);
        }
        self.last_seen = Some(now);
        self.requests = self.requests.saturating_add(1);
        let by_status = self.outcomes.entry(request.route.template()).or_default();
        let count = by_status.entry(request.status).or_default();
        *count = count.saturating_add(1);
        let success = (200..300).contains(&request.status);

        let tallies = if request.is_token() {
            self.token_requests = self.token_requests.saturating_add(1);
            if success {
                self.tokens_issued = self.tokens_issued.saturating_add(1);
            }
            self.awaiting_renewal = None;
            &mut self.token_headers
        } else {
            self.api_calls = self.api_calls.saturating_add(1);
            &mut self.api_headers
        };
        for ((tally, name), parsed) in tallies
            .iter_mut()
            .zip(VIPPS_HEADERS)
            .zip(&VIPPS_HEADER_NAMES)
        {
            tally.count(name, parsed, request.headers, request);
        }

        if let Some(written) = request.payment_type {
            let name = payment_type_name(written);
            self.tried_types.insert(name);
            if success && name != "other" {
                self.succeeded_types
                    .entry(request.route.template())
                    .or_default()
                    .insert(name);
            }
        }

        let key = request.key();
        let copies = self.copies_since(key, request.arrived);
        // A 401 soon after the rehearsal revoked the tokens is its own,
        // also on calls still in flight when the fault was judged.
        let rehearsed_401 = self.rehearsal.as_ref().is_some_and(Rehearsal::expects_401)
            || self.revoked_at.is_some_and(|at| {
                request.arrived.saturating_duration_since(at) < RETRY_WINDOW_TIME
            });
        self.follow_up(request);
        self.tokens(request, rehearsed_401);
        self.retry(request, key);
        self.resend_of_400(request, key);
        self.receipts(request, key);
        if request.route == Route::UploadImage && request.status == 400 && !request.injected {
            self.images_refused = self.images_refused.saturating_add(1);
            if self.first_image_refused.is_none() {
                self.first_image_refused = Some(request.evidence(
                    "the image was refused (too small, too large or not PNG/JPEG; see the request log for the reason)",
                ));
            }
        }
        if !success && !request.is_token() {
            if self.errors.len() >= ERROR_EVIDENCE_KEPT {
                self.errors.pop_front();
            }
            self.errors.push_back(ErrorFollow {
                error: request.evidence(format!("answered {}", request.status)),
                injected: request.injected,
                followed_by: None,
            });
            self.follow_pending = true;
        }

        if self.recent.len() >= RECENT_KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back(Recent {
            key,
            status: request.status,
            arrived: request.arrived,
            answered: request.answered,
        });

        let actions = match self.rehearsal.as_mut() {
            Some(rehearsal) => rehearsal.observe(request, key, copies),
            None => Vec::new(),
        };
        if actions.iter().any(|a| matches!(a, Action::RevokeTokens)) {
            self.revoked_at = Some(request.answered);
        }
        actions
    }

    /// Fills in what followed the last error.
    fn follow_up(&mut self, request: &Observed<'_>) {
        if !self.follow_pending {
            return;
        }
        let Some(last) = self.errors.back_mut() else {
            self.follow_pending = false;
            return;
        };
        let previous = self.recent.back();
        let after = previous
            .map(|p| millis(request.arrived.saturating_duration_since(p.answered)))
            .unwrap_or(0);
        let same = last.error.method == request.method && last.error.path == cut(request.path);
        let what = if request.is_token() {
            "a token request".to_owned()
        } else if same {
            format!("{} the same path", request.method)
        } else {
            format!("{} {}", request.method, cut(request.path))
        };
        last.followed_by = Some(format!("after {after} ms: {what} ({})", request.status));
        // A token request is followed in turn by what the error led to.
        if !request.is_token() {
            self.follow_pending = false;
        }
    }

    fn tokens(&mut self, request: &Observed<'_>, rehearsed: bool) {
        if request.is_token() || request.status != 401 {
            return;
        }
        match &self.awaiting_renewal {
            // Sent with a refused token after the client had the 401 (and
            // time to act on it): it did not renew.
            Some((refused, answered))
                if request.arrived > answered.checked_add(IN_FLIGHT_SLACK).unwrap_or(*answered) =>
            {
                self.unrenewed = self.unrenewed.saturating_add(1);
                if self.first_unrenewed.is_none() {
                    self.first_unrenewed = Some(request.evidence(format!(
                        "sent with a refused token after a 401 ({} {} at {}) without asking for a new token first",
                        refused.method, refused.path, refused.at
                    )));
                }
            }
            // Another call that was in flight with the same token.
            Some(_) => {}
            None => {
                if !request.injected && !rehearsed {
                    self.refused_tokens = self.refused_tokens.saturating_add(1);
                    if self.first_refused_token.is_none() {
                        self.first_refused_token = Some(
                            request
                                .evidence("refused with 401: the token had expired or was revoked"),
                        );
                    }
                }
                self.awaiting_renewal = Some((request.evidence("401"), request.answered));
            }
        }
    }

    fn retry(&mut self, request: &Observed<'_>, key: u64) {
        let earlier = self.recent.iter().rev().find(|r| r.key == key);
        let Some(earlier) = earlier else { return };
        if !(earlier.status >= 500 || earlier.status == 429 || earlier.status == 408) {
            return;
        }
        self.retries = self.retries.saturating_add(1);
        let waited = request.arrived.saturating_duration_since(earlier.answered);
        let ms = millis(waited);
        self.shortest_retry_ms = Some(self.shortest_retry_ms.map_or(ms, |s| s.min(ms)));
        if earlier.status != 429 && waited < MIN_RETRY_DELAY {
            self.fast_retries = self.fast_retries.saturating_add(1);
            if self.first_fast_retry.is_none() {
                self.first_fast_retry = Some(request.evidence(format!(
                    "sent again {ms} ms after a {} answer; wait (back off) before retrying",
                    earlier.status
                )));
            }
        }
    }

    fn resend_of_400(&mut self, request: &Observed<'_>, key: u64) {
        if !request.is_write() {
            return;
        }
        // The body is hashed only when a refused body of this path is
        // watched, or when this answer is a 400: most requests skip it.
        let watched = self.watched_400s.iter().any(|w| w.key == key);
        if !watched && request.status != 400 {
            return;
        }
        let body = hash_of(&request.body);
        if self
            .watched_400s
            .iter()
            .any(|w| w.key == key && w.body == body)
        {
            self.resent_400s = self.resent_400s.saturating_add(1);
            if self.first_resent_400.is_none() {
                self.first_resent_400 = Some(request.evidence(
                    "the same body was sent again unchanged after a 400 named what was wrong with it",
                ));
            }
        }
        if request.status == 400 {
            if self.watched_400s.len() >= WATCHED_400S {
                self.watched_400s.pop_front();
            }
            self.watched_400s.push_back(Watched400 { key, body });
        }
    }

    fn receipts(&mut self, request: &Observed<'_>, key: u64) {
        if request.route != Route::AddReceipt {
            return;
        }
        for map in [&mut self.receipts_accepted, &mut self.receipts_troubled] {
            if map.len() >= RECEIPT_PATHS_KEPT {
                let mut times: Vec<Instant> = map.values().copied().collect();
                times.sort_unstable();
                if let Some(&median) = times.get(times.len() / 2) {
                    map.retain(|_, at| *at > median);
                }
            }
        }
        match request.status {
            201 => {
                self.receipts_created = self.receipts_created.saturating_add(1);
                self.receipts_accepted.insert(key, request.answered);
            }
            409 => {
                self.receipt_conflicts = self.receipt_conflicts.saturating_add(1);
                let accepted_before = self
                    .receipts_accepted
                    .get(&key)
                    .is_some_and(|at| *at <= request.arrived);
                let troubled = self.receipts_troubled.contains_key(&key);
                if accepted_before && !troubled {
                    self.conflicts_without_reason = self.conflicts_without_reason.saturating_add(1);
                    if self.first_conflict_without_reason.is_none() {
                        self.first_conflict_without_reason = Some(request.evidence(
                            "this receipt was sent again after the API had answered 201 for it, with no failure in between",
                        ));
                    }
                }
            }
            status if status >= 500 || status == 429 || status == 408 || request.injected => {
                self.receipts_troubled.insert(key, request.answered);
            }
            _ => {}
        }
        // A request held long (a slow answer) is a reason for the client
        // to have given up and sent it again.
        if request.answered.saturating_duration_since(request.arrived) >= HELD_LONG {
            self.receipts_troubled.insert(key, request.answered);
        }
    }

    /// Copies of a request (same [`Observed::key`]) that arrived while it
    /// was being handled (between `arrived` and now).
    pub(crate) fn copies_since(&self, key: u64, arrived: Instant) -> usize {
        self.recent
            .iter()
            .filter(|r| r.key == key && r.arrived > arrived)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsed_header_names_are_the_vipps_headers() {
        for (name, parsed) in VIPPS_HEADERS.into_iter().zip(&VIPPS_HEADER_NAMES) {
            assert_eq!(parsed.as_str(), name.to_ascii_lowercase());
        }
    }
}
