//! `vipps-om outbox retry`: send failed jobs again, one (optionally with
//! a fixed request from `--file`) or all. A job retried as it is gets a
//! warning when its stored request would be refused again.

use serde_json::json;
use vipps_om::ValidationReport;
use vipps_om_outbox::{JobId, JobRequest, JobState, Outbox, OutboxError};

use super::failure;
use crate::cli::OutboxRetryArgs;
use crate::commands::receipt::warnings_text;
use crate::commands::{Context, read_input};
use crate::failure::Failure;
use crate::style::Style;

/// Retries one job (with `--file`, with that request) or every failed one.
pub(super) async fn run(
    ctx: &Context,
    outbox: &Outbox,
    args: &OutboxRetryArgs,
) -> Result<(), Failure> {
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
    let mut refused_again = ValidationReport::new();
    if let Some(file) = &args.file {
        let kind = outbox.job(id).await.map_err(failure)?.kind;
        let bytes = read_input(file)?;
        let (request, parsed) = JobRequest::parse(kind, &bytes)
            .map_err(|report| Failure::invalid(&format!("the new {}", kind.describe()), &report))?;
        outbox
            .update_job_payload(id, &request)
            .await
            .map_err(failure)?;
        warnings = parsed;
        if outbox.job(id).await.map_err(failure)?.state == JobState::Pending {
            // Not failed: the workers send it with its next attempt.
            ctx.emit(
                |style| {
                    format!(
                        "{} job {id}: request replaced; it is pending and goes with its next attempt\n{}",
                        style.ok("✓"),
                        warnings_text(&warnings, style)
                    )
                },
                || json!({"retried": 0, "jobId": id, "replaced": true, "warnings": warnings.problems()}),
            );
            return Ok(());
        }
    } else {
        refused_again = stored_problems(outbox, id).await?;
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
            out.push_str(&refused_again_text(id, &refused_again, style));
            out.push_str(&warnings_text(&warnings, style));
            out
        },
        || {
            json!({"retried": 1, "jobId": id, "warnings": warnings.problems(),
                   "wouldBeRefused": refused_again.problems()})
        },
    );
    Ok(())
}

/// What the client library's rules would refuse in a job's stored
/// request (it would fail again the same way), as warnings: the job is
/// retried all the same. A stored request that cannot be read is one.
async fn stored_problems(outbox: &Outbox, id: JobId) -> Result<ValidationReport, Failure> {
    let mut problems = ValidationReport::new();
    match outbox.job_request(id).await {
        Ok(request) => {
            for p in request.validate().errors() {
                problems.warning(p.path.clone(), p.message.clone());
            }
        }
        Err(OutboxError::UnreadableRequest { reason, .. }) => {
            problems.warning("request", format!("it cannot be read: {reason}"));
        }
        Err(e) => return Err(failure(e)),
    }
    Ok(problems)
}

/// The warning for a job retried as it is whose request would be refused
/// again: each problem once, and how to replace the request.
fn refused_again_text(id: JobId, problems: &ValidationReport, style: &Style) -> String {
    if problems.is_empty() {
        return String::new();
    }
    format!(
        "{} warning: the stored request would be refused again ({} problem(s)); it is retried as it is, but fix it with `vipps-om outbox retry {id} --file FIXED.json`\n{}",
        style.warn("!"),
        problems.problems().len(),
        warnings_text(problems, style)
    )
}
