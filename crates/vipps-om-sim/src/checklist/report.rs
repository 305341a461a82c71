//! The checklist report of one merchant: each item of the merchant's
//! checklist with pass / warn / fail / not exercised and its evidence
//! (counts, the first offending request with method, path and time, never
//! a secret), as JSON ([`Report`]) or as a self-contained HTML page
//! ([`html`]).
//!
//! | Section | Items |
//! |---|---|
//! | Endpoints | each of the four, v3 categories, payment types |
//! | Vipps HTTP headers | one per header, token request included; over [`HEADER_MAX_CHARS`] characters, empty or missing warns (fails for a partner) |
//! | Tokens | reused while valid; renewed after a 401 / before expiry |
//! | Errors handled | one per rehearsal fault |
//! | Design guidelines | images square and ≥ 167 px high; links https and answering without sign-in; receipt lines add up and carry a tax rate |
//! | Receipts | one per payment: no 409 from sending again without a reason |

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Serialize;

use super::observe::{
    ErrorFollow, Evidence, HEADER_MAX_CHARS, HeaderTally, MIN_RETRY_DELAY, MerchantBook,
    VIPPS_HEADERS,
};
use super::rehearsal::{DEFAULT_SLOW, FaultKind, FaultOutcome, RATE_LIMIT_SECS};
use crate::routes::Route;
use crate::state::{StoredImage, StoredOrder};

/// The minimum image height of the design guidelines, in pixels.
pub const MIN_IMAGE_HEIGHT: u32 = 167;
/// A graded integration needs at least this many API calls before "a
/// token per request" fails (a command-line tool run once per call gets
/// one token per run, which is fine for a few calls).
pub const TOKEN_PER_REQUEST_MIN_CALLS: u64 = 5;
/// Most links fetched per merchant and report.
pub const MAX_LINKS_CHECKED: usize = 10;
/// How long one link may take to answer (all are fetched at once).
pub const LINK_CHECK_TIMEOUT: Duration = Duration::from_secs(5);
/// Most redirects followed when fetching a link.
pub const LINK_MAX_REDIRECTS: usize = 5;

/// An item's grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Nothing exercised it.
    NotExercised,
    /// Done as the checklist asks.
    Pass,
    /// Works, but not as recommended (or, for a direct merchant, a
    /// header partners must send).
    Warn,
    /// Not done as the checklist asks.
    Fail,
}

impl Status {
    /// The label in reports.
    pub fn label(self) -> &'static str {
        match self {
            Status::NotExercised => "not exercised",
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One checklist item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// Stable id, e.g. `headers.vipps-system-name`.
    pub id: String,
    /// The section's title.
    pub section: &'static str,
    /// What is checked.
    pub title: String,
    /// The grade.
    pub status: Status,
    /// What was seen, with counts.
    pub summary: String,
    /// The requests that show it (the first offending one first).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    /// What to do, when it is not a pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// Counts behind the items.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Traffic {
    /// Requests graded.
    pub requests: u64,
    /// Token requests.
    pub token_requests: u64,
    /// Tokens issued.
    pub tokens_issued: u64,
    /// API calls (everything but token requests).
    pub api_calls: u64,
    /// Route template → status → count.
    pub outcomes: BTreeMap<String, BTreeMap<u16, u64>>,
    /// Retries after a 5xx, 408 or 429.
    pub retries: u64,
    /// The shortest wait before such a retry, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shortest_retry_ms: Option<u64>,
    /// The first request graded (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// The last request graded (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
}

/// Where the rehearsal stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RehearsalState {
    /// The seed (give it back to repeat the rehearsal).
    pub seed: u64,
    /// How long the slow answer is held, in milliseconds.
    pub slow_ms: u64,
    /// The faults asked for.
    pub faults: Vec<FaultKind>,
    /// Those with a verdict.
    pub done: Vec<FaultKind>,
    /// The fault in progress and its phase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    /// The faults still to come, in order.
    pub queued: Vec<FaultKind>,
}

/// The report of one merchant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The merchant.
    pub msn: String,
    /// Graded as a partner integration.
    pub partner: bool,
    /// The worst grade of any item (`not-exercised` only when nothing
    /// was).
    pub verdict: Status,
    /// Items that failed.
    pub failed: Vec<String>,
    /// The checklist items.
    pub items: Vec<Item>,
    /// The counts behind them.
    pub traffic: Traffic,
    /// The last errors the integration got and what it did next.
    pub errors: Vec<ErrorFollow>,
    /// The rehearsal, if one was started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rehearsal: Option<RehearsalState>,
    /// What the simulator cannot see, to be checked by a person.
    pub cannot_see: Vec<String>,
    /// Links to fetch ([`check_links`]).
    #[serde(skip)]
    links: Vec<String>,
}

/// What the simulator cannot see.
pub const CANNOT_SEE: [&str; 3] = [
    "Whether errors are shown to customers and staff in words they understand: the simulator sees only the requests. Try each rehearsal fault and look at what your shop and back office show.",
    "Whether customer support has the tools and information it needs without portal.vipps.no: check that staff can find an order's receipt, category and delivery history, e.g. with the support console (`vipps-om console`) or the CLI (`vipps-om order get ORDER_ID`).",
    "Whether the Vipps branding follows the design guidelines beyond image sizes and links, and whether the production keys work: check the order in the app and with `vipps-om doctor` against production.",
];

const ENDPOINTS: &str = "Endpoints";
const HEADERS: &str = "Vipps HTTP headers";
const TOKENS: &str = "Tokens";
const ERRORS: &str = "Errors handled";
const DESIGN: &str = "Design guidelines";
const RECEIPTS: &str = "Receipts";

fn item(id: &str, section: &'static str, title: &str, status: Status, summary: String) -> Item {
    Item {
        id: id.to_owned(),
        section,
        title: title.to_owned(),
        status,
        summary,
        evidence: Vec::new(),
        hint: None,
    }
}

impl Item {
    fn with_evidence(mut self, evidence: impl IntoIterator<Item = Evidence>) -> Item {
        self.evidence.extend(evidence);
        self
    }

    fn with_hint(mut self, hint: impl Into<String>) -> Item {
        if self.status != Status::Pass {
            self.hint = Some(hint.into());
        }
        self
    }
}

/// Builds the report of `msn` from its book (if it sent anything) and
/// the stored orders and images.
pub(crate) fn build(
    msn: &str,
    book: Option<&MerchantBook>,
    partner: bool,
    orders: &[StoredOrder],
    images: &[StoredImage],
) -> Report {
    let empty = MerchantBook::default();
    let book = book.unwrap_or(&empty);
    let orders: Vec<&StoredOrder> = orders
        .iter()
        .filter(|o| o.merchant_serial_number == msn)
        .collect();
    let images: Vec<&StoredImage> = images
        .iter()
        .filter(|i| i.merchant_serial_number == msn)
        .collect();
    let mut items = endpoints(book);
    items.extend(headers(book, partner));
    items.extend(tokens(book));
    items.extend(errors(book));
    let (design, links) = design(book, &orders, &images);
    items.extend(design);
    items.push(receipts(book));
    let verdict = verdict(&items);
    let failed = items
        .iter()
        .filter(|i| i.status == Status::Fail)
        .map(|i| i.id.clone())
        .collect();
    Report {
        msn: msn.to_owned(),
        partner,
        verdict,
        failed,
        items,
        traffic: Traffic {
            requests: book.requests,
            token_requests: book.token_requests,
            tokens_issued: book.tokens_issued,
            api_calls: book.api_calls,
            outcomes: book
                .outcomes
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            retries: book.retries,
            shortest_retry_ms: book.shortest_retry_ms,
            first_seen: book.first_seen.map(crate::reply::utc_timestamp),
            last_seen: book.last_seen.map(crate::reply::utc_timestamp),
        },
        errors: book.errors.iter().cloned().collect(),
        rehearsal: book.rehearsal.as_ref().map(|r| RehearsalState {
            seed: r.seed,
            slow_ms: u64::try_from(r.slow.as_millis()).unwrap_or(u64::MAX),
            faults: r.requested.clone(),
            done: r.outcomes.keys().copied().collect(),
            current: r.current().map(|(k, phase)| format!("{k}: {phase}")),
            queued: r.queued(),
        }),
        cannot_see: CANNOT_SEE.iter().map(|s| (*s).to_owned()).collect(),
        links,
    }
}

fn verdict(items: &[Item]) -> Status {
    items
        .iter()
        .map(|i| i.status)
        .max()
        .unwrap_or(Status::NotExercised)
}

fn endpoints(book: &MerchantBook) -> Vec<Item> {
    let calls = |route: Route| -> (u64, u64) {
        book.outcomes
            .get(route.template())
            .map(|by| {
                let all = by.values().fold(0u64, |a, b| a.saturating_add(*b));
                let ok = by
                    .iter()
                    .filter(|(s, _)| (200..300).contains(*s))
                    .fold(0u64, |a, (_, n)| a.saturating_add(*n));
                (all, ok)
            })
            .unwrap_or((0, 0))
    };
    let mut items = Vec::new();
    let four = [
        (
            "endpoints.upload-image",
            "Add an image (POST /order-management/v1/images)",
            vec![Route::UploadImage],
        ),
        (
            "endpoints.set-category",
            "Add a category (PUT /order-management/v2/{paymentType}/categories/{orderId})",
            vec![Route::SetCategoryV2],
        ),
        (
            "endpoints.add-receipt",
            "Add a receipt (POST /order-management/v2/{paymentType}/receipts/{orderId})",
            vec![Route::AddReceipt],
        ),
        (
            "endpoints.get-order",
            "Get the order with category and receipt (GET /order-management/v2/{paymentType}/{orderId})",
            vec![Route::GetOrder],
        ),
        (
            "endpoints.v3-categories",
            "v3 categories (POST, GET, DELETE /order-management/v3/categories)",
            vec![
                Route::AddCategoryV3,
                Route::ListCategoriesV3,
                Route::GetCategoryV3,
                Route::DeleteCategoryV3,
            ],
        ),
    ];
    for (id, title, routes) in four {
        let (all, ok) = routes.iter().fold((0u64, 0u64), |(a, o), r| {
            let (x, y) = calls(*r);
            (a.saturating_add(x), o.saturating_add(y))
        });
        let status = if all == 0 {
            Status::NotExercised
        } else if ok == 0 {
            Status::Fail
        } else {
            Status::Pass
        };
        let summary = format!("{all} call(s), {ok} answered with success");
        items.push(
            item(id, ENDPOINTS, title, status, summary).with_hint(if all == 0 {
                "the checklist asks for every endpoint to be integrated; call it at least once"
            } else {
                "no call succeeded; see the request log (GET /_sim/requests) for the reasons"
            }),
        );
    }
    // Payment types: each type tried must have succeeded somewhere.
    let succeeded: BTreeSet<&str> = book.succeeded_types.values().flatten().copied().collect();
    let tried = &book.tried_types;
    let status = if tried.is_empty() {
        Status::NotExercised
    } else if tried.iter().any(|t| !succeeded.contains(t)) {
        Status::Fail
    } else {
        Status::Pass
    };
    let per_route: Vec<String> = book
        .succeeded_types
        .iter()
        .map(|(route, types)| {
            format!(
                "{route}: {}",
                types.iter().copied().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    let summary = format!(
        "tried: {}; succeeded: {}",
        if tried.is_empty() {
            "none".to_owned()
        } else {
            tried.iter().copied().collect::<Vec<_>>().join(", ")
        },
        if per_route.is_empty() {
            "none".to_owned()
        } else {
            per_route.join("; ")
        }
    );
    items.push(
        item(
            "endpoints.payment-types",
            ENDPOINTS,
            "Both payment types if used (ECOM for eCom and ePayment, RECURRING for Recurring)",
            status,
            summary,
        )
        .with_hint("a payment type used without any success: use ECOM or RECURRING (\"other\" is any other value, e.g. ePayment)"),
    );
    items
}

fn headers(book: &MerchantBook, partner: bool) -> Vec<Item> {
    VIPPS_HEADERS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let token: &HeaderTally = &book.token_headers[i];
            let api: &HeaderTally = &book.api_headers[i];
            let requests = token.requests.saturating_add(api.requests);
            let problems = token.problems().saturating_add(api.problems());
            let status = if requests == 0 {
                Status::NotExercised
            } else if problems == 0 {
                Status::Pass
            } else if partner {
                Status::Fail
            } else {
                Status::Warn
            };
            let describe = |what: &str, t: &HeaderTally| {
                format!(
                    "{what}: {} of {} without a usable value ({} missing, {} empty, {} over {HEADER_MAX_CHARS} characters)",
                    t.problems(),
                    t.requests,
                    t.missing,
                    t.empty,
                    t.too_long
                )
            };
            let summary = format!(
                "{}; {}; longest value {} characters",
                describe("token requests", token),
                describe("API calls", api),
                token.longest.max(api.longest)
            );
            let id = format!("headers.{}", name.to_ascii_lowercase());
            let title = format!("{name} on every request, token request included, non-empty, at most {HEADER_MAX_CHARS} characters");
            let hint = if partner {
                format!("partners must send {name} on every request (checklist approval); set it to a value of 1 to {HEADER_MAX_CHARS} characters")
            } else {
                format!("send {name} on every request, the token request included (1 to {HEADER_MAX_CHARS} characters); it is mandatory for partners and helps Vipps support you")
            };
            item(&id, HEADERS, &title, status, summary)
                .with_evidence(
                    token
                        .first_problem
                        .iter()
                        .chain(api.first_problem.iter())
                        .cloned(),
                )
                .with_hint(hint)
        })
        .collect()
}

fn tokens(book: &MerchantBook) -> Vec<Item> {
    let calls = book.api_calls;
    let asked = book.token_requests;
    let (status, hint) = if calls == 0 {
        (Status::NotExercised, "")
    } else if calls >= TOKEN_PER_REQUEST_MIN_CALLS && asked >= calls {
        (
            Status::Fail,
            "a token was fetched for every request: cache the token and reuse it until shortly before it expires (tokens live 1 h in test, 24 h in production)",
        )
    } else if calls >= TOKEN_PER_REQUEST_MIN_CALLS && asked.saturating_mul(2) > calls {
        (
            Status::Warn,
            "more than one token per two requests: cache the token and reuse it while it is valid",
        )
    } else {
        (Status::Pass, "")
    };
    let reuse = item(
        "tokens.reused",
        TOKENS,
        "Tokens reused while valid (not a token per request)",
        status,
        format!(
            "{asked} token request(s) ({} issued) for {calls} API call(s)",
            book.tokens_issued
        ),
    )
    .with_hint(hint);

    let (status, summary) = if book.unrenewed > 0 {
        (
            Status::Fail,
            format!(
                "{} call(s) sent after a 401 without asking for a new token first",
                book.unrenewed
            ),
        )
    } else if book.refused_tokens > 0 {
        (
            Status::Warn,
            format!(
                "{} call(s) were refused with 401 because the token had expired or was revoked; a new token followed each",
                book.refused_tokens
            ),
        )
    } else if calls == 0 || !had_401(book) {
        (
            Status::NotExercised,
            "no token was refused; the rehearsal's revoked-token fault exercises this".to_owned(),
        )
    } else {
        (
            Status::Pass,
            "after each 401 a new token was asked for before the next call".to_owned(),
        )
    };
    let renewal = item(
        "tokens.renewed",
        TOKENS,
        "Tokens renewed before expiry, and after a 401",
        status,
        summary,
    )
    .with_evidence(
        book.first_unrenewed
            .iter()
            .chain(book.first_refused_token.iter())
            .cloned(),
    )
    .with_hint("renew the token shortly before `expires_in` runs out, and after a 401 fetch a new one and send the request again once");
    vec![reuse, renewal]
}

fn had_401(book: &MerchantBook) -> bool {
    book.outcomes
        .iter()
        .any(|(route, by)| *route != Route::AccessToken.template() && by.contains_key(&401))
}

fn errors(book: &MerchantBook) -> Vec<Item> {
    let rehearsal = book.rehearsal.as_ref();
    FaultKind::ALL
        .iter()
        .map(|&kind| {
            let (title, hint) = match kind {
                FaultKind::ServerError => (
                    "A 500 on a receipt POST: retried with a delay, the retry's 409 treated as done",
                    format!("retry a 5xx after a delay (at least {} ms, growing), and treat a 409 on a retry as \"already there\", not as an error for staff", MIN_RETRY_DELAY.as_millis()),
                ),
                FaultKind::RateLimit => (
                    "A 429 with Retry-After: 2: that request not sent again before 2 s",
                    format!("wait the seconds Retry-After names (here {RATE_LIMIT_SECS}) before sending that request again"),
                ),
                FaultKind::RevokedToken => (
                    "A 401 from a revoked token: a new token, then the request again, once",
                    "after a 401, fetch a new token and send the request again, once".to_owned(),
                ),
                FaultKind::InvalidRequest => (
                    "A 400 with invalidParams: the same body not sent again unchanged",
                    "a 400 names the fields that are wrong (invalidParams): show them, fix the data, and do not send the same body again".to_owned(),
                ),
                FaultKind::SlowAnswer => (
                    "A slow answer (beyond common client timeouts): the integration goes on",
                    format!("use a client timeout (the rehearsal holds the answer {} s by default), then retry once with a delay; for a receipt, a 409 on that retry means the first one arrived", DEFAULT_SLOW.as_secs()),
                ),
            };
            let id = format!("errors.{kind}");
            let provisional = rehearsal
                .and_then(|r| r.provisional(std::time::Instant::now()))
                .filter(|(k, _)| *k == kind)
                .map(|(_, o)| o);
            let outcome: Option<&FaultOutcome> = rehearsal
                .and_then(|r| r.outcomes.get(&kind))
                .or(provisional.as_ref());
            let mut it = match outcome {
                Some(o) => item(
                    &id,
                    ERRORS,
                    title,
                    if o.passed { Status::Pass } else { Status::Fail },
                    o.summary.clone(),
                )
                .with_evidence(o.evidence.iter().cloned()),
                None => {
                    let why = match rehearsal {
                        None => "no rehearsal ran: start one with `vipps-om sim --rehearse` or POST /_sim/rehearsal".to_owned(),
                        Some(r) if !r.requested.contains(&kind) => "not part of this rehearsal".to_owned(),
                        Some(r) => match r.current() {
                            Some((k, phase)) if k == kind => format!("in progress ({phase})"),
                            _ => "waiting its turn in the rehearsal".to_owned(),
                        },
                    };
                    item(&id, ERRORS, title, Status::NotExercised, why)
                }
            };
            // What the integration did outside the rehearsal counts too.
            match kind {
                FaultKind::ServerError if book.fast_retries > 0 => {
                    it.status = Status::Fail;
                    it.summary = format!(
                        "{}; {} request(s) were sent again without a delay after a failure",
                        it.summary, book.fast_retries
                    );
                    it.evidence.extend(book.first_fast_retry.iter().cloned());
                }
                FaultKind::InvalidRequest if book.resent_400s > 0 => {
                    it.status = Status::Fail;
                    it.summary = format!(
                        "{}; {} body(ies) refused with 400 were sent again unchanged",
                        it.summary, book.resent_400s
                    );
                    it.evidence.extend(book.first_resent_400.iter().cloned());
                }
                _ => {}
            }
            it.with_hint(hint)
        })
        .collect()
}

fn design(
    book: &MerchantBook,
    orders: &[&StoredOrder],
    images: &[&StoredImage],
) -> (Vec<Item>, Vec<String>) {
    let mut items = Vec::new();
    // Images.
    let used: BTreeSet<&str> = orders
        .iter()
        .flat_map(|o| o.categories.iter())
        .filter_map(|c| c.image_id.as_ref().map(|i| i.as_str()))
        .collect();
    let not_square: Vec<&&StoredImage> = images.iter().filter(|i| i.width != i.height).collect();
    let used_not_square = not_square
        .iter()
        .filter(|i| used.contains(i.image_id.as_str()))
        .count();
    let low: Vec<&&StoredImage> = images
        .iter()
        .filter(|i| i.height < MIN_IMAGE_HEIGHT)
        .collect();
    let status = if images.is_empty() && book.images_refused == 0 {
        Status::NotExercised
    } else if used_not_square > 0 || !low.is_empty() {
        Status::Fail
    } else if !not_square.is_empty() || book.images_refused > 0 {
        Status::Warn
    } else {
        Status::Pass
    };
    let mut summary = format!(
        "{} image(s) uploaded, {} used by a category; {} not square ({used_not_square} of them used); {} under {MIN_IMAGE_HEIGHT} px high; {} upload(s) refused",
        images.len(),
        used.len(),
        not_square.len(),
        low.len(),
        book.images_refused
    );
    if let Some(first) = not_square.first() {
        summary.push_str(&format!(
            "; e.g. {} is {}×{} px",
            first.image_id, first.width, first.height
        ));
    }
    items.push(
        item(
            "design.images",
            DESIGN,
            "Category images square and at least 167 px high",
            status,
            summary,
        )
        .with_evidence(book.first_image_refused.iter().cloned())
        .with_hint("use square PNG or JPEG images at least 167 px high (at most 2 MB); check one with `vipps-om image check FILE`"),
    );

    // Links: https here, whether they answer in check_links.
    let mut links: Vec<String> = Vec::new();
    for order in orders {
        for category in &order.categories {
            if !links.contains(&category.url) {
                links.push(category.url.clone());
            }
        }
    }
    let not_https: Vec<&String> = links
        .iter()
        .filter(|l| !l.to_ascii_lowercase().starts_with("https://"))
        .collect();
    let status = if links.is_empty() {
        Status::NotExercised
    } else if not_https.is_empty() {
        Status::Pass
    } else {
        Status::Fail
    };
    let mut summary = format!(
        "{} link(s) in categories; {} not https",
        links.len(),
        not_https.len()
    );
    if let Some(first) = not_https.first() {
        summary.push_str(&format!("; e.g. {}", shorten(first)));
    }
    items.push(
        item(
            "design.links",
            DESIGN,
            "Category links use https and answer without sign-in",
            status,
            summary,
        )
        .with_hint("links open in the phone's browser where the customer is not signed in: use https and a page that shows the order without a login (a signed link, for example); check one with `vipps-om category check URL`"),
    );
    links.truncate(MAX_LINKS_CHECKED);

    // Receipts add up and carry a tax rate.
    let mut receipts = 0usize;
    let mut lines = 0usize;
    let mut bad_sum: Vec<String> = Vec::new();
    let mut no_rate: Vec<String> = Vec::new();
    for order in orders {
        let Some(receipt) = &order.receipt else {
            continue;
        };
        receipts += 1;
        for (n, line) in receipt.order_lines.iter().enumerate() {
            lines += 1;
            let adds_up = line
                .total_amount_excluding_tax
                .checked_add(line.total_tax_amount)
                .is_some_and(|sum| sum == line.total_amount);
            let place = format!(
                "order {} line {} ({})",
                order.order_id,
                n + 1,
                shorten(&line.name)
            );
            if !adds_up {
                bad_sum.push(place.clone());
            }
            if line.tax_rate.is_none() && line.tax_percentage.is_none() {
                no_rate.push(place);
            }
        }
    }
    let status = if receipts == 0 {
        Status::NotExercised
    } else if bad_sum.is_empty() && no_rate.is_empty() {
        Status::Pass
    } else {
        Status::Fail
    };
    let mut summary = format!(
        "{receipts} receipt(s), {lines} line(s); {} line(s) where totalAmount ≠ totalAmountExcludingTax + totalTaxAmount; {} line(s) without taxRate",
        bad_sum.len(),
        no_rate.len()
    );
    if let Some(first) = bad_sum.first().or(no_rate.first()) {
        summary.push_str(&format!("; first: {first}"));
    }
    items.push(
        item(
            "design.receipts",
            DESIGN,
            "Receipt lines add up and carry a tax rate",
            status,
            summary,
        )
        .with_hint("each line's totalAmount must be totalAmountExcludingTax + totalTaxAmount, with taxRate (hundredths of a percent, 2500 = 25 %); `vipps-om receipt validate FILE` checks a receipt"),
    );
    (items, links)
}

fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        return text.to_owned();
    }
    let start: String = text.chars().take(MAX).collect();
    format!("{start}…")
}

fn receipts(book: &MerchantBook) -> Item {
    let posts = book
        .outcomes
        .get(Route::AddReceipt.template())
        .map(|by| by.values().fold(0u64, |a, b| a.saturating_add(*b)))
        .unwrap_or(0);
    let status = if posts == 0 {
        Status::NotExercised
    } else if book.conflicts_without_reason > 0 {
        Status::Fail
    } else {
        Status::Pass
    };
    let with_reason = book
        .receipt_conflicts
        .saturating_sub(book.conflicts_without_reason);
    item(
        "receipts.once",
        RECEIPTS,
        "One receipt per payment, built from final data (no 409 from sending again without a reason)",
        status,
        format!(
            "{posts} receipt POST(s): {} created; {with_reason} 409(s) after a failure or for a receipt sent with the payment; {} 409(s) from sending a created receipt again",
            book.receipts_created, book.conflicts_without_reason
        ),
    )
    .with_evidence(book.first_conflict_without_reason.iter().cloned())
    .with_hint("send the receipt once, when the order is final; keep a record that it was sent (a 409 means it is already there)")
}

/// What fetching a link showed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LinkAnswer {
    Open,
    SignIn(String),
    Broken(String),
    Unreachable,
}

/// Fetches the links of each report (at most [`MAX_LINKS_CHECKED`] per
/// merchant, all at once, each within [`LINK_CHECK_TIMEOUT`]) as the
/// customer's phone would: no cookies, no credentials, redirects followed
/// (at most [`LINK_MAX_REDIRECTS`]). A link that answers 2xx passes; 401,
/// 403 or a redirect to a sign-in page fails; a link this machine cannot
/// reach is reported as not checked.
pub async fn check_links(reports: &mut [Report]) {
    let Ok(client) = reqwest::Client::builder()
        .timeout(LINK_CHECK_TIMEOUT)
        .redirect(reqwest::redirect::Policy::limited(LINK_MAX_REDIRECTS))
        .user_agent("vipps-om-sim checklist (link check)")
        .build()
    else {
        return;
    };
    for report in reports.iter_mut() {
        if report.links.is_empty() {
            continue;
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (n, link) in report.links.iter().enumerate() {
            let client = client.clone();
            let link = link.clone();
            tasks.spawn(async move { (n, fetch(&client, &link).await) });
        }
        let mut answers = vec![LinkAnswer::Unreachable; report.links.len()];
        while let Some(done) = tasks.join_next().await {
            if let Ok((n, answer)) = done
                && let Some(slot) = answers.get_mut(n)
            {
                *slot = answer;
            }
        }
        let Some(it) = report.items.iter_mut().find(|i| i.id == "design.links") else {
            continue;
        };
        let open = answers.iter().filter(|a| **a == LinkAnswer::Open).count();
        let unreachable = answers
            .iter()
            .filter(|a| **a == LinkAnswer::Unreachable)
            .count();
        let bad: Vec<String> = answers
            .iter()
            .zip(&report.links)
            .filter_map(|(a, link)| match a {
                LinkAnswer::SignIn(why) | LinkAnswer::Broken(why) => {
                    Some(format!("{} {why}", shorten(link)))
                }
                _ => None,
            })
            .collect();
        it.summary.push_str(&format!(
            "; fetched {}: {open} answered without sign-in, {} did not, {unreachable} could not be reached from this machine (not graded)",
            answers.len(),
            bad.len()
        ));
        if let Some(first) = bad.first() {
            it.summary.push_str(&format!("; first: {first}"));
            it.status = Status::Fail;
            it.hint = Some("links open in the phone's browser where the customer is not signed in: use https and a page that shows the order without a login (a signed link, for example); check one with `vipps-om category check URL`".to_owned());
        }
        report.verdict = verdict(&report.items);
        report.failed = report
            .items
            .iter()
            .filter(|i| i.status == Status::Fail)
            .map(|i| i.id.clone())
            .collect();
    }
}

async fn fetch(client: &reqwest::Client, link: &str) -> LinkAnswer {
    let Ok(url) = reqwest::Url::parse(link) else {
        return LinkAnswer::Broken("is not a valid URL".to_owned());
    };
    if !matches!(url.scheme(), "http" | "https") {
        return LinkAnswer::Broken("is not a web link".to_owned());
    }
    match client.get(url).send().await {
        Ok(response) => {
            let status = response.status();
            let path = response.url().path().to_ascii_lowercase();
            let sign_in = ["login", "signin", "sign-in", "logon", "sso"]
                .iter()
                .any(|w| path.contains(w));
            if status.as_u16() == 401 || status.as_u16() == 403 {
                LinkAnswer::SignIn(format!("answered {} (asks for sign-in)", status.as_u16()))
            } else if sign_in {
                LinkAnswer::SignIn(format!(
                    "led to a sign-in page ({})",
                    shorten(response.url().as_str())
                ))
            } else if status.is_success() {
                LinkAnswer::Open
            } else {
                LinkAnswer::Broken(format!("answered {}", status.as_u16()))
            }
        }
        Err(e) if e.is_connect() || e.is_timeout() => LinkAnswer::Unreachable,
        Err(e) if e.is_redirect() => {
            LinkAnswer::Broken(format!("redirected more than {LINK_MAX_REDIRECTS} times"))
        }
        Err(_) => LinkAnswer::Unreachable,
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The reports as one self-contained HTML page: no scripts, no external
/// resources, laid out to print.
pub fn html(reports: &[Report]) -> String {
    let mut page = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Order Management checklist</title><style>\
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#1a1a1a}\
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1rem;margin:1.2rem 0 .4rem}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.35rem .5rem;vertical-align:top;text-align:left;font-size:.9rem}\
.s{font-weight:bold;white-space:nowrap}.pass{color:#11691f}.warn{color:#8a5a00}.fail{color:#b00020}.not-exercised{color:#555}\
small{color:#444}code{font-size:.85rem}@media print{body{margin:0}a{color:inherit}}\
</style></head><body>\n<h1>Vipps MobilePay Order Management: checklist</h1>\n",
    );
    if reports.is_empty() {
        page.push_str("<p>No merchant has sent requests yet.</p>\n");
    }
    for report in reports {
        page.push_str(&format!(
            "<h2>Merchant {} ({}): <span class=\"s {}\">{}</span></h2>\n",
            escape(&report.msn),
            if report.partner {
                "partner integration"
            } else {
                "direct integration"
            },
            kebab(report.verdict),
            report.verdict.label()
        ));
        let t = &report.traffic;
        page.push_str(&format!(
            "<p><small>{} request(s): {} token request(s), {} API call(s); {} retry(ies); from {} to {}.</small></p>\n",
            t.requests,
            t.token_requests,
            t.api_calls,
            t.retries,
            escape(t.first_seen.as_deref().unwrap_or("-")),
            escape(t.last_seen.as_deref().unwrap_or("-"))
        ));
        if let Some(r) = &report.rehearsal {
            page.push_str(&format!(
                "<p><small>Rehearsal (seed {}): {} of {} fault(s) judged{}.</small></p>\n",
                r.seed,
                r.done.len(),
                r.faults.len(),
                r.current
                    .as_deref()
                    .map(|c| format!("; now {}", escape(c)))
                    .unwrap_or_default()
            ));
        }
        let mut section = "";
        for it in &report.items {
            if it.section != section {
                if !section.is_empty() {
                    page.push_str("</table>\n");
                }
                section = it.section;
                page.push_str(&format!(
                    "<h3>{}</h3>\n<table><tr><th>Item</th><th>Result</th><th>What was seen</th></tr>\n",
                    escape(section)
                ));
            }
            let mut seen = escape(&it.summary);
            for e in &it.evidence {
                seen.push_str(&format!(
                    "<br><small><code>{} {}</code> at {} → {}: {}</small>",
                    escape(&e.method),
                    escape(&e.path),
                    escape(&e.at),
                    e.status,
                    escape(&e.detail)
                ));
            }
            if let Some(hint) = &it.hint {
                seen.push_str(&format!("<br><small>What to do: {}</small>", escape(hint)));
            }
            page.push_str(&format!(
                "<tr><td>{}<br><small><code>{}</code></small></td><td class=\"s {}\">{}</td><td>{}</td></tr>\n",
                escape(&it.title),
                escape(&it.id),
                kebab(it.status),
                it.status.label(),
                seen
            ));
        }
        if !section.is_empty() {
            page.push_str("</table>\n");
        }
        page.push_str("<h3>What the simulator cannot see (check these by hand)</h3>\n<ul>\n");
        for line in &report.cannot_see {
            page.push_str(&format!("<li>{}</li>\n", escape(line)));
        }
        page.push_str("</ul>\n");
    }
    page.push_str("</body></html>\n");
    page
}

fn kebab(status: Status) -> &'static str {
    match status {
        Status::NotExercised => "not-exercised",
        Status::Pass => "pass",
        Status::Warn => "warn",
        Status::Fail => "fail",
    }
}
