//! `vipps-om token`: metadata always, the token itself only on request.

use predicates::prelude::*;

use crate::support::{Env, MSN, keys, stderr, stdout, stdout_json};

/// What a simulator token looks like: a JWT (base64url header and payload,
/// both JSON objects so starting `eyJ`, and a 43-character HS256 signature).
pub(crate) const TOKEN_PATTERN: &str = r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}";

#[tokio::test(flavor = "multi_thread")]
async fn token_shows_merchant_and_expiry_but_hides_the_token() {
    let env = Env::start().await;
    let assert = env.cmd().arg("token").run().await.success();
    let out = stdout(&assert);
    assert!(out.starts_with("Access token fetched\n"), "{out}");
    for line in [
        format!("Merchant-Serial-Number  {MSN}\n"),
        format!("Base URL                {}", env.url()),
        "Expires                 ".to_owned(),
        "(in 59 min)".to_owned(),
        "Lifetime                3600 s\n".to_owned(),
        "Token                   (hidden; add --show-secret to print it)\n".to_owned(),
    ] {
        assert!(out.contains(&line), "{line:?} missing in:\n{out}");
    }
    let token = predicate::str::is_match(TOKEN_PATTERN).expect("regex");
    assert!(!token.eval(&out), "{out}");
    assert!(!token.eval(&stderr(&assert)));
    assert_eq!(env.sim.counters().tokens_issued.get(MSN), Some(&1));

    let assert = env.cmd().args(["token", "--json"]).run().await.success();
    let doc = stdout_json(&assert);
    assert_eq!(
        keys(&doc),
        [
            "accessToken",
            "baseUrl",
            "expiresAt",
            "expiresInSeconds",
            "lifetimeSeconds",
            "merchantSerialNumber",
            "partnerKeys"
        ]
    );
    assert!(doc["accessToken"].is_null());
    assert_eq!(doc["merchantSerialNumber"], MSN);
    assert_eq!(doc["lifetimeSeconds"], 3600);
}

#[tokio::test(flavor = "multi_thread")]
async fn token_with_show_secret_prints_the_token() {
    let env = Env::start().await;
    let assert = env
        .cmd()
        .args(["token", "--show-secret"])
        .run()
        .await
        .success();
    let out = stdout(&assert);
    let line = out
        .lines()
        .find(|l| l.starts_with("Token "))
        .expect("a token line");
    let shown = line.trim_start_matches("Token").trim();
    assert!(
        predicate::str::is_match(format!("^{TOKEN_PATTERN}$"))
            .expect("regex")
            .eval(shown),
        "{line}"
    );

    let assert = env
        .cmd()
        .args(["token", "--show-secret", "--json"])
        .run()
        .await
        .success();
    let doc = stdout_json(&assert);
    assert!(
        doc["accessToken"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3 && t != shown),
        "a new token each run: {doc}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn token_with_a_wrong_secret_exits_4_and_says_what_to_check() {
    let env = Env::start().await;
    let assert = env
        .cmd()
        .env("VIPPS_CLIENT_SECRET", "not-the-secret")
        .arg("token")
        .run()
        .await
        .code(4);
    let err = stderr(&assert);
    assert!(
        err.contains("the client id or client secret was not accepted"),
        "{err}"
    );
    assert!(err.contains("portal.vipps.no"), "{err}");
    assert!(!err.contains("not-the-secret"), "{err}");
}
