//! The console's tables on every backend: SQLite always, PostgreSQL when
//! `DATABASE_URL` names one, MySQL (with the `mysql` feature) when
//! `MYSQL_URL` does (`.ci/run` starts both; skipped otherwise).

use vipps_om_console::store::{AUDIT_TEXT_CHARS, AuditCursor, NewAudit};
use vipps_om_console::vipps_om_outbox::Outbox;
use vipps_om_console::{PasswordHasherConfig, Role, Store};

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
    outbox.close().await;
}

#[tokio::test]
async fn tables_work_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    exercise(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("s.db").display()
    ))
    .await;
}

#[tokio::test]
async fn tables_work_on_postgres() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        skip(
            "needs PostgreSQL: set DATABASE_URL=postgres://USER@HOST:PORT/DB (.ci/run starts a throwaway server)",
        );
        return;
    };
    exercise(&url).await;
}

#[cfg(feature = "mysql")]
#[tokio::test]
async fn tables_work_on_mysql() {
    let Ok(url) = std::env::var("MYSQL_URL") else {
        skip(
            "needs MySQL or MariaDB: set MYSQL_URL=mysql://USER:PASSWORD@HOST:PORT/DB (.ci/run starts a throwaway server)",
        );
        return;
    };
    exercise(&url).await;
}

/// Says that the running test is skipped and why: one line on standard
/// error, written with `std::io::stderr()` rather than `eprintln!` because
/// the test harness captures (and, for a passing test, discards) the
/// `eprintln!` output, so that a run that reports "ok" still shows it.
fn skip(reason: &str) {
    use std::io::Write as _;
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test}: {reason}");
}
