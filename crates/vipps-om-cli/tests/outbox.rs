//! `vipps-om outbox`: the real binary against an in-process simulator.
//!
//! The crash-safety proof: 5,000 receipts are queued with `outbox enqueue
//! --bulk`, then `outbox run` worker processes deliver them while the
//! simulator answers with injected 500s, 429s and slow responses and the
//! test kills workers with SIGKILL at random moments, many times, and
//! starts new ones on the database they left. At the end the simulator
//! holds every receipt exactly once (and the right one), the outbox shows
//! every job delivered, and nothing is failed or stuck. SQLite runs one
//! worker process at a time; PostgreSQL (when `DATABASE_URL` points at a
//! server; skipped with a message otherwise) and MySQL (`MYSQL_URL`) run
//! four in parallel.
//!
//! The chaos is measured by progress, so that a loaded machine proves the
//! same as a quiet one: one injected fault waits at a time (faults come in
//! proportion to the calls made), and the chaos lasts until at least 1,000
//! receipts are delivered (and 30 s have passed), or everything is, with a
//! limit of 4 minutes; it must deliver at least 250, and something in at
//! least three of every four 10-second windows; a worker's life (0.3–2.5 s) counts from when it
//! says it started delivering, not from its spawn (one in eight from its
//! spawn, so that some die mid-start-up), since a debug binary on a
//! loaded machine can take seconds to start. `OUTBOX_CRASH_KEEP_LOG=/tmp/crash` keeps the
//! workers' log (`/tmp/crash.sqlite.log`, ...) and
//! `OUTBOX_CRASH_RUST_LOG=warn,vipps_om_outbox=debug` makes it tell each
//! start and delivery, with timestamps.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vipps_om_testdb::TestDb;

use vipps_om::builder::{LineBuilder, ReceiptBuilder};
use vipps_om::{Amount, Currency, PaymentType, Receipt, TaxRate};
use vipps_om_outbox::{JobState, Outbox, Outcome};
use vipps_om_sim::{Fault, Route, RunningSim};

const BIN: &str = env!("CARGO_BIN_EXE_vipps-om");
const RECEIPTS: u32 = 5_000;

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

/// A small deterministic generator (xorshift), seeded from the clock and
/// printed so that a failing run can be repeated with `OUTBOX_CRASH_SEED`.
struct Rng(u64);

impl Rng {
    fn new(name: &str) -> Rng {
        let seed = std::env::var("OUTBOX_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("{name}: OUTBOX_CRASH_SEED={seed}");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in `low..high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low).max(1)
    }
}

/// The `vipps-om` command with the demo merchant, the simulator and the
/// outbox database, and nothing from the developer's environment.
fn command(sim: &RunningSim, database_url: &str, home: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("VIPPS_BASE_URL", sim.base_url())
        .env("VIPPS_CLIENT_ID", "demo-client-id")
        .env("VIPPS_CLIENT_SECRET", "demo-client-secret")
        .env("VIPPS_SUBSCRIPTION_KEY", "demo-subscription-key")
        .env("VIPPS_MERCHANT_SERIAL_NUMBER", "123456")
        .env("VIPPS_OM_DATABASE_URL", database_url)
        .stdin(Stdio::null());
    cmd
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sqlite,
    Postgres,
    Mysql,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgres",
            Kind::Mysql => "mysql",
        }
    }
}

/// A fresh database of `kind` (see `vipps_om_testdb`), or `None` when its
/// server is not configured (the test says so and passes).
async fn database(kind: Kind, tag: &str) -> Option<TestDb> {
    let prefix = format!("outbox_{tag}");
    match kind {
        Kind::Sqlite => Some(TestDb::sqlite("outbox.db")),
        Kind::Postgres => TestDb::postgres(&prefix).await,
        Kind::Mysql => TestDb::mysql(&prefix).await,
    }
}

/// A worker process and where its log goes.
struct WorkerProcess {
    child: Child,
    log: std::path::PathBuf,
    spawned: Instant,
    /// When its log said it started delivering.
    ready: Option<Instant>,
    /// How long it lives: counted from `ready`, or (`from_spawn`, one
    /// worker in eight) from its spawn, so that some die mid-start-up.
    lives_for: Duration,
    from_spawn: bool,
}

/// What a worker logs once it delivers (at info level, which
/// [`start_worker`] turns on for the worker module).
const READY_LINE: &str = "outbox worker started";

/// A worker that has not started delivering this long after its spawn is
/// killed anyway (and counted): a very slow start must not stall the test.
const START_LIMIT: Duration = Duration::from_secs(30);

impl WorkerProcess {
    /// Whether its time is up; notes when it became ready.
    fn due(&mut self) -> bool {
        if self.ready.is_none()
            && std::fs::read_to_string(&self.log).is_ok_and(|text| text.contains(READY_LINE))
        {
            self.ready = Some(Instant::now());
        }
        let since = if self.from_spawn {
            Some(self.spawned)
        } else {
            self.ready
        };
        since.is_some_and(|t| t.elapsed() >= self.lives_for)
            || self.spawned.elapsed() >= START_LIMIT
    }
}

fn start_worker(
    sim: &RunningSim,
    url: &str,
    home: &Path,
    log: std::path::PathBuf,
    workers: u16,
    lives_for: Duration,
    from_spawn: bool,
) -> WorkerProcess {
    let file = std::fs::File::create(&log).unwrap();
    let mut cmd = command(sim, url, home);
    cmd.env(
        "RUST_LOG",
        std::env::var("OUTBOX_CRASH_RUST_LOG")
            .unwrap_or_else(|_| "warn,vipps_om_outbox::worker=info".to_owned()),
    );
    let child = cmd
        .args([
            "outbox",
            "run",
            "--workers",
            &workers.to_string(),
            "--lease-secs",
            "2",
            "--poll-ms",
            "50",
            "--grace-secs",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .expect("the vipps-om binary starts");
    WorkerProcess {
        child,
        log,
        spawned: Instant::now(),
        ready: None,
        lives_for,
        from_spawn,
    }
}

/// Appends a killed worker's log to the run's log (kept with
/// `OUTBOX_CRASH_KEEP_LOG`).
fn append_log(all: &Path, one: &Path) {
    use std::io::Write as _;
    let text = std::fs::read(one).unwrap_or_default();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(all)
        .unwrap();
    file.write_all(&text).unwrap();
    let _ = std::fs::remove_file(one);
}

/// Injects one random fault on the receipt route (or, rarely, the token
/// route): 500s, 429s with Retry-After, slow answers longer than the lease.
fn inject_random_fault(sim: &RunningSim, rng: &mut Rng) -> &'static str {
    let fault = match rng.between(0, 10) {
        0..=4 => (
            Fault::status(
                Route::AddReceipt,
                if rng.between(0, 2) == 0 { 500 } else { 503 },
            )
            .times(rng.between(1, 6) as u32),
            "5xx",
        ),
        5..=6 => (
            Fault::status(Route::AddReceipt, 429)
                .retry_after(1)
                .times(rng.between(1, 3) as u32),
            "429",
        ),
        7..=8 => (
            Fault::delay(
                Route::AddReceipt,
                Duration::from_millis(rng.between(500, 3_000)),
            )
            .times(rng.between(1, 4) as u32),
            "delay",
        ),
        _ => (Fault::status(Route::AccessToken, 503), "token 503"),
    };
    sim.inject_fault(fault.0).unwrap();
    fault.1
}

/// Deliveries after which the chaos may end (with [`CHAOS_AT_LEAST`] and
/// [`MIN_KILLS`]): 1,000 of the 5,000.
const CHAOS_DELIVERIES: u64 = 1_000;

/// Deliveries the chaos phase must see however slow the machine: 250
/// (5 % of the receipts through workers that keep being killed). A quiet
/// machine delivers [`CHAOS_DELIVERIES`] within the chaos; a loaded one
/// (two cores at load 16, measured: 2–4 deliveries a second) may not
/// within [`CHAOS_AT_MOST`], and must instead show progress all along.
const CHAOS_AT_LEAST_DELIVERED: u64 = 250;

/// The chaos is cut into windows of 10 s; at least three in four must
/// deliver something (a stalled claim, a pause that never ends, workers
/// that never start would show as empty windows).
const PROGRESS_WINDOW: Duration = Duration::from_secs(10);

/// The chaos lasts at least this long once enough is delivered, so that
/// a fast machine still sees many kills mid-delivery.
const CHAOS_AT_LEAST: Duration = Duration::from_secs(30);

/// The chaos phase's limit: it ends after this long even when fewer than
/// [`CHAOS_DELIVERIES`] were delivered (see [`CHAOS_AT_LEAST_DELIVERED`]).
const CHAOS_AT_MOST: Duration = Duration::from_secs(240);

/// Worker processes killed at least.
const MIN_KILLS: u32 = 25;

/// The two crash tests take the machine's cores; they run one after the
/// other.
static ONE_CRASH_TEST_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Delivers 5,000 receipts through worker processes that are killed at
/// random, `parallel` at a time, and checks that nothing was lost or sent
/// twice.
async fn crash_safety(kind: Kind, parallel: usize, workers_per_process: u16) {
    let _turn = ONE_CRASH_TEST_AT_A_TIME.lock().await;
    let name = kind.name();
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = database(kind, "crash").await else {
        return;
    };
    let url = db.url().to_owned();
    let started = Instant::now();
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let mut rng = Rng::new(name);

    // Queue 5,000 receipts through the CLI (one transaction).
    let bulk = dir.path().join("receipts.jsonl");
    let lines: Vec<String> = (0..RECEIPTS)
        .map(|i| {
            serde_json::json!({"orderId": format!("crash-{i}"), "paymentType": "ECOM", "receipt": receipt(i)})
                .to_string()
        })
        .collect();
    std::fs::write(&bulk, lines.join("\n")).unwrap();
    let queued = command(&sim, &url, dir.path())
        .args(["--json", "outbox", "enqueue", "--bulk"])
        .arg(&bulk)
        .output()
        .unwrap();
    assert!(
        queued.status.success(),
        "{}",
        String::from_utf8_lossy(&queued.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&queued.stdout).unwrap();
    assert_eq!(summary["summary"]["enqueued"], RECEIPTS);
    eprintln!(
        "{name}: queued {RECEIPTS} receipts in {:?}",
        started.elapsed()
    );

    let outbox = Outbox::connect(&url).await.unwrap();
    let log = dir.path().join("workers.log");
    let mut running: Vec<WorkerProcess> = Vec::new();
    let mut spawned = 0u32;
    // Spawn to "started delivering", of the workers that got there.
    let mut start_ups: Vec<Duration> = Vec::new();
    let mut kills = 0u32;
    let mut faults: Vec<&str> = Vec::new();
    let chaos_started = Instant::now();
    let mut next_fault = Instant::now();
    // Chaos: kill workers at random moments and start new ones, with faults
    // injected all along, until everything is delivered and enough kills
    // have happened, or enough was delivered under chaos for long enough,
    // or the time is up. The phase is measured by progress, not by the
    // clock alone: on a loaded machine deliveries are slower, and the
    // chaos lasts longer to show the same thing.
    // Deliveries per window of the chaos: progress all along, not in a
    // burst.
    let mut windows: Vec<u64> = Vec::new();
    let mut window = (Instant::now(), 0u64);
    loop {
        let metrics = outbox.metrics().await.unwrap();
        if window.0.elapsed() >= PROGRESS_WINDOW {
            // (Windows after everything was delivered do not count.)
            if window.1 < u64::from(RECEIPTS) {
                windows.push(metrics.delivered.saturating_sub(window.1));
            }
            window = (Instant::now(), metrics.delivered);
        }
        let done = metrics.delivered == u64::from(RECEIPTS);
        let enough =
            metrics.delivered >= CHAOS_DELIVERIES && chaos_started.elapsed() >= CHAOS_AT_LEAST;
        if ((done || enough) && kills >= MIN_KILLS) || chaos_started.elapsed() >= CHAOS_AT_MOST {
            break;
        }
        // One fault waits at a time: faults come in proportion to the
        // calls made, so that a slow machine gets no more faulted calls
        // than a fast one (faults injected by the clock alone pile up
        // there and fail nearly every call, and every new worker's token).
        if Instant::now() >= next_fault && sim.faults().is_empty() {
            faults.push(inject_random_fault(&sim, &mut rng));
            next_fault = Instant::now() + Duration::from_millis(rng.between(100, 600));
        }
        let mut i = 0;
        while i < running.len() {
            if running[i].due() {
                let mut worker = running.swap_remove(i);
                worker.child.kill().unwrap(); // SIGKILL
                let status = worker.child.wait().unwrap();
                assert!(
                    !status.success(),
                    "a worker exited by itself before it was killed: {status}"
                );
                kills += 1;
                if let Some(ready) = worker.ready {
                    start_ups.push(ready.duration_since(worker.spawned));
                }
                append_log(&log, &worker.log);
            } else {
                i += 1;
            }
        }
        while running.len() < parallel {
            let lives_for = Duration::from_millis(rng.between(300, 2_500));
            spawned += 1;
            running.push(start_worker(
                &sim,
                &url,
                dir.path(),
                dir.path().join(format!("worker-{spawned}.log")),
                workers_per_process,
                lives_for,
                rng.between(0, 8) == 0,
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for mut worker in running.drain(..) {
        worker.child.kill().unwrap();
        worker.child.wait().unwrap();
        kills += 1;
        append_log(&log, &worker.log);
    }
    start_ups.sort_unstable();
    if let Ok(keep) = std::env::var("OUTBOX_CRASH_KEEP_LOG") {
        std::fs::copy(&log, format!("{keep}.{name}.log")).unwrap();
    }
    let chaos = chaos_started.elapsed();
    let delivered_in_chaos = outbox.metrics().await.unwrap().delivered;
    eprintln!(
        "{name}: {kills} SIGKILLs (worker start-up median {:?}, max {:?}), {} faults injected ({} 5xx, {} 429, {} delays, {} token), {delivered_in_chaos} delivered during the chaos, {chaos:?}",
        start_ups
            .get(start_ups.len() / 2)
            .copied()
            .unwrap_or_default(),
        start_ups.last().copied().unwrap_or_default(),
        faults.len(),
        faults.iter().filter(|f| **f == "5xx").count(),
        faults.iter().filter(|f| **f == "429").count(),
        faults.iter().filter(|f| **f == "delay").count(),
        faults.iter().filter(|f| **f == "token 503").count(),
    );
    assert!(
        kills >= MIN_KILLS,
        "too few kills to prove anything: {kills}"
    );
    let progressing = windows.iter().filter(|n| **n > 0).count();
    eprintln!("{name}: deliveries per {PROGRESS_WINDOW:?} of the chaos: {windows:?}");
    assert!(
        delivered_in_chaos >= CHAOS_AT_LEAST_DELIVERED,
        "too little was delivered while workers were being killed: {delivered_in_chaos} in {chaos:?} (at least {CHAOS_AT_LEAST_DELIVERED}); set OUTBOX_CRASH_KEEP_LOG=/tmp/crash to keep the workers' log"
    );
    assert!(
        progressing * 4 >= windows.len() * 3,
        "deliveries stalled during the chaos: only {progressing} of {} windows of {PROGRESS_WINDOW:?} delivered anything ({windows:?}); set OUTBOX_CRASH_KEEP_LOG=/tmp/crash to keep the workers' log",
        windows.len()
    );

    // A last worker on the database the killed ones left finishes the rest
    // (their leases expire after 2 s) and stops when nothing is left.
    sim.clear_faults();
    let finish = command(&sim, &url, dir.path())
        .args([
            "outbox",
            "run",
            "--drain",
            "--workers",
            &workers_per_process.to_string(),
            "--lease-secs",
            "2",
            "--poll-ms",
            "50",
        ])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        finish.status.success(),
        "the final run failed: {}\n{}",
        String::from_utf8_lossy(&finish.stdout),
        String::from_utf8_lossy(&finish.stderr)
    );

    // The outbox: every job delivered, nothing failed, pending or leased.
    let metrics = outbox.metrics().await.unwrap();
    assert_eq!(
        (
            metrics.delivered,
            metrics.pending,
            metrics.in_flight,
            metrics.failed
        ),
        (u64::from(RECEIPTS), 0, 0, 0),
        "{metrics:?}"
    );
    let delivered = outbox
        .jobs_in_state(JobState::Delivered, RECEIPTS + 1)
        .await
        .unwrap();
    assert_eq!(delivered.len(), RECEIPTS as usize);
    assert!(delivered.iter().all(|j| j.lease_owner.is_none()));
    let already_present = delivered
        .iter()
        .filter(|j| j.outcome == Some(Outcome::AlreadyPresent))
        .count();
    assert!(
        delivered
            .iter()
            .all(|j| j.outcome != Some(Outcome::AlreadyThere)),
        "no receipt was stored before its job's first attempt"
    );
    let attempts: u64 = delivered.iter().map(|j| u64::from(j.attempts)).sum();

    // The simulator: every receipt exactly once, and the right one.
    let counters = sim.counters();
    assert_eq!(
        counters.count(Route::AddReceipt, 201),
        u64::from(RECEIPTS),
        "each receipt created exactly once"
    );
    let orders = sim.orders();
    assert_eq!(orders.len(), RECEIPTS as usize);
    for order in &orders {
        let number: u32 = order
            .order_id
            .strip_prefix("crash-")
            .and_then(|n| n.parse().ok())
            .expect("an order of this test");
        assert_eq!(
            order.receipt.as_ref(),
            Some(&receipt(number)),
            "{}",
            order.order_id
        );
        assert_eq!(order.payment_type, PaymentType::Ecom);
    }
    let conflicts = counters.count(Route::AddReceipt, 409);
    assert!(conflicts >= already_present as u64);
    eprintln!(
        "{name}: all {RECEIPTS} delivered exactly once in {:?}: {attempts} attempts, {already_present} found already stored after a crash or timeout, {conflicts} answers 409, {} 5xx and {} 429 answers",
        started.elapsed(),
        counters.count(Route::AddReceipt, 500) + counters.count(Route::AddReceipt, 503),
        counters.count(Route::AddReceipt, 429),
    );
    outbox.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_workers_killed_at_random_lose_nothing_and_send_nothing_twice() {
    crash_safety(Kind::Sqlite, 1, 4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_workers_killed_at_random_lose_nothing_and_send_nothing_twice() {
    crash_safety(Kind::Postgres, 4, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_workers_killed_at_random_lose_nothing_and_send_nothing_twice() {
    crash_safety(Kind::Mysql, 4, 2).await;
}

/// SIGTERM: the delivery in flight finishes within the grace period, the
/// command exits 0 with its summary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_delivery_in_flight_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("o.db").display());
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let file = dir.path().join("r.json");
    std::fs::write(&file, serde_json::to_vec(&receipt(1)).unwrap()).unwrap();
    let queued = command(&sim, &url, dir.path())
        .args(["outbox", "enqueue", "--order-id", "term-1", "--file"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(queued.status.success(), "{queued:?}");
    assert!(String::from_utf8_lossy(&queued.stdout).contains("Queued job 1"));

    sim.inject_fault(Fault::delay(Route::AddReceipt, Duration::from_millis(1500)))
        .unwrap();
    let child = command(&sim, &url, dir.path())
        .args(["outbox", "run", "--workers", "1", "--poll-ms", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let outbox = Outbox::connect(&url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while outbox.metrics().await.unwrap().in_flight == 0 {
        assert!(Instant::now() < deadline, "never claimed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Stopping"), "{stderr}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 delivered"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let jobs = outbox.order_status("term-1").await.unwrap();
    assert_eq!(jobs[0].state, JobState::Delivered);
    assert!(
        sim.receipt("123456", &PaymentType::Ecom, "term-1")
            .is_some()
    );
}

/// The commands staff use: status, failed with the API's field reasons,
/// retry with a fixed request, JSON shapes and exit codes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_jobs_show_the_api_reasons_and_a_fixed_retry_delivers() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("o.db").display());
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let run = |args: &[&str]| command(&sim, &url, dir.path()).args(args).output().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        br#"{"category": "RECEIPT", "orderDetailsUrl": "https://shop.example/o/9", "imageId": "missing-image"}"#,
    )
    .unwrap();
    let good = dir.path().join("good.json");
    std::fs::write(
        &good,
        br#"{"category": "RECEIPT", "orderDetailsUrl": "https://shop.example/o/9"}"#,
    )
    .unwrap();
    let out = run(&[
        "outbox",
        "enqueue",
        "--kind",
        "category",
        "--order-id",
        "o-9",
        "--file",
        bad.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");

    // Invalid input is refused at once, with its field paths (exit 2).
    let invalid = dir.path().join("invalid.json");
    std::fs::write(
        &invalid,
        br#"{"orderLines": [], "bottomLine": {"currency": "NOK"}}"#,
    )
    .unwrap();
    let out = run(&[
        "outbox",
        "enqueue",
        "--order-id",
        "o-10",
        "--file",
        invalid.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    let out = run(&["outbox", "run", "--drain", "--poll-ms", "20"]);
    assert_eq!(out.status.code(), Some(1), "a job failed: {out:?}");

    let out = run(&["outbox", "failed"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("job 1") && text.contains("imageId"), "{text}");
    assert!(text.contains("vipps-om outbox retry 1"), "{text}");

    let out = run(&["--json", "outbox", "failed"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["jobs"][0]["state"], "failed");
    assert_eq!(json["jobs"][0]["lastStatus"], 400);
    assert_eq!(json["jobs"][0]["problems"][0]["path"], "imageId");

    let out = run(&["--json", "outbox", "status"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["metrics"]["failed"], 1);
    assert_eq!(json["backend"], "SQLite");

    let out = run(&["outbox", "retry", "1", "--file", good.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let out = run(&["outbox", "run", "--drain", "--poll-ms", "20"]);
    assert!(out.status.success(), "{out:?}");
    let out = run(&["--json", "outbox", "status", "o-9"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["jobs"][0]["state"], "delivered");
    assert_eq!(json["jobs"][0]["attempts"], 2);
    assert_eq!(
        sim.order("123456", &PaymentType::Ecom, "o-9")
            .unwrap()
            .categories
            .len(),
        1
    );

    // Nothing failed any more; retrying a delivered job is a usage error.
    let out = run(&["outbox", "retry", "--all-failed"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 failed job(s)"));
    let out = run(&["outbox", "retry", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is delivered"));

    // A bad URL is explained without its password.
    let out = command(&sim, "oracle://user:hunter2@db/x", dir.path())
        .args(["outbox", "status"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("unsupported database URL") && !stderr.contains("hunter2"),
        "{stderr}"
    );
    // So is a MySQL server that cannot be reached.
    let out = command(
        &sim,
        "mysql://user:hunter2@no-such-host.invalid/x",
        dir.path(),
    )
    .args(["outbox", "status"])
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("MySQL") && !stderr.contains("hunter2"),
        "{stderr}"
    );
}

/// Waits for `child` to exit, at most `limit`; kills it and fails past that.
fn wait_at_most(mut child: Child, limit: Duration) -> std::process::Output {
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn enqueue_receipt(sim: &RunningSim, url: &str, dir: &Path, order: &str, number: u32) {
    let file = dir.join(format!("{order}.json"));
    std::fs::write(&file, serde_json::to_vec(&receipt(number)).unwrap()).unwrap();
    let queued = command(sim, url, dir)
        .args(["outbox", "enqueue", "--order-id", order, "--file"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(queued.status.success(), "{queued:?}");
}

/// A 429 with `Retry-After: 18446744073709551615` (u64::MAX seconds) used
/// to panic every worker while the process reported "0 delivered": now
/// the job waits the capped hour, `outbox status` reads it, the workers
/// go on and deliver another order's receipt.
async fn a_huge_retry_after_leaves_the_workers_running(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = database(kind, "huge_retry_after").await else {
        return;
    };
    let url = db.url().to_owned();
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    enqueue_receipt(&sim, &url, dir.path(), "limited-1", 1);
    enqueue_receipt(&sim, &url, dir.path(), "later-2", 2);
    sim.inject_fault(Fault::status(Route::AddReceipt, 429).retry_after(u64::MAX))
        .unwrap();
    // One worker: it claims `limited-1` (queued first) first, so the one
    // injected 429 falls on it; with two, either order's POST could be the
    // first to reach the simulator.
    let mut child = command(&sim, &url, dir.path())
        .args(["outbox", "run", "--workers", "1", "--poll-ms", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let outbox = Outbox::connect(&url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let later = outbox.order_status("later-2").await.unwrap();
        if later[0].state == JobState::Delivered {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the worker process ended early"
        );
        assert!(
            Instant::now() < deadline,
            "the later order was never delivered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(child.try_wait().unwrap().is_none(), "the workers survive");

    let out = command(&sim, &url, dir.path())
        .args(["--json", "outbox", "status", "limited-1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let job = &json["jobs"][0];
    assert_eq!(job["state"], "pending", "{json}");
    assert_eq!(job["lastStatus"], 429, "{json}");
    let status = outbox.order_status("limited-1").await.unwrap();
    let next = status[0].next_attempt_at.expect("a next attempt");
    let wait = next.since(vipps_om_outbox::Timestamp::now());
    assert!(
        wait <= vipps_om::retry::MAX_RETRY_AFTER && wait > Duration::from_secs(3000),
        "{wait:?}"
    );
    let text = command(&sim, &url, dir.path())
        .args(["outbox", "status", "limited-1"])
        .output()
        .unwrap();
    assert!(text.status.success(), "{text:?}");

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let out = wait_at_most(child, Duration::from_secs(30));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 delivered, 1 to try again"), "{stdout}");
    drop(outbox);
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_huge_retry_after_leaves_the_workers_running() {
    a_huge_retry_after_leaves_the_workers_running(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_huge_retry_after_leaves_the_workers_running() {
    a_huge_retry_after_leaves_the_workers_running(Kind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_a_huge_retry_after_leaves_the_workers_running() {
    a_huge_retry_after_leaves_the_workers_running(Kind::Mysql).await;
}

/// The database vanishes under running workers (SQLite: its table is
/// dropped; PostgreSQL: the whole database is). After `--max-db-outage-secs`
/// the process exits 3 naming the reason, and prints no success summary.
async fn a_vanished_database_is_a_failure_with_the_reason(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let Some(db) = database(kind, "vanished").await else {
        return;
    };
    let url = db.url().to_owned();
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    enqueue_receipt(&sim, &url, dir.path(), "gone-1", 1);
    let child = command(&sim, &url, dir.path())
        .args([
            "outbox",
            "run",
            "--workers",
            "2",
            "--poll-ms",
            "20",
            "--max-db-outage-secs",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The database goes away once the delivery is recorded (not merely
    // sent: a worker still recording would wait out its own retries).
    let deadline = Instant::now() + Duration::from_secs(30);
    let watcher = Outbox::connect(&url).await.unwrap();
    while watcher
        .order_status("gone-1")
        .await
        .unwrap()
        .first()
        .is_none_or(|job| job.state != JobState::Delivered)
    {
        assert!(Instant::now() < deadline, "never delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    watcher.close().await;
    assert!(
        sim.receipt("123456", &PaymentType::Ecom, "gone-1")
            .is_some()
    );
    if db.server().is_none() {
        let outbox = Outbox::connect(&url).await.unwrap();
        sqlx::raw_sql("DROP TABLE vipps_om_outbox_jobs")
            .execute(outbox.sqlite_pool().unwrap())
            .await
            .unwrap();
        outbox.close().await;
    } else {
        db.drop_database().await;
    }
    let out = wait_at_most(child, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("stopped abnormally"), "{stderr}");
    assert!(
        stderr.contains("outbox database has failed every claim"),
        "{stderr}"
    );
    assert!(stderr.contains("1 delivered"), "{stderr}");
    assert!(
        !stdout.contains("delivered"),
        "no success summary: {stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_vanished_database_is_a_failure_with_the_reason() {
    a_vanished_database_is_a_failure_with_the_reason(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_vanished_database_is_a_failure_with_the_reason() {
    a_vanished_database_is_a_failure_with_the_reason(Kind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_a_vanished_database_is_a_failure_with_the_reason() {
    a_vanished_database_is_a_failure_with_the_reason(Kind::Mysql).await;
}

/// Every way people write a SQLite database: the file is created (not
/// its folder) on every command; a missing folder is a configuration
/// error (exit 2) naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_database_url_spelling_works_and_a_missing_folder_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let abs = |name: &str| dir.path().join(name).display().to_string();
    for (url, file) in [
        (format!("sqlite://{}", abs("a.db")), "a.db"),
        (format!("sqlite:{}", abs("b.db")), "b.db"),
        (abs("c.db"), "c.db"),
        ("./d.db".to_owned(), "d.db"),
        ("sqlite://e.db".to_owned(), "e.db"),
        (format!("sqlite://{}?mode=rwc", abs("f.db")), "f.db"),
    ] {
        let out = command(&sim, &url, dir.path())
            .current_dir(dir.path())
            .args(["outbox", "status"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{url}: {out:?}");
        assert!(dir.path().join(file).is_file(), "{url} creates {file}");
        // --database-url too, on another command.
        let out = Command::new(BIN)
            .env_clear()
            .env("HOME", dir.path())
            .current_dir(dir.path())
            .args(["outbox", "failed", "--database-url", &url])
            .output()
            .unwrap();
        assert!(out.status.success(), "{url}: {out:?}");
    }
    let missing = dir.path().join("missing");
    for url in [
        format!("sqlite://{}/outbox.db", missing.display()),
        format!("{}/outbox.db", missing.display()),
    ] {
        let out = command(&sim, &url, dir.path())
            .args(["outbox", "status"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{url}: {stderr}");
        assert!(
            stderr.contains(&format!("folder {} ", missing.display()))
                && stderr.contains("does not exist"),
            "{stderr}"
        );
        assert!(!missing.exists(), "the folder is not created");
    }
}

/// A corrected receipt for an order that already has one is a visible
/// failure (exit 1, `outbox failed`), not "delivered"; enqueuing the same
/// work again is "already queued".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_receipt_is_a_visible_failure_and_requeueing_is_already_queued() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("o.db").display().to_string();
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let run = |args: &[&str]| command(&sim, &url, dir.path()).args(args).output().unwrap();
    enqueue_receipt(&sim, &url, dir.path(), "d-1", 1);
    let out = run(&["outbox", "run", "--drain", "--poll-ms", "20"]);
    assert!(out.status.success(), "{out:?}");

    // The corrected receipt.
    let corrected = dir.path().join("corrected.json");
    std::fs::write(&corrected, serde_json::to_vec(&receipt(2)).unwrap()).unwrap();
    let enqueue = || {
        run(&[
            "outbox",
            "enqueue",
            "--order-id",
            "d-1",
            "--file",
            corrected.to_str().unwrap(),
        ])
    };
    let out = enqueue();
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Queued job 2"),
        "{out:?}"
    );
    let out = enqueue();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Already queued as job 2"), "{stdout}");

    let out = run(&["outbox", "run", "--drain", "--poll-ms", "20"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("a different receipt"), "{stderr}");
    let out = run(&["outbox", "failed"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("job 2") && text.contains("a different receipt is already stored"),
        "{text}"
    );
    let out = run(&["--json", "outbox", "failed"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["jobs"][0]["differentContent"], true);
    assert_eq!(json["jobs"][0]["lastStatus"], 409);
    let out = run(&["outbox", "status", "d-1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("failed (a different receipt is already stored)"),
        "{text}"
    );
    assert_eq!(
        sim.order("123456", &PaymentType::Ecom, "d-1")
            .unwrap()
            .receipt,
        Some(receipt(1))
    );

    // A bulk file queued twice is queued once.
    let bulk = dir.path().join("bulk.jsonl");
    let lines: Vec<String> = (10..12)
        .map(|n| {
            serde_json::json!({"orderId": format!("b-{n}"), "receipt": receipt(n)}).to_string()
        })
        .collect();
    std::fs::write(&bulk, lines.join("\n")).unwrap();
    let out = run(&[
        "--json",
        "outbox",
        "enqueue",
        "--bulk",
        bulk.to_str().unwrap(),
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            json["summary"]["enqueued"].as_u64(),
            json["summary"]["alreadyQueued"].as_u64()
        ),
        (Some(2), Some(0))
    );
    let out = run(&["outbox", "enqueue", "--bulk", bulk.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("0 of 2 receipts queued for merchant 123456; 2 already queued"),
        "{out:?}"
    );
    let outbox = Outbox::connect(&url).await.unwrap();
    assert_eq!(outbox.metrics().await.unwrap().pending, 2);
}

/// `outbox failed` names each field problem once (not again in the
/// reason line), and `outbox retry ID` without `--file` warns that the
/// stored request would be refused again, naming its problems, and still
/// retries; a retry with a fixed `--file` does not warn and delivers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_names_each_field_once_and_a_plain_retry_warns_it_would_be_refused_again() {
    use assert_cmd::prelude::*;
    use predicates::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("o.db").display());
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let run = |args: &[&str]| {
        let mut cmd = command(&sim, &url, dir.path());
        cmd.args(args);
        cmd
    };
    let nameless = |name: &str| {
        format!(
            r#"{{"orderLines": [{{"name": "{name}", "id": "sku-1", "totalAmount": 100,
                "totalAmountExcludingTax": 80, "totalTaxAmount": 20, "taxRate": 2500,
                "unitInfo": {{"unitPrice": 100, "quantity": "1"}}}}],
              "bottomLine": {{"currency": "NOK", "receiptNumber": "1"}}}}"#
        )
    };
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, nameless("")).unwrap();
    let good = dir.path().join("good.json");
    std::fs::write(&good, nameless("Wool socks")).unwrap();
    let bad = bad.to_str().unwrap();
    run(&[
        "outbox",
        "enqueue",
        "--no-validate",
        "--order-id",
        "o-20",
        "--file",
        bad,
    ])
    .assert()
    .success();
    run(&["outbox", "run", "--drain", "--poll-ms", "20"])
        .assert()
        .code(1);

    let out = run(&["outbox", "failed"]).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert_eq!(text.matches("orderLines[0].name").count(), 1, "{text}");
    assert_eq!(
        text.matches("the product name is empty").count(),
        1,
        "{text}"
    );
    assert!(text.contains("rules in 1 field"), "{text}");

    run(&["outbox", "retry", "1"]).assert().success().stdout(
        predicate::str::contains("job 1 queued again")
            .and(predicate::str::contains(
                "would be refused again (1 problem(s))",
            ))
            .and(predicate::str::contains(
                "orderLines[0].name: the product name is empty",
            ))
            .and(predicate::str::contains(
                "vipps-om outbox retry 1 --file FIXED.json",
            )),
    );
    // Retried as it was: it fails the same way again.
    run(&["outbox", "run", "--drain", "--poll-ms", "20"])
        .assert()
        .code(1);
    let out = run(&["--json", "outbox", "retry", "1"]).assert().success();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["retried"], 1);
    assert_eq!(json["wouldBeRefused"][0]["path"], "orderLines[0].name");
    run(&["outbox", "run", "--drain", "--poll-ms", "20"])
        .assert()
        .code(1);

    // Fixed with --file: no warning, and it is delivered.
    run(&["outbox", "retry", "1", "--file", good.to_str().unwrap()])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("queued again with the new request")
                .and(predicate::str::contains("would be refused").not()),
        );
    run(&["outbox", "run", "--drain", "--poll-ms", "20"])
        .assert()
        .success();
    let out = run(&["--json", "outbox", "status", "--job", "1"])
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["job"]["state"], "delivered");
    assert_eq!(json["request"]["orderLines"][0]["name"], "Wool socks");
}

/// `outbox enqueue --bulk` writes its failed lines as `receipt add --bulk`
/// does (one writer): each with its field problems on the terminal, a line
/// that is not JSON kept as its text, and a re-run of the failed file
/// written back under its own name with the original line numbers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_enqueue_failed_lines_rerun_in_place_with_their_line_numbers() {
    use assert_cmd::prelude::*;
    use predicates::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("o.db").display());
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    let run = |args: &[&str]| {
        let mut cmd = command(&sim, &url, dir.path());
        cmd.args(args);
        cmd
    };
    let good =
        |order: &str| serde_json::json!({"orderId": order, "receipt": receipt(1)}).to_string();
    let mut nameless = serde_json::to_value(receipt(2)).unwrap();
    nameless["orderLines"][0]["name"] = serde_json::json!("");
    let lines = [
        good("g-1"),
        "{not json".to_owned(),
        serde_json::json!({"orderId": "n-1", "receipt": nameless}).to_string(),
        good("g-2"),
    ];
    let bulk = dir.path().join("shop.jsonl");
    std::fs::write(&bulk, lines.join("\n")).unwrap();
    let failed = dir.path().join("shop.failed.jsonl");

    run(&["outbox", "enqueue", "--bulk", bulk.to_str().unwrap()])
        .assert()
        .code(2)
        .stdout(
            predicate::str::contains("2 of 4 receipts queued")
                .and(predicate::str::contains("line 2: the line is not JSON"))
                .and(predicate::str::contains("line 3: the receipt is invalid"))
                .and(predicate::str::contains("receipt.orderLines[0].name")),
        );
    let text = std::fs::read_to_string(&failed).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2, "{text}");
    assert_eq!(records[0]["unparsedLine"], "{not json");
    assert_eq!(records[0]["error"]["line"], 2);
    assert_eq!(records[1]["error"]["line"], 3);

    // Fix the unparsed line in place; the nameless one stays broken.
    let fixed = text.replacen(
        &serde_json::to_string("{not json").unwrap(),
        &serde_json::to_string(&good("g-3")).unwrap(),
        1,
    );
    std::fs::write(&failed, fixed).unwrap();
    run(&["outbox", "enqueue", "--bulk", failed.to_str().unwrap()])
        .assert()
        .code(2)
        .stdout(
            predicate::str::contains("1 of 2 receipts queued")
                .and(predicate::str::contains("line 3: the receipt is invalid")),
        );
    assert!(!dir.path().join("shop.failed.failed.jsonl").exists());
    let left = std::fs::read_to_string(&failed).unwrap();
    assert_eq!(left.lines().count(), 1, "{left}");
    assert!(left.contains(r#""line":3"#), "{left}");
    let outbox = Outbox::connect(&url).await.unwrap();
    assert_eq!(outbox.metrics().await.unwrap().pending, 3);
}

/// `outbox run --metrics-listen`: Prometheus text at /metrics over a real
/// socket (the delivered count moves), /healthz and /readyz answer; a
/// port already taken is refused naming the flag.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_listen_serves_prometheus_text_while_the_workers_run() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("o.db").display());
    let sim = vipps_om_sim::spawn_default().await.unwrap();
    enqueue_receipt(&sim, &url, dir.path(), "metrics-1", 1);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let refused = command(&sim, &url, dir.path())
        .args(["outbox", "run", "--drain", "--metrics-listen", &addr])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("--metrics-listen") && stderr.contains("cannot listen"),
        "{stderr}"
    );
    drop(taken);
    let child = command(&sim, &url, dir.path())
        .args([
            "outbox",
            "run",
            "--workers",
            "1",
            "--poll-ms",
            "20",
            "--metrics-listen",
            &addr,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let text = loop {
        if let Ok(r) = http.get(format!("http://{addr}/metrics")).send().await
            && let Ok(text) = r.text().await
            && text.contains("vipps_om_outbox_jobs{state=\"delivered\"} 1")
        {
            break text;
        }
        assert!(Instant::now() < deadline, "no delivered job in /metrics");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for name in [
        "vipps_om_outbox_deliveries_total{kind=\"receipt\",result=\"delivered\"",
        "vipps_om_outbox_enqueue_to_delivered_seconds_bucket",
        "vipps_om_token_fetches_total 1",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    for path in ["/healthz", "/readyz"] {
        let r = http
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
    }
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let out = wait_at_most(child, Duration::from_secs(20));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
