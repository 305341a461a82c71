//! Credentials, as the gateway and the token service check them.
//!
//! - `POST /accesstoken/get`: the subscription key (gateway, 401 in its
//!   format) picks the merchant; `client_id` and `client_secret` must be
//!   that merchant's (token service, 401 Azure AD style). Success issues
//!   a JWT bound to the merchant ([`crate::jwt`]): `exp - iat` is the
//!   announced `expires_in`; the store, not the token's claims, decides
//!   whether it is still live (so revocation and the TTL controls work).
//! - API calls: subscription key (401 gateway), then `Authorization:
//!   Bearer <token>` with the scheme spelled exactly so (401 gateway); the
//!   token must be valid and belong to the key's merchant (401). Then the
//!   headers: `Merchant-Serial-Number` missing → 400, another merchant's →
//!   403; the `Vipps-System-*` lengths ([`crate::rules::system_headers`]).
//! - Partner keys (`[[partner]]`): the token request checks the partner's
//!   client id and secret and issues a token of the partner, whatever
//!   `Merchant-Serial-Number` it carries (none is needed). An API call
//!   with a partner token acts for the merchant its
//!   `Merchant-Serial-Number` names: missing, or not linked to the
//!   partner → 403 (problem details saying which).

use crate::reply::{INVALID_SUBSCRIPTION_KEY, INVALID_TOKEN, MISSING_SUBSCRIPTION_KEY, Reply};
use crate::rules::{self, Findings};
use crate::state::{KeyOwner, MerchantIx, PartnerIx, SimState, TokenLookup};
use axum::http::header::AsHeaderName;
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use serde::Serialize;

/// `Ocp-Apim-Subscription-Key`, parsed once (looking a header up by a
/// `&str` parses the name on every request).
pub(crate) const SUBSCRIPTION_KEY: HeaderName =
    HeaderName::from_static("ocp-apim-subscription-key");
/// `Merchant-Serial-Number`.
pub(crate) const MERCHANT_SERIAL_NUMBER: HeaderName =
    HeaderName::from_static("merchant-serial-number");

pub(crate) fn header_text<K: AsHeaderName>(headers: &HeaderMap, name: K) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The merchant or partner whose subscription key was sent, or the
/// gateway's 401.
pub(crate) fn subscription(state: &SimState, headers: &HeaderMap) -> Result<KeyOwner, Reply> {
    match headers.get(SUBSCRIPTION_KEY) {
        None => Err(Reply::gateway(
            StatusCode::UNAUTHORIZED,
            MISSING_SUBSCRIPTION_KEY,
        )),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|key| state.key_owner(key.trim()))
            .ok_or_else(|| Reply::gateway(StatusCode::UNAUTHORIZED, INVALID_SUBSCRIPTION_KEY)),
    }
}

/// `POST /accesstoken/get`.
pub(crate) fn token(state: &SimState, headers: &HeaderMap) -> Reply {
    let merchant_ix = match subscription(state, headers) {
        Ok(KeyOwner::Merchant(m)) => m,
        Ok(KeyOwner::Partner(px)) => return partner_token(state, px, headers),
        Err(reply) => return reply,
    };
    let merchant = state.merchant_at(merchant_ix);
    let refused = client_refusal(headers, merchant.client_id(), merchant.client_secret());
    let msn = merchant.merchant_serial_number().to_string();
    let ttl = state.token_ttl();
    let seconds = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
    if let Some((code, description)) = refused {
        state.lock().count_token_request(&msn, false);
        return Reply::token_error(code, description);
    }
    // Signed outside the lock; `exp - iat` is the `expires_in` announced.
    let minted = state.mint_token(&msn, seconds);
    let mut store = state.lock();
    store.count_token_request(&msn, true);
    let access_token = store.issue_token(merchant_ix, ttl, minted);
    drop(store);
    Reply::json(
        StatusCode::OK,
        &TokenResponseBody {
            token_type: "Bearer".to_owned(),
            expires_in: seconds.to_string(),
            access_token,
        },
    )
}

/// Why the token service refuses `client_id`/`client_secret`, if it does.
/// Messages never repeat what was sent: a client id and secret swapped
/// by mistake would otherwise print the secret.
fn client_refusal(
    headers: &HeaderMap,
    expected_id: &str,
    expected_secret: &str,
) -> Option<(u32, &'static str)> {
    let client_id = header_text(headers, "client_id").map(str::trim);
    let client_secret = header_text(headers, "client_secret").map(str::trim);
    match (client_id, client_secret) {
        (None | Some(""), _) => Some((
            900_144,
            "The request must contain the following parameter: 'client_id' (send it in the client_id header).",
        )),
        (Some(id), _) if id != expected_id => Some((
            700_016,
            "Application with the given client_id was not found for these API keys. Check that client_id and client_secret belong to the same sales unit as the Ocp-Apim-Subscription-Key header.",
        )),
        (Some(_), None | Some("")) => Some((
            900_144,
            "The request must contain the following parameter: 'client_secret' (send it in the client_secret header).",
        )),
        (Some(_), Some(secret)) if secret != expected_secret => Some((
            7_000_215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value of this client_id.",
        )),
        _ => None,
    }
}

/// `POST /accesstoken/get` with a partner's subscription key: one token
/// for every merchant linked to the partner.
fn partner_token(state: &SimState, px: PartnerIx, headers: &HeaderMap) -> Reply {
    let partner = state.partner_at(px);
    let refused = client_refusal(headers, partner.client_id(), partner.client_secret());
    let ttl = state.token_ttl();
    let seconds = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
    if let Some((code, description)) = refused {
        state
            .lock()
            .count_partner_token_request(partner.name(), false);
        return Reply::token_error(code, description);
    }
    let minted = state.mint_token(&format!("partner:{}", partner.name()), seconds);
    let mut store = state.lock();
    store.count_partner_token_request(partner.name(), true);
    let access_token = store.issue_token_for(KeyOwner::Partner(px), ttl, minted);
    drop(store);
    Reply::json(
        StatusCode::OK,
        &TokenResponseBody {
            token_type: "Bearer".to_owned(),
            expires_in: seconds.to_string(),
            access_token,
        },
    )
}

/// The merchant a partner's API call acts for: its `Merchant-Serial-Number`
/// when linked to the partner, else 403 saying why.
fn partner_merchant(
    state: &SimState,
    px: PartnerIx,
    headers: &HeaderMap,
) -> Result<MerchantIx, Reply> {
    let sent = headers
        .get(MERCHANT_SERIAL_NUMBER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
        .filter(|v| !v.is_empty());
    let Some(sent) = sent else {
        return Err(Reply::problem(
            StatusCode::FORBIDDEN,
            "The Merchant-Serial-Number header is required with partner keys; send the MSN of the sales unit you act for.",
        ));
    };
    match state.linked_merchant(px, &sent) {
        Some(ix) => {
            state.lock().count_partner_request(&sent);
            Ok(ix)
        }
        None => {
            let shown: String = sent.chars().take(40).collect();
            Err(Reply::problem(
                StatusCode::FORBIDDEN,
                format!(
                    "The Merchant-Serial-Number {shown:?} is not linked to these partner keys; link the sales unit to the partner, or use the sales unit's own API keys."
                ),
            ))
        }
    }
}

/// The token service's success body, as the real service writes it.
#[derive(Serialize)]
struct TokenResponseBody {
    /// Always `Bearer`.
    token_type: String,
    /// Seconds until expiry, as a string like the real service.
    expires_in: String,
    /// The token.
    access_token: String,
}

/// The merchant an API call acts for, or the gateway's 401.
pub(crate) fn authenticate(state: &SimState, headers: &HeaderMap) -> Result<MerchantIx, Reply> {
    let key_owner = subscription(state, headers)?;
    let unauthorized = || Reply::gateway(StatusCode::UNAUTHORIZED, INVALID_TOKEN);
    let token = header_text(headers, header::AUTHORIZATION)
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(unauthorized)?;
    let found = state.lock().lookup_token(token);
    match (found, key_owner) {
        (TokenLookup::Valid(token_merchant), KeyOwner::Merchant(key_merchant))
            if token_merchant == key_merchant =>
        {
            Ok(token_merchant)
        }
        (TokenLookup::Partner(token_partner), KeyOwner::Partner(key_partner))
            if token_partner == key_partner =>
        {
            partner_merchant(state, token_partner, headers)
        }
        _ => Err(unauthorized()),
    }
}

/// Header rules after authentication, into `findings`; a 403 when the
/// Merchant-Serial-Number is another merchant's (and nothing else is wrong
/// with the headers).
pub(crate) fn check_headers(
    state: &SimState,
    merchant: MerchantIx,
    headers: &HeaderMap,
    findings: &mut Findings,
) -> Result<(), Reply> {
    let expected = state
        .merchant_at(merchant)
        .merchant_serial_number()
        .as_str();
    let sent = headers
        .get(MERCHANT_SERIAL_NUMBER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()));
    let sent = sent.as_deref().map(str::trim).filter(|v| !v.is_empty());
    if sent.is_none() {
        findings.refuse(
            "Merchant-Serial-Number",
            "The Merchant-Serial-Number field is required.",
        );
    }
    rules::system_headers(headers, findings);
    if let Some(sent) = sent
        && !findings.is_refused()
        && sent != expected
    {
        let shown: String = sent.chars().take(40).collect();
        return Err(Reply::problem(
            StatusCode::FORBIDDEN,
            format!(
                "The Merchant-Serial-Number {shown:?} does not belong to these API keys; send the MSN of the sales unit the subscription key and access token belong to."
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::http::HeaderValue;

    use super::*;
    use crate::config::Simulator;

    #[test]
    fn sub_second_lifetimes_are_announced_rounded_up() {
        let config = Simulator::builder()
            .token_ttl(Duration::from_millis(1500))
            .build()
            .unwrap();
        let state = SimState::new(&config);
        let mut headers = HeaderMap::new();
        headers.insert("client_id", HeaderValue::from_static("demo-client-id"));
        headers.insert(
            "client_secret",
            HeaderValue::from_static("demo-client-secret"),
        );
        headers.insert(
            "ocp-apim-subscription-key",
            HeaderValue::from_static("demo-subscription-key"),
        );
        let reply = token(&state, &headers);
        let body: serde_json::Value =
            serde_json::from_slice(reply.body.as_deref().unwrap_or_default()).unwrap();
        assert_eq!(body["expires_in"], "2");
        // The token is a JWT whose exp - iat is the announced lifetime.
        use base64::Engine;
        let token = body["access_token"].as_str().unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
        assert_eq!(lifetime.to_string(), body["expires_in"].as_str().unwrap());
        assert!(authenticate_with(&state, token));
        state.revoke_tokens();
        assert!(
            !authenticate_with(&state, token),
            "revoked tokens stop working"
        );
    }

    fn authenticate_with(state: &SimState, token: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(
            "ocp-apim-subscription-key",
            HeaderValue::from_static("demo-subscription-key"),
        );
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        authenticate(state, &headers).is_ok()
    }
}
