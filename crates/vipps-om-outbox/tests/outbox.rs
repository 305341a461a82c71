//! The outbox against the simulator over real HTTP, on SQLite, PostgreSQL
//! and MySQL/MariaDB. Every scenario runs on every backend (those about
//! repairing databases left by old schema versions only where such
//! databases exist: SQLite and PostgreSQL); the PostgreSQL runs need
//! `DATABASE_URL=postgres://...`, the MySQL runs (built with the `mysql`
//! feature) `MYSQL_URL=mysql://...` (each test creates and drops its own
//! database), and are skipped with a message when it is not set.

use std::future::Future;
use std::time::Duration;

use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{
    AddCategoryRequest, Amount, Category, CategoryType, Client, Currency, Image, ImageId,
    MerchantSerialNumber, OrderId, PaymentType, Receipt, RetryPolicies, RetryPolicy, TaxRate,
};
use vipps_om_outbox::{
    Backoff, JobKind, JobRequest, JobState, NewJob, Outbox, OutboxError, Outcome, Worker,
    WorkerConfig,
};
use vipps_om_sim::{Fault, Merchant, Route, Simulator};

// ------------------------------------------------------------ fixtures

/// A fresh outbox database (see `vipps_om_testdb`).
use vipps_om_testdb::TestDb as Db;

/// The outbox on a test database.
async fn open(db: &Db) -> Outbox {
    Outbox::connect(db.url()).await.unwrap()
}

vipps_om_testdb::on_every_backend!(
    prefix: "outbox_test",
    everywhere: [
        delivers_receipts_and_reports_metrics,
        an_image_is_delivered_before_the_category_that_shows_it,
        enqueue_in_a_rolled_back_transaction_leaves_nothing,
        an_expired_lease_is_taken_over_and_the_receipt_stored_once,
        permanent_failures_keep_the_api_reasons_and_a_fixed_job_delivers,
        local_validation_failures_name_every_field_and_hold_back_the_order,
        a_receipt_stored_before_the_first_attempt_is_already_there,
        rate_limits_wait_as_long_as_the_api_asked,
        outages_are_retried_until_they_pass_or_the_attempt_limit,
        a_v3_category_is_not_added_twice_after_an_ambiguous_failure,
        jobs_of_another_merchant_are_left_for_its_worker,
        shutdown_finishes_or_releases_the_delivery_in_flight,
        restarting_on_the_same_database_keeps_everything,
        refused_credentials_keep_jobs_waiting_not_failed,
        a_huge_retry_after_waits_the_cap_and_other_orders_are_delivered,
        a_vanished_database_stops_the_workers_with_the_reason,
        jobs_of_one_order_from_concurrent_transactions_go_in_commit_order,
        a_job_retried_by_staff_gets_its_whole_attempt_budget_again,
        a_different_receipt_already_stored_fails_visibly_and_the_same_one_is_delivered,
        an_image_id_with_different_content_fails_visibly,
        enqueuing_the_same_job_twice_queues_it_once,
        a_bulk_of_thousands_of_orders_holds_a_bounded_number_of_locks,
        a_stored_request_that_cannot_be_read_fails_its_job_with_the_reason,
        a_plain_sql_insert_written_as_the_contract_says_is_delivered,
        start_ups_racing_on_a_new_database_migrate_it_once,
    ],
    // The schema 1 and 2 repairs: no MySQL outbox was ever at those
    // versions (MySQL support came with schema 4).
    not_on_mysql: [
        a_schema_1_database_with_odd_times_is_repaired_by_the_migration,
        a_schema_2_database_gets_its_order_sequences_in_id_order,
    ],
);

fn msn() -> MerchantSerialNumber {
    MerchantSerialNumber::new("123456").unwrap()
}

fn order(id: &str) -> OrderId {
    OrderId::new(id).unwrap()
}

fn receipt(number: u32) -> Receipt {
    ReceiptBuilder::new(Currency::Nok)
        .line(
            LineBuilder::new("sku-1", "Wool socks")
                .unit_price(Amount::minor(14_900))
                .quantity("2")
                .tax_rate(TaxRate::from_percent(25)),
        )
        .receipt_number(number.to_string())
        .build()
        .unwrap()
}

fn png(size: u32) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend_from_slice(&13u32.to_be_bytes());
    v.extend_from_slice(b"IHDR");
    v.extend_from_slice(&size.to_be_bytes());
    v.extend_from_slice(&size.to_be_bytes());
    v.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    v
}

/// Quick leases and retries for tests.
fn config() -> WorkerConfig {
    WorkerConfig::default()
        .lease(Duration::from_secs(1))
        .poll_interval(Duration::from_millis(20))
        .backoff(Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(200),
        })
        .shutdown_grace(Duration::from_secs(5))
}

fn worker(outbox: &Outbox, client: &Client) -> Worker {
    Worker::new(outbox.clone(), client.clone()).with_config(config())
}

/// Runs workers until nothing of the demo merchant is left (at most 30 s).
async fn drain(outbox: &Outbox, client: &Client, workers: usize) {
    let config = config().stop_when_idle(true);
    tokio::time::timeout(
        Duration::from_secs(30),
        vipps_om_outbox::run_workers(outbox, client, &config, workers, std::future::pending()),
    )
    .await
    .expect("the outbox drains within 30 s")
    .expect("no worker stops abnormally");
}

async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ------------------------------------------------------------ scenarios

async fn delivers_receipts_and_reports_metrics(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let outbox = open(db).await;
    let jobs: Vec<NewJob> = (0..20)
        .map(|i| {
            NewJob::receipt(
                &msn(),
                &PaymentType::Ecom,
                &order(&format!("m-{i}")),
                &receipt(i),
            )
            .unwrap()
        })
        .collect();
    let ids = outbox.enqueue_many(&jobs).await.unwrap();
    assert_eq!(ids.len(), 20);
    let before = outbox.metrics().await.unwrap();
    assert_eq!(
        (before.pending, before.queue_depth, before.delivered),
        (20, 20, 0)
    );
    assert!(before.oldest_pending_age.is_some());
    assert_eq!(before.by_merchant.len(), 1);
    assert_eq!(before.by_merchant[0].pending, 20);

    drain(&outbox, &client, 3).await;

    let after = outbox.metrics().await.unwrap();
    assert_eq!((after.pending, after.in_flight, after.failed), (0, 0, 0));
    assert_eq!((after.delivered, after.delivered_last_minute), (20, 20));
    assert_eq!(after.oldest_pending_age, None);
    assert_eq!(sim.counters().count(Route::AddReceipt, 201), 20);
    for i in 0..20 {
        let stored = sim
            .receipt("123456", &PaymentType::Ecom, &format!("m-{i}"))
            .expect("stored");
        assert_eq!(stored, receipt(i));
    }
    let job = outbox.job(ids[0]).await.unwrap();
    assert_eq!(job.state, JobState::Delivered);
    assert_eq!(job.outcome, Some(Outcome::Created));
    assert_eq!(job.attempts, 1);
    assert!(job.result_id.is_some(), "the receipt id the API answered");
    assert!(job.delivered_at.is_some() && job.lease_owner.is_none());
    assert_eq!(job.summary(), "delivered");
}

async fn an_image_is_delivered_before_the_category_that_shows_it(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let outbox = open(db).await;
    let o = order("seq-1");
    let image = Image::from_bytes_with_content_id(&png(400));
    let category = Category::new(CategoryType::Receipt, "https://shop.example/o/seq-1")
        .with_image_id(image.image_id.clone());
    let image_job = outbox
        .enqueue(&NewJob::image(&msn(), &PaymentType::Ecom, &o, &image).unwrap())
        .await
        .unwrap();
    let category_job = outbox
        .enqueue(&NewJob::category(&msn(), &PaymentType::Ecom, &o, &category).unwrap())
        .await
        .unwrap();
    let receipt_job = outbox
        .enqueue(&NewJob::receipt(&msn(), &PaymentType::Ecom, &o, &receipt(1)).unwrap())
        .await
        .unwrap();

    // The image upload is slow; a second worker must not jump ahead to
    // the category (the API would refuse an image it does not know yet).
    sim.inject_fault(Fault::delay(Route::UploadImage, Duration::from_millis(600)))
        .unwrap();
    let first = worker(&outbox, &client);
    let uploading = tokio::spawn(async move { first.run_once().await.unwrap() });
    let second = worker(&outbox, &client);
    eventually("the image is in flight", || async {
        outbox.job(image_job).await.unwrap().state == JobState::InFlight
    })
    .await;
    assert!(
        second.run_once().await.unwrap().is_none(),
        "the category waits"
    );
    let waiting = outbox.job(category_job).await.unwrap();
    assert_eq!(waiting.blocked_by, Some(image_job));
    assert!(
        waiting.summary().contains(&format!("job {image_job}")),
        "{}",
        waiting.summary()
    );

    let done = uploading.await.unwrap().unwrap();
    assert_eq!(done.job(), image_job);
    assert_eq!(done.outcome(), Some(Outcome::Created));
    let next = second.run_once().await.unwrap().unwrap();
    assert_eq!(
        (next.job(), next.kind()),
        (category_job, JobKind::CategoryV2)
    );
    let last = second.run_once().await.unwrap().unwrap();
    assert_eq!(last.job(), receipt_job);
    assert!(second.run_once().await.unwrap().is_none());

    let stored = sim.order("123456", &PaymentType::Ecom, "seq-1").unwrap();
    assert_eq!(stored.categories.len(), 1);
    assert_eq!(stored.categories[0].image_id, Some(image.image_id.clone()));
    assert!(stored.receipt.is_some());
    let statuses = outbox.order_status("seq-1").await.unwrap();
    let ids: Vec<_> = statuses.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![image_job, category_job, receipt_job]);
    assert!(statuses.iter().all(|s| s.state == JobState::Delivered));
}

async fn enqueue_in_a_rolled_back_transaction_leaves_nothing(db: &Db) {
    let outbox = open(db).await;
    let kept = NewJob::receipt(&msn(), &PaymentType::Ecom, &order("tx-kept"), &receipt(1)).unwrap();
    let dropped = NewJob::receipt(
        &msn(),
        &PaymentType::Ecom,
        &order("tx-dropped"),
        &receipt(2),
    )
    .unwrap();
    match (outbox.sqlite_pool(), outbox.pg_pool()) {
        (Some(pool), _) => {
            sqlx::raw_sql("CREATE TABLE shop_orders (id TEXT PRIMARY KEY)")
                .execute(pool)
                .await
                .unwrap();
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("INSERT INTO shop_orders (id) VALUES ($1)")
                .bind("tx-dropped")
                .execute(&mut *tx)
                .await
                .unwrap();
            outbox.enqueue_in(&mut tx, &dropped).await.unwrap();
            tx.rollback().await.unwrap();
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
            sqlx::query("INSERT INTO shop_orders (id) VALUES ($1)")
                .bind("tx-kept")
                .execute(&mut *tx)
                .await
                .unwrap();
            outbox.enqueue_in(&mut tx, &kept).await.unwrap();
            tx.commit().await.unwrap();
        }
        (None, Some(pool)) => {
            sqlx::raw_sql("CREATE TABLE shop_orders (id TEXT PRIMARY KEY)")
                .execute(pool)
                .await
                .unwrap();
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("INSERT INTO shop_orders (id) VALUES ($1)")
                .bind("tx-dropped")
                .execute(&mut *tx)
                .await
                .unwrap();
            outbox.enqueue_in(&mut tx, &dropped).await.unwrap();
            drop(tx); // rolled back when dropped
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("INSERT INTO shop_orders (id) VALUES ($1)")
                .bind("tx-kept")
                .execute(&mut *tx)
                .await
                .unwrap();
            outbox.enqueue_in(&mut *tx, &kept).await.unwrap();
            tx.commit().await.unwrap();
        }
        #[cfg(feature = "mysql")]
        (None, None) => {
            let pool = outbox.mysql_pool().unwrap();
            sqlx::raw_sql("CREATE TABLE shop_orders (id VARCHAR(64) PRIMARY KEY)")
                .execute(pool)
                .await
                .unwrap();
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("INSERT INTO shop_orders (id) VALUES (?)")
                .bind("tx-dropped")
                .execute(&mut *tx)
                .await
                .unwrap();
            outbox.enqueue_in(&mut tx, &dropped).await.unwrap();
            tx.rollback().await.unwrap();
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("INSERT INTO shop_orders (id) VALUES (?)")
                .bind("tx-kept")
                .execute(&mut *tx)
                .await
                .unwrap();
            outbox.enqueue_in(&mut *tx, &kept).await.unwrap();
            tx.commit().await.unwrap();
            let orders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM shop_orders")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(orders, 1, "the order row rolled back with its job");
        }
        #[allow(unreachable_patterns)]
        _ => unreachable!(),
    }
    assert!(outbox.order_status("tx-dropped").await.unwrap().is_empty());
    let kept = outbox.order_status("tx-kept").await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].state, JobState::Pending);

    // A transaction on the other kind of database is refused.
    let other = if outbox.sqlite_pool().is_some() {
        None
    } else {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let mut tx = pool.begin().await.unwrap();
        Some(outbox.enqueue_in(&mut tx, &dropped).await.unwrap_err())
    };
    if let Some(err) = other {
        assert!(matches!(err, OutboxError::BackendMismatch { .. }), "{err}");
    }
}

async fn an_expired_lease_is_taken_over_and_the_receipt_stored_once(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let outbox = open(db).await;
    let id = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("lease-1"), &receipt(1)).unwrap(),
        )
        .await
        .unwrap();
    // The API is slow; the worker dies while it waits (its task is
    // aborted: no release, no renewal, like SIGKILL). The simulator still
    // stores the receipt, as a real server would.
    sim.inject_fault(Fault::delay(Route::AddReceipt, Duration::from_millis(1500)))
        .unwrap();
    let doomed = worker(&outbox, &client)
        .with_config(config().lease(Duration::from_secs(2)))
        .with_owner("doomed");
    let task = tokio::spawn(async move { doomed.run(std::future::pending()).await });
    eventually("the job is claimed", || async {
        outbox.job(id).await.unwrap().state == JobState::InFlight
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    task.abort();
    let held = outbox.job(id).await.unwrap();
    assert_eq!(held.lease_owner.as_deref(), Some("doomed"));
    assert!(held.summary().contains("doomed"), "{}", held.summary());

    // Another worker cannot take it while the lease holds...
    let heir = worker(&outbox, &client).with_owner("heir");
    assert!(heir.run_once().await.unwrap().is_none());
    // ...and takes it over once it has expired.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let taken = loop {
        if let Some(done) = heir.run_once().await.unwrap() {
            break Some(done);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lease is never taken over"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let taken = taken.unwrap();
    assert_eq!(taken.job(), id);
    assert_eq!(taken.outcome(), Some(Outcome::AlreadyPresent));
    let job = outbox.job(id).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Delivered, 2));
    assert_eq!(sim.counters().count(Route::AddReceipt, 201), 1);
    assert_eq!(sim.counters().count(Route::AddReceipt, 409), 1);
}

async fn permanent_failures_keep_the_api_reasons_and_a_fixed_job_delivers(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let outbox = open(db).await;
    // Locally fine, but the API refuses an image it was never sent.
    let category = Category::new(CategoryType::Receipt, "https://shop.example/o/bad-1")
        .with_image_id(ImageId::new("never-uploaded").unwrap());
    let id = outbox
        .enqueue(&NewJob::category(&msn(), &PaymentType::Ecom, &order("bad-1"), &category).unwrap())
        .await
        .unwrap();
    let done = worker(&outbox, &client).run_once().await.unwrap().unwrap();
    assert!(done.verdict().is_failed() && !done.verdict().is_different_content());
    let job = outbox.job(id).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.last_status, Some(400));
    assert!(job.failed_at.is_some());
    assert!(
        job.problems
            .iter()
            .any(|p| p.path == "imageId" && p.reason.contains("never-uploaded")),
        "the refused field names the image that is missing: {:?}",
        job.problems
    );
    // The reason counts the refused fields; each is named once, in
    // `problems`, with its reason (not again in the reason's text).
    let error = job.last_error.as_deref().unwrap();
    assert!(
        error.contains("refused 1 field") && !error.contains(&job.problems[0].reason),
        "{error:?}"
    );
    assert!(job.summary().starts_with("failed: "), "{}", job.summary());
    let failed = outbox.failed(10).await.unwrap();
    assert_eq!(failed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![id]);
    assert_eq!(outbox.metrics().await.unwrap().failed_last_minute, 1);
    assert_eq!(outbox.outstanding("123456").await.unwrap(), 0);

    // A delivered or pending job cannot be "retried"; a bad fix is refused.
    let err = outbox
        .update_job_payload(id, &crate::category("shop.example/o/bad-1").into())
        .await
        .unwrap_err();
    assert!(matches!(err, OutboxError::InvalidPayload(_)), "{err}");
    // A request of another kind is refused, naming both.
    let err = outbox
        .update_job_payload(id, &receipt(1).into())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("sends a category (v2), not a receipt"),
        "{err}"
    );
    // Staff fix it (drop the image) and retry: delivered.
    let fixed = JobRequest::from(crate::category("https://shop.example/o/bad-1"));
    outbox.update_job_payload(id, &fixed).await.unwrap();
    assert_eq!(outbox.job_request(id).await.unwrap(), fixed);
    outbox.retry(id).await.unwrap();
    assert_eq!(outbox.job(id).await.unwrap().state, JobState::Pending);
    let done = worker(&outbox, &client).run_once().await.unwrap().unwrap();
    assert_eq!(done.outcome(), Some(Outcome::Created));
    let job = outbox.job(id).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Delivered, 2));
    assert!(job.problems.is_empty() && job.last_error.is_none());
    assert!(matches!(
        outbox.retry(id).await.unwrap_err(),
        OutboxError::WrongState {
            state: JobState::Delivered,
            ..
        }
    ));
    assert!(matches!(
        outbox.update_job_payload(id, &fixed).await.unwrap_err(),
        OutboxError::WrongState { .. }
    ));
    assert!(matches!(
        outbox
            .retry(vipps_om_outbox::JobId::new(999_999))
            .await
            .unwrap_err(),
        OutboxError::NoSuchJob(_)
    ));
    let stored = sim.order("123456", &PaymentType::Ecom, "bad-1").unwrap();
    assert_eq!(stored.categories.len(), 1);
}

async fn local_validation_failures_name_every_field_and_hold_back_the_order(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let outbox = open(db).await;
    let mut bad = receipt(1);
    bad.order_lines[0].total_tax_amount = Amount::minor(1);
    bad.order_lines[0].name = String::new();
    let o = order("invalid-1");
    let bad_id = outbox
        .enqueue(&NewJob::receipt(&msn(), &PaymentType::Ecom, &o, &bad).unwrap())
        .await
        .unwrap();
    let category = Category::new(CategoryType::Receipt, "https://shop.example/o/invalid-1");
    let later = outbox
        .enqueue(&NewJob::category(&msn(), &PaymentType::Ecom, &o, &category).unwrap())
        .await
        .unwrap();
    let other = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("fine-1"), &receipt(2)).unwrap(),
        )
        .await
        .unwrap();
    drain(&outbox, &client, 2).await;

    let job = outbox.job(bad_id).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.last_status, None, "nothing was sent");
    let paths: Vec<&str> = job.problems.iter().map(|p| p.path.as_str()).collect();
    assert!(paths.contains(&"orderLines[0].name"), "{paths:?}");
    assert!(
        paths.iter().any(|p| p.starts_with("orderLines[0].total")),
        "{paths:?}"
    );
    // The order's next job waits for the failed one; other orders go on.
    let held = outbox.job(later).await.unwrap();
    assert_eq!(
        (held.state, held.blocked_by),
        (JobState::Pending, Some(bad_id))
    );
    assert_eq!(outbox.job(other).await.unwrap().state, JobState::Delivered);
    assert_eq!(sim.counters().count(Route::AddReceipt, 201), 1);
    assert_eq!(sim.counters().count(Route::SetCategoryV2, 200), 0);

    // Fixed and retried: the receipt goes, then the category behind it.
    outbox
        .update_job_payload(bad_id, &receipt(1).into())
        .await
        .unwrap();
    assert_eq!(outbox.retry_all_failed().await.unwrap(), 1);
    drain(&outbox, &client, 2).await;
    for id in [bad_id, later] {
        assert_eq!(outbox.job(id).await.unwrap().state, JobState::Delivered);
    }
    let stored = sim
        .order("123456", &PaymentType::Ecom, "invalid-1")
        .unwrap();
    assert_eq!(stored.receipt, Some(receipt(1)));
    assert_eq!(stored.categories.len(), 1);
}

async fn a_receipt_stored_before_the_first_attempt_is_already_there(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let outbox = open(db).await;
    let o = order("before-1");
    client
        .receipts()
        .add(&PaymentType::Ecom, &o, &receipt(1))
        .await
        .unwrap();
    let id = outbox
        .enqueue(&NewJob::receipt(&msn(), &PaymentType::Ecom, &o, &receipt(1)).unwrap())
        .await
        .unwrap();
    let done = worker(&outbox, &client).run_once().await.unwrap().unwrap();
    assert_eq!(done.outcome(), Some(Outcome::AlreadyThere));
    let job = outbox.job(id).await.unwrap();
    assert_eq!(job.outcome, Some(Outcome::AlreadyThere));
    assert!(job.summary().contains("already had"), "{}", job.summary());
    assert_eq!(sim.counters().count(Route::AddReceipt, 201), 1);
}

fn client_without_retries(sim: &vipps_om_sim::RunningSim) -> Client {
    sim.client_builder(sim.demo_merchant())
        .retry_policies(RetryPolicies::uniform(RetryPolicy::never()))
        .build()
        .unwrap()
}

async fn rate_limits_wait_as_long_as_the_api_asked(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = client_without_retries(&sim);
    let outbox = open(db).await;
    let id = outbox
        .enqueue(&NewJob::receipt(&msn(), &PaymentType::Ecom, &order("rl-1"), &receipt(1)).unwrap())
        .await
        .unwrap();
    sim.inject_fault(Fault::status(Route::AddReceipt, 429).retry_after(2))
        .unwrap();
    let w = worker(&outbox, &client);
    let done = w.run_once().await.unwrap().unwrap();
    let Some(after) = done.verdict().retry_after() else {
        panic!("{done:?}")
    };
    assert!(
        after >= Duration::from_secs(2) && after <= Duration::from_millis(2200),
        "{after:?}"
    );
    let job = outbox.job(id).await.unwrap();
    assert_eq!((job.state, job.last_status), (JobState::Pending, Some(429)));
    let next = job.next_attempt_at.unwrap();
    let wait = next.since(job.updated_at);
    assert!(wait >= Duration::from_millis(1990), "{wait:?}");
    assert!(
        job.summary().starts_with("will try again at"),
        "{}",
        job.summary()
    );
    assert_eq!(outbox.metrics().await.unwrap().retrying, 1);
    // Not before the time the API asked for.
    assert!(w.run_once().await.unwrap().is_none());
    eventually("delivered after the wait", || async {
        matches!(w.run_once().await.unwrap(), Some(p) if p.outcome() == Some(Outcome::Created))
    })
    .await;
}

async fn a_huge_retry_after_waits_the_cap_and_other_orders_are_delivered(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = client_without_retries(&sim);
    let outbox = open(db).await;
    let limited = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("huge-1"), &receipt(1)).unwrap(),
        )
        .await
        .unwrap();
    let later = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("huge-2"), &receipt(2)).unwrap(),
        )
        .await
        .unwrap();
    sim.inject_fault(Fault::status(Route::AddReceipt, 429).retry_after(u64::MAX))
        .unwrap();
    let w = worker(&outbox, &client);
    let done = w.run_once().await.unwrap().unwrap();
    assert_eq!(done.job(), limited);
    let Some(after) = done.verdict().retry_after() else {
        panic!("{done:?}")
    };
    assert!(after <= vipps_om::retry::MAX_RETRY_AFTER, "{after:?}");
    assert!(after >= Duration::from_secs(3000), "{after:?}");
    // Stored as a time at most the cap away, readable by status.
    let status = outbox.order_status("huge-1").await.unwrap();
    let job = &status[0];
    assert_eq!((job.state, job.last_status), (JobState::Pending, Some(429)));
    let wait = job.next_attempt_at.unwrap().since(job.updated_at);
    assert!(
        wait <= vipps_om::retry::MAX_RETRY_AFTER + Duration::from_secs(1),
        "{wait:?}"
    );
    // The worker goes on: the other order's receipt is delivered.
    let next = w.run_once().await.unwrap().unwrap();
    assert_eq!(
        (next.job(), next.outcome()),
        (later, Some(Outcome::Created)),
        "{next:?}"
    );
    assert!(w.run_once().await.unwrap().is_none());
}

async fn a_vanished_database_stops_the_workers_with_the_reason(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = client_without_retries(&sim);
    let outbox = open(db).await;
    let first = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("gone-1"), &receipt(1)).unwrap(),
        )
        .await
        .unwrap();
    let config = config().max_db_outage(Some(Duration::from_secs(1)));
    let run = {
        let (outbox, client, config) = (outbox.clone(), client.clone(), config.clone());
        tokio::spawn(async move {
            vipps_om_outbox::run_workers(&outbox, &client, &config, 3, std::future::pending()).await
        })
    };
    eventually("the first job is delivered", || async {
        outbox.job(first).await.map(|j| j.state).ok() == Some(JobState::Delivered)
    })
    .await;
    // Someone drops the outbox's table under the running workers.
    match (outbox.sqlite_pool(), outbox.pg_pool()) {
        (Some(pool), _) => {
            sqlx::raw_sql("DROP TABLE vipps_om_outbox_jobs")
                .execute(pool)
                .await
                .unwrap();
        }
        (_, Some(pool)) => {
            sqlx::raw_sql("DROP TABLE vipps_om_outbox_jobs")
                .execute(pool)
                .await
                .unwrap();
        }
        #[cfg(feature = "mysql")]
        (None, None) => {
            sqlx::raw_sql("DROP TABLE vipps_om_outbox_jobs")
                .execute(outbox.mysql_pool().unwrap())
                .await
                .unwrap();
        }
        #[allow(unreachable_patterns)]
        _ => unreachable!(),
    }
    let aborted = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the workers stop within 30 s")
        .unwrap()
        .expect_err("a vanished database is no success");
    assert_eq!(aborted.report.delivered, 1, "{aborted:?}");
    assert!(!aborted.reasons.is_empty());
    let text = aborted.to_string();
    assert!(
        text.contains("outbox database has failed every claim") && text.contains("max_db_outage"),
        "{text}"
    );
}

/// A database left by schema 1 after a huge Retry-After: SQLite holds
/// floating-point times (an overflowed `now + wait`), PostgreSQL a time
/// centuries ahead. Migration 2 makes them integers and due now, and
/// SQLite refuses floating-point times from then on.
async fn a_schema_1_database_with_odd_times_is_repaired_by_the_migration(db: &Db) {
    use sha2::Digest;
    let sqlite = db.server().is_none();
    let schema_1 = if sqlite {
        include_str!("../migrations/sqlite/0001_outbox.sql")
    } else {
        include_str!("../migrations/postgres/0001_outbox.sql")
    };
    let checksum: String = sha2::Sha256::digest(schema_1.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let far = if sqlite {
        "9.3e18"
    } else {
        "9000000000000000000"
    };
    let setup = format!(
        "{schema_1};
        CREATE TABLE vipps_om_outbox_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
            checksum TEXT NOT NULL, applied_at BIGINT NOT NULL);
        INSERT INTO vipps_om_outbox_migrations VALUES (1, 'outbox jobs', '{checksum}', 0);
        INSERT INTO vipps_om_outbox_jobs (kind, merchant_serial_number, payment_type, order_id, payload, \
            state, attempts, next_attempt_at, created_at, updated_at, last_status) \
            VALUES ('receipt', '123456', 'ecom', 'odd-1', '{payload}', 'pending', 1, {far}, 1, 1, 429);
        INSERT INTO vipps_om_outbox_jobs (kind, merchant_serial_number, payment_type, order_id, payload, \
            state, attempts, next_attempt_at, created_at, updated_at, lease_owner, leased_until) \
            VALUES ('receipt', '123456', 'ecom', 'odd-2', '{payload}', 'in_flight', 1, 1, 1, 1, 'gone', {far});
        INSERT INTO vipps_om_outbox_jobs (kind, merchant_serial_number, payment_type, order_id, payload, \
            state, attempts, next_attempt_at, created_at, updated_at) \
            VALUES ('receipt', '123456', 'ecom', 'odd-3', '{payload}', 'delivered', 1, 1, 1, 1);
        DELETE FROM vipps_om_outbox_jobs WHERE order_id = 'odd-3';",
        payload = serde_json::to_string(&receipt(1)).unwrap(),
    );
    match db.server() {
        None => {
            use sqlx::ConnectOptions;
            use std::str::FromStr;
            let mut conn = sqlx::sqlite::SqliteConnectOptions::from_str(db.url())
                .unwrap()
                .connect()
                .await
                .unwrap();
            sqlx::raw_sql(&setup).execute(&mut conn).await.unwrap();
            let kind: String = sqlx::query_scalar(
                "SELECT typeof(next_attempt_at) FROM vipps_om_outbox_jobs WHERE order_id = 'odd-1'",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            assert_eq!(kind, "real", "the broken state this test is about");
        }
        Some(_) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
            sqlx::raw_sql(&setup).execute(&mut conn).await.unwrap();
        }
    }

    let outbox = open(db).await;
    let odd = outbox.order_status("odd-1").await.unwrap();
    assert_eq!(odd[0].state, JobState::Pending);
    let now = vipps_om_outbox::Timestamp::now();
    let due = odd[0].next_attempt_at.unwrap();
    assert!(due.since(now) < Duration::from_secs(60), "due {due}");
    let held = outbox.order_status("odd-2").await.unwrap();
    assert!(held[0].leased_until.unwrap().since(now) < Duration::from_secs(60));

    // Both are delivered now, not in centuries; ids are not reused.
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = client_without_retries(&sim);
    let w = worker(&outbox, &client);
    for _ in 0..2 {
        let done = w.run_once().await.unwrap().expect("due now");
        assert_eq!(done.outcome(), Some(Outcome::Created), "{done:?}");
    }
    let id = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("odd-4"), &receipt(4)).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(id, vipps_om_outbox::JobId::new(4));

    if let Some(pool) = outbox.sqlite_pool() {
        let err = sqlx::query("UPDATE vipps_om_outbox_jobs SET next_attempt_at = 9.3e18")
            .execute(pool)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("CHECK constraint failed"), "{err}");
    }
}

async fn outages_are_retried_until_they_pass_or_the_attempt_limit(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = client_without_retries(&sim);
    let outbox = open(db).await;
    let id = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("down-1"), &receipt(1)).unwrap(),
        )
        .await
        .unwrap();
    sim.inject_fault(Fault::status(Route::AddReceipt, 503).times(3))
        .unwrap();
    drain(&outbox, &client, 1).await;
    let job = outbox.job(id).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Delivered, 4));
    // The three 503s reached the server: the fourth attempt may have been
    // a repeat, and a 201 is still "created".
    assert_eq!(job.outcome, Some(Outcome::Created));

    // With a limit, a lasting outage fails the job with its last error.
    let id = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("down-2"), &receipt(2)).unwrap(),
        )
        .await
        .unwrap();
    sim.inject_fault(Fault::status(Route::AddReceipt, 500).times(10))
        .unwrap();
    let limited =
        worker(&outbox, &client).with_config(config().max_attempts(Some(3)).stop_when_idle(true));
    let report = limited.run(std::future::pending()).await.unwrap();
    assert_eq!((report.retried, report.failed), (2, 1));
    let job = outbox.job(id).await.unwrap();
    assert_eq!(
        (job.state, job.attempts, job.last_status),
        (JobState::Failed, 3, Some(500))
    );
    assert!(
        job.last_error
            .as_deref()
            .unwrap()
            .starts_with("gave up after 3 attempts"),
        "{:?}",
        job.last_error
    );
    sim.clear_faults();
    outbox.retry(id).await.unwrap();
    drain(&outbox, &client, 1).await;
    assert_eq!(outbox.job(id).await.unwrap().state, JobState::Delivered);
}

async fn a_v3_category_is_not_added_twice_after_an_ambiguous_failure(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    // A short timeout: the first POST times out, and the simulator stores
    // the category anyway (as a slow server would).
    let client = sim
        .client_builder(sim.demo_merchant())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    // The token first, so that only the category POST meets the timeout.
    client.token_info().await.unwrap();
    let outbox = open(db).await;
    let request = AddCategoryRequest::new(
        order("v3-1"),
        PaymentType::Ecom,
        CategoryType::Ticket,
        "https://shop.example/t/v3-1",
    );
    let id = outbox
        .enqueue(&NewJob::category_v3(&msn(), &request).unwrap())
        .await
        .unwrap();
    sim.inject_fault(Fault::delay(
        Route::AddCategoryV3,
        Duration::from_millis(700),
    ))
    .unwrap();
    let w = worker(&outbox, &client);
    let first = w.run_once().await.unwrap().unwrap();
    assert!(first.verdict().retry_after().is_some(), "{first:?}");
    let job = outbox.job(id).await.unwrap();
    assert!(
        job.last_error
            .as_deref()
            .unwrap()
            .contains("did not answer"),
        "{:?}",
        job.last_error
    );
    eventually("the slow POST is stored", || async {
        sim.order("123456", &PaymentType::Ecom, "v3-1").is_some()
    })
    .await;
    eventually("the job is delivered", || async {
        matches!(w.run_once().await.unwrap(), Some(p) if p.outcome() == Some(Outcome::AlreadyPresent))
    })
    .await;
    let stored = sim.order("123456", &PaymentType::Ecom, "v3-1").unwrap();
    assert_eq!(stored.categories.len(), 1, "one category, not two");
    let job = outbox.job(id).await.unwrap();
    assert_eq!(
        job.result_id,
        Some(stored.categories[0].category_id.to_string())
    );
}

async fn jobs_of_another_merchant_are_left_for_its_worker(db: &Db) {
    let other = Merchant::new("654321", "shop-two", "shop-two-secret", "shop-two-key").unwrap();
    let sim = vipps_om_sim::spawn(
        Simulator::builder()
            .merchant(other.clone())
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    let demo = sim.demo_client().unwrap();
    let two = sim.client_builder(&other).build().unwrap();
    let outbox = open(db).await;
    let theirs = outbox
        .enqueue(
            &NewJob::receipt(
                other.merchant_serial_number(),
                &PaymentType::Ecom,
                &order("two-1"),
                &receipt(1),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let ours = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("one-1"), &receipt(2)).unwrap(),
        )
        .await
        .unwrap();
    drain(&outbox, &demo, 1).await;
    assert_eq!(outbox.job(ours).await.unwrap().state, JobState::Delivered);
    assert_eq!(outbox.job(theirs).await.unwrap().state, JobState::Pending);
    assert_eq!(
        outbox.waiting_for_other_merchants("123456").await.unwrap(),
        vec![("654321".to_owned(), 1)]
    );
    let metrics = outbox.metrics().await.unwrap();
    assert_eq!(metrics.by_merchant.len(), 1);
    assert_eq!(metrics.by_merchant[0].merchant_serial_number, "654321");

    let done = worker(&outbox, &two).run_once().await.unwrap().unwrap();
    assert_eq!(done.job(), theirs);
    assert!(sim.receipt("654321", &PaymentType::Ecom, "two-1").is_some());
    assert!(sim.receipt("123456", &PaymentType::Ecom, "two-1").is_none());
}

async fn shutdown_finishes_or_releases_the_delivery_in_flight(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let outbox = open(db).await;
    let o = order("stop-1");
    let id = outbox
        .enqueue(&NewJob::receipt(&msn(), &PaymentType::Ecom, &o, &receipt(1)).unwrap())
        .await
        .unwrap();

    // A delivery that ends within the grace period is finished and recorded.
    sim.inject_fault(Fault::delay(Route::AddReceipt, Duration::from_millis(400)))
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let w = worker(&outbox, &client);
    let run = tokio::spawn(async move {
        w.run(async {
            let _ = stopped.await;
        })
        .await
    });
    eventually("in flight", || async {
        outbox.job(id).await.unwrap().state == JobState::InFlight
    })
    .await;
    stop.send(()).unwrap();
    let report = run.await.unwrap().unwrap();
    assert_eq!((report.delivered, report.released), (1, 0));
    assert_eq!(outbox.job(id).await.unwrap().state, JobState::Delivered);

    // One that does not is released: pending again, no lease, due now.
    let id = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("stop-2"), &receipt(2)).unwrap(),
        )
        .await
        .unwrap();
    sim.inject_fault(Fault::delay(Route::AddReceipt, Duration::from_secs(3)))
        .unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let w =
        worker(&outbox, &client).with_config(config().shutdown_grace(Duration::from_millis(200)));
    let run = tokio::spawn(async move {
        w.run(async {
            let _ = stopped.await;
        })
        .await
    });
    eventually("in flight", || async {
        outbox.job(id).await.unwrap().state == JobState::InFlight
    })
    .await;
    stop.send(()).unwrap();
    let report = run.await.unwrap().unwrap();
    assert_eq!((report.delivered, report.released), (0, 1));
    let job = outbox.job(id).await.unwrap();
    assert_eq!(job.state, JobState::Pending);
    assert_eq!((job.lease_owner, job.leased_until), (None, None));
    assert_eq!(job.attempts, 1, "the attempt may have reached the API");
    // The released job is delivered next time, exactly once.
    eventually("the slow request is stored", || async {
        sim.receipt("123456", &PaymentType::Ecom, "stop-2")
            .is_some()
    })
    .await;
    let done = worker(&outbox, &client).run_once().await.unwrap().unwrap();
    assert_eq!(done.outcome(), Some(Outcome::AlreadyPresent));
    assert_eq!(sim.counters().count(Route::AddReceipt, 201), 2);
}

async fn restarting_on_the_same_database_keeps_everything(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let first = open(db).await;
    let ids = first
        .enqueue_many(
            &(0..5)
                .map(|i| {
                    NewJob::receipt(
                        &msn(),
                        &PaymentType::Ecom,
                        &order(&format!("r-{i}")),
                        &receipt(i),
                    )
                    .unwrap()
                })
                .collect::<Vec<_>>(),
        )
        .await
        .unwrap();
    // One job is claimed and its worker "dies" (its lease is left behind).
    sim.inject_fault(Fault::delay(Route::AddReceipt, Duration::from_secs(2)))
        .unwrap();
    let doomed = worker(&first, &client);
    let task = tokio::spawn(async move { doomed.run_once().await });
    eventually("claimed", || async {
        first.job(ids[0]).await.unwrap().state == JobState::InFlight
    })
    .await;
    task.abort();
    first.close().await;

    // A new process: migrations are already there, the jobs too.
    let second = open(db).await;
    assert_eq!(second.metrics().await.unwrap().queue_depth, 5);
    drain(&second, &client, 2).await;
    for id in ids {
        assert_eq!(second.job(id).await.unwrap().state, JobState::Delivered);
    }
    assert_eq!(sim.counters().count(Route::AddReceipt, 201), 5);
}

async fn refused_credentials_keep_jobs_waiting_not_failed(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let wrong = sim
        .client_builder(sim.demo_merchant())
        .credentials(vipps_om::Credentials::new(
            "demo-client-id",
            "not-the-secret",
            "demo-subscription-key",
            msn(),
        ))
        .build()
        .unwrap();
    let outbox = open(db).await;
    let id = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("auth-1"), &receipt(1)).unwrap(),
        )
        .await
        .unwrap();
    let done = worker(&outbox, &wrong).run_once().await.unwrap().unwrap();
    assert!(done.verdict().retry_after().is_some(), "{done:?}");
    let job = outbox.job(id).await.unwrap();
    assert_eq!((job.state, job.last_status), (JobState::Pending, Some(401)));
    assert!(
        job.last_error.as_deref().unwrap().contains("client secret"),
        "{:?}",
        job.last_error
    );
    // Fixed credentials deliver it; the wrong secret never reached the
    // database.
    drain(&outbox, &sim.demo_client().unwrap(), 1).await;
    assert_eq!(outbox.job(id).await.unwrap().state, JobState::Delivered);
    let everything = format!(
        "{:?}{}",
        outbox.order_status("auth-1").await.unwrap(),
        outbox.job_request(id).await.unwrap().body_json().unwrap()
    );
    assert!(
        !everything.contains("not-the-secret") && !everything.contains("demo-subscription-key")
    );
}

fn category(url: &str) -> Category {
    Category::new(CategoryType::General, url)
}

async fn jobs_of_one_order_from_concurrent_transactions_go_in_commit_order(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let outbox = open(db).await;
    let o = order("tx-order-1");
    let first = NewJob::category(
        &msn(),
        &PaymentType::Ecom,
        &o,
        &category("https://shop.example/first"),
    )
    .unwrap();
    let second = NewJob::category(
        &msn(),
        &PaymentType::Ecom,
        &o,
        &category("https://shop.example/second"),
    )
    .unwrap();

    // Transaction 1 enqueues and stays open; transaction 2 enqueues a job
    // of the same order and tries to commit first.
    macro_rules! interleave {
        ($pool:expr) => {{
            let mut t1 = $pool.begin().await.unwrap();
            let a = outbox.enqueue_in(&mut t1, &first).await.unwrap();
            let (ob, pool2) = (outbox.clone(), $pool.clone());
            let t2 = tokio::spawn(async move {
                let mut t2 = pool2.begin().await.unwrap();
                let b = ob.enqueue_in(&mut t2, &second).await.unwrap();
                t2.commit().await.unwrap();
                b
            });
            tokio::time::sleep(Duration::from_millis(500)).await;
            assert!(
                !t2.is_finished(),
                "the second transaction waits for the first one's order lock"
            );
            if outbox.backend() != vipps_om_outbox::Backend::Sqlite {
                // Nothing of the order is visible yet, so nothing is claimed
                // (before the fix, the later job was claimed here).
                assert!(worker(&outbox, &client).run_once().await.unwrap().is_none());
            }
            t1.commit().await.unwrap();
            let b = tokio::time::timeout(Duration::from_secs(20), t2)
                .await
                .unwrap()
                .unwrap();
            (a, b)
        }};
    }
    let (a, b) = match outbox.backend() {
        vipps_om_outbox::Backend::Postgres => interleave!(outbox.pg_pool().unwrap()),
        vipps_om_outbox::Backend::Sqlite => interleave!(outbox.sqlite_pool().unwrap()),
        #[cfg(feature = "mysql")]
        vipps_om_outbox::Backend::Mysql => interleave!(outbox.mysql_pool().unwrap()),
        #[allow(unreachable_patterns)]
        other => unreachable!("{other:?}"),
    };
    let waiting = outbox.job(b).await.unwrap();
    assert_eq!(waiting.blocked_by, Some(a));
    drain(&outbox, &client, 2).await;
    let (ja, jb) = (outbox.job(a).await.unwrap(), outbox.job(b).await.unwrap());
    assert_eq!(
        (ja.state, jb.state),
        (JobState::Delivered, JobState::Delivered)
    );
    assert!(ja.delivered_at <= jb.delivered_at);
    let stored = sim
        .order("123456", &PaymentType::Ecom, "tx-order-1")
        .unwrap();
    assert_eq!(stored.categories.len(), 1);
    assert_eq!(
        stored.categories[0].url.as_str(),
        "https://shop.example/second"
    );
    let ids: Vec<_> = outbox
        .order_status("tx-order-1")
        .await
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(ids, vec![a, b]);
}

async fn a_job_retried_by_staff_gets_its_whole_attempt_budget_again(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = client_without_retries(&sim);
    let outbox = open(db).await;
    let id = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("budget-1"), &receipt(1)).unwrap(),
        )
        .await
        .unwrap();
    let limited = || {
        worker(&outbox, &client).with_config(config().max_attempts(Some(2)).stop_when_idle(true))
    };
    sim.inject_fault(Fault::status(Route::AddReceipt, 503).times(2))
        .unwrap();
    limited().run(std::future::pending()).await.unwrap();
    let job = outbox.job(id).await.unwrap();
    assert_eq!(
        (job.state, job.attempts, job.attempts_since_retry),
        (JobState::Failed, 2, 2)
    );

    // Retried by staff: one more transient failure is within the budget.
    outbox.retry(id).await.unwrap();
    let job = outbox.job(id).await.unwrap();
    assert_eq!(
        (job.state, job.attempts, job.attempts_since_retry),
        (JobState::Pending, 2, 0)
    );
    sim.inject_fault(Fault::status(Route::AddReceipt, 503).times(1))
        .unwrap();
    let report = limited().run(std::future::pending()).await.unwrap();
    assert_eq!((report.retried, report.failed, report.delivered), (1, 0, 1));
    let job = outbox.job(id).await.unwrap();
    assert_eq!(
        (job.state, job.attempts, job.attempts_since_retry),
        (JobState::Delivered, 4, 2)
    );
    // Attempts before the retry still count for what a 409 means.
    assert_eq!(job.outcome, Some(Outcome::Created));
}

async fn a_different_receipt_already_stored_fails_visibly_and_the_same_one_is_delivered(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let outbox = open(db).await;
    let o = order("corrected-1");
    let first = outbox
        .enqueue(&NewJob::receipt(&msn(), &PaymentType::Ecom, &o, &receipt(1)).unwrap())
        .await
        .unwrap();
    // A corrected receipt for the same order.
    let corrected = outbox
        .enqueue(&NewJob::receipt(&msn(), &PaymentType::Ecom, &o, &receipt(2)).unwrap())
        .await
        .unwrap();
    assert_ne!(first, corrected);
    let w = worker(&outbox, &client);
    assert_eq!(
        w.run_once().await.unwrap().unwrap().outcome(),
        Some(Outcome::Created)
    );
    let done = w.run_once().await.unwrap().unwrap();
    assert!(done.verdict().is_different_content());
    let job = outbox.job(corrected).await.unwrap();
    assert_eq!(
        (job.state, job.different_content, job.last_status),
        (JobState::Failed, true, Some(409))
    );
    assert!(
        job.summary()
            .contains("a different receipt is already stored"),
        "{}",
        job.summary()
    );
    assert!(
        job.last_error
            .as_deref()
            .unwrap()
            .contains("cannot be changed")
    );
    let failed = outbox.failed(10).await.unwrap();
    assert_eq!(
        failed.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![corrected]
    );
    // The app keeps the first receipt.
    let stored = sim
        .order("123456", &PaymentType::Ecom, "corrected-1")
        .unwrap();
    assert_eq!(stored.receipt, Some(receipt(1)));

    // Retrying it fails the same way (the stored receipt is still different).
    outbox.retry(corrected).await.unwrap();
    let again = w.run_once().await.unwrap().unwrap();
    assert!(again.verdict().is_different_content());

    // The same receipt, sent by something else first, is delivered.
    let o2 = order("same-elsewhere-1");
    client
        .receipts()
        .add(&PaymentType::Ecom, &o2, &receipt(3))
        .await
        .unwrap();
    let same = outbox
        .enqueue(&NewJob::receipt(&msn(), &PaymentType::Ecom, &o2, &receipt(3)).unwrap())
        .await
        .unwrap();
    let done = w.run_once().await.unwrap().unwrap();
    assert_eq!(
        (done.job(), done.outcome()),
        (same, Some(Outcome::AlreadyThere))
    );
    assert!(!outbox.job(same).await.unwrap().different_content);
}

async fn an_image_id_with_different_content_fails_visibly(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let outbox = open(db).await;
    let o = order("image-conflict-1");
    let id = ImageId::new("shop-logo").unwrap();
    let original = Image::from_bytes(id.clone(), &png(400));
    let changed = Image::from_bytes(id.clone(), &png(500));
    let first = outbox
        .enqueue(&NewJob::image(&msn(), &PaymentType::Ecom, &o, &original).unwrap())
        .await
        .unwrap();
    let second = outbox
        .enqueue(&NewJob::image(&msn(), &PaymentType::Ecom, &o, &changed).unwrap())
        .await
        .unwrap();
    let w = worker(&outbox, &client);
    assert_eq!(
        w.run_once().await.unwrap().unwrap().outcome(),
        Some(Outcome::Created)
    );
    let done = w.run_once().await.unwrap().unwrap();
    assert_eq!(done.job(), second);
    assert!(done.verdict().is_different_content(), "{done:?}");
    let job = outbox.job(second).await.unwrap();
    assert!(
        job.last_error.as_deref().unwrap().contains("new image id"),
        "{:?}",
        job.last_error
    );
    assert_eq!(outbox.job(first).await.unwrap().state, JobState::Delivered);

    // The same image again under its id (another order's job) is delivered.
    let again = outbox
        .enqueue(
            &NewJob::image(
                &msn(),
                &PaymentType::Ecom,
                &order("image-conflict-2"),
                &original,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let done = w.run_once().await.unwrap().unwrap();
    assert_eq!(
        (done.job(), done.outcome()),
        (again, Some(Outcome::AlreadyThere))
    );
}

async fn enqueuing_the_same_job_twice_queues_it_once(db: &Db) {
    let outbox = open(db).await;
    let job = NewJob::receipt(&msn(), &PaymentType::Ecom, &order("twice-1"), &receipt(1)).unwrap();
    let first = outbox.submit(&job).await.unwrap();
    assert!(!first.already_queued);
    let again = outbox.submit(&job).await.unwrap();
    assert_eq!((again.id, again.already_queued), (first.id, true));
    // In bulk, and inside one batch, the same.
    let other =
        NewJob::receipt(&msn(), &PaymentType::Ecom, &order("twice-2"), &receipt(2)).unwrap();
    let batch = outbox
        .submit_many(&[job.clone(), other.clone(), other.clone()])
        .await
        .unwrap();
    assert_eq!(
        batch.iter().map(|e| e.already_queued).collect::<Vec<_>>(),
        vec![true, false, true]
    );
    assert_eq!(batch[1].id, batch[2].id);
    assert_eq!(outbox.metrics().await.unwrap().pending, 2);
    // Different content is a different job; a caller's key decides otherwise.
    let changed =
        NewJob::receipt(&msn(), &PaymentType::Ecom, &order("twice-1"), &receipt(9)).unwrap();
    assert!(!outbox.submit(&changed).await.unwrap().already_queued);
    let keyed = |n| {
        NewJob::receipt(&msn(), &PaymentType::Ecom, &order("twice-3"), &receipt(n))
            .unwrap()
            .with_idempotency_key("checkout-77")
            .unwrap()
    };
    let k1 = outbox.submit(&keyed(1)).await.unwrap();
    let k2 = outbox.submit(&keyed(2)).await.unwrap();
    assert_eq!((k2.id, k2.already_queued), (k1.id, true));
    assert_eq!(
        outbox.job(k1.id).await.unwrap().idempotency_key.as_deref(),
        Some("checkout-77")
    );
    let long = "k".repeat(vipps_om_outbox::MAX_IDEMPOTENCY_KEY_LEN + 1);
    let err = keyed(1).with_idempotency_key(long).unwrap_err();
    assert!(err.to_string().contains("200 bytes"), "{err}");
}

/// PostgreSQL's lock table holds 6,400 locks by default; a bulk import of
/// more orders than that must not need as many: orders share
/// `ORDER_LOCK_BUCKETS` locks, and a transaction holds at most that many.
async fn a_bulk_of_thousands_of_orders_holds_a_bounded_number_of_locks(db: &Db) {
    let outbox = open(db).await;
    let jobs: Vec<NewJob> = (0..7_000)
        .map(|n| {
            NewJob::receipt(
                &msn(),
                &PaymentType::Ecom,
                &order(&format!("bulk-{n}")),
                &receipt(n),
            )
            .unwrap()
        })
        .collect();
    let done = outbox.submit_many(&jobs).await.unwrap();
    assert_eq!(done.len(), 7_000);
    assert!(done.iter().all(|e| !e.already_queued));
    assert_eq!(outbox.metrics().await.unwrap().pending, 7_000);

    if let Some(pool) = outbox.pg_pool() {
        let mut tx = pool.begin().await.unwrap();
        for n in 0..1_000 {
            let job = NewJob::receipt(
                &msn(),
                &PaymentType::Ecom,
                &order(&format!("tx-bulk-{n}")),
                &receipt(n),
            )
            .unwrap();
            outbox.enqueue_in(&mut tx, &job).await.unwrap();
        }
        let held: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
        )
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        // Fewer locks than orders, and never more than the buckets.
        assert!(
            held > 0 && held < 1_000 && held <= i64::from(vipps_om_outbox::ORDER_LOCK_BUCKETS),
            "{held} locks"
        );
        tx.commit().await.unwrap();
    }
}

/// Jobs enqueued before schema 3 are numbered in id order within their
/// order: the later job of an order still waits for the earlier one.
async fn a_schema_2_database_gets_its_order_sequences_in_id_order(db: &Db) {
    use sha2::Digest;
    let sqlite = db.server().is_none();
    let (one, two) = if sqlite {
        (
            include_str!("../migrations/sqlite/0001_outbox.sql"),
            include_str!("../migrations/sqlite/0002_integer_times.sql"),
        )
    } else {
        (
            include_str!("../migrations/postgres/0001_outbox.sql"),
            include_str!("../migrations/postgres/0002_integer_times.sql"),
        )
    };
    let sum = |sql: &str| -> String {
        sha2::Sha256::digest(sql.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let row = |order: &str, state: &str, attempts: u32| {
        format!(
            "INSERT INTO vipps_om_outbox_jobs (kind, merchant_serial_number, payment_type, order_id, \
             payload, state, attempts, next_attempt_at, created_at, updated_at) VALUES ('category_v2', \
             '123456', 'ECOM', '{order}', '{payload}', '{state}', {attempts}, 1, 1, 1);",
            payload =
                serde_json::to_string(&category(&format!("https://shop.example/{order}/{state}")))
                    .unwrap()
        )
    };
    let setup = format!(
        "{one};\n{two};\n\
        CREATE TABLE vipps_om_outbox_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
            checksum TEXT NOT NULL, applied_at BIGINT NOT NULL);
        INSERT INTO vipps_om_outbox_migrations VALUES (1, 'outbox jobs', '{}', 0);
        INSERT INTO vipps_om_outbox_migrations VALUES (2, 'integer times, nothing scheduled beyond 24 h', '{}', 0);
        {}{}{}{}",
        sum(one),
        sum(two),
        row("old-1", "delivered", 1),
        row("old-2", "pending", 3),
        row("old-1", "pending", 0),
        row("old-2", "pending", 0),
    );
    match db.server() {
        None => {
            use sqlx::ConnectOptions;
            use std::str::FromStr;
            let mut conn = sqlx::sqlite::SqliteConnectOptions::from_str(db.url())
                .unwrap()
                .connect()
                .await
                .unwrap();
            sqlx::raw_sql(&setup).execute(&mut conn).await.unwrap();
        }
        Some(_) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(db.url()).await.unwrap();
            sqlx::raw_sql(&setup).execute(&mut conn).await.unwrap();
        }
    }
    let outbox = open(db).await;
    let old2 = outbox.order_status("old-2").await.unwrap();
    assert_eq!(old2.len(), 2);
    assert_eq!(old2[1].blocked_by, Some(old2[0].id));
    // The attempts so far count against the budget until a retry.
    assert_eq!(old2[0].attempts_since_retry, 3);
    let old1 = outbox.order_status("old-1").await.unwrap();
    assert_eq!(old1[1].blocked_by, None, "the earlier job is delivered");
    // A new job of the order comes after the old ones.
    let new = outbox
        .enqueue(
            &NewJob::category(
                &msn(),
                &PaymentType::Ecom,
                &order("old-2"),
                &category("https://shop.example/new"),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let old2 = outbox.order_status("old-2").await.unwrap();
    assert_eq!(old2.last().unwrap().id, new);
    assert_eq!(outbox.job(new).await.unwrap().blocked_by, Some(old2[0].id));
}

#[tokio::test]
async fn every_sqlite_spelling_creates_the_file_but_not_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    for (name, url) in [
        ("a.db", format!("sqlite://{}", path("a.db"))),
        ("b.db", format!("sqlite:{}", path("b.db"))),
        ("c.db", path("c.db")),
        ("d.db", format!("sqlite://{}?mode=rwc", path("d.db"))),
        ("e.db", format!("SQLite://{}", path("e.db"))),
    ] {
        let outbox = Outbox::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        outbox
            .enqueue(
                &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("url-1"), &receipt(1)).unwrap(),
            )
            .await
            .unwrap();
        outbox.close().await;
        assert!(dir.path().join(name).is_file(), "{url} created {name}");
        // Opened again, the job is there.
        let again = Outbox::connect(&url).await.unwrap();
        assert_eq!(again.order_status("url-1").await.unwrap().len(), 1, "{url}");
        again.close().await;
    }
    let missing = dir.path().join("no-such-folder");
    for url in [
        format!("sqlite://{}/outbox.db", missing.display()),
        format!("{}/outbox.db", missing.display()),
    ] {
        let err = Outbox::connect(&url).await.unwrap_err();
        assert!(matches!(err, OutboxError::MissingFolder { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&missing.display().to_string()),
            "{err}"
        );
        assert!(!missing.exists());
    }
    let err = Outbox::connect("redis://db/outbox").await.unwrap_err();
    assert!(matches!(err, OutboxError::UnsupportedUrl(_)), "{err:?}");
    // A MySQL URL is MySQL's (reached, or named as not built in).
    let err = Outbox::connect("mysql://no-such-host.invalid/outbox")
        .await
        .unwrap_err();
    #[cfg(feature = "mysql")]
    assert!(err.to_string().contains("connect to MySQL"), "{err}");
    #[cfg(not(feature = "mysql"))]
    assert!(
        matches!(err, OutboxError::BackendNotBuilt { .. }),
        "{err:?}"
    );
    // In memory still works.
    let memory = Outbox::connect("sqlite::memory:").await.unwrap();
    assert_eq!(memory.metrics().await.unwrap().pending, 0);
}

/// A stored request that is not the API body of its kind (changed by hand)
/// or is in a format version this build does not know fails its job with
/// the reason, without a panic; staff replace it and it is delivered.
async fn a_stored_request_that_cannot_be_read_fails_its_job_with_the_reason(db: &Db) {
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    let outbox = open(db).await;
    let mangled = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("mangled-1"), &receipt(1)).unwrap(),
        )
        .await
        .unwrap();
    let newer = outbox
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("newer-1"), &receipt(2)).unwrap(),
        )
        .await
        .unwrap();
    let change = |sql: &'static str, id: vipps_om_outbox::JobId| {
        let outbox = outbox.clone();
        async move {
            if let Some(pool) = outbox.sqlite_pool() {
                sqlx::query(sql).bind(id.get()).execute(pool).await.unwrap();
            }
            if let Some(pool) = outbox.pg_pool() {
                sqlx::query(sql).bind(id.get()).execute(pool).await.unwrap();
            }
            #[cfg(feature = "mysql")]
            if let Some(pool) = outbox.mysql_pool() {
                vipps_om_outbox::numbered::query(&vipps_om_outbox::numbered::positional(sql))
                    .bind(id.get())
                    .execute(pool)
                    .await
                    .unwrap();
            }
        }
    };
    change(
        r#"UPDATE vipps_om_outbox_jobs SET payload = '{"orderLines": "none"}' WHERE id = $1"#,
        mangled,
    )
    .await;
    change(
        "UPDATE vipps_om_outbox_jobs SET payload_version = 2 WHERE id = $1",
        newer,
    )
    .await;
    let err = outbox.job_request(mangled).await.unwrap_err();
    assert!(
        matches!(err, OutboxError::UnreadableRequest { .. })
            && err.to_string().contains("it is not a receipt body"),
        "{err}"
    );

    let w = worker(&outbox, &client);
    for _ in 0..2 {
        let done = w.run_once().await.unwrap().expect("a job is due");
        assert!(done.verdict().is_failed(), "{done:?}");
    }
    let job = outbox.job(mangled).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    assert!(
        job.last_error
            .as_deref()
            .unwrap()
            .starts_with("the stored receipt request cannot be read (it is not a receipt body"),
        "{:?}",
        job.last_error
    );
    let job = outbox.job(newer).await.unwrap();
    assert!(
        job.last_error
            .as_deref()
            .unwrap()
            .contains("format version 2"),
        "{:?}",
        job.last_error
    );
    assert_eq!(sim.counters().count(Route::AddReceipt, 201), 0);

    // Replaced by staff (stored as version 1 again) and retried: delivered.
    for id in [mangled, newer] {
        outbox
            .update_job_payload(id, &receipt(3).into())
            .await
            .unwrap();
    }
    assert_eq!(outbox.retry_all_failed().await.unwrap(), 2);
    drain(&outbox, &client, 1).await;
    for id in [mangled, newer] {
        assert_eq!(outbox.job(id).await.unwrap().state, JobState::Delivered);
    }
}

/// The enqueue contract (README "The enqueue contract (version 1)"): rows
/// inserted with plain SQL, as a shop in another language writes them (the
/// statement of the contract, the API's own JSON bodies, nothing from this
/// crate's API), in the shop's transaction next to its order row, are
/// delivered in their order's sequence.
async fn a_plain_sql_insert_written_as_the_contract_says_is_delivered(db: &Db) {
    let outbox = open(db).await; // creates the table
    let receipt_body = include_str!("../../../examples/receipt.json");
    let category_body =
        r#"{"category": "GENERAL", "orderDetailsUrl": "https://shop.example/orders/plain-1"}"#;
    let statement = |now: &str, p: [&str; 5]| {
        format!(
            "INSERT INTO vipps_om_outbox_jobs (kind, merchant_serial_number, payment_type, order_id, payload, \
                 seq, next_attempt_at, created_at, updated_at) \
             SELECT {}, {}, {}, {}, {}, COALESCE(MAX(seq), 0) + 1, {now}, {now}, {now} \
             FROM vipps_om_outbox_jobs \
             WHERE merchant_serial_number = {} AND payment_type = {} AND order_id = {}",
            p[0], p[1], p[2], p[3], p[4], p[1], p[2], p[3]
        )
    };
    let jobs = [("receipt", receipt_body), ("category_v2", category_body)];
    if let Some(pool) = outbox.sqlite_pool() {
        let sql = statement(
            "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)",
            ["?1", "?2", "?3", "?4", "?5"],
        );
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.unwrap();
        sqlx::raw_sql("CREATE TABLE shop_orders (id TEXT PRIMARY KEY)")
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("INSERT INTO shop_orders (id) VALUES ('plain-1')")
            .execute(&mut *tx)
            .await
            .unwrap();
        for (kind, body) in jobs {
            sqlx::query(&sql)
                .bind(kind)
                .bind("123456")
                .bind("ecom")
                .bind("plain-1")
                .bind(body)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    if let Some(pool) = outbox.pg_pool() {
        let sql = statement(
            "(EXTRACT(EPOCH FROM now()) * 1000)::BIGINT",
            ["$1", "$2", "$3", "$4", "$5"],
        );
        let mut tx = pool.begin().await.unwrap();
        for (kind, body) in jobs {
            sqlx::query(&sql)
                .bind(kind)
                .bind("123456")
                .bind("ecom")
                .bind("plain-1")
                .bind(body)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    #[cfg(feature = "mysql")]
    if let Some(pool) = outbox.mysql_pool() {
        let sql = statement(
            "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)",
            ["?", "?", "?", "?", "?"],
        );
        let mut tx = pool.begin().await.unwrap();
        for (kind, body) in jobs {
            // MySQL's `?` are bound in the order they appear.
            sqlx::query(&sql)
                .bind(kind)
                .bind("123456")
                .bind("ecom")
                .bind("plain-1")
                .bind(body)
                .bind("123456")
                .bind("ecom")
                .bind("plain-1")
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    let queued = outbox.order_status("plain-1").await.unwrap();
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[0].kind, JobKind::Receipt);
    assert_eq!(queued[0].state, JobState::Pending);
    assert_eq!(queued[1].blocked_by, Some(queued[0].id));
    let now = vipps_om_outbox::Timestamp::now();
    assert!(now.since(queued[0].created_at) < Duration::from_secs(300));

    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let client = sim.demo_client().unwrap();
    drain(&outbox, &client, 2).await;
    let done = outbox.order_status("plain-1").await.unwrap();
    assert!(
        done.iter().all(|j| j.state == JobState::Delivered),
        "{done:?}"
    );
    assert!(done[0].delivered_at <= done[1].delivered_at);
    let stored = sim.order("123456", &PaymentType::Ecom, "plain-1").unwrap();
    assert_eq!(
        stored
            .receipt
            .as_ref()
            .map(|r| r.bottom_line.receipt_number.clone()),
        Some(Some("10042".to_owned())),
    );
    assert_eq!(stored.categories.len(), 1);
    assert_eq!(sim.counters().count(Route::AddReceipt, 201), 1);
}

/// Several processes starting at once on an empty database: one applies
/// the migrations (SQLite: the write lock; PostgreSQL: an advisory lock;
/// MySQL: GET_LOCK), the others wait and find nothing left to do.
async fn start_ups_racing_on_a_new_database_migrate_it_once(db: &Db) {
    // Concurrent in one task (the futures interleave on their database
    // waits): sqlx's `raw_sql` futures cannot be moved to other tasks.
    let url = db.url();
    let (a, b, c, d) = tokio::join!(
        Outbox::connect(url),
        Outbox::connect(url),
        Outbox::connect(url),
        Outbox::connect(url)
    );
    let outboxes: Vec<Outbox> = [a, b, c, d]
        .into_iter()
        .map(|o| o.expect("every start-up succeeds"))
        .collect();
    let outbox = &outboxes[0];
    // Every migration once (their numbers have a gap: 0005 is not one).
    let count = "SELECT MAX(version) AS n FROM vipps_om_outbox_migrations";
    let applied: i64 = if let Some(pool) = outbox.sqlite_pool() {
        sqlx::query_scalar(count).fetch_one(pool).await.unwrap()
    } else if let Some(pool) = outbox.pg_pool() {
        sqlx::query_scalar(count).fetch_one(pool).await.unwrap()
    } else {
        #[cfg(feature = "mysql")]
        {
            sqlx::query_scalar(count)
                .fetch_one(outbox.mysql_pool().unwrap())
                .await
                .unwrap()
        }
        #[cfg(not(feature = "mysql"))]
        unreachable!()
    };
    assert_eq!(applied, vipps_om_outbox::SCHEMA_VERSION);
    let id = outboxes[3]
        .enqueue(
            &NewJob::receipt(&msn(), &PaymentType::Ecom, &order("race-1"), &receipt(1)).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(outboxes[1].job(id).await.unwrap().state, JobState::Pending);
    for outbox in outboxes {
        outbox.close().await;
    }
}
