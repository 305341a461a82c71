//! The console under abuse, through its router (tower `oneshot`, each
//! request from a given client address): bounded input and a paged audit
//! log, a sign-in limiter that strangers cannot turn against staff (also
//! behind a trusted proxy), no unknown names in the audit log, a bounded
//! number of password checks, and image uploads that say what is wrong
//! and do not block each other.

use std::time::Duration;

use axum::http::StatusCode;
use vipps_om_console::demo::demo_png;
use vipps_om_console::store::NewAudit;
use vipps_om_console::{ConsoleConfig, LoginPolicy, PasswordHasherConfig, UNKNOWN_NAME};

mod common;
use common::*;

const STAFF: &str = "198.51.100.7";
const ATTACKER: &str = "203.0.113.66";
const PROXY: &str = "10.0.0.1";

async fn audit_rows(env: &Env) -> usize {
    env.console
        .store()
        .audit_log(None, 100_000)
        .await
        .unwrap()
        .len()
}

// ------------------------------------------------------------ item 1

#[tokio::test]
async fn over_long_fields_get_a_clear_page_and_leave_no_trace() {
    let env = env().await;
    let before = audit_rows(&env).await;
    let huge = "a".repeat(1_000_000);
    let reply = try_login_via(&env.router, &huge, "whatever password", ATTACKER, None).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "a 1 MB form");
    assert!(
        reply.body.contains("The form is too large: at most 64 KB."),
        "{}",
        reply.body
    );
    let long_name = "a".repeat(65);
    let reply = try_login_via(&env.router, &long_name, "whatever pass", ATTACKER, None).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply
            .body
            .contains("User name (username): too long: at most 64 characters."),
        "{}",
        reply.body
    );
    let reply = try_login_via(&env.router, "ed", &"p".repeat(1025), ATTACKER, None).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply
            .body
            .contains("Password (password): too long: at most 1024 characters."),
        "{}",
        reply.body
    );
    assert!(!reply.body.contains(&"p".repeat(100)), "not echoed");
    // Nothing was hashed, counted or logged for them.
    assert_eq!(audit_rows(&env).await, before);
    let size = env.console.sign_in_limiter_size();
    assert_eq!((size.pairs, size.addresses, size.names), (0, 0, 0));

    // The editors' forms and the URLs are bounded too.
    let (cookie, csrf) = login(&env.router, "ed", EDITOR_PW).await;
    let long_url = format!("https://shop.example/{}", "x".repeat(2100));
    let reply = send(
        &env.router,
        post_form(
            "/category/review",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("order_id", "order-failed"),
                ("payment_type", "ecom"),
                ("category", "RECEIPT"),
                ("url", &long_url),
            ],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body.contains("too long: at most 2048 characters"),
        "{}",
        reply.body
    );
    let reply = send(
        &env.router,
        get(
            &format!("/order?payment_type=ecom&order_id={}", "o".repeat(129)),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        reply.body.contains("too long: at most 128 characters"),
        "{}",
        reply.body
    );
    let reply = send(
        &env.router,
        get(&format!("/audit?x={}", "y".repeat(9000)), Some(&cookie)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::URI_TOO_LONG);
    assert!(
        reply
            .body
            .contains("The address (URL) is too long: at most 8192 bytes."),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn the_audit_page_shows_bounded_pages_with_links() {
    let env = env().await;
    let store = env.console.store();
    // Rows as an older console may have written them: a huge name.
    let old_name = "n".repeat(20_000);
    for i in 0..130 {
        store
            .audit(&NewAudit {
                username: if i == 0 { &old_name } else { "ed" },
                action: "order.view",
                order_id: Some("order-paged"),
                payment_type: Some("ECOM"),
                detail: &format!("row {i}"),
                outcome: "ok",
            })
            .await
            .unwrap();
    }
    let (cookie, _) = login(&env.router, "vi", VIEWER_PW).await;
    let rows = |body: &str| body.matches("<td class=\"outcome-").count();
    let link = |body: &str, id: &str| {
        let marker = format!("id=\"{id}\" rel=\"");
        let start = body.find(&marker)?;
        let href = body[start..].find("href=\"")? + start + 6;
        let end = body[href..].find('"')? + href;
        Some(body[href..end].replace("&amp;", "&"))
    };
    let mut page = send(
        &env.router,
        get("/audit?order_id=order-paged", Some(&cookie)),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(rows(&page.body), 50);
    assert!(page.body.contains(">row 129<"), "newest first");
    assert!(link(&page.body, "newer").is_none(), "no newer page");
    let mut seen = 50;
    let mut pages = 1;
    while let Some(older) = link(&page.body, "older") {
        page = send(&env.router, get(&older, Some(&cookie))).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(rows(&page.body) <= 50);
        assert!(link(&page.body, "newer").is_some(), "{older}: a way back");
        seen += rows(&page.body);
        pages += 1;
        assert!(pages < 10);
    }
    assert_eq!((seen, pages), (130, 3));
    assert!(page.body.contains(">row 0<"), "the oldest row is last");
    assert!(
        !page.body.contains(&"n".repeat(501)),
        "long texts are cut to 500 characters"
    );
    // Back to newer: the middle page again.
    let newer = link(&page.body, "newer").unwrap();
    let middle = send(&env.router, get(&newer, Some(&cookie))).await;
    assert_eq!(rows(&middle.body), 50);
    assert!(middle.body.contains(">row 79<") && middle.body.contains(">row 30<"));
    let bad = send(&env.router, get("/audit?before=abc", Some(&cookie))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("not a row number"), "{}", bad.body);
}

// ------------------------------------------------------------ item 2

#[tokio::test]
async fn a_stranger_cannot_lock_out_staff() {
    let env = env_with(LoginPolicy {
        slowdown_after: 10,
        slowdown_step: Duration::from_millis(20),
        max_slowdown: Duration::from_millis(100),
        ..LoginPolicy::default()
    })
    .await;
    // One address guesses ed's password: refused from there after 5.
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            try_login_via(&env.router, "ed", "guess guess guess", ATTACKER, None)
                .await
                .status,
        );
    }
    assert_eq!(&statuses[..5], &[StatusCode::UNAUTHORIZED; 5]);
    assert_eq!(&statuses[5..], &[StatusCode::TOO_MANY_REQUESTS; 3]);
    let locked = try_login_via(&env.router, "ed", EDITOR_PW, ATTACKER, None).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers.contains_key("retry-after"));
    // Many addresses guess it (the name slows down, it never locks).
    for i in 1..=12 {
        try_login_via(&env.router, "ed", "guess", &format!("203.0.113.{i}"), None).await;
    }
    // The owner, elsewhere, signs in.
    let owner = try_login_via(&env.router, "ed", EDITOR_PW, STAFF, None).await;
    assert_eq!(owner.status, StatusCode::SEE_OTHER, "{}", owner.body);
    assert!(owner.cookie("vipps_om_console").is_some());

    // One address trying many names is refused after 30 failures; others
    // are not.
    for i in 0..30 {
        try_login_via(&env.router, &format!("user{i}"), "guess", "192.0.2.1", None).await;
    }
    let flood = try_login_via(&env.router, "vi", VIEWER_PW, "192.0.2.1", None).await;
    assert_eq!(flood.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(flood.body.contains("from this address"), "{}", flood.body);
    let other = try_login_via(&env.router, "vi", VIEWER_PW, "192.0.2.2", None).await;
    assert_eq!(other.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn successful_sign_ins_are_not_counted() {
    let env = env_with(LoginPolicy {
        max_failures: 2,
        max_per_address: 3,
        ..LoginPolicy::default()
    })
    .await;
    for _ in 0..10 {
        let ok = try_login_via(&env.router, "ed", EDITOR_PW, STAFF, None).await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
    }
    // A typo, then the right password: it works and clears the typo, so
    // a second typo later does not lock the name here (limit: 2).
    let typo = try_login_via(&env.router, "ed", "typo typo typo", STAFF, None).await;
    assert_eq!(typo.status, StatusCode::UNAUTHORIZED);
    let ok = try_login_via(&env.router, "ed", EDITOR_PW, STAFF, None).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let typo = try_login_via(&env.router, "ed", "typo typo typo", STAFF, None).await;
    assert_eq!(typo.status, StatusCode::UNAUTHORIZED);
    let ok = try_login_via(&env.router, "ed", EDITOR_PW, STAFF, None).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_counts_alone() {
    let env = env_configured(
        ConsoleConfig {
            trusted_proxies: vec![PROXY.parse().unwrap()],
            ..ConsoleConfig::default()
        },
        PasswordHasherConfig::insecure_for_tests().unwrap(),
    )
    .await;
    // Through the proxy, the attacker writes the staff's address into
    // X-Forwarded-For; the proxy appends the real one.
    let spoofed = format!("{STAFF}, {ATTACKER}");
    for _ in 0..5 {
        let r = try_login_via(&env.router, "ed", "guess", PROXY, Some(&spoofed)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = try_login_via(&env.router, "ed", "guess", PROXY, Some(&spoofed)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Straight to the console (not through the proxy), the header is not
    // believed: the failures count against the attacker's own address.
    for _ in 0..5 {
        try_login_via(&env.router, "ed", "guess", "203.0.113.77", Some(STAFF)).await;
    }
    let r = try_login_via(&env.router, "ed", EDITOR_PW, "203.0.113.77", Some(STAFF)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // The staff member, through the same proxy, signs in.
    let staff = try_login_via(&env.router, "ed", EDITOR_PW, PROXY, Some(STAFF)).await;
    assert_eq!(staff.status, StatusCode::SEE_OTHER, "{}", staff.body);
    // The audit log names the real client.
    let log = env.console.store().audit_log(None, 100).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.detail == format!("wrong password from {ATTACKER}")),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|e| e.outcome == "ok" && e.detail.ends_with(&format!("from {STAFF}")))
    );
}

#[tokio::test]
async fn limiter_memory_is_bounded() {
    let env = env_with(LoginPolicy {
        max_entries: 16,
        ..LoginPolicy::default()
    })
    .await;
    for i in 0..60 {
        try_login_via(
            &env.router,
            &format!("made-up-{i}"),
            "guess",
            &format!("203.0.{}.{}", i / 200, i % 200 + 1),
            None,
        )
        .await;
    }
    let size = env.console.sign_in_limiter_size();
    assert!(
        size.pairs <= 16 && size.addresses <= 16 && size.names <= 16,
        "{size:?}"
    );
    assert!(size.pairs > 0);
    let ok = try_login_via(&env.router, "ed", EDITOR_PW, STAFF, None).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn too_many_password_checks_at_once_get_503_with_retry_after() {
    // Real argon2id parameters (19 MiB), so that a check takes a while.
    let env = env_configured(
        ConsoleConfig {
            login_policy: LoginPolicy {
                max_concurrent_hashes: 1,
                max_waiting_hashes: 0,
                slowdown_after: 1000,
                ..LoginPolicy::default()
            },
            ..ConsoleConfig::default()
        },
        PasswordHasherConfig::recommended().unwrap(),
    )
    .await;
    let mut busy = None;
    for round in 0..5 {
        let mut tasks = Vec::new();
        for i in 0..8 {
            let router = env.router.clone();
            tasks.push(tokio::spawn(async move {
                let peer = format!("203.0.113.{}", round * 10 + i + 1);
                try_login_via(&router, "ed", "wrong password", &peer, None).await
            }));
        }
        for task in tasks {
            let reply = task.await.unwrap();
            assert!(
                matches!(
                    reply.status,
                    StatusCode::UNAUTHORIZED | StatusCode::SERVICE_UNAVAILABLE
                ),
                "{}",
                reply.status
            );
            if reply.status == StatusCode::SERVICE_UNAVAILABLE {
                busy = Some(reply);
            }
        }
        if busy.is_some() {
            break;
        }
    }
    let busy = busy.expect("one of 8 sign-ins at once finds the only check busy");
    assert_eq!(
        busy.headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    assert!(
        busy.body.contains("busy checking other sign-ins"),
        "{}",
        busy.body
    );
    // Nothing stays taken.
    let ok = try_login_via(&env.router, "ed", EDITOR_PW, STAFF, None).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
}

// ------------------------------------------------------------ item 3

#[tokio::test]
async fn a_name_without_an_account_is_not_recorded() {
    let env = env().await;
    let typed = "my secret passphrase";
    let reply = try_login_via(&env.router, typed, "", ATTACKER, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let log = env.console.store().audit_log(None, 100).await.unwrap();
    let entry = log
        .iter()
        .find(|e| e.action == "login" && e.outcome == "refused")
        .expect("the attempt is logged");
    assert_eq!(entry.username, UNKNOWN_NAME);
    assert_eq!(
        entry.detail,
        format!("a user name that has no account (20 characters) from {ATTACKER}")
    );
    assert!(
        log.iter()
            .all(|e| !e.username.contains("secret") && !e.detail.contains("secret"))
    );
    let (cookie, _) = login(&env.router, "vi", VIEWER_PW).await;
    let page = send(&env.router, get("/audit", Some(&cookie))).await;
    assert!(page.body.contains("(unknown name)"));
    assert!(!page.body.contains("secret"));
    // A known name is kept: it is no secret.
    try_login_via(&env.router, "ed", "wrong password", ATTACKER, None).await;
    let log = env.console.store().audit_log(None, 1).await.unwrap();
    assert_eq!(log[0].username, "ed");
}

// ------------------------------------------------------------ item 4

#[tokio::test]
async fn an_image_over_2_mb_is_answered_too_large() {
    let env = env().await;
    let (cookie, csrf) = login(&env.router, "ed", EDITOR_PW).await;
    for size in [2 * 1024 * 1024 + 100_000, 9 * 1024 * 1024] {
        let mut file = demo_png(300, 300);
        file.resize(size, 0);
        let reply = send(
            &env.router,
            multipart(
                "/image/review",
                &cookie,
                &[("csrf", &csrf), ("order_id", "order-failed")],
                &file,
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{size}");
        assert!(
            reply.body.contains("Image file: too large: at most 2 MB"),
            "{size}: {}",
            reply.body
        );
        assert!(
            !reply.body.contains("did not come from"),
            "not a CSRF error"
        );
    }
    assert!(env.sim.state().images().is_empty());
}

async fn review(env: &Env, cookie: &str, csrf: &str, seed: u32) -> String {
    let reply = send(
        &env.router,
        multipart(
            "/image/review",
            cookie,
            &[
                ("csrf", csrf),
                ("order_id", "order-failed"),
                ("payment_type", "ecom"),
                ("image_id", &format!("img-{seed}")),
            ],
            &demo_png(300, 300 + seed),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let marker = "name=\"upload\" value=\"";
    let start = reply.body.find(marker).unwrap() + marker.len();
    reply.body[start..start + 64].to_owned()
}

async fn apply(env: &Env, cookie: &str, csrf: &str, upload: &str) -> Reply {
    send(
        &env.router,
        post_form(
            "/image/apply",
            Some(cookie),
            &[("csrf", csrf), ("upload", upload)],
        ),
    )
    .await
}

#[tokio::test]
async fn one_editors_pending_uploads_do_not_block_another() {
    let env = env().await;
    let (ed, ed_csrf) = login(&env.router, "ed", EDITOR_PW).await;
    let (ed2, ed2_csrf) = login(&env.router, "ed2", EDITOR2_PW).await;
    let mut ids = Vec::new();
    for seed in 0..40 {
        ids.push(review(&env, &ed, &ed_csrf, seed).await);
    }
    let other = review(&env, &ed2, &ed2_csrf, 100).await;
    let done = apply(&env, &ed2, &ed2_csrf, &other).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("The image is queued for upload."));
    // Not someone else's.
    let stolen = apply(&env, &ed2, &ed2_csrf, ids.last().unwrap()).await;
    assert_eq!(stolen.status, StatusCode::GONE);
    // The first editor's newest still waits; the oldest made room.
    let newest = apply(&env, &ed, &ed_csrf, ids.last().unwrap()).await;
    assert_eq!(newest.status, StatusCode::OK, "{}", newest.body);
    let oldest = apply(&env, &ed, &ed_csrf, &ids[0]).await;
    assert_eq!(oldest.status, StatusCode::GONE);
    assert!(oldest.body.contains("expired"), "{}", oldest.body);
}

#[tokio::test]
async fn pending_uploads_expire() {
    let env = env_configured(
        ConsoleConfig {
            upload_ttl: Duration::from_millis(300),
            ..ConsoleConfig::default()
        },
        PasswordHasherConfig::insecure_for_tests().unwrap(),
    )
    .await;
    let (ed, csrf) = login(&env.router, "ed", EDITOR_PW).await;
    let upload = review(&env, &ed, &csrf, 1).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let late = apply(&env, &ed, &csrf, &upload).await;
    assert_eq!(late.status, StatusCode::GONE);
    assert!(late.body.contains("expired"), "{}", late.body);
    assert!(env.sim.state().images().is_empty());
}

#[tokio::test]
async fn a_made_up_sign_in_token_pair_is_refused() {
    let env = env().await;
    let issued = login_token(&env.router).await.1;
    let (payload, _) = issued.rsplit_once('.').unwrap();
    let forged_mac = format!("{payload}.{}", "0".repeat(64));
    for token in [
        "0".repeat(64),
        "abc.99999999999.deadbeef".into(),
        forged_mac,
    ] {
        let reply = send(
            &env.router,
            from_peer(
                post_form(
                    "/login",
                    Some(&format!("vipps_om_console_login={token}")),
                    &[
                        ("csrf", &token),
                        ("username", "ed"),
                        ("password", EDITOR_PW),
                    ],
                ),
                STAFF,
            ),
        )
        .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{token}");
        assert!(reply.cookie("vipps_om_console").is_none());
    }
    // The issued token works, but only with its own cookie.
    let (cookie, token) = login_token(&env.router).await;
    let (other_cookie, _) = login_token(&env.router).await;
    let fields = [
        ("csrf", token.as_str()),
        ("username", "ed"),
        ("password", EDITOR_PW),
    ];
    let mismatched = send(
        &env.router,
        post_form("/login", Some(&other_cookie), &fields),
    )
    .await;
    assert_eq!(mismatched.status, StatusCode::FORBIDDEN);
    let ok = send(&env.router, post_form("/login", Some(&cookie), &fields)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
}
