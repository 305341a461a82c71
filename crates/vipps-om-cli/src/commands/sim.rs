//! `vipps-om sim`: runs the Order Management simulator
//! ([`vipps_om_sim`]) on a socket until Ctrl-C or SIGTERM.
//!
//! Standard output is for programs that start the simulator: the first
//! line is the base URL (`http://127.0.0.1:43123`), then the demo
//! merchant's credentials and the MSNs of the other merchants (never their
//! secrets). Logs, one structured line per request, go to standard error
//! (filter with `RUST_LOG`, default `info`).

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use vipps_om_sim::Simulator;

/// Options of `vipps-om sim`.
#[derive(Debug, clap::Args)]
pub(crate) struct SimArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    /// TOML file with more merchants (`[[merchant]]` tables with
    /// merchant_serial_number, client_id, client_secret, subscription_key).
    #[arg(long, value_name = "FILE")]
    merchants: Option<PathBuf>,

    /// Lifetime of access tokens in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    token_ttl: u64,

    /// Most memory, in MiB, for stored orders, categories and images (by
    /// the simulator's accounting); writes beyond it get 507 until a reset.
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_STORE_MIB,
          value_parser = clap::value_parser!(u64).range(1..=MAX_MIB))]
    store_mib: u64,

    /// Most memory, in MiB, for the request log (`/_sim/requests`); the
    /// oldest requests are dropped first.
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_REQUEST_LOG_MIB,
          value_parser = clap::value_parser!(u64).range(1..=MAX_MIB))]
    request_log_mib: u64,

    /// Also refuse what the client library refuses and what the docs leave
    /// ambiguous (line arithmetic, tax matching the rate, http links, ...),
    /// each with its own problem type URN. Without it the simulator refuses
    /// what production is documented to refuse and logs the rest as
    /// warnings in /_sim/requests.
    #[arg(long)]
    strict: bool,
}

/// `--store-mib` default: the simulator's default store budget.
const DEFAULT_STORE_MIB: u64 = (vipps_om_sim::config::DEFAULT_STORE_BYTES / MIB) as u64;
/// `--request-log-mib` default: the simulator's default log budget.
const DEFAULT_REQUEST_LOG_MIB: u64 = (vipps_om_sim::config::DEFAULT_REQUEST_LOG_BYTES / MIB) as u64;
/// Largest `--store-mib` and `--request-log-mib`: 1 TiB, far beyond any
/// machine's memory, and small enough that the bytes fit a `usize`.
const MAX_MIB: u64 = 1024 * 1024;
const MIB: usize = 1024 * 1024;

/// `mib` MiB in bytes (saturating; clap keeps it within [`MAX_MIB`]).
fn mib_to_bytes(mib: u64) -> usize {
    usize::try_from(mib)
        .unwrap_or(usize::MAX)
        .saturating_mul(MIB)
}

/// Runs the simulator until Ctrl-C or SIGTERM.
pub(crate) fn run(args: SimArgs) -> anyhow::Result<()> {
    let mut builder = Simulator::builder()
        .listen(args.listen)
        .token_ttl(Duration::from_secs(args.token_ttl))
        .store_bytes(mib_to_bytes(args.store_mib))
        .request_log_bytes(mib_to_bytes(args.request_log_mib))
        .strict(args.strict);
    if let Some(path) = &args.merchants {
        builder = builder.merchants_file(path);
    }
    let config = builder
        .build()
        .context("the simulator configuration is invalid")?;
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(config))
}

async fn serve(config: Simulator) -> anyhow::Result<()> {
    let sim = vipps_om_sim::spawn(config).await?;
    print_banner(&sim).context("cannot write to standard output")?;
    tracing::info!(base_url = sim.base_url(), "simulator listening");
    wait_for_stop_signal().await?;
    tracing::info!("shutting down");
    sim.shutdown()
        .await
        .context("the server failed while stopping")?;
    Ok(())
}

fn print_banner(sim: &vipps_om_sim::RunningSim) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", sim.base_url())?;
    let demo = sim.demo_merchant();
    writeln!(
        out,
        "Demo merchant (public test credentials, only valid here):"
    )?;
    writeln!(
        out,
        "  Merchant-Serial-Number:    {}",
        demo.merchant_serial_number()
    )?;
    writeln!(out, "  client_id:                 {}", demo.client_id())?;
    writeln!(out, "  client_secret:             {}", demo.client_secret())?;
    writeln!(
        out,
        "  Ocp-Apim-Subscription-Key: {}",
        demo.subscription_key()
    )?;
    let others = &sim.merchants()[1..];
    if !others.is_empty() {
        writeln!(
            out,
            "Merchants from the merchants file (secrets not shown):"
        )?;
        for merchant in others {
            writeln!(
                out,
                "  Merchant-Serial-Number {}, client_id {}",
                merchant.merchant_serial_number(),
                merchant.client_id()
            )?;
        }
    }
    writeln!(
        out,
        "Control API: {}/_sim/ (reset, faults, requests, counters, orders, images)",
        sim.base_url()
    )?;
    out.flush()
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second initialisation (never expected in the binary) is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// Waits for Ctrl-C, or SIGTERM on Unix.
async fn wait_for_stop_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot listen for SIGTERM")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("cannot listen for Ctrl-C")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("cannot listen for Ctrl-C")?;
    Ok(())
}
