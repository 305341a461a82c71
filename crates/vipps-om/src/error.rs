//! [`Error`]: everything a call can end in, each with a message for
//! merchant staff (what happened, what to do: its `Display`), a short
//! message safe to show customers ([`Error::customer_message`]) and whether
//! trying again later can help ([`Error::is_retryable`]).
//!
//! No variant ever holds a secret: bodies are kept only as parsed problem
//! details or as a short snippet of a body that could not be read, and
//! request headers are never stored.

use std::fmt;
use std::time::Duration;

use crate::models::{InvalidParam, ProblemDetails};
use crate::validate::ValidationReport;

/// Which credential the gateway or the token service turned down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthFailure {
    /// `Ocp-Apim-Subscription-Key` is missing, unknown or inactive.
    SubscriptionKey,
    /// The access token was refused even after fetching a fresh one.
    AccessToken,
    /// The token service refused `client_id`/`client_secret`.
    ClientCredentials,
}

/// An error of this crate.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Local validation found problems; nothing was sent.
    #[error("the request was not sent because it has problems: {0}")]
    Validation(ValidationReport),

    /// A receipt already exists for this payment (409); receipts cannot be
    /// changed once sent.
    #[error(
        "order details (receipt) for {payment_type} order {order_id} were already sent and cannot be changed; nothing to do unless they were wrong (then contact Vipps MobilePay)"
    )]
    ReceiptAlreadyExists {
        /// The order.
        order_id: String,
        /// Its payment type.
        payment_type: String,
        /// The API's body, when it sent one.
        problem: Option<Box<ProblemDetails>>,
    },

    /// An image with this id was uploaded before (409); images cannot be
    /// overwritten.
    #[error(
        "an image with id {image_id} was already uploaded and cannot be replaced; reuse it, or upload the new picture under a new id"
    )]
    ImageAlreadyExists {
        /// The id.
        image_id: String,
        /// The API's body, when it sent one.
        problem: Option<Box<ProblemDetails>>,
    },

    /// The order, category or image was not found (404).
    #[error("{what} was not found{}; check the id and the payment type (ECOM or RECURRING), and that it belongs to this merchant", problem_suffix(.problem))]
    NotFound {
        /// What was looked for, e.g. "ECOM order 123".
        what: String,
        /// The API's body, when it sent one.
        problem: Option<Box<ProblemDetails>>,
    },

    /// The API refused the request's content (400).
    #[error("Vipps MobilePay rejected the request{}{}", problem_suffix(.problem), params_suffix(.problem))]
    BadRequest {
        /// The API's body, with every rejected field.
        problem: Option<Box<ProblemDetails>>,
    },

    /// Authentication failed (401).
    #[error("{}", unauthorized_message(*.cause, .detail))]
    Unauthorized {
        /// Which credential was refused.
        cause: AuthFailure,
        /// The gateway's or token service's explanation.
        detail: String,
    },

    /// Authenticated but not allowed (403).
    #[error(
        "access denied{}: the sales unit may not have Order Management activated, or the Merchant-Serial-Number does not belong to these API keys; check both on portal.vipps.no",
        detail_suffix(.detail)
    )]
    Forbidden {
        /// The explanation, when given.
        detail: String,
    },

    /// Too many requests (429) and the retry budget ran out.
    #[error("Vipps MobilePay is limiting the request rate{}; slow down and try again", retry_after_suffix(*.retry_after))]
    RateLimited {
        /// How long the API asked to wait.
        retry_after: Option<Duration>,
    },

    /// Another status, including 5xx after all retries.
    #[error("Vipps MobilePay answered {status}{}{}", problem_suffix(.problem), status_advice(*.status))]
    Api {
        /// HTTP status.
        status: u16,
        /// The API's body, when it sent one.
        problem: Option<Box<ProblemDetails>>,
    },

    /// No answer in time (after all retries).
    #[error(
        "Vipps MobilePay did not answer {endpoint} within the time limit; it may be slow or down, try again later"
    )]
    Timeout {
        /// The endpoint template, e.g. `POST /v2/{paymentType}/receipts/{orderId}`.
        endpoint: &'static str,
    },

    /// The connection failed (after all retries).
    #[error("could not reach Vipps MobilePay ({message}); check the network and the base URL")]
    Transport {
        /// What failed, without URLs' query strings or headers.
        message: String,
    },

    /// A response that could not be read.
    #[error(
        "Vipps MobilePay answered {status} with a body this client cannot read ({reason}): {snippet:?}"
    )]
    Decode {
        /// HTTP status.
        status: u16,
        /// Why it could not be read, naming the field.
        reason: String,
        /// The start of the body (at most 200 characters).
        snippet: String,
    },

    /// The client is configured wrongly.
    #[error("configuration problem: {0}")]
    Config(String),
}

fn problem_suffix(problem: &Option<Box<ProblemDetails>>) -> String {
    match problem.as_deref().map(ProblemDetails::summary) {
        Some(s) if !s.is_empty() => format!(": {s}"),
        _ => String::new(),
    }
}

fn params_suffix(problem: &Option<Box<ProblemDetails>>) -> String {
    let Some(problem) = problem else {
        return String::new();
    };
    let mut out = String::new();
    for InvalidParam { name, reason } in &problem.invalid_params {
        out.push_str(&format!("\n  - {name}: {reason}"));
    }
    if !problem.instance.is_empty() {
        out.push_str(&format!(
            "\n  (reference for Vipps MobilePay support: {})",
            problem.instance
        ));
    }
    out
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    }
}

fn retry_after_suffix(retry_after: Option<Duration>) -> String {
    retry_after
        .map(|d| format!(" (asked to wait {} s)", d.as_secs().max(1)))
        .unwrap_or_default()
}

fn status_advice(status: u16) -> &'static str {
    match status {
        500..=599 => "; this is a problem on Vipps MobilePay's side, try again later",
        409 => "; the data conflicts with what is already stored",
        _ => "",
    }
}

fn unauthorized_message(cause: AuthFailure, detail: &str) -> String {
    let what = match cause {
        AuthFailure::SubscriptionKey => {
            "the subscription key (Ocp-Apim-Subscription-Key) was not accepted; copy the primary key of the sales unit from portal.vipps.no and check it belongs to the same environment (production or test)"
        }
        AuthFailure::AccessToken => {
            "the access token was not accepted, even a fresh one; check that client id, secret, subscription key and Merchant-Serial-Number all belong to the same sales unit"
        }
        AuthFailure::ClientCredentials => {
            "the client id or client secret was not accepted by the token service; copy them again from portal.vipps.no (they differ between production and test)"
        }
    };
    format!("unauthorized: {what}{}", detail_suffix(detail))
}

impl Error {
    /// Whether trying the same call again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Timeout { .. } | Error::Transport { .. } => true,
            Error::Api { status, .. } => *status >= 500 || *status == 429,
            Error::Decode { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// A short message that can be shown to a customer: no internals, no
    /// blame, no advice meant for staff.
    pub fn customer_message(&self) -> &'static str {
        match self {
            Error::ReceiptAlreadyExists { .. } | Error::ImageAlreadyExists { .. } => {
                "Your order details are already registered."
            }
            Error::NotFound { .. } => "We could not find the order details for this payment.",
            e if e.is_retryable() => {
                "The order details are not available in the app yet. They will be sent again shortly."
            }
            _ => "The order details could not be added to the app. Our staff have been notified.",
        }
    }

    /// The HTTP status the API answered with, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::ReceiptAlreadyExists { .. } | Error::ImageAlreadyExists { .. } => Some(409),
            Error::NotFound { .. } => Some(404),
            Error::BadRequest { .. } => Some(400),
            Error::Unauthorized { .. } => Some(401),
            Error::Forbidden { .. } => Some(403),
            Error::RateLimited { .. } => Some(429),
            Error::Api { status, .. } | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The API's problem body, when there was one.
    pub fn problem(&self) -> Option<&ProblemDetails> {
        match self {
            Error::ReceiptAlreadyExists { problem, .. }
            | Error::ImageAlreadyExists { problem, .. }
            | Error::NotFound { problem, .. }
            | Error::BadRequest { problem }
            | Error::Api { problem, .. } => problem.as_deref(),
            _ => None,
        }
    }

    /// The fields the API or local validation rejected, as `(path, reason)`.
    pub fn field_problems(&self) -> Vec<(String, String)> {
        match self {
            Error::Validation(report) => report
                .errors()
                .map(|p| (p.path.clone(), p.message.clone()))
                .collect(),
            other => other
                .problem()
                .map(|p| {
                    p.invalid_params
                        .iter()
                        .map(|ip| (ip.name.clone(), ip.reason.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// A short, printable start of a body that could not be read.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        s.push('…');
    }
    s
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthFailure::SubscriptionKey => "subscription key",
            AuthFailure::AccessToken => "access token",
            AuthFailure::ClientCredentials => "client credentials",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_request_lists_every_invalid_param_and_the_trace_id() {
        let e = Error::BadRequest {
            problem: Some(Box::new(ProblemDetails {
                title: "One or more validation errors occurred.".into(),
                detail: "BadRequest".into(),
                instance: "00-abc-01".into(),
                invalid_params: vec![
                    InvalidParam {
                        name: "orderLines[0].name".into(),
                        reason: "required".into(),
                    },
                    InvalidParam {
                        name: "bottomLine.currency".into(),
                        reason: "unknown".into(),
                    },
                ],
                ..Default::default()
            })),
        };
        let text = e.to_string();
        assert!(
            text.contains("\n  - orderLines[0].name: required"),
            "{text}"
        );
        assert!(
            text.contains("\n  - bottomLine.currency: unknown"),
            "{text}"
        );
        assert!(text.contains("00-abc-01"));
        assert!(!e.is_retryable());
        assert_eq!(e.field_problems().len(), 2);
    }

    #[test]
    fn retryable_classification() {
        assert!(
            Error::Api {
                status: 503,
                problem: None
            }
            .is_retryable()
        );
        assert!(
            !Error::Api {
                status: 409,
                problem: None
            }
            .is_retryable()
        );
        assert!(Error::Timeout { endpoint: "GET /x" }.is_retryable());
        assert!(
            !Error::Forbidden {
                detail: String::new()
            }
            .is_retryable()
        );
    }

    #[test]
    fn unauthorized_says_which_credential() {
        let e = Error::Unauthorized {
            cause: AuthFailure::SubscriptionKey,
            detail: String::new(),
        };
        assert!(e.to_string().contains("subscription key"));
        let e = Error::Unauthorized {
            cause: AuthFailure::ClientCredentials,
            detail: "invalid_client".into(),
        };
        assert!(e.to_string().contains("client secret"));
    }

    #[test]
    fn customer_messages_do_not_leak_details() {
        let e = Error::Api {
            status: 500,
            problem: Some(Box::new(ProblemDetails {
                detail: "NullReferenceException".into(),
                ..Default::default()
            })),
        };
        assert!(!e.customer_message().contains("Null"));
        assert!(e.customer_message().contains("shortly"));
    }

    #[test]
    fn snippet_is_bounded() {
        assert_eq!(snippet(&[b'a'; 300]).chars().count(), 201);
    }
}
