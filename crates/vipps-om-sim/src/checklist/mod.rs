//! The merchant's checklist, checked: what each merchant's integration did
//! ([`observe`]), the rehearsal of the failures it must survive
//! ([`rehearsal`]) and the report that grades it ([`report`]).
//!
//! The simulator sees every request an integration makes, in whatever
//! language it is written. One call in the request path
//! (`seen`, from `surface`) hands each finished request to the
//! merchant's book; nothing else in the hot path changes. A request is
//! attributed to a merchant by its subscription key; requests without a
//! known key, unknown paths and the ePayment routes are not graded.
//!
//! Control API: `POST /_sim/rehearsal` ([`RehearsalSpec`]),
//! `GET /_sim/checklist?msn=` (JSON, [`Report`]) and
//! `GET /_sim/checklist.html?msn=` (a page without scripts, to print or
//! keep). `POST /_sim/reset` forgets the books and rehearsals.

pub mod observe;
pub mod rehearsal;
pub mod report;

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use axum::http::request::Parts;

pub use observe::{Evidence, HEADER_MAX_CHARS, MIN_RETRY_DELAY, VIPPS_HEADERS};
pub use rehearsal::{FaultKind, FaultOutcome, RehearsalError, RehearsalSpec};
pub use report::{Item, Report, Status};

use crate::api::{self, ApiRequest};
use crate::reply::Reply;
use crate::routes::{Matched, Route};
use crate::state::SimState;
use observe::{MerchantBook, Observed};
use rehearsal::Action;

/// The books of every merchant, behind their own lock (not the store's),
/// so the request path takes it once, briefly, after answering.
#[derive(Debug, Default)]
pub(crate) struct Checklist {
    books: Mutex<Books>,
}

#[derive(Debug, Default)]
pub(crate) struct Books {
    /// By MSN; only merchants the simulator serves get a book, so the
    /// number of books is bounded by the merchants file.
    pub(crate) merchants: HashMap<String, MerchantBook>,
    /// MSNs graded as partner integrations.
    pub(crate) partners: HashSet<String>,
}

impl Checklist {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets every book and rehearsal (partner marks stay: they are
    /// configuration).
    pub(crate) fn reset(&self) {
        let old = std::mem::take(&mut self.lock().merchants);
        drop(old);
    }
}

/// Hands one finished request to its merchant's book and carries out what
/// the rehearsal asks for. Called once per request, after the answer is
/// made and before it is sent.
pub(crate) fn seen(
    state: &SimState,
    msn: Option<&str>,
    matched: &Matched,
    parts: &Parts,
    body: &[u8],
    reply: &Reply,
    arrived: Instant,
) {
    let (Some(msn), Matched::Route(route, params)) = (msn, matched) else {
        return;
    };
    if matches!(route, Route::CreatePayment | Route::GetPayment) {
        return;
    }
    let request = Observed {
        route: *route,
        method: parts.method.as_str(),
        path: parts.uri.path(),
        headers: &parts.headers,
        body,
        status: reply.status.as_u16(),
        injected: reply.headers.iter().any(|(name, _)| name == "x-sim-fault"),
        payment_type: params.payment_type.as_deref(),
        arrived,
        answered: Instant::now(),
    };
    let actions = {
        let mut books = state.checklist_books().lock();
        // The MSN came from a known subscription key, so the number of
        // books is bounded by the merchants the simulator serves.
        if !books.merchants.contains_key(msn) {
            books
                .merchants
                .insert(msn.to_owned(), MerchantBook::default());
        }
        match books.merchants.get_mut(msn) {
            Some(book) => book.observe(&request),
            None => Vec::new(),
        }
    };
    apply(state, msn, actions, &request, params, parts);
}

fn apply(
    state: &SimState,
    msn: &str,
    actions: Vec<Action>,
    request: &Observed<'_>,
    params: &crate::routes::PathParams,
    parts: &Parts,
) {
    for action in actions {
        match action {
            Action::Inject(fault) => {
                // Refused only when the fault queue is full; the rehearsal
                // then waits at this step, which the report shows.
                if let Err(e) = state.inject_fault(fault.for_merchant(msn)) {
                    tracing::warn!(msn, error = %e, "the rehearsal could not queue its fault");
                }
            }
            Action::RevokeTokens => state.revoke_tokens_of(msn),
            Action::StoreAnyway => {
                let api_request = ApiRequest {
                    headers: request.headers,
                    query: parts.uri.query(),
                    body: request.body,
                };
                let _stored = api::handle(state, request.route, params, &api_request);
            }
        }
    }
}

impl SimState {
    /// Starts a rehearsal for the merchant `spec.msn`, replacing one in
    /// progress; its outcomes appear in the checklist report. Returns the
    /// seed (give it back in `spec.seed` to repeat the rehearsal).
    pub fn start_rehearsal(&self, spec: &RehearsalSpec) -> Result<u64, RehearsalError> {
        let msn = spec.msn.trim();
        if self.merchant(msn).is_none() {
            return Err(RehearsalError(format!(
                "no merchant has msn {:?}; use the MSN of a merchant the simulator serves (the demo merchant is 123456)",
                msn.chars().take(40).collect::<String>()
            )));
        }
        let rehearsal = spec.start()?;
        let seed = rehearsal.seed;
        let mut books = self.checklist_books().lock();
        if let Some(partner) = spec.partner {
            if partner {
                books.partners.insert(msn.to_owned());
            } else {
                books.partners.remove(msn);
            }
        }
        books.merchants.entry(msn.to_owned()).or_default().rehearsal = Some(rehearsal);
        Ok(seed)
    }

    /// Grades `msn` as a partner integration (missing Vipps headers fail
    /// instead of warn) or not.
    pub fn set_partner(&self, msn: &str, partner: bool) {
        let mut books = self.checklist_books().lock();
        if partner {
            books.partners.insert(msn.to_owned());
        } else {
            books.partners.remove(msn);
        }
    }

    /// The checklist report of every merchant that sent requests (or has a
    /// rehearsal), or of `msn` alone. Links are not fetched here
    /// ([`report::check_links`] does that).
    pub fn checklist_report(&self, msn: Option<&str>) -> Result<Vec<Report>, String> {
        let stored = self.orders();
        let images = self.images();
        // Merchants whose requests came with partner keys are graded as
        // partner integrations (the Vipps headers are mandatory for them),
        // as are those marked with `set_partner`. Read before the books
        // are locked: the store's lock is never taken inside the books'.
        let with_partner_keys: std::collections::HashSet<String> = self
            .counters()
            .partner_requests
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(msn, _)| msn)
            .collect();
        let books = self.checklist_books().lock();
        let is_partner = |m: &str| books.partners.contains(m) || with_partner_keys.contains(m);
        let mut msns: Vec<&String> = match msn {
            Some(msn) => {
                if self.merchant(msn).is_none() {
                    return Err(format!(
                        "no merchant has msn {:?}; use the MSN of a merchant the simulator serves",
                        msn.chars().take(40).collect::<String>()
                    ));
                }
                return Ok(vec![report::build(
                    msn,
                    books.merchants.get(msn),
                    is_partner(msn),
                    &stored,
                    &images,
                )]);
            }
            None => books.merchants.keys().collect(),
        };
        msns.sort();
        Ok(msns
            .into_iter()
            .map(|m| {
                report::build(
                    m,
                    books.merchants.get(m),
                    is_partner(m.as_str()),
                    &stored,
                    &images,
                )
            })
            .collect())
    }
}
