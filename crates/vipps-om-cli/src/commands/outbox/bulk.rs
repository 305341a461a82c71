//! `vipps-om outbox enqueue --bulk FILE.jsonl`: many receipts, in the
//! line format of `receipt add --bulk`, queued in one transaction; lines
//! that cannot be queued go to `FILE.failed.jsonl` with their reasons.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};
use vipps_om::{MerchantSerialNumber, OrderId, PaymentType};
use vipps_om_outbox::{JobId, JobKind, NewJob, Outbox};

use super::enqueue::job_from_body;
use super::{failure, merchant};
use crate::commands::Context;
use crate::failure::Failure;
use crate::style::clean;

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
    job_from_body(
        JobKind::Receipt,
        msn,
        &payment_type,
        &order,
        bytes.as_bytes(),
        validate,
    )
    .map(|(job, _)| job)
    .map_err(|report| {
        (
            "the receipt is invalid".to_owned(),
            report
                .errors()
                .map(|p| (format!("receipt.{}", p.path), p.message.clone()))
                .collect(),
        )
    })
}

/// Queues the valid lines of a `--bulk` file in one transaction and
/// writes the refused ones to `FILE.failed.jsonl`.
pub(super) async fn run(
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
///
/// The record of one line is the same as `receipt add --bulk` writes
/// ([`failed_record`]); both could share one writer.
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
        writeln!(out, "{}", failed_record(r)).map_err(cannot)?;
    }
    out.flush().map_err(cannot)
}

/// One refused line as written to the failed file: the line's own object
/// with an `error` added (`line`, `reason`, `retryable`, `problems`), or
/// `{"input": TEXT, "error": ...}` for a line that is not a JSON object.
fn failed_record(r: &Refused) -> Value {
    let problems: Vec<Value> = r
        .problems
        .iter()
        .map(|(path, message)| json!({"path": path, "message": message}))
        .collect();
    let error =
        json!({"line": r.number, "reason": r.reason, "retryable": false, "problems": problems});
    match serde_json::from_str::<Value>(&r.text) {
        Ok(Value::Object(mut map)) => {
            map.insert("error".into(), error);
            Value::Object(map)
        }
        _ => json!({"input": r.text, "error": error}),
    }
}
