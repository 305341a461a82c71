//! Handler-level tests of the console's router (tower `oneshot`), against
//! the in-process simulator and a temporary SQLite outbox: authorization
//! of every route, CSRF, sign-in lockout, security headers, escaping of
//! hostile order content, and the audit log.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{Amount, Category, CategoryType, Currency, OrderId, PaymentType, TaxRate};
use vipps_om_console::demo::demo_png;
use vipps_om_console::{Console, ConsoleConfig, LoginPolicy, PasswordHasherConfig};
use vipps_om_outbox::{JobId, JobState, Outbox};

mod common;
use common::*;

const ORDER_Q: &str = "order_id=order-failed&payment_type=ecom";

fn editor_gets(job: i64) -> Vec<String> {
    vec![
        format!("/jobs/{job}/retry"),
        format!("/category?{ORDER_Q}"),
        format!("/image?{ORDER_Q}"),
    ]
}

fn editor_posts(job: i64) -> Vec<(String, Vec<(&'static str, &'static str)>)> {
    let category = vec![
        ("order_id", "order-failed"),
        ("payment_type", "ecom"),
        ("category", "RECEIPT"),
        ("url", "https://shop.example/o/1"),
        ("image_id", ""),
    ];
    vec![
        (format!("/jobs/{job}/retry"), vec![]),
        ("/category/review".into(), category.clone()),
        ("/category/apply".into(), category),
        ("/image/apply".into(), vec![("upload", "0")]),
    ]
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in_everywhere() {
    let env = env().await;
    let mut gets = vec![
        "/".to_owned(),
        format!("/order?{ORDER_Q}"),
        "/audit".to_owned(),
    ];
    gets.extend(editor_gets(env.failed_job));
    for path in gets {
        let reply = send(&env.router, get(&path, None)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "GET {path}");
        assert!(
            reply.location().starts_with("/login"),
            "GET {path}: {}",
            reply.location()
        );
    }
    let mut posts: Vec<String> = editor_posts(env.failed_job)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    posts.push("/logout".into());
    posts.push("/image/review".into());
    for path in posts {
        let reply = send(&env.router, post_form(&path, None, &[("csrf", "x")])).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "POST {path}");
        assert_eq!(reply.location(), "/login", "POST {path}");
    }
    // A deep link survives the sign-in.
    let reply = send(&env.router, get(&format!("/order?{ORDER_Q}"), None)).await;
    assert_eq!(
        reply.location(),
        "/login?next=%2Forder%3Forder_id%3Dorder-failed%26payment_type%3Decom"
    );
    let reply = send(&env.router, get("/login?next=//evil.example/x", None)).await;
    assert!(
        reply.body.contains("name=\"next\" value=\"/\""),
        "only local paths are kept: {}",
        reply.body
    );
}

#[tokio::test]
async fn viewers_see_but_every_editor_action_is_refused() {
    let env = env().await;
    let (cookie, csrf) = login(&env.router, "vi", VIEWER_PW).await;
    for path in [format!("/order?{ORDER_Q}"), "/audit".into(), "/".into()] {
        let reply = send(&env.router, get(&path, Some(&cookie))).await;
        assert_eq!(reply.status, StatusCode::OK, "GET {path}");
    }
    let order = send(
        &env.router,
        get(&format!("/order?{ORDER_Q}"), Some(&cookie)),
    )
    .await;
    assert!(
        order.body.contains("missing-logo"),
        "the failure reason is shown"
    );
    assert!(
        !order.body.contains("/retry\""),
        "no retry link for viewers"
    );
    for path in editor_gets(env.failed_job) {
        let reply = send(&env.router, get(&path, Some(&cookie))).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "GET {path}");
    }
    for (path, mut fields) in editor_posts(env.failed_job) {
        fields.push(("csrf", &csrf));
        let reply = send(&env.router, post_form(&path, Some(&cookie), &fields)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "POST {path}");
    }
    let reply = send(
        &env.router,
        multipart(
            "/image/review",
            &cookie,
            &[("csrf", &csrf)],
            &demo_png(300, 300),
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "POST /image/review");
    let job = env.outbox.job(JobId::new(env.failed_job)).await.unwrap();
    assert_eq!(job.state, JobState::Failed, "nothing changed");
    assert!(env.sim.state().images().is_empty());
}

#[tokio::test]
async fn editors_upload_the_missing_image_retry_and_set_the_link() {
    let env = env().await;
    let (cookie, csrf) = login(&env.router, "ed", EDITOR_PW).await;
    for path in editor_gets(env.failed_job) {
        let reply = send(&env.router, get(&path, Some(&cookie))).await;
        assert_eq!(reply.status, StatusCode::OK, "GET {path}");
    }
    let order = send(
        &env.router,
        get(&format!("/order?{ORDER_Q}"), Some(&cookie)),
    )
    .await;
    assert!(
        order
            .body
            .contains(&format!("/jobs/{}/retry", env.failed_job))
    );
    assert!(
        order.body.contains("imageId"),
        "the rejected field is named"
    );

    // An invalid image is refused before anything is sent.
    let reply = send(
        &env.router,
        multipart(
            "/image/review",
            &cookie,
            &[("csrf", &csrf), ("image_id", "missing-logo")],
            b"GIF89a not a png",
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reply.body.contains("not a PNG or JPEG"), "{}", reply.body);

    // A retry without the missing image is queued again, and fails again.
    let retried = send(
        &env.router,
        post_form(
            &format!("/jobs/{}/retry", env.failed_job),
            Some(&cookie),
            &[("csrf", &csrf)],
        ),
    )
    .await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    assert!(retried.body.contains("queued again"), "{}", retried.body);
    assert_eq!(
        env.outbox
            .job(JobId::new(env.failed_job))
            .await
            .unwrap()
            .state,
        JobState::Pending
    );
    assert_eq!(deliver_all(&env).await, 1);
    assert_eq!(
        env.outbox
            .job(JobId::new(env.failed_job))
            .await
            .unwrap()
            .state,
        JobState::Failed
    );

    // An image needs an order: its delivery goes in the order's sequence.
    let no_order = send(
        &env.router,
        multipart(
            "/image/review",
            &cookie,
            &[("csrf", &csrf), ("image_id", "missing-logo")],
            &demo_png(300, 300),
        ),
    )
    .await;
    assert_eq!(no_order.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        no_order.body.contains("<code>orderId</code>"),
        "{}",
        no_order.body
    );

    // Upload: review, then confirm: queued in the outbox, not sent.
    env.sim.state().clear_requests();
    let review = send(
        &env.router,
        multipart(
            "/image/review",
            &cookie,
            &[
                ("csrf", &csrf),
                ("order_id", "order-failed"),
                ("payment_type", "ecom"),
                ("image_id", "missing-logo"),
            ],
            &demo_png(300, 300),
        ),
    )
    .await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    let marker = "name=\"upload\" value=\"";
    let start = review.body.find(marker).unwrap() + marker.len();
    let upload = review.body[start..start + 64].to_owned();
    let done = send(
        &env.router,
        post_form(
            "/image/apply",
            Some(&cookie),
            &[("csrf", &csrf), ("upload", &upload)],
        ),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("queued for upload"), "{}", done.body);
    assert!(
        done.body
            .contains(&format!("href=\"/jobs/{}/retry\"", env.failed_job)),
        "the failed category that names the image is pointed out: {}",
        done.body
    );
    assert_eq!(
        sim_writes(&env),
        Vec::<String>::new(),
        "nothing sent by the console"
    );
    assert!(env.sim.state().images().is_empty());
    let jobs = jobs_of(&env, "order-failed").await;
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[1].kind, vipps_om_outbox::JobKind::Image);
    assert_eq!(jobs[1].blocked_by, Some(JobId::new(env.failed_job)));
    // The same upload cannot be confirmed twice.
    let again = send(
        &env.router,
        post_form(
            "/image/apply",
            Some(&cookie),
            &[("csrf", &csrf), ("upload", &upload)],
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::GONE);

    // Retry: the category is moved behind the image it names, and a
    // worker delivers both, the image first.
    let retried = send(
        &env.router,
        post_form(
            &format!("/jobs/{}/retry", env.failed_job),
            Some(&cookie),
            &[("csrf", &csrf)],
        ),
    )
    .await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.body);
    assert!(retried.body.contains("queued again"), "{}", retried.body);
    assert!(
        retried.body.contains("Moved behind the image"),
        "{}",
        retried.body
    );
    let jobs = jobs_of(&env, "order-failed").await;
    assert_eq!(
        jobs.iter().map(|j| (j.kind, j.state)).collect::<Vec<_>>(),
        [
            (vipps_om_outbox::JobKind::Image, JobState::Pending),
            (vipps_om_outbox::JobKind::CategoryV2, JobState::Pending)
        ]
    );
    let moved = jobs[1].id;
    assert!(
        env.outbox.job(JobId::new(env.failed_job)).await.is_err(),
        "moved, not copied"
    );
    assert_eq!(deliver_all(&env).await, 2);
    assert_eq!(env.sim.state().images().len(), 1);
    assert_eq!(
        env.outbox.job(moved).await.unwrap().state,
        JobState::Delivered
    );
    // A job that is not failed is not retried.
    let twice = send(
        &env.router,
        post_form(
            &format!("/jobs/{}/retry", moved.get()),
            Some(&cookie),
            &[("csrf", &csrf)],
        ),
    )
    .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);

    // Category link: review shows the preview, apply sets it.
    let fields = [
        ("csrf", csrf.as_str()),
        ("order_id", "order-failed"),
        ("payment_type", "ecom"),
        ("category", "RECEIPT"),
        ("url", "https://shop.example/o/new"),
        ("image_id", "missing-logo"),
    ];
    let review = send(
        &env.router,
        post_form("/category/review", Some(&cookie), &fields),
    )
    .await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert!(review.body.contains("https://shop.example/o/new"));
    let bad = send(
        &env.router,
        post_form(
            "/category/review",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("order_id", "order-failed"),
                ("payment_type", "ecom"),
                ("category", "RECEIPT"),
                ("url", "not a url"),
            ],
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    env.sim.state().clear_requests();
    let applied = send(
        &env.router,
        post_form("/category/apply", Some(&cookie), &fields),
    )
    .await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
    assert!(
        applied.body.contains("queued for delivery"),
        "{}",
        applied.body
    );
    assert_eq!(
        sim_writes(&env),
        Vec::<String>::new(),
        "nothing sent by the console"
    );
    assert_eq!(deliver_all(&env).await, 1);
    let client = env.sim.demo_client().unwrap();
    let order = client
        .orders()
        .get(&PaymentType::Ecom, &OrderId::new("order-failed").unwrap())
        .await
        .unwrap();
    assert_eq!(
        order.category.unwrap().order_details_url,
        "https://shop.example/o/new"
    );

    // Every sign-in and change is in the audit log, which the UI cannot
    // change; page views are not (off by default).
    let audit = send(&env.router, get("/audit", Some(&cookie))).await;
    assert!(
        !audit.body.contains("<code>order.view</code>"),
        "page views are off by default"
    );
    for action in ["login", "image.upload", "job.retry", "category.set"] {
        assert!(
            audit.body.contains(&format!("<code>{action}</code>")),
            "{action} in the audit log"
        );
    }
    let entries = env
        .console
        .store()
        .audit_log(Some("order-failed"), 100)
        .await
        .unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.action == "job.retry" && e.username == "ed" && e.outcome == "ok")
    );
    let vipps_om_console::Store::Sqlite(pool) = env.console.store() else {
        panic!("sqlite")
    };
    assert!(
        sqlx::query("UPDATE console_audit SET username = 'x'")
            .execute(pool)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM console_audit")
            .execute(pool)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn forged_posts_without_the_csrf_token_are_refused() {
    let env = env().await;
    let (cookie, csrf) = login(&env.router, "ed", EDITOR_PW).await;
    let path = format!("/jobs/{}/retry", env.failed_job);
    for fields in [
        vec![],
        vec![("csrf", "0".repeat(64))],
        vec![("csrf", csrf.chars().rev().collect::<String>())],
    ] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = send(&env.router, post_form(&path, Some(&cookie), &fields)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert!(
            reply.body.contains("could not be accepted"),
            "{}",
            reply.body
        );
    }
    // Multipart without the token.
    let reply = send(
        &env.router,
        multipart("/image/review", &cookie, &[], &demo_png(300, 300)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // Another session's token does not work either.
    let (_, other_csrf) = login(&env.router, "ed", EDITOR_PW).await;
    let reply = send(
        &env.router,
        post_form(&path, Some(&cookie), &[("csrf", &other_csrf)]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        env.outbox
            .job(JobId::new(env.failed_job))
            .await
            .unwrap()
            .state,
        JobState::Failed
    );
    // Sign-in without the per-browser token.
    let reply = send(
        &env.router,
        post_form(
            "/login",
            None,
            &[("username", "ed"), ("password", EDITOR_PW)],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // Sign-out is a POST with the token too.
    let reply = send(
        &env.router,
        post_form("/logout", Some(&cookie), &[("csrf", &csrf)]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let reply = send(&env.router, get("/audit", Some(&cookie))).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "the session ended");
}

#[tokio::test]
async fn sign_in_locks_a_name_from_one_address_after_repeated_failures() {
    // All these requests come from the same (unknown) address: the
    // name+address pair is locked; other addresses: tests/abuse.rs.
    let env = env_with(LoginPolicy {
        max_failures: 3,
        ..LoginPolicy::default()
    })
    .await;
    let wrong = try_login(&env.router, "ed", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("The user name or password is wrong."));
    assert!(wrong.cookie("vipps_om_console").is_none());
    let unknown = try_login(&env.router, "nobody", "not the password").await;
    assert_eq!(
        unknown.status,
        StatusCode::UNAUTHORIZED,
        "same answer for an unknown name"
    );
    try_login(&env.router, "ed", "not the password").await;
    let locked = try_login(&env.router, "ed", "not the password").await;
    assert!(
        locked.body.contains("Too many failed sign-ins"),
        "{}",
        locked.body
    );
    let right = try_login(&env.router, "ed", EDITOR_PW).await;
    assert_eq!(
        right.status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert!(right.cookie("vipps_om_console").is_none());
    // Other names are not affected.
    login(&env.router, "vi", VIEWER_PW).await;
    let log = env.console.store().audit_log(None, 100).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "login" && e.outcome == "refused" && e.detail.contains("locked"))
    );
}

#[tokio::test]
async fn security_headers_are_on_every_answer() {
    let env = env().await;
    let (cookie, _) = login(&env.router, "ed", EDITOR_PW).await;
    for (path, cookie) in [
        ("/login", None),
        ("/static/console.css", None),
        ("/nope", Some(cookie.as_str())),
        ("/audit", Some(cookie.as_str())),
    ] {
        let reply = send(&env.router, get(path, cookie)).await;
        let h = |name: &str| {
            reply
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let csp = h("content-security-policy");
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(h("x-frame-options"), "DENY", "{path}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(h("referrer-policy"), "no-referrer", "{path}");
    }
    let page = send(&env.router, get("/audit", Some(&cookie))).await;
    assert_eq!(page.headers.get("cache-control").unwrap(), "no-store");
    assert!(!page.body.contains("<script"), "no scripts at all");
    assert!(!page.body.contains("style=\""), "no inline styles");
    let login_page = send(&env.router, get("/login", None)).await;
    let set = login_page
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
}

#[tokio::test]
async fn secure_cookies_when_served_over_tls() {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display());
    let console = Console::new(
        Outbox::connect(&url).await.unwrap(),
        sim.demo_client().unwrap(),
        PasswordHasherConfig::insecure_for_tests().unwrap(),
        ConsoleConfig {
            secure_cookies: true,
            ..ConsoleConfig::default()
        },
    )
    .await
    .unwrap();
    let reply = send(&console.router(), get("/login", None)).await;
    let set = reply
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        set.starts_with("__Host-vipps_om_console_login=") && set.contains("; Secure"),
        "{set}"
    );
    assert!(reply.headers.get("strict-transport-security").is_some());
}

#[tokio::test]
async fn hostile_order_content_is_escaped() {
    let env = env().await;
    let client = env.sim.demo_client().unwrap();
    let order = OrderId::new("order-hostile").unwrap();
    let hostile_url = "javascript:alert(\"x\")//\"><img src=x onerror=alert(2)>";
    client
        .categories()
        .set(
            &PaymentType::Ecom,
            &order,
            &Category::new(CategoryType::General, hostile_url),
        )
        .await
        .unwrap();
    let receipt = ReceiptBuilder::new(Currency::Nok)
        .line(
            LineBuilder::new("id\"><b>x</b>", "<script>alert(1)</script>")
                .unit_price(Amount::minor(10_000))
                .tax_rate(TaxRate::from_percent(25))
                .product_url("javascript:alert(3)"),
        )
        .receipt_number("<img src=x onerror=alert(4)>")
        .build()
        .unwrap();
    client
        .receipts()
        .add(&PaymentType::Ecom, &order, &receipt)
        .await
        .unwrap();
    let (cookie, _) = login(&env.router, "vi", VIEWER_PW).await;
    let page = send(
        &env.router,
        get(
            "/order?order_id=order-hostile&payment_type=ecom",
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{body}"
    );
    assert!(!body.contains("<script"), "{body}");
    assert!(!body.contains("<img"), "{body}");
    assert!(!body.contains("<b>x"), "{body}");
    assert!(
        !body.to_lowercase().contains("href=\"javascript:"),
        "no javascript: link"
    );
    assert!(
        body.contains("javascript:alert(&quot;x&quot;)//&quot;&gt;&lt;img"),
        "shown as text: {body}"
    );
    assert!(body.contains("NOK\u{a0}100.00"), "amounts formatted");
    // The audit page escapes what users typed, too.
    let search = send(
        &env.router,
        get(
            "/order?order_id=%3Cscript%3Ex&payment_type=ecom",
            Some(&cookie),
        ),
    )
    .await;
    assert!(!search.body.contains("<script>x"));
}

#[tokio::test]
async fn language_follows_the_browser_and_the_switch() {
    let env = env().await;
    let nb = send(
        &env.router,
        Request::get("/login")
            .header(header::ACCEPT_LANGUAGE, "nb-NO,nb;q=0.9,en;q=0.5")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(nb.body.contains("<html lang=\"nb\">") && nb.body.contains("Logg inn"));
    let switch = send(&env.router, get("/lang/en?back=%2Flogin", None)).await;
    assert_eq!(switch.location(), "/login");
    let lang = switch.cookie("console_lang").unwrap();
    let en = send(
        &env.router,
        Request::get("/login")
            .header(header::ACCEPT_LANGUAGE, "nb")
            .header(header::COOKIE, format!("console_lang={lang}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(en.body.contains("<html lang=\"en\">") && en.body.contains("Sign in"));
    let off_site = send(
        &env.router,
        get("/lang/nb?back=https://evil.example/", None),
    )
    .await;
    assert_eq!(off_site.location(), "/");
    let q = send(&env.router, get("/login?lang=nb", None)).await;
    assert!(q.body.contains("Brukernavn"));
}
