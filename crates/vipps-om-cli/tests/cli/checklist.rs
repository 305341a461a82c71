//! `vipps-om checklist` and the rehearsal: our own commands (`image
//! upload`, `category set`, `receipt add`, `--bulk`, `order get`) and
//! `outbox run` go through a full rehearsal of the simulator and pass every
//! checklist item they exercise; the command's exit codes and errors.

use serde_json::{Value, json};
use vipps_om_sim::checklist::RehearsalSpec;

use crate::support::{Env, MSN, png, small_receipt, stdout, stdout_json};

/// Rounds of traffic before giving up on the rehearsal finishing.
const MAX_ROUNDS: usize = 6;

fn rehearse(env: &Env) {
    let spec = RehearsalSpec {
        seed: Some(2026),
        max_skip: Some(1),
        // Shorter than the client's 20 s timeout: our tools wait for it.
        slow_ms: Some(2500),
        ..RehearsalSpec::all(MSN)
    };
    env.sim.state().start_rehearsal(&spec).expect("started");
}

fn bulk_lines(round: usize, count: usize) -> String {
    (0..count)
        .map(|n| {
            format!(
                "{}\n",
                json!({"orderId": format!("r{round}-{n}"), "paymentType": "ecom", "receipt": small_receipt(n)})
            )
        })
        .collect()
}

fn rehearsal_done(env: &Env) -> bool {
    let reports = env.sim.state().checklist_report(Some(MSN)).expect("report");
    reports[0]
        .rehearsal
        .as_ref()
        .is_some_and(|r| r.done.len() == r.faults.len())
}

/// Runs `vipps-om checklist --json` and returns its exit code and report.
async fn checklist(env: &Env) -> (i32, Value) {
    let assert = env
        .bare()
        .args(["--json", "checklist", "--base-url", env.url(), "--msn", MSN])
        .arg("--no-links")
        .run()
        .await;
    let code = assert.get_output().status.code().unwrap_or(-1);
    (code, stdout_json(&assert)["reports"][0].clone())
}

fn exercised_items_pass(report: &Value) {
    for item in report["items"].as_array().expect("items") {
        let status = item["status"].as_str().unwrap_or_default();
        assert!(
            status == "pass" || status == "not-exercised",
            "{} is {status}: {item:#}",
            item["id"]
        );
    }
    for kind in [
        "server-error",
        "rate-limit",
        "revoked-token",
        "invalid-request",
        "slow-answer",
    ] {
        let item = report["items"]
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .find(|i| i["id"] == format!("errors.{kind}").as_str())
            })
            .expect("item");
        assert_eq!(item["status"], "pass", "{item:#}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn our_commands_pass_every_item_they_exercise_through_a_rehearsal() {
    let env = Env::start().await;
    rehearse(&env);
    let logo = env.write("logo.png", png(300, 300));
    env.cmd()
        .args(["image", "upload"])
        .arg(&logo)
        .args(["--id", "logo-1"])
        .run()
        .await
        .success();
    // The rehearsal may refuse or slow any of these; our tools survive.
    env.cmd()
        .args([
            "category",
            "set",
            "o-1",
            "--category",
            "RECEIPT",
            "--url",
            "https://shop.example/orders/o-1",
            "--image-id",
            "logo-1",
        ])
        .run()
        .await;
    let one = env.write("receipt.json", small_receipt(1).to_string());
    env.cmd()
        .args(["receipt", "add", "o-1", "--file"])
        .arg(&one)
        .run()
        .await;
    env.cmd().args(["order", "get", "o-1"]).run().await;
    for round in 0..MAX_ROUNDS {
        if rehearsal_done(&env) {
            break;
        }
        let file = env.write(&format!("round-{round}.jsonl"), bulk_lines(round, 30));
        env.cmd()
            .args(["receipt", "add", "--bulk"])
            .arg(&file)
            .run()
            .await;
    }
    assert!(
        rehearsal_done(&env),
        "{:#?}",
        env.sim.state().checklist_report(Some(MSN))
    );

    let (code, report) = checklist(&env).await;
    exercised_items_pass(&report);
    assert_eq!(code, 0, "{report:#}");
    for id in [
        "endpoints.upload-image",
        "endpoints.set-category",
        "endpoints.add-receipt",
        "endpoints.get-order",
        "headers.vipps-system-plugin-name",
        "tokens.reused",
        "tokens.renewed",
        "design.images",
        "design.links",
        "design.receipts",
        "receipts.once",
    ] {
        let item = report["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["id"] == id))
            .expect("item");
        assert_eq!(item["status"], "pass", "{item:#}");
    }

    // The text form says so too, and keeps the page on request.
    let page = env.path("checklist.html");
    let assert = env
        .bare()
        .args(["checklist", "--base-url", env.url(), "--no-links", "--html"])
        .arg(&page)
        .run()
        .await
        .success();
    let out = stdout(&assert);
    assert!(
        out.contains("Checklist for merchant 123456 (direct integration): pass"),
        "{out}"
    );
    assert!(out.contains("Nothing failed."), "{out}");
    assert!(out.contains("What the simulator cannot see"), "{out}");
    let html = std::fs::read_to_string(&page).expect("page written");
    assert!(html.contains("<h2>Merchant 123456") && !html.contains("<script"));
}

#[tokio::test(flavor = "multi_thread")]
async fn outbox_run_passes_every_item_it_exercises_through_a_rehearsal() {
    let env = Env::start().await;
    rehearse(&env);
    let database = format!("sqlite://{}?mode=rwc", env.path("outbox.db").display());
    for round in 0..MAX_ROUNDS {
        if rehearsal_done(&env) {
            break;
        }
        let file = env.write(&format!("round-{round}.jsonl"), bulk_lines(round, 30));
        env.cmd()
            .env("VIPPS_OM_DATABASE_URL", &database)
            .args(["outbox", "enqueue", "--bulk"])
            .arg(&file)
            .run()
            .await
            .success();
        // The rehearsal's 400 fails one job for good (exit 1): the outbox
        // keeps it for staff instead of sending it again.
        env.cmd()
            .env("VIPPS_OM_DATABASE_URL", &database)
            .args(["outbox", "run", "--drain", "--poll-ms", "20"])
            .run()
            .await;
    }
    assert!(
        rehearsal_done(&env),
        "{:#?}",
        env.sim.state().checklist_report(Some(MSN))
    );
    let (code, report) = checklist(&env).await;
    exercised_items_pass(&report);
    assert_eq!(code, 0, "{report:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_item_is_exit_1_and_a_wrong_url_is_explained() {
    let env = Env::start().await;
    // A token per call, five times: tokens.reused fails.
    let http = reqwest::Client::new();
    for n in 0..5 {
        let token: Value = http
            .post(format!("{}/accesstoken/get", env.url()))
            .header("client_id", "demo-client-id")
            .header("client_secret", "demo-client-secret")
            .header("Ocp-Apim-Subscription-Key", "demo-subscription-key")
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("json");
        http.get(format!("{}/order-management/v2/ecom/t-{n}", env.url()))
            .bearer_auth(token["access_token"].as_str().unwrap_or_default())
            .header("Ocp-Apim-Subscription-Key", "demo-subscription-key")
            .header("Merchant-Serial-Number", MSN)
            .send()
            .await
            .expect("sent");
    }
    let assert = env
        .bare()
        .args(["checklist", "--base-url", env.url(), "--no-links"])
        .run()
        .await
        .code(1);
    let out = stdout(&assert);
    assert!(out.contains("tokens.reused"), "{out}");
    assert!(
        out.contains("what to do: a token was fetched for every request"),
        "{out}"
    );
    // The headers it left out warn (a direct integration) ...
    assert!(out.contains("warn"), "{out}");
    // ... and fail for a partner.
    let assert = env
        .bare()
        .args(["--json", "checklist", "--base-url", env.url(), "--no-links"])
        .args(["--msn", MSN, "--partner"])
        .run()
        .await
        .code(1);
    let failed = stdout_json(&assert)["reports"][0]["failed"].clone();
    assert!(
        failed
            .as_array()
            .is_some_and(|f| f.iter().any(|id| id == "headers.vipps-system-name")),
        "{failed}"
    );

    let unknown = env
        .bare()
        .args(["checklist", "--base-url", env.url(), "--msn", "999999"])
        .run()
        .await
        .code(2);
    assert!(crate::support::stderr(&unknown).contains("no merchant has msn"));
    let nowhere = env
        .bare()
        .args(["checklist", "--base-url", "http://127.0.0.1:9"])
        .run()
        .await
        .code(3);
    assert!(crate::support::stderr(&nowhere).contains("cannot reach the simulator"));
    let missing = env.bare().args(["checklist"]).run().await.code(2);
    assert!(crate::support::stderr(&missing).contains("--base-url"));
}
