//! SQLite: a file (or memory) in WAL mode with a busy timeout; one writer
//! at a time, so a single `UPDATE` is an atomic claim.

use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use sqlx::ConnectOptions as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{ConnectOptions, Db, Sql, Target};
use crate::error::{OutboxError, redact_url};

/// Opens the pool.
pub(super) async fn connect(
    url: &str,
    connect: SqliteConnectOptions,
    in_memory: bool,
    options: &ConnectOptions,
) -> Result<Db, OutboxError> {
    let connect = connect
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a committed enqueue survives a power cut, not
        // only a crash of the process.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(options.busy_timeout)
        .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1));
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
    // Processes starting at once on a new file race to switch it to WAL;
    // SQLite answers that switch with "database is locked" at once rather
    // than through the busy handler, so the open is tried again (within
    // the busy timeout) instead of failing a start-up that only had to wait.
    let deadline = tokio::time::Instant::now() + options.busy_timeout;
    let pool = loop {
        match pool.clone().connect_with(connect.clone()).await {
            Ok(pool) => break pool,
            Err(e) if is_busy(&e) && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Err(e) => {
                return Err(OutboxError::CannotOpen {
                    database: redact_url(url.trim()),
                    reason: e.to_string(),
                });
            }
        }
    };
    Ok(Db::Sqlite(pool))
}

/// SQLite's "busy" answers (`SQLITE_BUSY` and its extended codes).
fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| code & 0xff == 5),
        _ => false,
    }
}

/// The SQLite part of [`super::target`]: the path, the query, and the missing
/// folder check.
pub(super) fn target(url: &str, lower: &str) -> Result<Target, OutboxError> {
    let (path, query) = if lower.starts_with("sqlite:") {
        let rest = &url["sqlite:".len()..];
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        match rest.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (rest, None),
        }
    } else if url.is_empty() || lower.contains("://") {
        return Err(OutboxError::UnsupportedUrl(redact_url(url)));
    } else {
        // A plain path: taken as it is (a `?` or `%` is part of the name).
        (url, None)
    };
    let mode = query.and_then(|q| {
        q.split('&')
            .filter_map(|p| p.split_once('='))
            .find(|(name, _)| name.eq_ignore_ascii_case("mode"))
            .map(|(_, value)| value.to_ascii_lowercase())
    });
    let in_memory = path == ":memory:" || mode.as_deref() == Some("memory");
    if path.is_empty() && !in_memory {
        return Err(OutboxError::UnsupportedUrl(redact_url(url)));
    }
    let connect = match query {
        Some(query) => SqliteConnectOptions::from_str(&format!("sqlite://{path}?{query}"))
            .map_err(|_| OutboxError::UnsupportedUrl(redact_url(url)))?,
        None if in_memory => SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(|_| OutboxError::UnsupportedUrl(redact_url(url)))?,
        None => SqliteConnectOptions::new().filename(path),
    };
    if in_memory {
        return Ok(Target::Sqlite { connect, in_memory });
    }
    let creates = !matches!(mode.as_deref(), Some("ro" | "rw"));
    if creates {
        let folder = std::path::Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty());
        if let Some(folder) = folder
            && !folder.is_dir()
        {
            return Err(OutboxError::MissingFolder {
                folder: folder.display().to_string(),
                database: path.to_owned(),
            });
        }
    }
    Ok(Target::Sqlite {
        connect: connect.create_if_missing(creates),
        in_memory,
    })
}

/// SQLite's statements: the clock from `julianday`, no row locks.
pub(crate) static SQLITE: LazyLock<Sql> = LazyLock::new(|| {
    Sql::new(
        "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)",
        "",
        "SELECT value FROM json_each(%)",
        "j.id IN (SELECT CAST(value AS INTEGER) FROM json_each(%))",
    )
});
