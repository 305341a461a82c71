//! Access tokens shaped like production's: JWTs (`header.payload.signature`,
//! base64url without padding), signed with HS256 and a key made when the
//! simulator starts.
//!
//! The claims `iat`, `nbf` and `exp` are Unix seconds with `exp - iat`
//! equal to the `expires_in` the token service announces, so code that
//! reads `exp` to plan its refresh works as it would against production.
//! The simulator itself never trusts what a token says: the store keeps
//! every issued token with its merchant and expiry (see
//! [`crate::state`]), which is what makes `POST /_sim/tokens/revoke` and
//! the TTL controls work; a token forged with the right shape but never
//! issued is refused like any unknown one.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use uuid::Uuid;

/// The `iss` (and `aud`) of every token the simulator issues.
pub(crate) const ISSUER: &str = "vipps-om-sim";

/// Signs tokens with one HS256 key, made at start-up and never shown.
pub(crate) struct TokenSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSigner(..)")
    }
}

#[derive(Serialize)]
struct Header {
    alg: &'static str,
    typ: &'static str,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'static str,
    aud: &'static str,
    /// The merchant serial number the token belongs to.
    sub: &'a str,
    iat: u64,
    nbf: u64,
    exp: u64,
    jti: String,
}

impl TokenSigner {
    /// A signer with a fresh random key (two v4 UUIDs: 244 random bits).
    pub(crate) fn new() -> TokenSigner {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(Uuid::new_v4().as_bytes());
        TokenSigner { key }
    }

    /// A new token for merchant `msn`, valid for `lifetime_secs` from now.
    pub(crate) fn mint(&self, msn: &str, lifetime_secs: u64) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let claims = Claims {
            iss: ISSUER,
            aud: ISSUER,
            sub: msn,
            iat: now,
            nbf: now,
            exp: now.saturating_add(lifetime_secs),
            jti: Uuid::new_v4().simple().to_string(),
        };
        let header = Header {
            alg: "HS256",
            typ: "JWT",
        };
        // Serializing these two plain structs cannot fail; an empty part
        // would only make the token unreadable, never unsafe.
        let header = serde_json::to_vec(&header).unwrap_or_default();
        let claims = serde_json::to_vec(&claims).unwrap_or_default();
        let mut token = URL_SAFE_NO_PAD.encode(header);
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(claims));
        let signature = self.sign(token.as_bytes());
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature));
        token
    }

    fn sign(&self, signing_input: &[u8]) -> Vec<u8> {
        // HMAC takes keys of any length, so this never fails.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(signing_input);
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `token`'s signature is this signer's (the shape check of a
    /// token; the store decides whether it is live).
    #[cfg(test)]
    pub(crate) fn verify(&self, token: &str) -> bool {
        let Some((input, signature)) = token.rsplit_once('.') else {
            return false;
        };
        let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.key) else {
            return false;
        };
        mac.update(input.as_bytes());
        mac.verify_slice(&signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(token: &str) -> serde_json::Value {
        let part = token.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn tokens_are_signed_jwts_whose_lifetime_is_exp_minus_iat() {
        let signer = TokenSigner::new();
        let token = signer.mint("123456", 3600);
        assert_eq!(token.split('.').count(), 3);
        let header: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(token.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(header["alg"], "HS256");
        let claims = payload(&token);
        assert_eq!(claims["sub"], "123456");
        let iat = claims["iat"].as_u64().unwrap();
        assert_eq!(claims["exp"].as_u64().unwrap() - iat, 3600);
        assert_eq!(claims["nbf"].as_u64().unwrap(), iat);
        assert!(signer.verify(&token));
        assert!(!TokenSigner::new().verify(&token), "another key's token");
        let mut tampered = token.clone();
        tampered.insert(token.find('.').unwrap() + 1, 'x');
        assert!(!signer.verify(&tampered));
    }

    #[test]
    fn every_token_is_new() {
        let signer = TokenSigner::new();
        assert_ne!(signer.mint("123456", 60), signer.mint("123456", 60));
    }
}
