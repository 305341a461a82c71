//! Durable delivery of order details: an **outbox** for the Vipps
//! MobilePay Order Management API that loses nothing and sends nothing
//! twice.
//!
//! A checkout stores its order-details work (an image, a v2 or v3
//! category, a receipt) in a database table with [`Outbox::enqueue`], or
//! inside its own transaction with [`Outbox::enqueue_in`] so that the
//! order row and its outbox row commit together, and returns at once.
//! [`Worker`]s deliver the jobs through [`vipps_om::Client`], one order at
//! a time in the order they were enqueued (an image before the category
//! that shows it), with retries and backoff, a lease on every claimed job
//! so that a crashed worker's jobs are taken over, and idempotent outcomes.
//! A job leaves the outbox's care only as delivered, or as failed with the
//! API's reasons, kept for staff to fix ([`Outbox::update_job_payload`])
//! and retry ([`Outbox::retry`], [`Outbox::retry_all_failed`]).
//!
//! ```no_run
//! use vipps_om::{Client, OrderId, PaymentType};
//! use vipps_om::builder::{LineBuilder, ReceiptBuilder};
//! use vipps_om::{Amount, Currency, TaxRate};
//! use vipps_om_outbox::{NewJob, Outbox, Worker, WorkerConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let outbox = Outbox::connect("sqlite:///var/lib/shop/outbox.db").await?;
//! let client = Client::from_env()?;
//! let msn = client.merchant_serial_number().clone();
//!
//! // At checkout: in the shop's own transaction, next to the order row.
//! let receipt = ReceiptBuilder::new(Currency::Nok)
//!     .line(LineBuilder::new("sku-1", "Wool socks").unit_price(Amount::minor(14_900)).quantity("2").tax_rate(TaxRate::from_percent(25)))
//!     .build()
//!     .map_err(vipps_om::Error::Validation)?;
//! let order = OrderId::new("order-1001")?;
//! let pool = outbox.sqlite_pool().expect("a SQLite outbox");
//! let mut tx = pool.begin().await?;
//! // sqlx::query("INSERT INTO orders ...").execute(&mut *tx).await?;
//! outbox.enqueue_in(&mut tx, &NewJob::receipt(&msn, &PaymentType::Ecom, &order, &receipt)?).await?;
//! tx.commit().await?;
//!
//! // In a worker process: deliver until Ctrl-C, then finish or release.
//! let worker = Worker::new(outbox.clone(), client).with_config(WorkerConfig::default());
//! worker.run(async { let _ = tokio::signal::ctrl_c().await; }).await?;
//!
//! // For staff: what happened to an order, and what failed.
//! for job in outbox.order_status("order-1001").await? {
//!     println!("{} {}: {}", job.id, job.kind, job.summary());
//! }
//! println!("{:?}", outbox.metrics().await?);
//! # Ok(()) }
//! ```
//!
//! # Layout
//! - the [`outbox`] module: [`Outbox`], connecting and migrating, enqueueing (also in
//!   a caller's [`Tx`]), status, failed jobs and retries, [`Metrics`].
//! - the [`job`] module: [`NewJob`] (made from the client library's typed requests)
//!   and what staff see: [`JobStatus`], [`JobState`], [`Outcome`],
//!   [`FieldProblem`], [`Timestamp`].
//! - the [`request`] module: [`JobRequest`], what a job sends (a receipt,
//!   an image, a v2 or v3 category), and how it is stored: the plain API
//!   body in the `payload` column, with [`PAYLOAD_VERSION`] in
//!   `payload_version`. A stored request is read once, when a worker
//!   claims the job or staff ask for it ([`Outbox::job_request`]).
//! - the [`merchants`] module: which client delivers a merchant's jobs
//!   (any [`vipps_om::CredentialsProvider`]: partner keys, a keyring, a
//!   [`ClientSet`]), and the [`MerchantScope`] a worker claims for.
//! - the [`browse`] module: every job for support staff, filtered
//!   ([`JobFilter`]), sorted and paged by key ([`Outbox::browse`],
//!   [`PageKey`]; an index per filter), failed jobs grouped by reason
//!   ([`Outbox::failure_groups`]), the backlog per merchant and
//!   deliveries over time ([`Outbox::backlog`], [`Outbox::activity`]).
//! - the [`telemetry`] module: the Prometheus metrics and their endpoint.
//! - the [`worker`] module: [`Worker`], [`WorkerConfig`], [`Backoff`],
//!   [`run_workers`]; leases, renewal, graceful shutdown; [`Verdict`], how
//!   one attempt ended ([`Worker::run_once`] returns it in a
//!   [`Processed`]), of which a delivered job keeps its [`Outcome`].
//! - the [`webhook`] module: events for the shop (a job failed for good,
//!   delivered after having failed, waiting too long), stored with the
//!   outcome that causes them and posted signed ([`run_webhooks`],
//!   [`WebhookConfig`]; [`WorkerConfig::webhook_events`] turns them on).
//! - `deliver`: one attempt through the client and the rules that sort
//!   its result into delivered, try again, or failed for good.
//! - `db`: the two backends and every statement in both dialects;
//!   `migrate`: the shipped migrations and their runner.
//! - the [`error`] module: [`OutboxError`].
//!
//! # Backends
//! - **SQLite** (default): embedded, zero set-up; `sqlite:///abs/path.db`,
//!   `sqlite:/abs/path.db`, `sqlite://relative.db`, or a plain path
//!   (`/var/lib/shop/outbox.db`, `./outbox.db`); the file is created when
//!   missing, its folder is not ([`OutboxError::MissingFolder`] names it).
//!   WAL journal, `synchronous=FULL`, 10 s busy timeout. SQLite
//!   has one writer at a time, so a claim is one atomic `UPDATE … WHERE
//!   id = (SELECT … LIMIT 1)`. Run the workers of one database in one
//!   process (any number of worker tasks in it).
//! - **PostgreSQL** (`postgres://…`): any number of worker processes on
//!   any number of machines; claims use `FOR UPDATE SKIP LOCKED`, so
//!   workers never wait for each other.
//! - **MySQL 8 / MariaDB 10.6+** (`mysql://…`, the `mysql` feature): as
//!   PostgreSQL; the claim is `SELECT … FOR UPDATE SKIP LOCKED` and the
//!   lease `UPDATE` in one transaction, order locks are rows of
//!   `vipps_om_outbox_order_locks`, and start-ups migrate under
//!   `GET_LOCK`.
//!
//! Any language can enqueue with plain SQL in its own transaction: see
//! the enqueue contract in the crate's README and [`schema`] for the DDL.
//!
//! Migrations ship with the crate and run in [`Outbox::connect`]; they are
//! recorded in the outbox's own `vipps_om_outbox_migrations` table, so the
//! outbox can share a database with an application that runs its own
//! sqlx migrations. Times are kept as milliseconds since the epoch from
//! the database's clock.
//!
//! # Guarantees and chosen behaviours
//! - **Nothing is dropped.** A job is delivered, or failed with reasons
//!   and kept. Transient failures are retried without limit by default
//!   (backoff 1 s doubling to 5 min, with jitter; a 429 waits as long as
//!   the API asked); [`WorkerConfig::max_attempts`] turns a long outage
//!   into failed jobs instead; it counts the attempts since the job was
//!   enqueued or last retried by staff ([`JobStatus::attempts_since_retry`]),
//!   so [`Outbox::retry`] gives a job its whole budget again, while
//!   [`JobStatus::attempts`] (every attempt ever) still decides what a
//!   409 means. Every wait is bounded: a `Retry-After` by
//!   [`vipps_om::retry::MAX_RETRY_AFTER`] (1 hour), anything written ahead
//!   of the clock by [`MAX_SCHEDULE_AHEAD`] (24 hours).
//! - **A worker that cannot go on says so.** A delivery that panics fails
//!   its job with the reason (its lease is not left to stall the order),
//!   and the worker stops; so does a worker whose database has not
//!   answered for [`WorkerConfig::max_db_outage`]. [`Worker::run`] and
//!   [`run_workers`] then return [`WorkerAborted`] with the reasons (the
//!   other workers of [`run_workers`] are shut down gracefully first), and
//!   `vipps-om outbox run` exits non-zero naming them.
//! - **Nothing is sent twice.** An attempt is counted before it is sent.
//!   A 409 on a receipt is compared with the receipt the API holds (GET
//!   the order): "the same" means every field we sent is stored with the
//!   same value (numbers by value, lists in order; fields the API adds
//!   and fields we left empty are not compared). The same receipt is
//!   delivered ([`Outcome::AlreadyPresent`] after an earlier attempt,
//!   [`Outcome::AlreadyThere`] before the first); a different one fails
//!   the job with [`JobStatus::different_content`] set ("a different
//!   receipt is already stored; receipts cannot be changed"). Images have
//!   no GET: a 409 on an image id is compared with the bodies this outbox
//!   itself uploaded under that id (different: failed the same way); an
//!   id it never uploaded is taken as the same image, so derive image ids
//!   from the bytes ([`vipps_om::Image::from_bytes_with_content_id`]). A v3
//!   category is looked up before it is added again after an earlier
//!   attempt, since every POST adds one. A v2 category replaces, so
//!   repeating it is harmless.
//! - **Enqueued once.** Every job has an idempotency key, by default the
//!   SHA-256 of merchant, payment type, orderId, kind and request body
//!   ([`NewJob::with_idempotency_key`] sets your own, at most
//!   [`MAX_IDEMPOTENCY_KEY_LEN`] bytes). Enqueuing a key the outbox holds
//!   for the merchant stores nothing and returns the earlier job
//!   ([`Outbox::submit`] says [`Enqueued::already_queued`]).
//! - **Permanent failures** (400, 403, 404, other 4xx, local validation
//!   errors) fail the job with the API's message and every rejected field
//!   ([`JobStatus::problems`]). 401 is retried: it comes from credentials
//!   being rotated or a token revoked, and a job is not wrong because of
//!   it.
//! - **Per-order sequence.** Each job gets the next number of its order
//!   (merchant, payment type, orderId) at enqueue, under a lock on the
//!   order held until the enqueuing transaction ends (PostgreSQL:
//!   `pg_advisory_xact_lock`; MySQL: a locked row of
//!   `vipps_om_outbox_order_locks`; SQLite: its single write lock), so the
//!   sequence is the commit order, whatever the interleaving: two
//!   concurrent transactions enqueueing jobs of the same order are
//!   serialised (the second waits in [`Outbox::enqueue_in`] until the first
//!   ends). A worker only claims the first undelivered job of an order; a
//!   failed job holds back the later jobs of its order until it is fixed
//!   and retried ([`JobStatus::blocked_by`]).
//! - **Content is validated when delivered**, not when enqueued: a
//!   checkout never fails because of a receipt's content; a bad receipt
//!   fails its job with every problem named. [`NewJob::parse`] checks
//!   people's JSON up front.
//! - **Every merchant of the worker's credentials** (see [`worker`] and
//!   [`merchants`]): the job stores its Merchant-Serial-Number; a
//!   [`Worker::new`] claims only its client's, a
//!   [`Worker::for_merchants`] those of every merchant its
//!   [`vipps_om::CredentialsProvider`] source has a client for, fairly: a batch takes at
//!   most one job per merchant (its oldest due job), the merchants in
//!   turn (see [`Worker::run`]); at most [`WorkerConfig::per_merchant_concurrency`] deliveries
//!   of one merchant at once; a merchant whose calls get 5xx, 401, 429 or
//!   no answer is paused (Retry-After honoured), not the queue.
//! - **Pickup on enqueue.** On PostgreSQL an enqueue sends
//!   `NOTIFY` on [`NOTIFY_CHANNEL`] in its transaction and workers
//!   `LISTEN`; on SQLite an enqueue wakes the same process's workers
//!   ([`Outbox::wake_workers`]); other processes poll
//!   ([`WorkerConfig::poll_interval`], 200 ms).
//! - **Metrics** through the `metrics` facade ([`telemetry`]); with the
//!   `prometheus` feature, [`telemetry::serve_metrics`] serves them.
//! - **A stored request that cannot be read fails its job**, with the
//!   reason (a body changed by hand that is not the API body of its kind,
//!   or a `payload_version` this build does not know); staff replace it
//!   and retry. Nothing panics on what the table holds.
//! - **No secrets stored.** Jobs hold the request body, ids and the MSN,
//!   never credentials or tokens; error texts come from
//!   [`vipps_om::Error`], which holds none; database URLs are shown
//!   without passwords.

#![cfg_attr(not(test), warn(clippy::unwrap_used))]

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!(
    "vipps-om-outbox needs a database: enable its `sqlite`, `postgres` and/or `mysql` feature"
);

pub mod browse;
mod db;
mod deliver;
pub mod error;
pub mod job;
pub mod merchants;
mod migrate;
pub mod numbered;
pub mod outbox;
pub mod request;
mod resequence;
pub mod telemetry;
pub mod webhook;
pub mod worker;

pub use browse::{
    Activity, Cursor, FailureGroup, FailureGroups, FailureReason, FilterError, JobFilter, JobPage,
    JobSort, MerchantBacklog, PageKey,
};
pub use db::{Backend, ConnectOptions, ENQUEUE_BATCH, MAX_SCHEDULE_AHEAD};
pub use error::{OutboxError, redact_url};
pub use job::{
    FieldProblem, JobId, JobKind, JobState, JobStatus, MAX_IDEMPOTENCY_KEY_LEN, NewJob, Outcome,
    Timestamp,
};
pub use merchants::{ClientSet, MerchantScope};
#[cfg(feature = "mysql")]
pub use migrate::MYSQL_MIGRATION_LOCK_WAIT;
pub use migrate::{SCHEMA_VERSION, schema};
pub use outbox::{
    CLAIM_WINDOW_MAX, CLAIM_WINDOW_SLACK, ENQUEUE_ARRAY_BATCH, Enqueued, MerchantQueue, Metrics,
    NOTIFY_CHANNEL, ORDER_LOCK_BUCKETS, Outbox, Tx,
};
pub use request::{JobRequest, PAYLOAD_VERSION};
pub use webhook::{WebhookConfig, WebhookReport, WebhookSecret, run_webhooks};
pub use worker::{
    Backoff, DEFAULT_PER_MERCHANT_CONCURRENCY, MAX_CLAIM_PASSES, MAX_LEASE, MAX_MERCHANT_PAUSE,
    PAUSE_AFTER_FAILURES, Processed, RECORD_BATCH, Verdict, Worker, WorkerAborted, WorkerConfig,
    WorkerReport, run_workers,
};
