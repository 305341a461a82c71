//! How a failed command ends: a message for people (what happened, why,
//! what to do, each rejected field), a JSON shape for scripts, and a
//! documented exit code. Never a `Debug` dump, never a secret.

use serde_json::json;
use vipps_om::{AuthFailure, Error, ErrorKind, Severity, ValidationReport};

use crate::style::{Style, clean, terminal_safe_json};

/// Exit codes (documented in the README and `vipps-om --help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitCode {
    /// Success.
    Ok = 0,
    /// The API refused the request (400, 404, 409, other 4xx).
    Refused = 1,
    /// Wrong usage, configuration, or local validation failed.
    Usage = 2,
    /// Network failure, timeout, rate limit or 5xx after all retries.
    Unavailable = 3,
    /// Authentication or authorisation failed (401, 403).
    Auth = 4,
}

/// [`Failure::kind`] of a failure whose outcome is already printed.
const REPORTED: &str = "reported";

/// A failure to report.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The exit code.
    pub(crate) code: ExitCode,
    /// What happened and what to do.
    pub(crate) message: String,
    /// Every problem with its field path (validation or API `invalidParams`).
    pub(crate) problems: Vec<(String, String, Severity)>,
    /// HTTP status, when the API answered.
    pub(crate) status: Option<u16>,
    /// A short machine name for the kind of failure.
    pub(crate) kind: &'static str,
}

impl Failure {
    /// A usage or input problem.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: ExitCode::Usage,
            message: message.into(),
            problems: Vec::new(),
            status: None,
            kind: "usage",
        }
    }

    /// A failure whose outcome the command already printed (a documented
    /// `--json` document such as `{valid: false, ...}`): it only sets the
    /// exit code.
    pub(crate) fn reported(code: ExitCode) -> Self {
        Failure {
            code,
            kind: REPORTED,
            ..Failure::usage(String::new())
        }
    }

    /// Local validation found problems.
    pub(crate) fn invalid(what: &str, report: &ValidationReport) -> Self {
        let errors = report.errors().count();
        Failure {
            code: ExitCode::Usage,
            message: format!(
                "{what} has {errors} problem(s); nothing was sent. Fix them and run the command again"
            ),
            problems: report
                .problems()
                .iter()
                .map(|p| (p.path.clone(), p.message.clone(), p.severity))
                .collect(),
            status: None,
            kind: "validation",
        }
    }

    /// An offline check found problems (nothing was ever to be sent, so
    /// the message does not say it was not).
    pub(crate) fn checked(what: &str, report: &ValidationReport) -> Self {
        let count = |n: usize, one: &str| match n {
            1 => format!("1 {one}"),
            n => format!("{n} {one}s"),
        };
        let errors = report.errors().count();
        let warnings = match report.warnings().count() {
            0 => String::new(),
            n => format!(" and {}", count(n, "warning")),
        };
        Failure {
            message: format!(
                "{what} has {}{warnings}; fix each problem (✗) below and check again",
                count(errors, "problem")
            ),
            ..Failure::invalid(what, report)
        }
    }

    /// Prints the failure on stderr (text or JSON).
    pub(crate) fn print(&self, json_output: bool) {
        if self.kind == REPORTED {
            return;
        }
        if json_output {
            let problems: Vec<_> = self
                .problems
                .iter()
                .map(|(path, message, severity)| json!({"path": path, "message": message, "severity": severity}))
                .collect();
            let body = json!({"error": {
                "kind": self.kind, "message": self.message, "status": self.status,
                "exitCode": self.code as i32, "problems": problems,
            }});
            eprintln!("{}", terminal_safe_json(&body.to_string()));
            return;
        }
        let style = Style::stderr();
        // Messages may span lines (our own wording); each line is cleaned
        // of control characters that text from the API could carry.
        let mut lines = self.message.lines();
        eprintln!(
            "{} {}",
            style.fail("error:"),
            clean(lines.next().unwrap_or_default())
        );
        for line in lines {
            eprintln!("  {}", clean(line));
        }
        for (path, message, severity) in &self.problems {
            let label = match severity {
                Severity::Error => style.fail("✗"),
                Severity::Warning => style.warn("!"),
            };
            let path = if path.is_empty() {
                "(document)".to_owned()
            } else {
                clean(path)
            };
            eprintln!("  {label} {}: {}", style.strong(&path), clean(message));
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let status = error.status();
        let (code, kind) = match &error {
            Error::Validation(_) | Error::Config(_) => (ExitCode::Usage, "validation"),
            Error::Unauthorized { .. }
            | Error::Forbidden { .. }
            | Error::PartnerNotLinked { .. } => (ExitCode::Auth, "auth"),
            e if e.is_retryable() => (ExitCode::Unavailable, "unavailable"),
            Error::ReceiptAlreadyExists { .. } | Error::ImageAlreadyExists { .. } => {
                (ExitCode::Refused, "conflict")
            }
            Error::NotFound { .. } => (ExitCode::Refused, "not_found"),
            _ => (ExitCode::Refused, "refused"),
        };
        if let Error::Validation(report) = &error {
            return Failure::invalid("the request", report);
        }
        if let Error::Config(message) = &error {
            return Failure {
                kind: "config",
                ..Failure::usage(message.clone())
            };
        }
        let kind_of = error.kind();
        let problems = error
            .field_problems()
            .into_iter()
            // The command's own advice below replaces the API's wording
            // about the image id.
            .filter(|(path, _)| {
                !(matches!(kind_of, ErrorKind::ImageNotUploaded { .. })
                    && path.eq_ignore_ascii_case("imageId"))
            })
            .map(|(path, reason)| (path, reason, Severity::Error))
            .collect();
        // `Display` is one line; the rejected fields are listed one per
        // line by `print`, followed by the trace id Vipps MobilePay support
        // asks for. Where the fix is something to do with this command,
        // the message says that instead of the library's neutral sentence;
        // a refused credential keeps the service's own words on a line of
        // their own.
        let service_detail = match &error {
            Error::Unauthorized { detail, .. }
            | Error::Forbidden { detail }
            | Error::PartnerNotLinked { detail, .. } => Some(detail),
            _ => None,
        };
        let mut message = match (in_command_terms(&kind_of), service_detail) {
            (Some(ours), Some(detail)) => with_service_words(ours, detail),
            (Some(ours), None) => ours,
            (None, Some(detail)) => detail_on_its_own_line(error.to_string(), detail),
            (None, None) => error.to_string(),
        };
        if let Some(instance) = error
            .problem()
            .map(|p| p.instance.trim())
            .filter(|i| !i.is_empty())
        {
            message.push_str(&format!(
                "\nreference for Vipps MobilePay support: {instance}"
            ));
        }
        Failure {
            code,
            message,
            problems,
            status,
            kind,
        }
    }
}

/// What to do about a failure with `vipps-om`, for the kinds whose fix is
/// a command or a setting of this tool; `None` for the others (the
/// library's sentence says it well enough).
fn in_command_terms(kind: &ErrorKind) -> Option<String> {
    let flag = |payment_type: &str| payment_type.to_ascii_lowercase();
    let other = |payment_type: &str| {
        if payment_type.eq_ignore_ascii_case("RECURRING") {
            "ecom"
        } else {
            "recurring"
        }
    };
    Some(match kind {
        ErrorKind::ImageNotUploaded { image_id } => format!(
            "there is no image `{id}` yet; upload it first: `vipps-om image upload FILE --id {id}`, then run this command again",
            id = clean(image_id)
        ),
        ErrorKind::ImageAlreadyExists { image_id } => format!(
            "an image `{id}` is already uploaded and cannot be replaced; use it as it is (`--image-id {id}`), or upload the new picture under another id: `vipps-om image upload FILE --id NEW-ID`",
            id = clean(image_id)
        ),
        ErrorKind::ReceiptAlreadyExists {
            order_id,
            payment_type,
        } => format!(
            "order {id} already has order details, and they cannot be changed; see what the customer sees with `vipps-om order get {id} --payment-type {pt}`",
            id = clean(order_id),
            pt = flag(payment_type)
        ),
        ErrorKind::OrderNotFound {
            order_id,
            payment_type,
        } => format!(
            "no {pt_upper} order {id} was found for this merchant; check the order id, or try the other payment type: `--payment-type {other}` (ePayment and eCom payments are `ecom`, Recurring charges `recurring`)",
            id = clean(order_id),
            pt_upper = clean(payment_type),
            other = other(payment_type)
        ),
        ErrorKind::Unauthorized(AuthFailure::SubscriptionKey) => "the subscription key was not accepted; set VIPPS_SUBSCRIPTION_KEY (or `subscription_key` in the profile) to the sales unit's primary subscription key from portal.vipps.no, for the same environment (production or test), then check with `vipps-om doctor`".to_owned(),
        ErrorKind::Unauthorized(AuthFailure::ClientCredentials) => "the client id or client secret was not accepted; set VIPPS_CLIENT_ID and VIPPS_CLIENT_SECRET (or `client_id` and `client_secret` in the profile) to the sales unit's keys from portal.vipps.no (they differ between production and test), then check with `vipps-om doctor`".to_owned(),
        ErrorKind::Unauthorized(AuthFailure::AccessToken) => "the access token was refused, even a fresh one; the client id, secret, subscription key and `--msn` must all belong to the same sales unit: check with `vipps-om doctor`".to_owned(),
        _ => return None,
    })
}

/// The service's own explanation of a refused credential, moved from the
/// end of the message (`... (they differ between production and test)
/// (invalid_client (AADSTS7000215: ...))`) to a line of its own, so that
/// our advice and the service's words are not nested in parentheses. The
/// service's text is cut at a length limit and may have lost a closing
/// parenthesis there; it is quoted as it came.
fn detail_on_its_own_line(message: String, detail: &str) -> String {
    let Some(one_line) = service_words(detail) else {
        return message;
    };
    let suffix = format!(" ({one_line})");
    match message.find(&suffix) {
        Some(at) => {
            let mut out = message[..at].to_owned();
            out.push_str(&message[at + suffix.len()..]);
            out.push_str(&format!("\nthe service answered: {one_line}"));
            out
        }
        None => message,
    }
}

/// Our own advice, then the service's explanation on a line of its own.
fn with_service_words(ours: String, detail: &str) -> String {
    match service_words(detail) {
        Some(one_line) => format!("{ours}\nthe service answered: {one_line}"),
        None => ours,
    }
}

/// The service's explanation on one line, `None` when it gave none.
fn service_words(detail: &str) -> Option<String> {
    let detail = detail.trim();
    (!detail.is_empty()).then(|| {
        detail
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_secret_says_our_advice_then_the_services_words_on_their_own_line() {
        let error = Error::Unauthorized {
            cause: vipps_om::AuthFailure::ClientCredentials,
            detail: "invalid_client (AADSTS7000215: Invalid client secret provided.)".into(),
        };
        let failure = Failure::from(error);
        let mut lines = failure.message.lines();
        let first = lines.next().unwrap_or_default();
        assert!(!first.contains("AADSTS"), "{first}");
        assert_eq!(
            first.matches('(').count(),
            first.matches(')').count(),
            "{first}"
        );
        assert_eq!(
            lines.next(),
            Some(
                "the service answered: invalid_client (AADSTS7000215: Invalid client secret provided.)"
            )
        );
    }
}
