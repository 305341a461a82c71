//! `vipps-om sim`: runs the Order Management simulator
//! ([`vipps_om_sim`]) on a socket until Ctrl-C or SIGTERM.
//!
//! Standard output is for programs that start the simulator: the first
//! line is the base URL (`http://127.0.0.1:43123`), then the demo
//! merchant's credentials and the MSNs of the other merchants (never their
//! secrets), and last an `export VIPPS_...` block to paste into another
//! shell, which points `vipps-om` at this simulator as the demo merchant. Logs, one structured line per request, go to standard error
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
    #[arg(long, default_value = DEFAULT_LISTEN)]
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

    /// Rehearse, in every merchant's traffic, the failures an integration
    /// must survive: a 500 on a receipt, a 429 with Retry-After: 2, a
    /// revoked token, a 400 with invalidParams and a slow answer, each
    /// once at an unpredictable moment. Then run `vipps-om checklist`.
    #[arg(long)]
    rehearse: bool,

    /// Seed of the rehearsal's order and moments (the banner prints the
    /// one used), to repeat a rehearsal.
    #[arg(long, value_name = "N", requires = "rehearse")]
    rehearse_seed: Option<u64>,

    /// How long the rehearsal holds its slow answer, in seconds.
    #[arg(long, value_name = "SECONDS", requires = "rehearse",
          default_value_t = vipps_om_sim::checklist::rehearsal::DEFAULT_SLOW.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=vipps_om_sim::checklist::rehearsal::MAX_SLOW.as_secs()))]
    rehearse_slow_secs: u64,
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
    // Held until the simulator has stopped: dropping it writes out the
    // log lines still queued.
    let _log_writer = init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let rehearsal = args.rehearse.then_some(Rehearse {
        seed: args.rehearse_seed,
        slow_secs: args.rehearse_slow_secs,
    });
    runtime.block_on(serve(config, rehearsal))
}

/// `--rehearse` and its options.
struct Rehearse {
    seed: Option<u64>,
    slow_secs: u64,
}

async fn serve(config: Simulator, rehearsal: Option<Rehearse>) -> anyhow::Result<()> {
    let sim = vipps_om_sim::spawn(config).await.map_err(|e| match e {
        // Said once, with the address and what to do (the error's own
        // text would repeat its cause).
        vipps_om_sim::SpawnError::Bind { addr, source }
            if source.kind() == std::io::ErrorKind::AddrInUse =>
        {
            anyhow::anyhow!(
                "cannot listen on {addr}: another program (perhaps another `vipps-om sim`) is using that address; stop it, or choose another port with --listen (--listen 127.0.0.1:0 picks a free one)"
            )
        }
        other => anyhow::Error::new(other),
    })?;
    // Listening for the stop signals before the banner: a program that
    // reads the banner and stops the simulator at once gets a clean stop.
    let stop = StopSignals::listen()?;
    let mut seeds = Vec::new();
    if let Some(rehearse) = &rehearsal {
        for merchant in sim.merchants() {
            let msn = merchant.merchant_serial_number().to_string();
            let spec = vipps_om_sim::checklist::RehearsalSpec {
                seed: rehearse.seed,
                slow_ms: Some(rehearse.slow_secs.saturating_mul(1000)),
                ..vipps_om_sim::checklist::RehearsalSpec::all(msn.clone())
            };
            let seed = sim
                .state()
                .start_rehearsal(&spec)
                .map_err(|e| anyhow::anyhow!("cannot start the rehearsal: {e}"))?;
            seeds.push((msn, seed));
        }
    }
    print_banner(&sim, &seeds).context("cannot write to standard output")?;
    tracing::info!(base_url = sim.base_url(), "simulator listening");
    stop.wait().await?;
    tracing::info!("shutting down");
    sim.shutdown()
        .await
        .context("the server failed while stopping")?;
    Ok(())
}

/// The most merchants (and partners) the start-up banner lists; the rest
/// are counted ("... and N more").
const BANNER_LINES: usize = 20;

fn print_banner(sim: &vipps_om_sim::RunningSim, seeds: &[(String, u64)]) -> std::io::Result<()> {
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
    let others: Vec<_> = sim.merchants()[1..]
        .iter()
        .filter(|m| m.has_own_keys())
        .collect();
    if !others.is_empty() {
        writeln!(
            out,
            "Merchants from the merchants file (secrets not shown):"
        )?;
        for merchant in others.iter().take(BANNER_LINES) {
            writeln!(
                out,
                "  Merchant-Serial-Number {}, client_id {}",
                merchant.merchant_serial_number(),
                merchant.client_id()
            )?;
        }
        if others.len() > BANNER_LINES {
            writeln!(out, "  ... and {} more", others.len() - BANNER_LINES)?;
        }
    }
    let partners = sim.partners();
    if !partners.is_empty() {
        writeln!(
            out,
            "Partners (secrets not shown; every call names its merchant with --msn):"
        )?;
        for partner in partners.iter().take(BANNER_LINES) {
            writeln!(
                out,
                "  {}: client_id {}, {} linked merchants",
                partner.name(),
                partner.client_id(),
                partner.merchants().len()
            )?;
        }
        if partners.len() > BANNER_LINES {
            writeln!(out, "  ... and {} more", partners.len() - BANNER_LINES)?;
        }
    }
    writeln!(
        out,
        "Control API: {}/_sim/ (reset, faults, requests, counters, orders, images)",
        sim.base_url()
    )?;
    if !seeds.is_empty() {
        print_rehearsal(&mut out, sim, seeds)?;
    }
    writeln!(
        out,
        "To use it from another terminal as the demo merchant, paste:"
    )?;
    write!(
        out,
        "{}",
        export_block(
            sim.base_url(),
            demo.client_id(),
            demo.client_secret(),
            demo.subscription_key(),
            &demo.merchant_serial_number().to_string(),
        )
    )?;
    out.flush()
}

fn print_rehearsal(
    out: &mut impl Write,
    sim: &vipps_om_sim::RunningSim,
    seeds: &[(String, u64)],
) -> std::io::Result<()> {
    writeln!(
        out,
        "Rehearsal: each merchant's traffic gets, once each at an unpredictable moment, a 500 on a receipt, a 429 (Retry-After: 2), a revoked token, a 400 with invalidParams and a slow answer."
    )?;
    for (msn, seed) in seeds {
        writeln!(
            out,
            "  merchant {msn}: seed {seed} (--rehearse-seed {seed} repeats it)"
        )?;
    }
    writeln!(
        out,
        "Then: vipps-om checklist --base-url {} (or open {}/_sim/checklist.html)",
        sim.base_url(),
        sim.base_url()
    )
}

/// The simulator's default address, as `vipps-om sim` listens without
/// `--listen`.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// An `export` command that sets the variables `vipps-om` reads to these
/// credentials, in lines of a shell script (each value quoted for the
/// shell when it needs it).
pub(crate) fn export_block(
    base_url: &str,
    client_id: &str,
    client_secret: &str,
    subscription_key: &str,
    msn: &str,
) -> String {
    use vipps_om::client::env_vars;
    let pairs = [
        (env_vars::BASE_URL, base_url),
        (env_vars::CLIENT_ID, client_id),
        (env_vars::CLIENT_SECRET, client_secret),
        (env_vars::SUBSCRIPTION_KEY, subscription_key),
        (env_vars::MERCHANT_SERIAL_NUMBER, msn),
    ];
    let assignments: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", shell_quote(value)))
        .collect();
    format!(
        "  export {} \\\n         {} \\\n         {}\n",
        assignments[..2].join(" "),
        assignments[2..4].join(" "),
        assignments[4..].join(" ")
    )
}

/// `value` as one shell word: as it is when it holds only characters the
/// shell leaves alone, else in single quotes.
fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@%+=,".contains(c));
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

/// Logs to standard error in batches ([`batched_log`]): a request
/// appends its formatted line to a buffer, a thread writes the buffer out
/// every [`batched_log::FLUSH_EVERY`]. The returned guard writes out what
/// is left when dropped.
fn init_logging() -> batched_log::Guard {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, guard) = batched_log::stderr();
    // A second initialisation (never expected in the binary) is harmless.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer)
        .try_init();
    guard
}

/// Standard error for the simulator's log lines, written in batches.
///
/// Writing each request's line to standard error was the largest part of
/// a simple request's own cost (a system call per request, about 13 % of
/// a GET's CPU). A thread per line woken through a channel
/// (`tracing-appender`'s non-blocking writer) measured no cheaper: each
/// line then costs a wake-up and a write. Here a line is a copy into a
/// buffer under a lock, and one write every [`FLUSH_EVERY`] carries all
/// the lines since. Nothing is dropped: past [`MAX_BUFFERED`] bytes the
/// request that fills the buffer writes it out itself, as every request
/// did before.
mod batched_log {
    use std::io::Write;
    use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
    use std::thread::JoinHandle;
    use std::time::Duration;

    /// How often the buffered lines are written out: late enough to
    /// gather many lines under load, soon enough that a person watching
    /// the terminal sees each request at once.
    pub(super) const FLUSH_EVERY: Duration = Duration::from_millis(50);

    /// Most bytes of log lines held (about 5,000 lines). The request whose
    /// line would go beyond it writes the buffer and its line out itself.
    pub(super) const MAX_BUFFERED: usize = 1024 * 1024;

    struct Shared {
        /// Lines not yet written, and whether the writer thread should
        /// stop (after a last write).
        pending: Mutex<(Vec<u8>, bool)>,
        /// Wakes the writer thread early to stop.
        stop: Condvar,
        /// Held while writing to standard error, taken while `pending` is
        /// held: lines go out in the order they were logged.
        output: Mutex<()>,
    }

    fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
        // A panic while holding the lock leaves bytes, never a broken
        // invariant: go on with them.
        mutex.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes `bytes` to standard error (errors ignored: there is nowhere
    /// else to report them, and tracing's own writer ignores them too).
    fn write_out(bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(bytes);
        let _ = stderr.flush();
    }

    impl Shared {
        /// Takes what is pending and writes it out (in order).
        fn flush(&self) -> bool {
            let mut pending = lock(&self.pending);
            let batch = std::mem::take(&mut pending.0);
            let stopping = pending.1;
            let _output = lock(&self.output);
            drop(pending);
            write_out(&batch);
            stopping
        }
    }

    /// The [`tracing_subscriber::fmt::MakeWriter`] of the log lines.
    #[derive(Clone)]
    pub(super) struct Batched {
        shared: Arc<Shared>,
    }

    /// Stops the writer thread after a last write when dropped.
    pub(super) struct Guard {
        shared: Arc<Shared>,
        thread: Option<JoinHandle<()>>,
    }

    /// The writer and its guard; without a thread (it could not be
    /// started) every line is written at once, as before.
    pub(super) fn stderr() -> (Batched, Guard) {
        let shared = Arc::new(Shared {
            pending: Mutex::new((Vec::new(), false)),
            stop: Condvar::new(),
            output: Mutex::new(()),
        });
        let worker = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("vipps-om-sim-log".to_owned())
            .spawn(move || {
                loop {
                    {
                        let pending = lock(&worker.pending);
                        if !pending.1 {
                            let _ = worker
                                .stop
                                .wait_timeout(pending, FLUSH_EVERY)
                                .unwrap_or_else(PoisonError::into_inner);
                        }
                    }
                    if worker.flush() {
                        break;
                    }
                }
            })
            .ok();
        if thread.is_none() {
            // No thread to write batches: write each line at once.
            lock(&shared.pending).1 = true;
        }
        (
            Batched {
                shared: Arc::clone(&shared),
            },
            Guard { shared, thread },
        )
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            lock(&self.shared.pending).1 = true;
            self.shared.stop.notify_all();
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
            // Anything logged after the thread's last write.
            self.shared.flush();
        }
    }

    /// One log line's writer.
    pub(super) struct LineWriter<'a> {
        shared: &'a Shared,
    }

    impl Write for LineWriter<'_> {
        fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
            let mut pending = lock(&self.shared.pending);
            let (buffer, stopping) = &mut *pending;
            if *stopping || buffer.len().saturating_add(line.len()) > MAX_BUFFERED {
                let batch = std::mem::take(buffer);
                let _output = lock(&self.shared.output);
                drop(pending);
                write_out(&batch);
                write_out(line);
            } else {
                buffer.extend_from_slice(line);
            }
            Ok(line.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Batched {
        type Writer = LineWriter<'a>;

        fn make_writer(&'a self) -> LineWriter<'a> {
            LineWriter {
                shared: &self.shared,
            }
        }
    }
}

/// Ctrl-C, and SIGTERM on Unix, listened for from the moment they are
/// created.
struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    fn listen() -> anyhow::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignals {
                interrupt: signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?,
                terminate: signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(StopSignals {})
    }

    /// Waits for the first of them.
    async fn wait(self) -> anyhow::Result<()> {
        #[cfg(unix)]
        {
            let StopSignals {
                mut interrupt,
                mut terminate,
            } = self;
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c()
            .await
            .context("cannot listen for Ctrl-C")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_that_need_it_are_quoted_for_the_shell() {
        assert_eq!(shell_quote("demo-client-id"), "demo-client-id");
        assert_eq!(
            shell_quote("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote("$(rm -rf ~)"), "'$(rm -rf ~)'");
        assert_eq!(shell_quote(""), "''");
    }
}
