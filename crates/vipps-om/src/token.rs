//! The access-token cache: one token shared by every call, refreshed before
//! it expires, fetched by **one** request however many calls need it at the
//! same moment (single flight).
//!
//! Calls read the cached token without waiting. When it is missing or due
//! for refresh, callers queue on one async mutex; the first fetches, the
//! rest find the fresh token (or the same failure) when they get the lock.
//!
//! The lifetime comes from the token service's `expires_in`, so it is
//! clamped to [`crate::client::MIN_TOKEN_LIFETIME`]..=[`crate::client::MAX_TOKEN_LIFETIME`] before any
//! time arithmetic: a huge value cannot overflow a clock, and a zero cannot
//! make every call fetch a new token.

use std::sync::{Arc, Mutex as StdMutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderValue, InvalidHeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use crate::client::{MAX_TOKEN_LIFETIME, MIN_TOKEN_LIFETIME};
use crate::error::Error;

/// `now + d` on a clock, or the farthest representable point when that
/// would overflow (it cannot with the clamped lifetimes, but a clock is no
/// place for a panic).
fn later<T: Copy>(now: T, d: Duration, checked: impl Fn(&T, Duration) -> Option<T>) -> T {
    checked(&now, d)
        .or_else(|| checked(&now, MAX_TOKEN_LIFETIME))
        .unwrap_or(now)
}

/// A token and when to stop using it.
pub(crate) struct CachedToken {
    pub(crate) value: SecretString,
    /// `Bearer <token>`, built once per token and marked sensitive so that
    /// no `Debug` of a request can show it.
    pub(crate) authorization: HeaderValue,
    /// Increases with every fetch, so a 401 only discards the token that
    /// failed and not a newer one fetched meanwhile.
    pub(crate) generation: u64,
    pub(crate) refresh_at: Instant,
    pub(crate) expires_at: Instant,
    pub(crate) lifetime: Duration,
    pub(crate) expires_at_wall: SystemTime,
}

impl CachedToken {
    /// Fails when the token has characters a header cannot carry. The
    /// lifetime is clamped to [`MIN_TOKEN_LIFETIME`]..=[`MAX_TOKEN_LIFETIME`].
    pub(crate) fn new(
        value: SecretString,
        lifetime: Duration,
        generation: u64,
    ) -> Result<Self, InvalidHeaderValue> {
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", value.expose_secret()))?;
        authorization.set_sensitive(true);
        let lifetime = lifetime.clamp(MIN_TOKEN_LIFETIME, MAX_TOKEN_LIFETIME);
        let now = Instant::now();
        let wall = SystemTime::now();
        Ok(CachedToken {
            value,
            authorization,
            generation,
            refresh_at: later(
                now,
                lifetime.saturating_sub(refresh_margin(lifetime)),
                Instant::checked_add,
            ),
            expires_at: later(now, lifetime, Instant::checked_add),
            lifetime,
            expires_at_wall: later(wall, lifetime, SystemTime::checked_add),
        })
    }
}

/// How long before expiry a token is replaced: a tenth of its lifetime, at
/// most five minutes (a 1 h test token is renewed after 55 min, a 24 h
/// production token after 23 h 55 min).
pub(crate) fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(300))
}

#[derive(Default)]
struct State {
    current: Option<Arc<CachedToken>>,
    /// Number of completed fetch attempts.
    attempts: u64,
    /// The failure of the latest attempt, handed to callers that were
    /// already waiting for it instead of each of them trying again.
    last_failure: Option<(u64, Error)>,
}

#[derive(Default)]
pub(crate) struct TokenCache {
    state: StdMutex<State>,
    refresh: tokio::sync::Mutex<()>,
}

impl TokenCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave State inconsistent
        // (every write is a single assignment), so poisoning is ignored.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn usable(&self) -> Option<Arc<CachedToken>> {
        let state = self.lock();
        state
            .current
            .as_ref()
            .filter(|t| Instant::now() < t.refresh_at)
            .cloned()
    }

    /// A token valid for a while yet, fetched with `fetch` when needed.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<Arc<CachedToken>, Error>
    where
        F: FnOnce(u64) -> Fut,
        Fut: std::future::Future<Output = Result<CachedToken, Error>>,
    {
        if let Some(token) = self.usable() {
            return Ok(token);
        }
        let seen_attempts = self.lock().attempts;
        let _single_flight = self.refresh.lock().await;
        if let Some(token) = self.usable() {
            return Ok(token);
        }
        {
            let state = self.lock();
            if let Some((attempt, error)) = &state.last_failure
                && *attempt > seen_attempts
            {
                return Err(error.clone());
            }
        }
        let generation = self.lock().attempts + 1;
        let result = fetch(generation).await;
        let mut state = self.lock();
        state.attempts = generation;
        match result {
            Ok(token) => {
                let token = Arc::new(token);
                state.current = Some(token.clone());
                state.last_failure = None;
                Ok(token)
            }
            Err(error) => {
                // A token that is due for refresh but not yet expired is
                // still better than none while the token service is down.
                if let Some(current) = state
                    .current
                    .as_ref()
                    .filter(|t| Instant::now() < t.expires_at)
                {
                    tracing::warn!(error = %error, "token refresh failed; using the current token until it expires");
                    return Ok(current.clone());
                }
                state.last_failure = Some((generation, error.clone()));
                Err(error)
            }
        }
    }

    /// Forgets the token of `generation` after the API refused it.
    pub(crate) fn invalidate(&self, generation: u64) {
        let mut state = self.lock();
        if state
            .current
            .as_ref()
            .is_some_and(|t| t.generation == generation)
        {
            state.current = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn token(secs: u64, generation: u64) -> CachedToken {
        CachedToken::new(
            SecretString::from("t"),
            Duration::from_secs(secs),
            generation,
        )
        .unwrap()
    }

    #[test]
    fn the_authorization_header_is_built_once_and_hidden() {
        let t = CachedToken::new(SecretString::from("abc"), Duration::from_secs(60), 1).unwrap();
        assert_eq!(t.authorization.to_str().unwrap(), "Bearer abc");
        assert!(t.authorization.is_sensitive());
        assert!(!format!("{:?}", t.authorization).contains("abc"));
        assert!(CachedToken::new(SecretString::from("a\nb"), Duration::from_secs(60), 1).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_before_expiry() {
        let cache = TokenCache::default();
        let fetches = AtomicU32::new(0);
        let fetch = |g| {
            fetches.fetch_add(1, Ordering::SeqCst);
            async move { Ok(token(3600, g)) }
        };
        cache.get(fetch).await.unwrap();
        tokio::time::advance(Duration::from_secs(3600 - 301)).await;
        cache.get(fetch).await.unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(2)).await;
        let t = cache.get(fetch).await.unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        assert_eq!(t.generation, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn keeps_a_valid_token_when_refresh_fails() {
        let cache = TokenCache::default();
        cache
            .get(|g| async move { Ok(token(100, g)) })
            .await
            .unwrap();
        tokio::time::advance(Duration::from_secs(95)).await;
        let t = cache
            .get(|_| async {
                Err(Error::Transport {
                    message: "down".into(),
                    source: None,
                })
            })
            .await
            .unwrap();
        assert_eq!(t.generation, 1);
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(
            cache
                .get(|_| async {
                    Err(Error::Transport {
                        message: "down".into(),
                        source: None,
                    })
                })
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn invalidate_only_drops_the_failed_generation() {
        let cache = TokenCache::default();
        let t = cache
            .get(|g| async move { Ok(token(3600, g)) })
            .await
            .unwrap();
        cache.invalidate(t.generation + 1);
        assert!(cache.usable().is_some());
        cache.invalidate(t.generation);
        assert!(cache.usable().is_none());
    }

    #[test]
    fn hostile_lifetimes_are_clamped() {
        assert_eq!(token(3600, 1).lifetime, Duration::from_secs(3600));
        assert_eq!(token(u64::MAX, 1).lifetime, MAX_TOKEN_LIFETIME);
        let t = CachedToken::new(SecretString::from("t"), Duration::MAX, 1).unwrap();
        assert_eq!(t.lifetime, MAX_TOKEN_LIFETIME);
        assert!(t.expires_at_wall > SystemTime::now());
        let t = CachedToken::new(SecretString::from("t"), Duration::ZERO, 1).unwrap();
        assert_eq!(t.lifetime, MIN_TOKEN_LIFETIME);
        assert!(t.refresh_at > Instant::now());
    }

    #[test]
    fn margin_is_a_tenth_up_to_five_minutes() {
        assert_eq!(
            refresh_margin(Duration::from_secs(86_400)),
            Duration::from_secs(300)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(60)),
            Duration::from_secs(6)
        );
    }
}
