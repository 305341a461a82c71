//! The dashboard (`/`), `/jobs` and bulk retry through the router (tower
//! `oneshot`), against the in-process simulator and a temporary SQLite
//! outbox: who may see and do what (anonymous visitors are sent to sign
//! in, viewers see no action and get 403, editors retry after a review),
//! CSRF on every POST, every filter value bounded with a message naming
//! it, keyset paging, the bulk limit, and the one audit entry per action.

use axum::http::StatusCode;
use vipps_om::{Category, CategoryType, ImageId, OrderId, PaymentType};
use vipps_om_outbox::{JobId, JobState, NewJob, Outbox, Worker};

mod common;
use common::*;

/// The review and apply forms of a bulk retry of every failed job.
fn filter_form<'a>(csrf: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![("csrf", csrf), ("scope", "filter"), ("state", "failed")];
    fields.extend_from_slice(extra);
    fields
}

/// Enqueues `n` more categories naming images nobody uploaded and lets
/// the worker fail them; their ids.
async fn more_failed(env: &Env, n: usize) -> Vec<i64> {
    more_failed_named(env, "order-more-", n).await
}

/// As [`more_failed`], with orderIds `{prefix}{k}`.
async fn more_failed_named(env: &Env, prefix: &str, n: usize) -> Vec<i64> {
    let client = env.sim.demo_client().unwrap();
    let msn = client.merchant_serial_number().clone();
    let mut ids = Vec::new();
    for k in 0..n {
        let order = OrderId::new(format!("{prefix}{k}")).unwrap();
        let category = Category::new(CategoryType::Delivery, "https://shop.example/t/2")
            .with_image_id(ImageId::new(format!("missing-{prefix}{k}")).unwrap());
        let id = env
            .outbox
            .enqueue(&NewJob::category(&msn, &PaymentType::Ecom, &order, &category).unwrap())
            .await
            .unwrap();
        ids.push(id.get());
    }
    let worker = Worker::new(env.outbox.clone(), client);
    while worker.run_once().await.unwrap().is_some() {}
    for id in &ids {
        assert_eq!(state(&env.outbox, *id).await, JobState::Failed);
    }
    ids
}

async fn state(outbox: &Outbox, id: i64) -> JobState {
    outbox.job(JobId::new(id)).await.unwrap().state
}

/// The link of the first reason group of the dashboard.
fn reason_link(body: &str) -> String {
    let at = body
        .find("/jobs?state=failed&amp;kind=")
        .expect("a reason link");
    let end = body[at..].find('"').unwrap();
    body[at..at + end].replace("&amp;", "&")
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in() {
    let env = env().await;
    for path in ["/", "/jobs", "/jobs?state=failed&sort=oldest"] {
        let reply = send(&env.router, get(path, None)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "GET {path}");
        assert!(reply.location().starts_with("/login"), "GET {path}");
    }
    for path in ["/bulk/retry/review", "/bulk/retry/apply"] {
        let reply = send(&env.router, post_form(path, None, &filter_form("x", &[]))).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "POST {path}");
        assert_eq!(reply.location(), "/login", "POST {path}");
    }
    assert_eq!(state(&env.outbox, env.failed_job).await, JobState::Failed);
}

#[tokio::test]
async fn the_dashboard_shows_what_failed_why_what_waits_and_a_chart_without_scripts() {
    let env = env().await;
    let (cookie, _) = login(&env.router, "vi", VIEWER_PW).await;
    let home = send(&env.router, get("/", Some(&cookie))).await;
    assert_eq!(home.status, StatusCode::OK);
    let body = &home.body;
    // Failed deliveries by reason, in support words and the API's.
    assert!(body.contains("Failed deliveries, by reason"), "{body}");
    assert!(body.contains("The category link names an image that was never uploaded"));
    assert!(body.contains("missing-logo"), "the image the job names");
    assert!(body.contains("imageId"), "the rejected field");
    assert!(body.contains("HTTP 400"), "{body}");
    let link = reason_link(body);
    assert!(link.contains("&reason="), "{link}");
    // What waits, and the charts with their tables; the search stays.
    assert!(body.contains("id=\"backlog\""));
    assert!(body.contains("<svg"), "a chart");
    assert!(body.contains("role=\"img\""));
    assert!(body.contains("id=\"table-hours\"") && body.contains("id=\"table-days\""));
    assert!(body.contains("action=\"/order\""), "the order search");
    // No scripts and no inline styles (the CSP allows neither).
    assert!(
        !body.contains("<script") && !body.contains("style="),
        "{body}"
    );
    let csp = home.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("style-src 'self'"));
    // The group's link lists exactly its job, linked to its order.
    let jobs = send(&env.router, get(&link, Some(&cookie))).await;
    assert_eq!(jobs.status, StatusCode::OK, "{}", jobs.body);
    assert!(jobs.body.contains("id=\"reason-filter\""));
    assert!(
        jobs.body.contains(&format!(
            "/order?order_id=order-failed&amp;payment_type=ecom#job-{}",
            env.failed_job
        )),
        "{}",
        jobs.body
    );
    // A viewer sees no action.
    assert!(
        !jobs.body.contains("/bulk/retry"),
        "no bulk form for viewers"
    );
    assert!(!jobs.body.contains("type=\"checkbox\""));

    // With everything delivered, the dashboard says so.
    let nb = send(&env.router, get("/?lang=nb", Some(&cookie))).await;
    assert!(nb.body.contains("Mislykkede leveranser, etter årsak"));
}

#[tokio::test]
async fn viewers_get_403_on_every_bulk_post_and_nothing_changes() {
    let env = env().await;
    let (cookie, csrf) = login(&env.router, "vi", VIEWER_PW).await;
    let id = env.failed_job.to_string();
    for path in ["/bulk/retry/review", "/bulk/retry/apply"] {
        for fields in [
            filter_form(&csrf, &[]),
            vec![
                ("csrf", csrf.as_str()),
                ("scope", "ticked"),
                ("job", id.as_str()),
            ],
        ] {
            let reply = send(&env.router, post_form(path, Some(&cookie), &fields)).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "POST {path}");
        }
    }
    assert_eq!(state(&env.outbox, env.failed_job).await, JobState::Failed);
    let audit = env.console.store().audit_log(None, 50).await.unwrap();
    assert!(audit.iter().all(|e| e.action != "jobs.retry_bulk"));
}

#[tokio::test]
async fn bulk_posts_without_the_csrf_token_are_refused() {
    let env = env().await;
    let (cookie, _) = login(&env.router, "ed", EDITOR_PW).await;
    for path in ["/bulk/retry/review", "/bulk/retry/apply"] {
        for csrf in ["", "not-the-token"] {
            let reply = send(
                &env.router,
                post_form(path, Some(&cookie), &filter_form(csrf, &[])),
            )
            .await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "POST {path}");
            assert!(
                reply.body.contains("could not be accepted"),
                "{}",
                reply.body
            );
        }
    }
    assert_eq!(state(&env.outbox, env.failed_job).await, JobState::Failed);
}

#[tokio::test]
async fn editors_retry_every_failed_job_of_a_filter_after_reviewing_it() {
    let env = env().await;
    let more = more_failed(&env, 3).await;
    let (cookie, csrf) = login(&env.router, "ed", EDITOR_PW).await;
    let jobs = send(&env.router, get("/jobs?state=failed", Some(&cookie))).await;
    assert!(
        jobs.body.contains("action=\"/bulk/retry/review\""),
        "{}",
        jobs.body
    );
    assert!(jobs.body.contains("type=\"checkbox\""));
    // Each failed row says why in support words, then the API's first line.
    assert!(
        jobs.body.contains(
            "<span class=\"why\">The category link names an image that was never uploaded.</span>"
        ),
        "{}",
        jobs.body
    );

    // Narrowed to the three new orders by their orderId prefix.
    let review = send(
        &env.router,
        post_form(
            "/bulk/retry/review",
            Some(&cookie),
            &filter_form(&csrf, &[("order_id", "order-more-")]),
        ),
    )
    .await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert!(
        review
            .body
            .contains("<strong>3</strong> failed jobs will be sent again"),
        "{}",
        review.body
    );
    assert!(review.body.contains("order-more-0") && !review.body.contains(">order-failed<"));
    assert!(
        review.body.contains("state=failed, order_id=order-more-"),
        "the filter is named"
    );
    for id in &more {
        assert_eq!(
            state(&env.outbox, *id).await,
            JobState::Failed,
            "a review changes nothing"
        );
    }

    // A job that fails after the review is not retried with them.
    let marker = "name=\"upto\" value=\"";
    let at = review.body.find(marker).expect("the reviewed ids' bound") + marker.len();
    let upto = &review.body[at..at + review.body[at..].find('"').unwrap()];
    assert_eq!(upto, more[2].to_string());
    let late = more_failed_named(&env, "order-more-late-", 1).await;
    let done = send(
        &env.router,
        post_form(
            "/bulk/retry/apply",
            Some(&cookie),
            &filter_form(&csrf, &[("order_id", "order-more-"), ("upto", upto)]),
        ),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(
        done.body
            .contains("<strong>3</strong> jobs are queued again"),
        "{}",
        done.body
    );
    for id in &more {
        assert_eq!(state(&env.outbox, *id).await, JobState::Pending);
    }
    assert_eq!(
        state(&env.outbox, env.failed_job).await,
        JobState::Failed,
        "not in the filter"
    );
    assert_eq!(
        state(&env.outbox, late[0]).await,
        JobState::Failed,
        "failed after the review"
    );
    let audit = env.console.store().audit_log(None, 50).await.unwrap();
    let bulk: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "jobs.retry_bulk")
        .collect();
    assert_eq!(bulk.len(), 1, "one entry per action");
    assert_eq!(bulk[0].username, "ed");
    assert!(
        bulk[0]
            .detail
            .starts_with("3 of 3 failed jobs matching state=failed, order_id=order-more-"),
        "{}",
        bulk[0].detail
    );
    assert_eq!(bulk[0].outcome, "ok");
}

#[tokio::test]
async fn editors_retry_the_ticked_rows_only() {
    let env = env().await;
    let more = more_failed(&env, 3).await;
    let (cookie, csrf) = login(&env.router, "ed", EDITOR_PW).await;
    let (a, b) = (more[0].to_string(), more[2].to_string());
    let ticked = vec![
        ("csrf", csrf.as_str()),
        ("scope", "ticked"),
        ("state", "failed"),
        ("job", a.as_str()),
        ("job", b.as_str()),
    ];
    let review = send(
        &env.router,
        post_form("/bulk/retry/review", Some(&cookie), &ticked),
    )
    .await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert!(
        review.body.contains("<strong>2</strong> failed jobs"),
        "{}",
        review.body
    );
    assert!(
        review.body.contains(&format!("name=\"job\" value=\"{a}\"")),
        "the ticks are carried"
    );
    let done = send(
        &env.router,
        post_form("/bulk/retry/apply", Some(&cookie), &ticked),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(state(&env.outbox, more[0]).await, JobState::Pending);
    assert_eq!(
        state(&env.outbox, more[1]).await,
        JobState::Failed,
        "not ticked"
    );
    assert_eq!(state(&env.outbox, more[2]).await, JobState::Pending);
    // Ticking again retries nothing: they are no longer failed.
    let again = send(
        &env.router,
        post_form("/bulk/retry/apply", Some(&cookie), &ticked),
    )
    .await;
    assert!(
        again
            .body
            .contains("<strong>0</strong> jobs are queued again"),
        "{}",
        again.body
    );
    assert!(
        again
            .body
            .contains("<strong>2</strong> were no longer failed")
    );
    let audit = env.console.store().audit_log(None, 50).await.unwrap();
    let bulk: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "jobs.retry_bulk")
        .collect();
    assert_eq!(bulk.len(), 2);
    assert!(
        bulk[1].detail.contains(&format!("ticked jobs {a}, {b}")),
        "{}",
        bulk[1].detail
    );
    // Nothing ticked: said so.
    let none = send(
        &env.router,
        post_form(
            "/bulk/retry/review",
            Some(&cookie),
            &[("csrf", &csrf), ("scope", "ticked")],
        ),
    )
    .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.body.contains("Tick at least one job"));
}

#[tokio::test]
async fn a_bulk_retry_beyond_its_limit_is_refused_with_the_limit() {
    let env = env().await;
    // 10,001 failed jobs, inserted in one statement.
    let pool = env.outbox.sqlite_pool().unwrap();
    sqlx::raw_sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10001)
         INSERT INTO vipps_om_outbox_jobs (kind, merchant_serial_number, payment_type, order_id, payload,
           state, attempts, next_attempt_at, created_at, updated_at, seq, idempotency_key, failed_at,
           last_error, last_status)
         SELECT 'receipt', '123456', 'ECOM', 'bulk-' || i, '{}', 'failed', 1, 1, 1000 + i, 1000 + i, 1,
           'bulk-' || i, 2000 + i, 'refused', 400 FROM n",
    )
    .execute(pool)
    .await
    .unwrap();
    let (cookie, csrf) = login(&env.router, "ed", EDITOR_PW).await;
    for path in ["/bulk/retry/review", "/bulk/retry/apply"] {
        let reply = send(
            &env.router,
            post_form(path, Some(&cookie), &filter_form(&csrf, &[])),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(
            reply.body.contains("At most: 10000"),
            "{path}: {}",
            reply.body
        );
        assert!(
            !reply.body.contains("action=\"/bulk/retry/apply\""),
            "{path}: no way on"
        );
    }
    let failed = env
        .outbox
        .count_matching(
            &vipps_om_outbox::JobFilter::new().state(JobState::Failed),
            20_000,
        )
        .await
        .unwrap();
    assert_eq!(failed, 10_002, "nothing was retried");
    // Narrowed by the orderId prefix, it is within the limit.
    let review = send(
        &env.router,
        post_form(
            "/bulk/retry/review",
            Some(&cookie),
            &filter_form(&csrf, &[("order_id", "bulk-1")]),
        ),
    )
    .await;
    assert_eq!(review.status, StatusCode::OK);
    // bulk-1, bulk-10 to 19, 100 to 199, 1000 to 1999, 10000 and 10001.
    assert!(
        review.body.contains("<strong>1113</strong> failed jobs"),
        "{}",
        review.body
    );
    assert!(
        review
            .body
            .contains("and this many more: <strong>1093</strong>"),
        "{}",
        review.body
    );
}

#[tokio::test]
async fn every_filter_value_is_bounded_with_a_message_naming_it() {
    let env = env().await;
    let (cookie, _) = login(&env.router, "vi", VIEWER_PW).await;
    let long = "o".repeat(129);
    let cases = [
        (
            "size=1000".to_owned(),
            "Rows per page must be a whole number from 10 to 200",
        ),
        ("size=abc".to_owned(), "Rows per page"),
        ("state=lost".to_owned(), "Unknown state"),
        ("kind=parcel".to_owned(), "Unknown kind"),
        ("sort=random".to_owned(), "Unknown sort order"),
        ("from=2026-13-01".to_owned(), "A date is written YYYY-MM-DD"),
        (
            "from=2024-01-01&to=2026-01-01".to_owned(),
            "at most this many days: 366",
        ),
        (
            "from=2026-02-01&to=2026-01-01".to_owned(),
            "ends before it starts",
        ),
        (
            format!("receipt={long}"),
            "Receipt number is too long: at most 128 characters",
        ),
        (
            format!("merchant={long}"),
            "is too long: at most 128 characters",
        ),
        (format!("order_id={long}"), "at most 128"),
        ("after=t.x.1".to_owned(), "The page link is damaged"),
        (
            "after=t.1.1&before=t.1.1".to_owned(),
            "The page link is damaged",
        ),
        ("reason=zz".to_owned(), "The reason link is damaged"),
    ];
    for (query, message) in cases {
        let reply = send(&env.router, get(&format!("/jobs?{query}"), Some(&cookie))).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            reply.body
        );
        assert!(
            reply.body.contains(message),
            "{query}: wants {message:?}: {}",
            reply.body
        );
        assert!(!reply.body.contains("<table"), "{query}: no rows");
    }
    let ok = send(
        &env.router,
        get("/jobs?from=2025-01-01&to=2025-12-31&size=10", Some(&cookie)),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "366 days are fine");
    let gone = send(
        &env.router,
        get("/jobs?reason=0123456789abcdef", Some(&cookie)),
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK);
    assert!(gone.body.contains("id=\"reason-gone\""));
}

#[tokio::test]
async fn jobs_page_by_key_and_previous_returns_the_page_before() {
    let env = env().await;
    let more = more_failed(&env, 24).await;
    let (cookie, _) = login(&env.router, "vi", VIEWER_PW).await;
    let first = send(&env.router, get("/jobs?sort=oldest&size=10", Some(&cookie))).await;
    assert_eq!(first.status, StatusCode::OK);
    let ids = |body: &str| -> Vec<i64> {
        body.match_indices("#job-")
            .filter_map(|(at, _)| {
                let rest = &body[at + 5..];
                rest[..rest.find('"')?].parse().ok()
            })
            .collect()
    };
    let next_link = |body: &str, id: &str| -> Option<String> {
        let at = body.find(&format!("id=\"{id}\""))?;
        let href = body[at..].find("href=\"")? + at + 6;
        let end = body[href..].find('"')? + href;
        Some(body[href..end].replace("&amp;", "&"))
    };
    let page1 = ids(&first.body);
    assert_eq!(page1.len(), 10);
    assert_eq!(page1[0], env.failed_job, "oldest first");
    assert!(next_link(&first.body, "previous").is_none());
    let link = next_link(&first.body, "next").expect("a next page");
    assert!(link.contains("after=t."), "a key, not an offset: {link}");
    // A job enqueued meanwhile does not shift the next page.
    more_failed(&env, 1).await;
    let second = send(&env.router, get(&link, Some(&cookie))).await;
    let page2 = ids(&second.body);
    assert_eq!(page2, more[9..19].to_vec());
    let back = send(
        &env.router,
        get(&next_link(&second.body, "previous").unwrap(), Some(&cookie)),
    )
    .await;
    assert_eq!(ids(&back.body), page1);
    // By order id, and filtered by state.
    let by_order = send(
        &env.router,
        get("/jobs?sort=order&state=failed&size=10", Some(&cookie)),
    )
    .await;
    let orders: Vec<&str> = by_order
        .body
        .match_indices(">order-")
        .map(|(at, _)| {
            let rest = &by_order.body[at + 1..];
            &rest[..rest.find('<').unwrap()]
        })
        .collect();
    assert_eq!(orders.len(), 10);
    let mut sorted = orders.clone();
    sorted.sort();
    assert_eq!(orders, sorted);
}
