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
    let expires = httpdate::fmt_http_date(info.expires_at);
    let token = show_secret.then(|| info.token.expose_secret().to_owned());
    ctx.emit(
        |style| {
            let mut out = format!(
                "{}\nMerchant-Serial-Number  {}\nBase URL                {}\nExpires                 {expires} (in {} min)\nLifetime                {} s\n",
                style.ok("Access token fetched"),
                info.merchant_serial_number,
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
