//! How a failed command ends: a message for people (what happened, why,
//! what to do, each rejected field), a JSON shape for scripts, and a
//! documented exit code. Never a `Debug` dump, never a secret.

use serde_json::json;
use vipps_om::{Error, Severity, ValidationReport};

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
            Error::Unauthorized { .. } | Error::Forbidden { .. } => (ExitCode::Auth, "auth"),
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
        let problems = error
            .field_problems()
            .into_iter()
            .map(|(path, reason)| (path, reason, Severity::Error))
            .collect();
        // `Display` is one line; the rejected fields are listed one per
        // line by `print`, followed by the trace id Vipps MobilePay support
        // asks for.
        let mut message = error.to_string();
        if let Error::Unauthorized { detail, .. } | Error::Forbidden { detail } = &error {
            message = detail_on_its_own_line(message, detail);
        }
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

/// The service's own explanation of a refused credential, moved from the
/// end of the message (`... (they differ between production and test)
/// (invalid_client (AADSTS7000215: ...))`) to a line of its own, so that
/// our advice and the service's words are not nested in parentheses. The
/// service's text is cut at a length limit and may have lost a closing
/// parenthesis there; it is quoted as it came.
fn detail_on_its_own_line(message: String, detail: &str) -> String {
    let detail = detail.trim();
    if detail.is_empty() {
        return message;
    }
    let one_line: String = detail
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
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
