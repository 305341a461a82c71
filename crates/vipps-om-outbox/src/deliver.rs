//! One delivery attempt: the stored request sent through
//! [`vipps_om::Client`], and its result sorted into delivered, try again,
//! or failed for good ([`Verdict`]). The request was read when the job
//! was claimed (a stored request that cannot be read fails the job with
//! the reason).
//!
//! The client already retries transient failures within its own budget;
//! what reaches this module is what is left after that. The rules:
//! - A receipt the API already has (409) is read back (GET the order) and
//!   compared with ours ([`same_content`]): the same receipt is delivered
//!   (after an earlier attempt of this job it was ours,
//!   [`Outcome::AlreadyPresent`]; before the first one something else
//!   stored it, [`Outcome::AlreadyThere`]); a different one fails the job
//!   as *different content*, since receipts cannot be changed.
//! - An image id the API already has (409) cannot be read back (there is
//!   no GET for images), so it is compared with what this outbox itself
//!   uploaded under that id: different content fails the job as
//!   *different content*; the same content, or an id this outbox never
//!   uploaded (content unknown), is delivered. Derive image ids from the
//!   image's bytes (a hash) and a 409 always means the same image.
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
    AddCategoryRequest, Client, Delivered, Error, Image, OrderId, PaymentType, Receipt,
};

use crate::db::ClaimedJob;
use crate::job::{FieldProblem, Outcome};
use crate::request::JobRequest;
use crate::worker::Verdict;

/// Sends `job` once (with the client's own retries) and judges the result.
/// `backoff` is the wait before the next attempt if this one fails
/// transiently.
///
/// `known_images`: the images this outbox uploaded earlier under an image
/// job's image id (see [`crate::Outbox::delivered_images`]).
pub(crate) async fn deliver(
    client: &Client,
    job: &ClaimedJob,
    backoff: Duration,
    known_images: &[Image],
) -> Verdict {
    let earlier_attempts = job.attempts > 1;
    let outcome_409 = if earlier_attempts {
        Outcome::AlreadyPresent
    } else {
        Outcome::AlreadyThere
    };
    let request = match &job.request {
        Ok(request) => request,
        Err(why) => return unreadable(job, why),
    };
    let payment_type: PaymentType = match job.payment_type.parse() {
        Ok(p) => p,
        Err(e) => return unreadable(job, &e.to_string()),
    };
    let order_id = match OrderId::new(job.order_id.as_str()) {
        Ok(o) => o,
        Err(e) => return unreadable(job, &e.to_string()),
    };
    let result = match request {
        JobRequest::Receipt(receipt) => {
            let already = match client
                .receipts()
                .add(&payment_type, &order_id, receipt)
                .await
            {
                Ok(Delivered::Created(id)) => return delivered(Outcome::Created, id),
                Ok(Delivered::AlreadyPresent) => Outcome::AlreadyPresent,
                Err(Error::ReceiptAlreadyExists { .. }) => outcome_409,
                Err(e) => return judge(job, e, backoff),
            };
            let ours = (&payment_type, &order_id, &**receipt);
            return compare_receipt(client, job, ours, already, backoff).await;
        }
        JobRequest::Image(image) => match client.images().upload(image).await {
            Ok(Delivered::Created(response)) => Ok((Outcome::Created, Some(response.image_id))),
            Ok(Delivered::AlreadyPresent) => {
                return compare_image(image, known_images, Outcome::AlreadyPresent);
            }
            Err(Error::ImageAlreadyExists { .. }) => {
                return compare_image(image, known_images, outcome_409);
            }
            Err(e) => Err(e),
        },
        JobRequest::CategoryV2(category) => client
            .categories()
            .set(&payment_type, &order_id, category)
            .await
            .map(|id| (Outcome::Created, id)),
        JobRequest::CategoryV3(request) => {
            deliver_category_v3(client, request, earlier_attempts).await
        }
    };
    match result {
        Ok((outcome, result_id)) => delivered(outcome, result_id),
        Err(error) => judge(job, error, backoff),
    }
}

fn delivered(outcome: Outcome, result_id: Option<String>) -> Verdict {
    Verdict::Delivered { outcome, result_id }
}

/// After a 409 on a receipt: the same receipt as the stored one is
/// delivered as `outcome`; a different one fails as different content.
async fn compare_receipt(
    client: &Client,
    job: &ClaimedJob,
    (payment_type, order_id, ours): (&PaymentType, &OrderId, &Receipt),
    outcome: Outcome,
    backoff: Duration,
) -> Verdict {
    match client.orders().get(payment_type, order_id).await {
        Ok(order) => match order.receipt {
            Some(stored) if same_content(ours, &stored) => Verdict::Delivered {
                outcome,
                result_id: None,
            },
            Some(_) => {
                tracing::warn!(job = %job.id, order_id = %job.order_id, "a different receipt is already stored for this order");
                Verdict::Failed {
                    error: format!(
                        "a different receipt is already stored for {payment_type} order {order_id}; receipts cannot be changed, so the app keeps showing the stored one (this job's receipt was not sent). If the stored one is wrong, tell the customer another way; `vipps-om order get {order_id}` shows it"
                    ),
                    status: Some(409),
                    problems: Vec::new(),
                    different_content: true,
                }
            }
            // 409 yet no receipt to read: the API has not caught up; look again.
            None => Verdict::Retry {
                error: "the API says a receipt is stored for this order but does not show it yet; will compare again".to_owned(),
                status: Some(409),
                after: backoff,
            },
        },
        Err(e) => judge(job, e, backoff),
    }
}

/// After a 409 on an image id: compared with what this outbox uploaded
/// under that id before (there is no GET for images).
fn compare_image(ours: &Image, known: &[Image], outcome: Outcome) -> Verdict {
    if known.is_empty() || known.contains(ours) {
        return delivered(outcome, Some(ours.image_id.to_string()));
    }
    Verdict::Failed {
        error: format!(
            "a different image is already stored under image id {}; images cannot be changed: upload this one under a new image id and use that id in the order's category",
            ours.image_id
        ),
        status: Some(409),
        problems: Vec::new(),
        different_content: true,
    }
}

/// Whether the API's receipt is ours: every field we sent is stored with
/// the same value (objects compared key by key, lists item by item in
/// order, numbers by value); fields the API adds, and fields we left empty
/// (`null`), are not compared.
pub(crate) fn same_content(ours: &Receipt, stored: &Receipt) -> bool {
    match (serde_json::to_value(ours), serde_json::to_value(stored)) {
        (Ok(ours), Ok(stored)) => contained(&ours, &stored),
        _ => false,
    }
}

fn contained(ours: &serde_json::Value, theirs: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (ours, theirs) {
        (Value::Null, _) => true,
        (Value::Object(a), Value::Object(b)) => a
            .iter()
            .all(|(k, v)| v.is_null() || b.get(k).is_some_and(|w| contained(v, w))),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(v, w)| contained(v, w))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

/// Adds a v3 category, first looking for one an earlier attempt may have
/// added (each POST adds another).
async fn deliver_category_v3(
    client: &Client,
    request: &AddCategoryRequest,
    earlier_attempts: bool,
) -> Result<(Outcome, Option<String>), Error> {
    if earlier_attempts {
        match client.categories().list(&request.order_id).await {
            Ok(existing) => {
                if let Some(found) = existing.iter().find(|c| {
                    c.payment_type == request.payment_type
                        && c.category_type == request.category_type
                        && c.url == request.url
                        && c.image_id == request.image_id
                }) {
                    return Ok((Outcome::AlreadyPresent, Some(found.category_id.to_string())));
                }
            }
            Err(e) => return Err(e),
        }
    }
    let id = client.categories().add(request).await?;
    Ok((Outcome::Created, Some(id.to_string())))
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
        different_content: false,
    }
}

/// Sorts an error into try again or failed for good.
fn judge(job: &ClaimedJob, error: Error, backoff: Duration) -> Verdict {
    match &error {
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
            let problems: Vec<FieldProblem> = error
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
                fields = problems.len(),
                "delivery failed for good; kept for staff to fix and retry"
            );
            Verdict::Failed {
                error: failure_text(&error, problems.len()),
                status: error.status(),
                problems,
                different_content: false,
            }
        }
    }
}

/// The reason recorded for a job refused for good. Its rejected fields
/// are recorded apart ([`crate::JobStatus::problems`]) and shown once,
/// each with its reason, so when there are any the reason counts them
/// instead of naming one again (the error's one-line text names the first
/// field of a local validation, and the API's title may list them).
fn failure_text(error: &Error, fields: usize) -> String {
    let count = if fields == 1 {
        "1 field".to_owned()
    } else {
        format!("{fields} fields")
    };
    let status = error
        .status()
        .map(|s| format!(" (HTTP {s})"))
        .unwrap_or_default();
    match (error, error.problem()) {
        _ if fields == 0 => error.to_string(),
        (Error::Validation(_), _) => {
            format!("the request was not sent: it breaks the API's rules in {count}")
        }
        (_, Some(problem)) if !problem.title.trim().is_empty() => format!(
            "Vipps MobilePay refused {count} of the request{status}: {}",
            problem.title.trim()
        ),
        _ => format!("Vipps MobilePay refused {count} of the request{status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_same_content_ignores_what_the_api_adds_and_numbers_formats() {
        let ours = json!({"orderLines": [{"name": "Socks", "unitInfo": null, "totalAmount": 29800}],
                          "bottomLine": {"currency": "NOK", "receiptNumber": "1"}});
        let stored = json!({"orderLines": [{"name": "Socks", "totalAmount": 29800.0, "isReturn": false}],
                            "bottomLine": {"currency": "NOK", "receiptNumber": "1", "tipAmount": 0}});
        assert!(contained(&ours, &stored));
        // Anything we sent that differs, is missing, or a line more or less: different.
        let other_number = json!({"orderLines": [{"name": "Socks", "totalAmount": 29800}],
                                  "bottomLine": {"currency": "NOK", "receiptNumber": "2"}});
        assert!(!contained(&ours, &other_number));
        let missing = json!({"orderLines": [{"name": "Socks", "totalAmount": 29800}],
                             "bottomLine": {"currency": "NOK"}});
        assert!(!contained(&ours, &missing));
        let two_lines = json!({"orderLines": [{"name": "Socks", "totalAmount": 29800}, {"name": "Hat"}],
                               "bottomLine": {"currency": "NOK", "receiptNumber": "1"}});
        assert!(!contained(&ours, &two_lines));
    }
}
