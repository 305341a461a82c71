//! Accounts: the admin role, disabled accounts and one-time passwords.
//!
//! Three columns were added to `console_users` after its first release;
//! a console adds them to an existing table at start-up when they are
//! missing (SQLite and MySQL look at the table's columns first, since
//! neither has `ADD COLUMN IF NOT EXISTS` everywhere; PostgreSQL uses it):
//!
//! - `is_admin` (0/1): an admin is stored as role `editor` with this flag,
//!   so the role column keeps its `CHECK (role IN ('viewer', 'editor'))`
//!   and an older console reads an admin as an editor;
//! - `disabled` (0/1): the account cannot sign in and has no live session
//!   (a session's lookup joins the account and requires it enabled);
//! - `password_temporary_until` (milliseconds since the epoch, or NULL):
//!   the password is a one-time password an admin was shown; it is refused
//!   after this time and must be replaced at sign-in.
//!
//! A change that would leave no enabled admin (disabling or demoting the
//! last one) is refused inside one transaction that first locks the
//! enabled admins' rows (`FOR UPDATE`; SQLite: `BEGIN IMMEDIATE`), so two
//! admins demoting each other at once cannot both succeed.

use std::fmt;

use sqlx::Row;
use vipps_om_outbox::Timestamp;
use vipps_om_outbox::numbered::{query, text};

use super::{Role, Store, StoreError, User, UserWithHash, db, user_from};

/// The most accounts the accounts page lists (sorted by name; a note says
/// when there are more).
pub const MAX_ACCOUNTS_LISTED: u32 = 500;

/// The columns added after the first release: name and definition (the
/// type is `INTEGER` on SQLite, `BIGINT` elsewhere).
const ADDED_COLUMNS: &[(&str, &str)] = &[
    ("is_admin", "NOT NULL DEFAULT 0"),
    ("disabled", "NOT NULL DEFAULT 0"),
    ("password_temporary_until", "NULL"),
];

const ACCOUNT_COLUMNS: &str =
    "id, username, role, is_admin, disabled, password_temporary_until, created_at, updated_at";

/// Adds the missing account columns to SQLite's `console_users` (inside
/// the schema's `BEGIN IMMEDIATE` transaction).
pub(super) async fn add_missing_columns_sqlite(
    conn: &mut sqlx::SqliteConnection,
) -> Result<(), StoreError> {
    let present: Vec<String> =
        sqlx::query_scalar("SELECT name FROM pragma_table_info('console_users')")
            .fetch_all(&mut *conn)
            .await
            .map_err(db("read the account columns"))?;
    for (name, definition) in ADDED_COLUMNS {
        if !present.iter().any(|p| p == name) {
            sqlx::query(&format!(
                "ALTER TABLE console_users ADD COLUMN {name} INTEGER {definition}"
            ))
            .execute(&mut *conn)
            .await
            .map_err(db("add an account column"))?;
        }
    }
    Ok(())
}

/// Adds the missing account columns to MySQL's `console_users` (MySQL 8
/// has no `ADD COLUMN IF NOT EXISTS`; run under the schema lock).
#[cfg(feature = "mysql")]
pub(super) async fn add_missing_columns_mysql(
    conn: &mut sqlx::MySqlConnection,
) -> Result<(), sqlx::Error> {
    let present: Vec<String> = sqlx::query(
        "SELECT CAST(COLUMN_NAME AS CHAR) AS name FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'console_users'",
    )
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| text(row, "name"))
    .collect::<Result<_, _>>()?;
    for (name, definition) in ADDED_COLUMNS {
        if !present.iter().any(|p| p.eq_ignore_ascii_case(name)) {
            sqlx::raw_sql(&format!(
                "ALTER TABLE console_users ADD COLUMN {name} BIGINT {definition}"
            ))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// An account as the accounts page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Id, name and role.
    pub user: User,
    /// It cannot sign in.
    pub disabled: bool,
    /// Its password is a one-time password, valid until then
    /// (milliseconds since the epoch).
    pub temporary_until: Option<i64>,
    /// When it was added.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// A change an admin makes to an account.
#[derive(Clone, PartialEq, Eq)]
pub enum AccountChange {
    /// A new role.
    Role(Role),
    /// It can no longer sign in; its sessions end.
    Disable,
    /// It can sign in again.
    Enable,
    /// A new one-time password (its hash), valid until `until`
    /// (milliseconds since the epoch); its sessions end.
    TemporaryPassword {
        /// PHC string (argon2id).
        hash: String,
        /// When it stops being accepted.
        until: i64,
    },
}

impl fmt::Debug for AccountChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountChange::Role(role) => f.debug_tuple("Role").field(role).finish(),
            AccountChange::Disable => f.write_str("Disable"),
            AccountChange::Enable => f.write_str("Enable"),
            AccountChange::TemporaryPassword { until, .. } => f
                .debug_struct("TemporaryPassword")
                .field("until", until)
                .finish_non_exhaustive(),
        }
    }
}

impl AccountChange {
    /// Whether it takes away an admin's rights (a lower role, or disabled).
    fn removes_admin(&self) -> bool {
        matches!(
            self,
            AccountChange::Disable | AccountChange::Role(Role::Viewer | Role::Editor)
        )
    }
}

/// What became of a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeOutcome {
    /// Done; the account as it was before.
    Changed(Account),
    /// Refused: it would leave no enabled admin.
    LastAdmin,
    /// No account has that id.
    NotFound,
}

/// The stored role and admin flag of a role.
fn stored(role: Role) -> (&'static str, i64) {
    match role {
        Role::Admin => (Role::Editor.as_str(), 1),
        other => (other.as_str(), 0),
    }
}

/// The raw columns of an account row.
type AccountRow = (i64, String, String, i64, i64, Option<i64>, i64, i64);

fn account_row<R: Row>(row: &R) -> Result<AccountRow, sqlx::Error>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'q> i64: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> Option<i64>: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
    for<'q> String: sqlx::Decode<'q, R::Database> + sqlx::Type<R::Database>,
{
    Ok((
        row.try_get("id")?,
        text(row, "username")?,
        text(row, "role")?,
        row.try_get("is_admin")?,
        row.try_get("disabled")?,
        row.try_get("password_temporary_until")?,
        row.try_get("created_at")?,
        row.try_get("updated_at")?,
    ))
}

fn account_from(row: AccountRow) -> Result<Account, StoreError> {
    let (id, username, role, is_admin, disabled, temporary_until, created, updated) = row;
    Ok(Account {
        user: user_from(id, username, role, is_admin)?,
        disabled: disabled != 0,
        temporary_until,
        created_at: Timestamp::from_millis(created),
        updated_at: Timestamp::from_millis(updated),
    })
}

/// Runs `$body` in a transaction on whichever pool the store has (SQLite:
/// `BEGIN IMMEDIATE`, so the reads see what the writes will change); the
/// body's `?` leaves with a `sqlx::Error`, which rolls back.
macro_rules! in_tx {
    ($store:expr, |$tx:ident| $body:expr) => {
        match $store {
            Store::Sqlite(pool) => {
                async {
                    let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                    let out = $body;
                    $tx.commit().await?;
                    Ok::<_, sqlx::Error>(out)
                }
                .await
            }
            Store::Postgres(pool) => {
                async {
                    let mut $tx = pool.begin().await?;
                    let out = $body;
                    $tx.commit().await?;
                    Ok::<_, sqlx::Error>(out)
                }
                .await
            }
            #[cfg(feature = "mysql")]
            Store::Mysql(pool) => {
                async {
                    let mut $tx = pool.begin().await?;
                    let out = $body;
                    $tx.commit().await?;
                    Ok::<_, sqlx::Error>(out)
                }
                .await
            }
        }
    };
}

impl Store {
    /// Adds an account (see [`Store::add_user`]); `temporary_until` makes
    /// its password a one-time password.
    pub(crate) async fn add_user_with(
        &self,
        username: &str,
        role: Role,
        password_hash: &str,
        replace: bool,
        temporary_until: Option<i64>,
    ) -> Result<User, StoreError> {
        let now = Timestamp::now().as_millis();
        let (stored_role, is_admin) = stored(role);
        if let Some(found) = self.user_by_name(username).await? {
            if !replace {
                return Err(StoreError::UserExists(username.to_owned()));
            }
            let update = self.sql(
                "UPDATE console_users SET role = $1, is_admin = $2, password_hash = $3,
                        password_temporary_until = $4, disabled = 0, updated_at = $5
                  WHERE id = $6",
            );
            let end_sessions = self.sql("DELETE FROM console_sessions WHERE user_id = $1");
            in_tx!(self, |tx| {
                query(&update)
                    .bind(stored_role)
                    .bind(is_admin)
                    .bind(password_hash)
                    .bind(temporary_until)
                    .bind(now)
                    .bind(found.user.id)
                    .execute(&mut *tx)
                    .await?;
                // A new password ends the account's sessions.
                query(&end_sessions)
                    .bind(found.user.id)
                    .execute(&mut *tx)
                    .await?;
            })
            .map_err(db("update an account"))?;
            return Ok(User { role, ..found.user });
        }
        const INSERT: &str = "INSERT INTO console_users
                (username, role, is_admin, password_hash, password_temporary_until, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)";
        let id = match self {
            // MySQL returns no rows from an INSERT: the id is LAST_INSERT_ID().
            #[cfg(feature = "mysql")]
            Store::Mysql(pool) => query(&self.sql(INSERT))
                .bind(username)
                .bind(stored_role)
                .bind(is_admin)
                .bind(password_hash)
                .bind(temporary_until)
                .bind(now)
                .execute(pool)
                .await
                .and_then(|done| {
                    i64::try_from(done.last_insert_id()).map_err(|_| {
                        sqlx::Error::Decode("the new account's id does not fit 64 bits".into())
                    })
                }),
            _ => on_pool!(self, |pool| query(&format!("{INSERT} RETURNING id"))
                .bind(username)
                .bind(stored_role)
                .bind(is_admin)
                .bind(password_hash)
                .bind(temporary_until)
                .bind(now)
                .fetch_one(pool)
                .await
                .and_then(|row| row.try_get::<i64, _>("id"))),
        }
        .map_err(db("add an account"))?;
        Ok(User {
            id,
            username: username.to_owned(),
            role,
        })
    }

    /// An account with its hash, by login name.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserWithHash>, StoreError> {
        let sql = self.sql(
            "SELECT id, username, role, is_admin, disabled, password_temporary_until,
                    created_at, updated_at, password_hash
               FROM console_users WHERE username = $1",
        );
        let row = on_pool!(self, |pool| {
            match query(&sql).bind(username).fetch_optional(pool).await {
                Ok(Some(row)) => {
                    account_row(&row).and_then(|a| Ok(Some((a, text(&row, "password_hash")?))))
                }
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .map_err(db("read an account"))?;
        let Some((row, password_hash)) = row else {
            return Ok(None);
        };
        let account = account_from(row)?;
        Ok(Some(UserWithHash {
            user: account.user,
            password_hash,
            disabled: account.disabled,
            temporary_until: account.temporary_until,
        }))
    }

    /// The accounts by name, at most [`MAX_ACCOUNTS_LISTED`]; and whether
    /// there are more.
    pub async fn accounts(&self) -> Result<(Vec<Account>, bool), StoreError> {
        let sql = self
            .sql(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM console_users ORDER BY username LIMIT $1"
            ))
            .into_owned();
        let rows = on_pool!(self, |pool| query(&sql)
            .bind(i64::from(MAX_ACCOUNTS_LISTED).saturating_add(1))
            .fetch_all(pool)
            .await
            .and_then(|rows| rows
                .iter()
                .map(account_row)
                .collect::<Result<Vec<_>, _>>()))
        .map_err(db("list the accounts"))?;
        let mut accounts = rows
            .into_iter()
            .map(account_from)
            .collect::<Result<Vec<_>, _>>()?;
        let limit = usize::try_from(MAX_ACCOUNTS_LISTED).unwrap_or(usize::MAX);
        let more = accounts.len() > limit;
        accounts.truncate(limit);
        Ok((accounts, more))
    }

    /// One account, by id.
    pub async fn account(&self, id: i64) -> Result<Option<Account>, StoreError> {
        let sql = self
            .sql(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM console_users WHERE id = $1"
            ))
            .into_owned();
        let row = on_pool!(self, |pool| query(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await
            .and_then(|row| row.as_ref().map(account_row).transpose()))
        .map_err(db("read an account"))?;
        row.map(account_from).transpose()
    }

    /// Changes an account, unless that would leave no enabled admin.
    /// Disabling it or giving it a one-time password ends its sessions.
    pub async fn change_account(
        &self,
        id: i64,
        change: &AccountChange,
    ) -> Result<ChangeOutcome, StoreError> {
        let now = Timestamp::now().as_millis();
        let lock = match self {
            Store::Sqlite(_) => "",
            _ => " FOR UPDATE",
        };
        let admins = self
            .sql(&format!(
                "SELECT id FROM console_users WHERE is_admin = 1 AND disabled = 0{lock}"
            ))
            .into_owned();
        let target = self
            .sql(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM console_users WHERE id = $1"
            ))
            .into_owned();
        let update = self.sql(match change {
            AccountChange::Role(_) => {
                "UPDATE console_users SET role = $2, is_admin = $3, updated_at = $4 WHERE id = $1"
            }
            AccountChange::Disable => {
                "UPDATE console_users SET disabled = 1, updated_at = $2 WHERE id = $1"
            }
            AccountChange::Enable => {
                "UPDATE console_users SET disabled = 0, updated_at = $2 WHERE id = $1"
            }
            AccountChange::TemporaryPassword { .. } => {
                "UPDATE console_users SET password_hash = $2, password_temporary_until = $3,
                        updated_at = $4 WHERE id = $1"
            }
        });
        let end_sessions = self.sql("DELETE FROM console_sessions WHERE user_id = $1");
        let outcome = in_tx!(self, |tx| {
            let enabled_admins: Vec<i64> = query(&admins)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|row| row.try_get::<i64, _>("id"))
                .collect::<Result<_, _>>()?;
            let before = match query(&target).bind(id).fetch_optional(&mut *tx).await? {
                Some(row) => Some(account_row(&row)?),
                None => None,
            };
            match before {
                None => Ok(None),
                Some(before) => {
                    let is_enabled_admin = enabled_admins.contains(&id);
                    let others = enabled_admins.iter().filter(|a| **a != id).count();
                    if is_enabled_admin && others == 0 && change.removes_admin() {
                        Err(ChangeOutcome::LastAdmin)
                    } else {
                        let statement = query(&update).bind(id);
                        let statement = match change {
                            AccountChange::Role(role) => {
                                let (stored_role, is_admin) = stored(*role);
                                statement.bind(stored_role).bind(is_admin).bind(now)
                            }
                            AccountChange::Disable | AccountChange::Enable => statement.bind(now),
                            AccountChange::TemporaryPassword { hash, until } => {
                                statement.bind(hash.as_str()).bind(*until).bind(now)
                            }
                        };
                        statement.execute(&mut *tx).await?;
                        if matches!(
                            change,
                            AccountChange::Disable | AccountChange::TemporaryPassword { .. }
                        ) {
                            query(&end_sessions).bind(id).execute(&mut *tx).await?;
                        }
                        Ok(Some(before))
                    }
                }
            }
        })
        .map_err(db("change an account"))?;
        match outcome {
            Ok(Some(before)) => Ok(ChangeOutcome::Changed(account_from(before)?)),
            Ok(None) => Ok(ChangeOutcome::NotFound),
            Err(refused) => Ok(refused),
        }
    }

    /// An account's own new password (no longer a one-time one); its
    /// other sessions end, the one with `keep_session` (a token hash)
    /// stays.
    pub async fn set_own_password(
        &self,
        id: i64,
        password_hash: &str,
        keep_session: &str,
    ) -> Result<(), StoreError> {
        let now = Timestamp::now().as_millis();
        let update = self.sql(
            "UPDATE console_users SET password_hash = $2, password_temporary_until = NULL,
                    updated_at = $3 WHERE id = $1",
        );
        let end_others =
            self.sql("DELETE FROM console_sessions WHERE user_id = $1 AND token_hash <> $2");
        in_tx!(self, |tx| {
            query(&update)
                .bind(id)
                .bind(password_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            query(&end_others)
                .bind(id)
                .bind(keep_session)
                .execute(&mut *tx)
                .await?;
        })
        .map_err(db("change a password"))
    }
}
