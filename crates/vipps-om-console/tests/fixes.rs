//! The outbox is the only writer of an order's category and images: a
//! console fix changes the order's waiting or failed job (or enqueues
//! one), the console itself sends nothing to the API, and no older
//! delivery overwrites the fix afterwards.

use axum::http::StatusCode;
use vipps_om::{Category, CategoryType, ImageId, OrderId, PaymentType};
use vipps_om_console::demo::demo_png;
use vipps_om_outbox::{JobId, JobKind, JobState, NewJob};

mod common;
use common::*;

const FIX_URL: &str = "https://shop.example/orders/fixed";

fn fix_fields<'a>(csrf: &'a str, image: &'a str) -> [(&'a str, &'a str); 6] {
    [
        ("csrf", csrf),
        ("order_id", "order-failed"),
        ("payment_type", "ecom"),
        ("category", "GENERAL"),
        ("url", FIX_URL),
        ("image_id", image),
    ]
}

async fn sim_category(env: &Env) -> Option<Category> {
    env.sim
        .demo_client()
        .unwrap()
        .orders()
        .get(&PaymentType::Ecom, &OrderId::new("order-failed").unwrap())
        .await
        .ok()
        .and_then(|o| o.category)
}

fn payload(json: &str) -> serde_json::Value {
    serde_json::from_str(json).unwrap()
}

#[tokio::test]
async fn a_category_fix_replaces_the_waiting_jobs_and_is_not_overwritten() {
    let env = env().await;
    let msn = env
        .sim
        .demo_client()
        .unwrap()
        .merchant_serial_number()
        .clone();
    // Behind the failed category job, an older category still waits.
    let stale = env
        .outbox
        .enqueue(
            &NewJob::category(
                &msn,
                &PaymentType::Ecom,
                &OrderId::new("order-failed").unwrap(),
                &Category::new(CategoryType::Ticket, "https://shop.example/stale"),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let (cookie, csrf) = login(&env.router, "ed", EDITOR_PW).await;
    env.sim.state().clear_requests();
    let applied = send(
        &env.router,
        post_form("/category/apply", Some(&cookie), &fix_fields(&csrf, "")),
    )
    .await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
    assert!(
        applied.body.contains("queued for delivery"),
        "{}",
        applied.body
    );
    assert!(applied.body.contains("outbox run"), "the worker is named");
    assert!(
        applied
            .body
            .contains(&format!("id=\"job-{}\"", env.failed_job)),
        "the delivery history is shown"
    );
    // No direct write to the API.
    assert_eq!(sim_writes(&env), Vec::<String>::new());
    assert_eq!(sim_category(&env).await, None);
    // Both waiting jobs carry the fix; the failed one is sent again; no
    // third job was needed.
    let jobs = jobs_of(&env, "order-failed").await;
    assert_eq!(
        jobs.iter().map(|j| j.id).collect::<Vec<_>>(),
        [JobId::new(env.failed_job), stale]
    );
    for job in &jobs {
        assert_eq!(job.state, JobState::Pending, "job {}", job.id);
        let p = payload(
            &env.outbox
                .job_request(job.id)
                .await
                .unwrap()
                .body_json()
                .unwrap(),
        );
        assert_eq!(p["category"], "GENERAL", "job {}: {p}", job.id);
        assert_eq!(p["orderDetailsUrl"], FIX_URL);
        assert!(p.get("imageId").is_none(), "{p}");
    }
    // The worker delivers them in order; the API holds the fix, and it
    // stays after every delivery is done.
    assert_eq!(deliver_all(&env).await, 2);
    assert_eq!(deliver_all(&env).await, 0);
    let category = sim_category(&env).await.expect("a category");
    assert_eq!(category.category, CategoryType::General);
    assert_eq!(category.order_details_url, FIX_URL);
    let puts = sim_writes(&env);
    assert_eq!(puts.len(), 2, "two deliveries, both of the fix: {puts:?}");
    for request in env
        .sim
        .state()
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
    {
        assert_eq!(
            request.body["orderDetailsUrl"], FIX_URL,
            "{:?}",
            request.body
        );
    }
    // The audit log says it was queued, and how.
    let entries = env
        .console
        .store()
        .audit_log(Some("order-failed"), 10)
        .await
        .unwrap();
    let set = entries
        .iter()
        .find(|e| e.action == "category.set")
        .expect("a category.set entry");
    assert_eq!(set.outcome, "ok");
    assert!(set.detail.contains("queued for delivery"), "{}", set.detail);
    assert!(
        set.detail
            .contains(&format!("retried job {}", env.failed_job)),
        "{}",
        set.detail
    );
}

#[tokio::test]
async fn a_fix_after_the_last_delivery_is_a_new_job() {
    let env = env().await;
    let (cookie, csrf) = login(&env.router, "ed", EDITOR_PW).await;
    // The first fix replaces the failed job's request and is delivered.
    let first = send(
        &env.router,
        post_form("/category/apply", Some(&cookie), &fix_fields(&csrf, "")),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(deliver_all(&env).await, 1);
    // A second fix has nothing waiting to replace: a new job, at the end.
    let mut fields = fix_fields(&csrf, "");
    fields[4] = ("url", "https://shop.example/orders/second");
    let second = send(
        &env.router,
        post_form("/category/apply", Some(&cookie), &fields),
    )
    .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    let jobs = jobs_of(&env, "order-failed").await;
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].state, JobState::Delivered);
    assert_eq!(
        (jobs[1].kind, jobs[1].state),
        (JobKind::CategoryV2, JobState::Pending)
    );
    assert_eq!(deliver_all(&env).await, 1);
    assert_eq!(
        sim_category(&env).await.unwrap().order_details_url,
        "https://shop.example/orders/second"
    );
}

#[tokio::test]
async fn a_fix_naming_a_queued_image_is_delivered_after_it() {
    let env = env().await;
    let (cookie, csrf) = login(&env.router, "ed", EDITOR_PW).await;
    env.sim.state().clear_requests();
    // The image is queued (behind the failed category job).
    let review = send(
        &env.router,
        multipart(
            "/image/review",
            &cookie,
            &[
                ("csrf", &csrf),
                ("order_id", "order-failed"),
                ("payment_type", "ecom"),
                ("image_id", "new-logo"),
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
    // The fix names it: the failed category job gets the fix and moves
    // behind the image.
    let applied = send(
        &env.router,
        post_form(
            "/category/apply",
            Some(&cookie),
            &fix_fields(&csrf, "new-logo"),
        ),
    )
    .await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
    assert_eq!(
        sim_writes(&env),
        Vec::<String>::new(),
        "nothing sent by the console"
    );
    let jobs = jobs_of(&env, "order-failed").await;
    assert_eq!(
        jobs.iter().map(|j| (j.kind, j.state)).collect::<Vec<_>>(),
        [
            (JobKind::Image, JobState::Pending),
            (JobKind::CategoryV2, JobState::Pending)
        ]
    );
    assert_eq!(deliver_all(&env).await, 2);
    let category = sim_category(&env).await.unwrap();
    assert_eq!(category.order_details_url, FIX_URL);
    assert_eq!(category.image_id, Some(ImageId::new("new-logo").unwrap()));
    assert!(
        jobs_of(&env, "order-failed")
            .await
            .iter()
            .all(|j| j.state == JobState::Delivered)
    );
}
