//! One module per page or action. Every handler that changes something
//! takes [`Signed`](crate::web::Signed) and calls
//! [`Signed::require_editor`](crate::web::Signed::require_editor) first; the
//! CSRF token was checked by the guard before any handler runs. Handlers
//! return [`Page`] and use `?`: a refusal is a ready page
//! ([`AppError::Page`]), anything else is logged and answered with the 500
//! page ([`AppError::Internal`]). Markup lives in [`crate::views`].

pub(crate) mod accounts;
pub(crate) mod audit;
pub(crate) mod bulk;
pub(crate) mod category;
pub(crate) mod home;
pub(crate) mod image;
pub(crate) mod jobs;
pub(crate) mod lang;
pub(crate) mod order;
pub(crate) mod retry;
pub(crate) mod signin;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vipps_om_outbox::OutboxError;

use crate::AppState;
use crate::delivery::{OrderKey, Queued};
use crate::i18n::{Lang, T};
use crate::store::NewAudit;
use crate::views;
use crate::web::{Ctx, Signed};

pub(crate) type St = State<Arc<AppState>>;

/// What a handler answers.
pub(crate) type Page = Result<Response, AppError>;

/// Why a handler did not answer with its page.
pub(crate) enum AppError {
    /// A refusal or a problem the user can fix, already a page.
    Page(Response),
    /// Something broke: logged with the path, answered with the 500 page
    /// (no detail shown).
    Internal {
        /// The page's language.
        lang: Lang,
        /// The request's path.
        path: String,
        /// What failed.
        error: String,
    },
}

impl From<Response> for AppError {
    fn from(page: Response) -> Self {
        AppError::Page(page)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Page(page) => page,
            AppError::Internal { lang, path, error } => {
                tracing::error!(error = %error, path = %path, "request failed");
                views::server_error(lang)
            }
        }
    }
}

/// An unexpected failure of `ctx`'s request.
pub(crate) fn internal(ctx: &Ctx, error: impl std::fmt::Display) -> AppError {
    AppError::Internal {
        lang: ctx.lang,
        path: ctx.here.clone(),
        error: error.to_string(),
    }
}

/// The outbox refused a fix: 409 when a worker holds a job of the order,
/// 422 with the problems when the request was refused, else 500.
pub(crate) fn outbox_failed(ctx: &Ctx, error: OutboxError) -> AppError {
    let lang = ctx.lang;
    match error {
        OutboxError::WrongState { .. } => AppError::Page(views::message_page(
            ctx,
            StatusCode::CONFLICT,
            lang.t(T::ActionFailed),
            lang.t(T::Busy),
        )),
        OutboxError::InvalidPayload(report) => {
            let items: Vec<(String, String)> = report
                .errors()
                .map(|p| (p.path.clone(), p.message.clone()))
                .collect();
            AppError::Page(views::problems_page(
                ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                lang.t(T::ActionFailed),
                &items,
            ))
        }
        other => internal(ctx, other),
    }
}

/// Records a fix given to the outbox (`what`, under `action`) in the
/// audit log, with what the outbox was told or why it refused.
pub(crate) async fn record_fix(
    state: &AppState,
    signed: &Signed,
    key: &OrderKey<'_>,
    action: &str,
    what: &str,
    result: Result<Queued, OutboxError>,
) -> Result<Queued, AppError> {
    audit(
        state,
        NewAudit {
            username: &signed.session.user.username,
            action,
            order_id: Some(key.order_id.as_str()),
            payment_type: Some(key.payment_type.as_str()),
            detail: &match &result {
                Ok(queued) => format!("{what}: queued for delivery ({})", queued.describe()),
                Err(e) => format!("{what}: not queued: {e}"),
            },
            outcome: if result.is_ok() { "ok" } else { "failed" },
        },
    )
    .await;
    result.map_err(|e| outbox_failed(&signed.ctx, e))
}

/// The image a failed category job's stored request names (for its
/// cause); `None` for other jobs.
pub(crate) async fn named_image(
    state: &AppState,
    job: &vipps_om_outbox::JobStatus,
) -> Result<Option<String>, OutboxError> {
    if job.state != vipps_om_outbox::JobState::Failed || !crate::delivery::is_category(job.kind) {
        return Ok(None);
    }
    crate::delivery::named_image(&state.outbox, job.id).await
}

/// The jobs of an order, with the image each failed category job names
/// (read from its stored request), for the cause shown with it.
pub(crate) async fn load_jobs(
    state: &AppState,
    key: &OrderKey<'_>,
) -> Result<views::order::Jobs, OutboxError> {
    let list = key.jobs(&state.outbox).await?;
    let mut named_images = Vec::new();
    for job in &list {
        if let Some(image) = named_image(state, job).await? {
            named_images.push((job.id, image));
        }
    }
    Ok(views::order::Jobs { list, named_images })
}

/// Writes to the audit log; a failure is logged, not shown.
pub(crate) async fn audit(state: &AppState, entry: NewAudit<'_>) {
    if let Err(e) = state.store.audit(&entry).await {
        tracing::error!(error = %e, action = entry.action, "could not write the audit log");
    }
}
