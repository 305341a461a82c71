//! `vipps-om outbox serve`: the drop-in gateway ([`vipps_om_gateway`]).
//! Code that already calls the Order Management API points its base URL
//! here; each write is answered once it is committed to the outbox, and
//! `vipps-om outbox run` (beside it) delivers it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use secrecy::SecretString;
use vipps_om_gateway::{Gateway, GatewayConfig};
use vipps_om_outbox::Outbox;

use crate::commands::Context;
use crate::failure::Failure;

/// `outbox serve` arguments.
#[derive(Debug, Args)]
pub(crate) struct OutboxServeArgs {
    /// Where to listen (loopback by default; another address needs --allow-remote).
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub(crate) listen: SocketAddr,
    /// Listen on a non-loopback address (put TLS in front: tokens and bodies travel in clear otherwise).
    #[arg(long)]
    pub(crate) allow_remote: bool,
    /// The client_id your integration sends to POST /accesstoken/get of the gateway.
    #[arg(long, value_name = "ID", env = "VIPPS_OM_GATEWAY_CLIENT_ID")]
    pub(crate) local_client_id: String,
    /// File holding the client_secret your integration sends (else VIPPS_OM_GATEWAY_CLIENT_SECRET).
    #[arg(long, value_name = "FILE")]
    pub(crate) local_client_secret_file: Option<PathBuf>,
    /// How long a token the gateway issues is valid.
    #[arg(long, default_value_t = 3600, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) token_ttl_secs: u64,
    /// Calls handled at once (more wait up to 5 s, then 503).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub(crate) max_in_flight: u16,
}

/// The environment variable holding the local client secret when no file
/// is given.
const SECRET_VAR: &str = "VIPPS_OM_GATEWAY_CLIENT_SECRET";

fn local_secret(args: &OutboxServeArgs) -> Result<SecretString, Failure> {
    let text = match &args.local_client_secret_file {
        Some(file) => {
            let bytes = super::webhook::read_bounded(file)?;
            String::from_utf8(bytes).map_err(|_| {
                Failure::usage(format!(
                    "{}: the local client secret is not UTF-8 text",
                    file.display()
                ))
            })?
        }
        None => std::env::var(SECRET_VAR).map_err(|_| {
            Failure::usage(format!(
                "give the local client secret: --local-client-secret-file FILE, or {SECRET_VAR}"
            ))
        })?,
    };
    Ok(SecretString::from(
        text.trim_end_matches(['\n', '\r']).to_owned(),
    ))
}

/// Serves until Ctrl-C/SIGTERM.
pub(super) async fn run(
    ctx: &Context,
    outbox: &Outbox,
    args: &OutboxServeArgs,
) -> Result<(), Failure> {
    if !args.listen.ip().is_loopback() && !args.allow_remote {
        return Err(Failure::usage(format!(
            "refusing to listen on {} without --allow-remote: the gateway issues bearer tokens and takes order data, so serve it to others only behind TLS; or listen on 127.0.0.1",
            args.listen
        )));
    }
    let client = ctx.client()?;
    let config = GatewayConfig::new(
        client.merchant_serial_number().clone(),
        args.local_client_id.clone(),
        local_secret(args)?,
    )
    .map_err(|e| Failure::usage(e.to_string()))?
    .token_ttl(Duration::from_secs(args.token_ttl_secs))
    .max_in_flight(usize::from(args.max_in_flight));
    let msn = config.merchant_serial_number.clone();
    let gateway = Gateway::new(outbox.clone(), Some(client), config);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::usage(format!("cannot read the listening address: {e}")))?;
    crate::commands::write_stdout(format!("http://{addr}\n").as_bytes());
    eprintln!(
        "Gateway for merchant {msn}: point your integration's base URL at http://{addr} (tokens from POST /accesstoken/get with the local client id and secret); run `vipps-om outbox run` beside it to deliver. Ctrl-C or SIGTERM stops."
    );
    gateway
        .serve(listener, super::run::stop_signal())
        .await
        .map_err(|e| Failure::usage(format!("the gateway stopped: {e}")))
}
