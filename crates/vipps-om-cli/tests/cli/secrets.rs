//! The most verbose logging never shows a secret or an access token.

use predicates::prelude::*;
use serde_json::json;

use crate::support::{CLIENT_SECRET, Env, MSN, SUBSCRIPTION_KEY, receipt, small_receipt, stdout};
use crate::token::TOKEN_PATTERN;

const WRONG_SECRET: &str = "wrong-secret-4f7c1d";

#[tokio::test(flavor = "multi_thread")]
async fn verbose_runs_never_print_secrets_or_tokens() {
    let env = Env::start().await;
    let receipt_file = env.write("receipt.json", receipt().to_string());
    let bulk_file = env.write(
        "bulk.jsonl",
        format!(
            "{}\n",
            json!({"orderId": "bulk-1", "receipt": small_receipt(1)})
        ),
    );
    let receipt_path = receipt_file.display().to_string();
    let bulk_path = bulk_file.display().to_string();

    // (arguments, exit code, a wrong secret instead of the right one)
    let runs: Vec<(Vec<&str>, i32, bool)> = vec![
        (vec!["token"], 0, false),
        (
            vec!["receipt", "add", "order-s", "--file", &receipt_path],
            0,
            false,
        ),
        (vec!["order", "get", "order-s"], 0, false),
        (vec!["order", "get", "order-s", "--json"], 0, false),
        (vec!["receipt", "add", "--bulk", &bulk_path], 0, false),
        (vec!["doctor"], 0, false),
        (vec!["order", "get", "order-s"], 4, true),
        (vec!["doctor"], 4, true),
    ];
    let token = predicate::str::is_match(TOKEN_PATTERN).expect("regex");
    let mut logged = 0;
    for (args, code, wrong) in &runs {
        let mut cli = env.cmd().arg("-vv").args(args).env("RUST_LOG", "trace");
        if *wrong {
            cli = cli.env("VIPPS_CLIENT_SECRET", WRONG_SECRET);
        }
        let assert = cli.run().await.code(*code);
        let output = assert.get_output();
        for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            for secret in [CLIENT_SECRET, SUBSCRIPTION_KEY, WRONG_SECRET] {
                assert!(
                    !text.contains(secret),
                    "{secret} in the {stream} of {args:?}:\n{text}"
                );
            }
            assert!(
                !token.eval(&text),
                "an access token in the {stream} of {args:?}:\n{text}"
            );
        }
        logged += output.stderr.len();
    }
    // The runs did log (at trace level), and did get tokens.
    assert!(logged > 10_000, "only {logged} bytes of logs");
    let issued = env.sim.counters().tokens_issued.get(MSN).copied();
    assert_eq!(issued, Some(6), "one token per successful run");

    // The one place a token may appear: stdout of --show-secret. Even
    // then the log on stderr does not show it.
    let assert = env
        .cmd()
        .args(["-vv", "token", "--show-secret"])
        .env("RUST_LOG", "trace")
        .run()
        .await
        .success();
    let out = stdout(&assert);
    let shown = out
        .lines()
        .find_map(|l| l.strip_prefix("Token"))
        .map(str::trim)
        .expect("the token is shown");
    assert!(token.eval(shown), "{shown}");
    let err = String::from_utf8_lossy(&assert.get_output().stderr);
    assert!(err.contains("TRACE"), "trace logging is on");
    assert!(
        !err.contains(shown),
        "the shown token is in the log:\n{err}"
    );
}
