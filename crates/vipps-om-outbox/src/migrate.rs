//! The schema migrations shipped with the crate (`migrations/sqlite`,
//! `migrations/postgres`, `migrations/mysql`) and the runner that applies
//! them at start-up.
//!
//! Applied migrations are recorded in the outbox's own table,
//! `vipps_om_outbox_migrations` (version, description, SHA-256 of the SQL,
//! time), not in sqlx's `_sqlx_migrations`: the outbox is meant to live in
//! the application's own database, next to migrations the application runs
//! itself, and two migration histories in one table would refuse each
//! other. Start-ups race safely: SQLite takes the write lock first
//! (`BEGIN IMMEDIATE`), PostgreSQL a transaction-scoped advisory lock,
//! MySQL a named lock (`GET_LOCK`) held by the migrating session. MySQL
//! commits every DDL statement at once, so there a migration is not
//! undone as a whole when a later statement fails: each MySQL migration
//! groups its DDL so that a failure leaves a state the error names.
//! A database migrated by a newer build is refused with a clear message
//! instead of being used by code that does not know its schema.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::db::Db;
use crate::error::OutboxError;

/// One migration.
#[derive(Debug)]
struct Migration {
    version: i64,
    description: &'static str,
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    sqlite: &'static str,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    postgres: &'static str,
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))]
    mysql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "outbox jobs",
        sqlite: include_str!("../migrations/sqlite/0001_outbox.sql"),
        postgres: include_str!("../migrations/postgres/0001_outbox.sql"),
        mysql: include_str!("../migrations/mysql/0001_outbox.sql"),
    },
    Migration {
        version: 2,
        description: "integer times, nothing scheduled beyond 24 h",
        sqlite: include_str!("../migrations/sqlite/0002_integer_times.sql"),
        postgres: include_str!("../migrations/postgres/0002_integer_times.sql"),
        mysql: include_str!("../migrations/mysql/0002_integer_times.sql"),
    },
    Migration {
        version: 3,
        description: "per-order sequence, retry budget, idempotency keys, different content",
        sqlite: include_str!("../migrations/sqlite/0003_order_seq_budget_keys.sql"),
        postgres: include_str!("../migrations/postgres/0003_order_seq_budget_keys.sql"),
        mysql: include_str!("../migrations/mysql/0003_order_seq_budget_keys.sql"),
    },
    Migration {
        version: 4,
        description: "the format version of stored requests",
        sqlite: include_str!("../migrations/sqlite/0004_payload_version.sql"),
        postgres: include_str!("../migrations/postgres/0004_payload_version.sql"),
        mysql: include_str!("../migrations/mysql/0004_payload_version.sql"),
    },
    Migration {
        version: 6,
        description: "webhook events for the shop",
        sqlite: include_str!("../migrations/sqlite/0006_webhook_events.sql"),
        postgres: include_str!("../migrations/postgres/0006_webhook_events.sql"),
        mysql: include_str!("../migrations/mysql/0006_webhook_events.sql"),
    },
    Migration {
        version: 7,
        description: "indexes for browsing jobs (one per filter)",
        sqlite: include_str!("../migrations/sqlite/0007_browse_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0007_browse_indexes.sql"),
        mysql: include_str!("../migrations/mysql/0007_browse_indexes.sql"),
    },
    Migration {
        version: 8,
        description: "fewer index writes per job (receipt number column on PostgreSQL)",
        sqlite: include_str!("../migrations/sqlite/0008_lighter_writes.sql"),
        postgres: include_str!("../migrations/postgres/0008_lighter_writes.sql"),
        mysql: include_str!("../migrations/mysql/0008_lighter_writes.sql"),
    },
];

/// The outbox's DDL for `backend`: every migration this build ships, in
/// order, each under a comment naming its version (what `vipps-om outbox
/// schema` prints). The outbox applies them itself at start-up and records
/// them in `vipps_om_outbox_migrations`; this is for reading, and for
/// reviewing what a start-up will do to a database.
pub fn schema(backend: crate::Backend) -> String {
    let mut out = format!(
        "-- vipps-om-outbox schema version {SCHEMA_VERSION} for {}: the migrations in order.\n\
         -- Applied by the outbox itself at start-up (recorded in vipps_om_outbox_migrations).\n",
        backend.as_str()
    );
    for migration in MIGRATIONS {
        let sql = match backend {
            crate::Backend::Sqlite => migration.sqlite,
            crate::Backend::Postgres => migration.postgres,
            crate::Backend::Mysql => migration.mysql,
        };
        out.push_str(&format!(
            "\n-- migration {} ({})\n{}",
            migration.version,
            migration.description,
            sql.trim_end()
        ));
        out.push('\n');
    }
    out
}

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 8;

const CREATE_HISTORY: &str = "CREATE TABLE IF NOT EXISTS vipps_om_outbox_migrations (\
    version BIGINT PRIMARY KEY, description TEXT NOT NULL, checksum TEXT NOT NULL, \
    applied_at BIGINT NOT NULL)";

/// The name of MySQL's migration lock (`GET_LOCK`).
#[cfg(feature = "mysql")]
const MYSQL_LOCK_NAME: &str = "vipps_om_outbox_migrations";

/// How long a MySQL start-up waits for another process's migrations (the
/// named lock) before it gives up with a message: 120 seconds.
#[cfg(feature = "mysql")]
pub const MYSQL_MIGRATION_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Records an applied migration (`$N` placeholders; MySQL's text is
/// rewritten by [`crate::numbered::positional`]).
const RECORD: &str = "INSERT INTO vipps_om_outbox_migrations (version, description, checksum, applied_at) \
    VALUES ($1, $2, $3, $4)";

/// A key for `pg_advisory_xact_lock`: "vippsomo" in ASCII.
#[cfg(feature = "postgres")]
const PG_LOCK_KEY: i64 = 0x7669_7070_736f_6d6f;

fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now_ms() -> i64 {
    crate::job::Timestamp::now().as_millis()
}

/// Compares what is applied with what this build ships; the migrations
/// still to apply.
fn plan(
    applied: &[(i64, String)],
    dialect: fn(&Migration) -> &'static str,
) -> Result<Vec<&'static Migration>, OutboxError> {
    if let Some((newest, _)) = applied.iter().max_by_key(|(v, _)| *v)
        && *newest > SCHEMA_VERSION
    {
        return Err(OutboxError::Schema(format!(
            "the database has outbox schema version {newest}, newer than this build knows ({SCHEMA_VERSION}); upgrade vipps-om-outbox on this machine"
        )));
    }
    let mut todo = Vec::new();
    for migration in MIGRATIONS {
        match applied.iter().find(|(v, _)| *v == migration.version) {
            Some((_, sum)) if *sum == checksum(dialect(migration)) => {}
            Some(_) => {
                return Err(OutboxError::Schema(format!(
                    "outbox migration {} ({}) in the database differs from the one this build ships; the database was migrated by a modified build",
                    migration.version, migration.description
                )));
            }
            None => todo.push(migration),
        }
    }
    Ok(todo)
}

/// Applies the migrations still missing, inside the transaction `$tx`,
/// with `$dialect` choosing each migration's SQL and `$record` the
/// statement that records one.
macro_rules! apply_missing {
    ($tx:expr, $dialect:expr, $record:expr) => {{
        let tx = &mut $tx;
        sqlx::raw_sql(CREATE_HISTORY)
            .execute(&mut **tx)
            .await
            .map_err(OutboxError::db("create the migrations table"))?;
        let applied: Vec<(i64, String)> =
            sqlx::query("SELECT version, checksum FROM vipps_om_outbox_migrations")
                .fetch_all(&mut **tx)
                .await
                .map_err(OutboxError::db("read the applied migrations"))?
                .iter()
                .map(|r| Ok((r.try_get("version")?, crate::numbered::text(r, "checksum")?)))
                .collect::<Result<_, sqlx::Error>>()
                .map_err(OutboxError::db("read the applied migrations"))?;
        let dialect: fn(&Migration) -> &'static str = $dialect;
        for migration in plan(&applied, dialect)? {
            sqlx::raw_sql(dialect(migration))
                .execute(&mut **tx)
                .await
                .map_err(OutboxError::db("apply an outbox migration"))?;
            crate::numbered::query($record)
                .bind(migration.version)
                .bind(migration.description)
                .bind(checksum(dialect(migration)))
                .bind(now_ms())
                .execute(&mut **tx)
                .await
                .map_err(OutboxError::db("record an outbox migration"))?;
            tracing::info!(version = migration.version, "applied outbox migration");
        }
    }};
}

/// MySQL's migrations, on the session that holds the migration lock
/// (a function of its own: an `async` block here would make the future of
/// [`crate::Outbox::connect`] lose `Send`).
#[cfg(feature = "mysql")]
async fn apply_mysql(
    conn: &mut sqlx::pool::PoolConnection<sqlx::MySql>,
) -> Result<(), OutboxError> {
    let record = crate::numbered::positional(RECORD);
    apply_missing!(*conn, |m| m.mysql, &record);
    Ok(())
}

/// Brings the schema up to date.
pub(crate) async fn run(db: &Db) -> Result<(), OutboxError> {
    match db {
        #[cfg(feature = "sqlite")]
        Db::Sqlite(pool) => {
            // IMMEDIATE: take the write lock before reading the history, so
            // two processes starting together cannot both apply a migration.
            let mut tx = pool
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(OutboxError::db("lock the database for migrations"))?;
            apply_missing!(tx, |m| m.sqlite, RECORD);
            tx.commit()
                .await
                .map_err(OutboxError::db("commit the migrations"))?;
        }
        #[cfg(feature = "postgres")]
        Db::Postgres(pool) => {
            let mut tx = pool
                .begin()
                .await
                .map_err(OutboxError::db("begin the migrations"))?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PG_LOCK_KEY)
                .execute(&mut *tx)
                .await
                .map_err(OutboxError::db("lock the database for migrations"))?;
            // Migration 7 indexes an expression whose function starts a
            // subtransaction, which parallel index-build workers refuse
            // ("cannot start subtransactions during a parallel operation"):
            // on a table large enough for a parallel build it failed.
            sqlx::query("SET LOCAL max_parallel_maintenance_workers = 0")
                .execute(&mut *tx)
                .await
                .map_err(OutboxError::db("prepare the migrations"))?;
            apply_missing!(tx, |m| m.postgres, RECORD);
            tx.commit()
                .await
                .map_err(OutboxError::db("commit the migrations"))?;
        }
        #[cfg(feature = "mysql")]
        Db::Mysql(pool) => {
            // One session holds the named lock while it migrates; another
            // start-up waits for it, then finds nothing left to apply. A
            // session that dies releases the lock.
            let mut conn = pool
                .acquire()
                .await
                .map_err(OutboxError::db("connect for the migrations"))?;
            let locked: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
                .bind(MYSQL_LOCK_NAME)
                .bind(i64::try_from(MYSQL_MIGRATION_LOCK_WAIT.as_secs()).unwrap_or(i64::MAX))
                .fetch_one(&mut *conn)
                .await
                .map_err(OutboxError::db("lock the database for migrations"))?;
            if locked != Some(1) {
                return Err(OutboxError::Schema(format!(
                    "another process has held the outbox's migration lock ({MYSQL_LOCK_NAME}) for {} seconds; \
                     wait for it to finish (or end its session) and start again",
                    MYSQL_MIGRATION_LOCK_WAIT.as_secs()
                )));
            }
            let applied = apply_mysql(&mut conn).await;
            // Released before the error (if any) is returned; a failure to
            // release ends with the session.
            let _ = sqlx::query("SELECT RELEASE_LOCK(?)")
                .bind(MYSQL_LOCK_NAME)
                .execute(&mut *conn)
                .await;
            applied?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_or_changed_schema_is_refused() {
        let err = plan(&[(SCHEMA_VERSION + 1, String::new())], |m| m.sqlite).unwrap_err();
        assert!(err.to_string().contains("newer"), "{err}");
        let err = plan(&[(1, "0".repeat(64))], |m| m.sqlite).unwrap_err();
        assert!(err.to_string().contains("differs"), "{err}");
        let todo = plan(&[], |m| m.postgres).unwrap();
        assert_eq!(todo.len(), MIGRATIONS.len());
        let all: Vec<(i64, String)> = MIGRATIONS
            .iter()
            .map(|m| (m.version, checksum(m.postgres)))
            .collect();
        assert!(plan(&all, |m| m.postgres).unwrap().is_empty());
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
        let left = plan(&[(1, checksum(MIGRATIONS[0].sqlite))], |m| m.sqlite).unwrap();
        assert_eq!(left.len(), MIGRATIONS.len() - 1);
        assert_eq!(left[0].version, 2);
    }

    #[test]
    fn the_schema_of_each_backend_is_its_migrations_in_order() {
        for (backend, table) in [
            (crate::Backend::Sqlite, "INTEGER PRIMARY KEY AUTOINCREMENT"),
            (crate::Backend::Postgres, "GENERATED BY DEFAULT AS IDENTITY"),
            (crate::Backend::Mysql, "AUTO_INCREMENT"),
        ] {
            let ddl = schema(backend);
            assert!(ddl.contains(table), "{backend:?}");
            let at: Vec<usize> = MIGRATIONS
                .iter()
                .map(|m| ddl.find(&format!("-- migration {} (", m.version)).unwrap())
                .collect();
            assert!(at.windows(2).all(|w| w[0] < w[1]), "{backend:?}: {at:?}");
            assert!(ddl.contains("payload_version"));
        }
    }
}
