//! MySQL 8 and MariaDB 10.6+: any number of workers anywhere, with the
//! same statements as the other backends, rewritten for MySQL's `?`
//! placeholders ([`crate::numbered`]), and three differences:
//!
//! - **The claim** is four statements in one transaction
//!   ([`claim_batch`]): MySQL cannot update a table that the same statement
//!   selects from, and returns no rows from an `UPDATE` (MariaDB's
//!   `RETURNING` covers `INSERT` and `DELETE` only), nor accepts `WITH`
//!   before an `UPDATE` (MariaDB). The candidates are the other backends'
//!   fair `heads`, read plainly; they are then locked by id with `FOR
//!   UPDATE SKIP LOCKED` (MariaDB has no `OF j`; the subqueries of a
//!   locking read do not lock), leased, and read back.
//! - **A batch enqueue** ([`crate::Outbox::enqueue_many`]) inserts one job
//!   at a time (the single-job insert below) in one transaction that first
//!   takes every order lock of the batch in one order.
//! - **Workers poll**: MySQL has no `LISTEN/NOTIFY`, so a worker in
//!   another process finds a new job at its next poll (a worker in the
//!   enqueuing process is woken at once).
//! - **The insert** has no `ON CONFLICT ... RETURNING`: it inserts only
//!   when the idempotency key is new (`NOT EXISTS`), and the id comes from
//!   `LAST_INSERT_ID()`. `INSERT IGNORE` would also swallow other errors.
//! - **Order locks** are rows of `vipps_om_outbox_order_locks` locked
//!   `FOR UPDATE` until the transaction ends: MySQL's `GET_LOCK` outlives a
//!   `COMMIT` (it belongs to the session), so it cannot stand in for
//!   `pg_advisory_xact_lock`.
//!
//! The clock is `UTC_TIMESTAMP(6)` in milliseconds, which does not depend
//! on the session's time zone.

use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::{ConnectOptions as _, MySqlPool, Row};

use super::{
    CLAIMED_COLUMNS, ClaimedJob, ConnectOptions, Db, HEADS_ITS_ORDER, Sql, TABLE, Target,
    claimed_job,
};
use crate::error::{OutboxError, redact_url};
use crate::numbered::{positional, query};

/// The database's clock in milliseconds since the epoch (UTC, whatever
/// the session's time zone).
pub(crate) const NOW: &str =
    "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)";

/// Takes an order lock (`$2`, one of [`crate::ORDER_LOCK_BUCKETS`]) until
/// the end of the transaction; `$1` (PostgreSQL's lock class) is not used.
pub(crate) const ORDER_LOCK: &str =
    "SELECT bucket FROM vipps_om_outbox_order_locks WHERE bucket = ?/*2*/ FOR UPDATE";

/// Takes `n` order locks (the buckets bound in ascending order) until the
/// end of the transaction, in one locking read: InnoDB locks the rows in
/// key order, as one lock at a time in that order would.
pub(crate) fn order_locks(n: usize) -> &'static str {
    static TEXTS: LazyLock<Vec<String>> = LazyLock::new(|| {
        (0..=crate::ORDER_LOCK_BUCKETS as usize)
            .map(|n| {
                format!(
                    "SELECT bucket FROM vipps_om_outbox_order_locks WHERE bucket IN ({}) \
                     ORDER BY bucket FOR UPDATE",
                    placeholders(n.max(1))
                )
            })
            .collect()
    });
    TEXTS
        .get(n.min(crate::ORDER_LOCK_BUCKETS as usize))
        .map_or("", String::as_str)
}

/// A JSON array of strings (`%`, bound as text) as rows of one column:
/// the merchant lists of a fair claim (`JSON_TABLE`: MySQL 8, MariaDB
/// 10.6+). The column compares byte for byte, as the table's do.
const ELEMENTS: &str = "SELECT t.v FROM JSON_TABLE(%, '$[*]' COLUMNS \
    (v VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PATH '$')) AS t";

/// `j.id` is one of a JSON array of job ids (`%`, bound as text): the
/// other backends' fair claim; MySQL's claim locks ids it binds.
const ID_IN: &str =
    "j.id IN (SELECT t.v FROM JSON_TABLE(%, '$[*]' COLUMNS (v BIGINT PATH '$')) AS t)";

/// The unique index on (merchant, idempotency key): a duplicate entry
/// error naming it means the job is already queued.
const KEY_INDEX: &str = "vipps_om_outbox_jobs_key";

/// The unique index on (merchant, payment type, order, seq): where "an
/// earlier job of the same order" is looked up. MariaDB 10.11 chose the
/// due index (merchant, next attempt) for that lookup instead, reading
/// every job of the merchant for each candidate: a claim over 5,000
/// pending jobs of one merchant took 92 s instead of 0.2 s. The lookup
/// names this index (`FORCE INDEX`) wherever it is made.
const SEQ_INDEX: &str = "vipps_om_outbox_jobs_seq";

/// The earlier-job lookup with its index named (see [`SEQ_INDEX`]).
fn earlier_by_seq_index(text: &str) -> String {
    text.replace(
        &format!("FROM {TABLE} e WHERE"),
        &format!("FROM {TABLE} e FORCE INDEX ({SEQ_INDEX}) WHERE"),
    )
}

/// Reads a `mysql://` (or `mariadb://`) URL.
pub(super) fn target(url: &str) -> Result<Target, OutboxError> {
    let mysql_url = match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("mariadb") => {
            format!("mysql://{rest}")
        }
        _ => url.to_owned(),
    };
    MySqlConnectOptions::from_str(&mysql_url)
        .map(Target::Mysql)
        .map_err(|_| OutboxError::UnsupportedUrl(redact_url(url)))
}

/// Opens the pool.
pub(super) async fn connect(
    connect: MySqlConnectOptions,
    options: &ConnectOptions,
) -> Result<Db, OutboxError> {
    let connect = connect
        .charset("utf8mb4")
        .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1));
    let pool = MySqlPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .connect_with(connect)
        .await
        .map_err(OutboxError::db("connect to MySQL"))?;
    Ok(Db::Mysql(pool))
}

/// MySQL's statements: the other backends' texts with `?` placeholders, a
/// `SKIP LOCKED` claim, and an insert without `ON CONFLICT`.
pub(crate) static MYSQL: LazyLock<Sql> = LazyLock::new(|| {
    let mut sql = Sql::new(NOW, "FOR UPDATE SKIP LOCKED", ELEMENTS, ID_IN);
    sql.insert = sql.insert.replace(
        " WHERE true ON CONFLICT (merchant_serial_number, idempotency_key) DO NOTHING RETURNING id",
        &format!(
            " FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM {TABLE} k \
             WHERE k.merchant_serial_number = $2 AND k.idempotency_key = $6)"
        ),
    );
    // No RETURNING on an UPDATE: the wait is read after the update.
    sql.delivered = sql
        .delivered
        .replace(" RETURNING delivered_at - created_at AS waited", "");
    sql.delivered_waited =
        format!("SELECT delivered_at - created_at AS waited FROM {TABLE} WHERE id = $1");
    sql.map(|text| positional(&earlier_by_seq_index(&text)))
});

/// The most jobs one MySQL claim takes: 256. Its candidates are read
/// first and then locked by id (`IN` with one bound value each, at most
/// [`super::CANDIDATES_PER_SLOT`] per job); a worker asking for more gets
/// these now and the rest on its next claim, a moment later.
pub(crate) const MYSQL_CLAIM_BATCH: usize = 256;

/// `?, ?, ...`: `n` placeholders.
fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The fair claim of up to `max` jobs (see `Sql::claim_batch`), in one
/// transaction: the candidates (of every merchant in scope and not
/// excluded, its oldest due job that heads its order, the oldest first),
/// read without locks; of those, the ones still due, locked `FOR UPDATE
/// SKIP LOCKED` so that concurrent claimers take different jobs; the lease
/// written on them; the claimed jobs read back. A job heads its order for
/// good once it does (earlier jobs only ever become delivered, never
/// undelivered), and the locking read checks it again.
pub(crate) async fn claim_batch(
    pool: &MySqlPool,
    scope: Option<String>,
    excluded: String,
    owner: &str,
    lease_millis: i64,
    max: usize,
) -> Result<Vec<ClaimedJob>, sqlx::Error> {
    let sql = &*MYSQL;
    let max = max.clamp(1, MYSQL_CLAIM_BATCH);
    let candidates = max.saturating_mul(super::CANDIDATES_PER_SLOT as usize);
    let mut tx = pool.begin().await?;
    let ids: Vec<i64> = query(&sql.claim_heads)
        .bind(owner)
        .bind(lease_millis)
        .bind(i64::try_from(candidates).unwrap_or(i64::MAX))
        .bind(scope)
        .bind(excluded)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.try_get::<i64, _>("id"))
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        tx.rollback().await?;
        return Ok(Vec::new());
    }
    let lock = earlier_by_seq_index(&format!(
        "SELECT j.id FROM {TABLE} j WHERE j.id IN ({}) \
         AND j.state IN ('pending', 'in_flight') AND j.next_attempt_at <= {NOW} \
         AND (j.state = 'pending' OR j.leased_until <= {NOW}) \
         AND {HEADS_ITS_ORDER} \
         ORDER BY j.next_attempt_at, j.id LIMIT {max} FOR UPDATE SKIP LOCKED",
        placeholders(ids.len())
    ));
    let mut locking = sqlx::query(&lock);
    for id in &ids {
        locking = locking.bind(*id);
    }
    let locked: Vec<i64> = locking
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.try_get::<i64, _>("id"))
        .collect::<Result<_, _>>()?;
    if locked.is_empty() {
        tx.rollback().await?;
        return Ok(Vec::new());
    }
    let list = placeholders(locked.len());
    let update = format!(
        "UPDATE {TABLE} SET state = 'in_flight', lease_owner = ?, leased_until = {NOW} + ?, \
         attempts = attempts + 1, budget_used = budget_used + 1, updated_at = {NOW} \
         WHERE id IN ({list})"
    );
    let mut leasing = sqlx::query(&update).bind(owner).bind(lease_millis);
    for id in &locked {
        leasing = leasing.bind(*id);
    }
    leasing.execute(&mut *tx).await?;
    let read = format!(
        "SELECT {CLAIMED_COLUMNS} FROM {TABLE} WHERE id IN ({list}) ORDER BY next_attempt_at, id"
    );
    let mut reading = sqlx::query(&read);
    for id in &locked {
        reading = reading.bind(*id);
    }
    let rows = reading.fetch_all(&mut *tx).await?;
    tx.commit().await?;
    rows.iter().map(claimed_job).collect()
}

/// Inserts a job on a connection that holds its order's lock: its id and
/// whether it was already queued (same merchant and idempotency key).
pub(crate) async fn insert(
    conn: &mut sqlx::MySqlConnection,
    job: &crate::job::NewJob,
) -> Result<(i64, bool), sqlx::Error> {
    let sql = &*MYSQL;
    let inserted = query(&sql.insert)
        .bind(job.kind().as_str())
        .bind(job.merchant_serial_number.as_str())
        .bind(job.payment_type.as_str())
        .bind(job.order_id.as_str())
        .bind(job.body.as_str())
        .bind(job.idempotency_key.as_str())
        .execute(&mut *conn)
        .await;
    match inserted {
        Ok(done) if done.rows_affected() > 0 => {
            let id = i64::try_from(done.last_insert_id()).map_err(|_| {
                sqlx::Error::Decode("the new job's id does not fit a 64-bit integer".into())
            })?;
            return Ok((id, false));
        }
        Ok(_) => {}
        // Another transaction inserted the same key between our check and
        // our insert (a key shared by two orders, whose locks differ).
        Err(sqlx::Error::Database(e))
            if e.is_unique_violation() && e.message().contains(KEY_INDEX) => {}
        Err(e) => return Err(e),
    }
    let row = query(&sql.find_by_key)
        .bind(job.merchant_serial_number.as_str())
        .bind(job.idempotency_key.as_str())
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get("id")?, true))
}

/// The widths of MySQL's indexed text columns (characters), as
/// `migrations/mysql/0001` and `0003` declare them: what a plain-SQL
/// writer can store (MySQL's strict mode refuses a longer value with "Data
/// too long for column"); the API's own limits are lower.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) const COLUMN_WIDTHS: [(&str, usize); 4] = [
    ("merchant_serial_number", 32),
    ("payment_type", 32),
    ("order_id", 191),
    ("idempotency_key", 255),
];

#[cfg(test)]
mod tests {
    use super::COLUMN_WIDTHS;

    #[test]
    fn every_earlier_job_lookup_names_the_seq_index() {
        let sql = &*super::MYSQL;
        for text in [
            &sql.claim_heads,
            &sql.job_by_id,
            &sql.outstanding,
            &sql.outstanding_by_merchant,
        ] {
            assert!(
                text.contains("e FORCE INDEX (vipps_om_outbox_jobs_seq) WHERE"),
                "{text}"
            );
        }
        let ddl = crate::schema(crate::Backend::Mysql);
        assert!(ddl.contains(
            "vipps_om_outbox_jobs_seq (merchant_serial_number, payment_type, order_id, seq)"
        ));
    }

    #[test]
    fn the_mysql_columns_hold_everything_the_outbox_accepts() {
        let ddl = crate::schema(crate::Backend::Mysql);
        for (column, width) in COLUMN_WIDTHS {
            assert!(
                ddl.contains(&format!("{column} ")) && ddl.contains(&format!("VARCHAR({width})")),
                "{column}"
            );
        }
        let width = |name: &str| {
            COLUMN_WIDTHS
                .iter()
                .find(|(c, _)| *c == name)
                .map(|(_, w)| *w)
                .unwrap()
        };
        // merchantSerialNumber: at most 20 digits (vipps_om::MerchantSerialNumber).
        assert!(width("merchant_serial_number") >= 20);
        assert!(width("order_id") >= vipps_om::ids::ORDER_ID_MAX_LEN);
        // Keys are counted in bytes, columns in characters.
        assert!(width("idempotency_key") >= crate::job::MAX_IDEMPOTENCY_KEY_LEN);
        assert!(ddl.contains("idempotency_key VARCHAR(255)"));
        assert!(ddl.contains("order_id               VARCHAR(191)"));
    }
}
