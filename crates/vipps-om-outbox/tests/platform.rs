//! The outbox at platform scale, against the simulator over real HTTP, on
//! SQLite, PostgreSQL and MySQL: one worker for many merchants, fairness
//! (a failing merchant is paused, not the queue; a cap on one merchant's
//! deliveries at once), pickup on enqueue (in-process wake-up, PostgreSQL
//! `NOTIFY`), `enqueue_many`, and the metrics endpoint over a real socket.
//! The PostgreSQL runs need `DATABASE_URL=postgres://...`, the MySQL runs
//! (built with the `mysql` feature) `MYSQL_URL=mysql://...` (each test
//! creates and drops its own database); they are skipped with a message
//! when it is not set.

use std::future::Future;
use std::time::{Duration, Instant};

use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{
    Amount, Client, Currency, MerchantSerialNumber, OrderId, PaymentType, Receipt, RetryPolicies,
    RetryPolicy, TaxRate,
};
use vipps_om_outbox::{
    Backend, Backoff, ClientSet, JobState, NewJob, Outbox, Worker, WorkerConfig, WorkerReport,
};
use vipps_om_sim::{Fault, FaultRoute, Merchant, Partner, Route, RunningSim, Simulator};

// ------------------------------------------------------------ fixtures

/// A fresh outbox database (see `vipps_om_testdb`).
use vipps_om_testdb::TestDb as Db;

/// The outbox on a test database.
async fn open(db: &Db) -> Outbox {
    Outbox::connect(db.url()).await.unwrap()
}

vipps_om_testdb::on_every_backend!(
    prefix: "outbox_platform",
    everywhere: [
    one_merchant_failing_everything_does_not_hold_back_the_others,
    one_merchant_never_has_more_than_its_cap_in_flight,
    an_enqueue_wakes_an_idle_worker_long_before_its_poll,
    enqueue_many_stores_every_job_in_order_once,
        a_thousand_merchants_take_turns_with_one_merchants_backlog,
    ],
);

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

fn job(msn: &str, order: &str, number: u32) -> NewJob {
    NewJob::receipt(
        &MerchantSerialNumber::new(msn).unwrap(),
        &PaymentType::Ecom,
        &OrderId::new(order).unwrap(),
        &receipt(number),
    )
    .unwrap()
}

/// A simulator with the demo merchant (123456) and `extra` more merchants
/// (200001, 200002, ...); a client without retries for each.
async fn merchants(extra: u32) -> (RunningSim, Vec<Client>) {
    let mut builder = Simulator::builder();
    let mut list = Vec::new();
    for i in 1..=extra {
        let msn = format!("{}", 200_000 + i);
        let m = Merchant::new(
            &msn,
            &format!("client-{msn}"),
            &format!("secret-{msn}"),
            &format!("key-{msn}"),
        )
        .unwrap();
        list.push(m.clone());
        builder = builder.merchant(m);
    }
    let sim = vipps_om_sim::spawn(builder.build().unwrap()).await.unwrap();
    let mut clients = vec![client_of(&sim, sim.demo_merchant())];
    for m in &list {
        clients.push(client_of(&sim, m));
    }
    (sim, clients)
}

fn client_of(sim: &RunningSim, merchant: &Merchant) -> Client {
    sim.client_builder(merchant)
        .retry_policies(RetryPolicies::uniform(RetryPolicy::never()))
        .build()
        .unwrap()
}

fn config() -> WorkerConfig {
    WorkerConfig::default()
        .lease(Duration::from_secs(5))
        .poll_interval(Duration::from_millis(20))
        .backoff(Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(200),
        })
        .shutdown_grace(Duration::from_secs(5))
}

async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs `worker` in the background until the returned sender is used.
fn spawn_worker(
    worker: Worker,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<WorkerReport>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        worker
            .run(async move {
                let _ = stopped.await;
            })
            .await
            .unwrap()
    });
    (stop, handle)
}

// ------------------------------------------------------------ scenarios

async fn one_merchant_failing_everything_does_not_hold_back_the_others(db: &Db) {
    let (sim, clients) = merchants(5).await;
    // The demo merchant answers 503 to every call, for good.
    sim.inject_fault(
        Fault::status(FaultRoute::Any, 503)
            .times(u32::MAX)
            .for_merchant("123456"),
    )
    .unwrap();
    let outbox = open(db).await;
    // The failing merchant's backlog is the oldest: enqueued first.
    let failing: Vec<NewJob> = (0..20)
        .map(|i| job("123456", &format!("down-{i}"), i))
        .collect();
    outbox.enqueue_many(&failing).await.unwrap();
    let mut healthy = Vec::new();
    for m in 1..=5u32 {
        for i in 0..8 {
            healthy.push(job(&format!("{}", 200_000 + m), &format!("up-{m}-{i}"), i));
        }
    }
    let healthy_ids = outbox.enqueue_many(&healthy).await.unwrap();
    let worker = Worker::for_merchants(outbox.clone(), ClientSet::new(clients))
        .with_config(config().concurrency(4).per_merchant_concurrency(2));
    let started = Instant::now();
    let (stop, run) = spawn_worker(worker);
    eventually(
        "every healthy merchant's job is delivered",
        Duration::from_secs(30),
        || async {
            let mut all = true;
            for id in &healthy_ids {
                all &= outbox.job(*id).await.unwrap().state == JobState::Delivered;
            }
            all
        },
    )
    .await;
    let took = started.elapsed();
    let _ = stop.send(());
    let report = run.await.unwrap();
    assert_eq!(report.delivered, 40, "{report:?}");
    // The failing merchant's jobs wait (not failed), and the merchant was
    // paused rather than hammered: each of its 20 jobs retried every
    // 50-200 ms would have made well over 100 attempts by now.
    let mut attempts = 0;
    for j in outbox.jobs_in_state(JobState::Pending, 100).await.unwrap() {
        assert_eq!(j.merchant_serial_number, "123456");
        attempts += j.attempts;
    }
    let m = outbox.metrics().await.unwrap();
    assert_eq!((m.pending, m.failed, m.delivered), (20, 0, 40), "{m:?}");
    assert!(attempts >= 1, "the failing merchant was never tried");
    let bound = 2 * (2 + u32::try_from(took.as_secs()).unwrap_or(u32::MAX));
    assert!(
        attempts <= bound.max(12),
        "{attempts} attempts in {took:?} for a merchant that should be paused"
    );
    // Every healthy merchant's receipts are in the simulator.
    for m in 1..=5u32 {
        assert!(
            sim.receipt(
                &format!("{}", 200_000 + m),
                &PaymentType::Ecom,
                &format!("up-{m}-7")
            )
            .is_some()
        );
    }
}

async fn one_merchant_never_has_more_than_its_cap_in_flight(db: &Db) {
    let (sim, clients) = merchants(1).await;
    // Every receipt of the busy merchant takes 300 ms.
    sim.inject_fault(
        Fault::delay(Route::AddReceipt, Duration::from_millis(300))
            .times(1000)
            .for_merchant("123456"),
    )
    .unwrap();
    let outbox = open(db).await;
    let busy: Vec<NewJob> = (0..12)
        .map(|i| job("123456", &format!("busy-{i}"), i))
        .collect();
    let busy_ids = outbox.enqueue_many(&busy).await.unwrap();
    let other: Vec<NewJob> = (0..4)
        .map(|i| job("200001", &format!("other-{i}"), i))
        .collect();
    let other_ids = outbox.enqueue_many(&other).await.unwrap();
    let worker = Worker::for_merchants(outbox.clone(), ClientSet::new(clients))
        .with_config(config().concurrency(8).per_merchant_concurrency(3));
    let (stop, run) = spawn_worker(worker);
    let mut most = 0;
    let mut others_done_while_busy = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let m = outbox.metrics().await.unwrap();
        let busy_now = m
            .by_merchant
            .iter()
            .find(|q| q.merchant_serial_number == "123456")
            .map_or(0, |q| q.in_flight);
        most = most.max(busy_now);
        let busy_left = m
            .by_merchant
            .iter()
            .find(|q| q.merchant_serial_number == "123456")
            .map_or(0, |q| q.pending + q.in_flight);
        let mut others = true;
        for id in &other_ids {
            others &= outbox.job(*id).await.unwrap().state == JobState::Delivered;
        }
        if others && busy_left > 0 {
            others_done_while_busy = true;
        }
        if busy_left == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the busy merchant never drained");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop.send(());
    let report = run.await.unwrap();
    assert_eq!(report.delivered, 16, "{report:?}");
    assert!(
        most <= 3,
        "{most} deliveries of one merchant at once, cap 3"
    );
    assert!(
        most >= 2,
        "never more than {most} at once: the cap was not reached"
    );
    assert!(
        others_done_while_busy,
        "the other merchant waited for the busy one's backlog"
    );
    for id in busy_ids {
        assert_eq!(outbox.job(id).await.unwrap().state, JobState::Delivered);
    }
}

async fn an_enqueue_wakes_an_idle_worker_long_before_its_poll(db: &Db) {
    let (_sim, clients) = merchants(0).await;
    let outbox = open(db).await;
    // A poll far longer than the test may wait: only a wake-up delivers.
    let worker = Worker::new(outbox.clone(), clients[0].clone())
        .with_config(config().poll_interval(Duration::from_secs(600)));
    let (stop, run) = spawn_worker(worker);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // On PostgreSQL through another connection pool (another "process"):
    // only the NOTIFY can wake the worker. On SQLite the same handle.
    let enqueuer = if outbox.pg_pool().is_some() {
        open(db).await
    } else {
        outbox.clone()
    };
    let enqueued = Instant::now();
    let id = enqueuer.enqueue(&job("123456", "wake-1", 1)).await.unwrap();
    eventually("the job is picked up", Duration::from_secs(10), || async {
        outbox.job(id).await.unwrap().state == JobState::Delivered
    })
    .await;
    assert!(
        enqueued.elapsed() < Duration::from_secs(10),
        "{:?}",
        enqueued.elapsed()
    );
    if let Some(pool) = enqueuer.pg_pool() {
        // Enqueued in the caller's transaction: announced on commit.
        let mut tx = pool.begin().await.unwrap();
        let id = enqueuer
            .enqueue_in(&mut tx, &job("123456", "wake-2", 2))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(outbox.job(id).await.ok().map(|j| j.state), None);
        tx.commit().await.unwrap();
        eventually(
            "the job committed in the caller's transaction is picked up",
            Duration::from_secs(10),
            || async { outbox.job(id).await.unwrap().state == JobState::Delivered },
        )
        .await;
    }
    let _ = stop.send(());
    let report = run.await.unwrap();
    assert_eq!(
        report.delivered,
        if enqueuer.pg_pool().is_some() { 2 } else { 1 }
    );
}

async fn enqueue_many_stores_every_job_in_order_once(db: &Db) {
    let outbox = open(db).await;
    let already = outbox.enqueue(&job("123456", "many-0", 0)).await.unwrap();
    // More than one statement's worth (ENQUEUE_BATCH), with the job
    // already stored, a duplicate inside the batch, and three jobs of one
    // order that must keep their order.
    let n = vipps_om_outbox::ENQUEUE_BATCH + 500;
    let mut jobs = vec![job("123456", "many-0", 0)];
    for i in 1..n {
        let order = if i % 500 == 0 {
            "many-seq".to_owned()
        } else {
            format!("many-{i}")
        };
        jobs.push(job("123456", &order, u32::try_from(i).unwrap()));
    }
    jobs.push(job("123456", "many-7", 7));
    let done = outbox.submit_many(&jobs).await.unwrap();
    assert_eq!(done.len(), jobs.len());
    assert_eq!((done[0].id, done[0].already_queued), (already, true));
    assert!(done[1..n].iter().all(|e| !e.already_queued));
    let last = done.last().unwrap();
    assert_eq!((last.id, last.already_queued), (done[7].id, true));
    let m = outbox.metrics().await.unwrap();
    assert_eq!(m.pending, u64::try_from(n).unwrap());
    // The order's jobs in their sequence are in the batch's order.
    let seq: Vec<_> = outbox
        .order_status("many-seq")
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    let expected: Vec<_> = (1..n)
        .filter(|i| i % 500 == 0)
        .map(|i| done[i].id)
        .collect();
    assert_eq!(seq, expected);
    assert_eq!(seq.len(), 2);
    // Only the first of them can be claimed: the second waits behind it.
    let status = outbox.job(expected[1]).await.unwrap();
    assert_eq!(status.blocked_by, Some(expected[0]));
    // An empty batch stores nothing.
    assert!(outbox.enqueue_many(&[]).await.unwrap().is_empty());
}

/// 1,000 merchants under one partner, one of them with a backlog of 300
/// receipts enqueued before everyone else's one: the others' receipts are
/// not held back behind the backlog (merchants take turns), and the
/// backlog is delivered oldest first.
async fn a_thousand_merchants_take_turns_with_one_merchants_backlog(db: &Db) {
    const OTHERS: u32 = 999;
    const BACKLOG: u32 = 300;
    let msns: Vec<String> = (0..=OTHERS).map(|i| format!("{}", 400_000 + i)).collect();
    let linked: Vec<&str> = msns.iter().map(String::as_str).collect();
    let sim = vipps_om_sim::spawn(
        Simulator::builder()
            .request_log_capacity(0)
            .partner(Partner::new("platform", "p-client", "p-secret", "p-key", &linked).unwrap())
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    let partner = sim.partner_client("platform").unwrap().unwrap();
    let outbox = open(db).await;
    let busy = msns[0].clone();
    let backlog: Vec<NewJob> = (0..BACKLOG)
        .map(|i| job(&busy, &format!("backlog-{i}"), i))
        .collect();
    let backlog_ids = outbox.enqueue_many(&backlog).await.unwrap();
    let others: Vec<NewJob> = msns[1..]
        .iter()
        .map(|msn| job(msn, &format!("one-{msn}"), 1))
        .collect();
    let other_ids = outbox.enqueue_many(&others).await.unwrap();
    let worker = Worker::for_merchants(outbox.clone(), partner)
        .with_config(config().concurrency(16).per_merchant_concurrency(4));
    let (stop, run) = spawn_worker(worker);
    eventually(
        "every other merchant's receipt is delivered",
        Duration::from_secs(120),
        || async {
            let m = outbox.metrics().await.unwrap();
            m.by_merchant
                .iter()
                .all(|q| q.merchant_serial_number == busy || q.pending + q.in_flight == 0)
        },
    )
    .await;
    // The backlog is older than every other job; taken oldest first across
    // merchants it would all have gone before them. Taking turns, the
    // merchant with the backlog got about one delivery per round of the
    // others (at most its cap of 4 at once).
    // One statement, one snapshot: the backlog's jobs still pending.
    let pending: Vec<_> = outbox
        .jobs_in_state(JobState::Pending, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    let busy_delivered = backlog_ids.len() - pending.len();
    // Oldest first within the merchant: what is still pending is the end
    // of the backlog, in order (a claim takes a merchant's oldest due job).
    assert_eq!(
        pending,
        backlog_ids[busy_delivered..].to_vec(),
        "the backlog was not taken oldest first"
    );
    // MySQL claims from every due job at once, the merchants with the
    // oldest first (its due index holds delivered jobs too, so it has no
    // cheap skip scan): the backlog's merchant gets a job in every claim,
    // and the others still all get theirs, only later.
    if outbox.backend() != Backend::Mysql {
        assert!(
            busy_delivered < 150,
            "{busy_delivered} of the backlog's {BACKLOG} jobs were delivered before the other 999 merchants' single jobs"
        );
    }
    eventually("the backlog drains", Duration::from_secs(120), || async {
        outbox.metrics().await.unwrap().queue_depth == 0
    })
    .await;
    let _ = stop.send(());
    let report = run.await.unwrap();
    assert_eq!(report.delivered, u64::from(BACKLOG + OTHERS), "{report:?}");
    for id in &other_ids {
        assert_eq!(outbox.job(*id).await.unwrap().state, JobState::Delivered);
    }
    assert_eq!(
        sim.counters().count(Route::AddReceipt, 201),
        u64::from(BACKLOG + OTHERS)
    );
}

// ------------------------------------------------------------ metrics

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_endpoint_serves_prometheus_text_that_moves() {
    use vipps_om_outbox::telemetry::{Health, install_recorder, serve_metrics};
    let handle = install_recorder().unwrap();
    let db = Db::sqlite("outbox.db");
    let outbox = open(&db).await;
    let (sim, clients) = merchants(1).await;
    sim.inject_fault(
        Fault::status(Route::AddReceipt, 503)
            .times(u32::MAX)
            .for_merchant("200001"),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let health = Health::new();
    let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_metrics(
        listener,
        outbox.clone(),
        handle,
        health.clone(),
        async move {
            let _ = server_stopped.await;
        },
    ));
    let http = reqwest::Client::new();
    let get = |path: &'static str| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let r = http.get(format!("{base}{path}")).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(get("/healthz").await.0, 200);
    assert_eq!(get("/readyz").await.0, 200);
    let before = get("/metrics").await.1;
    let ids = outbox
        .enqueue_many(&[
            job("123456", "m-1", 1),
            job("123456", "m-2", 2),
            job("200001", "m-3", 3),
        ])
        .await
        .unwrap();
    let worker = Worker::for_merchants(outbox.clone(), ClientSet::new(clients))
        .with_config(config().concurrency(2));
    let (stop, run) = spawn_worker(worker);
    eventually("two jobs delivered", Duration::from_secs(20), || async {
        outbox.job(ids[1]).await.unwrap().state == JobState::Delivered
            && outbox.job(ids[0]).await.unwrap().state == JobState::Delivered
            // Paused after failures in a row (one failure pauses no one).
            && outbox.job(ids[2]).await.unwrap().attempts
                >= vipps_om_outbox::PAUSE_AFTER_FAILURES
    })
    .await;
    let _ = stop.send(());
    run.await.unwrap();
    let (status, after) = get("/metrics").await;
    assert_eq!(status, 200);
    for name in [
        "vipps_om_outbox_jobs{state=\"delivered\"} 2",
        "vipps_om_outbox_jobs{state=\"pending\"} 1",
        "vipps_om_outbox_merchant_jobs{",
        "merchant=\"200001\"",
        "vipps_om_outbox_deliveries_total{kind=\"receipt\",result=\"delivered\",status=\"none\"}",
        "vipps_om_outbox_deliveries_total{kind=\"receipt\",result=\"retry\",status=\"503\"}",
        "vipps_om_outbox_delivery_duration_seconds_bucket",
        "vipps_om_outbox_enqueue_to_delivered_seconds_bucket",
        "vipps_om_outbox_merchant_pauses_total{merchant=\"200001\",reason=\"5xx\"}",
        "vipps_om_token_fetches_total",
        "vipps_om_outbox_claimed_jobs_total",
    ] {
        assert!(after.contains(name), "{name} missing from:\n{after}");
    }
    let delivered = |text: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with("vipps_om_outbox_jobs{state=\"delivered\"}"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    assert!(
        delivered(&after) > delivered(&before),
        "{before}\n---\n{after}"
    );
    // Not ready once shutting down; still alive.
    health.shutting_down();
    assert_eq!(get("/readyz").await.0, 503);
    assert_eq!(get("/healthz").await.0, 200);
    let _ = stop_server.send(());
    server.await.unwrap().unwrap();
}
