//! Outbox throughput and latency against the in-process simulator:
//! `cargo bench -p vipps-om-outbox --features mysql` (PostgreSQL rows when
//! `DATABASE_URL` points at a server, MySQL rows when `MYSQL_URL` does; a
//! fresh database is created and dropped).
//!
//! - enqueue rate: one `enqueue` per job (each its own commit), and
//!   `enqueue_many` (one transaction for all);
//! - delivered receipts per second: N worker tasks in this process draining
//!   a queue of receipts into the simulator (also in this process);
//! - the added latency of `enqueue_in` inside a caller's transaction: a
//!   transaction that inserts an order row and commits, with and without
//!   an outbox job in it.
//!
//! Prints a Markdown table. Sizes: `OUTBOX_BENCH_JOBS` (default 5000).

use std::time::{Duration, Instant};

use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{Amount, Currency, MerchantSerialNumber, OrderId, PaymentType, Receipt, TaxRate};
use vipps_om_outbox::{Backoff, NewJob, Outbox, WorkerConfig, run_workers};

fn receipt(number: usize) -> Receipt {
    ReceiptBuilder::new(Currency::Nok)
        .line(
            LineBuilder::new("sku-1", "Wool socks")
                .unit_price(Amount::minor(14_900))
                .quantity("2")
                .tax_rate(TaxRate::from_percent(25)),
        )
        .shipping(
            "Home delivery",
            Amount::minor(9_900),
            TaxRate::from_percent(25),
        )
        .receipt_number(number.to_string())
        .build()
        .expect("a valid receipt")
}

fn jobs(prefix: &str, n: usize) -> Vec<NewJob> {
    let msn = MerchantSerialNumber::new("123456").expect("msn");
    (0..n)
        .map(|i| {
            NewJob::receipt(
                &msn,
                &PaymentType::Ecom,
                &OrderId::new(format!("{prefix}-{i}")).expect("order id"),
                &receipt(i),
            )
            .expect("job")
        })
        .collect()
}

/// A fresh database URL, and what to drop afterwards.
async fn database(
    backend: &str,
    dir: &std::path::Path,
    name: &str,
) -> Option<(String, Option<(String, String)>)> {
    if backend == "MySQL" {
        return mysql_database(name).await;
    }
    if backend == "SQLite" {
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.join(format!("{name}.db")).display()
        );
        return Some((url, None));
    }
    let admin = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))?;
    use sqlx::Connection;
    let db = format!("outbox_bench_{name}_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .ok()?;
    sqlx::raw_sql(&format!("CREATE DATABASE {db}"))
        .execute(&mut conn)
        .await
        .ok()?;
    let (base, query) = admin.split_once('?').unwrap_or((&admin, ""));
    let root = base.rsplit_once('/').map(|(r, _)| r).unwrap_or(base);
    let url = if query.is_empty() {
        format!("{root}/{db}")
    } else {
        format!("{root}/{db}?{query}")
    };
    Some((url, Some((admin, db))))
}

/// A fresh MySQL database (`MYSQL_URL`, with the `mysql` feature).
#[cfg(feature = "mysql")]
async fn mysql_database(name: &str) -> Option<(String, Option<(String, String)>)> {
    let admin = std::env::var("MYSQL_URL")
        .ok()
        .filter(|u| u.starts_with("mysql"))?;
    use sqlx::Connection;
    let db = format!("outbox_bench_{name}_{}", std::process::id());
    let mut conn = sqlx::MySqlConnection::connect(&admin).await.ok()?;
    sqlx::raw_sql(&format!(
        "DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db} CHARACTER SET utf8mb4"
    ))
    .execute(&mut conn)
    .await
    .ok()?;
    let (base, query) = admin.split_once('?').unwrap_or((&admin, ""));
    let root = base.rsplit_once('/').map(|(r, _)| r).unwrap_or(base);
    let url = if query.is_empty() {
        format!("{root}/{db}")
    } else {
        format!("{root}/{db}?{query}")
    };
    Some((url, Some((admin, db))))
}

#[cfg(not(feature = "mysql"))]
async fn mysql_database(_name: &str) -> Option<(String, Option<(String, String)>)> {
    None
}

async fn drop_database(target: Option<(String, String)>) {
    #[cfg(feature = "mysql")]
    if let Some((admin, db)) = &target
        && admin.starts_with("mysql")
    {
        use sqlx::Connection;
        if let Ok(mut conn) = sqlx::MySqlConnection::connect(admin).await {
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {db}"))
                .execute(&mut conn)
                .await;
        }
        return;
    }
    if let Some((admin, db)) = target {
        use sqlx::Connection;
        if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
            let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}

fn per_second(n: usize, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Enqueue rates: one commit per job, and one transaction for all.
async fn enqueue_rates(outbox: &Outbox, n: usize) -> (f64, f64) {
    let single = jobs("single", n);
    let started = Instant::now();
    for job in &single {
        outbox.enqueue(job).await.expect("enqueue");
    }
    let one_by_one = per_second(n, started.elapsed());
    let batch = jobs("batch", n);
    let started = Instant::now();
    outbox.enqueue_many(&batch).await.expect("enqueue_many");
    (one_by_one, per_second(n, started.elapsed()))
}

#[path = "common/cpu.rs"]
mod cpu;

/// Receipts per second delivered by `workers` tasks draining `n` jobs, and
/// this process's CPU time per receipt in µs (workers and simulator; the
/// database server's is not counted).
async fn delivery_rate(outbox: &Outbox, workers: usize, n: usize, round: &str) -> (f64, f64) {
    let sim = vipps_om_sim::spawn(
        vipps_om_sim::Simulator::builder()
            .request_log_capacity(0)
            .build()
            .expect("sim config"),
    )
    .await
    .expect("sim");
    let client = sim.demo_client().expect("client");
    client.token_info().await.expect("token");
    outbox.enqueue_many(&jobs(round, n)).await.expect("enqueue");
    let config = WorkerConfig::default()
        .poll_interval(Duration::from_millis(5))
        .backoff(Backoff {
            initial: Duration::from_millis(50),
            max: Duration::from_millis(500),
        })
        .stop_when_idle(true);
    let started = Instant::now();
    let cpu_before = cpu::cpu_ms(None);
    let report = run_workers(outbox, &client, &config, workers, std::future::pending())
        .await
        .expect("no worker stops abnormally");
    let elapsed = started.elapsed();
    let cpu = cpu::cpu_ms(None).saturating_sub(cpu_before);
    assert_eq!(report.delivered as usize, n, "{report:?}");
    assert_eq!(
        sim.counters().count(vipps_om_sim::Route::AddReceipt, 201) as usize,
        n
    );
    (per_second(n, elapsed), cpu as f64 * 1000.0 / n as f64)
}

/// The caller's own insert, in the transaction measured.
const ORDER_INSERT: &str = "INSERT INTO bench_orders (id, total) VALUES ($1, $2)";

/// Latency of a caller's transaction (insert an order row, commit) without
/// and with an outbox job in it: medians and p99.
async fn transaction_latency(outbox: &Outbox, rounds: usize) -> [Duration; 4] {
    let msn = MerchantSerialNumber::new("123456").expect("msn");
    let mut plain = Vec::with_capacity(rounds);
    let mut with_job = Vec::with_capacity(rounds);
    macro_rules! measure {
        ($pool:expr, $insert:expr) => {{
            sqlx::raw_sql("CREATE TABLE IF NOT EXISTS bench_orders (id VARCHAR(64) PRIMARY KEY, total BIGINT NOT NULL)")
                .execute($pool)
                .await
                .expect("orders table");
            for i in 0..rounds {
                for enqueue in [false, true] {
                    let order = format!("tx-{i}-{enqueue}");
                    let job = NewJob::receipt(
                        &msn,
                        &PaymentType::Ecom,
                        &OrderId::new(order.as_str()).expect("order id"),
                        &receipt(i),
                    )
                    .expect("job");
                    let started = Instant::now();
                    let mut tx = $pool.begin().await.expect("begin");
                    vipps_om_outbox::numbered::query($insert)
                        .bind(&order)
                        .bind(39_700_i64)
                        .execute(&mut *tx)
                        .await
                        .expect("insert");
                    if enqueue {
                        outbox.enqueue_in(&mut tx, &job).await.expect("enqueue_in");
                    }
                    tx.commit().await.expect("commit");
                    if enqueue {
                        with_job.push(started.elapsed());
                    } else {
                        plain.push(started.elapsed());
                    }
                }
            }
        }};
    }
    match (outbox.sqlite_pool(), outbox.pg_pool()) {
        (Some(pool), _) => measure!(pool, ORDER_INSERT),
        (None, Some(pool)) => measure!(pool, ORDER_INSERT),
        #[cfg(feature = "mysql")]
        (None, None) => {
            let insert = vipps_om_outbox::numbered::positional(ORDER_INSERT);
            measure!(outbox.mysql_pool().expect("one backend"), &insert)
        }
        #[allow(unreachable_patterns)]
        _ => unreachable!("one backend"),
    }
    plain.sort();
    with_job.sort();
    [
        percentile(&plain, 0.5),
        percentile(&plain, 0.99),
        percentile(&with_job, 0.5),
        percentile(&with_job, 0.99),
    ]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else is read.
    let n: usize = std::env::var("OUTBOX_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "Outbox benchmark: {n} receipts per run, simulator and workers in this process ({} cores, load average {})\n",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    let mut enqueue_rows = Vec::new();
    let mut delivery_rows = Vec::new();
    let mut latency_rows = Vec::new();
    for (backend, worker_counts) in [
        ("SQLite", &[1usize, 4][..]),
        ("PostgreSQL", &[1usize, 4][..]),
        ("MySQL", &[1usize, 4][..]),
    ] {
        let Some((url, target)) = database(backend, dir.path(), "main").await else {
            eprintln!(
                "{backend}: skipped (PostgreSQL: set DATABASE_URL=postgres://...; MySQL: build with --features mysql and set MYSQL_URL=mysql://...)"
            );
            continue;
        };
        let outbox = Outbox::connect(&url).await.expect("connect");
        let (single, batch) = enqueue_rates(&outbox, n).await;
        enqueue_rows.push(format!(
            "| {backend} | {single:.0} jobs/s | {batch:.0} jobs/s |"
        ));
        let [plain50, plain99, job50, job99] = transaction_latency(&outbox, 1_000).await;
        latency_rows.push(format!(
            "| {backend} | {} / {} | {} / {} | +{} |",
            ms(plain50),
            ms(plain99),
            ms(job50),
            ms(job99),
            ms(job50.saturating_sub(plain50))
        ));
        outbox.close().await;
        drop_database(target).await;
        // Each delivery run on a fresh database holding only its queue.
        for &workers in worker_counts {
            let name = format!("deliver{workers}");
            let Some((url, target)) = database(backend, dir.path(), &name).await else {
                continue;
            };
            let outbox = Outbox::connect(&url).await.expect("connect");
            let (rate, cpu) = delivery_rate(&outbox, workers, n, &name).await;
            delivery_rows.push(format!(
                "| {backend} | {workers} | {rate:.0} receipts/s | {cpu:.0} µs |"
            ));
            outbox.close().await;
            drop_database(target).await;
        }
    }
    println!("| Backend | `enqueue` (one commit each) | `enqueue_many` (one transaction) |");
    println!("|---|---|---|");
    for row in &enqueue_rows {
        println!("{row}");
    }
    println!(
        "\n| Backend | Worker tasks | Delivered | CPU per receipt (this process: workers and simulator) |"
    );
    println!("|---|---|---|---|");
    for row in &delivery_rows {
        println!("{row}");
    }
    println!(
        "\n| Backend | Caller's transaction, p50 / p99 | Same with `enqueue_in`, p50 / p99 | Added (p50) |"
    );
    println!("|---|---|---|---|");
    for row in &latency_rows {
        println!("{row}");
    }
}
