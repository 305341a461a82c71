//! The console's tables on every backend: SQLite always, PostgreSQL when
//! `DATABASE_URL` names one, MySQL (with the `mysql` feature) when
//! `MYSQL_URL` does (`.ci/run` starts both; skipped otherwise), each on a
//! fresh database.

use vipps_om_console::store::{AUDIT_TEXT_CHARS, AuditCursor, NewAudit};
use vipps_om_console::vipps_om_outbox::Outbox;
use vipps_om_console::{AccountChange, ChangeOutcome, PasswordHasherConfig, Role, Store};
use vipps_om_testdb::{Server, TestDb};

async fn exercise(url: &str) {
    let outbox = Outbox::connect(url).await.unwrap();
    let store = Store::for_outbox(&outbox).await.unwrap();
    // Idempotent: a second start finds the tables.
    let store2 = Store::for_outbox(&outbox).await.unwrap();
    let name = format!("user-{}", std::process::id());
    let hasher = PasswordHasherConfig::insecure_for_tests().unwrap();
    let user = vipps_om_console::add_user(
        &store,
        &hasher,
        &name,
        Role::Editor,
        "a long password!",
        false,
    )
    .await
    .unwrap();
    assert!(matches!(
        vipps_om_console::add_user(
            &store2,
            &hasher,
            &name,
            Role::Viewer,
            "a long password!",
            false
        )
        .await,
        Err(vipps_om_console::AddUserError::Store(
            vipps_om_console::StoreError::UserExists(_)
        ))
    ));
    let hash = format!("{:0>64}", user.id);
    store
        .create_session(&hash, user.id, "csrf", 60_000, 3_600_000)
        .await
        .unwrap();
    let session = store.touch_session(&hash, 60_000).await.unwrap().unwrap();
    assert_eq!(session.user, user);
    assert_eq!(session.csrf_token, "csrf");
    assert!(
        !format!("{session:?}").contains("csrf\""),
        "Debug hides the CSRF token"
    );
    // A new password ends the sessions.
    vipps_om_console::add_user(
        &store,
        &hasher,
        &name,
        Role::Viewer,
        "another long one",
        true,
    )
    .await
    .unwrap();
    assert!(store.touch_session(&hash, 60_000).await.unwrap().is_none());
    let order = format!("order-{name}");
    store
        .audit(&NewAudit {
            username: &name,
            action: "job.retry",
            order_id: Some(&order),
            payment_type: Some("ECOM"),
            detail: "job 1 queued again",
            outcome: "ok",
        })
        .await
        .unwrap();
    let of_order = store.audit_log(Some(&order), 10).await.unwrap();
    assert_eq!(of_order.len(), 1);
    assert_eq!(of_order[0].action, "job.retry");
    assert!(store.audit_log(None, 10).await.unwrap().len() >= 3);
    // Pages of one order's lines, newest first, texts cut.
    let paged = format!("paged-{name}");
    let long = "d".repeat(2000);
    for i in 0..5 {
        store
            .audit(&NewAudit {
                username: &name,
                action: "order.view",
                order_id: Some(&paged),
                payment_type: Some("ECOM"),
                detail: if i == 0 { &long } else { "viewed" },
                outcome: "ok",
            })
            .await
            .unwrap();
    }
    let first = store
        .audit_page(Some(&paged), AuditCursor::Newest, 2)
        .await
        .unwrap();
    assert_eq!(first.entries.len(), 2);
    assert!((first.has_older, first.has_newer) == (true, false));
    let last_id = first.entries[1].id;
    let second = store
        .audit_page(Some(&paged), AuditCursor::Before(last_id), 2)
        .await
        .unwrap();
    assert!(second.entries.iter().all(|e| e.id < last_id));
    assert!((second.has_older, second.has_newer) == (true, true));
    let third = store
        .audit_page(Some(&paged), AuditCursor::Before(second.entries[1].id), 2)
        .await
        .unwrap();
    assert_eq!(third.entries.len(), 1);
    assert!((third.has_older, third.has_newer) == (false, true));
    assert_eq!(
        third.entries[0].detail.chars().count(),
        usize::try_from(AUDIT_TEXT_CHARS).unwrap()
    );
    let back = store
        .audit_page(Some(&paged), AuditCursor::After(third.entries[0].id), 2)
        .await
        .unwrap();
    assert_eq!(back.entries, second.entries);
    let refused = match &store {
        Store::Sqlite(pool) => sqlx::query("DELETE FROM console_audit")
            .execute(pool)
            .await
            .is_err(),
        Store::Postgres(pool) => sqlx::query("UPDATE console_audit SET detail = ''")
            .execute(pool)
            .await
            .is_err(),
        #[cfg(feature = "mysql")]
        Store::Mysql(pool) => {
            let update = sqlx::query("UPDATE console_audit SET detail = ''")
                .execute(pool)
                .await;
            let delete = sqlx::query("DELETE FROM console_audit").execute(pool).await;
            update.is_err() && delete.is_err()
        }
    };
    assert!(refused, "the audit log is append-only");
    accounts(&store, &hasher).await;
    outbox.close().await;
}

/// Admins, disabled accounts and one-time passwords (on a database that
/// may hold other runs' accounts: nothing here counts all admins).
async fn accounts(store: &Store, hasher: &PasswordHasherConfig) {
    let pid = std::process::id();
    let admin = vipps_om_console::add_user(
        store,
        hasher,
        &format!("admin-{pid}"),
        Role::Admin,
        "a long password!",
        true,
    )
    .await
    .unwrap();
    assert_eq!(admin.role, Role::Admin);
    let read = store.user_by_name(&admin.username).await.unwrap().unwrap();
    assert_eq!(read.user, admin);
    assert!(!read.disabled && read.temporary_until.is_none());
    let staff = vipps_om_console::add_user(
        store,
        hasher,
        &format!("staff-{pid}"),
        Role::Viewer,
        "a long password!",
        true,
    )
    .await
    .unwrap();
    let (listed, _) = store.accounts().await.unwrap();
    assert!(listed.iter().any(|a| a.user == admin));
    // A disabled account has no live session.
    let hash = format!("{:0>64}", staff.id + 7_000_000);
    store
        .create_session(&hash, staff.id, "csrf", 60_000, 3_600_000)
        .await
        .unwrap();
    let ChangeOutcome::Changed(before) = store
        .change_account(staff.id, &AccountChange::Disable)
        .await
        .unwrap()
    else {
        panic!("not disabled")
    };
    assert!(!before.disabled);
    assert!(store.touch_session(&hash, 60_000).await.unwrap().is_none());
    assert!(store.account(staff.id).await.unwrap().unwrap().disabled);
    store
        .change_account(staff.id, &AccountChange::Enable)
        .await
        .unwrap();
    store
        .change_account(staff.id, &AccountChange::Role(Role::Admin))
        .await
        .unwrap();
    assert_eq!(
        store.account(staff.id).await.unwrap().unwrap().user.role,
        Role::Admin
    );
    // A one-time password: the session made with it must change it; the
    // own one replaces it and ends the other sessions.
    let until = 4_102_444_800_000;
    store
        .change_account(
            staff.id,
            &AccountChange::TemporaryPassword {
                hash: hasher.hash("one-time password").unwrap(),
                until,
            },
        )
        .await
        .unwrap();
    let read = store.user_by_name(&staff.username).await.unwrap().unwrap();
    assert_eq!(read.temporary_until, Some(until));
    let (kept, other) = (
        format!("{:0>64}", staff.id + 8_000_000),
        format!("{:0>64}", staff.id + 9_000_000),
    );
    for h in [&kept, &other] {
        store
            .create_session(h, staff.id, "csrf", 60_000, 3_600_000)
            .await
            .unwrap();
    }
    assert!(
        store
            .touch_session(&kept, 60_000)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    store
        .set_own_password(staff.id, &hasher.hash("my own password").unwrap(), &kept)
        .await
        .unwrap();
    let session = store.touch_session(&kept, 60_000).await.unwrap().unwrap();
    assert!(!session.must_change_password);
    assert!(store.touch_session(&other, 60_000).await.unwrap().is_none());
    assert_eq!(
        store
            .change_account(i64::MAX, &AccountChange::Enable)
            .await
            .unwrap(),
        ChangeOutcome::NotFound
    );
}

/// The account table as the first release made it, with one editor:
/// starting a console adds the new columns and reads it; the last enabled
/// admin is kept.
async fn upgrade(url: &str, old_users_table: &str) {
    let outbox = Outbox::connect(url).await.unwrap();
    match (outbox.sqlite_pool(), outbox.pg_pool()) {
        (Some(pool), _) => {
            sqlx::raw_sql(old_users_table).execute(pool).await.unwrap();
        }
        (None, Some(pool)) => {
            sqlx::raw_sql(old_users_table).execute(pool).await.unwrap();
        }
        #[cfg(feature = "mysql")]
        (None, None) => {
            sqlx::raw_sql(old_users_table)
                .execute(outbox.mysql_pool().unwrap())
                .await
                .unwrap();
        }
        #[cfg(not(feature = "mysql"))]
        (None, None) => unreachable!(),
    }
    let store = Store::for_outbox(&outbox).await.unwrap();
    Store::for_outbox(&outbox).await.unwrap();
    let old = store.user_by_name("old-editor").await.unwrap().unwrap();
    assert_eq!(old.user.role, Role::Editor);
    assert!(!old.disabled && old.temporary_until.is_none());
    let id = old.user.id;
    store
        .change_account(id, &AccountChange::Role(Role::Admin))
        .await
        .unwrap();
    for change in [
        AccountChange::Disable,
        AccountChange::Role(Role::Viewer),
        AccountChange::Role(Role::Editor),
    ] {
        assert_eq!(
            store.change_account(id, &change).await.unwrap(),
            ChangeOutcome::LastAdmin,
            "{change:?}"
        );
    }
    let hasher = PasswordHasherConfig::insecure_for_tests().unwrap();
    let second = vipps_om_console::add_user(
        &store,
        &hasher,
        "second-admin",
        Role::Admin,
        "a long password!",
        false,
    )
    .await
    .unwrap();
    assert!(matches!(
        store
            .change_account(id, &AccountChange::Disable)
            .await
            .unwrap(),
        ChangeOutcome::Changed(_)
    ));
    assert_eq!(
        store
            .change_account(second.id, &AccountChange::Role(Role::Viewer))
            .await
            .unwrap(),
        ChangeOutcome::LastAdmin
    );
    outbox.close().await;
}

const OLD_SQLITE_USERS: &str = "CREATE TABLE console_users (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        username      TEXT    NOT NULL UNIQUE,
        role          TEXT    NOT NULL CHECK (role IN ('viewer', 'editor')),
        password_hash TEXT    NOT NULL,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
    );
    INSERT INTO console_users (username, role, password_hash, created_at, updated_at)
    VALUES ('old-editor', 'editor', 'x', 1, 1)";

const OLD_POSTGRES_USERS: &str = "CREATE TABLE console_users (
        id            BIGSERIAL PRIMARY KEY,
        username      TEXT   NOT NULL UNIQUE,
        role          TEXT   NOT NULL CHECK (role IN ('viewer', 'editor')),
        password_hash TEXT   NOT NULL,
        created_at    BIGINT NOT NULL,
        updated_at    BIGINT NOT NULL
    );
    INSERT INTO console_users (username, role, password_hash, created_at, updated_at)
    VALUES ('old-editor', 'editor', 'x', 1, 1)";

const OLD_MYSQL_USERS: &str = "CREATE TABLE console_users (
        id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
        username      VARCHAR(255) NOT NULL UNIQUE,
        role          VARCHAR(16)  NOT NULL CHECK (role IN ('viewer', 'editor')),
        password_hash TEXT         NOT NULL,
        created_at    BIGINT       NOT NULL,
        updated_at    BIGINT       NOT NULL
    ) ENGINE = InnoDB DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
    INSERT INTO console_users (username, role, password_hash, created_at, updated_at)
    VALUES ('old-editor', 'editor', 'x', 1, 1)";

vipps_om_testdb::on_every_backend!(
    prefix: "console_store",
    everywhere: [tables_work, an_old_account_table_is_upgraded],
);

async fn tables_work(db: &TestDb) {
    exercise(db.url()).await;
}

async fn an_old_account_table_is_upgraded(db: &TestDb) {
    let old_users_table = match db.server() {
        None => OLD_SQLITE_USERS,
        Some(Server::Postgres) => OLD_POSTGRES_USERS,
        Some(Server::MySql) => OLD_MYSQL_USERS,
    };
    upgrade(db.url(), old_users_table).await;
}
