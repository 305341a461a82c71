//! `vipps-om doctor`: the go-live check as a pass/fail list.

use vipps_om_sim::{Merchant, Simulator};

use crate::support::{Env, keys, stderr, stdout, stdout_json};

/// Every line of the list starts with its verdict.
fn assert_one_line_per_check(out: &str) {
    for line in out.lines() {
        assert!(
            ["✓ pass  ", "! warn  ", "✗ fail  ", "- skip  "]
                .iter()
                .any(|mark| line.starts_with(mark)),
            "a line without a verdict: {line:?} in:\n{out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_passes_configuration_token_and_access_and_warns_about_the_base_url() {
    let env = Env::start().await;
    let assert = env.cmd().arg("doctor").run().await.success();
    let out = stdout(&assert);
    assert_one_line_per_check(&out);
    for line in [
        "✓ pass  configuration ",
        &format!(
            "! warn  base URL                   {}/ is not Vipps MobilePay",
            env.url()
        ),
        "! warn  Vipps-System headers ",
        "✓ pass  access token               fetched; valid for 3600 s\n",
        "✓ pass  Order Management access    the keys and Merchant-Serial-Number belong together",
        "- skip  category link              no sample link to open as the customer's phone would: set sample_category_url = ",
    ] {
        assert!(out.contains(line), "{line:?} missing in:\n{out}");
    }

    let assert = env.cmd().args(["doctor", "--json"]).run().await.success();
    let doc = stdout_json(&assert);
    assert_eq!(keys(&doc), ["checks", "ok"]);
    assert_eq!(doc["ok"], true);
    let verdicts: Vec<(String, String)> = doc["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            assert_eq!(keys(c), ["detail", "name", "verdict"]);
            (c["name"].to_string(), c["verdict"].to_string())
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("configuration", "pass"),
        ("base URL", "warn"),
        ("Vipps-System headers", "warn"),
        ("access token", "pass"),
        ("Order Management access", "pass"),
        ("category link", "skip"),
    ]
    .iter()
    .map(|(n, v)| (format!("{n:?}"), format!("{v:?}")))
    .collect();
    assert_eq!(verdicts, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_passes_the_system_headers_when_they_are_set() {
    let env = Env::start().await;
    let assert = env
        .cmd()
        .env("VIPPS_SYSTEM_NAME", "acme-shop")
        .env("VIPPS_SYSTEM_VERSION", "3.1.2")
        .env("VIPPS_SYSTEM_PLUGIN_NAME", "acme-vipps")
        .env("VIPPS_SYSTEM_PLUGIN_VERSION", "1.0.0")
        .arg("doctor")
        .run()
        .await
        .success();
    let out = stdout(&assert);
    let line = out
        .lines()
        .find(|l| l.contains("Vipps-System headers"))
        .expect("the check is listed");
    assert!(line.starts_with("✓ pass  "), "{line}");
    assert!(
        line.contains("acme-shop") && line.contains("3.1.2"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_with_a_wrong_client_secret_fails_the_token_check_and_exits_4() {
    let env = Env::start().await;
    let assert = env
        .cmd()
        .env("VIPPS_CLIENT_SECRET", "wrong-secret")
        .arg("doctor")
        .run()
        .await
        .code(4);
    let out = stdout(&assert);
    assert_one_line_per_check(&out);
    let line = out
        .lines()
        .find(|l| l.contains("access token"))
        .expect("the token check is listed");
    assert!(line.starts_with("✗ fail  access token "), "{line}");
    assert!(
        line.contains("the client id or client secret was not accepted"),
        "{line}"
    );
    assert!(
        line.contains("VIPPS_CLIENT_SECRET") && line.contains("from portal.vipps.no"),
        "names the setting to change and where the keys are: {line}"
    );
    assert!(
        !out.contains("Order Management access"),
        "nothing is probed without a token:\n{out}"
    );
    assert!(stderr(&assert).contains("some go-live checks failed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_without_credentials_exits_2_naming_every_missing_variable() {
    let env = Env::start().await;
    let assert = env
        .bare()
        .args(["--base-url", env.url(), "doctor"])
        .run()
        .await
        .code(2);
    let out = stdout(&assert);
    assert!(out.starts_with("✗ fail  configuration "), "{out}");
    for name in [
        "VIPPS_CLIENT_ID",
        "VIPPS_CLIENT_SECRET",
        "VIPPS_SUBSCRIPTION_KEY",
        "VIPPS_MERCHANT_SERIAL_NUMBER",
    ] {
        assert!(out.contains(name), "{name} in {out}");
    }
    assert!(env.sim.requests().is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_explains_a_merchant_serial_number_of_another_sales_unit() {
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
    let assert = env
        .cmd()
        .args(["--msn", "654321", "doctor"])
        .run()
        .await
        .code(4);
    let out = stdout(&assert);
    assert_one_line_per_check(&out);
    let line = out
        .lines()
        .find(|l| l.contains("Order Management access"))
        .expect("the access check is listed");
    assert!(line.starts_with("✗ fail  "), "{line}");
    assert!(
        line.contains("the Merchant-Serial-Number does not belong to these API keys"),
        "{line}"
    );
}
