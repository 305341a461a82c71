//! One delivery attempt: the stored request sent through
//! [`vipps_om::Client`], and its result sorted into delivered, try again,
//! or failed for good ([`Verdict`]).
//!
//! The client already retries transient failures within its own budget;
//! what reaches this module is what is left after that. The rules:
//! - A receipt or image the API already has (409) is delivered: after an
//!   earlier attempt of this job it was ours ([`Outcome::AlreadyPresent`]);
//!   before the first one it was stored by something else and cannot be
//!   replaced anyway ([`Outcome::AlreadyThere`]).
//! - A v3 category is looked up before it is added again after an earlier
//!   attempt, since each POST adds one: a category with the same payment
//!   type, type, URL and image counts as ours.
//! - 400, 403, 404, other 4xx, and local validation errors fail for good,
//!   with the API's reasons and every rejected field.
//! - 429 waits as long as the API asked, at most
//!   [`vipps_om::retry::MAX_RETRY_AFTER`] (1 hour); 5xx, timeouts, connection
//!   failures and 401 (credentials being rotated, a revoked token) are
//!   tried again with backoff.
//! - A 2xx whose body could not be read counts as delivered: the API
//!   stored it.

use std::time::Duration;

use vipps_om::retry::MAX_RETRY_AFTER;
use vipps_om::{
    AddCategoryRequest, Category, Client, Delivered, Error, Image, OrderId, PaymentType, Receipt,
};

use crate::db::ClaimedJob;
use crate::job::{FieldProblem, JobKind, Outcome};
use crate::outbox::Verdict;

/// What is left to decide after the call: the error and whether an earlier
/// attempt of this job may have stored it.
enum Sent<T> {
    Ok(T),
    Err(Error),
}

/// Sends `job` once (with the client's own retries) and judges the result.
/// `backoff` is the wait before the next attempt if this one fails
/// transiently.
pub(crate) async fn deliver(client: &Client, job: &ClaimedJob, backoff: Duration) -> Verdict {
    let earlier_attempts = job.attempts > 1;
    let payment_type: PaymentType = match job.payment_type.parse() {
        Ok(p) => p,
        Err(e) => return unreadable(job, &e.to_string()),
    };
    let order_id = match OrderId::new(job.order_id.as_str()) {
        Ok(o) => o,
        Err(e) => return unreadable(job, &e.to_string()),
    };
    let result = match job.kind {
        JobKind::Receipt => {
            let receipt: Receipt = match serde_json::from_str(&job.payload) {
                Ok(r) => r,
                Err(e) => return unreadable(job, &e.to_string()),
            };
            match client
                .receipts()
                .add(&payment_type, &order_id, &receipt)
                .await
            {
                Ok(Delivered::Created(id)) => Sent::Ok((Outcome::Created, id)),
                Ok(Delivered::AlreadyPresent) => Sent::Ok((Outcome::AlreadyPresent, None)),
                Err(e) => Sent::Err(e),
            }
        }
        JobKind::Image => {
            let image: Image = match serde_json::from_str(&job.payload) {
                Ok(i) => i,
                Err(e) => return unreadable(job, &e.to_string()),
            };
            match client.images().upload(&image).await {
                Ok(Delivered::Created(response)) => {
                    Sent::Ok((Outcome::Created, Some(response.image_id)))
                }
                Ok(Delivered::AlreadyPresent) => {
                    Sent::Ok((Outcome::AlreadyPresent, Some(image.image_id.to_string())))
                }
                Err(e) => Sent::Err(e),
            }
        }
        JobKind::CategoryV2 => {
            let category: Category = match serde_json::from_str(&job.payload) {
                Ok(c) => c,
                Err(e) => return unreadable(job, &e.to_string()),
            };
            match client
                .categories()
                .set(&payment_type, &order_id, &category)
                .await
            {
                Ok(id) => Sent::Ok((Outcome::Created, id)),
                Err(e) => Sent::Err(e),
            }
        }
        JobKind::CategoryV3 => {
            let request: AddCategoryRequest = match serde_json::from_str(&job.payload) {
                Ok(c) => c,
                Err(e) => return unreadable(job, &e.to_string()),
            };
            deliver_category_v3(client, &request, earlier_attempts).await
        }
    };
    match result {
        Sent::Ok((outcome, result_id)) => Verdict::Delivered { outcome, result_id },
        Sent::Err(error) => judge(job, error, earlier_attempts, backoff),
    }
}

/// Adds a v3 category, first looking for one an earlier attempt may have
/// added (each POST adds another).
async fn deliver_category_v3(
    client: &Client,
    request: &AddCategoryRequest,
    earlier_attempts: bool,
) -> Sent<(Outcome, Option<String>)> {
    if earlier_attempts {
        match client.categories().list(&request.order_id).await {
            Ok(existing) => {
                if let Some(found) = existing.iter().find(|c| {
                    c.payment_type == request.payment_type
                        && c.category_type == request.category_type
                        && c.url == request.url
                        && c.image_id == request.image_id
                }) {
                    return Sent::Ok((
                        Outcome::AlreadyPresent,
                        Some(found.category_id.to_string()),
                    ));
                }
            }
            Err(e) => return Sent::Err(e),
        }
    }
    match client.categories().add(request).await {
        Ok(id) => Sent::Ok((Outcome::Created, Some(id.to_string()))),
        Err(e) => Sent::Err(e),
    }
}

/// The stored request cannot be read back: staff must replace it.
fn unreadable(job: &ClaimedJob, why: &str) -> Verdict {
    Verdict::Failed {
        error: format!(
            "the stored {} request cannot be read ({why}); replace it (`vipps-om outbox retry {} --file FIXED.json`) and retry",
            job.kind.describe(),
            job.id
        ),
        status: None,
        problems: Vec::new(),
    }
}

/// Sorts an error into try again or failed for good.
fn judge(job: &ClaimedJob, error: Error, earlier_attempts: bool, backoff: Duration) -> Verdict {
    let outcome_409 = if earlier_attempts {
        Outcome::AlreadyPresent
    } else {
        Outcome::AlreadyThere
    };
    match &error {
        Error::ReceiptAlreadyExists { .. } => {
            return Verdict::Delivered {
                outcome: outcome_409,
                result_id: None,
            };
        }
        Error::ImageAlreadyExists { image_id, .. } => {
            return Verdict::Delivered {
                outcome: outcome_409,
                result_id: Some(image_id.clone()),
            };
        }
        Error::Decode { status, .. } if (200..300).contains(status) => {
            return Verdict::Delivered {
                outcome: Outcome::Created,
                result_id: None,
            };
        }
        _ => {}
    }
    let retry = |after: Duration| Verdict::Retry {
        error: error.to_string(),
        status: error.status(),
        after,
    };
    match &error {
        // As long as the API asked, plus up to a tenth so that workers
        // limited together do not return together; never beyond
        // MAX_RETRY_AFTER (the client caps what it reports already; this
        // keeps the sum in bounds whatever it reports).
        Error::RateLimited {
            retry_after: Some(asked),
        } => {
            let asked = (*asked).min(MAX_RETRY_AFTER);
            retry(
                asked
                    .saturating_add(asked.mul_f64(fastrand::f64() / 10.0))
                    .min(MAX_RETRY_AFTER),
            )
        }
        Error::Unauthorized { .. } => retry(backoff),
        Error::Api { status: 408, .. } => retry(backoff),
        e if e.is_retryable() => retry(backoff),
        _ => {
            let problems = error
                .field_problems()
                .into_iter()
                .map(|(path, reason)| FieldProblem { path, reason })
                .collect();
            let text = error.to_string();
            tracing::warn!(
                job = %job.id,
                kind = %job.kind,
                order_id = %job.order_id,
                error = text.lines().next().unwrap_or_default(),
                fields = problems_count(&error),
                "delivery failed for good; kept for staff to fix and retry"
            );
            Verdict::Failed {
                error: error.to_string(),
                status: error.status(),
                problems,
            }
        }
    }
}

fn problems_count(error: &Error) -> usize {
    error.field_problems().len()
}
