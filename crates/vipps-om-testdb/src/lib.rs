//! Throwaway databases for the workspace's tests, one per test, on the
//! three backends the outbox supports.
//!
//! - SQLite always: a file in a temporary folder, deleted with the value.
//! - PostgreSQL when `DATABASE_URL=postgres://…` names a server, MySQL or
//!   MariaDB when `MYSQL_URL=mysql://…` does (`.ci/run` starts both): a
//!   fresh database with a random name on that server, dropped by
//!   [`TestDb::drop_database`]. Without the variable the constructor says
//!   `SKIPPED <test>: needs …` on standard error and returns `None`, so the
//!   test passes visibly skipped on a machine without the server.
//!
//! The outbox, gateway, console and CLI tests all used to carry their own
//! copy of this set-up; this crate is the one place for it. It is a test
//! helper and is not published.

use std::path::{Path, PathBuf};

use sqlx::Connection as _;

/// What a PostgreSQL run needs, said when `DATABASE_URL` is not set.
pub const NEEDS_POSTGRES: &str = "needs PostgreSQL: set DATABASE_URL=postgres://USER@HOST:PORT/DB (.ci/run starts a throwaway server)";

/// What a MySQL/MariaDB run needs, said when `MYSQL_URL` is not set.
pub const NEEDS_MYSQL: &str = "needs MySQL or MariaDB: set MYSQL_URL=mysql://USER:PASSWORD@HOST:PORT/DB (.ci/run starts a throwaway server)";

/// A fresh database for one test: its URL, and what removes it.
pub struct TestDb {
    url: String,
    sqlite_file: Option<PathBuf>,
    _dir: Option<tempfile::TempDir>,
    server: Option<ServerDb>,
}

/// A database created on a server, to drop at the end.
struct ServerDb {
    backend: Server,
    admin_url: String,
    name: String,
}

/// The database servers a test can run against.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Server {
    /// PostgreSQL, from `DATABASE_URL`.
    Postgres,
    /// MySQL or MariaDB, from `MYSQL_URL`.
    MySql,
}

impl Server {
    /// The server's URL from the environment, or `None` after saying that
    /// the running test is skipped.
    pub fn admin_url(self) -> Option<String> {
        let (variable, schemes, needs): (&str, &[&str], &str) = match self {
            Server::Postgres => ("DATABASE_URL", &["postgres"], NEEDS_POSTGRES),
            Server::MySql => ("MYSQL_URL", &["mysql", "mariadb"], NEEDS_MYSQL),
        };
        let url = std::env::var(variable)
            .ok()
            .filter(|u| schemes.iter().any(|s| u.starts_with(s)));
        if url.is_none() {
            skip(needs);
        }
        url
    }
}

impl TestDb {
    /// A SQLite database named `file` in a new temporary folder (the file
    /// itself is created by whoever connects first).
    pub fn sqlite(file: &str) -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary folder for a test database");
        let path = dir.path().join(file);
        TestDb {
            url: format!("sqlite://{}?mode=rwc", path.display()),
            sqlite_file: Some(path),
            _dir: Some(dir),
            server: None,
        }
    }

    /// A new database named `<prefix>_<random>` on the PostgreSQL server of
    /// `DATABASE_URL`, or `None` (the test is skipped, with a message).
    pub async fn postgres(prefix: &str) -> Option<TestDb> {
        TestDb::on(Server::Postgres, prefix).await
    }

    /// A new database named `<prefix>_<random>` (utf8mb4) on the MySQL or
    /// MariaDB server of `MYSQL_URL`, or `None` (the test is skipped, with
    /// a message).
    pub async fn mysql(prefix: &str) -> Option<TestDb> {
        TestDb::on(Server::MySql, prefix).await
    }

    /// A new database on `server`, or `None` when it is not configured.
    pub async fn on(server: Server, prefix: &str) -> Option<TestDb> {
        let admin_url = server.admin_url()?;
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let create = match server {
            Server::Postgres => format!("CREATE DATABASE {name}"),
            Server::MySql => format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"),
        };
        execute(server, &admin_url, &create)
            .await
            .unwrap_or_else(|e| panic!("creating the test database {name}: {e}"));
        Some(TestDb {
            url: with_database(&admin_url, &name),
            sqlite_file: None,
            _dir: None,
            server: Some(ServerDb {
                backend: server,
                admin_url,
                name,
            }),
        })
    }

    /// The database's URL, for `Outbox::connect` and the like.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The SQLite file, for a SQLite database.
    pub fn sqlite_file(&self) -> Option<&Path> {
        self.sqlite_file.as_deref()
    }

    /// The server the database is on (`None` for SQLite).
    pub fn server(&self) -> Option<Server> {
        self.server.as_ref().map(|s| s.backend)
    }

    /// Drops a server database (closing other sessions on PostgreSQL);
    /// deletes a SQLite folder. A failure to drop is ignored: the server is
    /// a throwaway one, and the test's own result is what matters.
    pub async fn drop_database(self) {
        if let Some(db) = &self.server {
            let drop = match db.backend {
                Server::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", db.name),
                Server::MySql => format!("DROP DATABASE IF EXISTS {}", db.name),
            };
            let _ = execute(db.backend, &db.admin_url, &drop).await;
        }
    }
}

/// Runs one statement on a new connection to `url`.
async fn execute(server: Server, url: &str, statement: &str) -> Result<(), sqlx::Error> {
    match server {
        Server::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url).await?;
            sqlx::raw_sql(statement).execute(&mut conn).await?;
            conn.close().await
        }
        Server::MySql => {
            let mut conn = sqlx::MySqlConnection::connect(url).await?;
            sqlx::raw_sql(statement).execute(&mut conn).await?;
            conn.close().await
        }
    }
}

/// `url` with its database name replaced by `name` (the query string, such
/// as `?sslmode=disable`, kept).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Makes each named `async fn NAME(db: &TestDb)` a test on every backend:
/// `sqlite::NAME` always, `postgres::NAME` and (when the calling crate is
/// built with its `mysql` feature) `mysql::NAME`, each on a fresh
/// database that is dropped afterwards; a server that is not configured
/// makes its tests pass with a `SKIPPED` line. `not_on_mysql` lists tests
/// that only make sense on SQLite and PostgreSQL (say why where you use
/// it). The calling crate needs `tokio` with its test macro and the
/// multi-threaded runtime.
///
/// ```ignore
/// vipps_om_testdb::on_every_backend!(
///     prefix: "outbox_test",
///     everywhere: [delivers_receipts, retries_outages],
///     not_on_mysql: [repairs_a_schema_1_database],
/// );
/// ```
#[macro_export]
macro_rules! on_every_backend {
    (
        prefix: $prefix:literal,
        everywhere: [$($name:ident),* $(,)?]
        $(, not_on_mysql: [$($old:ident),* $(,)?])?
        $(,)?
    ) => {
        mod sqlite {
            $($crate::on_every_backend!(@test $name, sqlite, $prefix);)*
            $($($crate::on_every_backend!(@test $old, sqlite, $prefix);)*)?
        }
        mod postgres {
            $($crate::on_every_backend!(@test $name, postgres, $prefix);)*
            $($($crate::on_every_backend!(@test $old, postgres, $prefix);)*)?
        }
        #[cfg(feature = "mysql")]
        mod mysql {
            $($crate::on_every_backend!(@test $name, mysql, $prefix);)*
        }
    };
    (@test $name:ident, sqlite, $prefix:literal) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let db = $crate::TestDb::sqlite("outbox.db");
            super::$name(&db).await;
        }
    };
    (@test $name:ident, $server:ident, $prefix:literal) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let Some(db) = $crate::TestDb::$server($prefix).await else {
                return;
            };
            super::$name(&db).await;
            db.drop_database().await;
        }
    };
}

/// Says that the running test is skipped and why: one line on standard
/// error, written with `std::io::stderr()` rather than `eprintln!` because
/// the test harness captures (and, for a passing test, discards) the
/// `eprintln!` output, so that a run that reports "ok" still shows it.
pub fn skip(reason: &str) {
    use std::io::Write as _;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test}: {reason}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h:5432/postgres?sslmode=disable", "t1"),
            "postgres://u@h:5432/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("mysql://root:pw@127.0.0.1:3306", "t2"),
            "mysql://root:pw@127.0.0.1:3306/t2"
        );
        assert_eq!(
            with_database("mysql://root:pw@127.0.0.1:3306/?ssl-mode=disabled", "t2"),
            "mysql://root:pw@127.0.0.1:3306/t2?ssl-mode=disabled"
        );
    }

    #[test]
    fn a_sqlite_database_lives_in_its_own_folder_until_dropped() {
        let db = TestDb::sqlite("outbox.db");
        let file = db.sqlite_file().map(Path::to_path_buf);
        let Some(file) = file else {
            panic!("a SQLite test database names its file");
        };
        assert!(db.url().starts_with("sqlite://"));
        assert!(db.url().ends_with("outbox.db?mode=rwc"));
        let folder = file.parent().map(Path::to_path_buf);
        assert!(folder.as_ref().is_some_and(|f| f.is_dir()));
        drop(db);
        assert!(folder.is_some_and(|f| !f.exists()));
    }

    #[tokio::test]
    async fn a_server_database_is_created_and_dropped() {
        for server in [Server::Postgres, Server::MySql] {
            let Some(db) = TestDb::on(server, "testdb_selftest").await else {
                continue;
            };
            assert_eq!(db.server(), Some(server));
            let url = db.url().to_owned();
            execute(server, &url, "SELECT 1")
                .await
                .unwrap_or_else(|e| panic!("{server:?}: the new database answers: {e}"));
            db.drop_database().await;
            assert!(
                execute(server, &url, "SELECT 1").await.is_err(),
                "{server:?}: the database is gone after drop_database"
            );
        }
    }
}
