//! All simulator state and the control operations on it.
//!
//! [`SimState`] is a cheap handle (an `Arc`) shared by the server and by
//! tests. Everything that changes lives in one `Store` behind one
//! `std::sync::Mutex`: a std mutex rather than Tokio's because every
//! critical section is a few map operations and none spans an `.await`, so
//! requests never wait on each other for long, and "exactly one of many
//! identical receipt POSTs wins" is a plain check-and-insert under the lock.
//!
//! Data is keyed by merchant first: orders by (merchant, payment type,
//! orderId), images by (merchant, imageId), categories by id with their
//! owner remembered, so one merchant can never see another's data.
//!
//! # Bounds
//! Everything that grows with what clients send has a limit:
//! - orders (receipts, categories) and image records share a byte budget
//!   ([`crate::config::DEFAULT_STORE_BYTES`], 512 MiB, by default), by the
//!   store's own accounting: the receipt's JSON, URLs and ids, plus
//!   [`ORDER_OVERHEAD`], [`CATEGORY_OVERHEAD`], [`RECEIPT_OVERHEAD`] or
//!   [`IMAGE_OVERHEAD`] for the records around them. A write beyond it
//!   gets 507 naming the budget, until data is deleted or reset;
//! - an order holds at most [`MAX_CATEGORIES_PER_ORDER`] categories (507
//!   beyond);
//! - at most [`MAX_TOKENS`] access tokens live at once: beyond it expired
//!   ones are swept, then the one expiring first is revoked;
//! - at most [`MAX_FAULTS`] faults wait in the queue;
//! - the request log is bounded in entries and bytes ([`crate::observe`]);
//! - the counters are keyed by route template, status and configured
//!   merchant only, so they cannot grow with input.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use uuid::Uuid;
use vipps_om::image::ImageFormat;

use crate::rules::image::ImageInfo;
use vipps_om::{CategoryId, CategoryType, CategoryV3, ImageId, OrderId, PaymentType, Receipt};

use crate::config::{Merchant, Simulator};
use crate::faults::{Fault, FaultAction, FaultError};
use crate::observe::{Counters, LogEntry, LoggedRequest};
use crate::routes::Route;

/// Index of a merchant in the configuration.
pub(crate) type MerchantIx = usize;
/// Index of a partner in the configuration.
pub(crate) type PartnerIx = usize;

/// Whose keys a token or subscription key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyOwner {
    Merchant(MerchantIx),
    Partner(PartnerIx),
}

/// Bytes counted for each stored order beside its orderId: the map entry,
/// its key and record.
pub const ORDER_OVERHEAD: usize = 128;
/// Bytes counted for each stored category beside its URL, imageId and the
/// orderId in its index entry: the record and the index entry.
pub const CATEGORY_OVERHEAD: usize = 128;
/// Bytes counted for each stored receipt beside its JSON.
pub const RECEIPT_OVERHEAD: usize = 64;
/// Bytes counted for each image record beside its imageId (the image's
/// bytes are never kept).
pub const IMAGE_OVERHEAD: usize = 96;
/// Most categories one order (merchant, payment type, orderId) holds; v3
/// POST beyond it gets 507. The API documents no limit; this keeps a
/// `GET /v3/categories?orderId=` answer small.
pub const MAX_CATEGORIES_PER_ORDER: usize = 1000;
/// Most access tokens alive at once.
pub const MAX_TOKENS: usize = 10_000;
/// From this many tokens on, expired ones are swept when a token is issued.
const TOKEN_SWEEP_AT: usize = 1024;
/// Most faults waiting in the queue.
pub const MAX_FAULTS: usize = 1000;

/// Why the store refused a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreRefusal {
    /// The byte budget would be exceeded.
    Full { budget: usize },
    /// The order already has [`MAX_CATEGORIES_PER_ORDER`] categories.
    TooManyCategories,
}

impl StoreRefusal {
    /// The 507 the client gets.
    pub(crate) fn reply(self) -> crate::reply::Reply {
        let detail = match self {
            StoreRefusal::Full { budget } => format!(
                "The simulator's store is full: orders, categories and images use its whole budget of {budget} bytes ({} MiB). Delete categories, reset the simulator (POST /_sim/reset), or start it with a larger store (vipps-om sim --store-mib, or SimulatorBuilder::store_bytes).",
                budget / (1024 * 1024)
            ),
            StoreRefusal::TooManyCategories => format!(
                "This order already has {MAX_CATEGORIES_PER_ORDER} categories, the simulator's limit per order; delete some (DELETE /order-management/v3/categories/{{categoryId}}) or replace them all (PUT /order-management/v2/{{paymentType}}/categories/{{orderId}})."
            ),
        };
        crate::reply::Reply::problem(axum::http::StatusCode::INSUFFICIENT_STORAGE, detail)
    }
}

fn order_cost(key: &OrderKey) -> usize {
    ORDER_OVERHEAD.saturating_add(key.order_id.len())
}

fn category_cost(key: &OrderKey, record: &CategoryRecord) -> usize {
    CATEGORY_OVERHEAD
        .saturating_add(key.order_id.len())
        .saturating_add(record.url.len())
        .saturating_add(record.image_id.as_ref().map_or(0, |id| id.as_str().len()))
}

/// The two payment types the API knows, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    Ecom,
    Recurring,
}

impl Kind {
    /// From a v2 path segment: `ecom` or `recurring` in any case, nothing
    /// else (not even the client library's `ePayment` alias).
    pub(crate) fn from_path(segment: &str) -> Option<Kind> {
        if segment.eq_ignore_ascii_case("ecom") {
            Some(Kind::Ecom)
        } else if segment.eq_ignore_ascii_case("recurring") {
            Some(Kind::Recurring)
        } else {
            None
        }
    }

    /// The spec's spelling, `ECOM` or `RECURRING`.
    pub(crate) fn wire(self) -> &'static str {
        match self {
            Kind::Ecom => "ECOM",
            Kind::Recurring => "RECURRING",
        }
    }

    pub(crate) fn payment_type(self) -> PaymentType {
        match self {
            Kind::Ecom => PaymentType::Ecom,
            Kind::Recurring => PaymentType::Recurring,
        }
    }

    fn from_payment_type(payment_type: &PaymentType) -> Option<Kind> {
        match payment_type {
            PaymentType::Ecom => Some(Kind::Ecom),
            PaymentType::Recurring => Some(Kind::Recurring),
            _ => None,
        }
    }
}

/// Which order: one merchant's payment of one type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct OrderKey {
    pub(crate) merchant: MerchantIx,
    pub(crate) kind: Kind,
    pub(crate) order_id: Box<str>,
}

/// A stored category (v2 and v3 share them).
#[derive(Debug, Clone)]
pub(crate) struct CategoryRecord {
    pub(crate) id: Uuid,
    /// Global insertion order, so "latest" and list order are well defined.
    pub(crate) seq: u64,
    pub(crate) category_type: CategoryType,
    pub(crate) url: Box<str>,
    pub(crate) image_id: Option<ImageId>,
}

#[derive(Debug, Clone)]
pub(crate) struct ReceiptRecord {
    pub(crate) id: Uuid,
    /// The receipt as the API returns it, serialized once at POST time:
    /// compact to keep, and GET copies it out without re-encoding.
    pub(crate) json: Box<str>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct OrderRecord {
    /// Oldest first; the last one is what GET v2 shows.
    pub(crate) categories: Vec<CategoryRecord>,
    pub(crate) receipt: Option<ReceiptRecord>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct ImageRecord {
    pub(crate) facts: ImageInfo,
    seq: u64,
}

#[derive(Debug, Clone, Copy)]
struct TokenRecord {
    owner: KeyOwner,
    expires_at: Instant,
}

/// Everything that changes, behind the one mutex.
pub(crate) struct Store {
    tokens: HashMap<Box<str>, TokenRecord>,
    images: HashMap<(MerchantIx, Box<str>), ImageRecord>,
    pub(crate) orders: HashMap<OrderKey, OrderRecord>,
    /// ePayment payments ([`crate::epayment`]).
    pub(crate) payments: crate::epayment::Payments,
    /// categoryId → the order holding it.
    category_index: HashMap<Uuid, OrderKey>,
    next_seq: u64,
    faults: Vec<Fault>,
    log: VecDeque<LogEntry>,
    /// What the entries of `log` count against the log's byte budget.
    log_bytes: usize,
    next_log_id: u64,
    counters: Counters,
    /// What orders and images count against `budget`.
    stored_bytes: usize,
    budget: usize,
}

impl Default for Store {
    fn default() -> Self {
        Store::with_budget(crate::config::DEFAULT_STORE_BYTES)
    }
}

/// What a bearer token turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenLookup {
    Valid(MerchantIx),
    /// A partner's token: valid for the merchants linked to it.
    Partner(PartnerIx),
    Invalid,
}

impl Store {
    fn with_budget(budget: usize) -> Store {
        Store {
            tokens: HashMap::new(),
            images: HashMap::new(),
            orders: HashMap::new(),
            payments: HashMap::new(),
            category_index: HashMap::new(),
            next_seq: 0,
            faults: Vec::new(),
            log: VecDeque::new(),
            log_bytes: 0,
            next_log_id: 0,
            counters: Counters::default(),
            stored_bytes: 0,
            budget,
        }
    }

    /// Reserves `cost` bytes after releasing `freed`, or refuses.
    fn charge(&mut self, cost: usize, freed: usize) -> Result<(), StoreRefusal> {
        let after = self.stored_bytes.saturating_sub(freed).saturating_add(cost);
        if after > self.budget {
            return Err(StoreRefusal::Full {
                budget: self.budget,
            });
        }
        self.stored_bytes = after;
        Ok(())
    }

    /// What the order `key` costs if it is not stored yet.
    fn new_order_cost(&self, key: &OrderKey) -> usize {
        if self.orders.contains_key(key) {
            0
        } else {
            order_cost(key)
        }
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Keeps `token` (made by [`crate::jwt::TokenSigner`]) as live for
    /// `merchant` during `ttl`.
    pub(crate) fn issue_token(
        &mut self,
        merchant: MerchantIx,
        ttl: Duration,
        token: String,
    ) -> String {
        self.issue_token_for(KeyOwner::Merchant(merchant), ttl, token)
    }

    /// [`Store::issue_token`] for a merchant's or a partner's keys.
    pub(crate) fn issue_token_for(
        &mut self,
        owner: KeyOwner,
        ttl: Duration,
        token: String,
    ) -> String {
        let now = Instant::now();
        // Expired tokens are swept when tokens are issued, so a long run
        // that fetches tokens forever stays bounded; at the cap the token
        // expiring first is revoked.
        if self.tokens.len() >= TOKEN_SWEEP_AT {
            self.tokens.retain(|_, t| t.expires_at > now);
        }
        if self.tokens.len() >= MAX_TOKENS {
            let first = self
                .tokens
                .iter()
                .min_by_key(|(_, t)| t.expires_at)
                .map(|(token, _)| token.clone());
            if let Some(first) = first {
                self.tokens.remove(&first);
            }
        }
        self.tokens.insert(
            token.clone().into_boxed_str(),
            TokenRecord {
                owner,
                // The lifetime is at most MAX_TOKEN_TTL; saturate anyway.
                expires_at: now.checked_add(ttl).unwrap_or(now),
            },
        );
        token
    }

    pub(crate) fn lookup_token(&self, token: &str) -> TokenLookup {
        match self.tokens.get(token) {
            Some(t) if t.expires_at > Instant::now() => match t.owner {
                KeyOwner::Merchant(ix) => TokenLookup::Valid(ix),
                KeyOwner::Partner(px) => TokenLookup::Partner(px),
            },
            _ => TokenLookup::Invalid,
        }
    }

    pub(crate) fn has_image(&self, merchant: MerchantIx, image_id: &str) -> bool {
        self.images.contains_key(&(merchant, Box::from(image_id)))
    }

    /// Stores an image; `false` when the merchant already has this id.
    pub(crate) fn add_image(
        &mut self,
        merchant: MerchantIx,
        image_id: &str,
        facts: ImageInfo,
    ) -> Result<bool, StoreRefusal> {
        let key = (merchant, Box::from(image_id));
        if self.images.contains_key(&key) {
            return Ok(false);
        }
        self.charge(IMAGE_OVERHEAD.saturating_add(image_id.len()), 0)?;
        let seq = self.seq();
        self.images.insert(key, ImageRecord { facts, seq });
        Ok(true)
    }

    fn new_category(
        &mut self,
        category_type: CategoryType,
        url: String,
        image_id: Option<ImageId>,
    ) -> CategoryRecord {
        CategoryRecord {
            id: Uuid::new_v4(),
            seq: self.seq(),
            category_type,
            url: url.into_boxed_str(),
            image_id,
        }
    }

    /// v2 PUT: the order's categories become this one.
    pub(crate) fn replace_category(
        &mut self,
        key: OrderKey,
        category_type: CategoryType,
        url: String,
        image_id: Option<ImageId>,
    ) -> Result<Uuid, StoreRefusal> {
        let record = self.new_category(category_type, url, image_id);
        let freed: usize = self.orders.get(&key).map_or(0, |order| {
            order
                .categories
                .iter()
                .map(|c| category_cost(&key, c))
                .sum()
        });
        let cost = category_cost(&key, &record).saturating_add(self.new_order_cost(&key));
        self.charge(cost, freed)?;
        let id = record.id;
        let order = self.orders.entry(key.clone()).or_default();
        let old = std::mem::replace(&mut order.categories, vec![record]);
        for gone in old {
            self.category_index.remove(&gone.id);
        }
        self.category_index.insert(id, key);
        Ok(id)
    }

    /// v3 POST: one more category for the order.
    pub(crate) fn add_category(
        &mut self,
        key: OrderKey,
        category_type: CategoryType,
        url: String,
        image_id: Option<ImageId>,
    ) -> Result<Uuid, StoreRefusal> {
        if self
            .orders
            .get(&key)
            .is_some_and(|order| order.categories.len() >= MAX_CATEGORIES_PER_ORDER)
        {
            return Err(StoreRefusal::TooManyCategories);
        }
        let record = self.new_category(category_type, url, image_id);
        let cost = category_cost(&key, &record).saturating_add(self.new_order_cost(&key));
        self.charge(cost, 0)?;
        let id = record.id;
        self.orders
            .entry(key.clone())
            .or_default()
            .categories
            .push(record);
        self.category_index.insert(id, key);
        Ok(id)
    }

    /// A category of `merchant` by id.
    pub(crate) fn category(
        &self,
        merchant: MerchantIx,
        id: Uuid,
    ) -> Option<(&OrderKey, &CategoryRecord)> {
        let key = self.category_index.get(&id)?;
        if key.merchant != merchant {
            return None;
        }
        let record = self
            .orders
            .get(key)?
            .categories
            .iter()
            .find(|c| c.id == id)?;
        Some((key, record))
    }

    /// Deletes a category of `merchant`; `false` when there is none.
    pub(crate) fn delete_category(&mut self, merchant: MerchantIx, id: Uuid) -> bool {
        let Some(key) = self.category_index.get(&id).cloned() else {
            return false;
        };
        if key.merchant != merchant {
            return false;
        }
        self.category_index.remove(&id);
        let mut freed = 0usize;
        if let Some(order) = self.orders.get_mut(&key) {
            if let Some(at) = order.categories.iter().position(|c| c.id == id) {
                let gone = order.categories.remove(at);
                freed = category_cost(&key, &gone);
            }
            if order.categories.is_empty() && order.receipt.is_none() {
                self.orders.remove(&key);
                freed = freed.saturating_add(order_cost(&key));
            }
        }
        self.stored_bytes = self.stored_bytes.saturating_sub(freed);
        true
    }

    /// All categories of a merchant's orderId, both payment types, oldest
    /// first.
    pub(crate) fn categories_of(
        &self,
        merchant: MerchantIx,
        order_id: &str,
    ) -> Vec<(Kind, &CategoryRecord)> {
        let mut found: Vec<(Kind, &CategoryRecord)> = [Kind::Ecom, Kind::Recurring]
            .into_iter()
            .filter_map(|kind| {
                let key = OrderKey {
                    merchant,
                    kind,
                    order_id: Box::from(order_id),
                };
                self.orders
                    .get(&key)
                    .map(|o| o.categories.iter().map(move |c| (kind, c)))
            })
            .flatten()
            .collect();
        found.sort_by_key(|(_, c)| c.seq);
        found
    }

    /// Stores a receipt; `None` when the order already has one.
    pub(crate) fn add_receipt(
        &mut self,
        key: OrderKey,
        json: String,
    ) -> Result<Option<Uuid>, StoreRefusal> {
        if self.orders.get(&key).is_some_and(|o| o.receipt.is_some()) {
            return Ok(None);
        }
        let cost = RECEIPT_OVERHEAD
            .saturating_add(json.len())
            .saturating_add(self.new_order_cost(&key));
        self.charge(cost, 0)?;
        let order = self.orders.entry(key).or_default();
        let id = Uuid::new_v4();
        order.receipt = Some(ReceiptRecord {
            id,
            json: json.into_boxed_str(),
        });
        Ok(Some(id))
    }

    /// Takes one use of the first fault matching `route`.
    pub(crate) fn take_fault(&mut self, route: Route, msn: Option<&str>) -> Option<FaultAction> {
        let index = self.faults.iter().position(|f| f.matches(route, msn))?;
        let action = self.faults[index].take();
        if self.faults[index].count() == 0 {
            self.faults.remove(index);
        }
        Some(action)
    }

    /// A token request with partner `name`'s subscription key.
    pub(crate) fn count_partner_token_request(&mut self, name: &str, issued: bool) {
        *self
            .counters
            .partner_token_requests
            .entry(name.to_owned())
            .or_default() += 1;
        if issued {
            *self
                .counters
                .partner_tokens_issued
                .entry(name.to_owned())
                .or_default() += 1;
        }
    }

    /// An API call for merchant `msn` made with partner keys.
    pub(crate) fn count_partner_request(&mut self, msn: &str) {
        match self.counters.partner_requests.get_mut(msn) {
            Some(n) => *n += 1,
            None => {
                self.counters.partner_requests.insert(msn.to_owned(), 1);
            }
        }
    }

    pub(crate) fn count_token_request(&mut self, msn: &str, issued: bool) {
        *self
            .counters
            .token_requests
            .entry(msn.to_owned())
            .or_default() += 1;
        if issued {
            *self
                .counters
                .tokens_issued
                .entry(msn.to_owned())
                .or_default() += 1;
        }
    }
}

/// The shared simulator state: a cheap handle to clone into servers and
/// tests. Every control operation of the `/_sim/` API is a method here.
#[derive(Clone)]
pub struct SimState {
    inner: Arc<Inner>,
}

struct Inner {
    merchants: Vec<Merchant>,
    partners: Vec<crate::config::Partner>,
    /// Partner subscription key → partner (secrets: never printed).
    by_partner_key: HashMap<String, PartnerIx>,
    /// MSN → merchant.
    by_msn: HashMap<String, MerchantIx>,
    /// Per partner, the merchants linked to it.
    linked: Vec<std::collections::HashSet<MerchantIx>>,
    /// Subscription key → merchant. The keys are secrets: this map is never
    /// printed (`SimState`'s `Debug` shows only MSNs).
    by_subscription_key: HashMap<String, MerchantIx>,
    token_ttl: Duration,
    /// Strict mode for every merchant.
    strict: bool,
    log_capacity: usize,
    log_budget: usize,
    store_budget: usize,
    /// Signs access tokens (a key made at start-up).
    signer: crate::jwt::TokenSigner,
    store: Mutex<Store>,
    /// What each merchant's integration did ([`crate::checklist`]).
    checklist: crate::checklist::Checklist,
}

impl fmt::Debug for SimState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let msns: Vec<&str> = self
            .inner
            .merchants
            .iter()
            .map(|m| m.merchant_serial_number().as_str())
            .collect();
        f.debug_struct("SimState")
            .field("merchants", &msns)
            .field("token_ttl", &self.inner.token_ttl)
            .finish_non_exhaustive()
    }
}

/// An order as stored, for tests and `GET /_sim/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredOrder {
    /// Whose order.
    pub merchant_serial_number: String,
    /// `ECOM` or `RECURRING`.
    pub payment_type: PaymentType,
    /// The orderId.
    pub order_id: String,
    /// Its categories, oldest first (v2 and v3 alike).
    pub categories: Vec<CategoryV3>,
    /// Its receipt, if one was posted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
    /// The id the receipt POST answered with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_id: Option<Uuid>,
}

/// An uploaded image as stored (facts only; the bytes are not kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredImage {
    /// Whose image.
    pub merchant_serial_number: String,
    /// Its id.
    pub image_id: String,
    /// `PNG` or `JPEG`.
    pub format: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// File size in bytes.
    pub bytes: usize,
}

impl SimState {
    /// Fresh, empty state for `config`'s merchants.
    pub fn new(config: &Simulator) -> SimState {
        let by_subscription_key = config
            .merchants
            .iter()
            .enumerate()
            .filter(|(_, m)| m.has_own_keys())
            .map(|(i, m)| (m.subscription_key().to_owned(), i))
            .collect();
        let by_msn: HashMap<String, MerchantIx> = config
            .merchants
            .iter()
            .enumerate()
            .map(|(i, m)| (m.merchant_serial_number().to_string(), i))
            .collect();
        let by_partner_key = config
            .partners
            .iter()
            .enumerate()
            .map(|(i, p)| (p.subscription_key().to_owned(), i))
            .collect();
        let linked = config
            .partners
            .iter()
            .map(|p| {
                p.merchants()
                    .iter()
                    .filter_map(|msn| by_msn.get(msn.as_str()).copied())
                    .collect()
            })
            .collect();
        SimState {
            inner: Arc::new(Inner {
                partners: config.partners.clone(),
                by_partner_key,
                by_msn,
                linked,
                merchants: config.merchants.clone(),
                by_subscription_key,
                token_ttl: config.token_ttl,
                strict: config.strict,
                log_capacity: config.request_log_capacity,
                log_budget: config.request_log_bytes,
                store_budget: config.store_bytes,
                signer: crate::jwt::TokenSigner::new(),
                store: Mutex::new(Store::with_budget(config.store_bytes)),
                checklist: crate::checklist::Checklist::default(),
            }),
        }
    }

    /// Every merchant, the demo merchant first.
    pub fn merchants(&self) -> &[Merchant] {
        &self.inner.merchants
    }

    /// The built-in demo merchant.
    pub fn demo_merchant(&self) -> &Merchant {
        &self.inner.merchants[0]
    }

    /// The merchant with this MSN.
    pub fn merchant(&self, msn: &str) -> Option<&Merchant> {
        self.merchant_ix(msn).map(|ix| self.merchant_at(ix))
    }

    /// How long tokens live.
    pub fn token_ttl(&self) -> Duration {
        self.inner.token_ttl
    }

    /// A new signed token for `msn` living `lifetime_secs` (not yet live:
    /// [`Store::issue_token`] makes it so).
    pub(crate) fn mint_token(&self, msn: &str, lifetime_secs: u64) -> String {
        self.inner.signer.mint(msn, lifetime_secs)
    }

    pub(crate) fn merchant_at(&self, ix: MerchantIx) -> &Merchant {
        &self.inner.merchants[ix]
    }

    /// How this merchant's requests are checked.
    pub(crate) fn mode(&self, ix: MerchantIx) -> crate::rules::Mode {
        if self.inner.strict || self.merchant_at(ix).is_strict() {
            crate::rules::Mode::Strict
        } else {
            crate::rules::Mode::Default
        }
    }

    pub(crate) fn merchant_by_key(&self, key: &str) -> Option<MerchantIx> {
        self.inner.by_subscription_key.get(key).copied()
    }

    /// Whose subscription key `key` is: a merchant's or a partner's.
    pub(crate) fn key_owner(&self, key: &str) -> Option<KeyOwner> {
        match self.merchant_by_key(key) {
            Some(ix) => Some(KeyOwner::Merchant(ix)),
            None => self
                .inner
                .by_partner_key
                .get(key)
                .map(|&px| KeyOwner::Partner(px)),
        }
    }

    pub(crate) fn partner_at(&self, px: PartnerIx) -> &crate::config::Partner {
        &self.inner.partners[px]
    }

    /// The merchant `msn` if it is linked to partner `px`.
    pub(crate) fn linked_merchant(&self, px: PartnerIx, msn: &str) -> Option<MerchantIx> {
        let ix = self.inner.by_msn.get(msn).copied()?;
        self.inner
            .linked
            .get(px)
            .is_some_and(|set| set.contains(&ix))
            .then_some(ix)
    }

    /// The MSN a request acts for, from its subscription key and (for
    /// partner keys) its `Merchant-Serial-Number` header when that
    /// merchant is linked to the partner: what faults aim at and the
    /// request log shows.
    pub(crate) fn acting_msn(&self, key: Option<&str>, msn_header: Option<&str>) -> Option<String> {
        let ix = match self.key_owner(key?.trim())? {
            KeyOwner::Merchant(ix) => ix,
            KeyOwner::Partner(px) => self.linked_merchant(px, msn_header?.trim())?,
        };
        Some(self.merchant_at(ix).merchant_serial_number().to_string())
    }

    /// Every partner, in the order configured.
    pub fn partners(&self) -> &[crate::config::Partner] {
        &self.inner.partners
    }

    /// Whether any API call for merchant `msn` since start (or the last
    /// reset) was made with partner keys (the `partner` flag of a
    /// merchant's go-live checklist); see also
    /// [`crate::Counters::partner_requests`].
    pub fn used_partner_keys(&self, msn: &str) -> bool {
        self.lock()
            .counters
            .partner_requests
            .get(msn)
            .is_some_and(|n| *n > 0)
    }

    fn merchant_ix(&self, msn: &str) -> Option<MerchantIx> {
        self.inner.by_msn.get(msn).copied()
    }

    /// The store, locked. A panic while locked cannot leave the maps
    /// half-updated in a way that matters more than a crash would, so a
    /// poisoned lock is simply taken over.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Store> {
        self.inner
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets all orders, images, tokens, faults, logged requests and
    /// counters. Merchants stay.
    pub fn reset(&self) {
        let fresh = Store::with_budget(self.inner.store_budget);
        // The old store is freed after the lock is released.
        let old = std::mem::replace(&mut *self.lock(), fresh);
        drop(old);
        self.inner.checklist.reset();
    }

    /// The checklist's books ([`crate::checklist`]).
    pub(crate) fn checklist_books(&self) -> &crate::checklist::Checklist {
        &self.inner.checklist
    }

    /// Revokes every token that acts for the merchant `msn` (the
    /// rehearsal's revoked-token fault): its own, and those of partners
    /// linked to it.
    pub(crate) fn revoke_tokens_of(&self, msn: &str) {
        if let Some(ix) = self.merchant_ix(msn) {
            let acts_for = |owner: KeyOwner| match owner {
                KeyOwner::Merchant(m) => m == ix,
                KeyOwner::Partner(px) => self.linked_merchant(px, msn).is_some(),
            };
            self.lock().tokens.retain(|_, t| !acts_for(t.owner));
        }
    }

    /// Marks the receipt slot of an order as taken, as a receipt sent with
    /// an ePayment payment would: `receipt` (a receipt's JSON) is stored
    /// and returned by the GET when given; without it the slot is taken but
    /// holds nothing to read back. `Ok(false)` when the slot was already
    /// taken; `Err` for an unknown merchant, payment type or a full store.
    pub fn mark_receipt_taken(
        &self,
        msn: &str,
        payment_type: &str,
        order_id: &str,
        receipt: Option<&Receipt>,
    ) -> Result<bool, String> {
        let merchant = self.merchant_ix(msn).ok_or_else(|| {
            format!(
                "no merchant has msn {:?}",
                msn.chars().take(40).collect::<String>()
            )
        })?;
        let kind = Kind::from_path(payment_type)
            .ok_or_else(|| "paymentType must be ecom or recurring".to_owned())?;
        if OrderId::new(order_id).is_err() {
            return Err("orderId must match ^[0-9A-Za-z-_.]+$".to_owned());
        }
        let json = match receipt {
            Some(r) => serde_json::to_string(r).map_err(|e| e.to_string())?,
            None => String::new(),
        };
        let key = OrderKey {
            merchant,
            kind,
            order_id: Box::from(order_id),
        };
        match self.lock().add_receipt(key, json) {
            Ok(added) => Ok(added.is_some()),
            Err(StoreRefusal::Full { budget }) => Err(format!(
                "the simulator's store is full ({budget} bytes); reset it (POST /_sim/reset)"
            )),
            Err(StoreRefusal::TooManyCategories) => Err("the order is full".to_owned()),
        }
    }

    /// Revokes every issued token: the next API call with one gets 401, as
    /// after expiry.
    pub fn revoke_tokens(&self) {
        self.lock().tokens.clear();
    }

    /// Queues a fault after checking it ([`Fault::check`]); refused when
    /// [`MAX_FAULTS`] are already waiting.
    pub fn inject_fault(&self, fault: Fault) -> Result<(), FaultError> {
        fault.check()?;
        if let Some(msn) = fault.merchant()
            && self.merchant(msn).is_none()
        {
            let shown: String = msn.chars().take(40).collect();
            return Err(FaultError::new(format!(
                "no merchant has msn {shown:?}; use the MSN of a merchant the simulator serves (the demo merchant or one from the merchants file) or leave msn out to hit every merchant"
            )));
        }
        let mut store = self.lock();
        if store.faults.len() >= MAX_FAULTS {
            return Err(FaultError::new(format!(
                "{MAX_FAULTS} faults are already waiting, the simulator's limit; clear them (DELETE /_sim/faults) or let requests use them up"
            )));
        }
        store.faults.push(fault);
        Ok(())
    }

    /// The faults still waiting, with their uses left.
    pub fn faults(&self) -> Vec<Fault> {
        self.lock().faults.clone()
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// The request log, oldest first (secrets masked).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        // Copied out under the lock, bodies read into JSON after it.
        let entries: Vec<LogEntry> = self.lock().log.iter().cloned().collect();
        entries.into_iter().map(LogEntry::logged).collect()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        let mut store = self.lock();
        let old = std::mem::take(&mut store.log);
        store.log_bytes = 0;
        drop(store);
        drop(old);
    }

    /// What the request log holds by its own accounting, in bytes: never
    /// more than the configured budget
    /// ([`crate::config::DEFAULT_REQUEST_LOG_BYTES`] by default).
    pub fn request_log_bytes(&self) -> usize {
        self.lock().log_bytes
    }

    /// What stored orders and images count against the store's budget
    /// ([`crate::config::DEFAULT_STORE_BYTES`] by default), in bytes.
    pub fn stored_bytes(&self) -> usize {
        self.lock().stored_bytes
    }

    /// The traffic counters.
    pub fn counters(&self) -> Counters {
        self.lock().counters.clone()
    }

    pub(crate) fn record(&self, mut entry: LogEntry, counter_key: &str) {
        let capacity = self.inner.log_capacity;
        let budget = self.inner.log_budget;
        let mut store = self.lock();
        // Counter keys are route templates: after the first request the
        // key exists, and no String is allocated to look it up.
        let requests = &mut store.counters.requests;
        if !requests.contains_key(counter_key) {
            requests.insert(counter_key.to_owned(), BTreeMap::new());
        }
        if let Some(by_status) = requests.get_mut(counter_key) {
            *by_status.entry(entry.status).or_default() += 1;
        }
        store.next_log_id += 1;
        entry.id = store.next_log_id;
        let size = entry.bytes();
        // Entries dropped to make room are freed after the lock is
        // released: usually none or one, which needs no list.
        let mut first_dropped = None;
        let mut more_dropped = Vec::new();
        if capacity == 0 || size > budget {
            first_dropped = Some(entry);
        } else {
            while store.log.len() >= capacity || store.log_bytes.saturating_add(size) > budget {
                let Some(oldest) = store.log.pop_front() else {
                    break;
                };
                store.log_bytes = store.log_bytes.saturating_sub(oldest.bytes());
                match first_dropped {
                    None => first_dropped = Some(oldest),
                    Some(_) => more_dropped.push(oldest),
                }
            }
            store.log_bytes = store.log_bytes.saturating_add(size);
            store.log.push_back(entry);
        }
        drop(store);
        drop(first_dropped);
        drop(more_dropped);
    }

    /// Every stored order of every merchant, by MSN, orderId and type.
    pub fn orders(&self) -> Vec<StoredOrder> {
        let store = self.lock();
        let mut keys: Vec<&OrderKey> = store.orders.keys().collect();
        keys.sort_by(|a, b| {
            (a.merchant, &a.order_id, a.kind).cmp(&(b.merchant, &b.order_id, b.kind))
        });
        keys.into_iter()
            .filter_map(|key| {
                let order = store.orders.get(key)?;
                Some(self.stored_order(key, order))
            })
            .collect()
    }

    /// One order, by MSN, payment type and orderId.
    pub fn order(
        &self,
        msn: &str,
        payment_type: &PaymentType,
        order_id: &str,
    ) -> Option<StoredOrder> {
        let key = OrderKey {
            merchant: self.merchant_ix(msn)?,
            kind: Kind::from_payment_type(payment_type)?,
            order_id: Box::from(order_id),
        };
        let store = self.lock();
        let order = store.orders.get(&key)?;
        Some(self.stored_order(&key, order))
    }

    /// The receipt stored for an order, if any.
    pub fn receipt(
        &self,
        msn: &str,
        payment_type: &PaymentType,
        order_id: &str,
    ) -> Option<Receipt> {
        self.order(msn, payment_type, order_id)?.receipt
    }

    fn stored_order(&self, key: &OrderKey, order: &OrderRecord) -> StoredOrder {
        StoredOrder {
            merchant_serial_number: self
                .merchant_at(key.merchant)
                .merchant_serial_number()
                .to_string(),
            payment_type: key.kind.payment_type(),
            order_id: key.order_id.to_string(),
            categories: order
                .categories
                .iter()
                .filter_map(|c| category_v3(key.kind, &key.order_id, c))
                .collect(),
            receipt: order
                .receipt
                .as_ref()
                .and_then(|r| serde_json::from_str(&r.json).ok()),
            receipt_id: order.receipt.as_ref().map(|r| r.id),
        }
    }

    /// Every uploaded image, in upload order.
    pub fn images(&self) -> Vec<StoredImage> {
        let store = self.lock();
        let mut images: Vec<(&(MerchantIx, Box<str>), &ImageRecord)> =
            store.images.iter().collect();
        images.sort_by_key(|(_, record)| record.seq);
        images
            .into_iter()
            .map(|((merchant, id), record)| StoredImage {
                merchant_serial_number: self
                    .merchant_at(*merchant)
                    .merchant_serial_number()
                    .to_string(),
                image_id: id.to_string(),
                format: match record.facts.format {
                    ImageFormat::Png => "PNG",
                    ImageFormat::Jpeg => "JPEG",
                },
                width: record.facts.width,
                height: record.facts.height,
                bytes: record.facts.bytes,
            })
            .collect()
    }
}

/// A stored category in the v3 `Category` shape.
pub(crate) fn category_v3(kind: Kind, order_id: &str, c: &CategoryRecord) -> Option<CategoryV3> {
    let mut category = CategoryV3::new(
        CategoryId::from_uuid(c.id),
        OrderId::new(order_id).ok()?,
        kind.payment_type(),
        c.category_type.clone(),
        c.url.to_string(),
    );
    category.image_id = c.image_id.clone();
    Some(category)
}

impl From<&Simulator> for SimState {
    fn from(config: &Simulator) -> Self {
        SimState::new(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(merchant: MerchantIx, order_id: &str) -> OrderKey {
        OrderKey {
            merchant,
            kind: Kind::Ecom,
            order_id: order_id.into(),
        }
    }

    #[test]
    fn payment_type_segments_are_case_insensitive_but_strict() {
        for s in ["ecom", "eCom", "ECOM"] {
            assert_eq!(Kind::from_path(s), Some(Kind::Ecom));
        }
        assert_eq!(Kind::from_path("Recurring"), Some(Kind::Recurring));
        assert_eq!(Kind::from_path("ePayment"), None);
        assert_eq!(Kind::from_path(""), None);
    }

    #[test]
    fn replacing_a_category_forgets_the_old_ids() {
        let mut store = Store::default();
        let first = store
            .add_category(key(0, "o"), CategoryType::General, "https://a".into(), None)
            .unwrap();
        let second = store
            .replace_category(key(0, "o"), CategoryType::Ticket, "https://b".into(), None)
            .unwrap();
        assert!(store.category(0, first).is_none());
        assert!(store.category(0, second).is_some());
        assert!(store.category(1, second).is_none(), "another merchant's");
        assert!(!store.delete_category(1, second));
        assert!(store.delete_category(0, second));
        assert!(store.orders.is_empty(), "empty orders are dropped");
        assert_eq!(store.stored_bytes, 0, "everything stored was released");
    }

    #[test]
    fn a_receipt_is_stored_once() {
        let mut store = Store::default();
        assert!(
            store
                .add_receipt(key(0, "o"), "{}".into())
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .add_receipt(key(0, "o"), "{}".into())
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .add_receipt(key(1, "o"), "{}".into())
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn writes_beyond_the_budget_are_refused_and_deletes_make_room() {
        let one_receipt = RECEIPT_OVERHEAD + 1000 + ORDER_OVERHEAD + 1;
        let mut store = Store::with_budget(2 * one_receipt);
        let json = "x".repeat(1000);
        assert!(store.add_receipt(key(0, "a"), json.clone()).is_ok());
        assert!(store.add_receipt(key(0, "b"), json.clone()).is_ok());
        assert_eq!(store.stored_bytes, 2 * one_receipt);
        assert_eq!(
            store.add_receipt(key(0, "c"), json.clone()),
            Err(StoreRefusal::Full {
                budget: 2 * one_receipt
            })
        );
        // A receipt already there is still a 409, not a 507.
        assert_eq!(store.add_receipt(key(0, "a"), json), Ok(None));
        let reply = StoreRefusal::Full { budget: 512 << 20 }.reply();
        assert_eq!(reply.status.as_u16(), 507);

        let mut store = Store::with_budget(10_000);
        let id = store
            .add_category(key(0, "o"), CategoryType::General, "u".repeat(5000), None)
            .unwrap();
        assert!(
            store
                .add_category(key(0, "o"), CategoryType::General, "u".repeat(5000), None)
                .is_err()
        );
        assert!(store.delete_category(0, id));
        assert_eq!(store.stored_bytes, 0);
        assert!(
            store
                .add_category(key(0, "o"), CategoryType::General, "u".repeat(5000), None)
                .is_ok()
        );
    }

    #[test]
    fn an_order_holds_a_bounded_number_of_categories() {
        let mut store = Store::default();
        for _ in 0..MAX_CATEGORIES_PER_ORDER {
            store
                .add_category(key(0, "o"), CategoryType::General, "https://a".into(), None)
                .unwrap();
        }
        assert_eq!(
            store.add_category(key(0, "o"), CategoryType::General, "https://a".into(), None),
            Err(StoreRefusal::TooManyCategories)
        );
        // v2 PUT replaces them all, so it still works.
        assert!(
            store
                .replace_category(key(0, "o"), CategoryType::General, "https://b".into(), None)
                .is_ok()
        );
    }

    #[test]
    fn live_tokens_are_capped() {
        let mut store = Store::default();
        let first = store.issue_token(0, Duration::from_secs(60), Uuid::new_v4().to_string());
        for _ in 0..MAX_TOKENS {
            store.issue_token(0, Duration::from_secs(60), Uuid::new_v4().to_string());
        }
        assert_eq!(store.tokens.len(), MAX_TOKENS);
        assert_eq!(
            store.lookup_token(&first),
            TokenLookup::Invalid,
            "the oldest went first"
        );
    }

    #[test]
    fn tokens_expire() {
        let mut store = Store::default();
        let token = store.issue_token(0, Duration::from_millis(1), Uuid::new_v4().to_string());
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(store.lookup_token(&token), TokenLookup::Invalid);
        let token = store.issue_token(0, Duration::from_secs(60), Uuid::new_v4().to_string());
        assert_eq!(store.lookup_token(&token), TokenLookup::Valid(0));
        assert_eq!(store.lookup_token("nope"), TokenLookup::Invalid);
    }
}
