//! When and how long to wait before trying a call again.
//!
//! Each [`Endpoint`] has its own [`RetryPolicy`]. Defaults:
//! - Reads, the v2 category PUT (it replaces), DELETE and the token request
//!   retry on 5xx, 429, timeouts and connection errors.
//! - POST receipt and POST image retry on the same failures: they cannot be
//!   stored twice (the API answers 409), and the client turns a 409 after a
//!   retry into [`crate::Delivered::AlreadyPresent`].
//! - POST v3 category is *not* idempotent (each call adds a category), so by
//!   default it retries only when the request certainly was not processed:
//!   429 and failures to connect.
//! - 400, 401 (apart from the one token refresh), 403, 404 and 409 never
//!   retry.
//!
//! Waits grow exponentially with full jitter in `[d/2, d]`, are replaced by
//! the server's `Retry-After` when it sends one, and all attempts of a call
//! stay within `total_budget`.
//!
//! `Retry-After` comes from the network, so it is read defensively: a
//! number of seconds or an HTTP date, capped at [`MAX_RETRY_AFTER`] (one
//! hour; a larger value, however large, waits the cap), and ignored (the
//! normal backoff applies) when it is negative, fractional or garbage.

use std::time::Duration;

/// Every call the client makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `POST /accesstoken/get`
    AccessToken,
    /// `POST /order-management/v1/images`
    UploadImage,
    /// `PUT /order-management/v2/{paymentType}/categories/{orderId}`
    SetCategory,
    /// `POST /order-management/v2/{paymentType}/receipts/{orderId}`
    AddReceipt,
    /// `GET /order-management/v2/{paymentType}/{orderId}`
    GetOrder,
    /// `POST /order-management/v3/categories`
    AddCategoryV3,
    /// `GET /order-management/v3/categories?orderId=`
    ListCategoriesV3,
    /// `GET /order-management/v3/categories/{categoryId}`
    GetCategoryV3,
    /// `DELETE /order-management/v3/categories/{categoryId}`
    DeleteCategoryV3,
}

impl Endpoint {
    /// All endpoints.
    pub const ALL: &'static [Endpoint] = &[
        Endpoint::AccessToken,
        Endpoint::UploadImage,
        Endpoint::SetCategory,
        Endpoint::AddReceipt,
        Endpoint::GetOrder,
        Endpoint::AddCategoryV3,
        Endpoint::ListCategoriesV3,
        Endpoint::GetCategoryV3,
        Endpoint::DeleteCategoryV3,
    ];

    /// Method and path template, for logs and messages.
    pub fn template(self) -> &'static str {
        match self {
            Endpoint::AccessToken => "POST /accesstoken/get",
            Endpoint::UploadImage => "POST /order-management/v1/images",
            Endpoint::SetCategory => "PUT /order-management/v2/{paymentType}/categories/{orderId}",
            Endpoint::AddReceipt => "POST /order-management/v2/{paymentType}/receipts/{orderId}",
            Endpoint::GetOrder => "GET /order-management/v2/{paymentType}/{orderId}",
            Endpoint::AddCategoryV3 => "POST /order-management/v3/categories",
            Endpoint::ListCategoriesV3 => "GET /order-management/v3/categories",
            Endpoint::GetCategoryV3 => "GET /order-management/v3/categories/{categoryId}",
            Endpoint::DeleteCategoryV3 => "DELETE /order-management/v3/categories/{categoryId}",
        }
    }

    fn index(self) -> usize {
        Endpoint::ALL.iter().position(|e| *e == self).unwrap_or(0)
    }
}

/// How one endpoint retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Wait before the second attempt (before jitter).
    pub initial_backoff: Duration,
    /// Longest wait between attempts (before jitter).
    pub max_backoff: Duration,
    /// Upper bound for all attempts and waits of one call together.
    pub total_budget: Duration,
    /// Whether to retry failures after which the server may have processed
    /// the request (5xx, timeouts). Off for non-idempotent calls.
    pub retry_ambiguous: bool,
}

impl Default for RetryPolicy {
    /// 4 attempts, 200 ms doubling to at most 5 s, within 30 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            total_budget: Duration::from_secs(30),
            retry_ambiguous: true,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn never() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The jittered wait before attempt `next_attempt` (2 = first retry).
    pub fn backoff(&self, next_attempt: u32) -> Duration {
        let exponent = next_attempt.saturating_sub(2).min(20);
        let base = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        let half = base / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// A [`RetryPolicy`] per [`Endpoint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicies {
    policies: [RetryPolicy; 9],
}

impl Default for RetryPolicies {
    fn default() -> Self {
        let mut policies = [RetryPolicy::default(); 9];
        policies[Endpoint::AddCategoryV3.index()].retry_ambiguous = false;
        RetryPolicies { policies }
    }
}

impl RetryPolicies {
    /// The same policy for every endpoint (e.g. [`RetryPolicy::never`]).
    pub fn uniform(policy: RetryPolicy) -> Self {
        RetryPolicies {
            policies: [policy; 9],
        }
    }

    /// The policy of `endpoint`.
    pub fn get(&self, endpoint: Endpoint) -> RetryPolicy {
        self.policies[endpoint.index()]
    }

    /// Replaces the policy of `endpoint`.
    pub fn set(&mut self, endpoint: Endpoint, policy: RetryPolicy) {
        self.policies[endpoint.index()] = policy;
    }
}

/// The longest wait a server's `Retry-After` is obeyed for: one hour. A
/// larger value (seconds beyond any integer type, or an HTTP date centuries
/// ahead) waits exactly this long; the error
/// ([`crate::Error::RateLimited`]) reports the capped wait. Whoever
/// schedules the next attempt from it (e.g. `vipps-om-outbox`) therefore
/// never waits longer than this for a rate limit.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Reads `Retry-After`: delay seconds or an HTTP date, at most
/// [`MAX_RETRY_AFTER`]. `None` for anything else (a negative or
/// fractional number, garbage), so the normal backoff applies.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits: seconds. Too many for a u64 is simply "very long".
        let secs = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let p = RetryPolicy::default();
        for _ in 0..100 {
            let first = p.backoff(2);
            assert!(
                first >= Duration::from_millis(100) && first <= Duration::from_millis(200),
                "{first:?}"
            );
            let late = p.backoff(30);
            assert!(
                late >= Duration::from_millis(2500) && late <= Duration::from_secs(5),
                "{late:?}"
            );
        }
        assert!(p.backoff(4) >= Duration::from_millis(400));
    }

    #[test]
    fn v3_add_category_does_not_retry_ambiguous_failures_by_default() {
        let p = RetryPolicies::default();
        assert!(!p.get(Endpoint::AddCategoryV3).retry_ambiguous);
        assert!(p.get(Endpoint::AddReceipt).retry_ambiguous);
        let mut custom = RetryPolicies::uniform(RetryPolicy::never());
        custom.set(Endpoint::GetOrder, RetryPolicy::default());
        assert_eq!(custom.get(Endpoint::GetOrder).max_attempts, 4);
        assert_eq!(custom.get(Endpoint::AddReceipt).max_attempts, 1);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        let past = httpdate::fmt_http_date(std::time::SystemTime::UNIX_EPOCH);
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn hostile_retry_after_values_are_capped_or_ignored() {
        for huge in [
            "18446744073709551615",
            "99999999999999999999999999999999",
            "3601",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(parse_retry_after(huge), Some(MAX_RETRY_AFTER), "{huge}");
        }
        for garbage in ["-5", "1.5", "", "+7", "0x10", "7 s", "\u{1F600}"] {
            assert_eq!(parse_retry_after(garbage), None, "{garbage:?}");
        }
        assert_eq!(parse_retry_after(" 3600 "), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("0"), Some(Duration::ZERO));
    }
}
