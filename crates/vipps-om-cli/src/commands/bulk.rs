//! `vipps-om receipt add --bulk FILE.jsonl`: many receipts at once, with
//! bounded concurrency, a progress bar, a summary, and the failed lines
//! written to a file that can itself be given to `--bulk` to try again.
//!
//! Re-running is safe: a receipt that is already stored is counted as
//! "already there", never sent twice.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use vipps_om::{Client, Delivered, Error, OrderId, PaymentType};

use super::Context;
use crate::cli::ReceiptAddArgs;
use crate::failure::{ExitCode, Failure};

/// One input line.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkLine {
    order_id: String,
    #[serde(default)]
    payment_type: Option<String>,
    receipt: Value,
}

/// What happened to one line.
enum Outcome {
    Sent,
    AlreadyThere,
    Failed {
        reason: String,
        problems: Vec<(String, String)>,
        retryable: bool,
    },
}

/// A line that was not stored, with why.
struct FailedLine {
    number: usize,
    text: String,
    reason: String,
    problems: Vec<(String, String)>,
    retryable: bool,
}

/// Totals of a run.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Summary {
    /// Lines read.
    pub(crate) total: usize,
    /// Receipts stored by this run.
    pub(crate) sent: usize,
    /// Receipts that were already stored.
    pub(crate) already_there: usize,
    /// Lines that failed.
    pub(crate) failed: usize,
    /// Failed lines that may succeed when run again.
    pub(crate) retryable: usize,
}

/// Runs a bulk upload.
pub(crate) async fn run(ctx: &Context, args: &ReceiptAddArgs, input: &Path) -> Result<(), Failure> {
    let file = std::fs::File::open(input)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", input.display())))?;
    let mut lines = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| {
            Failure::usage(format!(
                "cannot read {} line {}: {e}",
                input.display(),
                index + 1
            ))
        })?;
        if !line.trim().is_empty() {
            lines.push((index + 1, line));
        }
    }
    let failed_path = args
        .failed_out
        .clone()
        .unwrap_or_else(|| default_failed_path(input));
    let client = ctx.client()?;
    let validate = !args.no_validate;

    let progress = if ctx.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(lines.len() as u64), ProgressDrawTarget::stderr())
    };
    progress.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} receipts  {per_sec}  eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );

    let permits = Arc::new(Semaphore::new(usize::from(args.concurrency)));
    let mut tasks = JoinSet::new();
    for (number, text) in lines {
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Failure::usage("internal: concurrency limiter closed"))?;
        let client = client.clone();
        let progress = progress.clone();
        tasks.spawn(async move {
            let outcome = send_line(&client, &text, validate).await;
            drop(permit);
            progress.inc(1);
            (number, text, outcome)
        });
    }

    let mut summary = Summary::default();
    let mut failures: Vec<FailedLine> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (number, text, outcome) =
            joined.map_err(|e| Failure::usage(format!("internal: a send task failed: {e}")))?;
        summary.total += 1;
        match outcome {
            Outcome::Sent => summary.sent += 1,
            Outcome::AlreadyThere => summary.already_there += 1,
            Outcome::Failed {
                reason,
                problems,
                retryable,
            } => {
                summary.failed += 1;
                summary.retryable += usize::from(retryable);
                failures.push(FailedLine {
                    number,
                    text,
                    reason,
                    problems,
                    retryable,
                });
            }
        }
    }
    progress.finish_and_clear();
    failures.sort_by_key(|f| f.number);
    write_failures(&failed_path, &failures)?;

    ctx.emit(
        |style| {
            let mut out = format!(
                "{} {} sent, {} already there, {} failed (of {})\n",
                if summary.failed == 0 { style.ok("✓") } else { style.fail("✗") },
                summary.sent,
                summary.already_there,
                summary.failed,
                summary.total
            );
            for FailedLine { number, reason, .. } in failures.iter().take(10) {
                out.push_str(&format!("  line {number}: {reason}\n"));
            }
            if failures.len() > 10 {
                out.push_str(&format!("  … and {} more\n", failures.len() - 10));
            }
            if summary.failed > 0 {
                out.push_str(&format!(
                    "Failed lines with reasons: {}\nFix them and run again with --bulk {} (stored receipts are never sent twice)\n",
                    failed_path.display(),
                    failed_path.display()
                ));
            }
            out
        },
        || json!({"summary": summary, "failedFile": (summary.failed > 0).then(|| failed_path.display().to_string())}),
    );
    match (summary.failed, summary.retryable) {
        (0, _) => Ok(()),
        (_, r) => Err(Failure {
            code: if r > 0 {
                ExitCode::Unavailable
            } else {
                ExitCode::Refused
            },
            kind: "bulk",
            message: format!(
                "{} of {} receipts failed; see {}",
                summary.failed,
                summary.total,
                failed_path.display()
            ),
            problems: Vec::new(),
            status: None,
        }),
    }
}

async fn send_line(client: &Client, text: &str, validate: bool) -> Outcome {
    let failed = |reason: String, problems: Vec<(String, String)>, retryable| Outcome::Failed {
        reason,
        problems,
        retryable,
    };
    let line: BulkLine = match serde_json::from_str(text) {
        Ok(l) => l,
        Err(e) => {
            return failed(
                format!(
                    "not a bulk line ({e}); expected {{\"orderId\": .., \"paymentType\": .., \"receipt\": {{..}}}}"
                ),
                vec![],
                false,
            );
        }
    };
    let order_id = match OrderId::new(&line.order_id) {
        Ok(id) => id,
        Err(e) => {
            return failed(
                e.to_string(),
                vec![("orderId".into(), e.to_string())],
                false,
            );
        }
    };
    let payment_type = match line
        .payment_type
        .as_deref()
        .map(str::parse::<PaymentType>)
        .transpose()
    {
        Ok(p) => p.unwrap_or(PaymentType::Ecom),
        Err(e) => {
            return failed(
                e.to_string(),
                vec![("paymentType".into(), e.to_string())],
                false,
            );
        }
    };
    // The line is parsed once; the receipt is read from that value, not
    // from text again.
    let parsed = if validate {
        vipps_om::parse::receipt_from_value(&line.receipt).map(|(r, _warnings)| r)
    } else {
        <vipps_om::Receipt as serde::Deserialize>::deserialize(&line.receipt).or_else(|_| {
            // Not even the shape is right: report it the validating way.
            vipps_om::parse::receipt_from_value(&line.receipt).map(|(r, _)| r)
        })
    };
    let receipt = match parsed {
        Ok(r) => r,
        Err(report) => {
            let problems = report
                .errors()
                .map(|p| (format!("receipt.{}", p.path), p.message.clone()))
                .collect();
            return failed("the receipt is invalid".into(), problems, false);
        }
    };
    // Already validated above (when asked to); validating again in the
    // client would only repeat the work.
    let receipts = client.receipts().without_validation();
    match receipts.add(&payment_type, &order_id, &receipt).await {
        Ok(Delivered::Created(_)) => Outcome::Sent,
        Ok(Delivered::AlreadyPresent) | Err(Error::ReceiptAlreadyExists { .. }) => {
            Outcome::AlreadyThere
        }
        Err(e) => {
            let retryable = e.is_retryable();
            let problems = e.field_problems();
            failed(
                e.to_string().lines().next().unwrap_or_default().to_owned(),
                problems,
                retryable,
            )
        }
    }
}

fn default_failed_path(input: &Path) -> PathBuf {
    let name = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bulk".into());
    input.with_file_name(format!("{name}.failed.jsonl"))
}

/// Writes each failed input line with an `error` object added, so the file
/// is valid `--bulk` input; removes a stale file when nothing failed.
fn write_failures(path: &Path, failures: &[FailedLine]) -> Result<(), Failure> {
    if failures.is_empty() {
        if path.exists() {
            std::fs::remove_file(path).map_err(|e| {
                Failure::usage(format!("cannot remove the stale {}: {e}", path.display()))
            })?;
        }
        return Ok(());
    }
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?,
    );
    for FailedLine {
        number,
        text,
        reason,
        problems,
        retryable,
    } in failures
    {
        let error = json!({
            "line": number, "reason": reason, "retryable": retryable,
            "problems": problems.iter().map(|(p, m)| json!({"path": p, "message": m})).collect::<Vec<_>>(),
        });
        let record = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(mut map)) => {
                map.insert("error".into(), error);
                Value::Object(map)
            }
            _ => json!({"input": text, "error": error}),
        };
        writeln!(out, "{record}")
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
    }
    out.flush()
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))
}
