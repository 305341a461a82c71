//! The app's rules, checked before go-live: `category check URL` against
//! web servers started here (a good page, a redirect to a sign-in page,
//! 401, a slow page, plain http), the `doctor` check of a profile's sample
//! link, and `image check FILE`.

use std::time::Duration;

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{Env, keys, stderr_json, stdout, stdout_json};

const ORDER_PAGE: &str =
    "<!doctype html><title>Order 1001</title><h1>Order 1001</h1><p>2 items</p>";
const SIGN_IN_PAGE: &str = "<!doctype html><form method=post><input name=email type=email>\
     <input name=pw type=\"password\"><button>Logg inn</button></form>";

/// A shop: `/orders/1001` is an order page, `/private/1001` redirects to a
/// sign-in page, `/denied` answers 401, `/slow` answers after 800 ms,
/// `/loop` redirects to itself.
async fn shop() -> MockServer {
    let server = MockServer::start().await;
    let html = |body: &str| ResponseTemplate::new(200).set_body_raw(body.as_bytes(), "text/html");
    Mock::given(method("GET"))
        .and(path("/orders/1001"))
        .respond_with(html(ORDER_PAGE))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/private/1001"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", "/account/logg-inn?next=%2Fprivate%2F1001"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/account/logg-inn"))
        .respond_with(html(SIGN_IN_PAGE))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/denied"))
        .respond_with(ResponseTemplate::new(401).set_body_string("sign in first"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/slow"))
        .respond_with(html(ORDER_PAGE).set_delay(Duration::from_millis(800)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/loop"))
        .respond_with(ResponseTemplate::new(301).insert_header("location", "/loop"))
        .mount(&server)
        .await;
    server
}

/// `(name, verdict)` of each check in a `--json` document.
fn verdicts(doc: &Value) -> Vec<(String, String)> {
    doc["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            assert_eq!(keys(c), ["detail", "name", "verdict"]);
            (
                c["name"].as_str().expect("name").to_owned(),
                c["verdict"].as_str().expect("verdict").to_owned(),
            )
        })
        .collect()
}

fn verdict_of<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {doc}"))
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_that_opens_without_signing_in_passes_and_is_fetched_like_a_phone_without_cookies() {
    let server = shop().await;
    let env = Env::start().await;
    let url = format!("{}/orders/1001", server.uri());
    let assert = env
        .bare()
        .args(["category", "check", &url, "--allow-http", "--json"])
        .run()
        .await
        .success();
    let doc = stdout_json(&assert);
    assert_eq!(
        keys(&doc),
        [
            "checks",
            "finalUrl",
            "firstByteMs",
            "hops",
            "ok",
            "status",
            "url"
        ]
    );
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["status"], 200);
    assert_eq!(doc["finalUrl"], url.as_str());
    assert_eq!(doc["hops"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        verdicts(&doc),
        pairs(&[
            ("https", "warn"),
            ("reachable", "pass"),
            ("redirects", "pass"),
            ("status", "pass"),
            ("sign-in", "pass"),
            ("speed", "pass"),
        ])
    );

    let requests = server.received_requests().await.expect("recorded");
    let request = requests.first().expect("one request");
    let agent = request
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        agent.contains("iPhone") && agent.contains("Safari"),
        "{agent}"
    );
    assert!(request.headers.get("cookie").is_none());

    // As text: the hop, then one line per check.
    let assert = env
        .bare()
        .args(["category", "check", &url, "--allow-http"])
        .run()
        .await
        .success();
    let out = stdout(&assert);
    assert!(
        out.starts_with(&format!("Link {url}\n  200 {url} (")),
        "{out}"
    );
    assert!(
        out.contains("✓ pass  sign-in                    no sign-in page or password field\n"),
        "{out}"
    );
    assert!(out.contains("! warn  https "), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_that_redirects_to_a_sign_in_page_fails_and_shows_each_hop() {
    let server = shop().await;
    let env = Env::start().await;
    let url = format!("{}/private/1001", server.uri());
    let assert = env
        .bare()
        .args(["category", "check", &url, "--allow-http", "--json"])
        .run()
        .await
        .code(1);
    let doc = stdout_json(&assert);
    assert_eq!(doc["ok"], false);
    let final_url = format!("{}/account/logg-inn?next=%2Fprivate%2F1001", server.uri());
    assert_eq!(doc["finalUrl"], final_url.as_str());
    let hops = doc["hops"].as_array().expect("hops");
    assert_eq!(hops.len(), 2);
    assert_eq!(hops[0]["status"], 302);
    assert_eq!(hops[0]["location"], final_url.as_str());
    assert_eq!(hops[1]["status"], 200);
    let sign_in = verdict_of(&doc, "sign-in");
    assert_eq!(sign_in["verdict"], "fail");
    let detail = sign_in["detail"].as_str().expect("detail");
    assert!(detail.contains("leads to a sign-in page"), "{detail}");
    assert!(detail.contains("without signing in"), "{detail}");
    assert_eq!(verdict_of(&doc, "redirects")["verdict"], "pass");
    assert_eq!(stderr_json(&assert)["error"]["exitCode"], 1);

    let assert = env
        .bare()
        .args(["category", "check", &url, "--allow-http"])
        .run()
        .await
        .code(1);
    let out = stdout(&assert);
    assert!(
        out.contains(&format!("  302 {url} → {final_url} (")),
        "{out}"
    );
    assert!(out.contains("✗ fail  sign-in "), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_with_a_password_field_fails_even_without_a_redirect() {
    let server = shop().await;
    let env = Env::start().await;
    let url = format!("{}/account/logg-inn", server.uri());
    let assert = env
        .bare()
        .args(["category", "check", &url, "--allow-http", "--json"])
        .run()
        .await
        .code(1);
    let doc = stdout_json(&assert);
    let sign_in = verdict_of(&doc, "sign-in");
    assert_eq!(sign_in["verdict"], "fail");
    assert!(
        sign_in["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("asks for a password"),
        "{sign_in}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_401_fails_the_status_check_saying_the_phone_is_not_signed_in() {
    let server = shop().await;
    let env = Env::start().await;
    let url = format!("{}/denied", server.uri());
    let assert = env
        .bare()
        .args(["category", "check", &url, "--allow-http", "--json"])
        .run()
        .await
        .code(1);
    let doc = stdout_json(&assert);
    assert_eq!(doc["status"], 401);
    let status = verdict_of(&doc, "status");
    assert_eq!(status["verdict"], "fail");
    let detail = status["detail"].as_str().expect("detail");
    assert!(detail.starts_with("401 Unauthorized: "), "{detail}");
    assert!(detail.contains("not signed in"), "{detail}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_page_warns_with_the_threshold_and_still_exits_0() {
    let server = shop().await;
    let env = Env::start().await;
    let url = format!("{}/slow", server.uri());
    let assert = env
        .bare()
        .args([
            "category",
            "check",
            &url,
            "--allow-http",
            "--slow-after-ms",
            "100",
            "--json",
        ])
        .run()
        .await
        .success();
    let doc = stdout_json(&assert);
    assert_eq!(doc["ok"], true);
    assert!(
        doc["firstByteMs"].as_u64().unwrap_or_default() >= 700,
        "{doc}"
    );
    let speed = verdict_of(&doc, "speed");
    assert_eq!(speed["verdict"], "warn");
    assert!(
        speed["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("(more than 100 ms)"),
        "{speed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_http_link_fails_unless_allowed() {
    let server = shop().await;
    let env = Env::start().await;
    let url = format!("{}/orders/1001", server.uri());
    let assert = env
        .bare()
        .args(["category", "check", &url, "--json"])
        .run()
        .await
        .code(1);
    let doc = stdout_json(&assert);
    assert_eq!(doc["ok"], false);
    let https = verdict_of(&doc, "https");
    assert_eq!(https["verdict"], "fail");
    let detail = https["detail"].as_str().expect("detail");
    assert!(detail.contains(&format!("{url} not https")), "{detail}");
    assert!(detail.contains("give the https link"), "{detail}");
    // Everything else about the page is fine.
    assert_eq!(verdict_of(&doc, "status")["verdict"], "pass");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_loop_stops_after_the_limit() {
    let server = shop().await;
    let env = Env::start().await;
    let url = format!("{}/loop", server.uri());
    let assert = env
        .bare()
        .args(["category", "check", &url, "--allow-http", "--json"])
        .run()
        .await
        .code(1);
    let doc = stdout_json(&assert);
    let redirects = verdict_of(&doc, "redirects");
    assert_eq!(redirects["verdict"], "fail");
    assert!(
        redirects["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("more than 10 redirects"),
        "{redirects}"
    );
    assert_eq!(doc["hops"].as_array().map(Vec::len), Some(11));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_nobody_answers_exits_3_and_a_relative_link_is_a_usage_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let env = Env::start().await;
    let url = format!("http://127.0.0.1:{port}/orders/1");
    let assert = env
        .bare()
        .args(["category", "check", &url, "--allow-http", "--json"])
        .run()
        .await
        .code(3);
    let doc = stdout_json(&assert);
    assert_eq!(doc["status"], Value::Null);
    assert_eq!(verdict_of(&doc, "reachable")["verdict"], "fail");
    assert_eq!(verdict_of(&doc, "status")["verdict"], "skip");

    let assert = env
        .bare()
        .args(["category", "check", "/orders/1", "--json"])
        .run()
        .await
        .code(2);
    let error = stderr_json(&assert);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("is not an absolute URL"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_checks_the_profiles_sample_category_link() {
    let server = shop().await;
    let env = Env::start().await;
    std::fs::write(
        env.config_path(),
        format!(
            "default_profile = \"shop\"\n[profiles.shop]\nsample_category_url = \"{}/denied\"\n",
            server.uri()
        ),
    )
    .expect("config written");
    let assert = env.cmd().args(["doctor", "--json"]).run().await.code(1);
    let doc = stdout_json(&assert);
    assert_eq!(doc["ok"], false);
    let link = verdict_of(&doc, "category link");
    assert_eq!(link["verdict"], "fail");
    let detail = link["detail"].as_str().expect("detail");
    assert!(detail.contains("status: 401 Unauthorized"), "{detail}");
    assert!(detail.contains("https: "), "{detail}");
    assert!(detail.contains("vipps-om category check "), "{detail}");
    // The API checks still pass.
    assert_eq!(verdict_of(&doc, "access token")["verdict"], "pass");

    // The environment variable wins over the profile.
    let assert = env
        .cmd()
        .args(["doctor", "--json"])
        .env(
            "VIPPS_OM_SAMPLE_CATEGORY_URL",
            format!("{}/orders/1001", server.uri()),
        )
        .run()
        .await
        .code(1);
    let doc = stdout_json(&assert);
    let detail = verdict_of(&doc, "category link")["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!detail.contains("401"), "{detail}");
    assert!(detail.contains("/orders/1001 not https"), "{detail}");
}

// ------------------------------------------------------------ image check

async fn image_check(env: &Env, name: &str, bytes: Vec<u8>) -> (Vec<(String, String)>, Value, i32) {
    let file = env.write(name, bytes);
    let assert = env
        .bare()
        .args(["image", "check", "--json"])
        .arg(&file)
        .run()
        .await;
    let code = assert.get_output().status.code().unwrap_or(-1);
    let doc = stdout_json(&assert);
    (verdicts(&doc), doc, code)
}

#[tokio::test(flavor = "multi_thread")]
async fn image_check_passes_a_square_png_and_warns_about_another_shape() {
    let env = Env::start().await;
    let (list, doc, code) = image_check(&env, "logo.png", crate::support::png(300, 300)).await;
    assert_eq!(code, 0, "{doc}");
    assert_eq!(
        keys(&doc),
        [
            "bytes", "checks", "file", "format", "height", "problems", "valid", "width"
        ]
    );
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["format"], "image/png");
    assert_eq!(
        (doc["width"].clone(), doc["height"].clone()),
        (300.into(), 300.into())
    );
    assert_eq!(
        list,
        pairs(&[
            ("format", "pass"),
            ("size", "pass"),
            ("height", "pass"),
            ("square", "pass")
        ])
    );

    let (list, doc, code) = image_check(&env, "wide.png", crate::support::png(400, 200)).await;
    assert_eq!(code, 0, "{doc}");
    assert_eq!(list.last(), Some(&("square".to_owned(), "warn".to_owned())));
    let detail = verdict_of(&doc, "square")["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(detail.contains("crop it to 200×200 px"), "{detail}");
}

#[tokio::test(flavor = "multi_thread")]
async fn image_check_fails_a_png_under_167_px_high_with_exit_2() {
    let env = Env::start().await;
    let (list, doc, code) = image_check(&env, "small.png", crate::support::png(166, 166)).await;
    assert_eq!(code, 2, "{doc}");
    assert_eq!(doc["valid"], false);
    assert_eq!(list[2], ("height".to_owned(), "fail".to_owned()));
    let detail = verdict_of(&doc, "height")["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        detail.contains("166 px high; the API needs at least 167 px"),
        "{detail}"
    );
    // The library's own finding is listed too.
    assert_eq!(doc["problems"][0]["severity"], "error");

    let file = env.write("small-text.png", crate::support::png(166, 166));
    let assert = env.bare().args(["image", "check"]).arg(&file).run().await;
    assert!(assert.get_output().status.code() == Some(2));
    let out = stdout(&assert);
    assert!(out.contains("✗ fail  height "), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn image_check_of_a_text_file_fails_the_format_and_skips_the_rest() {
    let env = Env::start().await;
    let (list, doc, code) = image_check(&env, "logo.png", b"not a picture at all".to_vec()).await;
    assert_eq!(code, 2, "{doc}");
    assert_eq!(
        list,
        pairs(&[
            ("format", "fail"),
            ("size", "pass"),
            ("height", "skip"),
            ("square", "skip")
        ])
    );
    assert_eq!(doc["format"], Value::Null);
    let detail = verdict_of(&doc, "format")["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(detail.contains("convert it"), "{detail}");
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_with_an_unreadable_config_file_says_so_once_and_skips_the_link() {
    let env = Env::start().await;
    std::fs::write(
        env.config_path(),
        "[profiles.shop\nsample_category_url = 1\n",
    )
    .expect("config written");
    let assert = env.cmd().args(["doctor", "--json"]).run().await.code(2);
    let doc = stdout_json(&assert);
    assert_eq!(verdict_of(&doc, "configuration")["verdict"], "fail");
    let link = verdict_of(&doc, "category link");
    assert_eq!(link["verdict"], "skip");
    assert!(
        !link["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("not valid"),
        "{link}"
    );
}
