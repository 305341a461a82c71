//! The rehearsal: one of each failure an integration must survive,
//! injected into the merchant's own traffic at moments it cannot predict,
//! and what the integration did about each.
//!
//! The faults come one at a time, in a shuffled order. Each waits for a
//! random number (0 to `maxSkip`, default [`DEFAULT_MAX_SKIP`]) of the
//! merchant's requests that it could hit, then is armed through the
//! simulator's own fault queue ([`crate::faults`]) for the route of the
//! request that armed it, so the *next* request on that route gets it. When
//! the integration's answer to it is clear (settled), the next fault waits
//! its turn.
//!
//! | Fault | Hits | Expected | Settled when |
//! |---|---|---|---|
//! | `server-error` | a receipt POST: 500, answered *after* the receipt was stored (a server that failed after committing) | the same POST again, at least [`MIN_RETRY_DELAY`] later; its 409 treated as done: no further POST of that receipt | the retry and the request after it, or [`RETRY_WINDOW`] requests to other paths and [`RETRY_WINDOW_TIME`] (no retry) |
//! | `rate-limit` | any API call: 429 with `Retry-After: 2` | the same request (method and path: the operation on that order) not sent again within 2 s | it is sent again, or 2 s passed |
//! | `revoked-token` | every token of the merchant is revoked; the next API call gets the real 401 | a token request, then the same request again, once | the request sent again, a call with the revoked token, or [`RETRY_WINDOW`] requests to other paths and [`RETRY_WINDOW_TIME`] |
//! | `invalid-request` | a write (image, category, receipt): 400 with `invalidParams` | the same body never sent again unchanged | the next write on that route |
//! | `slow-answer` | any API call: held [`DEFAULT_SLOW`] (35 s; `slowMs`, at most [`MAX_SLOW`]), then handled | the integration goes on (gives up or waits), without sending the request more than [`MAX_COPIES_WHILE_HELD`] times while it is held | when it is answered |

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::observe::{Evidence, MIN_RETRY_DELAY, Observed};
use crate::faults::Fault;
use crate::routes::Route;

/// How long the slow answer is held by default: beyond the client
/// library's 20 s and the common 30 s client timeouts, well within
/// [`MAX_SLOW`].
pub const DEFAULT_SLOW: Duration = Duration::from_secs(35);
/// Longest slow answer a rehearsal may ask for (the fault queue's limit).
pub const MAX_SLOW: Duration = crate::faults::MAX_FAULT_DELAY;
/// Most requests a fault may wait for before it is armed, by default.
pub const DEFAULT_MAX_SKIP: u32 = 3;
/// Largest `maxSkip` accepted.
pub const MAX_SKIP_LIMIT: u32 = 100;
/// The `Retry-After` of the rehearsal's 429, in seconds.
pub const RATE_LIMIT_SECS: u64 = 2;
/// Slack for clocks and the network when checking `Retry-After`: a request
/// arriving this much before the 2 s are up still counts as waiting.
pub const RETRY_AFTER_SLACK: Duration = Duration::from_millis(100);
/// A request to another path arriving this soon after a fault's answer
/// is taken as sent before the client could react (a client with several
/// calls in flight).
pub const IN_FLIGHT_SLACK: Duration = Duration::from_millis(100);
/// How many requests to other paths may come before the one that got a
/// 500 or a 401 is sent again (a client with several calls in flight
/// finishes them first); more, and at least [`RETRY_WINDOW_TIME`] later,
/// it counts as not sent again.
pub const RETRY_WINDOW: u32 = 16;
/// How long after a 500 or a 401 the request must have been sent again
/// before later traffic counts as "not sent again" (with
/// [`RETRY_WINDOW`]): beyond the client library's backoffs (at most 5 s
/// between attempts, the first 100–200 ms), short enough to judge a test.
pub const RETRY_WINDOW_TIME: Duration = Duration::from_secs(3);
/// More copies of a held request than this, sent while it is held, is a
/// retry storm.
pub const MAX_COPIES_WHILE_HELD: usize = 3;

/// One failure of the rehearsal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// 500 on a receipt POST (stored before failing).
    ServerError,
    /// 429 with `Retry-After: 2`.
    RateLimit,
    /// 401 from a revoked token.
    RevokedToken,
    /// 400 with `invalidParams`.
    InvalidRequest,
    /// An answer slower than common client timeouts.
    SlowAnswer,
}

impl FaultKind {
    /// Every fault, in the order the report lists them.
    pub const ALL: [FaultKind; 5] = [
        FaultKind::ServerError,
        FaultKind::RateLimit,
        FaultKind::RevokedToken,
        FaultKind::InvalidRequest,
        FaultKind::SlowAnswer,
    ];

    /// The wire name (`server-error`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::ServerError => "server-error",
            FaultKind::RateLimit => "rate-limit",
            FaultKind::RevokedToken => "revoked-token",
            FaultKind::InvalidRequest => "invalid-request",
            FaultKind::SlowAnswer => "slow-answer",
        }
    }

    /// Whether `request` is one this fault could hit (and so counts
    /// towards arming it).
    fn may_hit(self, request: &Observed<'_>) -> bool {
        match self {
            FaultKind::ServerError => request.route == Route::AddReceipt,
            FaultKind::InvalidRequest => request.is_write(),
            FaultKind::RateLimit | FaultKind::RevokedToken | FaultKind::SlowAnswer => {
                !request.is_token()
            }
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = RehearsalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FaultKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                RehearsalError(format!(
                    "{:?} is not a rehearsal fault; use some of: server-error, rate-limit, revoked-token, invalid-request, slow-answer",
                    s.chars().take(40).collect::<String>()
                ))
            })
    }
}

/// Why a rehearsal could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RehearsalError(pub(crate) String);

/// What to rehearse: the JSON of `POST /_sim/rehearsal`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RehearsalSpec {
    /// The merchant whose traffic gets the faults.
    pub msn: String,
    /// Which faults (default: all five).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<Vec<String>>,
    /// Seed of the random order and moments (default: random); the same
    /// seed and the same traffic give the same rehearsal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Most requests a fault waits before it is armed (default
    /// [`DEFAULT_MAX_SKIP`], at most [`MAX_SKIP_LIMIT`]); 0 arms each fault
    /// at the first request it can hit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_skip: Option<u32>,
    /// How long the slow answer is held, in milliseconds (default 35 000,
    /// at most 120 000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_ms: Option<u64>,
    /// Grade this merchant as a partner integration (its missing Vipps
    /// headers fail instead of warn).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<bool>,
}

impl RehearsalSpec {
    /// All five faults for `msn`.
    pub fn all(msn: impl Into<String>) -> RehearsalSpec {
        RehearsalSpec {
            msn: msn.into(),
            ..RehearsalSpec::default()
        }
    }

    /// Checks the values and makes the rehearsal.
    pub(crate) fn start(&self) -> Result<Rehearsal, RehearsalError> {
        let mut kinds: Vec<FaultKind> = match &self.faults {
            None => FaultKind::ALL.to_vec(),
            Some(names) => {
                let mut kinds = Vec::new();
                for name in names {
                    let kind: FaultKind = name.parse()?;
                    if !kinds.contains(&kind) {
                        kinds.push(kind);
                    }
                }
                kinds
            }
        };
        if kinds.is_empty() {
            return Err(RehearsalError(
                "faults is empty; name at least one (server-error, rate-limit, revoked-token, invalid-request, slow-answer) or leave it out for all".to_owned(),
            ));
        }
        let max_skip = self.max_skip.unwrap_or(DEFAULT_MAX_SKIP);
        if max_skip > MAX_SKIP_LIMIT {
            return Err(RehearsalError(format!(
                "maxSkip {max_skip} is too large; use at most {MAX_SKIP_LIMIT}"
            )));
        }
        let slow = match self.slow_ms {
            None => DEFAULT_SLOW,
            Some(ms) => Duration::from_millis(ms),
        };
        if slow > MAX_SLOW || slow.is_zero() {
            return Err(RehearsalError(format!(
                "slowMs {} is out of range; use 1 to {} ms",
                slow.as_millis(),
                MAX_SLOW.as_millis()
            )));
        }
        let seed = self.seed.unwrap_or_else(|| fastrand::u64(..));
        let mut rng = fastrand::Rng::with_seed(seed);
        rng.shuffle(&mut kinds);
        let plan = kinds
            .iter()
            .map(|&kind| Step {
                kind,
                skip: rng.u32(0..=max_skip),
            })
            .collect();
        Ok(Rehearsal {
            seed,
            slow,
            plan,
            phase: Phase::Waiting,
            outcomes: BTreeMap::new(),
            requested: kinds,
        })
    }
}

#[derive(Debug, Clone, Copy)]
struct Step {
    kind: FaultKind,
    skip: u32,
}

/// Where the current fault stands.
#[derive(Debug, Clone)]
enum Phase {
    /// Counting down the current step's `skip`.
    Waiting,
    /// Armed on `route`, waiting for a request to get it.
    Armed { route: Route },
    /// Delivered; watching what follows.
    Delivered(Delivered),
}

#[derive(Debug, Clone)]
struct Delivered {
    route: Route,
    key: u64,
    answered: Instant,
    body: u64,
    evidence: Evidence,
    /// server-error: the retry got 409, watching for a further POST.
    conflict_seen: bool,
    /// revoked-token: a token request came after the 401.
    renewed: bool,
    /// Requests to other paths since (server-error, revoked-token).
    others: u32,
}

/// What the rehearsal asks the simulator to do after a request.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    /// Queue this fault.
    Inject(Fault),
    /// Revoke every token of the merchant.
    RevokeTokens,
    /// Handle the request that just got the injected 500 after all (the
    /// server stored the receipt, then failed).
    StoreAnyway,
}

/// The verdict on one fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultOutcome {
    /// Passed.
    pub passed: bool,
    /// What happened, in a sentence.
    pub summary: String,
    /// The request that got the fault, and, when it failed, the offending
    /// one.
    pub evidence: Vec<Evidence>,
}

/// A rehearsal in progress for one merchant.
#[derive(Debug, Clone)]
pub(crate) struct Rehearsal {
    pub(crate) seed: u64,
    pub(crate) slow: Duration,
    plan: VecDeque<Step>,
    phase: Phase,
    pub(crate) outcomes: BTreeMap<FaultKind, FaultOutcome>,
    pub(crate) requested: Vec<FaultKind>,
}

impl Rehearsal {
    /// The fault being waited for or watched, and its phase in words.
    pub(crate) fn current(&self) -> Option<(FaultKind, &'static str)> {
        let step = self.plan.front()?;
        let phase = match self.phase {
            Phase::Waiting => "waiting for its moment",
            Phase::Armed { .. } => "armed: the next request on its route gets it",
            Phase::Delivered(_) => "delivered: watching what the integration does",
        };
        Some((step.kind, phase))
    }

    /// Whether the next 401 on an API call is the rehearsal's own (its
    /// tokens were revoked).
    pub(crate) fn expects_401(&self) -> bool {
        matches!(
            (self.plan.front(), &self.phase),
            (
                Some(Step {
                    kind: FaultKind::RevokedToken,
                    ..
                }),
                Phase::Armed { .. }
            )
        )
    }

    /// The verdict on the delivered fault if the integration sent nothing
    /// more from now on (for a report taken while it is quiet), or `None`
    /// while it is too early to tell.
    pub(crate) fn provisional(&self, now: Instant) -> Option<(FaultKind, FaultOutcome)> {
        let (Some(step), Phase::Delivered(d)) = (self.plan.front(), &self.phase) else {
            return None;
        };
        let since = now.saturating_duration_since(d.answered);
        let quiet = |summary: String, passed: bool| FaultOutcome {
            passed,
            summary: format!("{summary} (so far: nothing more was sent)"),
            evidence: vec![d.evidence.clone()],
        };
        let outcome = match step.kind {
            FaultKind::ServerError if d.conflict_seen => quiet(
                "retried with a delay; the retry's 409 was not followed by another POST of that receipt".to_owned(),
                true,
            ),
            FaultKind::ServerError if since >= RETRY_WINDOW_TIME => quiet(
                format!("the receipt answered 500 was not sent again within {} s", RETRY_WINDOW_TIME.as_secs()),
                false,
            ),
            FaultKind::RateLimit if since >= Duration::from_secs(RATE_LIMIT_SECS) => quiet(
                format!("the request was not sent again within {RATE_LIMIT_SECS} s of the 429"),
                true,
            ),
            FaultKind::RevokedToken if since >= RETRY_WINDOW_TIME => quiet(
                format!(
                    "the request refused with 401 was not sent again within {} s{}",
                    RETRY_WINDOW_TIME.as_secs(),
                    if d.renewed { " (a new token was fetched)" } else { ", and no new token was asked for" }
                ),
                false,
            ),
            FaultKind::InvalidRequest => quiet(
                "the refused body was not sent again unchanged".to_owned(),
                true,
            ),
            _ => return None,
        };
        Some((step.kind, outcome))
    }

    /// Faults not injected yet (the current one excluded).
    pub(crate) fn queued(&self) -> Vec<FaultKind> {
        self.plan.iter().skip(1).map(|s| s.kind).collect()
    }

    pub(crate) fn observe(
        &mut self,
        request: &Observed<'_>,
        key: u64,
        copies: usize,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        let Some(step) = self.plan.front().copied() else {
            return actions;
        };
        match self.phase.clone() {
            Phase::Delivered(mut delivered) => {
                if let Some(outcome) = judge(step.kind, &mut delivered, request, key) {
                    self.settle(step.kind, outcome);
                    // The request that settled one fault may count towards
                    // the next.
                    actions.extend(self.count_down(request));
                } else {
                    self.phase = Phase::Delivered(delivered);
                }
            }
            Phase::Armed { route } => {
                if let Some(delivered) = self.delivery(step.kind, route, request, key) {
                    if step.kind == FaultKind::ServerError {
                        actions.push(Action::StoreAnyway);
                    }
                    if step.kind == FaultKind::SlowAnswer {
                        let outcome = slow_outcome(&delivered, request, copies);
                        self.settle(step.kind, outcome);
                    } else {
                        self.phase = Phase::Delivered(delivered);
                    }
                } else if step.kind == FaultKind::RevokedToken
                    && !request.is_token()
                    && (200..300).contains(&request.status)
                {
                    // The integration renewed on its own before the next
                    // call: revoke again.
                    actions.push(Action::RevokeTokens);
                }
            }
            Phase::Waiting => actions.extend(self.count_down(request)),
        }
        actions
    }

    fn settle(&mut self, kind: FaultKind, outcome: FaultOutcome) {
        self.outcomes.insert(kind, outcome);
        self.plan.pop_front();
        self.phase = Phase::Waiting;
    }

    /// Counts `request` towards the current step; arms it when due.
    fn count_down(&mut self, request: &Observed<'_>) -> Vec<Action> {
        let Some(step) = self.plan.front_mut() else {
            return Vec::new();
        };
        if !step.kind.may_hit(request) {
            return Vec::new();
        }
        if step.skip > 0 {
            step.skip -= 1;
            return Vec::new();
        }
        let route = request.route;
        self.phase = Phase::Armed { route };
        let action = match step.kind {
            FaultKind::ServerError => Action::Inject(Fault::status(Route::AddReceipt, 500)),
            FaultKind::RateLimit => {
                Action::Inject(Fault::status(route, 429).retry_after(RATE_LIMIT_SECS))
            }
            FaultKind::InvalidRequest => Action::Inject(Fault::status(route, 400)),
            FaultKind::SlowAnswer => Action::Inject(Fault::delay(route, self.slow)),
            FaultKind::RevokedToken => Action::RevokeTokens,
        };
        vec![action]
    }

    /// `Some` when `request` is the one that got the armed fault.
    fn delivery(
        &self,
        kind: FaultKind,
        route: Route,
        request: &Observed<'_>,
        key: u64,
    ) -> Option<Delivered> {
        let got_it = match kind {
            FaultKind::ServerError => {
                request.route == Route::AddReceipt && request.injected && request.status == 500
            }
            FaultKind::RateLimit => {
                request.route == route && request.injected && request.status == 429
            }
            FaultKind::InvalidRequest => {
                request.route == route && request.injected && request.status == 400
            }
            FaultKind::RevokedToken => {
                !request.is_token() && !request.injected && request.status == 401
            }
            FaultKind::SlowAnswer => {
                request.route == route
                    && request.answered.saturating_duration_since(request.arrived) >= self.slow
            }
        };
        got_it.then(|| Delivered {
            route: request.route,
            key,
            answered: request.answered,
            body: if kind == FaultKind::InvalidRequest {
                super::observe::hash_of(&request.body)
            } else {
                0
            },
            evidence: request.evidence(format!("the rehearsal's {kind} fault")),
            conflict_seen: false,
            renewed: false,
            others: 0,
        })
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn pass(delivered: &Delivered, summary: String) -> FaultOutcome {
    FaultOutcome {
        passed: true,
        summary,
        evidence: vec![delivered.evidence.clone()],
    }
}

fn fail(delivered: &Delivered, request: &Observed<'_>, summary: String) -> FaultOutcome {
    FaultOutcome {
        passed: false,
        evidence: vec![
            delivered.evidence.clone(),
            request.evidence(summary.clone()),
        ],
        summary,
    }
}

/// The verdict on a delivered fault once `request` shows it, else `None`.
///
/// Requests that arrived before the fault's answer was sent cannot be
/// reactions to it and are skipped. For a client with several calls in
/// flight, a request *to another path* arriving within
/// [`IN_FLIGHT_SLACK`] of the answer is taken as sent before the client
/// could react; the faulted request itself is always judged strictly.
fn judge(
    kind: FaultKind,
    d: &mut Delivered,
    request: &Observed<'_>,
    key: u64,
) -> Option<FaultOutcome> {
    if request.arrived <= d.answered {
        return None;
    }
    let waited = request.arrived.saturating_duration_since(d.answered);
    let ms = millis(waited);
    let in_flight = key != d.key && waited < IN_FLIGHT_SLACK;
    match kind {
        FaultKind::ServerError => {
            if request.is_token() {
                return None;
            }
            if d.conflict_seen {
                return Some(if key == d.key {
                    fail(
                        d,
                        request,
                        "the receipt was sent again after its retry got 409; a 409 on a retry means the first attempt arrived: treat it as done".to_owned(),
                    )
                } else {
                    pass(
                        d,
                        "retried with a delay, and treated the retry's 409 as done".to_owned(),
                    )
                });
            }
            if key != d.key {
                d.others = d.others.saturating_add(1);
                return (d.others > RETRY_WINDOW && waited >= RETRY_WINDOW_TIME).then(|| {
                    fail(
                        d,
                        request,
                        format!("the receipt answered 500 was not sent again within {} s and {RETRY_WINDOW} other requests; retry a 5xx (with a delay)", RETRY_WINDOW_TIME.as_secs()),
                    )
                });
            }
            if waited < MIN_RETRY_DELAY {
                return Some(fail(
                    d,
                    request,
                    format!(
                        "retried {ms} ms after the 500, without a delay; wait at least {} ms (back off)",
                        MIN_RETRY_DELAY.as_millis()
                    ),
                ));
            }
            match request.status {
                409 => {
                    d.conflict_seen = true;
                    None
                }
                s if (200..300).contains(&s) => Some(pass(
                    d,
                    format!("retried after {ms} ms and the retry succeeded"),
                )),
                // Another failure: keep watching the next retry.
                _ => {
                    d.answered = request.answered;
                    None
                }
            }
        }
        FaultKind::RateLimit => {
            // "That route" is the operation on that order: the same method
            // and path (Vipps's rate limits are per reference, and other
            // orders may go on).
            let limit = Duration::from_secs(RATE_LIMIT_SECS).saturating_sub(RETRY_AFTER_SLACK);
            if key == d.key {
                return Some(if waited < limit {
                    fail(
                        d,
                        request,
                        format!(
                            "the request was sent again {ms} ms after a 429 with Retry-After: {RATE_LIMIT_SECS}; wait the seconds it names"
                        ),
                    )
                } else {
                    pass(
                        d,
                        format!(
                            "waited {ms} ms (Retry-After: {RATE_LIMIT_SECS}) before sending the request again"
                        ),
                    )
                });
            }
            (waited >= limit).then(|| {
                pass(
                    d,
                    format!("the request was not sent again within {RATE_LIMIT_SECS} s of the 429"),
                )
            })
        }
        FaultKind::RevokedToken => {
            if request.is_token() {
                d.renewed = true;
                return None;
            }
            if request.status == 401 {
                // Other calls sent with the revoked token before the
                // client knew are casualties of the same revocation.
                return (!d.renewed && !in_flight).then(|| {
                    fail(
                        d,
                        request,
                        "after the 401, a call was sent again with the revoked token instead of asking for a new one".to_owned(),
                    )
                });
            }
            if key == d.key {
                return Some(if d.renewed {
                    pass(
                        d,
                        "asked for a new token, then sent the refused request again".to_owned(),
                    )
                } else {
                    fail(
                        d,
                        request,
                        "the refused request was sent again without a new token".to_owned(),
                    )
                });
            }
            d.others = d.others.saturating_add(1);
            (d.others > RETRY_WINDOW && waited >= RETRY_WINDOW_TIME).then(|| {
                fail(
                    d,
                    request,
                    format!("the request refused with 401 was not sent again (with a new token) within {} s and {RETRY_WINDOW} other requests", RETRY_WINDOW_TIME.as_secs()),
                )
            })
        }
        FaultKind::InvalidRequest => {
            if request.route != d.route {
                return None;
            }
            let body = if key == d.key {
                super::observe::hash_of(&request.body)
            } else {
                0
            };
            Some(if key == d.key && body == d.body {
                fail(
                    d,
                    request,
                    "the body refused with 400 was sent again unchanged; fix what invalidParams names first".to_owned(),
                )
            } else {
                pass(
                    d,
                    "the refused body was not sent again unchanged".to_owned(),
                )
            })
        }
        // Settled when delivered.
        FaultKind::SlowAnswer => None,
    }
}

fn slow_outcome(d: &Delivered, request: &Observed<'_>, copies: usize) -> FaultOutcome {
    let held = millis(request.answered.saturating_duration_since(request.arrived));
    if copies > MAX_COPIES_WHILE_HELD {
        return fail(
            d,
            request,
            format!(
                "the request was sent {copies} more times while the first was held {held} ms; give up once, then retry with a delay"
            ),
        );
    }
    let what = if copies == 0 {
        "the integration did not send it again while it was held".to_owned()
    } else {
        format!("the integration gave up and sent it again {copies} time(s)")
    };
    pass(d, format!("held {held} ms; {what}"))
}
