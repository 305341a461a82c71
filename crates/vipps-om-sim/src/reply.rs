//! Every answer the simulated surface gives, in the three wire formats the
//! real service uses:
//! - the API's `ErrorResponse` (400, 403, 404, 409, 5xx): `type`, `title`,
//!   `detail`, `instance` (a W3C traceparent-shaped id) and
//!   `invalidParams`;
//! - the Azure API Management gateway's `{"statusCode", "message"}` (401
//!   and 429), which the API cannot shape;
//! - the token service's Azure AD error (`error`, `error_description`,
//!   `error_codes`, `timestamp`, `trace_id`, `correlation_id`).
//!
//! No reply ever carries a credential: messages name the header that was
//! wrong, never its value.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use vipps_om::models::ProblemDetails;

use crate::rules;

/// The gateway's message for a missing subscription key.
pub(crate) const MISSING_SUBSCRIPTION_KEY: &str = "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.";
/// The gateway's message for an unknown subscription key.
pub(crate) const INVALID_SUBSCRIPTION_KEY: &str = "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.";
/// The gateway's message for a missing, malformed, unknown or expired token.
pub(crate) const INVALID_TOKEN: &str = "Unauthorized. Access token is missing or invalid.";
/// The gateway's message for a path or method without an operation.
pub(crate) const RESOURCE_NOT_FOUND: &str = "Resource not found";
/// The ASP.NET wording the spec's example uses for validation failures.
pub(crate) const VALIDATION_TITLE: &str = "One or more validation errors occurred.";

/// A finished answer: status, extra headers and an optional JSON body.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    /// Serialized JSON; `None` for an empty body.
    pub(crate) body: Option<Vec<u8>>,
    /// What production may refuse although the simulator accepted it
    /// (default mode), for the request log; never sent.
    pub(crate) warnings: Vec<String>,
}

impl Reply {
    /// A JSON body.
    pub(crate) fn json(status: StatusCode, value: &impl Serialize) -> Reply {
        match serde_json::to_vec(value) {
            Ok(body) => Reply {
                status,
                headers: Vec::new(),
                body: Some(body),
                warnings: Vec::new(),
            },
            Err(e) => Reply::internal(&format!("could not encode the answer: {e}")),
        }
    }

    /// A JSON body that is already serialized.
    pub(crate) fn raw_json(status: StatusCode, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(body),
            warnings: Vec::new(),
        }
    }

    /// No body.
    pub(crate) fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: None,
            warnings: Vec::new(),
        }
    }

    /// Attaches the warnings of the request's checks (for the log).
    pub(crate) fn with_warnings(mut self, warnings: Vec<String>) -> Reply {
        self.warnings = warnings;
        self
    }

    /// Adds a header.
    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Reply {
        self.headers.push((name, value));
        self
    }

    /// An `ErrorResponse` without invalid parameters.
    pub(crate) fn problem(status: StatusCode, detail: impl Into<String>) -> Reply {
        Reply::problem_with(status, title_of(status), detail.into())
    }

    /// The 400 for the problems [`crate::rules`] found. A problem only
    /// strict mode refuses carries its rule's URN as `type`; when every
    /// problem is such, the answer's `type` is [`rules::STRICT_TYPE`] and
    /// the detail says production may accept the request.
    pub(crate) fn refused(problems: Vec<rules::Problem>) -> Reply {
        #[derive(Serialize)]
        struct Param {
            name: String,
            reason: String,
            #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
            problem_type: Option<&'static str>,
        }
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Body {
            #[serde(rename = "type")]
            problem_type: &'static str,
            title: &'static str,
            detail: String,
            instance: String,
            invalid_params: Vec<Param>,
        }
        let names: Vec<&str> = problems.iter().map(|p| p.name.as_str()).collect();
        let mut detail = invalid_detail(&names);
        let only_strict = !problems.is_empty() && problems.iter().all(|p| p.rule.is_some());
        if only_strict {
            detail.push_str(
                ". Only the simulator's strict mode refuses these; production may accept them",
            );
        }
        let body = Body {
            problem_type: if only_strict {
                rules::STRICT_TYPE
            } else {
                type_of(StatusCode::BAD_REQUEST)
            },
            title: VALIDATION_TITLE,
            detail,
            instance: trace_parent(),
            invalid_params: problems
                .into_iter()
                .map(|p| Param {
                    name: p.name,
                    reason: p.reason,
                    problem_type: p.rule.map(rules::Rule::urn),
                })
                .collect(),
        };
        Reply::json(StatusCode::BAD_REQUEST, &body)
    }

    /// Azure API Management's answer to a path or method it has no
    /// operation for.
    pub(crate) fn resource_not_found() -> Reply {
        Reply::gateway(StatusCode::NOT_FOUND, RESOURCE_NOT_FOUND)
    }

    fn problem_with(status: StatusCode, title: &str, detail: String) -> Reply {
        let body = ProblemDetails::new(title, detail)
            .with_problem_type(type_of(status).to_owned())
            .with_instance(trace_parent());
        Reply::json(status, &body)
    }

    /// The gateway's own format: `{"statusCode": 401, "message": "..."}`.
    pub(crate) fn gateway(status: StatusCode, message: &str) -> Reply {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Gateway<'a> {
            status_code: u16,
            message: &'a str,
        }
        Reply::json(
            status,
            &Gateway {
                status_code: status.as_u16(),
                message,
            },
        )
    }

    /// The gateway's 429, with `Retry-After` in seconds.
    pub(crate) fn rate_limited(retry_after_secs: u64) -> Reply {
        Reply::gateway(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Rate limit is exceeded. Try again in {retry_after_secs} seconds."),
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(retry_after_secs))
    }

    /// The token service's 401 (Azure AD style) with one AADSTS code.
    pub(crate) fn token_error(code: u32, description: &str) -> Reply {
        #[derive(Serialize)]
        struct TokenError {
            error: &'static str,
            error_description: String,
            error_codes: [u32; 1],
            timestamp: String,
            trace_id: String,
            correlation_id: String,
            error_uri: String,
        }
        let timestamp = utc_timestamp(SystemTime::now());
        let trace_id = uuid::Uuid::new_v4().hyphenated().to_string();
        let correlation_id = uuid::Uuid::new_v4().hyphenated().to_string();
        let body = TokenError {
            error: "invalid_client",
            error_description: format!(
                "AADSTS{code}: {description}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}"
            ),
            error_codes: [code],
            timestamp,
            trace_id,
            correlation_id,
            error_uri: format!("https://login.microsoftonline.com/error?code={code}"),
        };
        Reply::json(StatusCode::UNAUTHORIZED, &body)
    }

    /// A 500 for a failure of the simulator itself (never expected).
    pub(crate) fn internal(detail: &str) -> Reply {
        tracing::error!(detail, "simulator failure");
        let body = format!(
            r#"{{"type":"{}","title":"Internal Server Error","detail":"The simulator failed to answer; this is a bug in the simulator.","instance":"{}"}}"#,
            type_of(StatusCode::INTERNAL_SERVER_ERROR),
            trace_parent()
        );
        Reply::raw_json(StatusCode::INTERNAL_SERVER_ERROR, body.into_bytes())
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = match self.body {
            Some(body) => (
                self.status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response(),
            None => self.status.into_response(),
        };
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

/// `"N invalid parameters: a, b"`, each name once, in order.
fn invalid_detail(names: &[&str]) -> String {
    let mut unique: Vec<&str> = Vec::with_capacity(names.len());
    for name in names {
        if !unique.contains(name) {
            unique.push(name);
        }
    }
    match unique.as_slice() {
        [one] => format!("1 invalid parameter: {one}"),
        many => format!("{} invalid parameters: {}", many.len(), many.join(", ")),
    }
}

/// The problem `type` URI for a status, as ASP.NET writes it.
fn type_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.1",
        403 => "https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.3",
        404 => "https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.4",
        409 => "https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.8",
        413 => "https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.11",
        415 => "https://datatracker.ietf.org/doc/html/rfc7231#section-6.5.13",
        500 => "https://datatracker.ietf.org/doc/html/rfc7231#section-6.6.1",
        502 => "https://datatracker.ietf.org/doc/html/rfc7231#section-6.6.3",
        503 => "https://datatracker.ietf.org/doc/html/rfc7231#section-6.6.4",
        504 => "https://datatracker.ietf.org/doc/html/rfc7231#section-6.6.5",
        _ => "about:blank",
    }
}

fn title_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => VALIDATION_TITLE,
        other => other.canonical_reason().unwrap_or("Error"),
    }
}

/// A fresh id in W3C traceparent shape, `00-<32 hex>-<16 hex>-00`, like
/// the `instance` of the API's errors.
pub(crate) fn trace_parent() -> String {
    let trace = uuid::Uuid::new_v4().simple().to_string();
    let span = uuid::Uuid::new_v4().simple().to_string();
    format!("00-{trace}-{}-00", &span[..16])
}

/// `2024-05-01 12:34:56Z`, the token service's timestamp format.
pub(crate) fn utc_timestamp(at: SystemTime) -> String {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(utc_timestamp(UNIX_EPOCH), "1970-01-01 00:00:00Z");
        let leap_day = UNIX_EPOCH + Duration::from_secs(1_709_210_096);
        assert_eq!(utc_timestamp(leap_day), "2024-02-29 12:34:56Z");
    }

    #[test]
    fn trace_ids_have_traceparent_shape() {
        let id = trace_parent();
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(parts.len(), 4, "{id}");
        assert_eq!((parts[0], parts[3]), ("00", "00"));
        assert_eq!((parts[1].len(), parts[2].len()), (32, 16));
        assert!(parts[1].chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn validation_detail_names_each_field_once_and_strict_problems_their_rule() {
        let reply = Reply::refused(vec![
            rules::Problem {
                name: "a".to_owned(),
                reason: "x".to_owned(),
                rule: None,
            },
            rules::Problem {
                name: "a".to_owned(),
                reason: "y".to_owned(),
                rule: Some(rules::Rule::EmptyText),
            },
            rules::Problem {
                name: "b".to_owned(),
                reason: "z".to_owned(),
                rule: None,
            },
        ]);
        let body: serde_json::Value =
            serde_json::from_slice(reply.body.as_deref().unwrap_or_default()).unwrap();
        assert_eq!(body["detail"], "2 invalid parameters: a, b");
        assert_eq!(body["title"], VALIDATION_TITLE);
        assert_eq!(body["type"], type_of(StatusCode::BAD_REQUEST));
        assert_eq!(
            body["invalidParams"][1]["type"],
            rules::Rule::EmptyText.urn()
        );
        assert!(body["invalidParams"][0].get("type").is_none());

        let reply = Reply::refused(vec![rules::Problem {
            name: "a".to_owned(),
            reason: "y".to_owned(),
            rule: Some(rules::Rule::EmptyText),
        }]);
        let body: serde_json::Value =
            serde_json::from_slice(reply.body.as_deref().unwrap_or_default()).unwrap();
        assert_eq!(body["type"], rules::STRICT_TYPE);
        assert!(
            body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("production may accept")
        );
    }
}
