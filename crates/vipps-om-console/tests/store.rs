//! The console's tables on both backends: SQLite always, PostgreSQL when
//! `DATABASE_URL` names one (`.ci/run` starts one; skipped otherwise).

use vipps_om_console::store::NewAudit;
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
    let refused = match &store {
        Store::Sqlite(pool) => sqlx::query("DELETE FROM console_audit")
            .execute(pool)
            .await
            .is_err(),
        Store::Postgres(pool) => sqlx::query("UPDATE console_audit SET detail = ''")
            .execute(pool)
            .await
            .is_err(),
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
        eprintln!("skipped: DATABASE_URL is not set (.ci/run starts a PostgreSQL)");
        return;
    };
    exercise(&url).await;
}
