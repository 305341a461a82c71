//! `vipps-om outbox ...`: durable delivery through the outbox
//! (`vipps_om_outbox`). `enqueue` stores work and returns at once, `run`
//! delivers it until stopped (Ctrl-C/SIGTERM finish or release what is in
//! flight), `status`, `failed` and `retry` are for the people who look
//! after it.
//!
//! The database is `--database-url` (or `VIPPS_OM_DATABASE_URL`), by
//! default a SQLite file in the user's data directory
//! (`~/.local/share/vipps-om/outbox.db` on Linux). The merchant is the one
//! of the connection settings, as for every other command.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use vipps_om::{
    AddCategoryRequest, Category, Image, MerchantSerialNumber, OrderId, PaymentType, Receipt,
    Severity, ValidationReport,
};
use vipps_om_outbox::{
    JobId, JobKind, JobState, JobStatus, Metrics, NewJob, Outbox, OutboxError, Outcome,
    WorkerConfig, redact_url,
};

use super::{Context, order_id, read_input};
use crate::cli::{
    JobKindArg, OutboxArgs, OutboxCommand, OutboxEnqueueArgs, OutboxRetryArgs, OutboxRunArgs,
};
use crate::failure::{ExitCode, Failure};
use crate::style::{Style, clean};

/// Runs an `outbox` subcommand.
pub(crate) async fn run(ctx: &Context, args: &OutboxArgs) -> Result<(), Failure> {
    let url = database_url(args.database_url.as_deref())?;
    let outbox = Outbox::connect(&url).await.map_err(failure)?;
    let result = match &args.command {
        OutboxCommand::Enqueue(enqueue) => match &enqueue.bulk {
            Some(file) => enqueue_bulk(ctx, &outbox, file, enqueue.no_validate).await,
            None => enqueue_one(ctx, &outbox, enqueue).await,
        },
        OutboxCommand::Run(run) => run_workers(ctx, &outbox, &url, run).await,
        OutboxCommand::Status { order_id, job } => match (order_id, job) {
            (_, Some(job)) => show_job(ctx, &outbox, JobId::new(*job)).await,
            (Some(order), None) => order_status(ctx, &outbox, order).await,
            (None, None) => queue_status(ctx, &outbox, &url).await,
        },
        OutboxCommand::Failed { limit } => failed(ctx, &outbox, *limit).await,
        OutboxCommand::Retry(retry) => retry_jobs(ctx, &outbox, retry).await,
    };
    outbox.close().await;
    result
}

/// The database URL: the flag or variable (any spelling
/// [`Outbox::connect`] reads: `sqlite:///PATH`, `sqlite:PATH`, a plain
/// path, `postgres://…`), else a SQLite file in the user's data directory
/// (created with its directory, since it is ours).
pub(crate) fn database_url(given: Option<&str>) -> Result<String, Failure> {
    if let Some(url) = given.map(str::trim).filter(|u| !u.is_empty()) {
        return Ok(url.to_owned());
    }
    let dir = dirs::data_dir()
        .map(|d| d.join("vipps-om"))
        .ok_or_else(|| {
            Failure::usage(
                "no data directory is known for this user; give --database-url (e.g. sqlite:///var/lib/shop/outbox.db) or set VIPPS_OM_DATABASE_URL",
            )
        })?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
    Ok(format!("sqlite://{}", dir.join("outbox.db").display()))
}

/// How an outbox error ends the command: a database that cannot be
/// reached exits 3; a URL, folder or file that is wrong is configuration
/// (2).
pub(crate) fn failure(error: OutboxError) -> Failure {
    match &error {
        OutboxError::UnsupportedUrl(_)
        | OutboxError::MissingFolder { .. }
        | OutboxError::CannotOpen { .. } => Failure {
            kind: "configuration",
            ..Failure::usage(error.to_string())
        },
        OutboxError::InvalidPayload(report) => Failure::invalid("the new request", report),
        OutboxError::Database { .. } => Failure {
            code: ExitCode::Unavailable,
            kind: "database",
            ..Failure::usage(error.to_string())
        },
        OutboxError::NoSuchJob(_) => Failure {
            kind: "not_found",
            ..Failure::usage(error.to_string())
        },
        OutboxError::Schema(_) => Failure {
            kind: "schema",
            ..Failure::usage(error.to_string())
        },
        _ => Failure::usage(error.to_string()),
    }
}

fn merchant(ctx: &Context) -> Result<MerchantSerialNumber, Failure> {
    Ok(ctx.client()?.merchant_serial_number().clone())
}

// ------------------------------------------------------------ enqueue

impl From<JobKindArg> for JobKind {
    fn from(kind: JobKindArg) -> Self {
        match kind {
            JobKindArg::Receipt => JobKind::Receipt,
            JobKindArg::Category => JobKind::CategoryV2,
            JobKindArg::CategoryV3 => JobKind::CategoryV3,
            JobKindArg::Image => JobKind::Image,
        }
    }
}

/// Whether bytes are a PNG or JPEG file rather than JSON.
fn is_image_file(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG") || bytes.starts_with(&[0xFF, 0xD8, 0xFF])
}

/// A job from a file of `kind`: checked with the client library's rules,
/// or (with `--no-validate`) only read.
fn job_from_file(
    kind: JobKind,
    msn: &MerchantSerialNumber,
    payment_type: &PaymentType,
    order: &OrderId,
    bytes: &[u8],
    validate: bool,
) -> Result<(NewJob, ValidationReport, Option<String>), Failure> {
    let what = format!("the {}", kind.describe());
    if kind == JobKind::Image && is_image_file(bytes) {
        // A picture: uploaded under an id derived from its content.
        let report = vipps_om::validate::validate_image_bytes(bytes, "src");
        if validate && report.has_errors() {
            return Err(Failure::invalid("the image", &report));
        }
        let image = Image::from_bytes_with_content_id(bytes);
        let id = image.image_id.to_string();
        let job = NewJob::image(msn, payment_type, order, &image).map_err(failure)?;
        return Ok((job, report, Some(id)));
    }
    if validate {
        let (job, warnings) = NewJob::parse(kind, msn, payment_type, order, bytes)
            .map_err(|report| Failure::invalid(&what, &report))?;
        let image_id = image_id_of(&job);
        return Ok((job, warnings, image_id));
    }
    let unreadable =
        |e: serde_json::Error| Failure::usage(format!("{what} cannot be read as JSON: {e}"));
    let job = match kind {
        JobKind::Receipt => {
            let receipt: Receipt = serde_json::from_slice(bytes).map_err(unreadable)?;
            NewJob::receipt(msn, payment_type, order, &receipt)
        }
        JobKind::CategoryV2 => {
            let category: Category = serde_json::from_slice(bytes).map_err(unreadable)?;
            NewJob::category(msn, payment_type, order, &category)
        }
        JobKind::CategoryV3 => {
            let request: AddCategoryRequest = serde_json::from_slice(bytes).map_err(unreadable)?;
            if &request.order_id != order || &request.payment_type != payment_type {
                return Err(Failure::usage(format!(
                    "the category is for {} order {}, not {payment_type} order {order}",
                    request.payment_type, request.order_id
                )));
            }
            NewJob::category_v3(msn, &request)
        }
        JobKind::Image => {
            let image: Image = serde_json::from_slice(bytes).map_err(unreadable)?;
            NewJob::image(msn, payment_type, order, &image)
        }
    }
    .map_err(failure)?;
    let image_id = image_id_of(&job);
    Ok((job, ValidationReport::new(), image_id))
}

fn image_id_of(job: &NewJob) -> Option<String> {
    (job.kind() == JobKind::Image)
        .then(|| serde_json::from_str::<Image>(job.payload()).ok())
        .flatten()
        .map(|image| image.image_id.to_string())
}

async fn enqueue_one(
    ctx: &Context,
    outbox: &Outbox,
    args: &OutboxEnqueueArgs,
) -> Result<(), Failure> {
    let (Some(raw_order), Some(file)) = (&args.order_id, &args.file) else {
        return Err(Failure::usage(
            "give --file FILE and --order-id ID, or --bulk FILE.jsonl",
        ));
    };
    let order = order_id(raw_order)?;
    let payment_type = PaymentType::from(args.payment_type);
    let kind = JobKind::from(args.kind);
    let msn = merchant(ctx)?;
    let bytes = read_input(file)?;
    let (job, warnings, image_id) =
        job_from_file(kind, &msn, &payment_type, &order, &bytes, !args.no_validate)?;
    let enqueued = outbox.submit(&job).await.map_err(failure)?;
    let id = enqueued.id;
    let already = if enqueued.already_queued {
        Some(outbox.job(id).await.map_err(failure)?.state)
    } else {
        None
    };
    ctx.emit(
        |style| {
            let mut out = match already {
                Some(state) => format!(
                    "{} as job {id} ({state}): the same {} for {payment_type} order {}, merchant {msn}; nothing new was queued (`vipps-om outbox status --job {id}`)\n",
                    style.ok("✓ Already queued"),
                    kind.describe(),
                    clean(order.as_str()),
                ),
                None => format!(
                    "{} job {id}: {} for {payment_type} order {}, merchant {msn}; `vipps-om outbox run` delivers it\n",
                    style.ok("✓ Queued"),
                    kind.describe(),
                    clean(order.as_str()),
                ),
            };
            if let Some(image_id) = &image_id {
                out.push_str(&format!("  image id: {image_id} (use it in the order's category)\n"));
            }
            out.push_str(&super::receipt::warnings_text(&warnings, style));
            out
        },
        || {
            json!({"jobId": id, "alreadyQueued": enqueued.already_queued,
                   "kind": kind, "orderId": order, "paymentType": payment_type,
                   "merchantSerialNumber": msn.as_str(), "imageId": image_id,
                   "warnings": warnings.problems()})
        },
    );
    Ok(())
}

/// One `--bulk` line, the format of `receipt add --bulk`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkLine {
    order_id: String,
    #[serde(default)]
    payment_type: Option<String>,
    receipt: Value,
}

/// A line that could not be queued, with why.
struct Refused {
    number: usize,
    text: String,
    reason: String,
    problems: Vec<(String, String)>,
}

fn bulk_job(
    msn: &MerchantSerialNumber,
    text: &str,
    validate: bool,
) -> Result<NewJob, (String, Vec<(String, String)>)> {
    let line: BulkLine = serde_json::from_str(text).map_err(|e| {
        (
            format!(
                "not a bulk line ({e}); expected {{\"orderId\": .., \"paymentType\": .., \"receipt\": {{..}}}}"
            ),
            Vec::new(),
        )
    })?;
    let order = OrderId::new(&line.order_id)
        .map_err(|e| (e.to_string(), vec![("orderId".to_owned(), e.to_string())]))?;
    let payment_type = match line.payment_type.as_deref() {
        None => PaymentType::Ecom,
        Some(p) => p.parse::<PaymentType>().map_err(|e| {
            (
                e.to_string(),
                vec![("paymentType".to_owned(), e.to_string())],
            )
        })?,
    };
    let bytes = line.receipt.to_string();
    job_from_file(
        JobKind::Receipt,
        msn,
        &payment_type,
        &order,
        bytes.as_bytes(),
        validate,
    )
    .map(|(job, _, _)| job)
    .map_err(|f| {
        (
            "the receipt is invalid".to_owned(),
            f.problems
                .into_iter()
                .filter(|(_, _, severity)| *severity == Severity::Error)
                .map(|(path, message, _)| (format!("receipt.{path}"), message))
                .collect(),
        )
    })
}

async fn enqueue_bulk(
    ctx: &Context,
    outbox: &Outbox,
    input: &Path,
    no_validate: bool,
) -> Result<(), Failure> {
    let msn = merchant(ctx)?;
    let file = std::fs::File::open(input)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", input.display())))?;
    let mut jobs = Vec::new();
    let mut refused = Vec::new();
    let mut total = 0;
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let text = line.map_err(|e| {
            Failure::usage(format!(
                "cannot read {} line {}: {e}",
                input.display(),
                index + 1
            ))
        })?;
        if text.trim().is_empty() {
            continue;
        }
        total += 1;
        match bulk_job(&msn, &text, !no_validate) {
            Ok(job) => jobs.push(job),
            Err((reason, problems)) => refused.push(Refused {
                number: index + 1,
                text,
                reason,
                problems,
            }),
        }
    }
    // All valid lines in one transaction: queued together or not at all.
    let done = outbox.submit_many(&jobs).await.map_err(failure)?;
    let ids: Vec<JobId> = done
        .iter()
        .filter(|e| !e.already_queued)
        .map(|e| e.id)
        .collect();
    let already = done.len() - ids.len();
    let failed_path = failed_file(input);
    write_refused(&failed_path, &refused)?;
    ctx.emit(
        |style| {
            let mut out = format!(
                "{} {} of {} receipts queued for merchant {msn}{}{}\n",
                if refused.is_empty() {
                    style.ok("✓")
                } else {
                    style.fail("✗")
                },
                ids.len(),
                total,
                match (ids.first(), ids.last()) {
                    (Some(first), Some(last)) => format!(" (jobs {first}–{last})"),
                    _ => String::new(),
                },
                if already > 0 {
                    format!("; {already} already queued (not queued again)")
                } else {
                    String::new()
                }
            );
            for r in refused.iter().take(10) {
                out.push_str(&format!("  line {}: {}\n", r.number, clean(&r.reason)));
                for (path, message) in r.problems.iter().take(5) {
                    out.push_str(&format!(
                        "    {} {}: {}\n",
                        style.fail("✗"),
                        clean(path),
                        clean(message)
                    ));
                }
            }
            if refused.len() > 10 {
                out.push_str(&format!("  … and {} more\n", refused.len() - 10));
            }
            if !refused.is_empty() {
                out.push_str(&format!(
                    "Refused lines with reasons: {}; fix them and queue that file with --bulk\n",
                    failed_path.display()
                ));
            }
            out
        },
        || {
            json!({"summary": {"total": total, "enqueued": ids.len(), "alreadyQueued": already,
                               "invalid": refused.len()},
                   "firstJobId": ids.first(), "lastJobId": ids.last(),
                   "failedFile": (!refused.is_empty()).then(|| failed_path.display().to_string())})
        },
    );
    if refused.is_empty() {
        Ok(())
    } else {
        Err(Failure {
            kind: "bulk",
            ..Failure::usage(format!(
                "{} of {total} lines were not queued; see {}",
                refused.len(),
                failed_path.display()
            ))
        })
    }
}

fn failed_file(input: &Path) -> PathBuf {
    let name = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bulk".into());
    input.with_file_name(format!("{name}.failed.jsonl"))
}

/// Writes refused lines with an added `error` object (valid `--bulk`
/// input once fixed); removes a stale file when nothing was refused.
fn write_refused(path: &Path, refused: &[Refused]) -> Result<(), Failure> {
    let cannot =
        |e: std::io::Error| Failure::usage(format!("cannot write {}: {e}", path.display()));
    if refused.is_empty() {
        if path.exists() {
            std::fs::remove_file(path).map_err(cannot)?;
        }
        return Ok(());
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).map_err(cannot)?);
    for r in refused {
        let error = json!({
            "line": r.number, "reason": r.reason, "retryable": false,
            "problems": r.problems.iter().map(|(p, m)| json!({"path": p, "message": m})).collect::<Vec<_>>(),
        });
        let record = match serde_json::from_str::<Value>(&r.text) {
            Ok(Value::Object(mut map)) => {
                map.insert("error".into(), error);
                Value::Object(map)
            }
            _ => json!({"input": r.text, "error": error}),
        };
        writeln!(out, "{record}").map_err(cannot)?;
    }
    out.flush().map_err(cannot)
}

// ------------------------------------------------------------ run

/// Waits for Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn run_workers(
    ctx: &Context,
    outbox: &Outbox,
    url: &str,
    args: &OutboxRunArgs,
) -> Result<(), Failure> {
    let client = ctx.client()?;
    let msn = client.merchant_serial_number().as_str().to_owned();
    let config = WorkerConfig::default()
        .lease(Duration::from_secs(args.lease_secs))
        .poll_interval(Duration::from_millis(args.poll_ms))
        .shutdown_grace(Duration::from_secs(args.grace_secs))
        .max_attempts(args.max_attempts)
        .stop_when_idle(args.drain)
        .max_db_outage(Some(Duration::from_secs(args.max_db_outage_secs)));
    eprintln!(
        "Delivering the outbox jobs of merchant {msn} from {} with {} worker(s); Ctrl-C or SIGTERM stops gracefully",
        redact_url(url),
        args.workers
    );
    let waiting = outbox
        .waiting_for_other_merchants(&msn)
        .await
        .map_err(failure)?;
    for (other, n) in &waiting {
        eprintln!(
            "note: {n} job(s) of merchant {other} are left for a worker run with that merchant's credentials"
        );
    }
    let report =
        vipps_om_outbox::run_workers(outbox, &client, &config, usize::from(args.workers), async {
            stop_signal().await;
            eprintln!(
                "Stopping: finishing the deliveries in flight (at most {} s)…",
                args.grace_secs
            );
        })
        .await
        .map_err(|aborted| {
            let r = aborted.report;
            Failure {
                code: ExitCode::Unavailable,
                kind: "worker_stopped",
                ..Failure::usage(format!(
                    "{aborted}. Until then: {} delivered, {} to try again, {} failed, {} released unfinished. Fix the cause (a database that is gone or unreachable: check it, or allow a longer outage with --max-db-outage-secs) and start `vipps-om outbox run` again; `vipps-om outbox status` shows where each job stands",
                    r.delivered, r.retried, r.failed, r.released
                ))
            }
        })?;
    ctx.emit(
        |style| {
            format!(
                "{} {} delivered, {} to try again, {} failed, {} released unfinished\n",
                if report.failed == 0 {
                    style.ok("✓")
                } else {
                    style.fail("✗")
                },
                report.delivered,
                report.retried,
                report.failed,
                report.released
            )
        },
        || json!({"report": report}),
    );
    if args.drain && report.different_content > 0 {
        return Err(Failure {
            code: ExitCode::Refused,
            kind: "different_content",
            status: Some(409),
            ..Failure::usage(format!(
                "{} job(s) failed because a different receipt (or image under the same id) is already stored; receipts and images cannot be changed, so the app keeps showing the stored one{}; see `vipps-om outbox failed`",
                report.different_content,
                match report.failed - report.different_content {
                    0 => String::new(),
                    n => format!(", and {n} other job(s) failed for good"),
                }
            ))
        });
    }
    if args.drain && report.failed > 0 {
        return Err(Failure {
            code: ExitCode::Refused,
            kind: "failed_jobs",
            ..Failure::usage(format!(
                "{} job(s) failed for good; see `vipps-om outbox failed`, fix them and `vipps-om outbox retry`",
                report.failed
            ))
        });
    }
    Ok(())
}

// ------------------------------------------------------------ status

fn seconds(d: Duration) -> String {
    if d.as_secs() >= 120 {
        format!("{} min", d.as_secs() / 60)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn metrics_text(metrics: &Metrics, url: &str, style: &Style) -> String {
    let mut out = format!(
        "{}\n",
        style.heading(&format!("Outbox {}", redact_url(url)))
    );
    out.push_str(&format!(
        "  {} pending ({} retrying) · {} in flight · {} failed · {} delivered\n",
        metrics.pending, metrics.retrying, metrics.in_flight, metrics.failed, metrics.delivered
    ));
    out.push_str(&format!(
        "  oldest waiting job: {} · last minute: {} delivered, {} failed\n",
        metrics
            .oldest_pending_age
            .map(seconds)
            .unwrap_or_else(|| "none".to_owned()),
        metrics.delivered_last_minute,
        metrics.failed_last_minute
    ));
    for m in &metrics.by_merchant {
        out.push_str(&format!(
            "  merchant {}: {} pending, {} in flight, {} failed\n",
            clean(&m.merchant_serial_number),
            m.pending,
            m.in_flight,
            m.failed
        ));
    }
    if metrics.failed > 0 {
        out.push_str(&format!(
            "  {} `vipps-om outbox failed` lists the failed jobs with the API's reasons\n",
            style.warn("!")
        ));
    }
    out
}

async fn queue_status(ctx: &Context, outbox: &Outbox, url: &str) -> Result<(), Failure> {
    let metrics = outbox.metrics().await.map_err(failure)?;
    ctx.emit(
        |style| metrics_text(&metrics, url, style),
        || json!({"database": redact_url(url), "backend": outbox.backend().as_str(), "metrics": metrics}),
    );
    Ok(())
}

fn state_label(job: &JobStatus, style: &Style) -> String {
    match job.state {
        JobState::Delivered => style.ok(match job.outcome {
            Some(Outcome::AlreadyThere) => "delivered (already there)",
            Some(Outcome::AlreadyPresent) => "delivered (already present)",
            _ => "delivered",
        }),
        JobState::Failed if job.different_content => style.fail(&format!(
            "failed (a different {} is already stored)",
            job.kind.describe()
        )),
        JobState::Failed => style.fail("failed"),
        JobState::InFlight => style.warn("in flight"),
        JobState::Pending => "pending".to_owned(),
    }
}

fn job_text(job: &JobStatus, style: &Style) -> String {
    let mut out = format!(
        "  {} {} for {} order {} (merchant {}): {}, {} attempt(s)\n",
        style.strong(&format!("job {}", job.id)),
        job.kind.describe(),
        clean(&job.payment_type),
        clean(&job.order_id),
        clean(&job.merchant_serial_number),
        state_label(job, style),
        job.attempts
    );
    out.push_str(&format!("      {}\n", clean(&job.summary())));
    if job.state == JobState::Failed {
        for (path, reason) in job.problems.iter().map(|p| (&p.path, &p.reason)) {
            out.push_str(&format!(
                "      {} {}: {}\n",
                style.fail("✗"),
                clean(path),
                clean(reason)
            ));
        }
    }
    out.push_str(&format!(
        "      {}\n",
        style.dim(&format!(
            "queued {}, updated {}{}",
            job.created_at,
            job.updated_at,
            job.result_id
                .as_deref()
                .map(|id| format!(", id {}", clean(id)))
                .unwrap_or_default()
        ))
    ));
    out
}

async fn order_status(ctx: &Context, outbox: &Outbox, order: &str) -> Result<(), Failure> {
    let jobs = outbox.order_status(order).await.map_err(failure)?;
    ctx.emit(
        |style| {
            if jobs.is_empty() {
                return format!("No outbox jobs for order {}\n", clean(order));
            }
            let mut out = format!("{}\n", style.heading(&format!("Order {}", clean(order))));
            for job in &jobs {
                out.push_str(&job_text(job, style));
            }
            out
        },
        || json!({"orderId": order, "jobs": jobs}),
    );
    Ok(())
}

async fn show_job(ctx: &Context, outbox: &Outbox, id: JobId) -> Result<(), Failure> {
    let job = outbox.job(id).await.map_err(failure)?;
    let payload = outbox.job_payload(id).await.map_err(failure)?;
    let request: Value = serde_json::from_str(&payload).unwrap_or(Value::String(payload));
    ctx.emit(
        |style| {
            let mut out = job_text(&job, style);
            out.push_str(&format!(
                "      request:\n{}\n",
                serde_json::to_string_pretty(&request)
                    .unwrap_or_default()
                    .lines()
                    .map(|l| format!("        {}", clean(l)))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
            out
        },
        || json!({"job": job, "request": request}),
    );
    Ok(())
}

async fn failed(ctx: &Context, outbox: &Outbox, limit: u32) -> Result<(), Failure> {
    let jobs = outbox.failed(limit).await.map_err(failure)?;
    ctx.emit(
        |style| {
            if jobs.is_empty() {
                return format!("{} No failed jobs\n", style.ok("✓"));
            }
            let mut out = format!(
                "{}\n",
                style.heading(&format!("{} failed job(s)", jobs.len()))
            );
            for job in &jobs {
                out.push_str(&job_text(job, style));
                if let Some(error) = &job.last_error {
                    for line in error.lines().skip(1).filter(|l| !l.trim_start().starts_with("- ")) {
                        out.push_str(&format!("      {}\n", clean(line.trim())));
                    }
                }
                if job.different_content && job.kind == JobKind::Image {
                    out.push_str(&format!(
                        "      fix: give the image a new image id (vipps-om outbox retry {} --file FIXED.json) and use that id in the order's category\n",
                        job.id
                    ));
                } else if job.different_content {
                    out.push_str(&format!(
                        "      it cannot be fixed by a retry: the stored {} stays; tell the customer another way (`vipps-om outbox status --job {}` shows the job's request)\n",
                        job.kind.describe(),
                        job.id
                    ));
                } else {
                    out.push_str(&format!(
                        "      fix: vipps-om outbox status --job {} (the request), then vipps-om outbox retry {} [--file FIXED.json]\n",
                        job.id, job.id
                    ));
                }
            }
            out
        },
        || json!({"jobs": jobs}),
    );
    Ok(())
}

async fn retry_jobs(ctx: &Context, outbox: &Outbox, args: &OutboxRetryArgs) -> Result<(), Failure> {
    if args.all_failed {
        let n = outbox.retry_all_failed().await.map_err(failure)?;
        ctx.emit(
            |style| format!("{} {n} failed job(s) queued again\n", style.ok("✓")),
            || json!({"retried": n}),
        );
        return Ok(());
    }
    let Some(id) = args.job_id.map(JobId::new) else {
        return Err(Failure::usage("give JOB_ID or --all-failed"));
    };
    let mut warnings = ValidationReport::new();
    if let Some(file) = &args.file {
        let bytes = read_input(file)?;
        warnings = outbox
            .update_job_payload(id, &bytes)
            .await
            .map_err(failure)?;
        if outbox.job(id).await.map_err(failure)?.state == JobState::Pending {
            // Not failed: the workers send it with its next attempt.
            ctx.emit(
                |style| {
                    format!(
                        "{} job {id}: request replaced; it is pending and goes with its next attempt\n{}",
                        style.ok("✓"),
                        super::receipt::warnings_text(&warnings, style)
                    )
                },
                || json!({"retried": 0, "jobId": id, "replaced": true, "warnings": warnings.problems()}),
            );
            return Ok(());
        }
    }
    outbox.retry(id).await.map_err(failure)?;
    ctx.emit(
        |style| {
            let mut out = format!(
                "{} job {id} queued again{}\n",
                style.ok("✓"),
                if args.file.is_some() {
                    " with the new request"
                } else {
                    ""
                }
            );
            out.push_str(&super::receipt::warnings_text(&warnings, style));
            out
        },
        || json!({"retried": 1, "jobId": id, "warnings": warnings.problems()}),
    );
    Ok(())
}
