//! The three backends behind one set of statements: connecting (SQLite
//! in WAL mode with a busy timeout, PostgreSQL, or MySQL/MariaDB; one
//! module each), the SQL text of every statement for each dialect
//! ([`Sql`]), and reading rows into [`JobStatus`] and [`ClaimedJob`].
//!
//! Statements are written once with `$N` parameters (SQLite accepts them
//! too; MySQL's texts are rewritten with [`crate::numbered::positional`])
//! and two dialect holes: `{now}`, the database's clock in milliseconds
//! since the epoch, and `{lock}`, `FOR UPDATE OF j SKIP LOCKED` on
//! PostgreSQL, `FOR UPDATE SKIP LOCKED` on MySQL and nothing on SQLite,
//! where a single `UPDATE` statement is atomic because SQLite has one
//! writer at a time. MySQL cannot update a table it selects from in the
//! same statement, nor return the updated row, so its claim runs the same
//! pieces as three statements in a transaction (see [`mysql`]).

#[cfg(feature = "mysql")]
pub(crate) mod mysql;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;

use std::time::Duration;

#[cfg(feature = "mysql")]
use sqlx::MySqlPool;
#[cfg(feature = "postgres")]
use sqlx::PgPool;
#[cfg(feature = "sqlite")]
use sqlx::SqlitePool;
use sqlx::{ColumnIndex, Decode, Row, Type};

#[cfg(feature = "mysql")]
pub(crate) use self::mysql::MYSQL;
#[cfg(feature = "postgres")]
pub(crate) use self::postgres::POSTGRES;
#[cfg(feature = "sqlite")]
pub(crate) use self::sqlite::SQLITE;
use crate::error::{OutboxError, redact_url};
use crate::job::{FieldProblem, JobId, JobKind, JobState, JobStatus, Outcome, Timestamp};
use crate::numbered::text;
use crate::request::{JobRequest, PAYLOAD_VERSION, read_stored};

/// Which database an outbox lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file: embedded, nothing to set up; one writer at a time, so
    /// workers belong in one process on one machine.
    Sqlite,
    /// PostgreSQL: any number of worker processes on any number of
    /// machines.
    Postgres,
    /// MySQL 8 or MariaDB 10.6+: any number of worker processes on any
    /// number of machines.
    Mysql,
}

impl Backend {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::Mysql => "MySQL",
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
    #[cfg(feature = "sqlite")]
    Sqlite(SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
    #[cfg(feature = "mysql")]
    Mysql(MySqlPool),
}

impl Db {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            #[cfg(feature = "sqlite")]
            Db::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            Db::Postgres(_) => Backend::Postgres,
            #[cfg(feature = "mysql")]
            Db::Mysql(_) => Backend::Mysql,
        }
    }

    pub(crate) async fn connect(url: &str, options: &ConnectOptions) -> Result<Db, OutboxError> {
        match target(url)? {
            #[cfg(feature = "sqlite")]
            Target::Sqlite { connect, in_memory } => {
                sqlite::connect(url, connect, in_memory, options).await
            }
            #[cfg(feature = "postgres")]
            Target::Postgres(connect) => postgres::connect(connect, options).await,
            #[cfg(feature = "mysql")]
            Target::Mysql(connect) => mysql::connect(connect, options).await,
        }
    }
}

/// Where a database URL points.
enum Target {
    #[cfg(feature = "sqlite")]
    Sqlite {
        connect: sqlx::sqlite::SqliteConnectOptions,
        in_memory: bool,
    },
    #[cfg(feature = "postgres")]
    Postgres(sqlx::postgres::PgConnectOptions),
    #[cfg(feature = "mysql")]
    Mysql(sqlx::mysql::MySqlConnectOptions),
}

/// Reads every spelling of a database URL people use (see
/// [`crate::Outbox::connect`]): `sqlite:///abs`, `sqlite:/abs`,
/// `sqlite://rel`, `sqlite:rel`, a plain path, with or without a query;
/// `postgres://` and `postgresql://`; `mysql://` (MySQL and MariaDB alike;
/// `mariadb://` too). A SQLite file is created when missing
/// (unless the URL asks for `mode=ro` or `mode=rw`), but not its folder: a
/// missing folder is named.
fn target(url: &str) -> Result<Target, OutboxError> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("mysql://") || lower.starts_with("mariadb://") {
        #[cfg(feature = "mysql")]
        return mysql::target(url);
        #[cfg(not(feature = "mysql"))]
        return Err(OutboxError::BackendNotBuilt {
            backend: Backend::Mysql.as_str(),
            feature: "mysql",
        });
    }
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        return <sqlx::postgres::PgConnectOptions as std::str::FromStr>::from_str(url)
            .map(Target::Postgres)
            .map_err(|_| OutboxError::UnsupportedUrl(redact_url(url)));
        #[cfg(not(feature = "postgres"))]
        return Err(OutboxError::BackendNotBuilt {
            backend: Backend::Postgres.as_str(),
            feature: "postgres",
        });
    }
    if url.is_empty() || (lower.contains("://") && !lower.starts_with("sqlite:")) {
        return Err(OutboxError::UnsupportedUrl(redact_url(url)));
    }
    #[cfg(not(feature = "sqlite"))]
    return Err(OutboxError::BackendNotBuilt {
        backend: Backend::Sqlite.as_str(),
        feature: "sqlite",
    });
    #[cfg(feature = "sqlite")]
    sqlite::target(url, &lower)
}

/// Runs `$body` with `$pool` bound to the backend's pool and `$sql` to its
/// statements; the body is compiled once per backend.
macro_rules! on_db {
    ($db:expr, |$pool:ident, $sql:ident| $body:expr) => {
        match $db {
            #[cfg(feature = "sqlite")]
            $crate::db::Db::Sqlite($pool) => {
                let $sql: &$crate::db::Sql = &$crate::db::SQLITE;
                $body
            }
            #[cfg(feature = "postgres")]
            $crate::db::Db::Postgres($pool) => {
                let $sql: &$crate::db::Sql = &$crate::db::POSTGRES;
                $body
            }
            #[cfg(feature = "mysql")]
            $crate::db::Db::Mysql($pool) => {
                let $sql: &$crate::db::Sql = &$crate::db::MYSQL;
                $body
            }
        }
    };
}
pub(crate) use on_db;

/// The statements of one dialect.
pub(crate) struct Sql {
    pub(crate) insert: String,
    /// MySQL's fair claim, first statement: the ids of the candidate
    /// jobs, the oldest due job heading its order of every merchant in
    /// scope and not excluded (`$3` how many, `$4` scope, `$5` excluded),
    /// not locked; `mysql::claim_batch` locks and re-checks them.
    pub(crate) claim_heads: String,
    pub(crate) renew: String,
    pub(crate) delivered: String,
    /// How long a delivered job (`$1`) waited since enqueue, for a dialect
    /// whose `delivered` cannot return it (MySQL); empty elsewhere.
    pub(crate) delivered_waited: String,
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
    pub(crate) find_by_key: String,
    pub(crate) delivered_images: String,
    /// A fair claim's first statement, for a worker of any merchant:
    /// merchants with jobs pending or in flight after the cursor `$1`, at
    /// most `$2` of them, in MSN order (a skip scan of the due index, one
    /// probe per merchant), each with its oldest due job that heads its
    /// order, or NULL (none, or excluded: `$3`).
    pub(crate) claim_scan: String,
    /// [`Sql::claim_scan`] over a worker's own merchants (`$4`, a JSON
    /// array of MSNs) instead of every merchant with jobs.
    pub(crate) claim_scan_list: String,
    /// A fair claim's second statement: of the jobs `$3` (a JSON array of
    /// ids), those still due, leased to `$1` for `$2` ms (`SKIP LOCKED` on
    /// PostgreSQL), returned.
    pub(crate) claim_ids: String,
    pub(crate) unclaim: String,
    pub(crate) outstanding_by_merchant: String,
    /// The dialect's clock (for statements built per call).
    pub(crate) now: &'static str,
}

/// The outbox's table.
pub(crate) const TABLE: &str = "vipps_om_outbox_jobs";

/// The columns of a [`JobStatus`], from `j`.
const STATUS_COLUMNS: &str = "j.id, j.kind, j.merchant_serial_number, j.payment_type, j.order_id, \
    j.state, j.attempts, j.last_error, j.last_status, j.problems, j.outcome, j.result_id, \
    j.next_attempt_at, j.lease_owner, j.leased_until, j.created_at, j.updated_at, \
    j.delivered_at, j.failed_at, j.budget_used, j.idempotency_key, j.failure";

/// The columns of a [`ClaimedJob`].
#[cfg_attr(not(feature = "mysql"), allow(dead_code))]
const CLAIMED_COLUMNS: &str = "id, kind, merchant_serial_number, payment_type, order_id, payload, \
    payload_version, attempts, budget_used";

/// Jobs of the same order as `j` that come before it.
const EARLIER: &str = "e.order_id = j.order_id AND e.payment_type = j.payment_type \
    AND e.merchant_serial_number = j.merchant_serial_number AND e.seq < j.seq";

/// Job `j` heads its order: no earlier job of the order is undelivered.
/// The first job of an order (`seq` 1; numbers start at 1, the enqueue
/// contract's `COALESCE(MAX(seq), 0) + 1`) needs no look-up, and most jobs
/// are first of their order (one receipt per order), so the claim looks
/// up earlier jobs only for the others: a claim over 5,000 due jobs of
/// one merchant took 39 ms with a look-up for each and 15 ms with this
/// (PostgreSQL 15, `EXPLAIN ANALYZE`, a loaded machine).
const HEADS_ITS_ORDER: &str = "(j.seq = 1 OR NOT EXISTS (SELECT 1 FROM vipps_om_outbox_jobs e \
    WHERE e.order_id = j.order_id AND e.payment_type = j.payment_type \
    AND e.merchant_serial_number = j.merchant_serial_number AND e.seq < j.seq \
    AND e.state <> 'delivered'))";

/// Job `j` is due: pending and its time has come, or in flight with its
/// lease run out (its worker is gone).
const DUE: &str = "j.state IN ('pending', 'in_flight') AND j.next_attempt_at <= {now} \
    AND (j.state = 'pending' OR j.leased_until <= {now})";

/// [`DUE`] for jobs found by id: the same jobs (`state` is one of four, a
/// `CHECK` constraint), said so that no index but the primary key serves
/// it. A claim locks the few jobs it picked by id; with `DUE`'s
/// `state IN ('pending', 'in_flight')` PostgreSQL may read them through
/// the partial due index instead, every due job of every merchant, and
/// it does when its statistics are behind the table (a burst of enqueues
/// into a table analyzed while small): 10-30 ms a claim at 20,000 due
/// jobs, against well under 1 ms by primary key.
const STILL_DUE: &str = "j.state NOT IN ('delivered', 'failed') AND j.next_attempt_at <= {now} \
    AND (j.state = 'pending' OR j.leased_until <= {now})";

/// Only the worker that claimed this attempt may record its end.
const FENCE: &str = "id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'in_flight'";

/// MySQL's claim reads this many candidates per job it asks for (see
/// `mysql::claim_batch`), so that concurrent claimers that lock some of
/// them first still leave it enough.
#[cfg_attr(not(feature = "mysql"), allow(dead_code))]
const CANDIDATES_PER_SLOT: u32 = 4;

impl Sql {
    /// `elements` turns `%` (a JSON array of strings, as text) into rows of
    /// one text column: the merchant lists of a fair claim; `id_in` is a
    /// condition that `j.id` is one of the JSON array of integers `%` (the
    /// job ids a fair claim picked).
    fn new(now: &'static str, lock: &str, elements: &str, id_in: &str) -> Sql {
        let scope = elements.replace('%', "$4");
        let excluded = elements.replace('%', "$5");
        let excluded3 = elements.replace('%', "$3");
        let status_select = format!(
            "SELECT {STATUS_COLUMNS}, \
             (SELECT e.id FROM {TABLE} e WHERE {EARLIER} AND e.state <> 'delivered' \
              ORDER BY e.seq LIMIT 1) AS blocked_by \
             FROM {TABLE} j"
        );
        // The candidates of a fair claim: of every merchant in scope ($4,
        // a JSON array of MSNs, or NULL for any) and not excluded ($5), its
        // due jobs that head their order, numbered oldest first (`rn`).
        let heads = format!(
            "WITH heads AS (SELECT j.id, j.next_attempt_at, ROW_NUMBER() OVER \
               (PARTITION BY j.merchant_serial_number ORDER BY j.next_attempt_at, j.id) AS rn \
               FROM {TABLE} j \
               WHERE j.state IN ('pending', 'in_flight') \
               AND j.next_attempt_at <= {{now}} \
               AND (j.state = 'pending' OR j.leased_until <= {{now}}) \
               AND ($4 IS NULL OR j.merchant_serial_number IN ({scope})) \
               AND j.merchant_serial_number NOT IN ({excluded}) \
               AND {HEADS_ITS_ORDER})"
        );
        let id_in = id_in.replace('%', "$3");
        // Of each merchant the scan looked at, its oldest due job that
        // heads its order (NULL when it has none or is excluded, `$3`).
        let scan_heads = format!(
            "SELECT m.msn AS merchant_serial_number, \
             CASE WHEN m.msn IN ({excluded3}) THEN NULL ELSE \
             (SELECT j.id FROM {TABLE} j WHERE j.merchant_serial_number = m.msn AND {DUE} \
              AND {HEADS_ITS_ORDER} ORDER BY j.next_attempt_at, j.id LIMIT 1) END AS id \
             FROM m WHERE m.msn IS NOT NULL ORDER BY m.msn"
        );
        let sql = Sql {
            // The next place in the order's sequence; on PostgreSQL the
            // caller holds the order's advisory lock (see `ORDER_LOCK`), on
            // SQLite the statement holds the only write lock. `WHERE true`
            // keeps SQLite from reading `ON CONFLICT` as a join.
            insert: format!(
                "INSERT INTO {TABLE} (kind, merchant_serial_number, payment_type, order_id, payload, \
                 idempotency_key, payload_version, seq, state, attempts, budget_used, next_attempt_at, \
                 created_at, updated_at) \
                 SELECT $1, $2, $3, $4, $5, $6, {PAYLOAD_VERSION}, \
                 COALESCE((SELECT MAX(o.seq) FROM {TABLE} o WHERE o.merchant_serial_number = $2 \
                   AND o.payment_type = $3 AND o.order_id = $4), 0) + 1, \
                 'pending', 0, 0, {{now}}, {{now}}, {{now}} WHERE true \
                 ON CONFLICT (merchant_serial_number, idempotency_key) DO NOTHING RETURNING id"
            ),
            claim_heads: format!(
                "{heads} SELECT h.id FROM heads h WHERE h.rn = 1 \
                 ORDER BY h.next_attempt_at, h.id LIMIT $3"
            ),
            delivered_waited: String::new(),
            renew: format!("UPDATE {TABLE} SET leased_until = {{now}} + $4 WHERE {FENCE}"),
            // Returns how long the job waited from enqueue to delivery, by
            // the database's clock (the enqueue→delivered histogram).
            delivered: format!(
                "UPDATE {TABLE} SET state = 'delivered', outcome = $4, result_id = $5, \
                 delivered_at = {{now}}, updated_at = {{now}}, lease_owner = NULL, leased_until = NULL, \
                 last_error = NULL, last_status = NULL, problems = NULL, failure = NULL WHERE {FENCE} \
                 RETURNING delivered_at - created_at AS waited"
            ),
            // The fair claim (see `Outbox::claim_fair`): the merchants
            // after a cursor, in MSN order, each with its oldest due job
            // that heads its order. The next merchant is one probe of the
            // due index (a skip scan), its head a short range of it, so a
            // pass costs a few index probes per merchant it looks at,
            // however many jobs are due (reading every due row, as the
            // claim did before, took 160-180 ms at 20,000 due jobs of
            // 1,000 merchants on PostgreSQL; this takes about 1 ms for 80
            // merchants).
            claim_scan: format!(
                "WITH RECURSIVE m(msn, n) AS (\
                 SELECT (SELECT j.merchant_serial_number FROM {TABLE} j \
                   WHERE j.state IN ('pending', 'in_flight') AND j.merchant_serial_number > $1 \
                   ORDER BY j.merchant_serial_number LIMIT 1), CAST(1 AS BIGINT) \
                 UNION ALL \
                 SELECT (SELECT j.merchant_serial_number FROM {TABLE} j \
                   WHERE j.state IN ('pending', 'in_flight') AND j.merchant_serial_number > m.msn \
                   ORDER BY j.merchant_serial_number LIMIT 1), m.n + 1 \
                 FROM m WHERE m.msn IS NOT NULL AND m.n < $2) \
                 {scan_heads}"
            ),
            claim_scan_list: format!(
                "WITH s(msn) AS ({scope}), \
                 m(msn) AS (SELECT DISTINCT s.msn FROM s WHERE s.msn > $1 ORDER BY s.msn LIMIT $2) \
                 {scan_heads}"
            ),
            // The candidates are locked (`SKIP LOCKED` on PostgreSQL: a
            // concurrent claimer's are left to it) and checked again: still
            // due and not leased. They still head their order: an earlier
            // job of an order only ever becomes delivered, never
            // undelivered again (a failed one blocks, and so did it when
            // the candidate was chosen).
            claim_ids: format!(
                "UPDATE {TABLE} SET state = 'in_flight', lease_owner = $1, \
                 leased_until = {{now}} + $2, attempts = attempts + 1, budget_used = budget_used + 1, \
                 updated_at = {{now}} \
                 WHERE id IN (SELECT j.id FROM {TABLE} j WHERE {id_in} AND {STILL_DUE} {{lock}}) \
                 RETURNING {CLAIMED_COLUMNS}"
            ),
            // Gives back a job claimed by a worker that holds no credentials
            // for its merchant: nothing was sent, so the attempt is not
            // counted.
            unclaim: format!(
                "UPDATE {TABLE} SET state = 'pending', lease_owner = NULL, leased_until = NULL, \
                 attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
                 budget_used = CASE WHEN budget_used > 0 THEN budget_used - 1 ELSE 0 END, \
                 updated_at = {{now}} WHERE {FENCE}"
            ),
            outstanding_by_merchant: format!(
                "SELECT j.merchant_serial_number, COUNT(*) AS n FROM {TABLE} j \
                 WHERE j.state IN ('pending', 'in_flight') \
                 AND NOT EXISTS (SELECT 1 FROM {TABLE} e WHERE {EARLIER} AND e.state = 'failed') \
                 GROUP BY j.merchant_serial_number"
            ),
            now,
            reschedule: format!(
                "UPDATE {TABLE} SET state = 'pending', next_attempt_at = {{now}} + $4, \
                 last_error = $5, last_status = $6, lease_owner = NULL, leased_until = NULL, \
                 failure = NULL, updated_at = {{now}} WHERE {FENCE}"
            ),
            failed: format!(
                "UPDATE {TABLE} SET state = 'failed', last_error = $4, last_status = $5, problems = $6, failure = $7, \
                 failed_at = {{now}}, updated_at = {{now}}, lease_owner = NULL, leased_until = NULL \
                 WHERE {FENCE}"
            ),
            release: format!(
                "UPDATE {TABLE} SET state = 'pending', next_attempt_at = {{now}}, lease_owner = NULL, \
                 leased_until = NULL, updated_at = {{now}} WHERE {FENCE}"
            ),
            job_by_id: format!("{status_select} WHERE j.id = $1"),
            jobs_by_order: format!(
                "{status_select} WHERE j.order_id = $1 \
                 ORDER BY j.merchant_serial_number, j.payment_type, j.seq"
            ),
            jobs_in_state: format!("{status_select} WHERE j.state = $1 ORDER BY j.id LIMIT $2"),
            // A job's status with its stored request.
            payload: format!(
                "{} WHERE j.id = $1",
                status_select.replacen("SELECT ", "SELECT j.payload, j.payload_version, ", 1)
            ),
            retry_one: format!(
                "UPDATE {TABLE} SET state = 'pending', next_attempt_at = {{now}}, failed_at = NULL, \
                 budget_used = 0, failure = NULL, updated_at = {{now}} WHERE id = $1 AND state = 'failed'"
            ),
            retry_all: format!(
                "UPDATE {TABLE} SET state = 'pending', next_attempt_at = {{now}}, failed_at = NULL, \
                 budget_used = 0, failure = NULL, updated_at = {{now}} WHERE state = 'failed'"
            ),
            update_payload: format!(
                "UPDATE {TABLE} SET payload = $2, payload_version = {PAYLOAD_VERSION}, \
                 updated_at = {{now}} \
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
            find_by_key: format!(
                "SELECT id, state FROM {TABLE} WHERE merchant_serial_number = $1 AND idempotency_key = $2"
            ),
            delivered_images: format!(
                "SELECT payload, payload_version FROM {TABLE} WHERE merchant_serial_number = $1 AND kind = 'image' \
                 AND state = 'delivered' AND outcome = 'created' AND result_id = $2 AND id <> $3 \
                 ORDER BY id DESC LIMIT {KNOWN_IMAGES}"
            ),
        };
        sql.fill(now, lock)
    }

    fn fill(self, now: &str, lock: &str) -> Sql {
        self.map(|s| s.replace("{now}", now).replace("{lock}", lock))
    }

    /// Every statement passed through `f`.
    pub(crate) fn map(self, f: impl Fn(String) -> String) -> Sql {
        Sql {
            insert: f(self.insert),
            claim_heads: f(self.claim_heads),
            renew: f(self.renew),
            delivered: f(self.delivered),
            delivered_waited: f(self.delivered_waited),
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
            find_by_key: f(self.find_by_key),
            delivered_images: f(self.delivered_images),
            claim_scan: f(self.claim_scan),
            claim_scan_list: f(self.claim_scan_list),
            claim_ids: f(self.claim_ids),
            unclaim: f(self.unclaim),
            outstanding_by_merchant: f(self.outstanding_by_merchant),
            now: self.now,
        }
    }
}

/// The INSERT of one job (`Sql::insert`) with its values bound, for
/// SQLite and PostgreSQL (MySQL's text repeats placeholders, bound by
/// `numbered::query`).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn insert_query<'q, DB>(
    sql: &'q Sql,
    job: &'q crate::job::NewJob,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query::<DB>(&sql.insert)
        .bind(job.kind().as_str())
        .bind(job.merchant_serial_number.as_str())
        .bind(job.payment_type.as_str())
        .bind(job.order_id.as_str())
        .bind(job.body.as_str())
        .bind(job.idempotency_key.as_str())
}

/// The most jobs one `INSERT` of [`crate::Outbox::enqueue_many`] stores:
/// 1,000 (7 parameters each, well inside SQLite's 32,766 and PostgreSQL's
/// 65,535 bound parameters per statement). A larger batch is stored in
/// several statements of the same transaction: still all or nothing.
pub const ENQUEUE_BATCH: usize = 1000;

/// The multi-row INSERT of `rows` jobs (1 ..= [`ENQUEUE_BATCH`]): seven
/// parameters per job (its position, kind, MSN, payment type, orderId,
/// body, idempotency key). Each job gets the next place in its order after
/// what is stored and after the batch's earlier jobs of the same order
/// (`ROW_NUMBER`); jobs whose idempotency key is already stored are left
/// out (`DO NOTHING`) and found by key afterwards. Returns the stored
/// jobs' ids with their merchant and key. (SQLite and PostgreSQL; MySQL
/// stores a batch one job at a time in one transaction, see
/// `mysql::submit_many`.)
pub(crate) fn insert_many(sql: &Sql, rows: usize) -> String {
    let mut values = String::with_capacity(rows.saturating_mul(40));
    for row in 0..rows {
        let p = row.saturating_mul(7);
        if row > 0 {
            values.push_str(", ");
        }
        values.push_str(&format!(
            "(CAST(${} AS BIGINT), ${}, ${}, ${}, ${}, ${}, ${})",
            p + 1,
            p + 2,
            p + 3,
            p + 4,
            p + 5,
            p + 6,
            p + 7
        ));
    }
    let now = sql.now;
    format!(
        "WITH v(n, kind, msn, pt, oid, payload, ikey) AS (VALUES {values}) \
         INSERT INTO {TABLE} (kind, merchant_serial_number, payment_type, order_id, payload, \
         idempotency_key, payload_version, seq, state, attempts, budget_used, next_attempt_at, \
         created_at, updated_at) \
         SELECT v.kind, v.msn, v.pt, v.oid, v.payload, v.ikey, {PAYLOAD_VERSION}, \
         COALESCE((SELECT MAX(o.seq) FROM {TABLE} o WHERE o.merchant_serial_number = v.msn \
           AND o.payment_type = v.pt AND o.order_id = v.oid), 0) \
           + ROW_NUMBER() OVER (PARTITION BY v.msn, v.pt, v.oid ORDER BY v.n), \
         'pending', 0, 0, {now}, {now}, {now} FROM v WHERE true ORDER BY v.n \
         ON CONFLICT (merchant_serial_number, idempotency_key) DO NOTHING \
         RETURNING id, merchant_serial_number, idempotency_key"
    )
}

/// The `failure` of a job failed because the API holds different content.
pub(crate) const DIFFERENT_CONTENT: &str = "different_content";

/// A job a worker has claimed, with what it needs to deliver it.
#[derive(Debug, Clone)]
pub(crate) struct ClaimedJob {
    pub(crate) id: JobId,
    pub(crate) kind: JobKind,
    pub(crate) merchant_serial_number: String,
    pub(crate) payment_type: String,
    pub(crate) order_id: String,
    /// What it sends, read once at the claim; why it cannot be read
    /// otherwise (the job then fails with that reason).
    pub(crate) request: Result<JobRequest, String>,
    /// Attempts including this one.
    pub(crate) attempts: i64,
    /// Attempts since it was enqueued or last retried by staff, including
    /// this one (what [`crate::WorkerConfig::max_attempts`] limits).
    pub(crate) budget_used: i64,
}

/// How many earlier uploads of one image id the outbox compares a 409 with
/// (the newest first); one is enough in practice, a few cover re-uploads.
pub(crate) const KNOWN_IMAGES: u32 = 5;

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

pub(crate) fn decode_error(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {what} {value:?} in the outbox table").into())
}

/// Reads a claimed job.
pub(crate) fn claimed_job<R>(row: &R) -> Result<ClaimedJob, sqlx::Error>
where
    R: Row,
    for<'s> &'s str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    let kind: String = text(row, "kind")?;
    let kind = JobKind::parse(&kind).ok_or_else(|| decode_error("kind", &kind))?;
    Ok(ClaimedJob {
        id: JobId::new(row.try_get("id")?),
        kind,
        merchant_serial_number: text(row, "merchant_serial_number")?,
        payment_type: text(row, "payment_type")?,
        order_id: text(row, "order_id")?,
        request: read_stored(
            kind,
            row.try_get("payload_version")?,
            &text::<_, String>(row, "payload")?,
        ),
        attempts: row.try_get("attempts")?,
        budget_used: row.try_get("budget_used")?,
    })
}

/// Reads a [`JobStatus`] (the columns of `STATUS_COLUMNS` and `blocked_by`).
pub(crate) fn job_status<R>(row: &R) -> Result<JobStatus, sqlx::Error>
where
    R: Row,
    for<'s> &'s str: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    let kind: String = text(row, "kind")?;
    let state_name: String = text(row, "state")?;
    let state = JobState::parse(&state_name).ok_or_else(|| decode_error("state", &state_name))?;
    let outcome: Option<String> = text(row, "outcome")?;
    let problems: Option<String> = text(row, "problems")?;
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
        merchant_serial_number: text(row, "merchant_serial_number")?,
        payment_type: text(row, "payment_type")?,
        order_id: text(row, "order_id")?,
        state,
        attempts: u32::try_from(row.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
        attempts_since_retry: u32::try_from(row.try_get::<i64, _>("budget_used")?)
            .unwrap_or(u32::MAX),
        idempotency_key: text(row, "idempotency_key")?,
        different_content: text::<_, Option<String>>(row, "failure")?.as_deref()
            == Some(DIFFERENT_CONTENT),
        last_error: text(row, "last_error")?,
        last_status: row
            .try_get::<Option<i64>, _>("last_status")?
            .and_then(|s| u16::try_from(s).ok()),
        problems: problems
            .as_deref()
            .and_then(|p| serde_json::from_str::<Vec<FieldProblem>>(p).ok())
            .unwrap_or_default(),
        outcome: outcome.as_deref().and_then(Outcome::parse),
        result_id: text(row, "result_id")?,
        next_attempt_at: if pending {
            time("next_attempt_at")?
        } else {
            None
        },
        lease_owner: text(row, "lease_owner")?,
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

#[cfg(all(test, feature = "sqlite", feature = "postgres"))]
mod tests {
    use super::*;

    #[test]
    fn every_hole_is_filled() {
        for sql in [&*SQLITE, &*POSTGRES] {
            for text in [
                &sql.insert,
                &sql.claim_scan,
                &sql.claim_scan_list,
                &sql.claim_ids,
                &sql.activity,
                &sql.purge,
            ] {
                assert!(!text.contains('{'), "{text}");
            }
        }
        assert!(POSTGRES.claim_ids.contains("SKIP LOCKED"));
        assert!(!SQLITE.claim_ids.contains("SKIP LOCKED"));
        #[cfg(feature = "mysql")]
        {
            let sql = &*MYSQL;
            for text in [
                &sql.insert,
                &sql.claim_heads,
                &sql.unclaim,
                &sql.outstanding_by_merchant,
                &sql.activity,
                &sql.purge,
            ] {
                // No `$N` left (JSON paths such as '$[*]' are not placeholders).
                let numbered = text
                    .split('$')
                    .skip(1)
                    .any(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
                assert!(!text.contains('{') && !numbered, "{text}");
            }
            assert!(sql.claim_heads.contains("JSON_TABLE"));
        }
    }

    fn sqlite_file(url: &str) -> (String, bool) {
        match target(url) {
            Ok(Target::Sqlite { connect, .. }) => (
                connect.get_filename().display().to_string(),
                format!("{connect:?}").contains("create_if_missing: true"),
            ),
            Ok(_) => panic!("{url} read as another backend"),
            Err(e) => panic!("{url}: {e}"),
        }
    }

    #[test]
    fn every_spelling_names_the_same_file_and_creates_it() {
        let dir = std::env::temp_dir();
        let file = dir.join("outbox-spelling.db").display().to_string();
        for url in [
            format!("sqlite://{file}"),
            format!("sqlite:{file}"),
            format!("sqlite://{file}?mode=rwc"),
            format!("  {file} "),
        ] {
            assert_eq!(sqlite_file(&url), (file.clone(), true), "{url}");
        }
        assert_eq!(sqlite_file("./o.db"), ("./o.db".to_owned(), true));
        assert_eq!(sqlite_file("sqlite://o.db"), ("o.db".to_owned(), true));
        // Read-only creates nothing and does not look for the folder.
        assert_eq!(
            sqlite_file("sqlite:///no/such/folder/o.db?mode=ro"),
            ("/no/such/folder/o.db".to_owned(), false)
        );
        for bad in ["", "sqlite:", "https://example.com/o.db"] {
            assert!(
                matches!(target(bad), Err(OutboxError::UnsupportedUrl(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            target("/no/such/folder/o.db"),
            Err(OutboxError::MissingFolder { .. })
        ));
        assert!(matches!(
            target("postgresql://u@h/db"),
            Ok(Target::Postgres(_))
        ));
    }
}

/// A build without one backend names the feature to rebuild with.
#[cfg(all(
    test,
    not(all(feature = "sqlite", feature = "postgres", feature = "mysql"))
))]
mod missing_backend {
    #[cfg(not(feature = "mysql"))]
    #[tokio::test]
    async fn a_mysql_url_says_to_rebuild_with_the_feature() {
        let Err(err) = crate::Outbox::connect("mysql://shop:secret@localhost/shop").await else {
            panic!("connected to MySQL without the mysql feature");
        };
        assert_eq!(
            err.to_string(),
            "this build has no MySQL support: rebuild with --features mysql"
        );
    }

    #[cfg(not(feature = "postgres"))]
    #[tokio::test]
    async fn a_postgres_url_says_to_rebuild_with_the_feature() {
        let Err(err) = crate::Outbox::connect("postgres://shop:secret@localhost/shop").await else {
            panic!("connected to PostgreSQL without the postgres feature");
        };
        assert_eq!(
            err.to_string(),
            "this build has no PostgreSQL support: rebuild with --features postgres"
        );
    }

    #[cfg(not(feature = "sqlite"))]
    #[tokio::test]
    async fn a_sqlite_url_says_to_rebuild_with_the_feature() {
        let Err(err) = crate::Outbox::connect("sqlite::memory:").await else {
            panic!("opened SQLite without the sqlite feature");
        };
        assert_eq!(
            err.to_string(),
            "this build has no SQLite support: rebuild with --features sqlite"
        );
    }
}
