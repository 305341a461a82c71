//! `vipps-om console`: accounts made with `console add-user` (password from
//! stdin when it is not a terminal), and the refusal to listen beyond
//! loopback without HTTPS.

use assert_cmd::Command;
use predicates::str::contains;
use vipps_om_console::vipps_om_outbox::Outbox;
use vipps_om_console::{PasswordHasherConfig, Role, Store};

fn cmd(db: &str) -> Command {
    let mut cmd = Command::cargo_bin("vipps-om").unwrap();
    cmd.env("VIPPS_OM_DATABASE_URL", db)
        .env("VIPPS_OM_CONFIG", "/nonexistent/vipps-om.toml")
        .env("NO_COLOR", "1");
    cmd
}

#[tokio::test]
async fn add_user_reads_the_password_from_stdin_and_stores_an_argon2id_hash() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("o.db").display());
    let secret = "a long support passphrase";
    cmd(&db)
        .args(["console", "add-user", "kari", "--role", "editor"])
        .write_stdin(format!("{secret}\n"))
        .assert()
        .success()
        .stdout(contains("Account kari added with role editor"));
    cmd(&db)
        .args(["console", "add-user", "kari", "--role", "viewer"])
        .write_stdin(format!("{secret}\n"))
        .assert()
        .code(2)
        .stderr(contains("--replace"));
    cmd(&db)
        .args(["console", "add-user", "ola", "--role", "viewer"])
        .write_stdin("short\n")
        .assert()
        .code(2)
        .stderr(contains("at least 12 characters"));
    cmd(&db)
        .args(["console", "add-user", "<b>", "--role", "viewer"])
        .write_stdin(format!("{secret}\n"))
        .assert()
        .code(2)
        .stderr(contains("user name"));
    let out = cmd(&db)
        .args([
            "--json",
            "console",
            "add-user",
            "kari",
            "--role",
            "viewer",
            "--replace",
        ])
        .write_stdin(format!("{secret}\n"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(!String::from_utf8_lossy(&out).contains(secret));

    let outbox = Outbox::connect(&db).await.unwrap();
    let store = Store::for_outbox(&outbox).await.unwrap();
    let kari = store.user_by_name("kari").await.unwrap().unwrap();
    assert_eq!(kari.user.role, Role::Viewer);
    assert!(kari.password_hash.starts_with("$argon2id$"));
    assert!(
        !format!("{kari:?}").contains("argon2id"),
        "Debug hides the hash"
    );
    let hasher = PasswordHasherConfig::insecure_for_tests().unwrap();
    assert!(hasher.verify(secret, Some(&kari.password_hash)));
    assert!(store.user_by_name("ola").await.unwrap().is_none());
    let log = store.audit_log(None, 10).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "user.add" && e.detail.contains("kari"))
    );
    assert!(log.iter().all(|e| !e.detail.contains(secret)));
}

#[test]
fn refuses_to_listen_beyond_loopback_without_https() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("o.db").display());
    cmd(&db)
        .args(["console", "--listen", "0.0.0.0:0"])
        .assert()
        .code(2)
        .stderr(contains("--tls-proxy"));
}

#[test]
fn proxy_addresses_must_be_ip_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("o.db").display());
    cmd(&db)
        .args([
            "console",
            "--listen",
            "127.0.0.1:0",
            "--tls-proxy=proxy.local",
        ])
        .assert()
        .code(2)
        .stderr(contains("--tls-proxy=proxy.local: not an IP address"));
    cmd(&db)
        .args(["console", "--trusted-proxy", "proxy.local"])
        .assert()
        .code(2)
        .stderr(contains("--trusted-proxy"));
    let help = cmd(&db)
        .args(["console", "--help"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8_lossy(&help);
    assert!(help.contains("--trusted-proxy <ADDR>"), "{help}");
    assert!(help.contains("--forwarded-header"), "{help}");
}

#[tokio::test]
async fn add_user_makes_an_admin_and_replace_lets_a_disabled_one_back_in() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("o.db").display());
    let secret = "a long admin passphrase";
    for name in ["root", "second"] {
        cmd(&db)
            .args(["console", "add-user", name, "--role", "admin"])
            .write_stdin(format!("{secret}\n"))
            .assert()
            .success()
            .stdout(contains(format!("Account {name} added with role admin")));
    }
    let outbox = Outbox::connect(&db).await.unwrap();
    let store = Store::for_outbox(&outbox).await.unwrap();
    let root = store.user_by_name("root").await.unwrap().unwrap();
    assert_eq!(root.user.role, Role::Admin);
    assert_eq!(root.temporary_until, None, "a password of its own");
    store
        .change_account(root.user.id, &vipps_om_console::AccountChange::Disable)
        .await
        .unwrap();
    outbox.close().await;
    cmd(&db)
        .args([
            "console",
            "add-user",
            "root",
            "--role",
            "admin",
            "--replace",
        ])
        .write_stdin(format!("{secret}\n"))
        .assert()
        .success();
    let outbox = Outbox::connect(&db).await.unwrap();
    let store = Store::for_outbox(&outbox).await.unwrap();
    let root = store.user_by_name("root").await.unwrap().unwrap();
    assert!(!root.disabled, "enabled again");
    assert_eq!(root.user.role, Role::Admin);
    outbox.close().await;
}
