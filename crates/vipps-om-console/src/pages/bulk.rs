//! Bulk retry, for editors: every failed job matching a `/jobs` filter,
//! or the ticked rows, after a review page that says how many and which.
//! At most [`MAX_BULK_RETRY`] jobs per action (beyond, the review page
//! asks for a narrower filter and the action is refused); one audit entry
//! with the count and the filter. Each job is retried as from its order's
//! page ([`crate::delivery::retry`]: a category behind the image it names).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use vipps_om_outbox::{JobId, JobState, JobStatus, OutboxError};

use super::jobs::{Raw, choose};
use super::{AppError, Page, St, audit, internal};
use crate::AppState;
use crate::delivery;
use crate::i18n::T;
use crate::limits::{BULK_REVIEW_LIST, MAX_BULK_RETRY, MAX_TICKED};
use crate::store::NewAudit;
use crate::views::{self, respond};
use crate::web::{Ctx, Signed};

/// The jobs a bulk form covers.
pub(crate) struct Selection {
    /// Their ids, lowest first (at most [`MAX_BULK_RETRY`] + 1: one more
    /// means too many).
    pub(crate) ids: Vec<JobId>,
    /// Chosen by ticking rows (else by the filter).
    pub(crate) ticked: bool,
}

/// The ids a bulk form names: the ticked rows, or the failed jobs its
/// filter matches.
async fn select(state: &AppState, ctx: &Ctx, raw: &Raw) -> Result<Selection, AppError> {
    let lang = ctx.lang;
    let refuse = |text: String| -> AppError {
        views::message_page(
            ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t(T::BulkTitle),
            &text,
        )
        .into()
    };
    if raw.scope == "ticked" {
        if raw.ticked.len() > MAX_TICKED {
            return Err(refuse(format!(
                "{} {MAX_TICKED}.",
                lang.t(T::BulkTooManyTicked)
            )));
        }
        let mut ids: Vec<JobId> = Vec::new();
        for id in &raw.ticked {
            let Ok(id) = id.parse::<i64>() else {
                return Err(refuse(lang.t(T::JobsBadKey).to_owned()));
            };
            if !ids.contains(&JobId::new(id)) {
                ids.push(JobId::new(id));
            }
        }
        if ids.is_empty() {
            return Err(refuse(lang.t(T::BulkNoneTicked).to_owned()));
        }
        ids.sort_by_key(|id| id.get());
        return Ok(Selection { ids, ticked: true });
    }
    let chosen = match choose(state, ctx, raw).await? {
        Ok(chosen) => chosen,
        Err(problems) => {
            return Err(views::problems_page(
                ctx,
                StatusCode::BAD_REQUEST,
                lang.t(T::InvalidInput),
                &problems,
            )
            .into());
        }
    };
    if chosen.reason_gone {
        return Ok(Selection {
            ids: Vec::new(),
            ticked: false,
        });
    }
    let filter = chosen.filter.state(JobState::Failed);
    let mut ids = state
        .outbox
        .matching_ids(&filter, MAX_BULK_RETRY + 1)
        .await
        .map_err(|e| internal(ctx, e))?;
    // Not the jobs enqueued after the review (ids only grow).
    if let Ok(upto) = raw.upto.parse::<i64>() {
        ids.retain(|id| id.get() <= upto);
    }
    Ok(Selection { ids, ticked: false })
}

/// The filter of a form in words, for the page and the audit log.
fn described(raw: &Raw) -> String {
    let pairs = raw.pairs(false);
    if pairs.is_empty() {
        "every failed job".to_owned()
    } else {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(crate) async fn review(State(state): St, signed: Signed, body: Bytes) -> Page {
    signed.require_editor()?;
    let ctx = &signed.ctx;
    let raw = Raw::from_pairs(&body);
    let selection = select(&state, ctx, &raw).await?;
    let too_many = selection.ids.len() > MAX_BULK_RETRY as usize;
    let mut listed: Vec<JobStatus> = Vec::new();
    for id in selection.ids.iter().take(BULK_REVIEW_LIST) {
        match state.outbox.job(*id).await {
            Ok(job) if job.state == JobState::Failed => listed.push(job),
            Ok(_) | Err(OutboxError::NoSuchJob(_)) => {}
            Err(e) => return Err(internal(ctx, e)),
        }
    }
    let status = if too_many {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(respond(
        status,
        views::bulk::review(
            ctx,
            &views::bulk::Review {
                raw: &raw,
                upto: selection.ids.last().map(|id| id.get()),
                count: selection.ids.len(),
                ticked: selection.ticked,
                listed: &listed,
                filter: described(&raw),
                too_many,
            },
        ),
    ))
}

pub(crate) async fn apply(State(state): St, signed: Signed, body: Bytes) -> Page {
    signed.require_editor()?;
    let ctx = &signed.ctx;
    let lang = ctx.lang;
    let raw = Raw::from_pairs(&body);
    let selection = select(&state, ctx, &raw).await?;
    if selection.ids.len() > MAX_BULK_RETRY as usize {
        return Ok(views::message_page(
            ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t(T::BulkTitle),
            &format!("{} {MAX_BULK_RETRY}.", lang.t(T::BulkTooMany)),
        ));
    }
    let mut done = views::bulk::Done::default();
    for id in &selection.ids {
        match retry_one(&state, *id).await {
            Ok(true) => done.retried += 1,
            Ok(false) => done.skipped += 1,
            Err(e) => {
                tracing::warn!(job = %id, error = %e, "bulk retry: a job could not be retried");
                done.failed.push(*id);
            }
        }
    }
    let what = if selection.ticked {
        let ids: Vec<String> = selection
            .ids
            .iter()
            .map(|id| id.get().to_string())
            .collect();
        format!("ticked jobs {}", ids.join(", "))
    } else {
        format!("failed jobs matching {}", described(&raw))
    };
    let failed_ids: Vec<String> = done.failed.iter().map(|id| id.get().to_string()).collect();
    audit(
        &state,
        NewAudit {
            username: &signed.session.user.username,
            action: "jobs.retry_bulk",
            order_id: None,
            payment_type: None,
            detail: &format!(
                "{} of {} {what} queued again ({} no longer failed{})",
                done.retried,
                selection.ids.len(),
                done.skipped,
                if failed_ids.is_empty() {
                    String::new()
                } else {
                    format!("; not retried, errors: jobs {}", failed_ids.join(", "))
                }
            ),
            outcome: if done.failed.is_empty() {
                "ok"
            } else {
                "failed"
            },
        },
    )
    .await;
    Ok(respond(StatusCode::OK, views::bulk::done(ctx, &raw, &done)))
}

/// Retries one job if it is still failed: `Ok(false)` when it is not.
async fn retry_one(state: &AppState, id: JobId) -> Result<bool, OutboxError> {
    let job = match state.outbox.job(id).await {
        Ok(job) => job,
        Err(OutboxError::NoSuchJob(_)) => return Ok(false),
        Err(e) => return Err(e),
    };
    if job.state != JobState::Failed {
        return Ok(false);
    }
    let result = if delivery::is_category(job.kind) {
        delivery::retry(&state.outbox, &job).await.map(|_| ())
    } else {
        state.outbox.retry(id).await
    };
    match result {
        Ok(()) => Ok(true),
        // Claimed or retried by someone else meanwhile.
        Err(OutboxError::WrongState { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}
