//! Configuration: named profiles in the config file, then `VIPPS_*`
//! variables, then flags, each overriding the one before; an unknown
//! profile is named; a config file others can read is warned about.

use vipps_om_sim::{Merchant, Simulator};

use crate::support::{Env, stderr, stdout};

/// A simulator with a second merchant, and a config file with a profile
/// for each (both pointing at the simulator), `shop-a` the default.
async fn two_profiles() -> Env {
    let other = Merchant::new("654321", "shop-two-id", "shop-two-secret", "shop-two-key")
        .expect("merchant");
    let sim = vipps_om_sim::spawn(
        Simulator::builder()
            .merchant(other)
            .build()
            .expect("config"),
    )
    .await
    .expect("starts");
    let env = Env::with(sim);
    let config = format!(
        r#"default_profile = "shop-a"

[profiles.shop-a]
client_id = "demo-client-id"
client_secret = "demo-client-secret"
subscription_key = "demo-subscription-key"
merchant_serial_number = "123456"
base_url = "{url}"

[profiles.shop-two]
client_id = "shop-two-id"
client_secret = "shop-two-secret"
subscription_key = "shop-two-key"
merchant_serial_number = "654321"
base_url = "{url}"
"#,
        url = env.url()
    );
    let path = env.write("config.toml", config);
    set_mode(&path, 0o600);
    env
}

#[cfg(unix)]
fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(not(unix))]
fn set_mode(_path: &std::path::Path, _mode: u32) {}

/// The Merchant-Serial-Number `vipps-om token` reports.
fn msn_of(out: &str) -> &str {
    out.lines()
        .find_map(|l| l.strip_prefix("Merchant-Serial-Number"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no Merchant-Serial-Number line in {out}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_profile_is_used_and_profile_selects_another() {
    let env = two_profiles().await;
    let assert = env.bare().arg("token").run().await.success();
    assert_eq!(msn_of(&stdout(&assert)), "123456");
    assert!(
        stderr(&assert).is_empty(),
        "no warning for a private file: {}",
        stderr(&assert)
    );

    let assert = env
        .bare()
        .args(["--profile", "shop-two", "token"])
        .run()
        .await
        .success();
    assert_eq!(msn_of(&stdout(&assert)), "654321");
    assert_eq!(env.sim.counters().tokens_issued.get("654321"), Some(&1));

    let assert = env
        .bare()
        .env("VIPPS_OM_PROFILE", "shop-two")
        .arg("token")
        .run()
        .await
        .success();
    assert_eq!(msn_of(&stdout(&assert)), "654321");
}

#[tokio::test(flavor = "multi_thread")]
async fn environment_overrides_the_profile_and_flags_override_the_environment() {
    let env = two_profiles().await;
    // The variable wins over the profile's (correct) secret...
    let assert = env
        .bare()
        .args(["--profile", "shop-two", "token"])
        .env("VIPPS_CLIENT_SECRET", "not-the-secret")
        .run()
        .await
        .code(4);
    assert!(stderr(&assert).contains("client secret was not accepted"));
    // ...and the flag wins over the variable.
    env.bare()
        .args(["--profile", "shop-two", "token"])
        .args(["--client-secret", "shop-two-secret"])
        .env("VIPPS_CLIENT_SECRET", "not-the-secret")
        .run()
        .await
        .success();

    // The same order for a value the output shows.
    let assert = env
        .bare()
        .args(["--profile", "shop-two", "token"])
        .env("VIPPS_MERCHANT_SERIAL_NUMBER", "111111")
        .run()
        .await
        .success();
    assert_eq!(msn_of(&stdout(&assert)), "111111");
    let assert = env
        .bare()
        .args(["--profile", "shop-two", "--msn", "222222", "token"])
        .env("VIPPS_MERCHANT_SERIAL_NUMBER", "111111")
        .run()
        .await
        .success();
    assert_eq!(msn_of(&stdout(&assert)), "222222");

    // And for the base URL: a dead address in the environment beats the
    // profile's (the network fails, exit 3), and loses to the flag.
    let assert = env
        .bare()
        .arg("token")
        .env("VIPPS_BASE_URL", "http://127.0.0.1:9")
        .run()
        .await
        .code(3);
    assert!(stderr(&assert).contains("could not reach Vipps MobilePay"));
    env.bare()
        .args(["--base-url", env.url(), "token"])
        .env("VIPPS_BASE_URL", "http://127.0.0.1:9")
        .run()
        .await
        .success();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_profile_exits_2_listing_the_known_ones() {
    let env = two_profiles().await;
    let assert = env
        .bare()
        .args(["--profile", "shop-c", "token"])
        .run()
        .await
        .code(2);
    let err = stderr(&assert);
    assert!(err.contains("profile \"shop-c\" is not in"), "{err}");
    assert!(err.contains("config.toml"), "{err}");
    assert!(err.contains("known profiles: shop-a, shop-two"), "{err}");
    assert!(env.sim.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_without_a_config_file_exits_2_naming_the_path() {
    let env = Env::start().await;
    let assert = env
        .bare()
        .args(["--profile", "shop-a", "token"])
        .run()
        .await
        .code(2);
    let err = stderr(&assert);
    assert!(err.contains("there is no config file at"), "{err}");
    assert!(
        err.contains(&env.config_path().display().to_string()),
        "{err}"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_config_file_readable_by_others_is_warned_about() {
    let env = two_profiles().await;
    set_mode(&env.config_path(), 0o644);
    let assert = env.bare().arg("token").run().await.success();
    let err = stderr(&assert);
    assert!(
        err.contains("holds API secrets and can be read by other users"),
        "{err}"
    );
    assert!(
        err.contains(&format!("chmod 600 {}", env.config_path().display())),
        "{err}"
    );
}
