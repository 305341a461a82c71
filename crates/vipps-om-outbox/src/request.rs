//! [`JobRequest`]: what a job sends, typed. The outbox reads a stored
//! request once (when a worker claims the job, or when staff ask for it)
//! and hands out this value; nothing after that parses JSON again.
//!
//! # How a request is stored
//! The `payload` column holds the request body exactly as the API takes
//! it for the job's `kind` (a [`Receipt`] for `receipt`, an [`Image`] for
//! `image`, a v2 [`Category`] for `category_v2`, an [`AddCategoryRequest`]
//! for `category_v3`), as JSON text, and the `payload_version` column says
//! how to read it: [`PAYLOAD_VERSION`] (1) is "the plain API body", the
//! only version so far and the column's default, so a row written by hand
//! (plain SQL, any language) needs only `kind` and the body the API
//! documents. Rows written before the column existed (schema 1 to 3) are
//! version 1. A later version (a wrapped or migrated body) would get its
//! own number, and a build that does not know a row's version fails that
//! job with a reason instead of guessing.

use serde::{Deserialize, Serialize};
use vipps_om::validate::Validate;
use vipps_om::{
    AddCategoryRequest, Category, Image, OrderId, PaymentType, Receipt, ValidationReport,
};

use crate::job::JobKind;

/// The version of the stored request format this build writes and reads:
/// the `payload` column holds the plain API body of the job's kind (see
/// the [module docs](self)).
pub const PAYLOAD_VERSION: i64 = 1;

/// What a job sends: the typed request body of one of the four calls.
/// Serialized (e.g. in `--json` output) as `{"kind": "receipt", "body":
/// {...the API body...}}`; in the database the kind and the body are
/// separate columns (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobRequest {
    /// `POST /v2/{paymentType}/receipts/{orderId}` (boxed: a receipt is
    /// several times larger than the other requests).
    Receipt(Box<Receipt>),
    /// `POST /v1/images`.
    Image(Image),
    /// `PUT /v2/{paymentType}/categories/{orderId}`.
    CategoryV2(Category),
    /// `POST /v3/categories`.
    CategoryV3(AddCategoryRequest),
}

impl From<Receipt> for JobRequest {
    fn from(r: Receipt) -> Self {
        JobRequest::Receipt(Box::new(r))
    }
}

impl From<Image> for JobRequest {
    fn from(i: Image) -> Self {
        JobRequest::Image(i)
    }
}

impl From<Category> for JobRequest {
    fn from(c: Category) -> Self {
        JobRequest::CategoryV2(c)
    }
}

impl From<AddCategoryRequest> for JobRequest {
    fn from(c: AddCategoryRequest) -> Self {
        JobRequest::CategoryV3(c)
    }
}

impl JobRequest {
    /// Which call it makes.
    pub fn kind(&self) -> JobKind {
        match self {
            JobRequest::Receipt(_) => JobKind::Receipt,
            JobRequest::Image(_) => JobKind::Image,
            JobRequest::CategoryV2(_) => JobKind::CategoryV2,
            JobRequest::CategoryV3(_) => JobKind::CategoryV3,
        }
    }

    /// The image it uploads (an image) or shows (a category), if any.
    pub fn image_id(&self) -> Option<&str> {
        match self {
            JobRequest::Receipt(_) => None,
            JobRequest::Image(image) => Some(image.image_id.as_str()),
            JobRequest::CategoryV2(category) => category.image_id.as_ref().map(|i| i.as_str()),
            JobRequest::CategoryV3(request) => request.image_id.as_ref().map(|i| i.as_str()),
        }
    }

    /// The client library's rules for this request: every problem the
    /// API would refuse (errors) and every doubt (warnings). What a worker
    /// checks before sending it.
    pub fn validate(&self) -> ValidationReport {
        match self {
            JobRequest::Receipt(r) => r.validate(),
            JobRequest::Image(i) => i.validate(),
            JobRequest::CategoryV2(c) => c.validate(),
            JobRequest::CategoryV3(c) => c.validate(),
        }
    }

    /// The body as JSON text, as the API takes it and the outbox stores it.
    pub fn body_json(&self) -> Result<String, serde_json::Error> {
        match self {
            JobRequest::Receipt(r) => serde_json::to_string(r),
            JobRequest::Image(i) => serde_json::to_string(i),
            JobRequest::CategoryV2(c) => serde_json::to_string(c),
            JobRequest::CategoryV3(c) => serde_json::to_string(c),
        }
    }

    /// Reads a body of `kind` as it is, without validating its content
    /// (how the outbox reads what it stored, and `--no-validate`).
    pub fn from_body(kind: JobKind, body: &[u8]) -> Result<JobRequest, serde_json::Error> {
        Ok(match kind {
            JobKind::Receipt => JobRequest::Receipt(Box::new(serde_json::from_slice(body)?)),
            JobKind::Image => JobRequest::Image(serde_json::from_slice(body)?),
            JobKind::CategoryV2 => JobRequest::CategoryV2(serde_json::from_slice(body)?),
            JobKind::CategoryV3 => JobRequest::CategoryV3(serde_json::from_slice(body)?),
        })
    }

    /// Reads a body of `kind` written by people (a file, a support tool)
    /// with the client library's parsers, which name every problem with
    /// its field path and run every rule: the request and its warnings, or
    /// every problem.
    pub fn parse(
        kind: JobKind,
        body: &[u8],
    ) -> Result<(JobRequest, ValidationReport), ValidationReport> {
        use vipps_om::parse;
        fn typed<T: Into<JobRequest>>(
            parsed: Result<(T, ValidationReport), ValidationReport>,
        ) -> Result<(JobRequest, ValidationReport), ValidationReport> {
            parsed.map(|(value, warnings)| (value.into(), warnings))
        }
        match kind {
            JobKind::Receipt => typed(parse::receipt_from_json(body)),
            JobKind::Image => typed(parse::image_from_json(body)),
            JobKind::CategoryV2 => typed(parse::category_from_json(body)),
            JobKind::CategoryV3 => typed(parse::add_category_request_from_json(body)),
        }
    }

    /// The problems of sending this request for `payment_type` order
    /// `order_id`: a v3 category names its own order and payment type,
    /// which must be the job's. Empty for every other kind.
    pub fn check_order(&self, payment_type: &PaymentType, order_id: &OrderId) -> ValidationReport {
        let mut report = ValidationReport::new();
        if let JobRequest::CategoryV3(request) = self {
            if &request.order_id != order_id {
                report.error(
                    "orderId",
                    format!(
                        "the category names order {} but the job is for order {order_id}",
                        request.order_id
                    ),
                );
            }
            if &request.payment_type != payment_type {
                report.error(
                    "paymentType",
                    format!(
                        "the category names payment type {} but the job is for {payment_type}",
                        request.payment_type
                    ),
                );
            }
        }
        report
    }
}

/// Reads a stored request: the body of `kind` in `payload_version`. The
/// reason it cannot be read, in words, otherwise (the job then fails with
/// it; nothing panics).
pub(crate) fn read_stored(
    kind: JobKind,
    payload_version: i64,
    payload: &str,
) -> Result<JobRequest, String> {
    if payload_version != PAYLOAD_VERSION {
        return Err(format!(
            "it is stored in format version {payload_version}, and this build reads version {PAYLOAD_VERSION} (the plain API body); deliver it with the vipps-om-outbox build that stored it, or store the plain body with payload_version {PAYLOAD_VERSION}"
        ));
    }
    JobRequest::from_body(kind, payload.as_bytes())
        .map_err(|e| format!("it is not a {} body: {e}", kind.describe()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_body_is_the_plain_api_body_and_reads_back() {
        let body = br#"{"category":"RECEIPT","orderDetailsUrl":"https://shop.example/o/1","imageId":"logo-1"}"#;
        let request = JobRequest::from_body(JobKind::CategoryV2, body).unwrap();
        assert_eq!(request.kind(), JobKind::CategoryV2);
        assert_eq!(request.image_id(), Some("logo-1"));
        assert_eq!(request.body_json().unwrap().as_bytes(), body);
        assert_eq!(
            read_stored(
                JobKind::CategoryV2,
                PAYLOAD_VERSION,
                std::str::from_utf8(body).unwrap()
            ),
            Ok(request.clone())
        );
        // Tagged with its kind when shown as JSON.
        let shown = serde_json::to_value(&request).unwrap();
        assert_eq!(shown["kind"], "category_v2");
        assert_eq!(shown["body"]["orderDetailsUrl"], "https://shop.example/o/1");
    }

    #[test]
    fn an_unreadable_or_unknown_stored_request_is_a_reason_not_a_panic() {
        let why =
            read_stored(JobKind::Receipt, PAYLOAD_VERSION, "{\"orderLines\": 3}").unwrap_err();
        assert!(why.starts_with("it is not a receipt body"), "{why}");
        let why = read_stored(JobKind::Receipt, 2, "{}").unwrap_err();
        assert!(why.contains("format version 2"), "{why}");
        assert!(read_stored(JobKind::Image, PAYLOAD_VERSION, "not json").is_err());
    }
}
