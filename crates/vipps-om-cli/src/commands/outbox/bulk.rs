//! `vipps-om outbox enqueue --bulk FILE.jsonl`: many receipts, in the
//! line format of `receipt add --bulk`, queued in one transaction; lines
//! that cannot be queued go to `FILE.failed.jsonl` with their reasons.

use std::io::{BufRead, BufReader};
use std::path::Path;

use serde_json::json;
use vipps_om_outbox::{JobId, NewJob, Outbox};

use super::{failure, merchant};
use crate::commands::Context;
use crate::commands::bulk::{Failed, prepare};
use crate::failed_lines::{self, FailedLines};
use crate::failure::Failure;

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
    // (line number in the original file, its text, why it was refused)
    let mut refused: Vec<(usize, String, Failed)> = Vec::new();
    let mut total = 0;
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let number = index.saturating_add(1);
        let text = line.map_err(|e| {
            Failure::usage(format!(
                "cannot read {} line {number}: {e}",
                input.display()
            ))
        })?;
        if text.trim().is_empty() {
            continue;
        }
        total += 1;
        let read = failed_lines::read_line(number, &text);
        let job = prepare(read.object, !no_validate).and_then(|(payment_type, order, receipt)| {
            NewJob::receipt(&msn, &payment_type, &order, &receipt)
                .map_err(|e| Failed::new(e.to_string(), Vec::new(), false))
        });
        match job {
            Ok(job) => jobs.push(job),
            Err(failed) => refused.push((read.line, text, failed)),
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
    let mut failed_file = FailedLines::new(failed_lines::default_path(input));
    for (number, text, failed) in &refused {
        failed_file.write(
            *number,
            text,
            &failed.reason,
            &failed.problems,
            failed.retryable,
        )?;
    }
    let failed_path = failed_file.path().to_path_buf();
    failed_file.finish()?;
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
            for (number, _, failed) in refused.iter().take(10) {
                out.push_str(&failed_lines::describe(
                    style,
                    *number,
                    &failed.reason,
                    &failed.problems,
                ));
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
