//! The console's own tables in the outbox's database: accounts
//! (`console_users`), sessions (`console_sessions`, holding only a SHA-256
//! of each session id) and the append-only audit log (`console_audit`).
//!
//! The schema is created with idempotent `CREATE … IF NOT EXISTS`
//! statements, so it never touches the outbox's migration table; columns
//! added later (the account columns `is_admin`, `disabled` and
//! `password_temporary_until`, see [`Account`]) are added to an
//! existing table at start-up when missing. The audit table refuses
//! `UPDATE` and `DELETE` with triggers, and this module has no statement
//! that changes or removes an audit row.

pub use accounts::{Account, AccountChange, ChangeOutcome, MAX_ACCOUNTS_LISTED};

use std::borrow::Cow;
use std::fmt;

#[cfg(feature = "mysql")]
use sqlx::MySqlPool;
use sqlx::{PgPool, Row, SqlitePool};
use vipps_om_outbox::numbered::{query, text};
use vipps_om_outbox::{Outbox, Timestamp};

/// An error of the console's database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused an operation.
    #[error("console database: could not {action}: {source}")]
    Database {
        /// What the console was doing.
        action: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A row holds something this build does not understand.
    #[error("console database: {0}")]
    Schema(String),
    /// An account of that name exists already.
    #[error("the account {0:?} exists already")]
    UserExists(String),
    /// The console could not be set up (no randomness for its keys, or an
    /// unknown [`crate::ConsoleConfig::time_zone`]).
    #[error("the console could not start: {0}")]
    Setup(String),
}

fn db(action: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Database { action, source }
}

/// What an account may do. Ordered: each role may do everything the
/// ones before it may (`Viewer < Editor < Admin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Sees orders, delivery history and the audit log.
    Viewer,
    /// Also retries deliveries, sets category links and uploads images.
    Editor,
    /// Also adds accounts, changes their roles, disables and enables
    /// them, and resets their passwords. Stored as an editor with the
    /// `is_admin` flag, so an older console reads an admin as an editor.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Admin];

    /// Whether the role may change things: retry deliveries, set category
    /// links, upload images (editors, and admins, who can do all an editor
    /// can). The one place for this rule: pages that show or refuse the
    /// changing controls ask here.
    pub fn may_edit(self) -> bool {
        matches!(self, Role::Editor | Role::Admin)
    }

    /// The name (`viewer`, `editor`, `admin`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// Reads a name.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signed-in account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// What it may do.
    pub role: Role,
}

/// An account with its password hash, for sign-in only. `Debug` leaves
/// the hash out.
#[derive(Clone)]
pub struct UserWithHash {
    /// The account.
    pub user: User,
    /// PHC string (argon2id).
    pub password_hash: String,
    /// Disabled by an admin: it cannot sign in.
    pub disabled: bool,
    /// The password is a one-time password set by an admin, refused after
    /// this time (milliseconds since the epoch); it must be replaced at
    /// sign-in.
    pub temporary_until: Option<i64>,
}

impl fmt::Debug for UserWithHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserWithHash")
            .field("user", &self.user)
            .field("password_hash", &"***")
            .field("disabled", &self.disabled)
            .field("temporary_until", &self.temporary_until)
            .finish()
    }
}

/// A live session as the server keeps it. `Debug` leaves the CSRF token
/// out; the session id itself is never held, only its hash.
#[derive(Clone)]
pub struct SessionRow {
    /// SHA-256 (hex) of the session id in the cookie.
    pub token_hash: String,
    /// Whose it is.
    pub user: User,
    /// The token every form of this session carries.
    pub csrf_token: String,
    /// When it ends unless used.
    pub expires_at: i64,
    /// When it ends regardless of use.
    pub absolute_expiry: i64,
    /// The account signed in with a one-time password: it must choose its
    /// own before anything else.
    pub must_change_password: bool,
}

impl fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRow")
            .field("user", &self.user)
            .field("expires_at", &self.expires_at)
            .field("must_change_password", &self.must_change_password)
            .finish_non_exhaustive()
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Row id (increasing).
    pub id: i64,
    /// When (milliseconds since the epoch).
    pub at: Timestamp,
    /// Who.
    pub username: String,
    /// What (a stable action name such as `job.retry`).
    pub action: String,
    /// Which order, when the action concerns one.
    pub order_id: Option<String>,
    /// Its payment type.
    pub payment_type: Option<String>,
    /// Details in plain language.
    pub detail: String,
    /// `ok`, `refused` or `failed`.
    pub outcome: String,
}

/// A new audit line.
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    /// Who.
    pub username: &'a str,
    /// What.
    pub action: &'a str,
    /// Which order.
    pub order_id: Option<&'a str>,
    /// Its payment type.
    pub payment_type: Option<&'a str>,
    /// Details.
    pub detail: &'a str,
    /// `ok`, `refused` or `failed`.
    pub outcome: &'a str,
}

/// Where a page of the audit log starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditCursor {
    /// The newest lines.
    Newest,
    /// Lines older than (below) this row id.
    Before(i64),
    /// Lines newer than (above) this row id.
    After(i64),
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    /// The lines; each text is cut to [`AUDIT_TEXT_CHARS`] characters.
    pub entries: Vec<AuditEntry>,
    /// Newer lines exist (link: [`AuditCursor::After`] the first).
    pub has_newer: bool,
    /// Older lines exist (link: [`AuditCursor::Before`] the last).
    pub has_older: bool,
}

/// The name of the MySQL lock held while the console's tables are created.
#[cfg(feature = "mysql")]
const MYSQL_SCHEMA_LOCK: &str = "vipps_om_console_schema";

/// How long a console start-up on MySQL waits for another one creating the
/// tables: 60 seconds.
#[cfg(feature = "mysql")]
const MYSQL_SCHEMA_LOCK_WAIT_SECS: i64 = 60;

/// The longest text of an audit line that a page reads (user names and
/// details written before the console bounded its input may be longer).
pub const AUDIT_TEXT_CHARS: i32 = 500;

const AUDIT_COLUMNS: &str = "id, at, substr(username, 1, $4) AS username, action,
        substr(order_id, 1, $4) AS order_id, payment_type,
        substr(detail, 1, $4) AS detail, outcome";

const SQLITE_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS console_users (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        username      TEXT    NOT NULL UNIQUE,
        role          TEXT    NOT NULL CHECK (role IN ('viewer', 'editor')),
        password_hash TEXT    NOT NULL,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS console_sessions (
        token_hash      TEXT    PRIMARY KEY,
        user_id         INTEGER NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
        csrf_token      TEXT    NOT NULL,
        created_at      INTEGER NOT NULL,
        expires_at      INTEGER NOT NULL,
        absolute_expiry INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS console_audit (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        at           INTEGER NOT NULL,
        username     TEXT    NOT NULL,
        action       TEXT    NOT NULL,
        order_id     TEXT,
        payment_type TEXT,
        detail       TEXT    NOT NULL,
        outcome      TEXT    NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS console_audit_order ON console_audit (order_id, id)",
    "CREATE TRIGGER IF NOT EXISTS console_audit_no_update BEFORE UPDATE ON console_audit
     BEGIN SELECT RAISE(ABORT, 'console_audit is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS console_audit_no_delete BEFORE DELETE ON console_audit
     BEGIN SELECT RAISE(ABORT, 'console_audit is append-only'); END",
];

const POSTGRES_SCHEMA: &[&str] = &[
    "SELECT pg_advisory_xact_lock(7270707)",
    "CREATE TABLE IF NOT EXISTS console_users (
        id            BIGSERIAL PRIMARY KEY,
        username      TEXT   NOT NULL UNIQUE,
        role          TEXT   NOT NULL CHECK (role IN ('viewer', 'editor')),
        password_hash TEXT   NOT NULL,
        created_at    BIGINT NOT NULL,
        updated_at    BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS console_sessions (
        token_hash      TEXT   PRIMARY KEY,
        user_id         BIGINT NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
        csrf_token      TEXT   NOT NULL,
        created_at      BIGINT NOT NULL,
        expires_at      BIGINT NOT NULL,
        absolute_expiry BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS console_audit (
        id           BIGSERIAL PRIMARY KEY,
        at           BIGINT NOT NULL,
        username     TEXT   NOT NULL,
        action       TEXT   NOT NULL,
        order_id     TEXT,
        payment_type TEXT,
        detail       TEXT   NOT NULL,
        outcome      TEXT   NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS console_audit_order ON console_audit (order_id, id)",
    "ALTER TABLE console_users ADD COLUMN IF NOT EXISTS is_admin BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE console_users ADD COLUMN IF NOT EXISTS disabled BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE console_users ADD COLUMN IF NOT EXISTS password_temporary_until BIGINT",
    "CREATE OR REPLACE FUNCTION console_audit_append_only() RETURNS trigger
     LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'console_audit is append-only'; END $$",
    "CREATE OR REPLACE TRIGGER console_audit_no_change BEFORE UPDATE OR DELETE ON console_audit
     FOR EACH ROW EXECUTE FUNCTION console_audit_append_only()",
];

/// MySQL's schema: the same tables, with the index inside `CREATE TABLE`
/// (MySQL 8 has no `CREATE INDEX IF NOT EXISTS`), identifiers compared
/// byte for byte (`utf8mb4_bin`, as on the other backends), and triggers
/// that refuse changes with `SIGNAL`. Run under a named lock, since the
/// triggers are dropped and created again.
#[cfg(feature = "mysql")]
const MYSQL_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS console_users (
        id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
        username      VARCHAR(255) NOT NULL UNIQUE,
        role          VARCHAR(16)  NOT NULL CHECK (role IN ('viewer', 'editor')),
        password_hash TEXT         NOT NULL,
        created_at    BIGINT       NOT NULL,
        updated_at    BIGINT       NOT NULL
    ) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
    "CREATE TABLE IF NOT EXISTS console_sessions (
        token_hash      VARCHAR(128) NOT NULL PRIMARY KEY,
        user_id         BIGINT       NOT NULL,
        csrf_token      VARCHAR(255) NOT NULL,
        created_at      BIGINT       NOT NULL,
        expires_at      BIGINT       NOT NULL,
        absolute_expiry BIGINT       NOT NULL,
        FOREIGN KEY (user_id) REFERENCES console_users (id) ON DELETE CASCADE
    ) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
    "CREATE TABLE IF NOT EXISTS console_audit (
        id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
        at           BIGINT       NOT NULL,
        username     TEXT         NOT NULL,
        action       TEXT         NOT NULL,
        order_id     VARCHAR(255),
        payment_type TEXT,
        detail       TEXT         NOT NULL,
        outcome      TEXT         NOT NULL,
        INDEX console_audit_order (order_id, id)
    ) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
    "DROP TRIGGER IF EXISTS console_audit_no_update",
    "CREATE TRIGGER console_audit_no_update BEFORE UPDATE ON console_audit FOR EACH ROW
     SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'console_audit is append-only'",
    "DROP TRIGGER IF EXISTS console_audit_no_delete",
    "CREATE TRIGGER console_audit_no_delete BEFORE DELETE ON console_audit FOR EACH ROW
     SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'console_audit is append-only'",
];

/// The console's tables, on the outbox's own connection pool.
#[derive(Debug, Clone)]
pub enum Store {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
    /// MySQL or MariaDB.
    #[cfg(feature = "mysql")]
    Mysql(MySqlPool),
}

/// Runs the same statement text on every pool (the statements use `$N`
/// placeholders, which SQLite and PostgreSQL read; [`Store::sql`] rewrites
/// them for MySQL).
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match $store {
            Store::Sqlite($pool) => $body,
            Store::Postgres($pool) => $body,
            #[cfg(feature = "mysql")]
            Store::Mysql($pool) => $body,
        }
    };
}

mod accounts;

/// One `console_audit` row, on either backend.
fn audit_entry<R: Row>(row: &R) -> Result<AuditEntry, sqlx::Error>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Option<String>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: Timestamp::from_millis(row.try_get("at")?),
        username: text(row, "username")?,
        action: text(row, "action")?,
        order_id: text(row, "order_id")?,
        payment_type: text(row, "payment_type")?,
        detail: text(row, "detail")?,
        outcome: text(row, "outcome")?,
    })
}

fn user_from(
    row_id: i64,
    username: String,
    role: String,
    is_admin: i64,
) -> Result<User, StoreError> {
    let role = match (Role::parse(&role), is_admin != 0) {
        (Some(Role::Editor), true) => Role::Admin,
        (Some(role @ (Role::Viewer | Role::Editor)), false) => role,
        _ => {
            return Err(StoreError::Schema(format!(
                "account {username:?} has role {role:?} (admin flag {is_admin})"
            )));
        }
    };
    Ok(User {
        id: row_id,
        username,
        role,
    })
}

impl Store {
    /// The store in the outbox's database; creates the console's tables
    /// when they are missing.
    pub async fn for_outbox(outbox: &Outbox) -> Result<Store, StoreError> {
        let store = match (outbox.sqlite_pool(), outbox.pg_pool()) {
            (Some(pool), _) => Store::Sqlite(pool.clone()),
            (None, Some(pool)) => Store::Postgres(pool.clone()),
            #[cfg(feature = "mysql")]
            (None, None) if outbox.mysql_pool().is_some() => Store::Mysql(
                outbox
                    .mysql_pool()
                    .cloned()
                    .ok_or_else(|| StoreError::Schema("the outbox has no MySQL pool".into()))?,
            ),
            (None, None) => {
                return Err(StoreError::Schema(
                    "the outbox uses a database the console does not know".into(),
                ));
            }
        };
        store.create_schema().await?;
        Ok(store)
    }

    async fn create_schema(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(pool) => {
                // IMMEDIATE: two start-ups add missing columns one after
                // the other.
                let mut tx = pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(db("begin the schema"))?;
                for statement in SQLITE_SCHEMA {
                    sqlx::query(statement)
                        .execute(&mut *tx)
                        .await
                        .map_err(db("create the console tables"))?;
                }
                accounts::add_missing_columns_sqlite(&mut tx).await?;
                tx.commit().await.map_err(db("create the console tables"))?;
            }
            Store::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err(db("begin the schema"))?;
                for statement in POSTGRES_SCHEMA {
                    sqlx::query(statement)
                        .execute(&mut *tx)
                        .await
                        .map_err(db("create the console tables"))?;
                }
                tx.commit().await.map_err(db("create the console tables"))?;
            }
            #[cfg(feature = "mysql")]
            Store::Mysql(pool) => {
                // DDL commits at once on MySQL: a named lock keeps two
                // start-ups from dropping each other's triggers.
                let mut conn = pool.acquire().await.map_err(db("begin the schema"))?;
                let locked: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
                    .bind(MYSQL_SCHEMA_LOCK)
                    .bind(MYSQL_SCHEMA_LOCK_WAIT_SECS)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db("lock the console tables"))?;
                if locked != Some(1) {
                    return Err(StoreError::Schema(format!(
                        "another process has held the lock {MYSQL_SCHEMA_LOCK} for \
                         {MYSQL_SCHEMA_LOCK_WAIT_SECS} seconds; start the console again when it is done"
                    )));
                }
                let mut created = Ok(());
                for statement in MYSQL_SCHEMA {
                    if let Err(e) = sqlx::raw_sql(statement).execute(&mut *conn).await {
                        created = Err(e);
                        break;
                    }
                }
                if created.is_ok() {
                    created = accounts::add_missing_columns_mysql(&mut conn).await;
                }
                let _ = sqlx::query("SELECT RELEASE_LOCK(?)")
                    .bind(MYSQL_SCHEMA_LOCK)
                    .execute(&mut *conn)
                    .await;
                created.map_err(db("create the console tables (on MySQL the triggers need the TRIGGER privilege, and with binary logging SUPER or log_bin_trust_function_creators)"))?;
            }
        }
        Ok(())
    }

    /// A statement written with `$N` placeholders, as this backend reads
    /// it: MySQL gets `?` placeholders and `CHAR` for `TEXT` in casts.
    fn sql<'s>(&self, statement: &'s str) -> Cow<'s, str> {
        match self {
            #[cfg(feature = "mysql")]
            Store::Mysql(_) => Cow::Owned(vipps_om_outbox::numbered::positional(
                &statement.replace(" AS TEXT)", " AS CHAR)"),
            )),
            _ => Cow::Borrowed(statement),
        }
    }

    /// Adds an account; with `replace`, an existing account of that name
    /// gets the new role and password hash instead of an error, is
    /// enabled again, and its sessions end.
    pub async fn add_user(
        &self,
        username: &str,
        role: Role,
        password_hash: &str,
        replace: bool,
    ) -> Result<User, StoreError> {
        self.add_user_with(username, role, password_hash, replace, None)
            .await
    }

    /// Stores a new session.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        idle_ms: i64,
        absolute_ms: i64,
    ) -> Result<(), StoreError> {
        let now = Timestamp::now().as_millis();
        on_pool!(self, |pool| query(&self.sql("INSERT INTO console_sessions (token_hash, user_id, csrf_token, created_at, expires_at, absolute_expiry)
             VALUES ($1, $2, $3, $4, $5, $6)"))
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .bind(now + idle_ms.min(absolute_ms))
        .bind(now + absolute_ms)
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(db("store a session"))
    }

    /// The live session with this token hash, its idle expiry moved on.
    pub async fn touch_session(
        &self,
        token_hash: &str,
        idle_ms: i64,
    ) -> Result<Option<SessionRow>, StoreError> {
        let now = Timestamp::now().as_millis();
        let row = on_pool!(self, |pool| {
            match query(&self.sql(
                "SELECT s.token_hash, s.csrf_token, s.expires_at, s.absolute_expiry,
                        u.id, u.username, u.role, u.is_admin, u.password_temporary_until
                   FROM console_sessions s JOIN console_users u ON u.id = s.user_id
                  WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.absolute_expiry > $2
                    AND u.disabled = 0",
            ))
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await
            {
                Ok(Some(row)) => (|| {
                    Ok(Some((
                        text::<_, String>(&row, "token_hash")?,
                        text::<_, String>(&row, "csrf_token")?,
                        row.try_get::<i64, _>("absolute_expiry")?,
                        row.try_get::<i64, _>("id")?,
                        text::<_, String>(&row, "username")?,
                        text::<_, String>(&row, "role")?,
                        row.try_get::<i64, _>("is_admin")?,
                        row.try_get::<Option<i64>, _>("password_temporary_until")?,
                    )))
                })(),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .map_err(db("read a session"))?;
        let Some((
            token_hash,
            csrf_token,
            absolute_expiry,
            id,
            username,
            role,
            is_admin,
            temporary,
        )) = row
        else {
            return Ok(None);
        };
        let expires_at = (now + idle_ms).min(absolute_expiry);
        on_pool!(self, |pool| query(&self.sql(
            "UPDATE console_sessions SET expires_at = $2 WHERE token_hash = $1"
        ))
        .bind(&token_hash)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(db("renew a session"))?;
        Ok(Some(SessionRow {
            token_hash,
            user: user_from(id, username, role, is_admin)?,
            csrf_token,
            expires_at,
            absolute_expiry,
            must_change_password: temporary.is_some(),
        }))
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        on_pool!(self, |pool| query(
            &self.sql("DELETE FROM console_sessions WHERE token_hash = $1")
        )
        .bind(token_hash)
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(db("end a session"))
    }

    /// Removes sessions that have ended; returns how many.
    pub async fn purge_sessions(&self) -> Result<u64, StoreError> {
        let now = Timestamp::now().as_millis();
        on_pool!(self, |pool| query(&self.sql(
            "DELETE FROM console_sessions WHERE expires_at <= $1 OR absolute_expiry <= $1"
        ))
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(db("purge sessions"))
    }

    /// Appends a line to the audit log.
    pub async fn audit(&self, entry: &NewAudit<'_>) -> Result<(), StoreError> {
        let now = Timestamp::now().as_millis();
        on_pool!(self, |pool| query(&self.sql("INSERT INTO console_audit (at, username, action, order_id, payment_type, detail, outcome)
             VALUES ($1, $2, $3, $4, $5, $6, $7)"))
        .bind(now)
        .bind(entry.username)
        .bind(entry.action)
        .bind(entry.order_id)
        .bind(entry.payment_type)
        .bind(entry.detail)
        .bind(entry.outcome)
        .execute(pool)
        .await
        .map(|_| ()))
        .map_err(db("write the audit log"))
    }

    /// A page of at most `limit` audit lines, newest first, optionally of
    /// one order only.
    pub async fn audit_page(
        &self,
        order_id: Option<&str>,
        cursor: AuditCursor,
        limit: u32,
    ) -> Result<AuditPage, StoreError> {
        let filter = "(CAST($1 AS TEXT) IS NULL OR order_id = CAST($1 AS TEXT))";
        let (bound, newer_first) = match cursor {
            AuditCursor::Newest => (i64::MAX, true),
            AuditCursor::Before(id) => (id, true),
            AuditCursor::After(id) => (id, false),
        };
        let sql = if newer_first {
            format!(
                "SELECT {AUDIT_COLUMNS} FROM console_audit WHERE {filter} AND id < $2 ORDER BY id DESC LIMIT $3"
            )
        } else {
            format!(
                "SELECT {AUDIT_COLUMNS} FROM console_audit WHERE {filter} AND id > $2 ORDER BY id ASC LIMIT $3"
            )
        };
        let fetch = i64::from(limit).saturating_add(1);
        let mut entries = on_pool!(self, |pool| {
            query(&self.sql(&sql))
                .bind(order_id)
                .bind(bound)
                .bind(fetch)
                .bind(AUDIT_TEXT_CHARS)
                .fetch_all(pool)
                .await
                .and_then(|rows| {
                    rows.iter()
                        .map(audit_entry)
                        .collect::<Result<Vec<_>, sqlx::Error>>()
                })
        })
        .map_err(db("read the audit log"))?;
        let more = entries.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        entries.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        if !newer_first {
            entries.reverse();
        }
        // Whether anything lies beyond the other end of this page.
        let other_side = match (cursor, entries.first(), entries.last()) {
            (AuditCursor::Newest, _, _) => false,
            (AuditCursor::Before(_), Some(first), _) => {
                self.audit_exists(order_id, first.id, true).await?
            }
            (AuditCursor::After(_), _, Some(last)) => {
                self.audit_exists(order_id, last.id, false).await?
            }
            (AuditCursor::Before(id), None, _) => {
                self.audit_exists(order_id, id.saturating_sub(1), true)
                    .await?
            }
            (AuditCursor::After(id), _, None) => {
                self.audit_exists(order_id, id.saturating_add(1), false)
                    .await?
            }
        };
        let (has_newer, has_older) = if newer_first {
            (other_side, more)
        } else {
            (more, other_side)
        };
        Ok(AuditPage {
            entries,
            has_newer,
            has_older,
        })
    }

    /// Whether a line newer (`newer`) or older than row `id` exists.
    async fn audit_exists(
        &self,
        order_id: Option<&str>,
        id: i64,
        newer: bool,
    ) -> Result<bool, StoreError> {
        let sql = if newer {
            "SELECT id FROM console_audit WHERE (CAST($1 AS TEXT) IS NULL OR order_id = CAST($1 AS TEXT)) AND id > $2 LIMIT 1"
        } else {
            "SELECT id FROM console_audit WHERE (CAST($1 AS TEXT) IS NULL OR order_id = CAST($1 AS TEXT)) AND id < $2 LIMIT 1"
        };
        on_pool!(self, |pool| query(&self.sql(sql))
            .bind(order_id)
            .bind(id)
            .fetch_optional(pool)
            .await
            .map(|row| row.is_some()))
        .map_err(db("read the audit log"))
    }

    /// The newest audit lines first, optionally of one order only.
    pub async fn audit_log(
        &self,
        order_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        on_pool!(self, |pool| {
            query(&self.sql(
                "SELECT id, at, username, action, order_id, payment_type, detail, outcome
                   FROM console_audit
                  WHERE (CAST($1 AS TEXT) IS NULL OR order_id = CAST($1 AS TEXT))
                  ORDER BY id DESC LIMIT $2",
            ))
            .bind(order_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await
            .and_then(|rows| {
                rows.iter()
                    .map(audit_entry)
                    .collect::<Result<Vec<_>, sqlx::Error>>()
            })
        })
        .map_err(db("read the audit log"))
    }
}
