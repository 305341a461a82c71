//! Retrying a failed delivery: a confirmation page, then the outbox sends
//! it again (behind the image it names, when that image waits later in
//! the order).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use vipps_om_outbox::{JobId, JobState, JobStatus, OutboxError};

use super::{Page, St, audit, internal, outbox_failed};
use crate::AppState;
use crate::delivery;
use crate::i18n::T;
use crate::store::NewAudit;
use crate::views::{self, respond};
use crate::web::{Ctx, Signed};

/// The job, of any merchant in the outbox; else 404. A retry only puts
/// the job back in the queue (the worker that holds that merchant's keys
/// sends it), so it is open for every merchant, like the bulk retry of
/// `/jobs`; the confirmation page names the job's merchant.
async fn job_in_outbox(state: &AppState, ctx: &Ctx, id: i64) -> Result<JobStatus, super::AppError> {
    match state.outbox.job(JobId::new(id)).await {
        Ok(job) => Ok(job),
        Err(OutboxError::NoSuchJob(_)) => Err(views::message_page(
            ctx,
            StatusCode::NOT_FOUND,
            ctx.lang.t(T::NotFound),
            ctx.lang.t(T::NotFound),
        )
        .into()),
        Err(e) => Err(internal(ctx, e)),
    }
}

pub(crate) async fn retry_confirm(State(state): St, signed: Signed, Path(id): Path<i64>) -> Page {
    signed.require_editor()?;
    let ctx = &signed.ctx;
    let job = job_in_outbox(&state, ctx, id).await?;
    let image = super::named_image(&state, &job)
        .await
        .map_err(|e| internal(ctx, e))?;
    Ok(respond(
        StatusCode::OK,
        views::forms::retry_confirm(ctx, &job, image.as_deref()),
    ))
}

pub(crate) async fn retry(State(state): St, signed: Signed, Path(id): Path<i64>) -> Page {
    signed.require_editor()?;
    let ctx = &signed.ctx;
    let job = job_in_outbox(&state, ctx, id).await?;
    if job.state != JobState::Failed {
        record(
            &state,
            &signed,
            &job,
            &format!("not retried: it is {}", job.state.as_str()),
            "failed",
        )
        .await;
        return Ok(respond(
            StatusCode::CONFLICT,
            views::forms::retry_refused(ctx, &job),
        ));
    }
    let queued = match delivery::retry(&state.outbox, &job).await {
        Ok(queued) => queued,
        Err(e) => {
            record(
                &state,
                &signed,
                &job,
                &format!("not retried: {e}"),
                "failed",
            )
            .await;
            return Err(outbox_failed(ctx, e));
        }
    };
    record(
        &state,
        &signed,
        &job,
        &format!("queued again: {}", queued.describe()),
        "ok",
    )
    .await;
    Ok(respond(
        StatusCode::OK,
        views::forms::retry_done(ctx, &job, &queued),
    ))
}

async fn record(state: &AppState, signed: &Signed, job: &JobStatus, what: &str, outcome: &str) {
    audit(
        state,
        NewAudit {
            username: &signed.session.user.username,
            action: "job.retry",
            order_id: Some(&job.order_id),
            payment_type: Some(&job.payment_type),
            detail: &format!("job {} ({}) {what}", job.id.get(), job.kind.describe()),
            outcome,
        },
    )
    .await;
}
