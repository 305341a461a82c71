//! The two backends behind one set of statements: connecting (SQLite in
//! WAL mode with a busy timeout, or PostgreSQL), the SQL text of every
//! statement for each dialect ([`Sql`]), and reading rows into
//! [`JobStatus`] and [`ClaimedJob`].
//!
//! Statements are written once with `$N` parameters (SQLite accepts them
//! too) and two dialect holes: `{now}`, the database's clock in
//! milliseconds since the epoch, and `{lock}`, `FOR UPDATE OF j SKIP
//! LOCKED` on PostgreSQL and nothing on SQLite, where a single `UPDATE`
//! statement is atomic because SQLite has one writer at a time.

use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ColumnIndex, ConnectOptions as _, Decode, PgPool, Row, SqlitePool, Type};

use crate::error::{OutboxError, redact_url};
use crate::job::{FieldProblem, JobId, JobKind, JobState, JobStatus, Outcome, Timestamp};

/// Which database an outbox lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file: embedded, nothing to set up; one writer at a time, so
    /// workers belong in one process on one machine.
    Sqlite,
    /// PostgreSQL: any number of worker processes on any number of
    /// machines.
    Postgres,
}

impl Backend {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// How to connect (see [`crate::Outbox::connect_with`]).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// Connections in the pool (default 8; an in-memory SQLite database
    /// always uses 1).
    pub max_connections: u32,
    /// How long a SQLite statement waits for another writer (default 10 s).
    pub busy_timeout: Duration,
    /// How long to wait for a free connection (default 30 s).
    pub acquire_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            max_connections: 8,
            busy_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(30),
        }
    }
}

impl ConnectOptions {
    /// The defaults with another pool size.
    pub fn with_max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }
}

/// A pool of either backend.
#[derive(Debug, Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) async fn connect(url: &str, options: &ConnectOptions) -> Result<Db, OutboxError> {
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)
                .map_err(|_| OutboxError::UnsupportedUrl(redact_url(url)))?
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a committed enqueue survives a power cut, not only
                // a crash of the process.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(options.busy_timeout)
                .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1));
            let in_memory = lower.contains(":memory:") || lower.contains("mode=memory");
            let mut pool = SqlitePoolOptions::new()
                .max_connections(if in_memory {
                    1
                } else {
                    options.max_connections
                })
                .acquire_timeout(options.acquire_timeout);
            if in_memory {
                // Every connection would be its own empty database.
                pool = pool
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            }
            let pool = pool
                .connect_with(connect)
                .await
                .map_err(OutboxError::db("open the SQLite database"))?;
            Ok(Db::Sqlite(pool))
        } else if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            let connect = PgConnectOptions::from_str(url)
                .map_err(|_| OutboxError::UnsupportedUrl(redact_url(url)))?
                .application_name("vipps-om-outbox")
                .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1));
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await
                .map_err(OutboxError::db("connect to PostgreSQL"))?;
            Ok(Db::Postgres(pool))
        } else {
            Err(OutboxError::UnsupportedUrl(redact_url(url)))
        }
    }
}

/// Runs `$body` with `$pool` bound to the backend's pool and `$sql` to its
/// statements; the body is compiled once per backend.
macro_rules! on_db {
    ($db:expr, |$pool:ident, $sql:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => {
                let $sql: &$crate::db::Sql = &$crate::db::SQLITE;
                $body
            }
            $crate::db::Db::Postgres($pool) => {
                let $sql: &$crate::db::Sql = &$crate::db::POSTGRES;
                $body
            }
        }
    };
}
pub(crate) use on_db;

/// The statements of one dialect.
pub(crate) struct Sql {
    pub(crate) insert: String,
    pub(crate) claim: String,
    pub(crate) renew: String,
    pub(crate) delivered: String,
    pub(crate) reschedule: String,
    pub(crate) failed: String,
    pub(crate) release: String,
    pub(crate) job_by_id: String,
    pub(crate) jobs_by_order: String,
    pub(crate) jobs_in_state: String,
    pub(crate) payload: String,
    pub(crate) retry_one: String,
    pub(crate) retry_all: String,
    pub(crate) update_payload: String,
    pub(crate) counts: String,
    pub(crate) activity: String,
    pub(crate) by_merchant: String,
    pub(crate) outstanding: String,
    pub(crate) others_waiting: String,
    pub(crate) purge: String,
}

const TABLE: &str = "vipps_om_outbox_jobs";

/// The columns of a [`JobStatus`], from `j`.
const STATUS_COLUMNS: &str = "j.id, j.kind, j.merchant_serial_number, j.payment_type, j.order_id, \
    j.state, j.attempts, j.last_error, j.last_status, j.problems, j.outcome, j.result_id, \
    j.next_attempt_at, j.lease_owner, j.leased_until, j.created_at, j.updated_at, \
    j.delivered_at, j.failed_at";

/// Jobs of the same order as `j` that come before it.
const EARLIER: &str = "e.order_id = j.order_id AND e.payment_type = j.payment_type \
    AND e.merchant_serial_number = j.merchant_serial_number AND e.id < j.id";

/// Only the worker that claimed this attempt may record its end.
const FENCE: &str = "id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'in_flight'";

impl Sql {
    fn new(now: &str, lock: &str) -> Sql {
        let status_select = format!(
            "SELECT {STATUS_COLUMNS}, \
             (SELECT MIN(e.id) FROM {TABLE} e WHERE {EARLIER} AND e.state <> 'delivered') AS blocked_by \
             FROM {TABLE} j"
        );
        let sql = Sql {
            insert: format!(
                "INSERT INTO {TABLE} (kind, merchant_serial_number, payment_type, order_id, payload, \
                 state, attempts, next_attempt_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', 0, {{now}}, {{now}}, {{now}}) RETURNING id"
            ),
            claim: format!(
                "UPDATE {TABLE} SET state = 'in_flight', lease_owner = $2, \
                 leased_until = {{now}} + $3, attempts = attempts + 1, updated_at = {{now}} \
                 WHERE id = (SELECT j.id FROM {TABLE} j \
                   WHERE j.merchant_serial_number = $1 \
                   AND j.state IN ('pending', 'in_flight') \
                   AND j.next_attempt_at <= {{now}} \
                   AND (j.state = 'pending' OR j.leased_until <= {{now}}) \
                   AND NOT EXISTS (SELECT 1 FROM {TABLE} e WHERE {EARLIER} AND e.state <> 'delivered') \
                   ORDER BY j.next_attempt_at, j.id LIMIT 1 {{lock}}) \
                 RETURNING id, kind, merchant_serial_number, payment_type, order_id, payload, attempts"
            ),
            renew: format!("UPDATE {TABLE} SET leased_until = {{now}} + $4 WHERE {FENCE}"),
            delivered: format!(
                "UPDATE {TABLE} SET state = 'delivered', outcome = $4, result_id = $5, \
                 delivered_at = {{now}}, updated_at = {{now}}, lease_owner = NULL, leased_until = NULL, \
                 last_error = NULL, last_status = NULL, problems = NULL WHERE {FENCE}"
            ),
            reschedule: format!(
                "UPDATE {TABLE} SET state = 'pending', next_attempt_at = {{now}} + $4, \
                 last_error = $5, last_status = $6, lease_owner = NULL, leased_until = NULL, \
                 updated_at = {{now}} WHERE {FENCE}"
            ),
            failed: format!(
                "UPDATE {TABLE} SET state = 'failed', last_error = $4, last_status = $5, problems = $6, \
                 failed_at = {{now}}, updated_at = {{now}}, lease_owner = NULL, leased_until = NULL \
                 WHERE {FENCE}"
            ),
            release: format!(
                "UPDATE {TABLE} SET state = 'pending', next_attempt_at = {{now}}, lease_owner = NULL, \
                 leased_until = NULL, updated_at = {{now}} WHERE {FENCE}"
            ),
            job_by_id: format!("{status_select} WHERE j.id = $1"),
            jobs_by_order: format!("{status_select} WHERE j.order_id = $1 ORDER BY j.id"),
            jobs_in_state: format!("{status_select} WHERE j.state = $1 ORDER BY j.id LIMIT $2"),
            payload: format!(
                "SELECT kind, payment_type, order_id, state, payload FROM {TABLE} WHERE id = $1"
            ),
            retry_one: format!(
                "UPDATE {TABLE} SET state = 'pending', next_attempt_at = {{now}}, failed_at = NULL, \
                 updated_at = {{now}} WHERE id = $1 AND state = 'failed'"
            ),
            retry_all: format!(
                "UPDATE {TABLE} SET state = 'pending', next_attempt_at = {{now}}, failed_at = NULL, \
                 updated_at = {{now}} WHERE state = 'failed'"
            ),
            update_payload: format!(
                "UPDATE {TABLE} SET payload = $2, updated_at = {{now}} \
                 WHERE id = $1 AND state IN ('pending', 'failed')"
            ),
            counts: format!("SELECT state, COUNT(*) AS n FROM {TABLE} GROUP BY state"),
            activity: format!(
                "SELECT {{now}} AS now, \
                 (SELECT MIN(created_at) FROM {TABLE} WHERE state IN ('pending', 'in_flight')) AS oldest, \
                 (SELECT COUNT(*) FROM {TABLE} WHERE state = 'pending' AND attempts > 0) AS retrying, \
                 (SELECT COUNT(*) FROM {TABLE} WHERE delivered_at >= {{now}} - 60000) AS delivered_last_minute, \
                 (SELECT COUNT(*) FROM {TABLE} WHERE failed_at >= {{now}} - 60000) AS failed_last_minute"
            ),
            by_merchant: format!(
                "SELECT merchant_serial_number, state, COUNT(*) AS n FROM {TABLE} \
                 WHERE state <> 'delivered' GROUP BY merchant_serial_number, state \
                 ORDER BY merchant_serial_number, state"
            ),
            outstanding: format!(
                "SELECT COUNT(*) AS n FROM {TABLE} j WHERE j.merchant_serial_number = $1 \
                 AND j.state IN ('pending', 'in_flight') \
                 AND NOT EXISTS (SELECT 1 FROM {TABLE} e WHERE {EARLIER} AND e.state = 'failed')"
            ),
            others_waiting: format!(
                "SELECT merchant_serial_number, COUNT(*) AS n FROM {TABLE} \
                 WHERE state IN ('pending', 'in_flight') AND merchant_serial_number <> $1 \
                 GROUP BY merchant_serial_number ORDER BY merchant_serial_number"
            ),
            purge: format!(
                "DELETE FROM {TABLE} WHERE state = 'delivered' AND delivered_at < {{now}} - $1"
            ),
        };
        sql.fill(now, lock)
    }

    fn fill(self, now: &str, lock: &str) -> Sql {
        let f = |s: String| s.replace("{now}", now).replace("{lock}", lock);
        Sql {
            insert: f(self.insert),
            claim: f(self.claim),
            renew: f(self.renew),
            delivered: f(self.delivered),
            reschedule: f(self.reschedule),
            failed: f(self.failed),
            release: f(self.release),
            job_by_id: f(self.job_by_id),
            jobs_by_order: f(self.jobs_by_order),
            jobs_in_state: f(self.jobs_in_state),
            payload: f(self.payload),
            retry_one: f(self.retry_one),
            retry_all: f(self.retry_all),
            update_payload: f(self.update_payload),
            counts: f(self.counts),
            activity: f(self.activity),
            by_merchant: f(self.by_merchant),
            outstanding: f(self.outstanding),
            others_waiting: f(self.others_waiting),
            purge: f(self.purge),
        }
    }
}

/// SQLite's statements: the clock from `julianday`, no row locks.
pub(crate) static SQLITE: LazyLock<Sql> = LazyLock::new(|| {
    Sql::new(
        "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)",
        "",
    )
});

/// PostgreSQL's statements: the transaction's clock, `SKIP LOCKED` claims.
pub(crate) static POSTGRES: LazyLock<Sql> = LazyLock::new(|| {
    Sql::new(
        "(EXTRACT(EPOCH FROM now()) * 1000)::BIGINT",
        "FOR UPDATE OF j SKIP LOCKED",
    )
});

/// A job a worker has claimed, with what it needs to deliver it.
#[derive(Debug, Clone)]
pub(crate) struct ClaimedJob {
    pub(crate) id: JobId,
    pub(crate) kind: JobKind,
    pub(crate) merchant_serial_number: String,
    pub(crate) payment_type: String,
    pub(crate) order_id: String,
    pub(crate) payload: String,
    /// Attempts including this one.
    pub(crate) attempts: i64,
}

/// A time column that does not hold milliseconds as an integer.
fn odd_value(id: i64, column: &str, e: &sqlx::Error) -> sqlx::Error {
    sqlx::Error::Decode(
        format!(
            "job {id}: column {column} does not hold a time in milliseconds as an integer ({e}); \
             the outbox table was changed outside vipps-om-outbox"
        )
        .into(),
    )
}

fn decode_error(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {value:?} in the outbox table").into())
}

/// Reads a claimed job.
pub(crate) fn claimed_job<R>(row: &R) -> Result<ClaimedJob, sqlx::Error>
where
    R: Row,
    for<'s> &'s str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    let kind: String = row.try_get("kind")?;
    Ok(ClaimedJob {
        id: JobId::new(row.try_get("id")?),
        kind: JobKind::parse(&kind).ok_or_else(|| decode_error("kind", &kind))?,
        merchant_serial_number: row.try_get("merchant_serial_number")?,
        payment_type: row.try_get("payment_type")?,
        order_id: row.try_get("order_id")?,
        payload: row.try_get("payload")?,
        attempts: row.try_get("attempts")?,
    })
}

/// Reads a [`JobStatus`] (the columns of `STATUS_COLUMNS` and `blocked_by`).
pub(crate) fn job_status<R>(row: &R) -> Result<JobStatus, sqlx::Error>
where
    R: Row,
    for<'s> &'s str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    let kind: String = row.try_get("kind")?;
    let state_name: String = row.try_get("state")?;
    let state = JobState::parse(&state_name).ok_or_else(|| decode_error("state", &state_name))?;
    let outcome: Option<String> = row.try_get("outcome")?;
    let problems: Option<String> = row.try_get("problems")?;
    let id: i64 = row.try_get("id")?;
    // Every time column is an integer (SQLite enforces it with CHECKs since
    // schema 2); should one ever hold something else, say which and where.
    let time = |name: &str| -> Result<Option<Timestamp>, sqlx::Error> {
        row.try_get::<Option<i64>, _>(name)
            .map(|t| t.map(Timestamp::from_millis))
            .map_err(|e| odd_value(id, name, &e))
    };
    let pending = state == JobState::Pending;
    Ok(JobStatus {
        id: JobId::new(id),
        kind: JobKind::parse(&kind).ok_or_else(|| decode_error("kind", &kind))?,
        merchant_serial_number: row.try_get("merchant_serial_number")?,
        payment_type: row.try_get("payment_type")?,
        order_id: row.try_get("order_id")?,
        state,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        last_error: row.try_get("last_error")?,
        last_status: row
            .try_get::<Option<i64>, _>("last_status")?
            .and_then(|s| u16::try_from(s).ok()),
        problems: problems
            .as_deref()
            .and_then(|p| serde_json::from_str::<Vec<FieldProblem>>(p).ok())
            .unwrap_or_default(),
        outcome: outcome.as_deref().and_then(Outcome::parse),
        result_id: row.try_get("result_id")?,
        next_attempt_at: if pending {
            time("next_attempt_at")?
        } else {
            None
        },
        lease_owner: row.try_get("lease_owner")?,
        leased_until: time("leased_until")?,
        created_at: time("created_at")?.unwrap_or(Timestamp::from_millis(0)),
        updated_at: time("updated_at")?.unwrap_or(Timestamp::from_millis(0)),
        delivered_at: time("delivered_at")?,
        failed_at: time("failed_at")?,
        blocked_by: if pending {
            row.try_get::<Option<i64>, _>("blocked_by")?.map(JobId::new)
        } else {
            None
        },
    })
}

/// The farthest ahead of the database's clock the outbox ever schedules
/// anything (a job's next attempt, a lease): 24 hours. Waits and leases
/// beyond it are cut to it before they are written, so `now + wait` can
/// never overflow in SQL (PostgreSQL would refuse the statement; SQLite
/// would silently store a floating-point value) and no job is put off for
/// centuries. Retry-After is already capped lower by the client
/// ([`vipps_om::retry::MAX_RETRY_AFTER`], one hour); this bounds a
/// [`crate::Backoff`] or lease configured beyond reason.
pub const MAX_SCHEDULE_AHEAD: Duration = Duration::from_secs(24 * 3600);

/// The longest age [`crate::Outbox::purge_delivered`] can be asked about:
/// 1,000 years (larger values mean the same: nothing is old enough), so
/// `now - age` stays far inside a 64-bit integer.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(1000 * 366 * 86_400);

/// Milliseconds of a wait or lease to add to the database's clock, at most
/// [`MAX_SCHEDULE_AHEAD`].
pub(crate) fn ahead_millis(d: Duration) -> i64 {
    millis(d.min(MAX_SCHEDULE_AHEAD))
}

/// Milliseconds of an age to subtract from the database's clock, at most
/// [`MAX_AGE`].
pub(crate) fn age_millis(d: Duration) -> i64 {
    millis(d.min(MAX_AGE))
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hole_is_filled() {
        for sql in [&*SQLITE, &*POSTGRES] {
            for text in [&sql.insert, &sql.claim, &sql.activity, &sql.purge] {
                assert!(!text.contains('{'), "{text}");
            }
        }
        assert!(POSTGRES.claim.contains("SKIP LOCKED"));
        assert!(!SQLITE.claim.contains("SKIP LOCKED"));
    }
}
