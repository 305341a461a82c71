//! The outbox at platform scale (run by `bench/platform.sh`, which starts
//! PostgreSQL and `vipps-om sim` with a merchants file): many merchants,
//! several worker processes, one merchant failing.
//!
//! `platform worker DB_URL SIM_URL MERCHANTS CONCURRENCY`: one worker
//! process for every merchant linked to the partner `bench-partner`
//! (partner keys: one token and one connection pool for all merchants;
//! the simulator links 300001..=300000+MERCHANTS to it) until SIGTERM.
//!
//! `platform run ADMIN_DB_URL SIM_URL MERCHANTS RECEIPTS PROCESSES
//! CONCURRENCY LABEL [FAILING_MSN 429_MSN]`: a fresh database; PROCESSES
//! worker processes started and idle; RECEIPTS receipts spread over the
//! merchants enqueued with `enqueue_many` (1,000 a call); waits until every
//! healthy merchant's receipt is delivered; prints one line of JSON:
//! throughput, enqueue→delivered p50/p99 of the healthy merchants'
//! receipts (database clock), the enqueue rate, and the CPU time the
//! worker processes used (from /proc, per delivered receipt).
//!
//! `platform pickup DB_URL SIM_URL SAMPLES`: a worker process idle on the
//! database (its poll 200 ms), this process enqueues one receipt at a
//! time through its own connection and measures until it is delivered
//! (polling every 2 ms): idle pickup p50/p99.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use sqlx::Row;
use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{
    Amount, Credentials, Currency, MerchantSerialNumber, OrderId, PartnerClient, PaymentType,
    Receipt, RetryPolicies, RetryPolicy, TaxRate,
};
use vipps_om_outbox::{ConnectOptions, JobState, NewJob, Outbox, Worker, WorkerConfig};

fn receipt(number: usize) -> Receipt {
    ReceiptBuilder::new(Currency::Nok)
        .line(
            LineBuilder::new("sku-1", "Wool socks")
                .unit_price(Amount::minor(14_900))
                .quantity("2")
                .tax_rate(TaxRate::from_percent(25)),
        )
        .receipt_number(number.to_string())
        .build()
        .expect("a valid receipt")
}

fn msn_of(i: usize) -> String {
    format!("{}", 300_001 + i)
}

/// The partner keys of `bench/platform.sh`'s merchants file.
fn partner(sim: &str) -> PartnerClient {
    PartnerClient::builder()
        .base_url(sim)
        .retry_policies(RetryPolicies::uniform(RetryPolicy::never()))
        .build_partner(Credentials::partner(
            "bench-partner-client",
            "bench-partner-secret",
            "bench-partner-key",
        ))
        .expect("a partner client")
}

#[path = "common/cpu.rs"]
mod cpu;

/// CPU time (user + system) a process has used, in milliseconds.
fn cpu_ms(pid: u32) -> u64 {
    cpu::cpu_ms(Some(pid))
}

fn arg(args: &[String], i: usize) -> &str {
    args.get(i).map(String::as_str).unwrap_or_else(|| {
        eprintln!("usage: see the header of benches/platform.rs");
        std::process::exit(2)
    })
}

fn num(args: &[String], i: usize) -> usize {
    arg(args, i).parse().expect("a number")
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes --bench: ignore it.
    let args: Vec<String> = args.into_iter().filter(|a| a != "--bench").collect();
    match args.get(1).map(String::as_str) {
        Some("worker") => worker(&args).await,
        Some("run") => run(&args).await,
        Some("pickup") => pickup(&args).await,
        _ => eprintln!("usage: platform worker|run|pickup ... (see benches/platform.rs)"),
    }
}

async fn worker(args: &[String]) {
    let (db, sim, _merchants, concurrency) =
        (arg(args, 2), arg(args, 3), num(args, 4), num(args, 5));
    let outbox = Outbox::connect_with(db, ConnectOptions::default().with_max_connections(16))
        .await
        .expect("the outbox");
    let config = WorkerConfig::default()
        .concurrency(concurrency)
        .poll_interval(Duration::from_millis(200));
    let worker = Worker::for_merchants(outbox, partner(sim)).with_config(config);
    let mut term =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM");
    let report = worker
        .run(async move {
            term.recv().await;
        })
        .await
        .expect("the worker");
    eprintln!("worker: {report:?}");
}

fn spawn_workers(n: usize, db: &str, sim: &str, merchants: usize, c: usize) -> Vec<Child> {
    let me = std::env::current_exe().expect("this program");
    (0..n)
        .map(|_| {
            Command::new(&me)
                .args(["worker", db, sim, &merchants.to_string(), &c.to_string()])
                .spawn()
                .expect("a worker process")
        })
        .collect()
}

/// The CPU time a process and its children used so far (a PostgreSQL
/// server and its backends: ended backends are not counted), in
/// milliseconds.
fn tree_cpu_ms(pid: u32) -> u64 {
    let mut total = cpu_ms(pid);
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(child) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let parent = std::fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|stat| {
                    let (_, rest) = stat.rsplit_once(") ")?;
                    rest.split(' ').nth(1)?.parse::<u32>().ok()
                });
            if parent == Some(pid) {
                total += cpu_ms(child);
            }
        }
    }
    total
}

/// `PLATFORM_SIM_PID` and `PLATFORM_PG_PID` (set by bench/platform.sh):
/// the CPU time the simulator and the PostgreSQL server used so far.
fn others_cpu_ms() -> (u64, u64) {
    let of = |var: &str| {
        std::env::var(var)
            .ok()
            .and_then(|p| p.parse::<u32>().ok())
            .map_or(0, tree_cpu_ms)
    };
    (of("PLATFORM_SIM_PID"), of("PLATFORM_PG_PID"))
}

/// The CPU time the processes used so far, in milliseconds.
fn children_cpu_ms(children: &[Child]) -> u64 {
    children.iter().map(|c| cpu_ms(c.id())).sum()
}

fn stop(children: Vec<Child>) {
    for child in &children {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
    }
    for mut child in children {
        let _ = child.wait();
    }
}

async fn fresh_database(admin: &str, label: &str) -> String {
    use sqlx::Connection;
    let name = format!("platform_{label}_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("PostgreSQL");
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .expect("drop");
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create");
    let (base, _) = admin.rsplit_once('/').expect("a database URL");
    format!("{base}/{name}")
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn run(args: &[String]) {
    let (admin, sim, merchants, receipts, processes, concurrency, label) = (
        arg(args, 2),
        arg(args, 3),
        num(args, 4),
        num(args, 5),
        num(args, 6),
        num(args, 7),
        arg(args, 8),
    );
    let unhealthy: Vec<String> = args.iter().skip(9).cloned().collect();
    let db = fresh_database(admin, label).await;
    let outbox = Outbox::connect(&db).await.expect("the outbox");
    let workers = spawn_workers(processes, &db, sim, merchants, concurrency);
    // Let them connect, LISTEN and go idle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let jobs: Vec<NewJob> = (0..receipts)
        .map(|i| {
            NewJob::receipt(
                &MerchantSerialNumber::new(msn_of(i % merchants)).expect("an MSN"),
                &PaymentType::Ecom,
                &OrderId::new(format!("{label}-{i}")).expect("an order id"),
                &receipt(i),
            )
            .expect("a job")
        })
        .collect();
    let healthy_total = jobs
        .iter()
        .filter(|j| {
            !unhealthy
                .iter()
                .any(|m| m == j.merchant_serial_number().as_str())
        })
        .count();
    let worker_cpu_before = children_cpu_ms(&workers);
    let (sim_cpu_before, pg_cpu_before) = others_cpu_ms();
    let pool = outbox.pg_pool().expect("PostgreSQL").clone();
    // The run's time is read from the database's clock (enqueue start to
    // the last delivery), so the poll below can be slow and cheap: a
    // count over the table every 20 ms cost PostgreSQL about a tenth of
    // the CPU it spent on delivering.
    let db_now = "SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT AS now";
    let started_at: i64 = sqlx::query(db_now)
        .fetch_one(&pool)
        .await
        .and_then(|r| r.try_get("now"))
        .expect("the database clock");
    let started = Instant::now();
    for chunk in jobs.chunks(1000) {
        outbox.enqueue_many(chunk).await.expect("enqueue");
    }
    let enqueued_in = started.elapsed();
    let unhealthy_json = serde_json::to_string(&unhealthy).expect("json");
    let count_sql = "SELECT COUNT(*) AS n FROM vipps_om_outbox_jobs WHERE state = 'delivered' \
         AND merchant_serial_number NOT IN (SELECT jsonb_array_elements_text(CAST($1 AS TEXT)::jsonb))";
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let n: i64 = sqlx::query(count_sql)
            .bind(&unhealthy_json)
            .fetch_one(&pool)
            .await
            .and_then(|r| r.try_get("n"))
            .expect("count");
        if usize::try_from(n).unwrap_or(0) >= healthy_total {
            break;
        }
        if Instant::now() > deadline {
            eprintln!("gave up after 600 s with {n} of {healthy_total} delivered");
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let last_delivered: i64 = sqlx::query(
        "SELECT COALESCE(MAX(delivered_at), 0) AS last FROM vipps_om_outbox_jobs WHERE state = 'delivered'",
    )
    .fetch_one(&pool)
    .await
    .and_then(|r| r.try_get("last"))
    .expect("the last delivery");
    let took = Duration::from_millis(
        u64::try_from(last_delivered.saturating_sub(started_at))
            .unwrap_or(1)
            .max(1),
    );
    let worker_cpu = children_cpu_ms(&workers).saturating_sub(worker_cpu_before);
    let (sim_cpu, pg_cpu) = others_cpu_ms();
    let (sim_cpu, pg_cpu) = (
        sim_cpu.saturating_sub(sim_cpu_before),
        pg_cpu.saturating_sub(pg_cpu_before),
    );
    stop(workers);
    let mut waited: Vec<i64> = sqlx::query(
        "SELECT delivered_at - created_at AS w FROM vipps_om_outbox_jobs WHERE state = 'delivered' \
         AND merchant_serial_number NOT IN (SELECT jsonb_array_elements_text(CAST($1 AS TEXT)::jsonb))",
    )
    .bind(&unhealthy_json)
    .fetch_all(&pool)
    .await
    .expect("latencies")
    .iter()
    .map(|r| r.try_get::<i64, _>("w").unwrap_or(0))
    .collect();
    waited.sort_unstable();
    let m = outbox.metrics().await.expect("metrics");
    let attempts_unhealthy: i64 = sqlx::query(
        "SELECT COALESCE(SUM(attempts), 0)::BIGINT AS n FROM vipps_om_outbox_jobs \
         WHERE merchant_serial_number IN (SELECT jsonb_array_elements_text(CAST($1 AS TEXT)::jsonb))",
    )
    .bind(&unhealthy_json)
    .fetch_one(&pool)
    .await
    .and_then(|r| r.try_get("n"))
    .unwrap_or(0);
    #[allow(clippy::cast_precision_loss)]
    let line = serde_json::json!({
        "label": label,
        "merchants": merchants,
        "receipts": receipts,
        "processes": processes,
        "concurrencyPerProcess": concurrency,
        "healthyDelivered": waited.len(),
        "seconds": took.as_secs_f64(),
        "receiptsPerSecond": waited.len() as f64 / took.as_secs_f64(),
        "enqueueToDeliveredMs": {"p50": percentile(&waited, 0.5), "p99": percentile(&waited, 0.99), "max": waited.last().copied().unwrap_or(0)},
        "enqueueManyJobsPerSecond": receipts as f64 / enqueued_in.as_secs_f64(),
        "workerCpuMs": worker_cpu,
        "workerCpuUsPerReceipt": worker_cpu as f64 * 1000.0 / (waited.len().max(1) as f64),
        "simCpuMs": sim_cpu,
        "postgresCpuMs": pg_cpu,
        "loadAverage": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
        "unhealthyMerchants": unhealthy,
        "unhealthyAttempts": attempts_unhealthy,
        "failed": m.failed,
    });
    println!("{line}");
    outbox.close().await;
    // Dropped, not left for the next run: the server's autovacuum would
    // clean up its 60,000 dead row versions during that run, on its CPU.
    drop_database(admin, &db).await;
}

async fn drop_database(admin: &str, db: &str) {
    use sqlx::Connection;
    let Some((_, name)) = db.rsplit_once('/') else {
        return;
    };
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}

async fn pickup(args: &[String]) {
    let (db, sim, samples) = (arg(args, 2), arg(args, 3), num(args, 4));
    let outbox = Outbox::connect(db).await.expect("the outbox");
    let workers = spawn_workers(1, db, sim, 1, 4);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut took = Vec::with_capacity(samples);
    // Of each sample: the enqueue's own commit, and the rest (NOTIFY, the
    // worker's wake-up and claim), to tell where a slow pickup was slow.
    let mut committed = Vec::with_capacity(samples);
    let mut after_commit = Vec::with_capacity(samples);
    for i in 0..samples {
        // Idle between samples, at a random phase of the worker's poll.
        tokio::time::sleep(Duration::from_millis(100 + fastrand::u64(0..300))).await;
        let job = NewJob::receipt(
            &MerchantSerialNumber::new(msn_of(0)).expect("an MSN"),
            &PaymentType::Ecom,
            &OrderId::new(format!("pickup-{}-{i}", std::process::id())).expect("an order id"),
            &receipt(i),
        )
        .expect("a job");
        let start = Instant::now();
        let id = outbox.enqueue(&job).await.expect("enqueue");
        let enqueued = start.elapsed();
        loop {
            let state = outbox.job(id).await.expect("status").state;
            if state != JobState::Pending {
                break;
            }
            if start.elapsed() > Duration::from_secs(30) {
                eprintln!("job {id} not picked up in 30 s");
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let total = start.elapsed();
        took.push(i64::try_from(total.as_micros()).unwrap_or(i64::MAX));
        committed.push(i64::try_from(enqueued.as_micros()).unwrap_or(i64::MAX));
        after_commit.push(i64::try_from((total - enqueued).as_micros()).unwrap_or(i64::MAX));
    }
    committed.sort_unstable();
    after_commit.sort_unstable();
    stop(workers);
    took.sort_unstable();
    let line = serde_json::json!({
        "backend": outbox.backend().as_str(),
        "samples": samples,
        "pickupMs": {
            "p50": percentile(&took, 0.5) as f64 / 1000.0,
            "p99": percentile(&took, 0.99) as f64 / 1000.0,
            "max": took.last().copied().unwrap_or(0) as f64 / 1000.0,
        },
        "enqueueMs": {
            "p50": percentile(&committed, 0.5) as f64 / 1000.0,
            "p99": percentile(&committed, 0.99) as f64 / 1000.0,
        },
        "afterCommitMs": {
            "p50": percentile(&after_commit, 0.5) as f64 / 1000.0,
            "p99": percentile(&after_commit, 0.99) as f64 / 1000.0,
        },
    });
    println!("{line}");
}
