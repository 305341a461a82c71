//! Injected faults: "answer the next N requests to this route with 503",
//! "delay them", or both. A [`Fault`] is made in Rust
//! ([`Fault::status`], [`Fault::delay`]) or from the JSON of
//! `POST /_sim/faults`:
//!
//! ```json
//! {"route": "POST /order-management/v2/{paymentType}/receipts/{orderId}",
//!  "status": 503, "retryAfter": 2, "count": 3, "delayMs": 0}
//! ```
//!
//! With `"msn": "123456"` a fault hits only that merchant's requests (the
//! merchant whose `Ocp-Apim-Subscription-Key` the request sends; a request
//! without a known key belongs to no merchant and is not hit).
//!
//! Faults wait in a queue in the order they were added; each matching
//! request takes one use of the first fault that matches it, and a fault is
//! gone when its uses are spent. Faults act before authentication, like an
//! outage in front of the API would. Control routes (`/_sim/...`) and
//! unknown paths are never faulted.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::routes::Route;

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultRoute {
    /// Every route of the simulated API (`"*"`).
    Any,
    /// One route.
    Route(Route),
}

impl FaultRoute {
    fn matches(self, route: Route) -> bool {
        match self {
            FaultRoute::Any => true,
            FaultRoute::Route(r) => r == route,
        }
    }

    fn as_text(self) -> &'static str {
        match self {
            FaultRoute::Any => "*",
            FaultRoute::Route(r) => r.template(),
        }
    }
}

impl From<Route> for FaultRoute {
    fn from(route: Route) -> Self {
        FaultRoute::Route(route)
    }
}

/// A planned misbehaviour for the next `count` matching requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    route: FaultRoute,
    status: Option<u16>,
    retry_after: Option<u64>,
    count: u32,
    delay: Duration,
    /// Only this merchant's requests, when set.
    msn: Option<String>,
}

/// Why a fault was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FaultError(String);

impl FaultError {
    pub(crate) fn new(message: String) -> FaultError {
        FaultError(message)
    }
}

/// Longest delay a fault may ask for: long enough for any client timeout,
/// short enough that a forgotten fault cannot hang a test run for long.
pub const MAX_FAULT_DELAY: Duration = Duration::from_secs(120);

impl Fault {
    /// Answer the next request to `route` with `status` (400–599) instead
    /// of handling it. 429 gets the gateway's body and a `Retry-After` of
    /// one second unless [`Fault::retry_after`] says otherwise.
    pub fn status(route: impl Into<FaultRoute>, status: u16) -> Fault {
        Fault {
            route: route.into(),
            status: Some(status),
            retry_after: None,
            count: 1,
            delay: Duration::ZERO,
            msn: None,
        }
    }

    /// Hold the next request to `route` for `delay`, then handle it
    /// normally. The request is handled even when the client gave up
    /// waiting, as a slow server would.
    pub fn delay(route: impl Into<FaultRoute>, delay: Duration) -> Fault {
        Fault {
            route: route.into(),
            status: None,
            retry_after: None,
            count: 1,
            delay,
            msn: None,
        }
    }

    /// Apply to the next `count` matching requests instead of one.
    pub fn times(mut self, count: u32) -> Fault {
        self.count = count;
        self
    }

    /// Send `Retry-After: seconds` with the fault's answer.
    pub fn retry_after(mut self, seconds: u64) -> Fault {
        self.retry_after = Some(seconds);
        self
    }

    /// Hit only the requests of the merchant with this MSN.
    pub fn for_merchant(mut self, msn: impl Into<String>) -> Fault {
        self.msn = Some(msn.into());
        self
    }

    /// The merchant it is limited to, if any.
    pub fn merchant(&self) -> Option<&str> {
        self.msn.as_deref()
    }

    /// Also wait `delay` before answering.
    pub fn with_delay(mut self, delay: Duration) -> Fault {
        self.delay = delay;
        self
    }

    /// The routes it applies to.
    pub fn route(&self) -> FaultRoute {
        self.route
    }

    /// The status it answers with, if any.
    pub fn status_code(&self) -> Option<u16> {
        self.status
    }

    /// The `Retry-After` seconds it sends, if any.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after
    }

    /// Uses left.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The delay before answering.
    pub fn delay_duration(&self) -> Duration {
        self.delay
    }

    /// Checks the values: a status or a delay (or both), status 400–599,
    /// count ≥ 1, delay ≤ [`MAX_FAULT_DELAY`].
    pub fn check(&self) -> Result<(), FaultError> {
        if let Some(status) = self.status {
            if !(400..=599).contains(&status) {
                return Err(FaultError(format!(
                    "status {status} is not an error status; use 400 to 599 (e.g. 500, 503 or 429)"
                )));
            }
        } else if self.delay.is_zero() {
            return Err(FaultError(
                "a fault needs a status, a delay (delayMs), or both".to_owned(),
            ));
        }
        if self.count == 0 {
            return Err(FaultError(
                "count is 0; a fault applies to at least one request".to_owned(),
            ));
        }
        if self.delay > MAX_FAULT_DELAY {
            return Err(FaultError(format!(
                "delayMs {} is too long; use at most {} ms",
                self.delay.as_millis(),
                MAX_FAULT_DELAY.as_millis()
            )));
        }
        Ok(())
    }

    /// Reads the JSON of `POST /_sim/faults`.
    pub fn from_json(body: &[u8]) -> Result<Fault, FaultError> {
        let spec: FaultSpec = serde_json::from_slice(body).map_err(|e| {
            FaultError(format!(
                "the fault is not valid: {e}; send e.g. {{\"route\": \"*\", \"status\": 503, \"count\": 1}}"
            ))
        })?;
        let route = match spec.route.trim() {
            "*" => FaultRoute::Any,
            text => FaultRoute::Route(text.parse().map_err(|e| FaultError(format!("{e}")))?),
        };
        let fault = Fault {
            route,
            status: spec.status,
            retry_after: spec.retry_after,
            count: spec.count.unwrap_or(1),
            delay: Duration::from_millis(spec.delay_ms.unwrap_or(0)),
            msn: spec.msn.map(|m| m.trim().to_owned()),
        };
        fault.check()?;
        Ok(fault)
    }

    /// The fault as `POST /_sim/faults` JSON.
    pub fn to_spec(&self) -> FaultSpec {
        FaultSpec {
            route: self.route.as_text().to_owned(),
            status: self.status,
            retry_after: self.retry_after,
            count: Some(self.count),
            delay_ms: Some(u64::try_from(self.delay.as_millis()).unwrap_or(u64::MAX)),
            msn: self.msn.clone(),
        }
    }

    /// Whether a request to `route` by merchant `msn` (if known) is hit.
    pub(crate) fn matches(&self, route: Route, msn: Option<&str>) -> bool {
        self.count > 0
            && self.route.matches(route)
            && self.msn.as_deref().is_none_or(|only| Some(only) == msn)
    }

    /// Takes one use; returns what this request gets.
    pub(crate) fn take(&mut self) -> FaultAction {
        self.count = self.count.saturating_sub(1);
        FaultAction {
            status: self.status,
            retry_after: self.retry_after,
            delay: self.delay,
        }
    }
}

/// The wire form of a fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultSpec {
    /// `"<METHOD> <path template>"` or `"*"`.
    pub route: String,
    /// Status to answer with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `Retry-After` seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// How many requests (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Delay before answering, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Only this merchant's requests (its MSN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msn: Option<String>,
}

/// What one faulted request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FaultAction {
    pub(crate) status: Option<u16>,
    pub(crate) retry_after: Option<u64>,
    pub(crate) delay: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_faults_default_to_one_use() {
        let fault = Fault::from_json(br#"{"route":"POST /accesstoken/get","status":503}"#).unwrap();
        assert_eq!(fault, Fault::status(Route::AccessToken, 503));
        let any = Fault::from_json(br#"{"route":"*","delayMs":250,"count":2}"#).unwrap();
        assert_eq!(any.route(), FaultRoute::Any);
        assert_eq!(any.delay_duration(), Duration::from_millis(250));
        assert_eq!(any.count(), 2);
    }

    #[test]
    fn bad_faults_are_explained() {
        for (body, expected) in [
            (r#"{"route":"*"}"#, "needs a status"),
            (r#"{"route":"*","status":302}"#, "not an error status"),
            (r#"{"route":"*","status":503,"count":0}"#, "count is 0"),
            (r#"{"route":"GET /x","status":503}"#, "is not a route"),
            (r#"{"route":"*","status":503,"delay":5}"#, "unknown field"),
            (r#"{"route":"*","delayMs":999999}"#, "too long"),
        ] {
            let err = Fault::from_json(body.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(expected), "{body}: {err}");
        }
    }

    #[test]
    fn a_fault_is_spent_after_its_count() {
        let mut fault = Fault::status(FaultRoute::Any, 500).times(2);
        assert!(fault.matches(Route::GetOrder, None));
        fault.take();
        fault.take();
        assert!(!fault.matches(Route::GetOrder, None));
    }

    #[test]
    fn spec_round_trips() {
        let fault = Fault::status(Route::AddReceipt, 429)
            .retry_after(3)
            .times(2);
        let json = serde_json::to_vec(&fault.to_spec()).unwrap();
        assert_eq!(Fault::from_json(&json).unwrap(), fault);
        let one = Fault::status(Route::AddReceipt, 503).for_merchant("123456");
        let json = serde_json::to_vec(&one.to_spec()).unwrap();
        assert_eq!(Fault::from_json(&json).unwrap(), one);
    }

    #[test]
    fn a_merchant_fault_hits_only_that_merchant() {
        let fault = Fault::status(FaultRoute::Any, 503).for_merchant("123456");
        assert!(fault.matches(Route::GetOrder, Some("123456")));
        assert!(!fault.matches(Route::GetOrder, Some("654321")));
        assert!(!fault.matches(Route::GetOrder, None));
    }
}
