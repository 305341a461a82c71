//! `vipps-om completions` and the documented exit codes in `--help`.

use std::process::Stdio;

use crate::support::{Env, stdout};

#[tokio::test(flavor = "multi_thread")]
async fn completions_bash_prints_a_script_for_vipps_om() {
    let env = Env::start().await;
    let assert = env
        .bare()
        .args(["completions", "bash"])
        .run()
        .await
        .success();
    let script = stdout(&assert);
    assert!(script.len() > 1000, "{script}");
    assert!(script.contains("vipps-om"), "{script}");
    assert!(script.contains("complete -F"), "{script}");
    for subcommand in ["receipt", "category", "doctor"] {
        assert!(script.contains(subcommand), "{subcommand}");
    }
}

/// `vipps-om completions bash | head` must not end in a panic.
#[tokio::test(flavor = "multi_thread")]
async fn completions_into_a_closed_pipe_end_without_a_panic() {
    let env = Env::start().await;
    let mut cmd = env.bare().args(["completions", "bash"]).into_std();
    let output = tokio::task::spawn_blocking(move || {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        cmd.stdout(writer).stderr(Stdio::piped()).output()
    })
    .await
    .expect("joined")
    .expect("runs");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(output.status.code(), Some(101), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn help_documents_the_exit_codes() {
    let env = Env::start().await;
    let assert = env.bare().arg("--help").run().await.success();
    // Compared with the line breaks taken out, whatever the width.
    let help = stdout(&assert)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for code in [
        "Exit codes: 0 ok",
        "1 the API refused the request",
        "2 usage, configuration or local validation",
        "3 network/timeout/rate limit/5xx after retries",
        "4 authentication or access (401/403)",
    ] {
        assert!(help.contains(code), "{code:?} missing in:\n{help}");
    }
}
