//! [`Outbox`]: the durable queue. Connecting (with migrations), enqueueing
//! (alone, in bulk, or inside the caller's own transaction through [`Tx`]),
//! status per job and per order, failed jobs and their retry, [`Metrics`],
//! and the claim/renew/record statements workers use.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sqlx::Row;
#[cfg(feature = "mysql")]
use sqlx::{MySql, MySqlConnection, MySqlPool};
#[cfg(feature = "postgres")]
use sqlx::{PgConnection, PgPool, Postgres};
#[cfg(feature = "sqlite")]
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::Notify;
use vipps_om::{Image, OrderId, PaymentType, ValidationReport};

use crate::db::{
    self, Backend, ClaimedJob, ConnectOptions, Db, ENQUEUE_BATCH, age_millis, ahead_millis, on_db,
};
use crate::error::OutboxError;
use crate::job::{JobId, JobKind, JobState, JobStatus, NewJob, Timestamp};
use crate::migrate;
use crate::numbered::{query, text};
use crate::request::{JobRequest, read_stored};
use crate::worker::Verdict;

/// The durable queue of order-details deliveries. Cheap to clone (clones
/// share the connection pool).
#[derive(Debug, Clone)]
pub struct Outbox {
    db: Db,
    /// Wakes this process's idle workers after an enqueue (shared by
    /// clones).
    wake: Arc<Notify>,
}

/// The most jobs one `INSERT ... FROM UNNEST` of
/// [`Outbox::enqueue_many`] stores on PostgreSQL: 10,000 (six arrays of
/// that many values, a few MiB of request bodies). A larger batch is
/// stored in several statements of the same transaction: still all or
/// nothing.
pub const ENQUEUE_ARRAY_BATCH: usize = 10_000;

/// PostgreSQL's batch insert: six arrays (kind, MSN, payment type,
/// orderId, body, idempotency key), one element per job; each job gets the
/// next place in its order after what is stored and after the batch's
/// earlier jobs of the same order; jobs whose key is stored are left out.
#[cfg(feature = "postgres")]
static INSERT_UNNEST: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let now = db::POSTGRES.now;
    let table = db::TABLE;
    let version = crate::request::PAYLOAD_VERSION;
    format!(
        "INSERT INTO {table} (kind, merchant_serial_number, payment_type, order_id, payload, \
         idempotency_key, payload_version, seq, state, attempts, budget_used, next_attempt_at, \
         created_at, updated_at) \
         SELECT v.kind, v.msn, v.pt, v.oid, v.payload, v.ikey, {version}, \
         COALESCE((SELECT MAX(o.seq) FROM {table} o WHERE o.merchant_serial_number = v.msn \
           AND o.payment_type = v.pt AND o.order_id = v.oid), 0) \
           + ROW_NUMBER() OVER (PARTITION BY v.msn, v.pt, v.oid ORDER BY v.n), \
         'pending', 0, 0, {now}, {now}, {now} \
         FROM UNNEST(CAST($1 AS TEXT[]), CAST($2 AS TEXT[]), CAST($3 AS TEXT[]), \
           CAST($4 AS TEXT[]), CAST($5 AS TEXT[]), CAST($6 AS TEXT[])) \
           WITH ORDINALITY AS v(kind, msn, pt, oid, payload, ikey, n) \
         ORDER BY v.n \
         ON CONFLICT (merchant_serial_number, idempotency_key) DO NOTHING \
         RETURNING id, merchant_serial_number, idempotency_key"
    )
});

/// The jobs stored under pairs of MSN (`$1`) and idempotency key (`$2`).
#[cfg(feature = "postgres")]
const FIND_BY_KEYS: &str = "SELECT j.id, j.merchant_serial_number, j.idempotency_key \
    FROM vipps_om_outbox_jobs j \
    JOIN UNNEST(CAST($1 AS TEXT[]), CAST($2 AS TEXT[])) AS k(msn, ikey) \
    ON j.merchant_serial_number = k.msn AND j.idempotency_key = k.ikey";

/// `(MSN, idempotency key) → id` of rows of stored jobs, on any backend.
fn stored_keys<R>(rows: &[R]) -> Result<HashMap<(String, String), i64>, OutboxError>
where
    R: sqlx::Row,
    for<'s> &'s str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let mut stored = HashMap::with_capacity(rows.len());
    for row in rows {
        let read = (|| -> Result<_, sqlx::Error> {
            Ok((
                (
                    crate::numbered::text::<_, String>(row, "merchant_serial_number")?,
                    crate::numbered::text::<_, String>(row, "idempotency_key")?,
                ),
                row.try_get::<i64, _>("id")?,
            ))
        })();
        let (key, id) = read.map_err(OutboxError::db("enqueue jobs"))?;
        stored.insert(key, id);
    }
    Ok(stored)
}

/// A delivered job to record with [`Outbox::record_delivered_many`].
#[derive(Debug, Clone)]
pub(crate) struct DeliveredJob {
    pub(crate) id: JobId,
    /// The attempt that delivered it (the fence).
    pub(crate) attempts: i64,
    pub(crate) outcome: crate::job::Outcome,
    pub(crate) result_id: Option<String>,
}

/// Marks many jobs delivered in one statement (PostgreSQL): `$1` the lease
/// owner, `$2`..`$5` arrays of ids, attempts, outcomes and result ids;
/// each row fenced as the single `delivered` statement is. The jobs are
/// found by primary key: `state` is tested as `NOT IN` the three other
/// states (a `CHECK` constraint makes that `'in_flight'`) so that no
/// state index can serve it. With `state = 'in_flight'` and statistics
/// behind the table, PostgreSQL read every job in flight through the
/// backlog index for each batch (the same trap as the claim's, see
/// `db::STILL_DUE`).
#[cfg(feature = "postgres")]
static DELIVERED_MANY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let now = db::POSTGRES.now;
    format!(
        "UPDATE {table} AS t SET state = 'delivered', outcome = v.outcome, result_id = v.result_id, \
         delivered_at = {now}, updated_at = {now}, lease_owner = NULL, leased_until = NULL, \
         last_error = NULL, last_status = NULL, problems = NULL, failure = NULL \
         FROM UNNEST(CAST($2 AS BIGINT[]), CAST($3 AS BIGINT[]), CAST($4 AS TEXT[]), CAST($5 AS TEXT[])) \
           AS v(id, attempts, outcome, result_id) \
         WHERE t.id = v.id AND t.id = ANY(CAST($2 AS BIGINT[])) AND t.lease_owner = $1 \
           AND t.attempts = v.attempts AND t.state NOT IN ('pending', 'delivered', 'failed') \
         RETURNING t.id, t.delivered_at - t.created_at AS waited",
        table = db::TABLE
    )
});

/// What one pass of [`Outbox::claim_fair`] did.
#[derive(Debug)]
pub(crate) struct FairClaim {
    /// The jobs claimed.
    pub(crate) jobs: Vec<ClaimedJob>,
    /// Where the next pass starts (empty: from the first merchant).
    pub(crate) cursor: String,
    /// The pass looked at every merchant up to the last one; the next
    /// starts again from the first.
    pub(crate) end: bool,
    /// Some candidates were taken by another claimer first (more may be
    /// due).
    pub(crate) missed: bool,
}

/// How many merchants a pass of a fair claim looks at beyond the jobs it
/// asks for and the merchants it leaves out: 16, for merchants with no
/// due job that heads its order (all in flight, waiting to be retried,
/// or behind a failed job). A larger window finds more per pass and costs
/// a few index probes per merchant.
pub const CLAIM_WINDOW_SLACK: usize = 16;

/// The most merchants one pass of a fair claim looks at: 4,096 (the
/// statement does one index probe per merchant). A worker excluding more
/// merchants than that (paused, at their cap) looks at the next ones in
/// its next pass.
pub const CLAIM_WINDOW_MAX: usize = 4096;

/// The PostgreSQL channel on which an enqueue announces new jobs: a
/// `NOTIFY` sent in the enqueueing transaction, delivered to every
/// listening worker when it commits (nothing when it rolls back). The
/// payload is the job's MSN (empty for a batch).
pub const NOTIFY_CHANNEL: &str = "vipps_om_outbox";

/// Sends the notification inside the enqueueing transaction.
#[cfg(feature = "postgres")]
const NOTIFY: &str = "SELECT pg_notify($1, $2)";

/// A caller's own connection or transaction, for
/// [`Outbox::enqueue_in`]: the job commits or rolls back with the caller's
/// other writes (the order row and its outbox row together).
///
/// Made with `.into()` from `&mut sqlx::Transaction<'_, Sqlite>`,
/// `&mut sqlx::Transaction<'_, Postgres>`,
/// `&mut sqlx::Transaction<'_, MySql>`, `&mut SqliteConnection`,
/// `&mut PgConnection` or `&mut MySqlConnection`. The connection must be to
/// the outbox's own database.
#[derive(Debug)]
pub enum Tx<'a> {
    /// A SQLite connection (typically inside a transaction).
    #[cfg(feature = "sqlite")]
    Sqlite(&'a mut SqliteConnection),
    /// A PostgreSQL connection (typically inside a transaction).
    #[cfg(feature = "postgres")]
    Postgres(&'a mut PgConnection),
    /// A MySQL connection (typically inside a transaction).
    #[cfg(feature = "mysql")]
    Mysql(&'a mut MySqlConnection),
}

#[cfg(feature = "mysql")]
impl<'a> From<&'a mut MySqlConnection> for Tx<'a> {
    fn from(conn: &'a mut MySqlConnection) -> Self {
        Tx::Mysql(conn)
    }
}

#[cfg(feature = "mysql")]
impl<'a, 'c> From<&'a mut sqlx::Transaction<'c, MySql>> for Tx<'a> {
    fn from(tx: &'a mut sqlx::Transaction<'c, MySql>) -> Self {
        Tx::Mysql(tx)
    }
}

#[cfg(feature = "sqlite")]
impl<'a> From<&'a mut SqliteConnection> for Tx<'a> {
    fn from(conn: &'a mut SqliteConnection) -> Self {
        Tx::Sqlite(conn)
    }
}

#[cfg(feature = "postgres")]
impl<'a> From<&'a mut PgConnection> for Tx<'a> {
    fn from(conn: &'a mut PgConnection) -> Self {
        Tx::Postgres(conn)
    }
}

#[cfg(feature = "sqlite")]
impl<'a, 'c> From<&'a mut sqlx::Transaction<'c, Sqlite>> for Tx<'a> {
    fn from(tx: &'a mut sqlx::Transaction<'c, Sqlite>) -> Self {
        Tx::Sqlite(tx)
    }
}

#[cfg(feature = "postgres")]
impl<'a, 'c> From<&'a mut sqlx::Transaction<'c, Postgres>> for Tx<'a> {
    fn from(tx: &'a mut sqlx::Transaction<'c, Postgres>) -> Self {
        Tx::Postgres(tx)
    }
}

/// Numbers for dashboards and the support console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Metrics {
    /// Jobs waiting (first attempt, retry, or behind an earlier job).
    pub pending: u64,
    /// Jobs being delivered now.
    pub in_flight: u64,
    /// Jobs delivered (not yet purged).
    pub delivered: u64,
    /// Jobs failed for good, waiting for staff.
    pub failed: u64,
    /// Pending jobs that have failed at least one attempt (an outage or a
    /// rate limit shows here first).
    pub retrying: u64,
    /// Pending plus in flight: what is not delivered yet and still moving.
    pub queue_depth: u64,
    /// How long the oldest job that is pending or in flight has waited.
    #[serde(serialize_with = "serialize_opt_secs")]
    pub oldest_pending_age: Option<Duration>,
    /// Jobs delivered in the last 60 seconds.
    pub delivered_last_minute: u64,
    /// Jobs that failed for good in the last 60 seconds.
    pub failed_last_minute: u64,
    /// Jobs not delivered yet, per merchant (a worker delivers only its own
    /// merchant's jobs).
    pub by_merchant: Vec<MerchantQueue>,
    /// The database's clock when these were read.
    pub at: Timestamp,
}

fn serialize_opt_secs<S: serde::Serializer>(
    value: &Option<Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(d) => s.serialize_f64((d.as_millis() as f64) / 1000.0),
        None => s.serialize_none(),
    }
}

/// One merchant's jobs that are not delivered yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MerchantQueue {
    /// The merchant.
    pub merchant_serial_number: String,
    /// Its pending jobs.
    pub pending: u64,
    /// Its jobs in flight.
    pub in_flight: u64,
    /// Its failed jobs.
    pub failed: u64,
}

/// What enqueueing a job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Enqueued {
    /// The job: the new one, or the one already queued with the same
    /// idempotency key.
    pub id: JobId,
    /// A job with the same idempotency key was already in the outbox
    /// (pending, delivered or failed); nothing new was stored.
    pub already_queued: bool,
}

/// The class of the advisory locks taken per order at enqueue on
/// PostgreSQL (`pg_advisory_xact_lock(class, bucket)`), "vo" in ASCII; the
/// two-key lock space does not overlap the one-key space.
#[cfg(any(feature = "postgres", feature = "mysql"))]
const ORDER_LOCK_CLASS: i32 = 0x766f;

/// How many advisory locks orders share on PostgreSQL (and lock rows on
/// MySQL, `vipps_om_outbox_order_locks`): an order's lock is
/// one of 256, chosen by a hash of the order. A transaction therefore
/// holds at most 256 of them however many orders it enqueues (PostgreSQL's
/// lock table holds `max_locks_per_transaction` × connections, 6,400 by
/// default, and a 10,000-line bulk import must not exhaust it). Two
/// orders sharing a lock only make their enqueues wait for each other's
/// commit; the sequence of each order is unaffected.
pub const ORDER_LOCK_BUCKETS: u32 = 256;

/// Takes an order lock until the end of the transaction.
#[cfg(feature = "postgres")]
const ORDER_LOCK: &str = "SELECT pg_advisory_xact_lock($1, $2)";

/// Takes every order lock of a batch in one statement, in the order of
/// `$2` (the buckets, sorted, as `1,5,17`): one round trip instead of one
/// per lock (up to [`ORDER_LOCK_BUCKETS`], which made `enqueue_many` of
/// 1,000 jobs mostly waiting for 256 answers). The function runs after
/// the sort (PostgreSQL evaluates a volatile select list after `ORDER BY`).
#[cfg(feature = "postgres")]
const ORDER_LOCKS: &str = "SELECT pg_advisory_xact_lock($1, t.b) \
    FROM unnest(string_to_array($2, ',')::int4[]) WITH ORDINALITY AS t(b, n) ORDER BY t.n";

/// Inserts one job on a connection or transaction of SQLite or PostgreSQL
/// (on PostgreSQL holding its order lock) with the single-row `INSERT`,
/// or finds the job already queued under its key: `(id, already
/// queued)`. One text for both backends, used by `submit_in` and by a
/// one-job `submit_many` on PostgreSQL (cheaper for one job than the
/// batch's `INSERT … FROM UNNEST`, a plan with a window function and two
/// sorts; `enqueue`, `submit` and the gateway store one job per call).
#[cfg(any(feature = "sqlite", feature = "postgres"))]
macro_rules! insert_or_find {
    ($sql:expr, $conn:expr, $job:expr) => {{
        let job: &NewJob = $job;
        match db::insert_query($sql, job)
            .fetch_optional(&mut *$conn)
            .await
        {
            Ok(Some(row)) => row.try_get::<i64, _>("id").map(|id| (id, false)),
            Ok(None) => query(&$sql.find_by_key)
                .bind(job.merchant_serial_number.as_str())
                .bind(job.idempotency_key.as_str())
                .fetch_one(&mut *$conn)
                .await
                .and_then(|row| row.try_get::<i64, _>("id"))
                .map(|id| (id, true)),
            Err(e) => Err(e),
        }
    }};
}

/// The order locks of a batch, each once, in ascending order (batches
/// that take them in the same order never wait for each other crosswise).
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn order_locks(jobs: &[NewJob]) -> Vec<i32> {
    let mut locks: Vec<i32> = jobs.iter().map(order_lock).collect();
    locks.sort_unstable();
    locks.dedup();
    locks
}

/// The order lock of a job: one of [`ORDER_LOCK_BUCKETS`].
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn order_lock(job: &NewJob) -> i32 {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in [
        job.merchant_serial_number.as_str(),
        job.payment_type.as_str(),
        job.order_id.as_str(),
    ] {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    let digest = hash.finalize();
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    i32::try_from(n % ORDER_LOCK_BUCKETS).unwrap_or(0)
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Outbox {
    /// Connects to `database_url` and brings the schema up to date.
    ///
    /// - SQLite, a file created when missing (its folder must exist; a
    ///   missing folder is [`OutboxError::MissingFolder`]): any of
    ///   `sqlite:///var/lib/shop/outbox.db`, `sqlite:/var/lib/shop/outbox.db`,
    ///   `sqlite://outbox.db` (relative), `sqlite:outbox.db`, a plain path
    ///   (`/var/lib/shop/outbox.db`, `./outbox.db`), with or without
    ///   `?mode=rwc`; `?mode=ro` opens read-only and creates nothing;
    ///   `sqlite::memory:` is an in-memory database. WAL journal,
    ///   `synchronous=FULL`, a 10 s busy timeout.
    /// - `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (or `postgresql://`).
    /// - `mysql://USER:PASSWORD@HOST:PORT/DATABASE` (or `mariadb://`): MySQL 8
    ///   or MariaDB 10.6+, with the `mysql` feature. The outbox's tables use
    ///   InnoDB and compare text byte for byte (`utf8mb4_bin`).
    pub async fn connect(database_url: &str) -> Result<Outbox, OutboxError> {
        Outbox::connect_with(database_url, ConnectOptions::default()).await
    }

    /// [`Outbox::connect`] with pool settings.
    pub async fn connect_with(
        database_url: &str,
        options: ConnectOptions,
    ) -> Result<Outbox, OutboxError> {
        let db = Db::connect(database_url, &options).await?;
        migrate::run(&db).await?;
        Ok(Outbox {
            db,
            wake: Arc::default(),
        })
    }

    /// An outbox in the application's own SQLite pool (migrated now). Set
    /// WAL mode and a busy timeout on that pool.
    #[cfg(feature = "sqlite")]
    pub async fn from_sqlite_pool(pool: SqlitePool) -> Result<Outbox, OutboxError> {
        let db = Db::Sqlite(pool);
        migrate::run(&db).await?;
        Ok(Outbox {
            db,
            wake: Arc::default(),
        })
    }

    /// An outbox in the application's own PostgreSQL pool (migrated now).
    #[cfg(feature = "postgres")]
    pub async fn from_pg_pool(pool: PgPool) -> Result<Outbox, OutboxError> {
        let db = Db::Postgres(pool);
        migrate::run(&db).await?;
        Ok(Outbox {
            db,
            wake: Arc::default(),
        })
    }

    /// An outbox in the application's own MySQL pool (migrated now).
    #[cfg(feature = "mysql")]
    pub async fn from_mysql_pool(pool: MySqlPool) -> Result<Outbox, OutboxError> {
        let db = Db::Mysql(pool);
        migrate::run(&db).await?;
        Ok(Outbox {
            db,
            wake: Arc::default(),
        })
    }

    /// Which database it uses.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Its pool (for the webhook statements in `webhook`).
    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    /// The SQLite pool, to begin transactions for [`Outbox::enqueue_in`].
    #[cfg(feature = "sqlite")]
    pub fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.db {
            Db::Sqlite(pool) => Some(pool),
            #[cfg(feature = "postgres")]
            Db::Postgres(_) => None,
            #[cfg(feature = "mysql")]
            Db::Mysql(_) => None,
        }
    }

    /// The PostgreSQL pool, to begin transactions for [`Outbox::enqueue_in`].
    #[cfg(feature = "postgres")]
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.db {
            Db::Postgres(pool) => Some(pool),
            #[cfg(feature = "sqlite")]
            Db::Sqlite(_) => None,
            #[cfg(feature = "mysql")]
            Db::Mysql(_) => None,
        }
    }

    /// The MySQL pool, to begin transactions for [`Outbox::enqueue_in`].
    #[cfg(feature = "mysql")]
    pub fn mysql_pool(&self) -> Option<&MySqlPool> {
        match &self.db {
            Db::Mysql(pool) => Some(pool),
            #[cfg(feature = "sqlite")]
            Db::Sqlite(_) => None,
            #[cfg(feature = "postgres")]
            Db::Postgres(_) => None,
        }
    }

    /// Whether the database answers (`SELECT 1`).
    pub async fn ping(&self) -> Result<(), OutboxError> {
        on_db!(&self.db, |pool, _sql| {
            sqlx::query("SELECT 1").execute(pool).await.map(|_| ())
        })
        .map_err(OutboxError::db("reach the database"))
    }

    /// Closes the pool (waits for connections in use to come back).
    pub async fn close(&self) {
        on_db!(&self.db, |pool, _sql| pool.close().await)
    }

    /// Stores a job durably and returns its id (or the id of the job
    /// already queued with the same idempotency key, see
    /// [`Outbox::submit`]); it is committed when this returns.
    pub async fn enqueue(&self, job: &NewJob) -> Result<JobId, OutboxError> {
        Ok(self.submit(job).await?.id)
    }

    /// Stores a job durably unless a job with its idempotency key is
    /// already in the outbox, and says which happened.
    pub async fn submit(&self, job: &NewJob) -> Result<Enqueued, OutboxError> {
        let mut done = self.submit_many(std::slice::from_ref(job)).await?;
        done.pop()
            .ok_or_else(|| OutboxError::Schema("enqueueing a job returned nothing".to_owned()))
    }

    /// Stores many jobs in one transaction: all of them or none. Jobs
    /// already queued (by idempotency key) are not stored again; their ids
    /// are returned.
    pub async fn enqueue_many(&self, jobs: &[NewJob]) -> Result<Vec<JobId>, OutboxError> {
        Ok(self
            .submit_many(jobs)
            .await?
            .into_iter()
            .map(|e| e.id)
            .collect())
    }

    /// [`Outbox::enqueue_many`], saying for each job whether it was already
    /// queued. The jobs are stored in one transaction: on PostgreSQL one
    /// `INSERT ... FROM UNNEST` per [`ENQUEUE_ARRAY_BATCH`] jobs (a single
    /// job with the single-row `INSERT`), on SQLite
    /// one multi-row `INSERT` per [`ENQUEUE_BATCH`] jobs, on MySQL one
    /// `INSERT` per job; workers are woken once when it commits.
    pub async fn submit_many(&self, jobs: &[NewJob]) -> Result<Vec<Enqueued>, OutboxError> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        #[cfg(feature = "mysql")]
        #[allow(irrefutable_let_patterns)] // a MySQL-only build
        if let Db::Mysql(pool) = &self.db {
            let done = self.submit_many_mysql(pool, jobs).await?;
            self.wake_workers();
            tracing::debug!(jobs = done.len(), "enqueued a batch");
            return Ok(done);
        }
        #[cfg(feature = "postgres")]
        #[allow(irrefutable_let_patterns)] // a PostgreSQL-only build
        if let Db::Postgres(pool) = &self.db {
            let done = self.submit_many_pg(pool, jobs).await?;
            self.wake_workers();
            tracing::debug!(jobs = done.len(), "enqueued a batch");
            return Ok(done);
        }
        let done = on_db!(&self.db, |pool, sql| {
            let mut tx = pool
                .begin()
                .await
                .map_err(OutboxError::db("begin a transaction"))?;
            // SQLite has one writer: no order locks to take.
            let mut done = Vec::with_capacity(jobs.len());
            for chunk in jobs.chunks(ENQUEUE_BATCH) {
                let text = db::insert_many(sql, chunk.len());
                let mut query = sqlx::query(&text);
                for (n, job) in chunk.iter().enumerate() {
                    query = query
                        .bind(i64::try_from(n).unwrap_or(i64::MAX))
                        .bind(job.kind().as_str())
                        .bind(job.merchant_serial_number.as_str())
                        .bind(job.payment_type.as_str())
                        .bind(job.order_id.as_str())
                        .bind(job.body.as_str())
                        .bind(job.idempotency_key.as_str());
                }
                let rows = query
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(OutboxError::db("enqueue jobs"))?;
                let mut stored = stored_keys(&rows)?;
                for job in chunk {
                    let key = (
                        job.merchant_serial_number.as_str().to_owned(),
                        job.idempotency_key.clone(),
                    );
                    // The first job of the batch with a key is the stored
                    // one; a later one with the same key is already queued.
                    if let Some(id) = stored.remove(&key) {
                        done.push(Enqueued {
                            id: JobId::new(id),
                            already_queued: false,
                        });
                        continue;
                    }
                    let id = sqlx::query(&sql.find_by_key)
                        .bind(job.merchant_serial_number.as_str())
                        .bind(job.idempotency_key.as_str())
                        .fetch_one(&mut *tx)
                        .await
                        .and_then(|row| row.try_get::<i64, _>("id"))
                        .map_err(OutboxError::db("enqueue jobs"))?;
                    done.push(Enqueued {
                        id: JobId::new(id),
                        already_queued: true,
                    });
                }
            }
            tx.commit()
                .await
                .map_err(OutboxError::db("commit the enqueued jobs"))?;
            Ok::<_, OutboxError>(done)
        })?;
        self.wake_workers();
        tracing::debug!(jobs = done.len(), "enqueued a batch");
        Ok(done)
    }

    /// [`Outbox::submit_many`] on PostgreSQL, in one transaction: every
    /// order lock of the batch in one statement (in one order, so that two
    /// batches never wait for each other crosswise), then the jobs with one
    /// `INSERT ... SELECT FROM UNNEST` of six arrays per
    /// [`ENQUEUE_ARRAY_BATCH`] jobs (six bound values however many jobs,
    /// where a multi-row `VALUES` binds seven per job and PostgreSQL plans
    /// each new row count afresh), the jobs already queued found in one
    /// more statement, and the `NOTIFY`.
    #[cfg(feature = "postgres")]
    async fn submit_many_pg(
        &self,
        pool: &PgPool,
        jobs: &[NewJob],
    ) -> Result<Vec<Enqueued>, OutboxError> {
        let mut tx = pool
            .begin()
            .await
            .map_err(OutboxError::db("begin a transaction"))?;
        let locks = order_locks(jobs);
        let list = locks
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        query(ORDER_LOCKS)
            .bind(ORDER_LOCK_CLASS)
            .bind(list)
            .execute(&mut *tx)
            .await
            .map_err(OutboxError::db("lock the orders to enqueue"))?;
        let mut done = Vec::with_capacity(jobs.len());
        for chunk in jobs.chunks(ENQUEUE_ARRAY_BATCH) {
            if let [job] = chunk {
                let (id, already_queued) = insert_or_find!(&db::POSTGRES, tx, job)
                    .map_err(OutboxError::db("enqueue a job"))?;
                done.push(Enqueued {
                    id: JobId::new(id),
                    already_queued,
                });
                continue;
            }
            let column = |f: fn(&NewJob) -> &str| chunk.iter().map(f).collect::<Vec<&str>>();
            let rows = sqlx::query(&INSERT_UNNEST)
                .bind(column(|j| j.kind().as_str()))
                .bind(column(|j| j.merchant_serial_number.as_str()))
                .bind(column(|j| j.payment_type.as_str()))
                .bind(column(|j| j.order_id.as_str()))
                .bind(column(|j| j.body.as_str()))
                .bind(column(|j| j.idempotency_key.as_str()))
                .fetch_all(&mut *tx)
                .await
                .map_err(OutboxError::db("enqueue jobs"))?;
            let mut stored = stored_keys(&rows)?;
            // The first job of the batch with a key is the stored one; a
            // later one with the same key, or one stored before, is
            // already queued: found in one statement.
            let mut found: HashMap<(String, String), i64> = HashMap::new();
            let missing: Vec<&NewJob> = {
                let mut seen = std::collections::HashSet::new();
                chunk
                    .iter()
                    .filter(|job| {
                        let key = (
                            job.merchant_serial_number.as_str().to_owned(),
                            job.idempotency_key.clone(),
                        );
                        !stored.contains_key(&key) && seen.insert(key)
                    })
                    .collect()
            };
            if !missing.is_empty() {
                let rows = sqlx::query(FIND_BY_KEYS)
                    .bind(
                        missing
                            .iter()
                            .map(|j| j.merchant_serial_number.as_str())
                            .collect::<Vec<&str>>(),
                    )
                    .bind(
                        missing
                            .iter()
                            .map(|j| j.idempotency_key.as_str())
                            .collect::<Vec<&str>>(),
                    )
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(OutboxError::db("enqueue jobs"))?;
                found = stored_keys(&rows)?;
            }
            for job in chunk {
                let key = (
                    job.merchant_serial_number.as_str().to_owned(),
                    job.idempotency_key.clone(),
                );
                if let Some(id) = stored.remove(&key) {
                    done.push(Enqueued {
                        id: JobId::new(id),
                        already_queued: false,
                    });
                    // A later job of the batch with this key is this one.
                    found.insert(key, id);
                } else if let Some(id) = found.get(&key) {
                    done.push(Enqueued {
                        id: JobId::new(*id),
                        already_queued: true,
                    });
                } else {
                    return Err(OutboxError::Schema(format!(
                        "job {} of merchant {} was neither stored nor found by its idempotency key",
                        job.idempotency_key,
                        job.merchant_serial_number.as_str()
                    )));
                }
            }
        }
        query(NOTIFY)
            .bind(NOTIFY_CHANNEL)
            .bind("")
            .execute(&mut *tx)
            .await
            .map_err(OutboxError::db("notify the workers"))?;
        tx.commit()
            .await
            .map_err(OutboxError::db("commit the enqueued jobs"))?;
        Ok(done)
    }

    /// [`Outbox::submit_many`] on MySQL: in one transaction, every order
    /// lock of the batch in one order (as on PostgreSQL), then the jobs one
    /// at a time with the single-job insert (MySQL has no `INSERT ...
    /// RETURNING` for a multi-row insert that skips known keys). No
    /// notification: MySQL workers in other processes poll.
    #[cfg(feature = "mysql")]
    async fn submit_many_mysql(
        &self,
        pool: &sqlx::MySqlPool,
        jobs: &[NewJob],
    ) -> Result<Vec<Enqueued>, OutboxError> {
        let mut tx = pool
            .begin()
            .await
            .map_err(OutboxError::db("begin a transaction"))?;
        let locks = order_locks(jobs);
        // Every lock row of the batch in one locking read, in key order
        // (one round trip instead of one per lock).
        let mut locking = sqlx::query(db::mysql::order_locks(locks.len()));
        for lock in &locks {
            locking = locking.bind(*lock);
        }
        locking
            .fetch_all(&mut *tx)
            .await
            .map_err(OutboxError::db("lock the orders to enqueue"))?;
        let mut done = Vec::with_capacity(jobs.len());
        for job in jobs {
            let (id, already_queued) = db::mysql::insert(&mut tx, job)
                .await
                .map_err(OutboxError::db("enqueue jobs"))?;
            done.push(Enqueued {
                id: JobId::new(id),
                already_queued,
            });
        }
        tx.commit()
            .await
            .map_err(OutboxError::db("commit the enqueued jobs"))?;
        Ok(done)
    }

    /// Wakes this process's idle workers of this outbox at once (they look
    /// for due jobs instead of waiting out their poll interval).
    /// [`Outbox::enqueue`] and [`Outbox::enqueue_many`] do it themselves;
    /// after committing a transaction that used [`Outbox::enqueue_in`] on
    /// SQLite, call it so that a worker in this process starts at once
    /// (on PostgreSQL the enqueue's `NOTIFY` wakes every worker on commit,
    /// in any process).
    pub fn wake_workers(&self) {
        self.wake.notify_waiters();
    }

    /// What a worker waits on between polls (see [`Outbox::wake_workers`]).
    pub(crate) fn wake_signal(&self) -> &Notify {
        &self.wake
    }

    /// Stores a job inside the caller's transaction: it exists when the
    /// caller commits, and never if the caller rolls back. Returns its id,
    /// or that of the job already queued with the same idempotency key.
    ///
    /// **Per-order sequence.** A job's place in its order is taken under a
    /// lock on the order that is held until the caller's transaction ends
    /// (PostgreSQL: `pg_advisory_xact_lock`; SQLite: the database's write
    /// lock), so the order's jobs are delivered in the order their
    /// transactions commit. Two concurrent transactions that enqueue jobs
    /// of the *same* order are therefore serialised: the second waits in
    /// `enqueue_in` until the first commits or rolls back. On PostgreSQL
    /// orders share [`ORDER_LOCK_BUCKETS`] locks, so an unrelated order
    /// occasionally waits too. On PostgreSQL, pass a transaction (not a
    /// bare connection, whose lock would end with the statement) at the
    /// default isolation level, READ COMMITTED; a transaction that enqueues
    /// jobs of several orders one by one can deadlock with another doing
    /// the same in another order (PostgreSQL then fails one of them): use
    /// [`Outbox::enqueue_many`], which locks all of a batch's orders first
    /// in one fixed order, or enqueue orders sorted the same way.
    ///
    /// On SQLite, a transaction that reads before it writes should start
    /// with `BEGIN IMMEDIATE` (`pool.begin_with("BEGIN IMMEDIATE")`), as
    /// for any SQLite writer, so that it never has to upgrade its lock.
    pub async fn enqueue_in<'t>(
        &self,
        tx: impl Into<Tx<'t>>,
        job: &NewJob,
    ) -> Result<JobId, OutboxError> {
        Ok(self.submit_in(tx, job).await?.id)
    }

    /// [`Outbox::enqueue_in`], saying whether the job was already queued.
    pub async fn submit_in<'t>(
        &self,
        tx: impl Into<Tx<'t>>,
        job: &NewJob,
    ) -> Result<Enqueued, OutboxError> {
        let tx = tx.into();
        let given = match &tx {
            #[cfg(feature = "sqlite")]
            Tx::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            Tx::Postgres(_) => Backend::Postgres,
            #[cfg(feature = "mysql")]
            Tx::Mysql(_) => Backend::Mysql,
        };
        if given != self.backend() {
            return Err(OutboxError::BackendMismatch {
                outbox: self.backend().as_str(),
                given: given.as_str(),
            });
        }
        let found = match tx {
            #[cfg(feature = "sqlite")]
            Tx::Sqlite(conn) => insert_or_find!(&db::SQLITE, conn, job),
            #[cfg(feature = "postgres")]
            Tx::Postgres(conn) => {
                match sqlx::query(ORDER_LOCK)
                    .bind(ORDER_LOCK_CLASS)
                    .bind(order_lock(job))
                    .execute(&mut *conn)
                    .await
                {
                    Ok(_) => match insert_or_find!(&db::POSTGRES, conn, job) {
                        // Delivered to the listening workers on commit.
                        Ok((id, false)) => sqlx::query(NOTIFY)
                            .bind(NOTIFY_CHANNEL)
                            .bind(job.merchant_serial_number.as_str())
                            .execute(&mut *conn)
                            .await
                            .map(|_| (id, false)),
                        other => other,
                    },
                    Err(e) => Err(e),
                }
            }
            #[cfg(feature = "mysql")]
            Tx::Mysql(conn) => {
                match query(db::mysql::ORDER_LOCK)
                    .bind(ORDER_LOCK_CLASS)
                    .bind(order_lock(job))
                    .execute(&mut *conn)
                    .await
                {
                    Ok(_) => db::mysql::insert(conn, job).await,
                    Err(e) => Err(e),
                }
            }
        };
        let (id, already_queued) = found.map_err(OutboxError::db("enqueue a job"))?;
        if already_queued {
            tracing::debug!(job = id, kind = %job.kind(), order_id = %job.order_id, "already queued");
        } else {
            tracing::debug!(job = id, kind = %job.kind(), order_id = %job.order_id, "enqueued");
        }
        Ok(Enqueued {
            id: JobId::new(id),
            already_queued,
        })
    }

    /// One job's status.
    pub async fn job(&self, id: JobId) -> Result<JobStatus, OutboxError> {
        let found = on_db!(&self.db, |pool, sql| {
            match query(&sql.job_by_id)
                .bind(id.get())
                .fetch_optional(pool)
                .await
            {
                Ok(Some(row)) => db::job_status(&row).map(Some),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .map_err(OutboxError::db("read a job"))?;
        found.ok_or(OutboxError::NoSuchJob(id))
    }

    /// The jobs of an order (every merchant and payment type with this
    /// orderId), in their delivery sequence.
    pub async fn order_status(&self, order_id: &str) -> Result<Vec<JobStatus>, OutboxError> {
        on_db!(&self.db, |pool, sql| {
            query(&sql.jobs_by_order)
                .bind(order_id)
                .fetch_all(pool)
                .await
                .and_then(|rows| rows.iter().map(db::job_status).collect())
        })
        .map_err(OutboxError::db("read the jobs of an order"))
    }

    /// Up to `limit` jobs in `state`, oldest first.
    pub async fn jobs_in_state(
        &self,
        state: JobState,
        limit: u32,
    ) -> Result<Vec<JobStatus>, OutboxError> {
        on_db!(&self.db, |pool, sql| {
            query(&sql.jobs_in_state)
                .bind(state.as_str())
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await
                .and_then(|rows| rows.iter().map(db::job_status).collect())
        })
        .map_err(OutboxError::db("list jobs"))
    }

    /// Up to `limit` failed jobs, oldest first, with their reasons.
    pub async fn failed(&self, limit: u32) -> Result<Vec<JobStatus>, OutboxError> {
        self.jobs_in_state(JobState::Failed, limit).await
    }

    /// A job's request, read from what is stored (see [`crate::request`]),
    /// to inspect or fix. A stored request that cannot be read (changed by
    /// hand, or stored in a format version this build does not know) is
    /// [`OutboxError::UnreadableRequest`], with the reason.
    pub async fn job_request(&self, id: JobId) -> Result<JobRequest, OutboxError> {
        self.job_with_request(id)
            .await?
            .1
            .map_err(|reason| OutboxError::UnreadableRequest { id, reason })
    }

    /// A job's status and its stored request (or why that cannot be read).
    async fn job_with_request(
        &self,
        id: JobId,
    ) -> Result<(JobStatus, Result<JobRequest, String>), OutboxError> {
        let found = on_db!(&self.db, |pool, sql| {
            match query(&sql.payload)
                .bind(id.get())
                .fetch_optional(pool)
                .await
            {
                Ok(Some(row)) => db::job_status(&row).and_then(|status| {
                    let version: i64 = row.try_get("payload_version")?;
                    let payload: String = text(&row, "payload")?;
                    let request = read_stored(status.kind, version, &payload);
                    Ok(Some((status, request)))
                }),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .map_err(OutboxError::db("read a job"))?;
        found.ok_or(OutboxError::NoSuchJob(id))
    }

    /// Replaces the request of a failed (or pending) job, after checking
    /// it with the client library's rules ([`JobRequest::validate`]: a
    /// request with errors is [`OutboxError::InvalidPayload`]); returns the
    /// warnings. It must be of the job's kind (and a v3 category name the
    /// job's order and payment type). The job keeps its place in its
    /// order's sequence and its idempotency key; call [`Outbox::retry`] to
    /// send a failed job again.
    pub async fn update_job_payload(
        &self,
        id: JobId,
        request: &JobRequest,
    ) -> Result<ValidationReport, OutboxError> {
        let (row, _) = self.job_with_request(id).await?;
        if !matches!(row.state, JobState::Failed | JobState::Pending) {
            return Err(OutboxError::WrongState {
                id,
                state: row.state,
                what: "only a failed or pending job's request can be changed",
            });
        }
        if request.kind() != row.kind {
            return Err(OutboxError::InvalidJob(format!(
                "job {id} sends a {}, not a {}; give a {} request",
                row.kind.describe(),
                request.kind().describe(),
                row.kind.describe()
            )));
        }
        let payment_type: PaymentType = row
            .payment_type
            .parse()
            .map_err(|e| OutboxError::Schema(format!("job {id}: {e}")))?;
        let order_id = OrderId::new(row.order_id.as_str())
            .map_err(|e| OutboxError::Schema(format!("job {id}: {e}")))?;
        let mut report = request.check_order(&payment_type, &order_id);
        report.merge(request.validate());
        let warnings = report.into_result().map_err(OutboxError::InvalidPayload)?;
        let body = request.body_json().map_err(|e| {
            OutboxError::InvalidJob(format!("the request cannot be written as JSON: {e}"))
        })?;
        let changed = on_db!(&self.db, |pool, sql| {
            query(&sql.update_payload)
                .bind(id.get())
                .bind(&body)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })
        .map_err(OutboxError::db("update a job's request"))?;
        if changed == 0 {
            let state = self.job(id).await?.state;
            return Err(OutboxError::WrongState {
                id,
                state,
                what: "only a failed or pending job's request can be changed",
            });
        }
        tracing::info!(job = %id, "request of job replaced");
        Ok(warnings)
    }

    /// Sends a failed job again (it becomes pending, due now).
    pub async fn retry(&self, id: JobId) -> Result<(), OutboxError> {
        let changed = on_db!(&self.db, |pool, sql| {
            query(&sql.retry_one)
                .bind(id.get())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })
        .map_err(OutboxError::db("retry a job"))?;
        if changed == 0 {
            let state = self.job(id).await?.state;
            return Err(OutboxError::WrongState {
                id,
                state,
                what: "only failed jobs are retried by hand (pending jobs are retried by the workers)",
            });
        }
        tracing::info!(job = %id, "failed job queued again");
        Ok(())
    }

    /// Sends every failed job again; returns how many.
    pub async fn retry_all_failed(&self) -> Result<u64, OutboxError> {
        let n = on_db!(&self.db, |pool, sql| {
            query(&sql.retry_all)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })
        .map_err(OutboxError::db("retry the failed jobs"))?;
        tracing::info!(jobs = n, "failed jobs queued again");
        Ok(n)
    }

    /// Queue depth, age of the oldest waiting job, deliveries and failures
    /// in the last minute, and per-merchant counts.
    pub async fn metrics(&self) -> Result<Metrics, OutboxError> {
        type Counts = (
            Vec<(String, i64)>,
            Vec<(String, String, i64)>,
            [i64; 4],
            Option<i64>,
        );
        let (counts, merchants, [now, retrying, delivered_last_minute, failed_last_minute], oldest): Counts =
            on_db!(&self.db, |pool, sql| {
                async {
                    let counts = query(&sql.counts)
                        .fetch_all(pool)
                        .await?
                        .iter()
                        .map(|r| Ok((text(r, "state")?, r.try_get("n")?)))
                        .collect::<Result<Vec<_>, sqlx::Error>>()?;
                    let merchants = query(&sql.by_merchant)
                        .fetch_all(pool)
                        .await?
                        .iter()
                        .map(|r| {
                            Ok((
                                text(r, "merchant_serial_number")?,
                                text(r, "state")?,
                                r.try_get("n")?,
                            ))
                        })
                        .collect::<Result<Vec<_>, sqlx::Error>>()?;
                    let row = query(&sql.activity).fetch_one(pool).await?;
                    Ok::<Counts, sqlx::Error>((
                        counts,
                        merchants,
                        [
                            row.try_get("now")?,
                            row.try_get("retrying")?,
                            row.try_get("delivered_last_minute")?,
                            row.try_get("failed_last_minute")?,
                        ],
                        row.try_get("oldest")?,
                    ))
                }
                .await
            })
            .map_err(OutboxError::db("read the metrics"))?;
        let in_state = |state: JobState| {
            counts
                .iter()
                .find(|(s, _)| s == state.as_str())
                .map(|(_, n)| count(*n))
                .unwrap_or(0)
        };
        let mut by_merchant: Vec<MerchantQueue> = Vec::new();
        for (msn, state, n) in merchants {
            let entry = match by_merchant
                .iter_mut()
                .find(|m| m.merchant_serial_number == msn)
            {
                Some(entry) => entry,
                None => {
                    by_merchant.push(MerchantQueue {
                        merchant_serial_number: msn.clone(),
                        pending: 0,
                        in_flight: 0,
                        failed: 0,
                    });
                    let last = by_merchant.len() - 1;
                    &mut by_merchant[last]
                }
            };
            match JobState::parse(&state) {
                Some(JobState::Pending) => entry.pending = count(n),
                Some(JobState::InFlight) => entry.in_flight = count(n),
                Some(JobState::Failed) => entry.failed = count(n),
                _ => {}
            }
        }
        let now = Timestamp::from_millis(now);
        let (pending, in_flight) = (in_state(JobState::Pending), in_state(JobState::InFlight));
        Ok(Metrics {
            pending,
            in_flight,
            delivered: in_state(JobState::Delivered),
            failed: in_state(JobState::Failed),
            retrying: count(retrying),
            queue_depth: pending + in_flight,
            oldest_pending_age: oldest.map(|t| now.since(Timestamp::from_millis(t))),
            delivered_last_minute: count(delivered_last_minute),
            failed_last_minute: count(failed_last_minute),
            by_merchant,
            at: now,
        })
    }

    /// Jobs of `merchant_serial_number` that a worker will still deliver:
    /// pending or in flight, and not held back by a failed earlier job of
    /// their order. Zero means the merchant's queue is drained.
    pub async fn outstanding(&self, merchant_serial_number: &str) -> Result<u64, OutboxError> {
        let n = on_db!(&self.db, |pool, sql| {
            query(&sql.outstanding)
                .bind(merchant_serial_number)
                .fetch_one(pool)
                .await
                .and_then(|r| r.try_get::<i64, _>("n"))
        })
        .map_err(OutboxError::db("count outstanding jobs"))?;
        Ok(count(n))
    }

    /// Jobs waiting for other merchants' workers, per merchant.
    pub async fn waiting_for_other_merchants(
        &self,
        merchant_serial_number: &str,
    ) -> Result<Vec<(String, u64)>, OutboxError> {
        on_db!(&self.db, |pool, sql| {
            query(&sql.others_waiting)
                .bind(merchant_serial_number)
                .fetch_all(pool)
                .await
                .and_then(|rows| rows.iter().map(merchant_count).collect())
        })
        .map_err(OutboxError::db("count other merchants' jobs"))
    }

    /// Deletes delivered jobs delivered longer than `older_than` ago;
    /// returns how many. Pending and failed jobs are never deleted.
    pub async fn purge_delivered(&self, older_than: Duration) -> Result<u64, OutboxError> {
        on_db!(&self.db, |pool, sql| {
            query(&sql.purge)
                .bind(age_millis(older_than))
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })
        .map_err(OutboxError::db("purge delivered jobs"))
    }

    // ------------------------------------------------ worker statements

    /// One pass of a fair claim of up to `max` due jobs: the merchants
    /// after `cursor` in MSN order (those with jobs pending or in flight,
    /// or of `scope` when it is `Some`), at most
    /// `max + excluded + `[`CLAIM_WINDOW_SLACK`] of them, and of each, its
    /// oldest due job that heads its order; the first `max` such jobs are
    /// claimed, one per merchant, `excluded` merchants left out. The
    /// cursor moves past what was claimed (or looked at), so that the next
    /// pass goes on with the next merchants and every merchant's turn
    /// comes, whatever another's backlog: merchants take turns, each its
    /// oldest job first.
    pub(crate) async fn claim_fair(
        &self,
        scope: Option<&[String]>,
        excluded: &[String],
        owner: &str,
        lease: Duration,
        max: usize,
        cursor: &str,
    ) -> Result<FairClaim, OutboxError> {
        let max = max.max(1);
        let scope = scope.map(|s| serde_json::to_string(s).unwrap_or_else(|_| "[]".to_owned()));
        let excluded_json = serde_json::to_string(excluded).unwrap_or_else(|_| "[]".to_owned());
        #[cfg(feature = "mysql")]
        #[allow(irrefutable_let_patterns)] // a MySQL-only build
        if let Db::Mysql(pool) = &self.db {
            // MySQL's due index holds delivered jobs too (no partial
            // indexes), so a skip scan over it would read them: it claims
            // from every due job at once, the oldest merchants first.
            let jobs =
                db::mysql::claim_batch(pool, scope, excluded_json, owner, ahead_millis(lease), max)
                    .await
                    .map_err(OutboxError::db("claim jobs"))?;
            return Ok(FairClaim {
                jobs,
                cursor: String::new(),
                end: true,
                missed: false,
            });
        }
        let window = max
            .saturating_add(excluded.len())
            .saturating_add(CLAIM_WINDOW_SLACK)
            .min(CLAIM_WINDOW_MAX);
        let window_i64 = i64::try_from(window).unwrap_or(i64::MAX);
        let looked: Vec<(String, Option<i64>)> = on_db!(&self.db, |pool, sql| {
            let scan = match &scope {
                Some(list) => query(&sql.claim_scan_list)
                    .bind(cursor)
                    .bind(window_i64)
                    .bind(excluded_json.as_str())
                    .bind(list.as_str()),
                None => query(&sql.claim_scan)
                    .bind(cursor)
                    .bind(window_i64)
                    .bind(excluded_json.as_str()),
            };
            scan.fetch_all(pool).await.and_then(|rows| {
                rows.iter()
                    .map(|r| {
                        Ok((
                            text::<_, String>(r, "merchant_serial_number")?,
                            r.try_get::<Option<i64>, _>("id")?,
                        ))
                    })
                    .collect()
            })
        })
        .map_err(OutboxError::db("claim jobs"))?;
        let end = looked.len() < window;
        let mut picked: Vec<i64> = Vec::with_capacity(max);
        let mut next = String::new();
        for (msn, id) in &looked {
            if let Some(id) = id {
                picked.push(*id);
                next.clone_from(msn);
                if picked.len() == max {
                    break;
                }
            }
        }
        let cursor = if picked.len() == max {
            next
        } else if end {
            String::new()
        } else {
            looked
                .last()
                .map(|(msn, _)| msn.clone())
                .unwrap_or_default()
        };
        if picked.is_empty() {
            return Ok(FairClaim {
                jobs: Vec::new(),
                cursor,
                end,
                missed: false,
            });
        }
        let ids = serde_json::to_string(&picked).unwrap_or_else(|_| "[]".to_owned());
        let jobs: Vec<ClaimedJob> = on_db!(&self.db, |pool, sql| {
            query(&sql.claim_ids)
                .bind(owner)
                .bind(ahead_millis(lease))
                .bind(ids.as_str())
                .fetch_all(pool)
                .await
                .and_then(|rows| rows.iter().map(db::claimed_job).collect())
        })
        .map_err(OutboxError::db("claim jobs"))?;
        Ok(FairClaim {
            missed: jobs.len() < picked.len(),
            jobs,
            cursor,
            end: end && picked.len() < max,
        })
    }

    /// Gives back a job claimed by a worker without credentials for its
    /// merchant, its attempt not counted.
    pub(crate) async fn unclaim(&self, job: &ClaimedJob, owner: &str) -> Result<bool, OutboxError> {
        on_db!(&self.db, |pool, sql| {
            query(&sql.unclaim)
                .bind(job.id.get())
                .bind(owner)
                .bind(job.attempts)
                .execute(pool)
                .await
                .map(|r| r.rows_affected() > 0)
        })
        .map_err(OutboxError::db("give back a job"))
    }

    /// Per merchant, the jobs a worker will still deliver (see
    /// [`Outbox::outstanding`]).
    pub(crate) async fn outstanding_by_merchant(&self) -> Result<Vec<(String, u64)>, OutboxError> {
        on_db!(&self.db, |pool, sql| {
            query(&sql.outstanding_by_merchant)
                .fetch_all(pool)
                .await
                .and_then(|rows| rows.iter().map(merchant_count).collect())
        })
        .map_err(OutboxError::db("count outstanding jobs"))
    }

    /// Extends the lease of a claimed job; false when it was lost.
    pub(crate) async fn renew(
        &self,
        job: &ClaimedJob,
        owner: &str,
        lease: Duration,
    ) -> Result<bool, OutboxError> {
        on_db!(&self.db, |pool, sql| {
            query(&sql.renew)
                .bind(job.id.get())
                .bind(owner)
                .bind(job.attempts)
                .bind(ahead_millis(lease))
                .execute(pool)
                .await
                .map(|r| r.rows_affected() > 0)
        })
        .map_err(OutboxError::db("renew a lease"))
    }

    /// Records many deliveries at once, each fenced as [`Outbox::record`]
    /// fences one (only the holder of the attempt records it), in one
    /// transaction: one commit for the batch instead of one per job (on
    /// PostgreSQL one statement). A job is marked delivered only here,
    /// after its delivery succeeded; should the process die before this
    /// commits, the lease runs out and the job is sent again, which the
    /// API answers with 409 and the outbox reads as already delivered.
    /// Returns, of the jobs recorded, how long each waited since enqueue
    /// (database clock); a job missing from the answer had lost its lease.
    pub(crate) async fn record_delivered_many(
        &self,
        owner: &str,
        done: &[DeliveredJob],
    ) -> Result<HashMap<i64, Option<i64>>, OutboxError> {
        let mut recorded = HashMap::with_capacity(done.len());
        if done.is_empty() {
            return Ok(recorded);
        }
        #[cfg(feature = "postgres")]
        #[allow(irrefutable_let_patterns)] // a PostgreSQL-only build
        if let Db::Postgres(pool) = &self.db {
            let rows = sqlx::query(&DELIVERED_MANY)
                .bind(owner)
                .bind(done.iter().map(|d| d.id.get()).collect::<Vec<i64>>())
                .bind(done.iter().map(|d| d.attempts).collect::<Vec<i64>>())
                .bind(
                    done.iter()
                        .map(|d| d.outcome.as_str())
                        .collect::<Vec<&str>>(),
                )
                .bind(
                    done.iter()
                        .map(|d| d.result_id.as_deref())
                        .collect::<Vec<Option<&str>>>(),
                )
                .fetch_all(pool)
                .await
                .map_err(OutboxError::db("record deliveries"))?;
            for row in rows {
                let id: i64 = row
                    .try_get("id")
                    .map_err(OutboxError::db("record deliveries"))?;
                recorded.insert(id, row.try_get::<Option<i64>, _>("waited").ok().flatten());
            }
            return Ok(recorded);
        }
        // SQLite and MySQL: the single statements, in one transaction.
        on_db!(&self.db, |pool, sql| {
            async {
                let mut tx = pool.begin().await?;
                for d in done {
                    let update = query(&sql.delivered)
                        .bind(d.id.get())
                        .bind(owner)
                        .bind(d.attempts)
                        .bind(d.outcome.as_str())
                        .bind(d.result_id.as_deref());
                    if sql.delivered_waited.is_empty() {
                        if let Some(row) = update.fetch_optional(&mut *tx).await? {
                            recorded.insert(
                                d.id.get(),
                                row.try_get::<Option<i64>, _>("waited").ok().flatten(),
                            );
                        }
                    } else if update.execute(&mut *tx).await?.rows_affected() > 0 {
                        let waited = query(&sql.delivered_waited)
                            .bind(d.id.get())
                            .fetch_optional(&mut *tx)
                            .await?
                            .and_then(|row| row.try_get::<Option<i64>, _>("waited").ok().flatten());
                        recorded.insert(d.id.get(), waited);
                    }
                }
                tx.commit().await
            }
            .await
        })
        .map_err(OutboxError::db("record deliveries"))?;
        Ok(recorded)
    }

    /// Records how an attempt ended; false when the lease had been taken
    /// over (the new holder records instead).
    ///
    /// With `events`, the webhook event the verdict causes (see
    /// [`crate::webhook`]) is stored in the same transaction as the
    /// outcome: both or neither.
    pub(crate) async fn record(
        &self,
        job: &ClaimedJob,
        owner: &str,
        verdict: &Verdict,
        events: bool,
    ) -> Result<bool, OutboxError> {
        let event = match events {
            true => self.outcome_event(job, verdict).await?,
            false => None,
        };
        let changed = on_db!(&self.db, |pool, sql| {
            let fenced = |text| {
                query(text)
                    .bind(job.id.get())
                    .bind(owner)
                    .bind(job.attempts)
            };
            let query = match verdict {
                Verdict::LeaseLost => return Ok(false),
                Verdict::Delivered { outcome, result_id } => fenced(&sql.delivered)
                    .bind(outcome.as_str())
                    .bind(result_id.clone()),
                Verdict::Retry {
                    error,
                    status,
                    after,
                } => fenced(&sql.reschedule)
                    .bind(ahead_millis(*after))
                    .bind(error.clone())
                    .bind(status.map(i64::from)),
                Verdict::Failed {
                    error,
                    status,
                    problems,
                    different_content,
                } => fenced(&sql.failed)
                    .bind(error.clone())
                    .bind(status.map(i64::from))
                    .bind(serde_json::to_string(problems).unwrap_or_else(|_| "[]".to_owned()))
                    .bind(different_content.then_some(db::DIFFERENT_CONTENT)),
            };
            let delivered = matches!(verdict, Verdict::Delivered { .. });
            // MySQL's UPDATE returns no rows: the wait is read afterwards.
            let returns_waited = sql.delivered_waited.is_empty();
            // How long a delivered job waited since enqueue, by the
            // database's clock (the delivered statement returns it).
            match &event {
                None if delivered && !returns_waited => match query.execute(pool).await {
                    Ok(done) if done.rows_affected() > 0 => {
                        let waited = crate::numbered::query(&sql.delivered_waited)
                            .bind(job.id.get())
                            .fetch_optional(pool)
                            .await
                            .ok()
                            .flatten()
                            .and_then(|row| row.try_get::<Option<i64>, _>("waited").ok().flatten());
                        crate::telemetry::enqueue_to_delivered(job, waited);
                        Ok(1)
                    }
                    Ok(_) => Ok(0),
                    Err(e) => Err(e),
                },
                None if delivered => match query.fetch_optional(pool).await {
                    Ok(Some(row)) => {
                        crate::telemetry::enqueue_to_delivered(
                            job,
                            row.try_get::<Option<i64>, _>("waited").ok().flatten(),
                        );
                        Ok(1)
                    }
                    Ok(None) => Ok(0),
                    Err(e) => Err(e),
                },
                None => query.execute(pool).await.map(|r| r.rows_affected()),
                Some(event) => {
                    async {
                        let mut tx = pool.begin().await?;
                        let (changed, waited) = if delivered && !returns_waited {
                            match query.execute(&mut *tx).await?.rows_affected() {
                                0 => (0, None),
                                changed => (
                                    changed,
                                    Some(
                                        crate::numbered::query(&sql.delivered_waited)
                                            .bind(job.id.get())
                                            .fetch_optional(&mut *tx)
                                            .await?
                                            .and_then(|row| {
                                                row.try_get::<Option<i64>, _>("waited")
                                                    .ok()
                                                    .flatten()
                                            }),
                                    ),
                                ),
                            }
                        } else if delivered {
                            match query.fetch_optional(&mut *tx).await? {
                                Some(row) => (
                                    1,
                                    Some(row.try_get::<Option<i64>, _>("waited").ok().flatten()),
                                ),
                                None => (0, None),
                            }
                        } else {
                            (query.execute(&mut *tx).await?.rows_affected(), None)
                        };
                        if changed > 0 {
                            let events = crate::webhook::event_sql(self.backend());
                            crate::webhook::insert_event(events, event)
                                .execute(&mut *tx)
                                .await?;
                            tx.commit().await?;
                        }
                        if let Some(waited) = waited {
                            crate::telemetry::enqueue_to_delivered(job, waited);
                        }
                        Ok(changed)
                    }
                    .await
                }
            }
        })
        .map_err(OutboxError::db("record a delivery attempt"))?;
        Ok(changed > 0)
    }

    /// Images this outbox uploaded under `image_id` for the merchant
    /// (created by a job other than `except`), newest first: what a 409 on
    /// that image id is compared with. Stored requests that cannot be read
    /// are left out.
    pub(crate) async fn delivered_images(
        &self,
        merchant_serial_number: &str,
        image_id: &str,
        except: JobId,
    ) -> Result<Vec<Image>, OutboxError> {
        let stored = on_db!(&self.db, |pool, sql| {
            query(&sql.delivered_images)
                .bind(merchant_serial_number)
                .bind(image_id)
                .bind(except.get())
                .fetch_all(pool)
                .await
                .and_then(|rows| {
                    rows.iter()
                        .map(|r| {
                            let payload: String = text(r, "payload")?;
                            Ok(read_stored(
                                JobKind::Image,
                                r.try_get("payload_version")?,
                                &payload,
                            ))
                        })
                        .collect::<Result<Vec<_>, sqlx::Error>>()
                })
        })
        .map_err(OutboxError::db("read earlier uploads of an image"))?;
        Ok(stored
            .into_iter()
            .filter_map(|request| match request {
                Ok(JobRequest::Image(image)) => Some(image),
                _ => None,
            })
            .collect())
    }

    /// Gives a claimed job back, due at once, without recording an outcome.
    pub(crate) async fn release(&self, job: &ClaimedJob, owner: &str) -> Result<bool, OutboxError> {
        on_db!(&self.db, |pool, sql| {
            query(&sql.release)
                .bind(job.id.get())
                .bind(owner)
                .bind(job.attempts)
                .execute(pool)
                .await
                .map(|r| r.rows_affected() > 0)
        })
        .map_err(OutboxError::db("release a job"))
    }
}

/// One `(merchant_serial_number, n)` row of a per-merchant count.
fn merchant_count<R: Row>(row: &R) -> Result<(String, u64), sqlx::Error>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok((
        text::<_, String>(row, "merchant_serial_number")?,
        count(row.try_get::<i64, _>("n")?),
    ))
}

/// The fair claim and the batched record, on SQLite and (with
/// `DATABASE_URL` set) PostgreSQL, through the crate's own statements.
#[cfg(all(test, feature = "sqlite", feature = "postgres"))]
#[path = "outbox_claim_tests.rs"]
mod claim_and_record;
