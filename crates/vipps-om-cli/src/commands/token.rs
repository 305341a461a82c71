//! `vipps-om token`: fetch an access token and describe it.

use std::time::SystemTime;

use secrecy::ExposeSecret;
use serde_json::json;

use super::Context;
use crate::failure::Failure;

/// Fetches a token and shows its metadata (the token only with `show_secret`).
pub(crate) async fn run(ctx: &Context, show_secret: bool) -> Result<(), Failure> {
    let client = ctx.client()?;
    let info = client.token_info().await?;
    let remaining = info
        .expires_at
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    let expires = rfc3339(info.expires_at);
    let token = show_secret.then(|| info.token.expose_secret().to_owned());
    ctx.emit(
        |style| {
            let mut out = format!(
                "{}\nMerchant-Serial-Number  {}{}\nBase URL                {}\nExpires                 {expires} (in {} min)\nLifetime                {} s\n",
                style.ok("Access token fetched"),
                info.merchant_serial_number,
                if info.partner_keys { " (partner keys: the token serves every linked merchant)" } else { "" },
                client.base_url(),
                remaining.as_secs() / 60,
                info.lifetime.as_secs(),
            );
            match &token {
                Some(t) => out.push_str(&format!("Token                   {t}\n")),
                None => out.push_str("Token                   (hidden; add --show-secret to print it)\n"),
            }
            out
        },
        || {
            json!({
                "merchantSerialNumber": info.merchant_serial_number,
                "partnerKeys": info.partner_keys,
                "baseUrl": client.base_url(),
                "expiresAt": expires,
                "expiresInSeconds": remaining.as_secs(),
                "lifetimeSeconds": info.lifetime.as_secs(),
                "accessToken": token,
            })
        },
    );
    Ok(())
}

/// `at` in RFC 3339 (UTC, milliseconds), as every time in this tool's
/// JSON: `2026-12-02T05:14:51.000Z`.
pub(crate) fn rfc3339(at: SystemTime) -> String {
    let ms = match at.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis())
            .map(|ms| -ms)
            .unwrap_or(i64::MIN),
    };
    vipps_om_outbox::Timestamp::from_millis(ms).to_string()
}
