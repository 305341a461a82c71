//! [`Error`]: everything a call can end in, each with a message for
//! merchant staff (what happened, what to do: its `Display`), a short
//! message safe to show customers ([`Error::customer_message`]; both in
//! five languages: [`Error::staff_message_in`],
//! [`Error::customer_message_in`]) and whether
//! trying again later can help ([`Error::is_retryable`]).
//!
//! No variant ever holds a secret: bodies are kept only as parsed problem
//! details or as a short snippet of a body that could not be read, and
//! request headers are never stored.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::models::ProblemDetails;
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
///
/// Its `Display` is one line, complete on its own (front ends print only
/// that). The rejected fields, when there are several, are in
/// [`Error::field_problems`] and rendered one per line by
/// [`Error::render_problems`]. [`std::error::Error::source`] returns the
/// underlying transport ([`reqwest::Error`]) or JSON ([`serde_json::Error`])
/// error, when there was one.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// Local validation found problems; nothing was sent.
    Validation(ValidationReport),

    /// A receipt already exists for this payment (409); receipts cannot be
    /// changed once sent.
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
    ImageAlreadyExists {
        /// The id.
        image_id: String,
        /// The API's body, when it sent one.
        problem: Option<Box<ProblemDetails>>,
    },

    /// The order, category or image was not found (404).
    NotFound {
        /// What was looked for, e.g. "ECOM order 123".
        what: String,
        /// The order, when an order was looked for (or written to):
        /// `(payment type, order id)`.
        order: Option<(String, String)>,
        /// The API's body, when it sent one.
        problem: Option<Box<ProblemDetails>>,
    },

    /// A category names an image that was never uploaded (for this
    /// merchant): the API refused the request's `imageId` (400).
    ImageNotUploaded {
        /// The id the category named.
        image_id: String,
        /// The API's body, when it sent one.
        problem: Option<Box<ProblemDetails>>,
    },

    /// The API refused the request's content (400). The rejected fields are
    /// in [`Error::field_problems`].
    BadRequest {
        /// The API's body, with every rejected field.
        problem: Option<Box<ProblemDetails>>,
    },

    /// Authentication failed (401).
    Unauthorized {
        /// Which credential was refused.
        cause: AuthFailure,
        /// The gateway's or token service's explanation.
        detail: String,
    },

    /// Authenticated but not allowed (403).
    Forbidden {
        /// The explanation, when given.
        detail: String,
    },

    /// With partner keys, the API refused the merchant (403): the sales
    /// unit is not linked to these partner keys (or, less likely, has no
    /// Order Management).
    PartnerNotLinked {
        /// The merchant the call was for.
        merchant_serial_number: String,
        /// The API's explanation, when given.
        detail: String,
    },

    /// Too many requests (429) and the retry budget ran out.
    RateLimited {
        /// How long the API asked to wait.
        retry_after: Option<Duration>,
    },

    /// Another status, including 5xx after all retries.
    Api {
        /// HTTP status.
        status: u16,
        /// The API's body, when it sent one.
        problem: Option<Box<ProblemDetails>>,
    },

    /// No answer in time (after all retries).
    Timeout {
        /// The endpoint template, e.g. `POST /v2/{paymentType}/receipts/{orderId}`.
        endpoint: &'static str,
    },

    /// The connection failed (after all retries).
    Transport {
        /// What failed, without URLs' query strings or headers.
        message: String,
        /// The HTTP client's error, when the failure came from it.
        source: Option<Arc<reqwest::Error>>,
    },

    /// A response that could not be read.
    Decode {
        /// HTTP status.
        status: u16,
        /// Why it could not be read, naming the field.
        reason: String,
        /// The start of the body (at most 200 characters).
        snippet: String,
        /// The JSON error, when the body was not the expected JSON.
        source: Option<Arc<serde_json::Error>>,
    },

    /// A request could not be encoded as JSON (nothing was sent). The
    /// models of this crate always encode; this is kept apart from
    /// [`Error::Config`] because it is not something configuration fixes.
    Encode {
        /// What was being encoded, e.g. `receipt`.
        what: &'static str,
        /// The JSON error.
        source: Arc<serde_json::Error>,
    },

    /// The client is configured wrongly.
    Config(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Validation(report) => write!(
                f,
                "the request was not sent because it has problems: {}",
                validation_summary(report)
            ),
            Error::ReceiptAlreadyExists {
                order_id,
                payment_type,
                ..
            } => write!(
                f,
                "order details (receipt) for {} order {} were already sent and cannot be changed; nothing to do unless they were wrong (then contact Vipps MobilePay)",
                one_line(payment_type),
                one_line(order_id)
            ),
            Error::ImageAlreadyExists { image_id, .. } => write!(
                f,
                "an image with id {} was already uploaded and cannot be replaced; reuse it, or upload the new picture under a new id",
                one_line(image_id)
            ),
            Error::ImageNotUploaded { image_id, .. } => write!(
                f,
                "there is no image with id {} for this merchant; upload the image under that id first, then send the category again",
                one_line(image_id)
            ),
            Error::NotFound { what, problem, .. } => write!(
                f,
                "{} was not found{}; check the id and the payment type (ECOM or RECURRING), and that it belongs to this merchant",
                one_line(what),
                problem_suffix(problem)
            ),
            Error::BadRequest { problem } => write!(
                f,
                "Vipps MobilePay rejected the request{}",
                problem_suffix(problem)
            ),
            Error::Unauthorized { cause, detail } => {
                f.write_str(&unauthorized_message(*cause, detail))
            }
            Error::Forbidden { detail } => write!(
                f,
                "access denied{}: the sales unit may not have Order Management activated, or the Merchant-Serial-Number does not belong to these API keys; check both on portal.vipps.no",
                detail_suffix(detail)
            ),
            Error::PartnerNotLinked {
                merchant_serial_number,
                detail,
            } => write!(
                f,
                "access denied{}: these partner keys are not linked to sales unit {}: link it in the partner portal, or use the merchant's own keys",
                detail_suffix(detail),
                one_line(merchant_serial_number)
            ),
            Error::RateLimited { retry_after } => write!(
                f,
                "Vipps MobilePay is limiting the request rate{}; slow down and try again",
                retry_after_suffix(*retry_after)
            ),
            Error::Api { status, problem } => write!(
                f,
                "Vipps MobilePay answered {status}{}{}",
                problem_suffix(problem),
                status_advice(*status)
            ),
            Error::Timeout { endpoint } => write!(
                f,
                "Vipps MobilePay did not answer {endpoint} within the time limit; it may be slow or down, try again later"
            ),
            Error::Transport { message, .. } => write!(
                f,
                "could not reach Vipps MobilePay ({}); check the network and the base URL",
                one_line(message)
            ),
            Error::Decode {
                status,
                reason,
                snippet,
                ..
            } => write!(
                f,
                "Vipps MobilePay answered {status} with a body this client cannot read ({}): {snippet:?}",
                one_line(reason)
            ),
            Error::Encode { what, source } => write!(
                f,
                "the {what} could not be encoded as JSON ({}); nothing was sent",
                one_line(&source.to_string())
            ),
            Error::Config(message) => write!(f, "configuration problem: {}", one_line(message)),
        }
    }
}

impl std::error::Error for Error {
    /// The HTTP client's error of a [`Error::Transport`], the JSON error of
    /// a [`Error::Decode`] or [`Error::Encode`]: the error itself, not the
    /// `Arc` it is shared through, so `downcast_ref::<reqwest::Error>()`
    /// works.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport {
                source: Some(source),
                ..
            } => Some(source.as_ref()),
            Error::Decode {
                source: Some(source),
                ..
            } => Some(source.as_ref()),
            Error::Encode { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

/// `text` with every line break and other control character replaced by a
/// space, so that text from the API cannot break a one-line message.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn validation_summary(report: &ValidationReport) -> String {
    let errors = report.errors().count();
    let warnings = report.problems().len().saturating_sub(errors);
    let mut out = format!("{errors} error(s), {warnings} warning(s)");
    if let Some(first) = report.errors().next() {
        let path = if first.path.is_empty() {
            "(document)"
        } else {
            first.path.as_str()
        };
        out.push_str(&format!(
            "; first: {}: {}",
            one_line(path),
            one_line(&first.message)
        ));
    }
    out
}

pub(crate) fn problem_suffix(problem: &Option<Box<ProblemDetails>>) -> String {
    match problem.as_deref().map(ProblemDetails::summary) {
        Some(s) if !s.trim().is_empty() => format!(": {}", one_line(&s)),
        _ => String::new(),
    }
}

pub(crate) fn detail_suffix(detail: &str) -> String {
    if detail.trim().is_empty() {
        String::new()
    } else {
        format!(" ({})", one_line(detail))
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

/// What went wrong, as data: for front ends that say it in their own
/// words and point to their own fix (a command to run, a button to
/// press). [`Error`]'s `Display` is the neutral sentence for everyone else.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Local validation found problems ([`Error::field_problems`]).
    Validation,
    /// The client is configured wrongly.
    Config,
    /// A category names an image that was never uploaded: upload it
    /// under `image_id`, then send the category again.
    ImageNotUploaded {
        /// The image id the category named.
        image_id: String,
    },
    /// An image with this id exists and cannot be replaced.
    ImageAlreadyExists {
        /// The id.
        image_id: String,
    },
    /// The payment already has order details; they cannot be changed.
    ReceiptAlreadyExists {
        /// The order.
        order_id: String,
        /// Its payment type as sent (`ECOM`, `RECURRING`).
        payment_type: String,
    },
    /// No such order for this merchant and payment type: the id, the
    /// payment type (eCom/ePayment or Recurring) or the merchant is wrong.
    OrderNotFound {
        /// The order id looked for.
        order_id: String,
        /// The payment type looked in (`ECOM`, `RECURRING`).
        payment_type: String,
    },
    /// Something else was not found (a v3 category, an image).
    NotFound,
    /// A credential was refused (401).
    Unauthorized(AuthFailure),
    /// The keys work, but this sales unit may not use Order Management, or
    /// the Merchant-Serial-Number is not theirs (403).
    Forbidden,
    /// With partner keys: the merchant is not linked to them (403); link
    /// the sales unit in the partner portal, or use the merchant's own
    /// keys.
    PartnerNotLinked {
        /// The merchant the call was for.
        merchant_serial_number: String,
    },
    /// The API refused the request's content (400) or answered another 4xx.
    Refused,
    /// Trying again later may help: rate limit, timeout, network, 5xx.
    Unavailable,
    /// The answer could not be read, or the request not encoded.
    Unreadable,
}

impl Error {
    /// What went wrong as data, with the ids a front end needs to say what
    /// to do in its own terms.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation(_) => ErrorKind::Validation,
            Error::Config(_) => ErrorKind::Config,
            Error::ImageNotUploaded { image_id, .. } => ErrorKind::ImageNotUploaded {
                image_id: image_id.clone(),
            },
            Error::ImageAlreadyExists { image_id, .. } => ErrorKind::ImageAlreadyExists {
                image_id: image_id.clone(),
            },
            Error::ReceiptAlreadyExists {
                order_id,
                payment_type,
                ..
            } => ErrorKind::ReceiptAlreadyExists {
                order_id: order_id.clone(),
                payment_type: payment_type.clone(),
            },
            Error::NotFound {
                order: Some((payment_type, order_id)),
                ..
            } => ErrorKind::OrderNotFound {
                order_id: order_id.clone(),
                payment_type: payment_type.clone(),
            },
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Unauthorized { cause, .. } => ErrorKind::Unauthorized(*cause),
            Error::Forbidden { .. } => ErrorKind::Forbidden,
            Error::PartnerNotLinked {
                merchant_serial_number,
                ..
            } => ErrorKind::PartnerNotLinked {
                merchant_serial_number: merchant_serial_number.clone(),
            },
            e if e.is_retryable() => ErrorKind::Unavailable,
            Error::Decode { .. } | Error::Encode { .. } => ErrorKind::Unreadable,
            _ => ErrorKind::Refused,
        }
    }

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
            Error::BadRequest { .. } | Error::ImageNotUploaded { .. } => Some(400),
            Error::Unauthorized { .. } => Some(401),
            Error::Forbidden { .. } | Error::PartnerNotLinked { .. } => Some(403),
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
            | Error::ImageNotUploaded { problem, .. }
            | Error::BadRequest { problem }
            | Error::Api { problem, .. } => problem.as_deref(),
            _ => None,
        }
    }

    /// Every rejected field as `  - path: reason`, one per line (local
    /// validation's errors, or the API's `invalidParams`), then the API's
    /// reference for Vipps MobilePay support when it sent one. Empty when
    /// there is nothing to add to the one-line `Display`. Text from the API
    /// has its line breaks and control characters replaced by spaces.
    pub fn render_problems(&self) -> String {
        let mut out = String::new();
        for (path, reason) in self.field_problems() {
            if !out.is_empty() {
                out.push('\n');
            }
            let path = if path.is_empty() {
                "(document)".to_owned()
            } else {
                one_line(&path)
            };
            out.push_str(&format!("  - {path}: {}", one_line(&reason)));
        }
        if let Some(instance) = self
            .problem()
            .map(|p| p.instance.trim())
            .filter(|i| !i.is_empty())
        {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&format!(
                "  (reference for Vipps MobilePay support: {})",
                one_line(instance)
            ));
        }
        out
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
    use crate::models::InvalidParam;

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
        assert!(!text.contains('\n'), "Display is one line: {text}");
        assert_eq!(
            text,
            "Vipps MobilePay rejected the request: One or more validation errors occurred. (BadRequest)"
        );
        let listed = e.render_problems();
        assert_eq!(
            listed,
            "  - orderLines[0].name: required\n  - bottomLine.currency: unknown\n  (reference for Vipps MobilePay support: 00-abc-01)"
        );
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
    fn a_partner_403_names_the_sales_unit_and_the_fix() {
        let e = Error::PartnerNotLinked {
            merchant_serial_number: "123456".into(),
            detail: String::new(),
        };
        assert_eq!(
            e.to_string(),
            "access denied: these partner keys are not linked to sales unit 123456: link it in the partner portal, or use the merchant's own keys"
        );
        assert_eq!(e.status(), Some(403));
        assert!(!e.is_retryable());
        assert_eq!(
            e.kind(),
            ErrorKind::PartnerNotLinked {
                merchant_serial_number: "123456".into()
            }
        );
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
    fn display_is_one_line_even_when_the_api_sends_line_breaks() {
        let mut report = ValidationReport::new();
        report.error("orderLines[0].name", "is empty");
        report.error("bottomLine.currency", "is unknown");
        let errors = [
            Error::Validation(report),
            Error::NotFound {
                what: "ECOM order a\nb".into(),
                order: None,
                problem: Some(Box::new(ProblemDetails {
                    title: "Not\r\nfound".into(),
                    ..Default::default()
                })),
            },
            Error::Forbidden {
                detail: "line one\nline two".into(),
            },
            Error::Transport {
                message: "refused\n".into(),
                source: None,
            },
            Error::Decode {
                status: 200,
                reason: "expected\nvalue".into(),
                snippet: "{\n".into(),
                source: None,
            },
        ];
        for e in &errors {
            let text = e.to_string();
            assert!(!text.contains(['\n', '\r']), "{text:?}");
        }
        assert!(
            errors[0]
                .to_string()
                .contains("first: orderLines[0].name: is empty")
        );
        assert_eq!(
            errors[0].render_problems(),
            "  - orderLines[0].name: is empty\n  - bottomLine.currency: is unknown"
        );
    }

    #[test]
    fn a_decode_error_keeps_the_json_error_as_its_source() {
        let json_error = serde_json::from_str::<u32>("\"x\"").unwrap_err();
        let expected = json_error.to_string();
        let e = Error::Decode {
            status: 200,
            reason: expected.clone(),
            snippet: "\"x\"".into(),
            source: Some(Arc::new(json_error)),
        };
        let source = std::error::Error::source(&e).expect("a source");
        assert_eq!(source.to_string(), expected);
        assert!(source.is::<serde_json::Error>(), "the JSON error itself");
        let cloned = e.clone();
        assert!(
            std::error::Error::source(&cloned).is_some(),
            "Clone keeps the chain"
        );
    }

    #[test]
    fn snippet_is_bounded() {
        assert_eq!(snippet(&[b'a'; 300]).chars().count(), 201);
    }
}
