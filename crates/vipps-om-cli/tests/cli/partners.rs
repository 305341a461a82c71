//! Partner keys and keyrings from the command line: a `kind = "partner"`
//! profile acts for the merchant `--msn` names (and refuses to guess
//! without one), an unlinked merchant is exit 4 with the staff message,
//! `--keyring FILE` picks a merchant's own keys, and `doctor` checks a
//! partner setup.

use vipps_om::PaymentType;
use vipps_om_sim::{Merchant, Partner, Simulator};

use crate::support::{Env, receipt, stderr, stdout, stdout_json};

/// A simulator with partner `acme` linked to 111111 and 222222 (not to
/// the demo merchant 123456), a merchant 654321 with its own keys, and a
/// config file whose default profile holds acme's keys.
async fn partner_env(system: &str) -> Env {
    let sim = vipps_om_sim::spawn(
        Simulator::builder()
            .merchant(Merchant::new("654321", "own-id", "own-secret", "own-key").expect("merchant"))
            .partner(
                Partner::new(
                    "acme",
                    "acme-id",
                    "acme-secret",
                    "acme-key",
                    &["111111", "222222"],
                )
                .expect("partner"),
            )
            .build()
            .expect("config"),
    )
    .await
    .expect("starts");
    let env = Env::with(sim);
    let config = format!(
        r#"default_profile = "platform"

[profiles.platform]
kind = "partner"
client_id = "acme-id"
client_secret = "acme-secret"
subscription_key = "acme-key"
base_url = "{url}"
{system}
"#,
        url = env.url()
    );
    let path = env.write("config.toml", config);
    set_mode(&path, 0o600);
    env
}

const SYSTEM: &str = r#"system_name = "acme"
system_version = "3.1.2"
system_plugin_name = "acme-webshop"
system_plugin_version = "4.5.6""#;

#[cfg(unix)]
fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(not(unix))]
fn set_mode(_path: &std::path::Path, _mode: u32) {}

#[tokio::test]
async fn a_partner_profile_acts_for_the_merchant_msn_names() {
    let env = partner_env(SYSTEM).await;
    let file = env.write("receipt.json", receipt().to_string());
    let out = env
        .bare()
        .args(["receipt", "add", "order-1", "--file"])
        .arg(&file)
        .args(["--msn", "111111", "--json"])
        .run()
        .await
        .success();
    assert_eq!(stdout_json(&out)["status"], "created");
    assert!(
        env.sim
            .receipt("111111", &PaymentType::Ecom, "order-1")
            .is_some()
    );
    assert!(
        env.sim
            .receipt("222222", &PaymentType::Ecom, "order-1")
            .is_none()
    );
    assert!(env.sim.used_partner_keys("111111"));

    // Another linked merchant sees nothing of 111111's.
    let out = env
        .bare()
        .args(["order", "get", "order-1", "--msn", "222222"])
        .run()
        .await
        .code(1);
    assert!(
        stderr(&out).contains("no category and no order details for ECOM order order-1"),
        "{}",
        stderr(&out)
    );

    let out = env
        .bare()
        .args(["token", "--msn", "222222"])
        .run()
        .await
        .success();
    assert!(stdout(&out).contains("partner keys"), "{}", stdout(&out));
    // Each run is its own process with its own token cache: one token
    // request per command, whichever merchant it acts for.
    assert_eq!(env.sim.counters().partner_token_requests_for("acme"), 3);
}

#[tokio::test]
async fn partner_keys_without_msn_are_refused_before_anything_is_sent() {
    let env = partner_env(SYSTEM).await;
    let out = env
        .bare()
        .args(["order", "get", "order-1"])
        .run()
        .await
        .code(2);
    let err = stderr(&out);
    assert!(
        err.contains("these are partner keys") && err.contains("--msn MSN"),
        "{err}"
    );
    assert_eq!(env.sim.counters().partner_token_requests_for("acme"), 0);
    let out = env
        .bare()
        .args(["order", "get", "order-1", "--json"])
        .run()
        .await
        .code(2);
    let json: serde_json::Value = serde_json::from_str(&stderr(&out)).expect("json");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("--msn"),
        "{json}"
    );
    // A partner profile never names a merchant itself.
    let config = std::fs::read_to_string(env.config_path()).expect("config");
    env.write(
        "config.toml",
        config.replace(
            "kind = \"partner\"",
            "kind = \"partner\"\nmerchant_serial_number = \"111111\"",
        ),
    );
    set_mode(&env.config_path(), 0o600);
    let out = env
        .bare()
        .args(["order", "get", "order-1"])
        .run()
        .await
        .code(2);
    assert!(
        stderr(&out).contains("remove merchant_serial_number"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn an_unlinked_merchant_is_exit_4_with_what_to_do() {
    let env = partner_env(SYSTEM).await;
    let out = env
        .bare()
        .args(["order", "get", "order-1", "--msn", "123456"])
        .run()
        .await
        .code(4);
    let err = stderr(&out);
    assert!(
        err.contains("these partner keys are not linked to sales unit 123456: link it in the partner portal, or use the merchant's own keys"),
        "{err}"
    );
    assert!(
        !err.contains("acme-secret") && !err.contains("acme-key"),
        "{err}"
    );
}

#[tokio::test]
async fn doctor_checks_a_partner_setup() {
    let env = partner_env(SYSTEM).await;
    let out = env
        .bare()
        .args(["doctor", "--msn", "111111", "--json"])
        .run()
        .await
        // The base URL is the simulator's (a warning) and no sample link
        // is set (skipped): nothing fails.
        .success();
    let json = stdout_json(&out);
    let check = |name: &str| {
        json["checks"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["name"] == name))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(check("configuration")["verdict"], "pass", "{json}");
    assert_eq!(check("Vipps-System headers")["verdict"], "pass", "{json}");
    assert_eq!(check("access token")["verdict"], "pass", "{json}");
    assert!(
        check("access token")["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("every linked merchant")
    );
    assert_eq!(check("linked merchant")["verdict"], "pass", "{json}");

    // Not linked: the check fails with the staff message, exit 4.
    let out = env
        .bare()
        .args(["doctor", "--msn", "123456", "--json"])
        .run()
        .await
        .code(4);
    let json = stdout_json(&out);
    let linked = json["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "linked merchant"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(linked["verdict"], "fail", "{json}");
    assert!(
        linked["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("not linked to sales unit 123456"),
        "{json}"
    );

    // No --msn: said, exit 2.
    let out = env.bare().args(["doctor"]).run().await.code(2);
    assert!(stdout(&out).contains("give --msn MSN"), "{}", stdout(&out));
}

#[tokio::test]
async fn doctor_fails_a_partner_without_its_own_system_headers() {
    let env = partner_env("").await;
    let out = env
        .bare()
        .args(["doctor", "--msn", "111111"])
        .run()
        .await
        .code(2);
    let text = stdout(&out);
    assert!(text.contains("partners must send their own"), "{text}");

    let env = partner_env(
        r#"system_name = "acme"
system_version = "latest"
system_plugin_name = "acme-webshop-for-every-platform-we-know"
system_plugin_version = "4.5.6""#,
    )
    .await;
    let out = env
        .bare()
        .args(["doctor", "--msn", "111111"])
        .run()
        .await
        .success();
    let text = stdout(&out);
    assert!(
        text.contains("Vipps-System-Version \"latest\" has no digit"),
        "{text}"
    );
    assert!(
        text.contains("Vipps-System-Plugin-Name is 39 characters"),
        "{text}"
    );
}

#[tokio::test]
async fn a_keyring_picks_the_merchants_own_keys() {
    let env = partner_env(SYSTEM).await;
    // No profile: the keyring and the environment only.
    std::fs::remove_file(env.config_path()).expect("removed");
    let secret = env.write("own.secret", "own-secret\n");
    set_mode(&secret, 0o600);
    let keyring = env.write(
        "keyring.toml",
        r#"[[merchant]]
msn = "654321"
client_id = "own-id"
client_secret_file = "own.secret"
subscription_key_env = "OWN_SUBSCRIPTION_KEY"
"#,
    );
    let file = env.write("receipt.json", receipt().to_string());
    let out = env
        .bare()
        .args(["receipt", "add", "order-9", "--file"])
        .arg(&file)
        .args(["--base-url", env.url(), "--keyring"])
        .arg(&keyring)
        .args(["--msn", "654321"])
        .env("OWN_SUBSCRIPTION_KEY", "own-key")
        .run()
        .await
        .success();
    assert!(stdout(&out).contains("order-9"), "{}", stdout(&out));
    assert!(
        env.sim
            .receipt("654321", &PaymentType::Ecom, "order-9")
            .is_some()
    );
    assert!(!env.sim.used_partner_keys("654321"));

    // A merchant not in the keyring is named, with the ones that are.
    let out = env
        .bare()
        .args([
            "order",
            "get",
            "order-9",
            "--base-url",
            env.url(),
            "--keyring",
        ])
        .arg(&keyring)
        .args(["--msn", "111111"])
        .env("OWN_SUBSCRIPTION_KEY", "own-key")
        .run()
        .await
        .code(2);
    assert!(
        stderr(&out).contains("has no keys for merchant 111111; its merchants: 654321"),
        "{}",
        stderr(&out)
    );

    // A secret file others may read is refused, naming the fix.
    set_mode(&secret, 0o644);
    let out = env
        .bare()
        .args([
            "order",
            "get",
            "order-9",
            "--base-url",
            env.url(),
            "--keyring",
        ])
        .arg(&keyring)
        .args(["--msn", "654321"])
        .env("OWN_SUBSCRIPTION_KEY", "own-key")
        .run()
        .await
        .code(2);
    let err = stderr(&out);
    #[cfg(unix)]
    assert!(err.contains("chmod 600"), "{err}");
    assert!(
        !err.contains("own-secret\n") && !err.contains("own-key"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn outbox_run_with_partner_keys_delivers_every_linked_merchants_jobs() {
    let env = partner_env(SYSTEM).await;
    let url = format!("sqlite://{}?mode=rwc", env.path("outbox.db").display());
    let file = env.write("receipt.json", receipt().to_string());
    for (msn, order) in [("111111", "p-1"), ("222222", "p-2"), ("123456", "p-3")] {
        env.bare()
            .env("VIPPS_OM_DATABASE_URL", &url)
            .args(["outbox", "enqueue", "--order-id", order, "--file"])
            .arg(&file)
            .args(["--msn", msn])
            .run()
            .await
            .success();
    }
    // No --msn: one worker delivers for every merchant the keys act for.
    let out = env
        .bare()
        .env("VIPPS_OM_DATABASE_URL", &url)
        .args(["outbox", "run", "--drain", "--json"])
        .run()
        .await
        .code(1);
    let err = stderr(&out);
    assert!(
        err.contains("every merchant these partner keys are linked to"),
        "{err}"
    );
    let state = env.sim.state();
    for (msn, order) in [("111111", "p-1"), ("222222", "p-2")] {
        assert!(
            state.receipt(msn, &PaymentType::Ecom, order).is_some(),
            "{msn}'s receipt was delivered with the partner's keys"
        );
    }
    // 123456 is not linked to acme: its job fails with the partner message.
    let failed = env
        .bare()
        .env("VIPPS_OM_DATABASE_URL", &url)
        .args(["outbox", "failed", "--json"])
        .run()
        .await
        .success();
    let text = stdout(&failed);
    assert!(text.contains("p-3"), "{text}");
    assert!(text.contains("not linked to sales unit 123456"), "{text}");
    assert!(!text.contains("p-1") && !text.contains("p-2"), "{text}");
}
