//! `vipps-om outbox status`: queue numbers, the jobs of an order, or one
//! job with its request. Also the job lines `outbox failed` prints.

use std::time::Duration;

use serde_json::{Value, json};
use vipps_om_outbox::{
    JobId, JobState, JobStatus, Metrics, Outbox, OutboxError, Outcome, redact_url,
};

use super::failure;
use crate::commands::Context;
use crate::failure::Failure;
use crate::style::{Style, clean};

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

/// The queue's numbers.
pub(super) async fn queue_status(ctx: &Context, outbox: &Outbox, url: &str) -> Result<(), Failure> {
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

/// A job in a few lines: what, where it stands, why it failed (each
/// field problem once), when.
pub(super) fn job_text(job: &JobStatus, style: &Style) -> String {
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
    let summary = job.summary();
    out.push_str(&format!("      {}\n", clean(&summary)));
    if job.state == JobState::Failed {
        for (path, reason) in field_problems(job, &summary) {
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

/// The field problems of a job to list under its `summary` line: each
/// once, and none that line already names with its reason (jobs failed
/// before the outbox kept a job's reason apart from its fields name the
/// first field in the reason too).
fn field_problems<'j>(job: &'j JobStatus, summary: &str) -> Vec<(&'j str, &'j str)> {
    let mut listed: Vec<(&str, &str)> = Vec::new();
    for problem in &job.problems {
        let pair = (problem.path.as_str(), problem.reason.as_str());
        let in_summary = summary.contains(&format!("{}: {}", pair.0, pair.1));
        if !in_summary && !listed.contains(&pair) {
            listed.push(pair);
        }
    }
    listed
}

/// Every job of an order.
pub(super) async fn order_status(
    ctx: &Context,
    outbox: &Outbox,
    order: &str,
) -> Result<(), Failure> {
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

/// One job and the request it sends (the plain API body), or why its
/// stored request cannot be read.
pub(super) async fn show_job(ctx: &Context, outbox: &Outbox, id: JobId) -> Result<(), Failure> {
    let job = outbox.job(id).await.map_err(failure)?;
    let (request, unreadable) = match outbox.job_request(id).await {
        Ok(request) => (
            serde_json::to_value(&request)
                .map(|mut tagged| tagged["body"].take())
                .unwrap_or_default(),
            None,
        ),
        Err(OutboxError::UnreadableRequest { reason, .. }) => (Value::Null, Some(reason)),
        Err(e) => return Err(failure(e)),
    };
    ctx.emit(
        |style| {
            let mut out = job_text(&job, style);
            match &unreadable {
                Some(reason) => out.push_str(&format!(
                    "      {} the stored request cannot be read: {}; replace it with `vipps-om outbox retry {id} --file FIXED.json`\n",
                    style.fail("✗"),
                    clean(reason)
                )),
                None => out.push_str(&format!(
                    "      request:\n{}\n",
                    serde_json::to_string_pretty(&request)
                        .unwrap_or_default()
                        .lines()
                        .map(|l| format!("        {}", clean(l)))
                        .collect::<Vec<_>>()
                        .join("\n")
                )),
            }
            out
        },
        || json!({"job": job, "request": request, "unreadableRequest": unreadable}),
    );
    Ok(())
}
