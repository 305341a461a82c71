//! Passwords (argon2id), random tokens, and the sign-in form's signed
//! CSRF tokens. The sign-in limiter is in [`crate::limiter`].

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The shortest password `add-user` accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Working memory buffers kept for password checks (one per check that
/// may run at once, see `LoginPolicy::max_concurrent_hashes`). Reusing
/// them keeps the console's memory flat under a sign-in flood: an
/// argon2id check needs 19 MiB, and memory freed by the checks of many
/// threads stays with the allocator (a flood measured 490 MiB before).
pub const KEPT_HASH_BUFFERS: usize = 4;

/// The most working memory a stored hash may ask for (in KiB blocks): 256
/// MiB. A hash whose parameters ask for more is treated as not matching
/// rather than allocated.
pub const MAX_STORED_M_COST: u32 = 256 * 1024;

/// Hashes and checks passwords with argon2id.
#[derive(Clone)]
pub struct PasswordHasherConfig {
    params: Params,
    /// A hash of a random password, checked when the account does not
    /// exist so that a wrong name takes as long as a wrong password.
    dummy_hash: String,
    /// Working memory returned by finished checks, reused by the next.
    buffers: Arc<Mutex<Vec<Vec<Block>>>>,
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
            buffers: Arc::default(),
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
        self.verify_parsed(password, &parsed).unwrap_or(false) && known
    }

    /// Recomputes the hash in reused working memory and compares it in
    /// constant time (what `PasswordVerifier` does, with its own
    /// allocation).
    fn verify_parsed(&self, password: &str, parsed: &PasswordHash<'_>) -> Option<bool> {
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = Version::try_from(parsed.version.unwrap_or(0x13)).ok()?;
        let params = Params::try_from(parsed).ok()?;
        if params.m_cost() > MAX_STORED_M_COST {
            return None;
        }
        let expected = parsed.hash?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        let blocks_needed = params.block_count();
        let argon2 = Argon2::new(algorithm, version, params);
        let mut blocks = self.take_buffer(blocks_needed);
        let mut out = vec![0u8; expected.len()];
        let hashed = argon2
            .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut blocks[..])
            .is_ok();
        self.return_buffer(blocks);
        Some(hashed && bool::from(out.as_slice().ct_eq(expected.as_bytes())))
    }

    fn take_buffer(&self, blocks: usize) -> Vec<Block> {
        let kept = self.buffers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match kept {
            Some(mut buffer) => {
                buffer.resize(blocks, Block::default());
                buffer
            }
            None => vec![Block::default(); blocks],
        }
    }

    fn return_buffer(&self, buffer: Vec<Block>) {
        let mut kept = self.buffers.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() < KEPT_HASH_BUFFERS {
            kept.push(buffer);
        }
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

pub use crate::limiter::{Gate, LoginLimiter, LoginPolicy};

/// How long a sign-in form's token is accepted after it was issued.
pub const LOGIN_TOKEN_TTL: Duration = Duration::from_secs(60 * 60);

type HmacSha256 = Hmac<Sha256>;

/// Issues and checks the sign-in form's CSRF tokens: a random nonce and an
/// expiry, signed with HMAC-SHA-256 under a key made at start-up (a
/// restart makes open sign-in forms stale: reloading the page gets a new
/// token). The form sends the token in a field and the browser in a
/// cookie; both must be equal *and* carry this server's signature, so a
/// made-up pair is refused.
pub struct LoginTokens {
    key: [u8; 32],
}

impl fmt::Debug for LoginTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginTokens").finish_non_exhaustive()
    }
}

/// The longest sign-in token (`nonce.expiry.mac`), for the shape check.
pub const LOGIN_TOKEN_MAX_LEN: usize = 32 + 1 + 20 + 1 + 64;

impl LoginTokens {
    /// A new random key.
    pub fn new() -> Result<LoginTokens, PasswordError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| PasswordError::Random(e.to_string()))?;
        Ok(LoginTokens { key })
    }

    /// The MAC of `payload` (HMAC takes keys of any length, so `None`
    /// does not happen).
    fn mac(&self, payload: &str) -> Option<HmacSha256> {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key).ok()?;
        mac.update(payload.as_bytes());
        Some(mac)
    }

    /// A new token, valid for [`LOGIN_TOKEN_TTL`].
    pub fn issue(&self) -> Result<String, PasswordError> {
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(|e| PasswordError::Random(e.to_string()))?;
        let expiry = unix_now().saturating_add(LOGIN_TOKEN_TTL.as_secs());
        let payload = format!("{}.{expiry}", hex::encode(nonce));
        let mac = self
            .mac(&payload)
            .ok_or_else(|| PasswordError::Hashing("the HMAC key was refused".into()))?;
        Ok(format!(
            "{payload}.{}",
            hex::encode(mac.finalize().into_bytes())
        ))
    }

    /// Whether `token` was issued by this key and has not expired.
    pub fn verify(&self, token: &str) -> bool {
        if token.len() > LOGIN_TOKEN_MAX_LEN {
            return false;
        }
        let Some((payload, mac)) = token.rsplit_once('.') else {
            return false;
        };
        let Some((_, expiry)) = payload.split_once('.') else {
            return false;
        };
        let (Ok(expiry), Ok(mac)) = (expiry.parse::<u64>(), hex::decode(mac)) else {
            return false;
        };
        expiry > unix_now()
            && self
                .mac(payload)
                .is_some_and(|m| m.verify_slice(&mac).is_ok())
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
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
    fn checks_reuse_their_working_memory_and_agree_with_argon2() {
        let hasher = PasswordHasherConfig::recommended().unwrap();
        let hash = hasher.hash("correct horse battery").unwrap();
        // A hash made by the library's own verifier path checks the same.
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(
            argon2::password_hash::PasswordVerifier::verify_password(
                &Argon2::default(),
                b"correct horse battery",
                &parsed
            )
            .is_ok()
        );
        for _ in 0..3 {
            assert!(hasher.verify("correct horse battery", Some(&hash)));
            assert!(!hasher.verify("correct horse batterx", Some(&hash)));
        }
        let kept = hasher.buffers.lock().unwrap();
        assert_eq!(kept.len(), 1, "one sequential check keeps one buffer");
        assert_eq!(kept[0].len(), Params::DEFAULT.block_count());
    }

    #[test]
    fn a_stored_hash_asking_for_absurd_memory_does_not_match() {
        let hasher = PasswordHasherConfig::insecure_for_tests().unwrap();
        let huge = format!(
            "$argon2id$v=19$m={},t=1,p=1$c29tZXNhbHRzb21lc2FsdA$YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY",
            MAX_STORED_M_COST + 1
        );
        assert!(!hasher.verify("anything at all", Some(&huge)));
        assert!(
            hasher.buffers.lock().unwrap().is_empty(),
            "nothing allocated"
        );
    }

    #[test]
    fn login_tokens_are_signed_and_expire() {
        let tokens = LoginTokens::new().unwrap();
        let token = tokens.issue().unwrap();
        assert!(tokens.verify(&token));
        assert!(token.len() <= LOGIN_TOKEN_MAX_LEN);
        assert!(!LoginTokens::new().unwrap().verify(&token), "another key");
        assert!(!tokens.verify(&"0".repeat(64)), "a made-up token");
        let (payload, mac) = token.rsplit_once('.').unwrap();
        let (nonce, _) = payload.split_once('.').unwrap();
        assert!(
            !tokens.verify(&format!("{nonce}.99999999999.{mac}")),
            "a changed expiry"
        );
        let past = format!("{nonce}.1");
        let mac = hex::encode(tokens.mac(&past).unwrap().finalize().into_bytes());
        assert!(!tokens.verify(&format!("{past}.{mac}")), "expired");
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
