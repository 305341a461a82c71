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
//! One merchant per worker: a worker delivers with its client's
//! credentials, so it claims only jobs stored with its client's
//! Merchant-Serial-Number. Jobs of other merchants are left alone for
//! their own workers, and the worker says so in its log. One process per
//! merchant keeps credentials apart and rate limits per sales unit.
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
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;
use vipps_om::Client;

use crate::db::ClaimedJob;
use crate::deliver::deliver;
use crate::job::{FieldProblem, JobId, JobKind, Outcome};
use crate::outbox::Outbox;

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
    /// 500 ms).
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
    /// Store a webhook event with each outcome that causes one (a job
    /// failed for good, delivered after having failed), in the same
    /// transaction (see [`crate::webhook`]); off by default, so that no
    /// events pile up where nobody posts them.
    pub webhook_events: bool,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(500),
            shutdown_grace: Duration::from_secs(10),
            backoff: Backoff::default(),
            max_attempts: None,
            stop_when_idle: false,
            max_db_outage: Some(Duration::from_secs(300)),
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
    fn add(&mut self, other: WorkerReport) {
        self.delivered += other.delivered;
        self.retried += other.retried;
        self.failed += other.failed;
        self.different_content += other.different_content;
        self.released += other.released;
        self.lease_lost += other.lease_lost;
    }

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

/// Claims and delivers the jobs of one merchant.
#[derive(Debug, Clone)]
pub struct Worker {
    outbox: Outbox,
    client: Client,
    config: WorkerConfig,
    owner: String,
    msn: String,
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

impl Worker {
    /// A worker delivering `outbox`'s jobs of `client`'s merchant.
    pub fn new(outbox: Outbox, client: Client) -> Worker {
        let msn = client.merchant_serial_number().as_str().to_owned();
        Worker {
            outbox,
            client,
            config: WorkerConfig::default(),
            owner: default_owner(),
            msn,
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

    /// The merchant whose jobs it delivers.
    pub fn merchant_serial_number(&self) -> &str {
        &self.msn
    }

    /// Claims one due job and delivers it; `None` when nothing is due. A
    /// delivery that panics fails its job with the panic's message.
    pub async fn run_once(&self) -> Result<Option<Processed>, crate::OutboxError> {
        let Some(job) = self
            .outbox
            .claim(&self.msn, &self.owner, self.config.lease)
            .await?
        else {
            return Ok(None);
        };
        let verdict = match self.attempt(&job).await {
            Attempt::Done(verdict) => verdict,
            Attempt::Panicked(message) => crashed(&job, &message),
        };
        Ok(Some(self.finish(&job, verdict).await))
    }

    /// Delivers until `shutdown` completes (or, with
    /// [`WorkerConfig::stop_when_idle`], until nothing is left). On
    /// shutdown it stops claiming, lets the delivery in flight finish
    /// within [`WorkerConfig::shutdown_grace`], and releases the job if it
    /// does not. Database errors are logged and waited out for up to
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
        let mut db_wait = self.config.poll_interval;
        let mut outage_since: Option<Instant> = None;
        let mut next_merchant_check = Instant::now();
        tracing::info!(owner = %self.owner, msn = %self.msn, "outbox worker started");
        loop {
            let stop = tokio::select! {
                biased;
                () = &mut shutdown => true,
                () = std::future::ready(()) => false,
            };
            if stop {
                break;
            }
            let claimed = self
                .outbox
                .claim(&self.msn, &self.owner, self.config.lease)
                .await;
            if claimed.is_ok() {
                outage_since = None;
            }
            let job = match claimed {
                Ok(Some(job)) => {
                    db_wait = self.config.poll_interval;
                    job
                }
                Ok(None) => {
                    if Instant::now() >= next_merchant_check {
                        self.warn_about_other_merchants().await;
                        next_merchant_check = Instant::now() + Duration::from_secs(60);
                    }
                    if self.config.stop_when_idle
                        && matches!(self.outbox.outstanding(&self.msn).await, Ok(0))
                    {
                        tracing::info!(owner = %self.owner, "nothing left to deliver; stopping");
                        break;
                    }
                    if self
                        .idle(shutdown.as_mut(), self.config.poll_interval)
                        .await
                    {
                        break;
                    }
                    continue;
                }
                Err(e) => {
                    let since = *outage_since.get_or_insert_with(Instant::now);
                    if let Some(limit) = self.config.max_db_outage
                        && since.elapsed() >= limit
                    {
                        let reason = format!(
                            "worker {}: the outbox database has failed every claim for {} s, the limit (max_db_outage); the last error: {e}",
                            self.owner,
                            since.elapsed().as_secs()
                        );
                        tracing::error!(owner = %self.owner, error = %e, "the outbox database stays unreachable; stopping");
                        return Err(WorkerAborted {
                            reasons: vec![reason],
                            report,
                        });
                    }
                    tracing::warn!(owner = %self.owner, error = %e, wait_ms = u64::try_from(db_wait.as_millis()).unwrap_or(u64::MAX), "cannot claim; waiting");
                    if self.idle(shutdown.as_mut(), db_wait).await {
                        break;
                    }
                    db_wait = db_wait.saturating_mul(2).min(Duration::from_secs(10));
                    continue;
                }
            };
            let mut work = pin!(self.attempt(&job));
            let (attempt, stopping) = tokio::select! {
                attempt = &mut work => (Some(attempt), false),
                () = &mut shutdown => {
                    tracing::info!(owner = %self.owner, job = %job.id, grace_ms = u64::try_from(self.config.shutdown_grace.as_millis()).unwrap_or(u64::MAX), "shutting down: finishing the delivery in flight");
                    (tokio::time::timeout(self.config.shutdown_grace, &mut work).await.ok(), true)
                }
            };
            match attempt {
                Some(Attempt::Panicked(message)) => {
                    tracing::error!(owner = %self.owner, job = %job.id, panic = %message, "the delivery panicked; failing the job and stopping this worker");
                    let processed = self.finish(&job, crashed(&job, &message)).await;
                    report.count(&processed);
                    return Err(WorkerAborted {
                        reasons: vec![format!(
                            "worker {}: the delivery of job {} (order {}) panicked: {message}; the job was marked failed",
                            self.owner, job.id, job.order_id
                        )],
                        report,
                    });
                }
                Some(Attempt::Done(verdict)) => {
                    let processed = self.finish(&job, verdict).await;
                    report.count(&processed);
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
                    report.released += 1;
                }
            }
            if stopping {
                break;
            }
        }
        tracing::info!(owner = %self.owner, delivered = report.delivered, retried = report.retried, failed = report.failed, released = report.released, "outbox worker stopped");
        Ok(report)
    }

    /// Sleeps `wait` unless shutdown comes first; true on shutdown.
    async fn idle(
        &self,
        shutdown: std::pin::Pin<&mut impl Future<Output = ()>>,
        wait: Duration,
    ) -> bool {
        tokio::select! {
            () = shutdown => true,
            () = tokio::time::sleep(wait) => false,
        }
    }

    async fn warn_about_other_merchants(&self) {
        if let Ok(others) = self.outbox.waiting_for_other_merchants(&self.msn).await {
            for (msn, n) in others {
                tracing::warn!(
                    "{n} job(s) of merchant {msn} wait for a worker with that merchant's credentials; this worker delivers only merchant {}",
                    self.msn
                );
            }
        }
    }

    /// Delivers `job` (in a task of its own, so that a panic is caught and
    /// named) while renewing its lease.
    async fn attempt(&self, job: &ClaimedJob) -> Attempt {
        if job.merchant_serial_number != self.msn {
            // Claims filter on the merchant; this is a second guard.
            return Attempt::Done(Verdict::Retry {
                error: format!(
                    "job of merchant {} reached a worker of merchant {}; left for that merchant's worker",
                    job.merchant_serial_number, self.msn
                ),
                status: None,
                after: Duration::ZERO,
            });
        }
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
        let client = self.client.clone();
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
            match self
                .outbox
                .record(job, &self.owner, &verdict, self.config.webhook_events)
                .await
            {
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

/// Runs `workers` workers of one merchant in this process until `shutdown`
/// completes (or, with [`WorkerConfig::stop_when_idle`], until all of them
/// are idle), then shuts them down gracefully; the sum of their reports.
/// Each is named `OWNER/1`, `OWNER/2`, ... after one random base name.
///
/// When a worker stops abnormally ([`Worker::run`]'s [`WorkerAborted`],
/// or a panic of its task), the others are shut down gracefully too and
/// the result is [`WorkerAborted`] with every reason and the sum of what
/// was done: a process whose workers are failing says so instead of
/// idling on with fewer workers.
pub async fn run_workers(
    outbox: &Outbox,
    client: &Client,
    config: &WorkerConfig,
    workers: usize,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<WorkerReport, WorkerAborted> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let base = default_owner();
    let mut tasks = tokio::task::JoinSet::new();
    let mut owners = HashMap::new();
    for i in 1..=workers.max(1) {
        let owner = format!("{base}/{i}");
        let worker = Worker::new(outbox.clone(), client.clone())
            .with_config(config.clone())
            .with_owner(owner.clone());
        let mut stopped = stopped.clone();
        let handle = tasks.spawn(async move {
            worker
                .run(async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await
        });
        owners.insert(handle.id(), owner);
    }
    let mut total = WorkerReport::default();
    let mut reasons = Vec::new();
    let mut shutdown = pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown, if !*stop.borrow() => {
                let _ = stop.send(true);
            }
            joined = tasks.join_next_with_id() => match joined {
                Some(Ok((_, Ok(report)))) => total.add(report),
                Some(Ok((_, Err(aborted)))) => {
                    total.add(aborted.report);
                    reasons.extend(aborted.reasons);
                    if !*stop.borrow() {
                        tracing::error!("an outbox worker stopped abnormally; stopping the others");
                        let _ = stop.send(true);
                    }
                }
                Some(Err(e)) => {
                    let owner = owners.get(&e.id()).map(String::as_str).unwrap_or("?");
                    let what = if e.is_panic() {
                        format!("panicked: {}", panic_text(e.into_panic()))
                    } else {
                        "was cancelled".to_owned()
                    };
                    tracing::error!(owner, "an outbox worker task {what}; stopping the others");
                    reasons.push(format!(
                        "worker {owner} {what}; a job it held is taken over when its lease runs out"
                    ));
                    let _ = stop.send(true);
                }
                None => break,
            },
        }
    }
    if reasons.is_empty() {
        Ok(total)
    } else {
        Err(WorkerAborted {
            reasons,
            report: total,
        })
    }
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
