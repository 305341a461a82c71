//! What the outbox stores and reports: [`NewJob`] (work to enqueue, made
//! from the client library's typed requests), and [`JobStatus`] with its
//! [`JobState`], [`Outcome`] and [`FieldProblem`]s (what a job looks like
//! to staff and to the support console). [`Timestamp`] is how every time
//! is kept: milliseconds since the Unix epoch, shown as RFC 3339 UTC.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Serialize, Serializer};
use vipps_om::{
    AddCategoryRequest, Category, Image, MerchantSerialNumber, OrderId, PaymentType, Receipt,
    ValidationReport,
};

use crate::error::OutboxError;
use crate::request::JobRequest;

/// The id of a job, unique within one outbox database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct JobId(i64);

impl JobId {
    /// The job with this number (as shown by `Display` and stored in the
    /// database).
    pub const fn new(id: i64) -> Self {
        JobId(id)
    }

    /// The number.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Which API call a job makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// `POST /v1/images` (payload: [`Image`]).
    Image,
    /// `PUT /v2/{paymentType}/categories/{orderId}` (payload: [`Category`]).
    CategoryV2,
    /// `POST /v3/categories` (payload: [`AddCategoryRequest`]).
    CategoryV3,
    /// `POST /v2/{paymentType}/receipts/{orderId}` (payload: [`Receipt`]).
    Receipt,
}

impl JobKind {
    /// Every kind.
    pub const ALL: [JobKind; 4] = [
        JobKind::Image,
        JobKind::CategoryV2,
        JobKind::CategoryV3,
        JobKind::Receipt,
    ];

    /// The name stored in the database and shown to people.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Image => "image",
            JobKind::CategoryV2 => "category_v2",
            JobKind::CategoryV3 => "category_v3",
            JobKind::Receipt => "receipt",
        }
    }

    /// The kind with this stored name.
    pub fn parse(name: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// What it delivers, in words: "receipt", "image", ...
    pub fn describe(self) -> &'static str {
        match self {
            JobKind::Image => "image",
            JobKind::CategoryV2 => "category (v2)",
            JobKind::CategoryV3 => "category (v3)",
            JobKind::Receipt => "receipt",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a job is in its life. A job leaves the outbox's care only as
/// [`JobState::Delivered`] or [`JobState::Failed`] (with reasons).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for its first attempt, for a retry after a transient
    /// failure, or for an earlier job of its order.
    Pending,
    /// Claimed by a worker that holds a lease on it.
    InFlight,
    /// The API has it.
    Delivered,
    /// The API refused it for good; kept with the reasons for staff to fix
    /// and retry.
    Failed,
}

impl JobState {
    /// Every state.
    pub const ALL: [JobState; 4] = [
        JobState::Pending,
        JobState::InFlight,
        JobState::Delivered,
        JobState::Failed,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::InFlight => "in_flight",
            JobState::Delivered => "delivered",
            JobState::Failed => "failed",
        }
    }

    /// The state with this stored name.
    pub fn parse(name: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a delivered job got there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The attempt that succeeded created it.
    Created,
    /// An earlier attempt of this job had stored it (the API answered 409,
    /// or a matching v3 category was found before adding another).
    AlreadyPresent,
    /// It was stored before this job's first attempt by something else,
    /// with the same content: a receipt read back from the API and
    /// compared; an image compared with what this outbox uploaded under
    /// that id, or taken as the same when this outbox never uploaded that
    /// id (images cannot be read back). Different content is not
    /// delivered: the job fails ([`JobStatus::different_content`]).
    AlreadyThere,
}

impl Outcome {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::AlreadyPresent => "already_present",
            Outcome::AlreadyThere => "already_there",
        }
    }

    /// The outcome with this stored name.
    pub fn parse(name: &str) -> Option<Outcome> {
        [
            Outcome::Created,
            Outcome::AlreadyPresent,
            Outcome::AlreadyThere,
        ]
        .into_iter()
        .find(|o| o.as_str() == name)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field the API (or local validation) rejected, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FieldProblem {
    /// The JSON path of the field, e.g. `orderLines[0].name`.
    pub path: String,
    /// Why it was rejected.
    pub reason: String,
}

/// A point in time: milliseconds since the Unix epoch (UTC). `Display` and
/// JSON show it as RFC 3339, e.g. `2025-11-25T15:56:00.123Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The time `ms` milliseconds after the Unix epoch (before it when
    /// negative).
    pub const fn from_millis(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    /// The current time from this machine's clock.
    pub fn now() -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub fn as_millis(self) -> i64 {
        self.0
    }

    /// As a [`SystemTime`] (the epoch for a value the platform's clock
    /// cannot represent).
    pub fn to_system_time(self) -> SystemTime {
        let offset = Duration::from_millis(self.0.unsigned_abs());
        if self.0 >= 0 {
            UNIX_EPOCH.checked_add(offset)
        } else {
            UNIX_EPOCH.checked_sub(offset)
        }
        .unwrap_or(UNIX_EPOCH)
    }

    /// How long after `earlier` this is (zero when it is not after).
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400_000);
        let ms_of_day = self.0.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        let (h, m, s, ms) = (
            ms_of_day / 3_600_000,
            ms_of_day / 60_000 % 60,
            ms_of_day / 1000 % 60,
            ms_of_day % 1000,
        );
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z"
        )
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm, proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Work to put in the outbox: one API call for one order, with the request
/// body as the client library serializes it.
///
/// Made from typed requests ([`NewJob::receipt`], [`NewJob::image`],
/// [`NewJob::category`], [`NewJob::category_v3`]), which never fails on
/// content: local validation happens when the job is delivered, and a job
/// that does not pass it is kept as failed with every problem named. A
/// checkout that enqueues a receipt therefore never fails because of the
/// receipt. [`NewJob::parse`] reads JSON written by people and validates it
/// first, for tools that want to refuse bad input at once.
///
/// Jobs of one order (merchant, payment type, orderId) are delivered one
/// at a time in the order they were enqueued, so enqueue an image before
/// the category that shows it. An image is not tied to a payment in the
/// API; its job names the order it belongs to for that sequence.
///
/// Every job has an **idempotency key**: enqueuing a job whose key the
/// outbox already holds (for the same merchant) stores nothing and answers
/// with the earlier job ([`crate::Enqueued::already_queued`]). By default
/// the key is derived from the merchant, payment type, orderId, kind and
/// request body, so enqueuing the same work twice (a rerun of a bulk
/// import, a checkout retried) queues it once; set your own with
/// [`NewJob::with_idempotency_key`] (e.g. your order's event id) to make
/// "the same job" mean something else. A key stays taken until its job is
/// purged, and it is kept when staff replace a job's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub(crate) merchant_serial_number: MerchantSerialNumber,
    pub(crate) payment_type: PaymentType,
    pub(crate) order_id: OrderId,
    pub(crate) request: JobRequest,
    /// `request` as stored: the plain API body ([`JobRequest::body_json`]).
    pub(crate) body: String,
    pub(crate) idempotency_key: String,
}

/// The longest idempotency key a caller can set
/// ([`NewJob::with_idempotency_key`]): 200 bytes.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 200;

/// The default idempotency key: `v1:` and the SHA-256 (hex) of the
/// merchant, payment type, orderId, kind and request body.
pub(crate) fn default_key(
    kind: JobKind,
    msn: &MerchantSerialNumber,
    payment_type: &PaymentType,
    order_id: &OrderId,
    payload: &str,
) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in [
        msn.as_str(),
        payment_type.as_str(),
        order_id.as_str(),
        kind.as_str(),
        payload,
    ] {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("v1:{hex}")
}

impl NewJob {
    /// A job that sends `request` for `payment_type` order `order_id` with
    /// the merchant's credentials. A v3 category must name the same order
    /// and payment type.
    pub fn new(
        merchant_serial_number: &MerchantSerialNumber,
        payment_type: &PaymentType,
        order_id: &OrderId,
        request: impl Into<JobRequest>,
    ) -> Result<NewJob, OutboxError> {
        let request = request.into();
        if payment_type.path_segment().is_none() {
            return Err(OutboxError::InvalidJob(format!(
                "paymentType {payment_type:?} is not known; use {}",
                PaymentType::expected()
            )));
        }
        let mismatch = request.check_order(payment_type, order_id);
        if let Some(problem) = mismatch.errors().next() {
            return Err(OutboxError::InvalidJob(problem.message.clone()));
        }
        let body = request.body_json().map_err(|e| {
            OutboxError::InvalidJob(format!("the request cannot be written as JSON: {e}"))
        })?;
        let idempotency_key = default_key(
            request.kind(),
            merchant_serial_number,
            payment_type,
            order_id,
            &body,
        );
        Ok(NewJob {
            merchant_serial_number: merchant_serial_number.clone(),
            payment_type: payment_type.clone(),
            order_id: order_id.clone(),
            request,
            body,
            idempotency_key,
        })
    }

    /// Order details (a receipt) for a payment.
    pub fn receipt(
        merchant_serial_number: &MerchantSerialNumber,
        payment_type: &PaymentType,
        order_id: &OrderId,
        receipt: &Receipt,
    ) -> Result<NewJob, OutboxError> {
        NewJob::new(
            merchant_serial_number,
            payment_type,
            order_id,
            receipt.clone(),
        )
    }

    /// An image upload, delivered in the sequence of the given order
    /// (before the category of that order that shows it).
    pub fn image(
        merchant_serial_number: &MerchantSerialNumber,
        payment_type: &PaymentType,
        order_id: &OrderId,
        image: &Image,
    ) -> Result<NewJob, OutboxError> {
        NewJob::new(
            merchant_serial_number,
            payment_type,
            order_id,
            image.clone(),
        )
    }

    /// The v2 category (link button) of a payment; it replaces any earlier
    /// one, so delivering it twice is harmless.
    pub fn category(
        merchant_serial_number: &MerchantSerialNumber,
        payment_type: &PaymentType,
        order_id: &OrderId,
        category: &Category,
    ) -> Result<NewJob, OutboxError> {
        NewJob::new(
            merchant_serial_number,
            payment_type,
            order_id,
            category.clone(),
        )
    }

    /// A v3 category. The order and payment type are the request's own.
    pub fn category_v3(
        merchant_serial_number: &MerchantSerialNumber,
        request: &AddCategoryRequest,
    ) -> Result<NewJob, OutboxError> {
        NewJob::new(
            merchant_serial_number,
            &request.payment_type,
            &request.order_id,
            request.clone(),
        )
    }

    /// Reads a request body written by people (a file, a support tool) with
    /// the client library's parsers ([`JobRequest::parse`]), which name
    /// every problem with its field path. Returns the job and its
    /// warnings, or every problem (a v3 category must name the job's order
    /// and payment type).
    pub fn parse(
        kind: JobKind,
        merchant_serial_number: &MerchantSerialNumber,
        payment_type: &PaymentType,
        order_id: &OrderId,
        body: &[u8],
    ) -> Result<(NewJob, ValidationReport), ValidationReport> {
        let (request, warnings) = JobRequest::parse(kind, body)?;
        let mut report = request.check_order(payment_type, order_id);
        if payment_type.path_segment().is_none() {
            report.error(
                "paymentType",
                format!("paymentType must be {}", PaymentType::expected()),
            );
        }
        if report.has_errors() {
            return Err(report);
        }
        let job =
            NewJob::new(merchant_serial_number, payment_type, order_id, request).map_err(|e| {
                let mut report = ValidationReport::new();
                report.error("", e.to_string());
                report
            })?;
        Ok((job, warnings))
    }

    /// Replaces the idempotency key (by default derived from the merchant,
    /// payment type, orderId, kind and body): jobs of one merchant with the
    /// same key are queued once. 1 to [`MAX_IDEMPOTENCY_KEY_LEN`] bytes of
    /// printable text.
    pub fn with_idempotency_key(mut self, key: impl Into<String>) -> Result<NewJob, OutboxError> {
        let key = key.into();
        if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
            return Err(OutboxError::InvalidJob(format!(
                "the idempotency key is {} bytes long; it must be 1 to {MAX_IDEMPOTENCY_KEY_LEN} bytes",
                key.len()
            )));
        }
        if key.chars().any(char::is_control) {
            return Err(OutboxError::InvalidJob(
                "the idempotency key contains control characters; use printable text".to_owned(),
            ));
        }
        self.idempotency_key = key;
        Ok(self)
    }

    /// Its idempotency key.
    pub fn idempotency_key(&self) -> &str {
        &self.idempotency_key
    }

    /// Which call it makes.
    pub fn kind(&self) -> JobKind {
        self.request.kind()
    }

    /// The merchant whose credentials deliver it.
    pub fn merchant_serial_number(&self) -> &MerchantSerialNumber {
        &self.merchant_serial_number
    }

    /// The payment type of its order.
    pub fn payment_type(&self) -> &PaymentType {
        &self.payment_type
    }

    /// Its order.
    pub fn order_id(&self) -> &OrderId {
        &self.order_id
    }

    /// What it sends.
    pub fn request(&self) -> &JobRequest {
        &self.request
    }

    /// The request body as stored (JSON text, the plain API body; see
    /// [`crate::request`]).
    pub fn body(&self) -> &str {
        &self.body
    }
}

/// A job as staff and the support console see it (without its request,
/// which [`crate::Outbox::job_request`] returns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JobStatus {
    /// Its id.
    pub id: JobId,
    /// Which call it makes.
    pub kind: JobKind,
    /// The merchant whose credentials deliver it.
    pub merchant_serial_number: String,
    /// `ECOM` or `RECURRING`.
    pub payment_type: String,
    /// The order.
    pub order_id: String,
    /// Where it is.
    pub state: JobState,
    /// Attempts started so far (a claimed job counts as attempted).
    pub attempts: u32,
    /// Attempts since it was enqueued or last retried by staff: what
    /// [`crate::WorkerConfig::max_attempts`] limits (a retry by staff
    /// gives the job its whole budget again).
    pub attempts_since_retry: u32,
    /// Its idempotency key (none for jobs enqueued before schema 3).
    pub idempotency_key: Option<String>,
    /// Failed because the API already holds a different receipt for this
    /// order (or different content under this image id), which cannot be
    /// replaced: the app keeps showing the stored one.
    pub different_content: bool,
    /// The last failure in plain language: why it failed for good, or why
    /// the last attempt of a pending job did not get through.
    pub last_error: Option<String>,
    /// The HTTP status of that failure, when the API answered.
    pub last_status: Option<u16>,
    /// The fields the API (or local validation) rejected.
    pub problems: Vec<FieldProblem>,
    /// How it was delivered.
    pub outcome: Option<Outcome>,
    /// The id the API answered with (receipt id, category id, image id),
    /// when it sent one.
    pub result_id: Option<String>,
    /// When a pending job may be tried next.
    pub next_attempt_at: Option<Timestamp>,
    /// The worker holding it, while in flight.
    pub lease_owner: Option<String>,
    /// When that worker's lease ends unless renewed.
    pub leased_until: Option<Timestamp>,
    /// When it was enqueued.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// When it was delivered.
    pub delivered_at: Option<Timestamp>,
    /// When it failed for good.
    pub failed_at: Option<Timestamp>,
    /// The earliest job of the same order that is not delivered yet and
    /// holds this one back (jobs of an order go one at a time, in order).
    pub blocked_by: Option<JobId>,
}

impl JobStatus {
    /// One line in plain language: what is happening to this job.
    pub fn summary(&self) -> String {
        match self.state {
            JobState::Delivered => match self.outcome {
                Some(Outcome::AlreadyThere) if self.kind == JobKind::Receipt => {
                    "delivered: the API already had this same receipt before the first attempt"
                        .to_owned()
                }
                Some(Outcome::AlreadyThere) if self.kind == JobKind::Image => {
                    "delivered: the API already had an image with this id before the first attempt (images cannot be read back; an id this outbox uploaded is compared, so use ids derived from the image's bytes)".to_owned()
                }
                Some(Outcome::AlreadyThere) => format!(
                    "delivered: the API already had this {} before the first attempt",
                    self.kind.describe()
                ),
                Some(Outcome::AlreadyPresent) => {
                    "delivered (an earlier attempt had stored it)".to_owned()
                }
                _ => "delivered".to_owned(),
            },
            JobState::Failed if self.different_content => format!(
                "failed: a different {} is already stored; {}s cannot be changed (the app shows the stored one)",
                self.kind.describe(),
                self.kind.describe()
            ),
            JobState::Failed => format!(
                "failed: {}; fix it and retry",
                self.last_error
                    .as_deref()
                    .and_then(|e| e.lines().next())
                    .unwrap_or("no reason recorded")
            ),
            JobState::InFlight => format!(
                "being delivered by {} (attempt {})",
                self.lease_owner.as_deref().unwrap_or("a worker"),
                self.attempts
            ),
            JobState::Pending => match (self.blocked_by, &self.last_error) {
                (Some(earlier), _) => {
                    format!("waiting for job {earlier} of the same order to be delivered first")
                }
                (None, Some(error)) => format!(
                    "will try again{}; last attempt: {}",
                    self.next_attempt_at
                        .map(|t| format!(" at {t}"))
                        .unwrap_or_default(),
                    error.lines().next().unwrap_or_default()
                ),
                (None, None) => "waiting for a worker".to_owned(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_as_rfc3339() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Timestamp(1_764_086_160_123).to_string(),
            "2025-11-25T15:56:00.123Z"
        );
        assert_eq!(
            Timestamp(951_782_400_000).to_string(),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59.999Z");
        // Any stored value prints and converts without a panic.
        for extreme in [i64::MAX, i64::MIN] {
            assert!(!Timestamp(extreme).to_string().is_empty());
            let _ = Timestamp(extreme).to_system_time();
            let _ = Timestamp(extreme).since(Timestamp(-extreme.saturating_add(1)));
        }
    }

    #[test]
    fn names_round_trip() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.as_str()), Some(kind));
        }
        for state in JobState::ALL {
            assert_eq!(JobState::parse(state.as_str()), Some(state));
        }
        assert_eq!(Outcome::parse("already_there"), Some(Outcome::AlreadyThere));
        assert_eq!(JobKind::parse("receipts"), None);
    }

    #[test]
    fn the_default_key_is_derived_from_the_plain_api_body() {
        // The formula of schema 3 (merchant, payment type, orderId, kind,
        // the API body as JSON text, each ended by a NUL): a job enqueued
        // again after an upgrade is still "already queued".
        use sha2::{Digest, Sha256};
        let msn = MerchantSerialNumber::new("123456").unwrap();
        let order = OrderId::new("order-1").unwrap();
        let body = r#"{"category":"RECEIPT","orderDetailsUrl":"https://shop.example/o/1"}"#;
        let (job, _) = NewJob::parse(
            JobKind::CategoryV2,
            &msn,
            &PaymentType::Ecom,
            &order,
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(job.body(), body);
        let mut hash = Sha256::new();
        hash.update(b"123456\0ECOM\0order-1\0category_v2\0");
        hash.update(body.as_bytes());
        hash.update([0u8]);
        let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(job.idempotency_key(), format!("v1:{hex}"));
        let typed = JobRequest::from_body(JobKind::CategoryV2, body.as_bytes()).unwrap();
        let again = NewJob::new(&msn, &PaymentType::Ecom, &order, typed).unwrap();
        assert_eq!(again.idempotency_key(), job.idempotency_key());
    }

    #[test]
    fn parse_refuses_a_v3_body_for_another_order() {
        let msn = MerchantSerialNumber::new("123456").unwrap();
        let order = OrderId::new("order-1").unwrap();
        let body = br#"{"orderId":"order-2","paymentType":"ECOM","type":"RECEIPT","url":"https://shop.example/o/2"}"#;
        let report =
            NewJob::parse(JobKind::CategoryV3, &msn, &PaymentType::Ecom, &order, body).unwrap_err();
        assert!(report.errors().any(|p| p.path == "orderId"), "{report}");
    }

    #[test]
    fn parse_names_every_problem_of_a_receipt() {
        let msn = MerchantSerialNumber::new("123456").unwrap();
        let order = OrderId::new("order-1").unwrap();
        let report = NewJob::parse(
            JobKind::Receipt,
            &msn,
            &PaymentType::Ecom,
            &order,
            br#"{"orderLines": [{"name": ""}], "bottomLine": {}}"#,
        )
        .unwrap_err();
        assert!(report.errors().count() >= 2, "{report}");
    }
}
