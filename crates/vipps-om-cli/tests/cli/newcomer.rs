//! What a newcomer meets first (issue 12): `-v` as the README promises,
//! messages said once and in full, one name per option, connection flags
//! only where they are used, the documented `--json` shapes in every
//! outcome, `--bulk` failed files that can be re-run as they are, and the
//! demo's last hint and the simulator's `export` block that work as
//! written.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use vipps_om_sim::{Fault, Route};

use crate::support::{
    CLIENT_SECRET, Env, SUBSCRIPTION_KEY, filters, invalid_receipt, keys, png, small_receipt,
    stderr, stderr_json, stdout, stdout_json,
};

/// The `api call:` lines of a run's stderr.
fn call_lines(err: &str) -> Vec<&str> {
    err.lines()
        .filter(|l| l.starts_with("api call: "))
        .collect()
}

// ------------------------------------------------------------ 3. -v

#[tokio::test(flavor = "multi_thread")]
async fn v_prints_one_line_per_api_call_with_endpoint_order_status_attempt_and_latency() {
    let env = Env::start().await;
    // The receipt is refused once with a 500: the call's line says which
    // attempt answered.
    env.sim
        .inject_fault(Fault::status(Route::AddReceipt, 500).times(1))
        .expect("fault accepted");
    let file = env.write("receipt.json", small_receipt(1).to_string());
    let assert = env
        .cmd()
        .args(["-v", "receipt", "add", "order-v-1", "--file"])
        .arg(&file)
        .run()
        .await
        .success();
    let err = stderr(&assert);
    let calls = call_lines(&err);
    assert_eq!(calls.len(), 2, "one line per call (token, receipt):\n{err}");
    assert!(
        calls[0].starts_with("api call: POST /accesstoken/get status=200 attempt=1 latency_ms="),
        "{err}"
    );
    let receipt = calls[1];
    for field in [
        "POST /order-management/v2/{paymentType}/receipts/{orderId}",
        "order_id=order-v-1",
        "payment_type=ecom",
        "status=201",
        "attempt=2",
        "latency_ms=",
    ] {
        assert!(receipt.contains(field), "{field} missing in {receipt}");
    }
    // The retry, with the fields known then and why.
    let retries: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("api event: "))
        .collect();
    assert_eq!(retries.len(), 1, "{err}");
    assert!(
        retries[0]
            .contains("order_id=order-v-1 payment_type=ecom status=500 attempt=1 latency_ms="),
        "{err}"
    );
    assert!(retries[0].contains(" → retrying in "), "{err}");
    // No secrets, no token, no debug output of the HTTP libraries.
    for secret in [CLIENT_SECRET, SUBSCRIPTION_KEY, "Bearer", "eyJ"] {
        assert!(!err.contains(secret), "{secret} in:\n{err}");
    }
    assert!(!err.contains("DEBUG") && !err.contains("INFO"), "{err}");

    // Without -v: none of these lines.
    let assert = env
        .cmd()
        .args(["receipt", "add", "order-v-2", "--file"])
        .arg(&file)
        .run()
        .await
        .success();
    assert_eq!(stderr(&assert), "");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_that_fails_for_good_is_said_once() {
    let env = Env::start().await;
    for verbosity in [None, Some("-v")] {
        env.sim
            .inject_fault(Fault::status(Route::GetOrder, 503).times(4))
            .expect("fault accepted");
        let assert = env
            .cmd()
            .args(verbosity)
            .args(["order", "get", "order-down"])
            .run()
            .await
            .code(3);
        let err = stderr(&assert);
        // The failure is the error message, not also a log line.
        assert!(!err.contains("WARN") && !err.contains("INFO"), "{err}");
        assert_eq!(err.lines().filter(|l| l.starts_with("error: ")).count(), 1);
        let lines = |what: &str| err.lines().filter(|l| l.contains(what)).count();
        if verbosity.is_some() {
            assert_eq!(lines(" → retrying in "), 3, "{err}");
            assert_eq!(lines(" → giving up"), 1, "{err}");
            assert_eq!(
                lines("order_id=order-down payment_type=ecom status=503 attempt=4"),
                2,
                "{err}"
            );
        } else {
            assert_eq!(lines("api call"), 0, "{err}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn vv_is_debug_without_the_http_libraries_and_vvv_is_everything() {
    let env = Env::start().await;
    let assert = env
        .cmd()
        .args(["-vv", "order", "get", "order-vv"])
        .run()
        .await
        .code(1);
    let err = stderr(&assert);
    assert!(err.contains("DEBUG"), "{err}");
    assert!(err.contains("vipps_om::client"), "{err}");
    assert_eq!(call_lines(&err).len(), 2, "{err}");
    for noisy in ["hyper_util::", "reqwest::", "rustls", " h2::"] {
        assert!(!err.contains(noisy), "{noisy} at -vv:\n{err}");
    }

    let assert = env
        .cmd()
        .args(["-vvv", "order", "get", "order-vv"])
        .run()
        .await
        .code(1);
    let err = stderr(&assert);
    assert!(
        err.contains("hyper_util::"),
        "-vvv shows everything:\n{err}"
    );
    for secret in [CLIENT_SECRET, SUBSCRIPTION_KEY] {
        assert!(!err.contains(secret), "{secret} in:\n{err}");
    }
}

// ------------------------------------------------------------ 4. said once

#[tokio::test(flavor = "multi_thread")]
async fn image_upload_says_its_warning_once() {
    let env = Env::start().await;
    let file = env.write("wide.png", png(300, 200));
    for verbosity in [None, Some("-v")] {
        let assert = env
            .cmd()
            .args(verbosity)
            .args(["image", "upload"])
            .arg(&file)
            .run()
            .await
            .success();
        let both = format!("{}{}", stdout(&assert), stderr(&assert));
        assert_eq!(
            both.matches("square images are recommended").count(),
            1,
            "{both}"
        );
        assert!(!stderr(&assert).contains("WARN"), "{both}");
    }
}

#[test]
fn sim_on_a_taken_address_says_so_once_and_names_the_address() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = taken.local_addr().expect("its address").to_string();
    let output = std::process::Command::new(assert_cmd::cargo::cargo_bin("vipps-om"))
        .args(["sim", "--listen", &addr])
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(err.matches(&addr).count(), 1, "{err}");
    assert!(err.contains("--listen"), "says what to do: {err}");
    assert_eq!(
        err.matches("in use").count() + err.matches("using").count(),
        1
    );
    assert!(output.stdout.is_empty());
}

// ------------------------------------------------------------ 5. config, secret

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_config_file_is_named_with_line_and_column() {
    let env = Env::start().await;
    std::fs::write(
        env.config_path(),
        "default_profile = \"shop\"\n\n[profiles.shop]\nclient_id = \"abc\nclient_secret = \"x\"\n",
    )
    .expect("written");
    let assert = env.bare().args(["token"]).run().await.code(2);
    let err = stderr(&assert);
    assert!(
        err.contains("config.toml is not valid at line 4, column"),
        "{err}"
    );

    std::fs::write(
        env.config_path(),
        "[profiles.shop]\nclient_id = \"abc\"\nclient_sekret = \"x\"\n",
    )
    .expect("written");
    let assert = env.bare().args(["token"]).run().await.code(2);
    let err = stderr(&assert);
    assert!(err.contains("at line 3, column 1"), "{err}");
    assert!(err.contains("client_sekret"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_secret_is_said_with_balanced_parentheses_and_the_service_words_apart() {
    let env = Env::start().await;
    let assert = env
        .cmd()
        .env("VIPPS_CLIENT_SECRET", "not-the-secret")
        .args(["token"])
        .run()
        .await
        .code(4);
    let err = stderr(&assert);
    let mut lines = err.lines();
    let first = lines.next().unwrap_or_default();
    assert!(first.contains("client secret was not accepted"), "{err}");
    assert!(!first.contains("AADSTS"), "{err}");
    let second = lines.next().unwrap_or_default();
    assert!(
        second.starts_with("  the service answered: invalid_client"),
        "{err}"
    );
    for line in err.lines() {
        assert_eq!(
            line.matches('(').count(),
            line.matches(')').count(),
            "unbalanced: {line}"
        );
    }
    assert!(!err.contains("not-the-secret"), "{err}");

    // The go-live check says it on one line, as balanced.
    let assert = env
        .cmd()
        .env("VIPPS_CLIENT_SECRET", "not-the-secret")
        .args(["doctor"])
        .run()
        .await
        .code(4);
    let out = stdout(&assert);
    let line = out
        .lines()
        .find(|l| l.contains("access token"))
        .unwrap_or_else(|| panic!("no access token check in {out}"));
    assert!(
        line.contains("; the service answered: invalid_client"),
        "{line}"
    );
    assert_eq!(
        line.matches('(').count(),
        line.matches(')').count(),
        "{line}"
    );
}

// ------------------------------------------------------------ 6. names

#[tokio::test(flavor = "multi_thread")]
async fn the_same_option_has_the_same_name_in_every_command() {
    let env = Env::start().await;
    for (command, flag) in [
        ("set", "--category"),
        ("set", "--type"),
        ("add", "--category"),
        ("add", "--type"),
    ] {
        env.cmd()
            .args(["category", command, "order-c-1", flag, "RECEIPT"])
            .args(["--url", "https://shop.example/o/1"])
            .run()
            .await
            .success();
    }
    let help = env.bare().args(["category", "add", "--help"]).run().await;
    assert!(stdout(&help.success()).contains("--category <CATEGORY>"));
    // An image id is `--image-id` where a category takes it; `image
    // upload` names it `--id` and takes `--image-id` too.
    let file = env.write("logo.png", png(256, 256));
    let assert = env
        .cmd()
        .args(["image", "upload", "--image-id", "shop-logo", "--json"])
        .arg(&file)
        .run()
        .await
        .success();
    assert_eq!(stdout_json(&assert)["imageId"], "shop-logo");
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_flags_show_only_in_the_help_of_commands_that_call_the_api() {
    let env = Env::start().await;
    let uses = [
        vec!["order", "get"],
        vec!["receipt", "add"],
        vec!["category", "set"],
        vec!["category", "list"],
        vec!["image", "upload"],
        vec!["token"],
        vec!["doctor"],
        vec!["outbox", "run"],
        vec!["console"],
    ];
    let does_not = [
        vec![],
        vec!["demo"],
        vec!["sim"],
        vec!["receipt", "validate"],
        vec!["completions"],
    ];
    for (command, shown) in uses
        .iter()
        .map(|c| (c, true))
        .chain(does_not.iter().map(|c| (c, false)))
    {
        let assert = env.bare().args(command).arg("--help").run().await.success();
        let help = stdout(&assert);
        for flag in ["--base-url", "--client-id", "--msn", "--profile"] {
            assert_eq!(
                help.contains(flag),
                shown,
                "{flag} in `{}` help:\n{help}",
                command.join(" ")
            );
        }
    }
    // Flags after the subcommand, and (as before) before it.
    for args in [
        vec!["order", "get", "order-f-1", "--base-url", env.url()],
        vec!["--base-url", env.url(), "order", "get", "order-f-1"],
    ] {
        let assert = env
            .bare()
            .env("VIPPS_CLIENT_ID", crate::support::CLIENT_ID)
            .env("VIPPS_CLIENT_SECRET", CLIENT_SECRET)
            .env("VIPPS_SUBSCRIPTION_KEY", SUBSCRIPTION_KEY)
            .env("VIPPS_MERCHANT_SERIAL_NUMBER", crate::support::MSN)
            .args(args)
            .run()
            .await
            .code(1);
        assert!(stderr(&assert).contains("no category and no order details"));
    }
}

// ------------------------------------------------------------ 7. --json

#[tokio::test(flavor = "multi_thread")]
async fn json_shapes_hold_in_every_outcome() {
    let env = Env::start().await;

    // An invalid receipt: {valid: false, problems}, exit 2.
    let file = env.write("bad.json", invalid_receipt().to_string());
    let assert = env
        .bare()
        .args(["receipt", "validate", "--json", "--file"])
        .arg(&file)
        .run()
        .await
        .code(2);
    let doc = stdout_json(&assert);
    assert_eq!(keys(&doc), ["problems", "valid"]);
    assert_eq!(doc["valid"], false);
    assert!(
        doc["problems"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["path"] == "orderLines[0].name")),
        "{doc}"
    );
    assert_eq!(stderr(&assert), "");

    // A missing order: {exists: false, ...}, exit 1.
    let assert = env
        .cmd()
        .args(["order", "get", "nobody", "--json"])
        .run()
        .await
        .code(1);
    let doc = stdout_json(&assert);
    assert_eq!(
        keys(&doc),
        [
            "exists",
            "hasCategory",
            "hasReceipt",
            "order",
            "orderId",
            "paymentType",
            "summary"
        ]
    );
    assert_eq!(doc["exists"], false);
    assert_eq!(doc["orderId"], "nobody");

    // Usage errors: the error object, exit 2.
    for args in [
        vec!["--json", "order", "get"],
        vec!["receipt", "add", "--no-such-flag", "--json"],
        vec!["--json", "order"],
        vec!["--json", "category", "set", "o-1", "--category", "RECEIPT"],
    ] {
        let assert = env.bare().args(&args).run().await.code(2);
        let doc = stderr_json(&assert);
        let error = &doc["error"];
        assert_eq!(error["kind"], "usage", "{args:?}: {doc}");
        assert_eq!(error["exitCode"], 2);
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            !message.is_empty() && !message.starts_with("error:"),
            "{doc}"
        );
    }
    let assert = env.bare().args(["--json", "--help"]).run().await.success();
    assert!(stdout(&assert).contains("Usage: vipps-om"));

    // Times are RFC 3339.
    let assert = env.cmd().args(["token", "--json"]).run().await.success();
    let expires = stdout_json(&assert)["expiresAt"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let rfc3339 =
        predicates::str::is_match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$").expect("regex");
    assert!(
        predicates::Predicate::eval(&rfc3339, expires.as_str()),
        "{expires}"
    );
}

// ------------------------------------------------------------ 8. --bulk

#[tokio::test(flavor = "multi_thread")]
async fn bulk_shows_field_problems_and_a_failed_file_reruns_in_place_with_its_line_numbers() {
    let env = Env::start().await;
    let lines = [
        json!({"orderId": "bk-1", "receipt": small_receipt(1)}).to_string(),
        json!({"orderId": "bk-2", "receipt": invalid_receipt()}).to_string(),
        "{\"orderId\": \"bk-3\", \"receipt\": {".to_owned(),
        json!({"receipt": small_receipt(4)}).to_string(),
    ];
    let input = env.write("orders.jsonl", format!("{}\n", lines.join("\n")));
    let failed_path = env.path("orders.failed.jsonl");

    let assert = env
        .cmd()
        .args(["receipt", "add", "--bulk"])
        .arg(&input)
        .run()
        .await
        .code(1);
    let out = stdout(&assert);
    let dir = regex_escape(&env.dir.path().display().to_string());
    let mut bulk_filters = filters();
    bulk_filters.push((dir.as_str(), "[DIR]"));
    // The wording of each problem is the validator's (its own tests hold
    // it); here the layout: which line, which field.
    bulk_filters.push((r"(?m)^(    ✗ [^:]+): .+$", "$1: [PROBLEM]"));
    insta::with_settings!({filters => bulk_filters}, {
        insta::assert_snapshot!("bulk_failed_lines_with_problems", out);
    });
    assert!(out.contains("  line 2: the receipt is invalid\n"), "{out}");
    assert!(out.contains("    ✗ receipt.orderLines[0].name: "), "{out}");
    assert!(out.contains("  line 4: not a bulk line"), "{out}");
    assert!(out.contains("    ✗ orderId: is missing"), "{out}");

    let failed = read_jsonl(&failed_path);
    assert_eq!(failed.len(), 3);
    assert_eq!(failed[1]["unparsedLine"], lines[2]);
    assert_eq!(failed[1]["error"]["line"], 3);

    // The failed file again, unchanged: the same file, the same numbers,
    // and the line that is not JSON said plainly.
    let assert = env
        .cmd()
        .args(["receipt", "add", "--bulk"])
        .arg(&failed_path)
        .run()
        .await
        .code(1);
    let out = stdout(&assert);
    assert!(out.contains("  line 2: the receipt is invalid\n"), "{out}");
    assert!(
        out.contains("  line 3: the line (\"unparsedLine\") is still not JSON"),
        "{out}"
    );
    assert!(out.contains("  line 4: not a bulk line"), "{out}");
    assert!(!env.path("orders.failed.failed.jsonl").exists());
    assert!(!env.path("orders.failed.jsonl.partial").exists());
    let again = read_jsonl(&failed_path);
    let numbers: Vec<&Value> = again.iter().map(|l| &l["error"]["line"]).collect();
    assert_eq!(numbers, [&json!(2), &json!(3), &json!(4)]);
    assert_eq!(again[1]["unparsedLine"], lines[2]);

    // Fixed in place, the text of the unparsed line included.
    let mut fixed = again;
    fixed[0]["receipt"] = small_receipt(2);
    fixed[1]["unparsedLine"] =
        json!(json!({"orderId": "bk-3", "receipt": small_receipt(3)}).to_string());
    fixed[2]["orderId"] = json!("bk-4");
    std::fs::write(
        &failed_path,
        fixed.iter().map(|l| format!("{l}\n")).collect::<String>(),
    )
    .expect("written");
    let assert = env
        .cmd()
        .args(["receipt", "add", "--bulk"])
        .arg(&failed_path)
        .run()
        .await
        .success();
    assert!(
        stdout(&assert).starts_with("✓ 3 sent, 0 already there, 0 failed (of 3)\n"),
        "{}",
        stdout(&assert)
    );
    assert_eq!(env.sim.orders().len(), 4);
}

fn read_jsonl(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("the failed file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect()
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

// ------------------------------------------------------------ 10. hints

/// `export A=1 B=2 \` lines (with continuations) as variables.
fn exports(block: &str) -> BTreeMap<String, String> {
    block
        .replace("\\\n", " ")
        .split_whitespace()
        .filter(|word| *word != "export")
        .filter_map(|word| word.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demos_last_hint_works_as_written() {
    let env = Env::start().await;
    let assert = env.bare().arg("demo").run().await.success();
    let out = stdout(&assert);
    let hint = out
        .split_once("Done. Try it yourself on a simulator that keeps running:\n")
        .map(|(_, hint)| hint)
        .unwrap_or_else(|| panic!("no hint in:\n{out}"));
    insta::assert_snapshot!("demo_hint", hint);

    let mut lines = hint.lines().map(str::trim).peekable();
    assert!(lines.next().is_some_and(|l| l.starts_with("vipps-om sim ")));
    let mut block = String::new();
    while let Some(line) = lines.next_if(|l| !l.starts_with("vipps-om ")) {
        block.push_str(line);
        block.push('\n');
    }
    let mut vars = exports(&block);
    assert_eq!(
        vars.remove("VIPPS_BASE_URL").as_deref(),
        Some("http://127.0.0.1:8080")
    );
    // The test's simulator stands in for the one the hint starts.
    vars.insert("VIPPS_BASE_URL".into(), env.url().to_owned());
    let mut last = String::new();
    for line in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(words.first(), Some(&"vipps-om"), "{line}");
        let mut cmd = env.bare().args(&words[1..]);
        for (name, value) in &vars {
            cmd = cmd.env(name, value);
        }
        last = stdout(&cmd.run().await.success());
    }
    assert!(last.contains("RECEIPT"), "{last}");
}

#[cfg(unix)]
#[test]
fn sim_prints_an_export_block_that_points_the_cli_at_it() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("vipps-om"))
        .args(["sim", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut banner = String::new();
    let mut block = String::new();
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap_or(0) > 0 {
        banner.push_str(&line);
        if line.trim_start().starts_with("export ") || !block.is_empty() {
            block.push_str(&line);
            if !line.trim_end().ends_with('\\') {
                break;
            }
        }
        line.clear();
    }
    let vars = exports(&block);
    let base_url = banner.lines().next().unwrap_or_default().to_owned();
    assert_eq!(vars.get("VIPPS_BASE_URL"), Some(&base_url), "{banner}");
    assert_eq!(
        vars.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "VIPPS_BASE_URL",
            "VIPPS_CLIENT_ID",
            "VIPPS_CLIENT_SECRET",
            "VIPPS_MERCHANT_SERIAL_NUMBER",
            "VIPPS_SUBSCRIPTION_KEY"
        ]
    );
    // With only those variables, the CLI reaches it as the demo merchant.
    let dir = tempfile::tempdir().expect("dir");
    let mut token = std::process::Command::new(assert_cmd::cargo::cargo_bin("vipps-om"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("VIPPS_") {
            token.env_remove(name);
        }
    }
    let output = token
        .args(["token", "--json"])
        .envs(&vars)
        .env("VIPPS_OM_CONFIG", dir.path().join("none.toml"))
        .output()
        .expect("runs");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(doc["merchantSerialNumber"], "123456");
}
