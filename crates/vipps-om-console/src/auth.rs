//! Passwords (argon2id), random tokens, and the sign-in limiter.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The shortest password `add-user` accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Hashes and checks passwords with argon2id.
#[derive(Clone)]
pub struct PasswordHasherConfig {
    params: Params,
    /// A hash of a random password, checked when the account does not
    /// exist so that a wrong name takes as long as a wrong password.
    dummy_hash: String,
}

impl fmt::Debug for PasswordHasherConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasherConfig")
            .field("m_cost", &self.params.m_cost())
            .field("t_cost", &self.params.t_cost())
            .finish_non_exhaustive()
    }
}

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Too short.
    #[error("the password is too short: use at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    /// The hashing library failed (never carries the password).
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// The operating system gave no randomness.
    #[error("no randomness from the operating system: {0}")]
    Random(String),
}

impl PasswordHasherConfig {
    /// OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane.
    pub fn recommended() -> Result<PasswordHasherConfig, PasswordError> {
        PasswordHasherConfig::with_params(Params::DEFAULT)
    }

    /// Cheap parameters for tests only (hashes made with them stay cheap to
    /// check; never use them for real accounts).
    pub fn insecure_for_tests() -> Result<PasswordHasherConfig, PasswordError> {
        let params =
            Params::new(256, 1, 1, None).map_err(|e| PasswordError::Hashing(e.to_string()))?;
        PasswordHasherConfig::with_params(params)
    }

    fn with_params(params: Params) -> Result<PasswordHasherConfig, PasswordError> {
        let mut config = PasswordHasherConfig {
            params,
            dummy_hash: String::new(),
        };
        config.dummy_hash = config.hash_unchecked(&random_token()?)?;
        Ok(config)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hashes a new password (refuses one that is too short).
    pub fn hash(&self, password: &str) -> Result<String, PasswordError> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(PasswordError::TooShort);
        }
        self.hash_unchecked(password)
    }

    fn hash_unchecked(&self, password: &str) -> Result<String, PasswordError> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| PasswordError::Random(e.to_string()))?;
        let salt =
            SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hashing(e.to_string()))?;
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hashing(e.to_string()))
    }

    /// Whether `password` matches `hash`; with no hash (unknown account)
    /// checks against a dummy hash and answers false, taking as long.
    pub fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let known = hash.is_some();
        let hash = hash.unwrap_or(&self.dummy_hash);
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let ok = self
            .argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && known
    }
}

/// 32 random bytes as hex: session ids, CSRF tokens, upload ids.
pub fn random_token() -> Result<String, PasswordError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| PasswordError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// A readable random password for demo accounts (no look-alike letters).
pub fn random_password() -> Result<String, PasswordError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 18];
    getrandom::fill(&mut bytes).map_err(|e| PasswordError::Random(e.to_string()))?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// SHA-256 (hex) of a session id: what the database keeps.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two tokens in constant time.
pub fn tokens_match(given: &str, expected: &str) -> bool {
    !expected.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// Sign-in limits: after `max_failures` failed sign-ins for one account
/// name (existing or not) within `window`, that name is locked for
/// `lockout`; one client address may try at most `max_per_address`
/// sign-ins per `window`.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    /// Failures before the name is locked.
    pub max_failures: u32,
    /// Window in which failures and attempts are counted.
    pub window: Duration,
    /// How long a locked name stays locked.
    pub lockout: Duration,
    /// Attempts per client address per window.
    pub max_per_address: u32,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            max_failures: 5,
            window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(15 * 60),
            max_per_address: 30,
        }
    }
}

#[derive(Debug, Default)]
struct Counter {
    count: u32,
    since: Option<Instant>,
    locked_until: Option<Instant>,
}

impl Counter {
    fn roll(&mut self, now: Instant, window: Duration) {
        if self.since.is_none_or(|s| now.duration_since(s) > window) {
            self.count = 0;
            self.since = Some(now);
        }
    }
}

/// What the limiter says about a sign-in attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Go ahead and check the password.
    Open,
    /// The account name is locked (too many failures).
    Locked,
    /// This address tried too often.
    TooMany,
}

/// Counts sign-in attempts in memory (per account name and per client
/// address). A restart clears it; the lockout is a brake on guessing, the
/// passwords' strength and argon2 are the wall.
#[derive(Debug)]
pub struct LoginLimiter {
    policy: LoginPolicy,
    names: Mutex<HashMap<String, Counter>>,
    addresses: Mutex<HashMap<String, Counter>>,
}

impl LoginLimiter {
    /// A limiter with `policy`.
    pub fn new(policy: LoginPolicy) -> LoginLimiter {
        LoginLimiter {
            policy,
            names: Mutex::new(HashMap::new()),
            addresses: Mutex::new(HashMap::new()),
        }
    }

    /// Call before checking a password; counts the attempt for the address.
    pub fn check(&self, name: &str, address: &str) -> Gate {
        let now = Instant::now();
        {
            let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(counter) = names.get_mut(&name.to_lowercase()) {
                match counter.locked_until {
                    Some(until) if until > now => return Gate::Locked,
                    Some(_) => *counter = Counter::default(),
                    None => {}
                }
            }
        }
        let mut addresses = self.addresses.lock().unwrap_or_else(|e| e.into_inner());
        if addresses.len() > 10_000 {
            addresses.retain(|_, c| {
                c.since
                    .is_some_and(|s| now.duration_since(s) <= self.policy.window)
            });
        }
        let counter = addresses.entry(address.to_owned()).or_default();
        counter.roll(now, self.policy.window);
        counter.count += 1;
        if counter.count > self.policy.max_per_address {
            Gate::TooMany
        } else {
            Gate::Open
        }
    }

    /// Records a failed password; true when this locked the name.
    pub fn failed(&self, name: &str) -> bool {
        let now = Instant::now();
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        if names.len() > 10_000 {
            names.retain(|_, c| {
                c.locked_until.is_some_and(|u| u > now)
                    || c.since
                        .is_some_and(|s| now.duration_since(s) <= self.policy.window)
            });
        }
        let counter = names.entry(name.to_lowercase()).or_default();
        counter.roll(now, self.policy.window);
        counter.count += 1;
        if counter.count >= self.policy.max_failures {
            counter.locked_until = Some(now + self.policy.lockout);
            true
        } else {
            false
        }
    }

    /// Clears the name's failures after a successful sign-in.
    pub fn succeeded(&self, name: &str) {
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        names.remove(&name.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_refuse() {
        let hasher = PasswordHasherConfig::insecure_for_tests().unwrap();
        let hash = hasher.hash("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher.verify("correct horse battery", Some(&hash)));
        assert!(!hasher.verify("wrong horse battery!", Some(&hash)));
        assert!(!hasher.verify("correct horse battery", None));
        assert!(matches!(hasher.hash("short"), Err(PasswordError::TooShort)));
        assert!(!format!("{hasher:?}").contains("argon2id$"));
    }

    #[test]
    fn locks_a_name_after_failures() {
        let limiter = LoginLimiter::new(LoginPolicy {
            max_failures: 3,
            ..LoginPolicy::default()
        });
        for _ in 0..2 {
            assert_eq!(limiter.check("Ann", "1.2.3.4"), Gate::Open);
            assert!(!limiter.failed("Ann"));
        }
        assert_eq!(limiter.check("ann", "1.2.3.4"), Gate::Open);
        assert!(limiter.failed("ann"));
        assert_eq!(limiter.check("ANN", "5.6.7.8"), Gate::Locked);
        assert_eq!(limiter.check("bob", "1.2.3.4"), Gate::Open);
    }

    #[test]
    fn tokens_are_random_and_compared_exactly() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(tokens_match(&a, &a.clone()));
        assert!(!tokens_match(&b, &a));
        assert!(!tokens_match("", ""));
        assert_eq!(random_password().unwrap().len(), 18);
    }
}
