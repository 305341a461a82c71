//! Webhooks for the shop: a signed JSON event, posted to the shop's own
//! endpoint, when a job **fails for good** (`job.failed`), is **delivered
//! after having failed** (`job.delivered_after_failure`: an attempt failed
//! before, or staff retried it), or has **waited longer than a threshold**
//! (`job.waiting`, once per job).
//!
//! **Nothing is lost.** An outcome event is written in the same database
//! transaction as the outcome that causes it (by workers configured with
//! [`crate::WorkerConfig::webhook_events`]); a waiting event by the scan
//! of [`run_webhooks`]. Each event stays in `vipps_om_outbox_events` until
//! the endpoint answered 2xx: a crash between the outcome and the post
//! only delays it. Delivery is **at least once**: a post whose answer was
//! lost is sent again, so the shop de-duplicates by the event's `id`
//! (also in the `Vipps-Om-Event-Id` header). Failed posts are retried
//! without limit with [`crate::Backoff`] (1 s doubling to 5 min, jitter).
//!
//! **Signature.** `Vipps-Om-Signature: t=UNIX,v1=HEX`, where `HEX` is the
//! lowercase hex HMAC-SHA256, keyed with the shared secret, of the text
//! `t + "." + body` (the Unix time in seconds, a dot, the raw body bytes).
//! A receiver recomputes it over the raw body, compares in constant time,
//! and refuses a `t` far from its clock (5 minutes,
//! [`SIGNATURE_TOLERANCE`]) so that a captured request cannot be replayed
//! later. [`verify`] does that in Rust; the README has PHP, Node.js and
//! Python.
//!
//! The body:
//!
//! ```json
//! {"id": "0d4c…", "type": "job.failed", "createdAt": "2026-12-02T07:00:00.000Z",
//!  "job": {"id": 42, "kind": "receipt", "merchantSerialNumber": "123456",
//!          "paymentType": "ecom", "orderId": "order-1001", "attempts": 1,
//!          "error": "…", "status": 400, "problems": [{"path": "…", "reason": "…"}],
//!          "differentContent": false}}
//! ```
//!
//! (`job.delivered_after_failure` has `outcome` and the earlier `error` and
//! `status`; `job.waiting` has `state`, `waitedSeconds` and the last
//! `error` and `status` if any.)
//!
//! Every statement is in `EventSql`, written once with the same `{now}`
//! hole as the job statements (and `{lock}` for `SKIP LOCKED`).

use std::future::Future;
use std::pin::pin;
use std::sync::LazyLock;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::json;
use sha2::Sha256;
use sqlx::Row;
use tokio::time::Instant;

use crate::Backoff;
use crate::db::{ClaimedJob, age_millis, ahead_millis, on_db};
use crate::error::OutboxError;
use crate::job::{JobId, Timestamp};
use crate::numbered::text;
use crate::outbox::Outbox;
use crate::worker::Verdict;

/// The header holding the signature: `t=UNIX,v1=HEX`.
pub const SIGNATURE_HEADER: &str = "Vipps-Om-Signature";
/// The header holding the event id (the body's `id`), to de-duplicate.
pub const EVENT_ID_HEADER: &str = "Vipps-Om-Event-Id";
/// The header holding the event type (the body's `type`).
pub const EVENT_TYPE_HEADER: &str = "Vipps-Om-Event-Type";

/// The shortest shared secret accepted: 16 bytes (a secret of 128 bits
/// written as text is longer; `openssl rand -hex 32` gives 64 characters).
pub const MIN_SECRET_LEN: usize = 16;
/// The longest shared secret accepted: 1,024 bytes.
pub const MAX_SECRET_LEN: usize = 1024;
/// How far a signature's `t` may be from the receiver's clock in
/// [`verify`]: 5 minutes.
pub const SIGNATURE_TOLERANCE: Duration = Duration::from_secs(300);
/// The default [`WebhookConfig::wait_threshold`]: 15 minutes, long enough
/// that a short outage of the API does not page anyone, short enough that
/// a stuck order is known the same hour.
pub const DEFAULT_WAIT_THRESHOLD: Duration = Duration::from_secs(15 * 60);
/// The shortest [`WebhookConfig::wait_threshold`]: 1 second.
pub const MIN_WAIT_THRESHOLD: Duration = Duration::from_secs(1);
/// How long one post may take before it counts as failed (and is tried
/// again later): 10 seconds.
pub const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// How many jobs one waiting scan turns into events at most (the next
/// scan takes the rest).
pub const WAITING_SCAN_BATCH: u32 = 500;
/// The most of the endpoint's answer kept in `last_error`: 200 bytes.
pub const KEPT_ANSWER_BYTES: usize = 200;

/// The kinds of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventType {
    /// A job failed for good (staff must fix it).
    #[serde(rename = "job.failed")]
    Failed,
    /// A job was delivered after an earlier attempt failed, or after
    /// staff retried it.
    #[serde(rename = "job.delivered_after_failure")]
    DeliveredAfterFailure,
    /// A job has waited longer than the threshold and is still not
    /// delivered.
    #[serde(rename = "job.waiting")]
    Waiting,
}

impl EventType {
    /// Its name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Failed => "job.failed",
            EventType::DeliveredAfterFailure => "job.delivered_after_failure",
            EventType::Waiting => "job.waiting",
        }
    }
}

/// A shared secret for signing. `Debug` never shows it.
#[derive(Clone)]
pub struct WebhookSecret(Vec<u8>);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookSecret({} bytes, hidden)", self.0.len())
    }
}

/// Why a webhook setting is refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookConfigError {
    /// The secret is too short or too long.
    #[error(
        "the webhook secret is {len} bytes long; it must be {MIN_SECRET_LEN} to {MAX_SECRET_LEN} bytes (make one with `openssl rand -hex 32`)"
    )]
    SecretLength {
        /// Its length (trailing line breaks left out).
        len: usize,
    },
    /// The URL cannot be posted to.
    #[error("the webhook URL {url:?} {why}; give an absolute http:// or https:// URL")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: String,
    },
    /// The HTTP client could not be built.
    #[error("the webhook HTTP client could not be set up: {0}")]
    Client(String),
}

impl WebhookSecret {
    /// A secret from the bytes of a secret file: trailing line breaks are
    /// left out (editors add one), anything else is kept.
    pub fn new(bytes: &[u8]) -> Result<WebhookSecret, WebhookConfigError> {
        let mut end = bytes.len();
        while end > 0 && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        let secret = &bytes[..end];
        if !(MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&secret.len()) {
            return Err(WebhookConfigError::SecretLength { len: secret.len() });
        }
        Ok(WebhookSecret(secret.to_vec()))
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes a key of any length; the error cannot happen.
        <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
    }
}

/// The `Vipps-Om-Signature` value for `body` sent at Unix time `t`
/// (seconds): `t=T,v1=HEX`.
pub fn sign(secret: &WebhookSecret, t: i64, body: &[u8]) -> String {
    let mut mac = secret.mac();
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a `Vipps-Om-Signature` value against the raw `body`: true when a
/// `v1` signature matches (compared in constant time) and `t` is within
/// [`SIGNATURE_TOLERANCE`] of `now` (Unix seconds).
pub fn verify(secret: &WebhookSecret, header: &str, body: &[u8], now: i64) -> bool {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    let tolerance = i64::try_from(SIGNATURE_TOLERANCE.as_secs()).unwrap_or(i64::MAX);
    if now.abs_diff(t) > tolerance.unsigned_abs() {
        return false;
    }
    signatures.into_iter().any(|hex_sig| {
        let Ok(given) = hex::decode(hex_sig) else {
            return false;
        };
        let mut mac = secret.mac();
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&given).is_ok()
    })
}

/// Where and how events are posted.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WebhookConfig {
    /// The shop's endpoint (http or https).
    pub url: reqwest::Url,
    /// The shared secret.
    pub secret: WebhookSecret,
    /// After how long a job that is still not delivered gets a
    /// `job.waiting` event (default [`DEFAULT_WAIT_THRESHOLD`]).
    pub wait_threshold: Duration,
    /// Waits between posts of one event that failed.
    pub backoff: Backoff,
    /// How long to wait before looking again when nothing is due (default
    /// 500 ms).
    pub poll_interval: Duration,
    /// Stop when no undelivered event is left ([`run_webhooks`] returns);
    /// by default it runs until shut down.
    pub stop_when_idle: bool,
}

impl WebhookConfig {
    /// Posts to `url`, signed with `secret`; the other settings at their
    /// defaults.
    pub fn new(url: &str, secret: WebhookSecret) -> Result<WebhookConfig, WebhookConfigError> {
        let bad = |why: &str| WebhookConfigError::Url {
            url: url.to_owned(),
            why: why.to_owned(),
        };
        let parsed =
            reqwest::Url::parse(url.trim()).map_err(|e| bad(&format!("is not a URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad("is not http or https"));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(bad("has no host"));
        }
        Ok(WebhookConfig {
            url: parsed,
            secret,
            wait_threshold: DEFAULT_WAIT_THRESHOLD,
            backoff: Backoff::default(),
            poll_interval: Duration::from_millis(500),
            stop_when_idle: false,
        })
    }

    /// Sets [`WebhookConfig::wait_threshold`] (at least [`MIN_WAIT_THRESHOLD`]).
    pub fn wait_threshold(mut self, threshold: Duration) -> Self {
        self.wait_threshold = threshold.max(MIN_WAIT_THRESHOLD);
        self
    }

    /// Sets [`WebhookConfig::backoff`].
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sets [`WebhookConfig::poll_interval`].
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Sets [`WebhookConfig::stop_when_idle`].
    pub fn stop_when_idle(mut self, stop: bool) -> Self {
        self.stop_when_idle = stop;
        self
    }

    /// How often the waiting scan runs: a quarter of the threshold, between
    /// 1 s and 1 min.
    fn scan_interval(&self) -> Duration {
        (self.wait_threshold / 4).clamp(Duration::from_secs(1), Duration::from_secs(60))
    }
}

/// What [`run_webhooks`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookReport {
    /// Events the endpoint accepted (2xx).
    pub delivered: u64,
    /// Posts that failed (the event is tried again later).
    pub failed_posts: u64,
    /// `job.waiting` events made by the scan.
    pub waiting_events: u64,
}

/// An event as stored, for status pages and tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StoredEvent {
    /// The id the shop de-duplicates by.
    pub event_id: String,
    /// Its type (`job.failed`, ...).
    pub event_type: String,
    /// The job it is about.
    pub job_id: JobId,
    /// The body posted.
    pub body: String,
    /// Posts so far.
    pub attempts: u32,
    /// The last failed post's reason, if the last post failed.
    pub last_error: Option<String>,
    /// When the endpoint accepted it; `None` while undelivered.
    pub delivered_at: Option<Timestamp>,
}

// ------------------------------------------------------------------ SQL

const EVENTS: &str = "vipps_om_outbox_events";
const JOBS: &str = "vipps_om_outbox_jobs";

/// Every webhook statement of one dialect, in one place (the job
/// statements are in `db`).
pub(crate) struct EventSql {
    /// A new event; an event id or waiting job already stored is skipped.
    insert: String,
    /// The last error of a job (what a delivered job failed with before).
    previous_failure: String,
    /// Jobs that have waited longer than `$1` ms without a waiting event.
    waiting: String,
    /// The next due event, leased for `$1` ms, its post counted.
    claim: String,
    /// MySQL's claim, in three statements (see `claim_event_mysql`): the
    /// next due event's id, locked; ...
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))]
    claim_pick: String,
    /// ... its lease (`$1` ms, `$2` the id) ...
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))]
    claim_lease: String,
    /// ... and the event (`$1` the id).
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))]
    claimed: String,
    /// An event the endpoint accepted (`$1` id, `$2` attempts, `$3` status).
    delivered: String,
    /// An event to post again in `$3` ms (`$1` id, `$2` attempts, `$4`
    /// error, `$5` status).
    reschedule: String,
    /// Undelivered events.
    undelivered: String,
    /// Events of a job, oldest first.
    of_job: String,
    /// The newest `$1` events.
    recent: String,
}

impl EventSql {
    fn new(now: &str, lock: &str) -> EventSql {
        let f = |s: String| s.replace("{now}", now).replace("{lock}", lock);
        let columns = "event_id, event_type, job_id, body, attempts, last_error, delivered_at";
        EventSql {
            insert: f(format!(
                "INSERT INTO {EVENTS} (event_id, event_type, job_id, waiting_job_id, body, attempts, \
                 next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 0, {{now}}, {{now}}) \
                 ON CONFLICT DO NOTHING"
            )),
            previous_failure: format!("SELECT last_error, last_status FROM {JOBS} WHERE id = $1"),
            waiting: f(format!(
                "SELECT j.id, j.kind, j.merchant_serial_number, j.payment_type, j.order_id, j.state, \
                 j.attempts, j.last_error, j.last_status, {{now}} - j.created_at AS waited \
                 FROM {JOBS} j WHERE j.state IN ('pending', 'in_flight') \
                 AND j.created_at <= {{now}} - $1 \
                 AND NOT EXISTS (SELECT 1 FROM {EVENTS} e WHERE e.waiting_job_id = j.id) \
                 ORDER BY j.id LIMIT {WAITING_SCAN_BATCH}"
            )),
            claim: f(format!(
                "UPDATE {EVENTS} SET leased_until = {{now}} + $1, attempts = attempts + 1 \
                 WHERE id = (SELECT e.id FROM {EVENTS} e WHERE e.delivered_at IS NULL \
                   AND e.next_attempt_at <= {{now}} \
                   AND (e.leased_until IS NULL OR e.leased_until <= {{now}}) \
                   ORDER BY e.next_attempt_at, e.id LIMIT 1 {{lock}}) \
                 RETURNING id, event_id, event_type, body, attempts"
            )),
            claim_pick: f(format!(
                "SELECT e.id FROM {EVENTS} e WHERE e.delivered_at IS NULL \
                 AND e.next_attempt_at <= {{now}} \
                 AND (e.leased_until IS NULL OR e.leased_until <= {{now}}) \
                 ORDER BY e.next_attempt_at, e.id LIMIT 1 {{lock}}"
            )),
            claim_lease: f(format!(
                "UPDATE {EVENTS} SET leased_until = {{now}} + $1, attempts = attempts + 1 \
                 WHERE id = $2"
            )),
            claimed: format!(
                "SELECT id, event_id, event_type, body, attempts FROM {EVENTS} WHERE id = $1"
            ),
            delivered: f(format!(
                "UPDATE {EVENTS} SET delivered_at = {{now}}, leased_until = NULL, last_error = NULL, \
                 last_status = $3 WHERE id = $1 AND attempts = $2"
            )),
            reschedule: f(format!(
                "UPDATE {EVENTS} SET next_attempt_at = {{now}} + $3, leased_until = NULL, \
                 last_error = $4, last_status = $5 WHERE id = $1 AND attempts = $2"
            )),
            undelivered: format!("SELECT COUNT(*) AS n FROM {EVENTS} WHERE delivered_at IS NULL"),
            of_job: format!("SELECT {columns} FROM {EVENTS} WHERE job_id = $1 ORDER BY id"),
            recent: format!("SELECT {columns} FROM {EVENTS} ORDER BY id DESC LIMIT $1"),
        }
    }
}

#[cfg(feature = "sqlite")]
static SQLITE: LazyLock<EventSql> = LazyLock::new(|| {
    EventSql::new(
        "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)",
        "",
    )
});

#[cfg(feature = "postgres")]
static POSTGRES: LazyLock<EventSql> = LazyLock::new(|| {
    EventSql::new(
        "(EXTRACT(EPOCH FROM now()) * 1000)::BIGINT",
        "FOR UPDATE SKIP LOCKED",
    )
});

/// MySQL's: its clock, `SKIP LOCKED` and `?` placeholders; an event id or
/// waiting job already stored is skipped with `INSERT IGNORE` (MySQL has no
/// `ON CONFLICT`); the claim is `claim_event_mysql`.
#[cfg(feature = "mysql")]
static MYSQL: LazyLock<EventSql> = LazyLock::new(|| {
    let sql = EventSql::new(crate::db::mysql::NOW, "FOR UPDATE SKIP LOCKED");
    let p = |s: String| crate::numbered::positional(&s);
    EventSql {
        insert: p(sql
            .insert
            .replacen("INSERT INTO", "INSERT IGNORE INTO", 1)
            .replace(" ON CONFLICT DO NOTHING", "")),
        previous_failure: p(sql.previous_failure),
        waiting: p(sql.waiting),
        claim: p(sql.claim),
        claim_pick: p(sql.claim_pick),
        claim_lease: p(sql.claim_lease),
        claimed: p(sql.claimed),
        delivered: p(sql.delivered),
        reschedule: p(sql.reschedule),
        undelivered: p(sql.undelivered),
        of_job: p(sql.of_job),
        recent: p(sql.recent),
    }
});

/// The event statements of a backend.
pub(crate) fn event_sql(backend: crate::Backend) -> &'static EventSql {
    match backend {
        #[cfg(feature = "sqlite")]
        crate::Backend::Sqlite => &SQLITE,
        #[cfg(feature = "postgres")]
        crate::Backend::Postgres => &POSTGRES,
        #[cfg(feature = "mysql")]
        crate::Backend::Mysql => &MYSQL,
        #[allow(unreachable_patterns)]
        _ => unreachable!("a backend this build was compiled without cannot be connected"),
    }
}

/// An event to store.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent {
    event_id: String,
    event_type: EventType,
    job_id: i64,
    waiting_job_id: Option<i64>,
    body: String,
}

impl NewEvent {
    fn new(event_type: EventType, job_id: i64, job: serde_json::Value) -> NewEvent {
        let event_id = uuid::Uuid::new_v4().to_string();
        let body = json!({
            "id": event_id,
            "type": event_type,
            "createdAt": Timestamp::now(),
            "job": job,
        })
        .to_string();
        NewEvent {
            event_id,
            event_type,
            job_id,
            waiting_job_id: (event_type == EventType::Waiting).then_some(job_id),
            body,
        }
    }
}

/// The INSERT of an event, for either backend.
pub(crate) fn insert_event<'q, DB>(
    sql: &'q EventSql,
    event: &'q NewEvent,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query::<DB>(&sql.insert)
        .bind(event.event_id.as_str())
        .bind(event.event_type.as_str())
        .bind(event.job_id)
        .bind(event.waiting_job_id)
        .bind(event.body.as_str())
}

impl Outbox {
    /// The event an attempt's verdict causes, if any: `job.failed` for a
    /// failure, `job.delivered_after_failure` for a delivery of a job that
    /// failed before (its `last_error` is still set).
    pub(crate) async fn outcome_event(
        &self,
        job: &ClaimedJob,
        verdict: &Verdict,
    ) -> Result<Option<NewEvent>, OutboxError> {
        let base = |extra: serde_json::Value| {
            let mut value = json!({
                "id": job.id.get(),
                "kind": job.kind,
                "merchantSerialNumber": job.merchant_serial_number,
                "paymentType": job.payment_type,
                "orderId": job.order_id,
                "attempts": job.attempts,
            });
            if let (Some(map), serde_json::Value::Object(extra)) = (value.as_object_mut(), extra) {
                map.extend(extra);
            }
            value
        };
        match verdict {
            Verdict::Failed {
                error,
                status,
                problems,
                different_content,
            } => Ok(Some(NewEvent::new(
                EventType::Failed,
                job.id.get(),
                base(json!({
                    "error": error,
                    "status": status,
                    "problems": problems,
                    "differentContent": different_content,
                })),
            ))),
            Verdict::Delivered { outcome, result_id } => {
                let sql = event_sql(self.backend());
                let previous: Option<(Option<String>, Option<i64>)> =
                    on_db!(self.db(), |pool, _s| {
                        async {
                            match sqlx::query(&sql.previous_failure)
                                .bind(job.id.get())
                                .fetch_optional(pool)
                                .await?
                            {
                                Some(row) => Ok::<_, sqlx::Error>(Some((
                                    text(&row, "last_error")?,
                                    row.try_get("last_status")?,
                                ))),
                                None => Ok(None),
                            }
                        }
                        .await
                    })
                    .map_err(OutboxError::db("read a job's earlier failure"))?;
                Ok(match previous {
                    Some((Some(error), status)) => Some(NewEvent::new(
                        EventType::DeliveredAfterFailure,
                        job.id.get(),
                        base(json!({
                            "outcome": outcome,
                            "resultId": result_id,
                            "previousError": error,
                            "previousStatus": status,
                        })),
                    )),
                    _ => None,
                })
            }
            Verdict::Retry { .. } | Verdict::LeaseLost => Ok(None),
        }
    }

    /// Makes a `job.waiting` event for every job (at most
    /// [`WAITING_SCAN_BATCH`]) pending or in flight for longer than
    /// `threshold` that has none yet; returns how many.
    pub async fn scan_waiting_jobs(&self, threshold: Duration) -> Result<u64, OutboxError> {
        let sql = event_sql(self.backend());
        let made = on_db!(self.db(), |pool, _s| {
            async {
                let rows = sqlx::query(&sql.waiting)
                    .bind(age_millis(threshold))
                    .fetch_all(pool)
                    .await?;
                let mut made = 0u64;
                for row in rows {
                    let id: i64 = row.try_get("id")?;
                    let waited: i64 = row.try_get("waited")?;
                    let event = NewEvent::new(
                        EventType::Waiting,
                        id,
                        json!({
                            "id": id,
                            "kind": text::<_, String>(&row, "kind")?,
                            "merchantSerialNumber": text::<_, String>(&row, "merchant_serial_number")?,
                            "paymentType": text::<_, String>(&row, "payment_type")?,
                            "orderId": text::<_, String>(&row, "order_id")?,
                            "state": text::<_, String>(&row, "state")?,
                            "attempts": row.try_get::<i64, _>("attempts")?,
                            "waitedSeconds": waited.max(0) / 1000,
                            "error": text::<_, Option<String>>(&row, "last_error")?,
                            "status": row.try_get::<Option<i64>, _>("last_status")?,
                        }),
                    );
                    made = made.saturating_add(
                        insert_event(sql, &event).execute(pool).await?.rows_affected(),
                    );
                }
                Ok::<u64, sqlx::Error>(made)
            }
            .await
        })
        .map_err(OutboxError::db("record waiting jobs for the webhook"))?;
        Ok(made)
    }

    /// How many events are not delivered yet.
    pub async fn undelivered_events(&self) -> Result<u64, OutboxError> {
        let sql = event_sql(self.backend());
        let n = on_db!(self.db(), |pool, _s| {
            sqlx::query(&sql.undelivered)
                .fetch_one(pool)
                .await
                .and_then(|r| r.try_get::<i64, _>("n"))
        })
        .map_err(OutboxError::db("count undelivered webhook events"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The webhook events of a job, oldest first.
    pub async fn job_events(&self, job: JobId) -> Result<Vec<StoredEvent>, OutboxError> {
        let sql = event_sql(self.backend());
        on_db!(self.db(), |pool, _s| {
            sqlx::query(&sql.of_job)
                .bind(job.get())
                .fetch_all(pool)
                .await
                .and_then(|rows| rows.iter().map(stored_event).collect())
        })
        .map_err(OutboxError::db("read webhook events"))
    }

    /// The newest `limit` webhook events, newest first.
    pub async fn recent_events(&self, limit: u32) -> Result<Vec<StoredEvent>, OutboxError> {
        let sql = event_sql(self.backend());
        on_db!(self.db(), |pool, _s| {
            sqlx::query(&sql.recent)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .and_then(|rows| rows.iter().map(stored_event).collect())
        })
        .map_err(OutboxError::db("read webhook events"))
    }

    async fn claim_event(&self, lease: Duration) -> Result<Option<ClaimedEvent>, OutboxError> {
        let sql = event_sql(self.backend());
        #[cfg(feature = "mysql")]
        #[allow(irrefutable_let_patterns)] // a MySQL-only build
        if let crate::db::Db::Mysql(pool) = self.db() {
            return claim_event_mysql(pool, sql, ahead_millis(lease))
                .await
                .map_err(OutboxError::db("claim a webhook event"));
        }
        on_db!(self.db(), |pool, _s| {
            async {
                match sqlx::query(&sql.claim)
                    .bind(ahead_millis(lease))
                    .fetch_optional(pool)
                    .await?
                {
                    Some(row) => claimed_event(&row).map(Some),
                    None => Ok(None),
                }
            }
            .await
        })
        .map_err(OutboxError::db("claim a webhook event"))
    }

    async fn record_post(
        &self,
        event: &ClaimedEvent,
        result: &Result<u16, (String, Option<u16>)>,
        wait: Duration,
    ) -> Result<(), OutboxError> {
        let sql = event_sql(self.backend());
        on_db!(self.db(), |pool, _s| {
            let query = match result {
                Ok(status) => crate::numbered::query(&sql.delivered)
                    .bind(event.id)
                    .bind(event.attempts)
                    .bind(i64::from(*status)),
                Err((error, status)) => crate::numbered::query(&sql.reschedule)
                    .bind(event.id)
                    .bind(event.attempts)
                    .bind(ahead_millis(wait))
                    .bind(error.clone())
                    .bind(status.map(i64::from)),
            };
            query.execute(pool).await.map(|_| ())
        })
        .map_err(OutboxError::db("record a webhook post"))
    }
}

fn stored_event<R>(row: &R) -> Result<StoredEvent, sqlx::Error>
where
    R: Row,
    for<'s> &'s str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(StoredEvent {
        event_id: text(row, "event_id")?,
        event_type: text(row, "event_type")?,
        job_id: JobId::new(row.try_get("job_id")?),
        body: text(row, "body")?,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        last_error: text(row, "last_error")?,
        delivered_at: row
            .try_get::<Option<i64>, _>("delivered_at")?
            .map(Timestamp::from_millis),
    })
}

/// Reads a claimed event.
fn claimed_event<R>(row: &R) -> Result<ClaimedEvent, sqlx::Error>
where
    R: Row,
    for<'s> &'s str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ClaimedEvent {
        id: row.try_get("id")?,
        event_id: text(row, "event_id")?,
        event_type: text(row, "event_type")?,
        body: text(row, "body")?,
        attempts: row.try_get("attempts")?,
    })
}

/// The claim of an event on MySQL, which cannot update a table that the
/// same statement selects from nor return updated rows: in one
/// transaction, the next due event locked `FOR UPDATE SKIP LOCKED` (so
/// that concurrent senders take different events), its lease written, and
/// the event read back.
#[cfg(feature = "mysql")]
async fn claim_event_mysql(
    pool: &sqlx::MySqlPool,
    sql: &EventSql,
    lease_millis: i64,
) -> Result<Option<ClaimedEvent>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(picked) = sqlx::query(&sql.claim_pick)
        .fetch_optional(&mut *tx)
        .await?
    else {
        tx.rollback().await?;
        return Ok(None);
    };
    let id: i64 = picked.try_get("id")?;
    crate::numbered::query(&sql.claim_lease)
        .bind(lease_millis)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let row = crate::numbered::query(&sql.claimed)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    claimed_event(&row).map(Some)
}

/// An event being posted.
#[derive(Debug)]
struct ClaimedEvent {
    id: i64,
    event_id: String,
    event_type: String,
    body: String,
    attempts: i64,
}

/// The lease on an event while it is posted: longer than a post may take,
/// so a crashed sender's event is posted again soon after.
const POST_LEASE: Duration = Duration::from_secs(15);

/// Posts events until `shutdown` completes (or, with
/// [`WebhookConfig::stop_when_idle`], until no undelivered event is left),
/// and runs the waiting scan every quarter of the threshold (at most every
/// minute). Errors of the database or the endpoint are logged and
/// retried, never returned: an event stays stored until it is delivered.
pub async fn run_webhooks(
    outbox: &Outbox,
    config: &WebhookConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<WebhookReport, WebhookConfigError> {
    let http = reqwest::Client::builder()
        .timeout(POST_TIMEOUT)
        .connect_timeout(POST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "vipps-om-outbox/",
            env!("CARGO_PKG_VERSION"),
            " webhook"
        ))
        .build()
        .map_err(|e| WebhookConfigError::Client(e.to_string()))?;
    let mut shutdown = pin!(shutdown);
    let mut report = WebhookReport::default();
    let mut next_scan = Instant::now();
    loop {
        if Instant::now() >= next_scan {
            match outbox.scan_waiting_jobs(config.wait_threshold).await {
                Ok(n) => report.waiting_events = report.waiting_events.saturating_add(n),
                Err(e) => tracing::warn!(error = %e, "webhook: could not look for waiting jobs"),
            }
            next_scan = Instant::now() + config.scan_interval();
        }
        let claimed = tokio::select! {
            biased;
            () = &mut shutdown => break,
            claimed = outbox.claim_event(POST_LEASE) => claimed,
        };
        match claimed {
            Ok(Some(event)) => {
                let result = post(&http, config, &event).await;
                let attempts = u32::try_from(event.attempts).unwrap_or(u32::MAX);
                let wait = config.backoff.delay(attempts);
                match &result {
                    Ok(status) => {
                        report.delivered = report.delivered.saturating_add(1);
                        tracing::info!(event = %event.event_id, r#type = %event.event_type, status, "webhook delivered");
                    }
                    Err((error, _)) => {
                        report.failed_posts = report.failed_posts.saturating_add(1);
                        let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
                        tracing::warn!(event = %event.event_id, attempt = attempts, wait_ms, %error, "webhook post failed; it is sent again later");
                    }
                }
                if let Err(e) = outbox.record_post(&event, &result, wait).await {
                    tracing::warn!(event = %event.event_id, error = %e, "webhook: could not record the post; it may be sent again");
                }
            }
            Ok(None) => {
                if config.stop_when_idle {
                    match outbox.undelivered_events().await {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "webhook: could not count events"),
                    }
                }
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(config.poll_interval) => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "webhook: could not claim an event");
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(config.poll_interval.max(Duration::from_secs(1))) => {}
                }
            }
        }
    }
    Ok(report)
}

/// One signed post; the status on 2xx, else why and the status if any.
async fn post(
    http: &reqwest::Client,
    config: &WebhookConfig,
    event: &ClaimedEvent,
) -> Result<u16, (String, Option<u16>)> {
    let t = Timestamp::now().as_millis().div_euclid(1000);
    let signature = sign(&config.secret, t, event.body.as_bytes());
    let sent = http
        .post(config.url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(EVENT_ID_HEADER, event.event_id.as_str())
        .header(EVENT_TYPE_HEADER, event.event_type.as_str())
        .body(event.body.clone())
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => Ok(response.status().as_u16()),
        Ok(response) => {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            let mut kept: String = text.chars().take(KEPT_ANSWER_BYTES).collect();
            if kept.len() < text.len() {
                kept.push('…');
            }
            Err((
                format!("the endpoint answered {status}: {kept}"),
                Some(status),
            ))
        }
        Err(e) => Err((
            format!(
                "no answer from the endpoint ({})",
                if e.is_timeout() {
                    format!("timed out after {} s", POST_TIMEOUT.as_secs())
                } else {
                    e.without_url().to_string()
                }
            ),
            None,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_a_changed_body_or_old_time_does_not() {
        let secret = WebhookSecret::new(b"0123456789abcdef0123\n").unwrap();
        let body = br#"{"id":"e1"}"#;
        let header = sign(&secret, 1_700_000_000, body);
        assert!(header.starts_with("t=1700000000,v1="), "{header}");
        assert_eq!(header.len(), "t=1700000000,v1=".len() + 64);
        assert!(verify(&secret, &header, body, 1_700_000_100));
        assert!(!verify(&secret, &header, br#"{"id":"e2"}"#, 1_700_000_100));
        assert!(!verify(&secret, &header, body, 1_700_000_000 + 301));
        let other = WebhookSecret::new(b"another secret of 16+").unwrap();
        assert!(!verify(&other, &header, body, 1_700_000_000));
        assert!(!verify(&secret, "v1=00", body, 1_700_000_000));
    }

    #[test]
    fn secrets_and_urls_are_checked_and_never_shown() {
        let err = WebhookSecret::new(b"short\n").unwrap_err();
        assert!(err.to_string().contains("5 bytes long"), "{err}");
        let secret = WebhookSecret::new(b"a secret that is long enough").unwrap();
        assert!(!format!("{secret:?}").contains("long enough"));
        for bad in ["", "ftp://shop.example/hook", "/relative", "http://"] {
            assert!(
                WebhookConfig::new(bad, secret.clone()).is_err(),
                "{bad:?} accepted"
            );
        }
        let config = WebhookConfig::new("https://shop.example/hook", secret)
            .unwrap()
            .wait_threshold(Duration::ZERO);
        assert_eq!(config.wait_threshold, MIN_WAIT_THRESHOLD);
        assert_eq!(config.scan_interval(), Duration::from_secs(1));
    }
}
