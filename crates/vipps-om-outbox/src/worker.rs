//! [`Worker`]: claims due jobs of its merchant with a lease, delivers them
//! through a [`vipps_om::Client`], renews the lease while a delivery runs,
//! and records the outcome; [`run_workers`] runs several in one process.
//!
//! Lease semantics: a claim sets `lease_owner` and `leased_until` and counts
//! the attempt *before* anything is sent. While the delivery runs the lease
//! is renewed every third of its length. A worker that dies stops renewing;
//! once `leased_until` passes, any worker may claim the job again (the
//! attempt count tells it an earlier attempt may have reached the API). An
//! outcome is recorded only by the holder of the current attempt (lease
//! owner and attempt number must both match), so a worker that lost its
//! lease cannot overwrite the new holder's result.
//!
//! Merchants: a worker delivers with the credentials of its
//! [`vipps_om::CredentialsProvider`] source, so it claims only jobs of the merchants it
//! has a client for ([`Worker::new`]: its client's MSN; a one-merchant
//! worker says in its log which other merchants' jobs wait). Claims are
//! fair: a batch takes up to as many jobs as there are free slots
//! ([`WorkerConfig::concurrency`]), at most one per merchant, each
//! merchant's oldest due job; merchants take turns (a claim goes on from
//! the merchant where the last one stopped, on SQLite and PostgreSQL; on
//! MySQL the merchants with the oldest due job come first); a merchant at
//! [`WorkerConfig::per_merchant_concurrency`] or paused is left out. A
//! merchant is paused after a delivery got 429 (for its Retry-After, at
//! most its backoff: rate limits are per order, and the job itself waits
//! the whole Retry-After), 5xx, 401 or no answer ([`WorkerConfig::merchant_backoff`]); pauses and
//! caps are per process. Between claims a worker waits for a delivery to
//! end, a wake-up (PostgreSQL `LISTEN`, or an enqueue through the same
//! [`Outbox`] in this process), or [`WorkerConfig::poll_interval`].
//!
//! Abnormal ends: each delivery runs in its own task. Should it panic (a
//! bug), the job is marked failed with the panic's message (so its lease
//! does not hold back its order until it runs out) and the worker stops
//! with [`WorkerAborted`]. A worker whose database has not answered for
//! [`WorkerConfig::max_db_outage`] stops the same way. [`run_workers`]
//! then shuts the other workers down gracefully (they finish or release
//! what they hold) and returns every reason; a whole worker task that
//! panics outside a delivery is reported too, and its job is taken over
//! once its lease runs out.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;
use vipps_om::Client;

use crate::db::ClaimedJob;
use crate::deliver::deliver;
use crate::job::{FieldProblem, JobId, JobKind, Outcome};
use crate::merchants::{MerchantClients, MerchantScope, NO_CLIENT_RECHECK};
use crate::outbox::{DeliveredJob, Outbox};
use vipps_om::CredentialsProvider;

/// Waits between attempts of one job: exponential from `initial`, capped
/// at `max`, each wait drawn at random from its upper half so that jobs
/// failed together do not return together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failed attempt (before jitter).
    pub initial: Duration,
    /// The longest wait (before jitter).
    pub max: Duration,
}

impl Default for Backoff {
    /// 1 s, doubling to at most 5 minutes.
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    /// The wait after attempt number `attempts` (1 = the first) failed.
    pub fn delay(&self, attempts: u32) -> Duration {
        let exponent = attempts.saturating_sub(1).min(30);
        let full = self
            .initial
            .saturating_mul(1u32 << exponent.min(31))
            .min(self.max);
        let half = full / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// The longest lease a worker takes on a job: one hour. A crashed
/// worker's job waits at most this long before another worker takes it
/// over; a longer lease is cut to it ([`WorkerConfig::lease`]).
pub const MAX_LEASE: Duration = Duration::from_secs(3600);

/// How a worker behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WorkerConfig {
    /// How long a claim holds a job without renewal (default 30 s). A
    /// crashed worker's jobs are taken over after at most this long.
    pub lease: Duration,
    /// How long to wait before looking again when nothing is due (default
    /// 200 ms). An enqueue wakes idle workers at once on PostgreSQL (its
    /// `NOTIFY`, in any process) and in the enqueueing process on SQLite;
    /// a SQLite worker in another process finds the job at its next poll.
    pub poll_interval: Duration,
    /// On shutdown, how long in-flight deliveries may take to finish
    /// before their jobs are released (default 10 s).
    pub shutdown_grace: Duration,
    /// Waits between attempts of a job.
    pub backoff: Backoff,
    /// Attempts after which a job that keeps failing transiently is marked
    /// failed (with its last error). `None` (the default): never give up,
    /// an outage only makes jobs wait.
    pub max_attempts: Option<u32>,
    /// Stop when nothing of this merchant is left to deliver (for batch
    /// runs and tests); by default a worker runs until shut down.
    pub stop_when_idle: bool,
    /// How long the database may fail every claim before the worker gives
    /// up with [`WorkerAborted`] (default 5 minutes), so that a database
    /// that is gone (dropped, moved, its credentials revoked) ends the
    /// process for a supervisor to see instead of a worker that waits
    /// forever. `None`: wait for the database however long it takes.
    pub max_db_outage: Option<Duration>,
    /// Deliveries at once (default 1); each claim takes a batch of up to
    /// as many jobs as there are free slots.
    pub concurrency: usize,
    /// Deliveries of one merchant at once (default
    /// [`DEFAULT_PER_MERCHANT_CONCURRENCY`], 4), so that one merchant's
    /// backlog or slow answers never take every slot.
    pub per_merchant_concurrency: usize,
    /// How long a merchant is paused after a delivery got 5xx, 401 or no
    /// answer (429: its Retry-After, at most this backoff): exponential in its
    /// consecutive failures (default 1 s doubling to 60 s, with jitter),
    /// at most [`MAX_MERCHANT_PAUSE`]; its first delivery resets it.
    pub merchant_backoff: Backoff,
    /// Store a webhook event with each outcome that causes one (a job
    /// failed for good, delivered after having failed), in the same
    /// transaction (see [`crate::webhook`]); off by default, so that no
    /// events pile up where nobody posts them.
    pub webhook_events: bool,
}

/// The default of [`WorkerConfig::per_merchant_concurrency`]: 4.
pub const DEFAULT_PER_MERCHANT_CONCURRENCY: usize = 4;

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(200),
            shutdown_grace: Duration::from_secs(10),
            backoff: Backoff::default(),
            max_attempts: None,
            stop_when_idle: false,
            max_db_outage: Some(Duration::from_secs(300)),
            concurrency: 1,
            per_merchant_concurrency: DEFAULT_PER_MERCHANT_CONCURRENCY,
            merchant_backoff: Backoff {
                initial: Duration::from_secs(1),
                max: Duration::from_secs(60),
            },
            webhook_events: false,
        }
    }
}

impl WorkerConfig {
    /// Sets [`WorkerConfig::lease`] (at least 300 ms, at most
    /// [`MAX_LEASE`]).
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.clamp(Duration::from_millis(300), MAX_LEASE);
        self
    }

    /// Sets [`WorkerConfig::max_db_outage`].
    pub fn max_db_outage(mut self, limit: Option<Duration>) -> Self {
        self.max_db_outage = limit;
        self
    }

    /// Sets [`WorkerConfig::poll_interval`].
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Sets [`WorkerConfig::shutdown_grace`].
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// Sets [`WorkerConfig::backoff`].
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Sets [`WorkerConfig::max_attempts`].
    pub fn max_attempts(mut self, max: Option<u32>) -> Self {
        self.max_attempts = max;
        self
    }

    /// Sets [`WorkerConfig::concurrency`] (at least 1).
    pub fn concurrency(mut self, deliveries: usize) -> Self {
        self.concurrency = deliveries.max(1);
        self
    }

    /// Sets [`WorkerConfig::per_merchant_concurrency`] (at least 1).
    pub fn per_merchant_concurrency(mut self, deliveries: usize) -> Self {
        self.per_merchant_concurrency = deliveries.max(1);
        self
    }

    /// Sets [`WorkerConfig::merchant_backoff`].
    pub fn merchant_backoff(mut self, backoff: Backoff) -> Self {
        self.merchant_backoff = backoff;
        self
    }

    /// Sets [`WorkerConfig::stop_when_idle`].
    pub fn stop_when_idle(mut self, stop: bool) -> Self {
        self.stop_when_idle = stop;
        self
    }

    /// Sets [`WorkerConfig::webhook_events`].
    pub fn webhook_events(mut self, on: bool) -> Self {
        self.webhook_events = on;
        self
    }
}

/// What one worker did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerReport {
    /// Jobs delivered.
    pub delivered: u64,
    /// Attempts that failed transiently (the job waits for another).
    pub retried: u64,
    /// Jobs that failed for good (including those of `different_content`).
    pub failed: u64,
    /// Of those, jobs failed because the API already holds a different
    /// receipt (or image under the same id), which cannot be changed.
    pub different_content: u64,
    /// Jobs given back unfinished at shutdown.
    pub released: u64,
    /// Jobs whose lease another worker took over mid-delivery.
    pub lease_lost: u64,
}

impl WorkerReport {
    fn count(&mut self, processed: &Processed) {
        match &processed.verdict {
            Verdict::Delivered { .. } => self.delivered += 1,
            Verdict::Retry { .. } => self.retried += 1,
            Verdict::Failed {
                different_content, ..
            } => {
                self.failed += 1;
                self.different_content += u64::from(*different_content);
            }
            Verdict::LeaseLost => self.lease_lost += 1,
        }
    }
}

/// A worker (or several, from [`run_workers`]) stopped before it was told
/// to: why, and what was done until then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerAborted {
    /// One line per worker that stopped abnormally, naming it.
    pub reasons: Vec<String>,
    /// What the workers did before they stopped.
    pub report: WorkerReport,
}

impl std::fmt::Display for WorkerAborted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "outbox worker stopped abnormally: {}",
            self.reasons.join("; ")
        )
    }
}

impl std::error::Error for WorkerAborted {}

/// The text of a panic's payload.
fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// How an attempt ended.
enum Attempt {
    Done(Verdict),
    /// The delivery panicked, with the panic's message.
    Panicked(String),
}

/// Aborts a spawned delivery when the attempt that waits for it is
/// dropped (lease lost, shutdown grace over).
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `work` in a task of its own: a panic in it becomes `Err` with the
/// panic's message instead of unwinding through the worker, and dropping
/// the returned future (lease lost, shutdown grace over) aborts the task.
fn spawn_caught<T: Send + 'static>(
    work: impl Future<Output = T> + Send + 'static,
) -> impl Future<Output = Result<T, String>> {
    let handle = tokio::spawn(work);
    let cancel = AbortOnDrop(handle.abort_handle());
    async move {
        let _cancel = cancel;
        match handle.await {
            Ok(value) => Ok(value),
            Err(e) if e.is_panic() => Err(panic_text(e.into_panic())),
            Err(e) => Err(format!("the delivery task ended without a result ({e})")),
        }
    }
}

/// The verdict recorded for a delivery that panicked.
fn crashed(job: &ClaimedJob, message: &str) -> Verdict {
    Verdict::Failed {
        error: format!(
            "the delivery of this job crashed the worker (panic: {message}); this is a bug in vipps-om, please report it; the job can be sent again with `vipps-om outbox retry {}`",
            job.id
        ),
        status: None,
        problems: Vec::new(),
        different_content: false,
    }
}

/// How one attempt at a job ended: what the worker records on the job
/// (and what [`Worker::run_once`] reports). [`Outcome`] is the part of a
/// delivery that is kept on the job once delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The API has it.
    #[non_exhaustive]
    Delivered {
        /// How it got there.
        outcome: Outcome,
        /// The id the API answered with, when it sent one.
        result_id: Option<String>,
    },
    /// Failed transiently; due again after `after`.
    #[non_exhaustive]
    Retry {
        /// Why, in plain language.
        error: String,
        /// The HTTP status, when the API answered.
        status: Option<u16>,
        /// The wait before the next attempt.
        after: Duration,
    },
    /// Refused for good; kept with the reasons for staff to fix and retry.
    #[non_exhaustive]
    Failed {
        /// Why, in plain language (one line; the fields are in `problems`).
        error: String,
        /// The HTTP status, when the API answered.
        status: Option<u16>,
        /// Every rejected field.
        problems: Vec<FieldProblem>,
        /// The API already holds different content (a receipt of this
        /// order, an image under this id) that cannot be changed.
        different_content: bool,
    },
    /// Another worker took the job over mid-delivery; it records the
    /// outcome (this worker records nothing).
    LeaseLost,
}

impl Verdict {
    /// How it was delivered, when it was.
    pub fn outcome(&self) -> Option<Outcome> {
        match self {
            Verdict::Delivered { outcome, .. } => Some(*outcome),
            _ => None,
        }
    }

    /// The wait before the next attempt, when it will be tried again.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Verdict::Retry { after, .. } => Some(*after),
            _ => None,
        }
    }

    /// Whether it failed for good.
    pub fn is_failed(&self) -> bool {
        matches!(self, Verdict::Failed { .. })
    }

    /// Whether it failed for good because the API holds different content
    /// that cannot be changed.
    pub fn is_different_content(&self) -> bool {
        matches!(
            self,
            Verdict::Failed {
                different_content: true,
                ..
            }
        )
    }

    /// The reason of a failure or of a retry.
    pub fn error(&self) -> Option<&str> {
        match self {
            Verdict::Retry { error, .. } | Verdict::Failed { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// One job a worker handled, and how its attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    job: JobId,
    kind: JobKind,
    order_id: String,
    verdict: Verdict,
}

impl Processed {
    /// The job.
    pub fn job(&self) -> JobId {
        self.job
    }

    /// Its kind.
    pub fn kind(&self) -> JobKind {
        self.kind
    }

    /// Its order.
    pub fn order_id(&self) -> &str {
        &self.order_id
    }

    /// How the attempt ended.
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// How it was delivered, when it was (`verdict().outcome()`).
    pub fn outcome(&self) -> Option<Outcome> {
        self.verdict.outcome()
    }
}

/// Claims and delivers the jobs of one merchant ([`Worker::new`]) or of
/// many ([`Worker::for_merchants`]), fairly.
#[derive(Clone)]
pub struct Worker {
    outbox: Outbox,
    clients: MerchantClients,
    config: WorkerConfig,
    owner: String,
    /// The merchant of a one-merchant worker.
    msn: Option<String>,
    /// Records deliveries in batches, while [`Worker::run`] runs.
    recorder: Option<Recorder>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("owner", &self.owner)
            .field("scope", &self.clients.scope())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// A lease owner name: host, process and a random part, so that names
/// never repeat across restarts.
fn default_owner() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{host}:{}:{}", std::process::id(), &random[..8])
}

/// Why a merchant was paused, from how an attempt ended: 429 (as long as
/// the API asked), 5xx, 401, or no answer (a timeout or a connection
/// failure). Other verdicts do not pause.
fn pause_reason(verdict: &Verdict) -> Option<&'static str> {
    match verdict {
        Verdict::Retry {
            status: Some(429), ..
        } => Some("429"),
        Verdict::Retry {
            status: Some(500..=599),
            ..
        } => Some("5xx"),
        Verdict::Retry {
            status: Some(401), ..
        } => Some("401"),
        Verdict::Retry { status: None, .. } => Some("timeout"),
        _ => None,
    }
}

/// What one [`Worker::run`] knows about its merchants: deliveries in
/// flight per merchant, merchants paused after failures, and MSNs its
/// source has no client for.
#[derive(Debug, Default)]
struct Fairness {
    in_flight: HashMap<String, usize>,
    /// Paused until, and consecutive failed attempts.
    paused: HashMap<String, (Instant, u32)>,
    no_client: HashMap<String, Instant>,
    /// Where the next claim goes on (see [`Outbox::claim_fair`]).
    cursor: String,
}

impl Fairness {
    /// The merchants a claim leaves out now.
    fn excluded(&mut self, cap: usize) -> Vec<String> {
        let now = Instant::now();
        self.no_client.retain(|_, until| *until > now);
        let mut out: Vec<String> = self
            .in_flight
            .iter()
            .filter(|(_, n)| **n >= cap)
            .map(|(msn, _)| msn.clone())
            .collect();
        out.extend(
            self.paused
                .iter()
                .filter(|(_, (until, _))| *until > now)
                .map(|(msn, _)| msn.clone()),
        );
        out.extend(self.no_client.keys().cloned());
        out.sort_unstable();
        out.dedup();
        out
    }

    fn started(&mut self, msn: &str) {
        *self.in_flight.entry(msn.to_owned()).or_default() += 1;
    }

    fn ended(&mut self, msn: &str, verdict: Option<&Verdict>, backoff: &Backoff) {
        if let Some(n) = self.in_flight.get_mut(msn) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.in_flight.remove(msn);
            }
        }
        let Some(verdict) = verdict else { return };
        if let Some(reason) = pause_reason(verdict) {
            let failures = self
                .paused
                .get(msn)
                .map_or(0, |(_, failures)| *failures)
                .saturating_add(1);
            // One failed call is the job's (it is rescheduled); a merchant
            // is paused when its calls keep failing, or when the API asked
            // it to slow down (429).
            let is_429 = matches!(
                verdict,
                Verdict::Retry {
                    status: Some(429),
                    ..
                }
            );
            if failures < PAUSE_AFTER_FAILURES && !is_429 {
                // Counted, not yet paused (an instant already past).
                self.paused
                    .insert(msn.to_owned(), (Instant::now(), failures));
                return;
            }
            let wait = match verdict {
                // The job itself waits its Retry-After; the merchant only
                // as long as its backoff, and never longer than the API
                // asked: Vipps's rate limits are per reference (order), so
                // an hour's Retry-After on one order must not hold back
                // the merchant's other orders for an hour.
                Verdict::Retry {
                    status: Some(429),
                    after,
                    ..
                } => (*after).min(backoff.delay(failures)),
                _ => backoff.delay(failures),
            };
            let until = Instant::now()
                .checked_add(wait.min(MAX_MERCHANT_PAUSE))
                .unwrap_or_else(Instant::now);
            let first = self
                .paused
                .get(msn)
                .is_none_or(|(was, _)| *was <= Instant::now());
            if first {
                tracing::warn!(
                    msn,
                    reason,
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "merchant paused: its other jobs wait, other merchants go on"
                );
            }
            self.paused.insert(msn.to_owned(), (until, failures));
            crate::telemetry::paused(msn, reason);
        } else if matches!(verdict, Verdict::Delivered { .. }) {
            self.paused.remove(msn);
        }
        let now = Instant::now();
        crate::telemetry::paused_now(self.paused.values().filter(|(u, _)| *u > now).count());
    }
}

/// Failed calls in a row (5xx, 401, no answer) after which a merchant is
/// paused: 3. A single failure reschedules its job and pauses no one.
pub const PAUSE_AFTER_FAILURES: u32 = 3;

/// A busy worker claims again once this fraction of its slots is free
/// (1/8: a worker of 64 deliveries claims batches of 8 or more), so that a
/// busy worker makes one claim per batch rather than one per delivery.
const CLAIM_WHEN_FREE: usize = 8;

/// The most passes one claim makes (see [`crate::Outbox`]'s fair claim):
/// 64, each looking at up to the jobs asked for plus
/// [`crate::CLAIM_WINDOW_SLACK`] merchants. A claim that has not looked
/// at every merchant by then goes on from there at once.
pub const MAX_CLAIM_PASSES: usize = 64;

/// The longest a merchant is paused after one failed attempt: 1 hour
/// (the longest Retry-After the client honours).
pub const MAX_MERCHANT_PAUSE: Duration = vipps_om::retry::MAX_RETRY_AFTER;

/// The most successful deliveries a run records in one commit: 512 (the
/// rest go in the next commit, right after; a worker has at most its
/// concurrency waiting, so a batch is rarely this large).
pub const RECORD_BATCH: usize = 512;

/// The answer to one recorded delivery: `Some(waited since enqueue)` when
/// it was recorded, `None` when its lease had been taken over, or the
/// database's error.
type Recorded = Result<Option<Option<i64>>, String>;

/// Records the deliveries of one [`Worker::run`] in batches: a task takes
/// every delivery waiting, records them with one commit
/// ([`Outbox::record_delivered_many`]) and answers each; deliveries that
/// end meanwhile form the next batch. Nothing waits for a batch to fill:
/// a lone delivery is recorded at once, as before, and under load one
/// commit serves many.
#[derive(Clone)]
struct Recorder {
    send:
        tokio::sync::mpsc::UnboundedSender<(DeliveredJob, tokio::sync::oneshot::Sender<Recorded>)>,
}

impl Recorder {
    /// The recorder and its task (aborted when the guard is dropped, after
    /// every delivery has had its answer).
    fn spawn(outbox: Outbox, owner: String) -> (Recorder, AbortOnDrop) {
        let (send, mut receive) = tokio::sync::mpsc::unbounded_channel::<(
            DeliveredJob,
            tokio::sync::oneshot::Sender<Recorded>,
        )>();
        let task = tokio::spawn(async move {
            let mut batch = Vec::new();
            while let Some(first) = receive.recv().await {
                batch.push(first);
                while batch.len() < RECORD_BATCH {
                    match receive.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let jobs: Vec<DeliveredJob> = batch.iter().map(|(job, _)| job.clone()).collect();
                match outbox.record_delivered_many(&owner, &jobs).await {
                    Ok(recorded) => {
                        for (job, answer) in batch.drain(..) {
                            let _ = answer.send(Ok(recorded.get(&job.id.get()).copied()));
                        }
                    }
                    Err(e) => {
                        let e = e.to_string();
                        for (_, answer) in batch.drain(..) {
                            let _ = answer.send(Err(e.clone()));
                        }
                    }
                }
            }
        });
        (Recorder { send }, AbortOnDrop(task.abort_handle()))
    }

    /// Records one delivery (with the next batch) and waits for the
    /// answer.
    async fn record(&self, job: DeliveredJob) -> Recorded {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.send
            .send((job, answer))
            .map_err(|_| "the outcome recorder has stopped".to_owned())?;
        answered
            .await
            .map_err(|_| "the outcome recorder has stopped".to_owned())?
    }
}

/// How one spawned delivery of [`Worker::run`] ended.
enum Ended {
    Processed(Processed),
    Panicked(Processed, String),
    Released,
}

impl Worker {
    /// A worker delivering `outbox`'s jobs of `client`'s merchant.
    pub fn new(outbox: Outbox, client: Client) -> Worker {
        let msn = client.merchant_serial_number().as_str().to_owned();
        Worker {
            outbox,
            clients: MerchantClients::new(Arc::new(client)),
            config: WorkerConfig::default(),
            owner: default_owner(),
            msn: Some(msn),
            recorder: None,
        }
    }

    /// A worker delivering the jobs of every merchant of `clients` (see
    /// [`crate::merchants`]): fairly across merchants, at most
    /// [`WorkerConfig::per_merchant_concurrency`] deliveries of one
    /// merchant at once, a merchant whose calls fail with 5xx, 429, 401 or
    /// no answer paused (not the queue).
    pub fn for_merchants(outbox: Outbox, clients: impl CredentialsProvider + 'static) -> Worker {
        Worker::for_merchants_shared(outbox, Arc::new(clients))
    }

    /// [`Worker::for_merchants`] with a shared source.
    pub fn for_merchants_shared(outbox: Outbox, clients: Arc<dyn CredentialsProvider>) -> Worker {
        let clients = MerchantClients::new(clients);
        let msn = match clients.scope() {
            MerchantScope::Only(list) if list.len() == 1 => list.first().cloned(),
            _ => None,
        };
        Worker {
            outbox,
            clients,
            config: WorkerConfig::default(),
            owner: default_owner(),
            msn,
            recorder: None,
        }
    }

    /// Replaces the configuration.
    pub fn with_config(mut self, config: WorkerConfig) -> Worker {
        self.config = config;
        self
    }

    /// Names the worker in leases and logs (default: host, process id and
    /// a random part). Names must be unique among running workers.
    pub fn with_owner(mut self, owner: impl Into<String>) -> Worker {
        self.owner = owner.into();
        self
    }

    /// Its name in leases.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The merchant whose jobs it delivers, for a one-merchant worker
    /// (empty for a worker of several).
    pub fn merchant_serial_number(&self) -> &str {
        self.msn.as_deref().unwrap_or_default()
    }

    /// Which merchants' jobs it claims.
    pub fn scope(&self) -> &MerchantScope {
        self.clients.scope()
    }

    /// Claims up to `max` jobs (fairly, leaving `excluded` merchants out)
    /// and gives back at once those it has no client for. A claim goes on
    /// from where the last one stopped (the merchants after it, in turn)
    /// for up to [`MAX_CLAIM_PASSES`] passes until it has `max` jobs or has
    /// looked at every merchant once. Also says whether more may be due
    /// now (another claimer took some candidates first, or the passes ran
    /// out before every merchant was looked at).
    async fn claim(
        &self,
        excluded: &[String],
        max: usize,
        fair: Option<&mut Fairness>,
    ) -> Result<(Vec<(ClaimedJob, Client)>, bool), crate::OutboxError> {
        let scope = match self.clients.scope() {
            MerchantScope::Any => None,
            MerchantScope::Only(list) => Some(list.as_slice()),
        };
        let mut fair = fair;
        let mut cursor = fair
            .as_deref()
            .map(|f| f.cursor.clone())
            .unwrap_or_default();
        let from_start = cursor.is_empty();
        let mut wrapped = false;
        let mut more = false;
        let mut jobs: Vec<ClaimedJob> = Vec::new();
        // At most one job per merchant per claim (its cap was counted
        // before the claim): a merchant claimed in one pass is left out of
        // the next.
        let mut excluded = excluded.to_vec();
        let mut passes = 0;
        loop {
            let pass = self
                .outbox
                .claim_fair(
                    scope,
                    &excluded,
                    &self.owner,
                    self.config.lease,
                    max.saturating_sub(jobs.len()),
                    &cursor,
                )
                .await;
            let pass = match pass {
                Ok(pass) => pass,
                // What earlier passes claimed is delivered; the error waits.
                Err(e) if !jobs.is_empty() => {
                    tracing::warn!(owner = %self.owner, error = %e, "a claim failed after some jobs were claimed");
                    break;
                }
                Err(e) => return Err(e),
            };
            more |= pass.missed;
            excluded.extend(pass.jobs.iter().map(|j| j.merchant_serial_number.clone()));
            jobs.extend(pass.jobs);
            cursor = pass.cursor;
            passes += 1;
            if jobs.len() >= max {
                break;
            }
            if pass.end {
                if from_start || wrapped {
                    break;
                }
                wrapped = true;
            }
            if passes >= MAX_CLAIM_PASSES {
                more = true;
                break;
            }
        }
        if let Some(fair) = fair.as_deref_mut() {
            fair.cursor = cursor;
        }
        crate::telemetry::claimed(jobs.len());
        let mut out = Vec::with_capacity(jobs.len());
        for job in jobs {
            match self.clients.client(&job.merchant_serial_number) {
                Some(client) => out.push((job, client)),
                None => {
                    tracing::info!(owner = %self.owner, msn = %job.merchant_serial_number, "no credentials for this merchant here; its jobs are left for another worker");
                    if let Err(e) = self.outbox.unclaim(&job, &self.owner).await {
                        tracing::warn!(job = %job.id, error = %e, "could not give the job back; its lease will expire");
                    }
                    if let Some(fair) = fair.as_deref_mut() {
                        fair.no_client.insert(
                            job.merchant_serial_number.clone(),
                            Instant::now()
                                .checked_add(NO_CLIENT_RECHECK)
                                .unwrap_or_else(Instant::now),
                        );
                    }
                }
            }
        }
        Ok((out, more))
    }

    /// Claims one due job and delivers it; `None` when nothing is due. A
    /// delivery that panics fails its job with the panic's message.
    pub async fn run_once(&self) -> Result<Option<Processed>, crate::OutboxError> {
        let (mut claimed, _) = self.claim(&[], 1, None).await?;
        let Some((job, client)) = claimed.pop() else {
            return Ok(None);
        };
        let started = Instant::now();
        let verdict = match self.attempt(&job, client).await {
            Attempt::Done(verdict) => verdict,
            Attempt::Panicked(message) => crashed(&job, &message),
        };
        crate::telemetry::delivery(&job, &verdict, started.elapsed());
        Ok(Some(self.finish(&job, verdict).await))
    }

    /// Jobs this worker will still deliver, in its scope.
    async fn outstanding_in_scope(&self) -> Result<u64, crate::OutboxError> {
        let scope = self.clients.scope();
        Ok(self
            .outbox
            .outstanding_by_merchant()
            .await?
            .into_iter()
            .filter(|(msn, _)| match &scope {
                MerchantScope::Only(list) => list.iter().any(|m| m == msn),
                MerchantScope::Any => self.clients.client(msn).is_some(),
            })
            .map(|(_, n)| n)
            .sum())
    }

    /// Delivers until `shutdown` completes (or, with
    /// [`WorkerConfig::stop_when_idle`], until nothing is left), up to
    /// [`WorkerConfig::concurrency`] jobs at once. Claims take a batch of
    /// up to as many jobs as there are free slots, at most one per
    /// merchant (its oldest due job), merchants in turn; merchants
    /// at [`WorkerConfig::per_merchant_concurrency`] and paused merchants
    /// are left out. Between claims it waits for a delivery to end, an
    /// enqueue (PostgreSQL `LISTEN`, or this process's enqueues on the
    /// same [`Outbox`]) or [`WorkerConfig::poll_interval`].
    ///
    /// On shutdown it stops claiming, lets the deliveries in flight finish
    /// within [`WorkerConfig::shutdown_grace`], and releases those that do
    /// not. Database errors are logged and waited out for up to
    /// [`WorkerConfig::max_db_outage`].
    ///
    /// Ends with [`WorkerAborted`] when the database stays unreachable
    /// beyond that, or when a delivery panicked (its job is failed with
    /// the panic's message first).
    pub async fn run(
        &self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<WorkerReport, WorkerAborted> {
        let mut shutdown = pin!(shutdown);
        let mut report = WorkerReport::default();
        let mut reasons: Vec<String> = Vec::new();
        let mut db_wait = self.config.poll_interval;
        let mut outage_since: Option<Instant> = None;
        let mut next_merchant_check = Instant::now();
        let mut fair = Fairness::default();
        let mut running: tokio::task::JoinSet<(String, Ended)> = tokio::task::JoinSet::new();
        let (give_up, given_up) = tokio::sync::watch::channel(false);
        let concurrency = self.config.concurrency.max(1);
        let cap = self.config.per_merchant_concurrency.max(1);
        let (recorder, _recording) = Recorder::spawn(self.outbox.clone(), self.owner.clone());
        let me = Arc::new(Worker {
            recorder: Some(recorder),
            ..self.clone()
        });
        let _listener = self.listen();
        tracing::info!(owner = %self.owner, scope = ?self.clients.scope(), concurrency, per_merchant = cap, "outbox worker started");
        let mut stopping = false;
        loop {
            // What ended meanwhile.
            while let Some(joined) = running.try_join_next() {
                self.ended(joined, &mut fair, &mut report, &mut reasons);
            }
            if !reasons.is_empty() {
                stopping = true;
            }
            if stopping {
                break;
            }
            let stop = tokio::select! {
                biased;
                () = &mut shutdown => true,
                () = std::future::ready(()) => false,
            };
            if stop {
                break;
            }
            let mut free = concurrency.saturating_sub(running.len());
            if free < concurrency.div_ceil(CLAIM_WHEN_FREE) && !running.is_empty() {
                // Wait for more slots: one claim per batch, not per job.
                free = 0;
            }
            let wake = self.outbox.wake_signal().notified();
            let mut wake = pin!(wake);
            wake.as_mut().enable();
            let mut wait = self.config.poll_interval;
            if free > 0 {
                let excluded = fair.excluded(cap);
                match self.claim(&excluded, free, Some(&mut fair)).await {
                    Ok((jobs, more)) => {
                        outage_since = None;
                        db_wait = self.config.poll_interval;
                        let claimed = jobs.len();
                        for (job, client) in jobs {
                            fair.started(&job.merchant_serial_number);
                            let me = me.clone();
                            let mut given_up = given_up.clone();
                            running.spawn(async move {
                                let msn = job.merchant_serial_number.clone();
                                (msn, me.deliver_one(job, client, &mut given_up).await)
                            });
                        }
                        if (claimed > 0 && claimed < free) || more {
                            // Others may be due now that these are taken
                            // (the next job of a merchant below its cap),
                            // or another claimer took some first.
                            wait = Duration::ZERO;
                        }
                        if claimed == 0 && running.is_empty() {
                            if Instant::now() >= next_merchant_check {
                                self.warn_about_other_merchants().await;
                                next_merchant_check = Instant::now() + Duration::from_secs(60);
                            }
                            if self.config.stop_when_idle
                                && matches!(self.outstanding_in_scope().await, Ok(0))
                            {
                                tracing::info!(owner = %self.owner, "nothing left to deliver; stopping");
                                break;
                            }
                        }
                    }
                    Err(e) => {
                        let since = *outage_since.get_or_insert_with(Instant::now);
                        if let Some(limit) = self.config.max_db_outage
                            && since.elapsed() >= limit
                        {
                            reasons.push(format!(
                                "worker {}: the outbox database has failed every claim for {} s, the limit (max_db_outage); the last error: {e}",
                                self.owner,
                                since.elapsed().as_secs()
                            ));
                            tracing::error!(owner = %self.owner, error = %e, "the outbox database stays unreachable; stopping");
                            break;
                        }
                        tracing::warn!(owner = %self.owner, error = %e, wait_ms = u64::try_from(db_wait.as_millis()).unwrap_or(u64::MAX), "cannot claim; waiting");
                        wait = db_wait;
                        db_wait = db_wait.saturating_mul(2).min(Duration::from_secs(10));
                    }
                }
            }
            if wait.is_zero() {
                continue;
            }
            let free_now = free > 0;
            tokio::select! {
                () = &mut shutdown => break,
                Some(joined) = running.join_next(), if !running.is_empty() => {
                    self.ended(joined, &mut fair, &mut report, &mut reasons);
                }
                () = &mut wake, if free_now => {}
                () = tokio::time::sleep(wait), if free_now => {}
            }
        }
        // Shutting down: no more claims; the deliveries in flight finish
        // within the grace period, or are released.
        if !running.is_empty() {
            tracing::info!(owner = %self.owner, in_flight = running.len(), grace_ms = u64::try_from(self.config.shutdown_grace.as_millis()).unwrap_or(u64::MAX), "shutting down: finishing the deliveries in flight");
            let deadline = tokio::time::sleep(self.config.shutdown_grace);
            let mut deadline = pin!(deadline);
            loop {
                tokio::select! {
                    joined = running.join_next() => match joined {
                        Some(joined) => self.ended(joined, &mut fair, &mut report, &mut reasons),
                        None => break,
                    },
                    () = &mut deadline, if !*give_up.borrow() => {
                        let _ = give_up.send(true);
                    }
                }
            }
        }
        tracing::info!(owner = %self.owner, delivered = report.delivered, retried = report.retried, failed = report.failed, released = report.released, "outbox worker stopped");
        if reasons.is_empty() {
            Ok(report)
        } else {
            Err(WorkerAborted { reasons, report })
        }
    }

    /// Counts what a spawned delivery did and updates the merchant's
    /// state.
    fn ended(
        &self,
        joined: Result<(String, Ended), tokio::task::JoinError>,
        fair: &mut Fairness,
        report: &mut WorkerReport,
        reasons: &mut Vec<String>,
    ) {
        match joined {
            Ok((msn, Ended::Processed(processed))) => {
                fair.ended(
                    &msn,
                    Some(&processed.verdict),
                    &self.config.merchant_backoff,
                );
                report.count(&processed);
            }
            Ok((msn, Ended::Panicked(processed, message))) => {
                fair.ended(&msn, None, &self.config.merchant_backoff);
                report.count(&processed);
                reasons.push(format!(
                    "worker {}: the delivery of job {} (order {}) panicked: {message}; the job was marked failed",
                    self.owner, processed.job, processed.order_id
                ));
            }
            Ok((msn, Ended::Released)) => {
                fair.ended(&msn, None, &self.config.merchant_backoff);
                report.released += 1;
            }
            Err(e) => {
                // A delivery task that panicked outside the delivery itself
                // (which is caught): its job's lease runs out.
                reasons.push(format!(
                    "worker {}: a delivery task {}; its job is taken over when its lease runs out",
                    self.owner,
                    if e.is_panic() {
                        format!("panicked: {}", panic_text(e.into_panic()))
                    } else {
                        "was cancelled".to_owned()
                    }
                ));
            }
        }
    }

    /// One claimed job: delivered and recorded, or released when the
    /// shutdown grace runs out first.
    async fn deliver_one(
        &self,
        job: ClaimedJob,
        client: Client,
        given_up: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Ended {
        let started = Instant::now();
        let attempt = tokio::select! {
            attempt = self.attempt(&job, client) => Some(attempt),
            _ = given_up.wait_for(|g| *g) => None,
        };
        match attempt {
            Some(Attempt::Done(verdict)) => {
                crate::telemetry::delivery(&job, &verdict, started.elapsed());
                Ended::Processed(self.finish(&job, verdict).await)
            }
            Some(Attempt::Panicked(message)) => {
                tracing::error!(owner = %self.owner, job = %job.id, panic = %message, "the delivery panicked; failing the job and stopping this worker");
                let processed = self.finish(&job, crashed(&job, &message)).await;
                Ended::Panicked(processed, message)
            }
            None => {
                match self.outbox.release(&job, &self.owner).await {
                    Ok(_) => {
                        tracing::info!(owner = %self.owner, job = %job.id, "released unfinished job")
                    }
                    Err(e) => {
                        tracing::warn!(owner = %self.owner, job = %job.id, error = %e, "could not release; its lease will expire")
                    }
                }
                Ended::Released
            }
        }
    }

    /// On PostgreSQL, a task that listens on [`crate::NOTIFY_CHANNEL`]
    /// and wakes this process's workers of the outbox on every enqueue
    /// (reconnecting after an error; meanwhile the poll interval holds).
    /// Aborted when the returned guard is dropped.
    fn listen(&self) -> Option<AbortOnDrop> {
        #[cfg(feature = "postgres")]
        if let Some(pool) = self.outbox.pg_pool() {
            let pool = pool.clone();
            let outbox = self.outbox.clone();
            let task = tokio::spawn(async move {
                let mut wait = Duration::from_millis(100);
                loop {
                    match sqlx::postgres::PgListener::connect_with(&pool).await {
                        Ok(mut listener) => {
                            if let Err(e) = listener.listen(crate::NOTIFY_CHANNEL).await {
                                tracing::warn!(error = %e, "cannot LISTEN for new outbox jobs; polling");
                            } else {
                                wait = Duration::from_millis(100);
                                // A missed notification while reconnecting
                                // is covered by this wake and the poll.
                                outbox.wake_workers();
                                loop {
                                    match listener.recv().await {
                                        Ok(_) => outbox.wake_workers(),
                                        Err(e) => {
                                            tracing::warn!(error = %e, "lost the LISTEN connection; reconnecting");
                                            break;
                                        }
                                    }
                                }
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot LISTEN for new outbox jobs; polling")
                        }
                    }
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2).min(Duration::from_secs(10));
                }
            });
            return Some(AbortOnDrop(task.abort_handle()));
        }
        None
    }

    async fn warn_about_other_merchants(&self) {
        // Only a one-merchant worker leaves others' jobs by design.
        let Some(mine) = self.msn.as_deref() else {
            return;
        };
        if let Ok(others) = self.outbox.waiting_for_other_merchants(mine).await {
            for (msn, n) in others {
                tracing::warn!(
                    "{n} job(s) of merchant {msn} wait for a worker with that merchant's credentials; this worker delivers only merchant {mine}"
                );
            }
        }
    }

    /// Delivers `job` with `client` (in a task of its own, so that a panic
    /// is caught and named) while renewing its lease.
    async fn attempt(&self, job: &ClaimedJob, client: Client) -> Attempt {
        let attempts = u32::try_from(job.budget_used).unwrap_or(u32::MAX);
        let backoff = self.config.backoff.delay(attempts);
        // What a 409 on an image id is compared with.
        let known_images = match &job.request {
            Ok(crate::JobRequest::Image(image)) => match self
                .outbox
                .delivered_images(&job.merchant_serial_number, image.image_id.as_str(), job.id)
                .await
            {
                Ok(known) => known,
                Err(e) => {
                    return Attempt::Done(Verdict::Retry {
                        error: e.to_string(),
                        status: None,
                        after: backoff,
                    });
                }
            },
            _ => Vec::new(),
        };
        let owned = job.clone();
        let mut delivery = pin!(spawn_caught(async move {
            deliver(&client, &owned, backoff, &known_images).await
        }));
        let period = (self.config.lease.min(MAX_LEASE) / 3).max(Duration::from_millis(100));
        let first = Instant::now()
            .checked_add(period)
            .unwrap_or_else(Instant::now);
        let mut beat = tokio::time::interval_at(first, period);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                caught = &mut delivery => return match caught {
                    Ok(verdict) => Attempt::Done(verdict),
                    Err(message) => Attempt::Panicked(message),
                },
                _ = beat.tick() => match self.outbox.renew(job, &self.owner, self.config.lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(owner = %self.owner, job = %job.id, "lease lost to another worker; leaving the job to it");
                        return Attempt::Done(Verdict::LeaseLost);
                    }
                    Err(e) => tracing::warn!(owner = %self.owner, job = %job.id, error = %e, "could not renew the lease"),
                },
            }
        }
    }

    /// Records a verdict (retrying database errors for a while) and says
    /// what happened.
    async fn finish(&self, job: &ClaimedJob, mut verdict: Verdict) -> Processed {
        let processed = |verdict| Processed {
            job: job.id,
            kind: job.kind,
            order_id: job.order_id.clone(),
            verdict,
        };
        if verdict == Verdict::LeaseLost {
            return processed(verdict);
        }
        if let (Verdict::Retry { error, status, .. }, Some(max)) =
            (&verdict, self.config.max_attempts)
            && job.budget_used >= i64::from(max)
        {
            verdict = Verdict::Failed {
                error: format!(
                    "gave up after {} attempts; the last one: {error}",
                    job.budget_used
                ),
                status: *status,
                problems: Vec::new(),
                different_content: false,
            };
        }
        let mut wait = Duration::from_millis(100);
        let mut tries = 0;
        let recorded = loop {
            let attempt = match (&verdict, &self.recorder) {
                // Deliveries without a webhook event are recorded in
                // batches (one commit for many).
                (Verdict::Delivered { outcome, result_id }, Some(recorder))
                    if !self.config.webhook_events =>
                {
                    recorder
                        .record(DeliveredJob {
                            id: job.id,
                            attempts: job.attempts,
                            outcome: *outcome,
                            result_id: result_id.clone(),
                        })
                        .await
                        .map(|waited| match waited {
                            Some(waited) => {
                                crate::telemetry::enqueue_to_delivered(job, waited);
                                true
                            }
                            None => false,
                        })
                }
                _ => self
                    .outbox
                    .record(job, &self.owner, &verdict, self.config.webhook_events)
                    .await
                    .map_err(|e| e.to_string()),
            };
            match attempt {
                Ok(recorded) => break recorded,
                Err(e) if tries < 20 => {
                    tracing::warn!(owner = %self.owner, job = %job.id, error = %e, "could not record the outcome; trying again");
                    tries += 1;
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2).min(Duration::from_secs(5));
                }
                Err(e) => {
                    tracing::error!(owner = %self.owner, job = %job.id, error = %e, "could not record the outcome; the lease will expire and the job be tried again");
                    break false;
                }
            }
        };
        if !recorded {
            return processed(Verdict::LeaseLost);
        }
        match &verdict {
            Verdict::Delivered { outcome, .. } => {
                tracing::debug!(job = %job.id, kind = %job.kind, order_id = %job.order_id, %outcome, "delivered");
            }
            Verdict::Retry {
                error,
                after,
                status,
            } => {
                let error = error.lines().next().unwrap_or_default();
                let wait_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
                if *status == Some(401) {
                    // Every job of this worker will fail the same way until
                    // the credentials are fixed: say so at the default level.
                    tracing::warn!(job = %job.id, attempt = job.attempts, wait_ms, %error, "credentials refused; the job waits and is tried again");
                } else {
                    tracing::info!(job = %job.id, kind = %job.kind, order_id = %job.order_id, attempt = job.attempts, wait_ms, %error, "will try again");
                }
            }
            Verdict::Failed { .. } | Verdict::LeaseLost => {}
        }
        processed(verdict)
    }
}

/// Runs one [`Worker`] of `client`'s merchant in this process with
/// `workers` deliveries at once ([`WorkerConfig::concurrency`]) until
/// `shutdown` completes (or, with [`WorkerConfig::stop_when_idle`], until
/// nothing is left), then shuts it down gracefully.
///
/// When a delivery panics or the database stays unreachable, the other
/// deliveries are finished (or released) and the result is
/// [`WorkerAborted`] with every reason and what was done: a process whose
/// worker is failing says so instead of idling on.
pub async fn run_workers(
    outbox: &Outbox,
    client: &Client,
    config: &WorkerConfig,
    workers: usize,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<WorkerReport, WorkerAborted> {
    Worker::new(outbox.clone(), client.clone())
        .with_config(config.clone().concurrency(workers))
        .run(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_are_bounded() {
        let c = WorkerConfig::default().lease(Duration::MAX);
        assert_eq!(c.lease, MAX_LEASE);
        let c = WorkerConfig::default().lease(Duration::ZERO);
        assert_eq!(c.lease, Duration::from_millis(300));
    }

    #[tokio::test]
    async fn a_panicking_delivery_becomes_its_message_and_a_dropped_one_is_aborted() {
        let caught: Result<(), String> = spawn_caught(async { panic!("boom at {}", 42) }).await;
        assert_eq!(caught, Err("boom at 42".to_owned()));
        assert_eq!(spawn_caught(async { 7 }).await, Ok(7));

        let reached = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = reached.clone();
        let slow = spawn_caught(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        drop(slow);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(!reached.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[test]
    fn panic_messages_are_read() {
        assert_eq!(panic_text(Box::new("boom")), "boom");
        assert_eq!(panic_text(Box::new(String::from("bang"))), "bang");
        assert_eq!(panic_text(Box::new(7_u8)), "a panic without a message");
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let b = Backoff::default();
        for _ in 0..100 {
            let first = b.delay(1);
            assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
            let third = b.delay(3);
            assert!(third >= Duration::from_secs(2) && third <= Duration::from_secs(4));
            let late = b.delay(40);
            assert!(late >= Duration::from_secs(150) && late <= Duration::from_secs(300));
        }
    }
}
