//! One module per subcommand. Each returns `Result<(), Failure>`; `main`
//! turns a failure into its message and exit code.

pub(crate) mod bulk;
pub(crate) mod category;
pub(crate) mod check;
pub(crate) mod checklist;
pub(crate) mod console;
pub(crate) mod demo;
pub(crate) mod doctor;
pub(crate) mod image;
pub(crate) mod order;
pub(crate) mod outbox;
pub(crate) mod receipt;
pub(crate) mod sim;
pub(crate) mod token;

use std::io::{Read, Write};
use std::path::Path;

use vipps_om::Client;

use crate::cli::Connection;
use crate::failure::Failure;
use crate::profile::{self, Flags};
use crate::style::{Style, terminal_safe_json};

/// What every command needs: how to print, and how to connect.
pub(crate) struct Context {
    /// Print JSON instead of text.
    pub(crate) json: bool,
    /// Decoration of stdout.
    pub(crate) style: Style,
    connection: Connection,
}

impl Context {
    /// A context for one run.
    pub(crate) fn new(json: bool, connection: Connection) -> Self {
        let style = if json {
            Style::plain()
        } else {
            Style::stdout()
        };
        Context {
            json,
            style,
            connection,
        }
    }

    /// The client configured from flags, environment and profile: a
    /// sales unit's own keys, partner keys or a keyring (the last two need
    /// `--msn`).
    pub(crate) fn client(&self) -> Result<Client, Failure> {
        self.setup()?.client()
    }

    /// Whose keys the settings describe, for commands that look closer.
    pub(crate) fn setup(&self) -> Result<profile::Setup, Failure> {
        profile::setup(
            &self.flags(),
            self.connection.keyring.as_deref(),
            self.connection.profile.as_deref(),
            |var| std::env::var(var).ok(),
        )
    }

    /// The sample category link `doctor` checks, if one is configured.
    pub(crate) fn sample_category_url(&self) -> Result<Option<String>, Failure> {
        profile::sample_category_url(self.connection.profile.as_deref(), |var| {
            std::env::var(var).ok()
        })
    }

    fn flags(&self) -> Flags {
        use vipps_om::client::env_vars::*;
        let c = &self.connection;
        [
            (BASE_URL, &c.base_url),
            (CLIENT_ID, &c.client_id),
            (CLIENT_SECRET, &c.client_secret),
            (SUBSCRIPTION_KEY, &c.subscription_key),
            (MERCHANT_SERIAL_NUMBER, &c.merchant_serial_number),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
        .collect()
    }

    /// Prints a result: `human` as text, or `json` as one JSON document
    /// (with DEL, C1 and bidi characters escaped, see
    /// [`terminal_safe_json`]). `human` must pass text from the API through
    /// [`crate::style::clean`].
    pub(crate) fn emit(
        &self,
        human: impl FnOnce(&Style) -> String,
        json: impl FnOnce() -> serde_json::Value,
    ) {
        let text = if self.json {
            format!("{}\n", terminal_safe_json(&json().to_string()))
        } else {
            human(&self.style)
        };
        write_stdout(text.as_bytes());
    }
}

/// Writes a command's output. A reader that stopped early (`| head`) is
/// not a failure: the rest is dropped quietly instead of panicking.
pub(crate) fn write_stdout(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            std::process::exit(crate::failure::ExitCode::Usage as i32);
        }
    }
}

/// The largest single document (`--file`, stdin, one `--bulk` line) this
/// tool reads and sends in one request: 8 MiB.
///
/// The public documentation names no body limit for Order Management (see
/// the research notes, om-api-notes.md §12, open question 9: maximum
/// lengths are unknown); the largest documented payload is an image of
/// 2 MB, about 2.7 MiB in base64 (§4.1). 8 MiB is the simulator's cap
/// (`vipps_om_sim::BODY_LIMIT`, answered with 413), the same as the support
/// console's, and far beyond any receipt: a bigger input is refused before
/// it is read whole or sent, so `--file /dev/zero` stops at once.
pub(crate) const MAX_INPUT_BYTES: usize = 8 * 1024 * 1024;

/// [`MAX_INPUT_BYTES`] as people read it.
pub(crate) const MAX_INPUT_LABEL: &str = "8 MiB";

/// Reads a file, or stdin for `-`, of at most [`MAX_INPUT_BYTES`].
pub(crate) fn read_input(path: &Path) -> Result<Vec<u8>, Failure> {
    read_limited(
        path,
        MAX_INPUT_BYTES,
        &format!(
            "{MAX_INPUT_LABEL}, the most vipps-om sends in one request (a receipt is far smaller): check that this is the right file; for many receipts use --bulk FILE.jsonl"
        ),
    )
}

/// Reads a file, or stdin for `-`, of at most `limit` bytes; a larger one
/// is refused (exit 2) with "NAME is larger than {why}". Only `limit + 1`
/// bytes are ever read, whatever the input is (`/dev/zero`, a pipe).
pub(crate) fn read_limited(path: &Path, limit: usize, why: &str) -> Result<Vec<u8>, Failure> {
    let name = if path == Path::new("-") {
        "stdin".to_owned()
    } else {
        path.display().to_string()
    };
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut buf = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin().lock().take(cap).read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|file| file.take(cap).read_to_end(&mut buf))
    };
    read.map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
    if buf.len() > limit {
        return Err(Failure {
            kind: "too_large",
            ..Failure::usage(format!("{name} is larger than {why}"))
        });
    }
    Ok(buf)
}

/// Parses an order id argument.
pub(crate) fn order_id(value: &str) -> Result<vipps_om::OrderId, Failure> {
    vipps_om::OrderId::new(value).map_err(|e| Failure::usage(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_limit_is_the_simulators_body_limit_and_its_label() {
        assert_eq!(MAX_INPUT_BYTES, vipps_om_sim::BODY_LIMIT);
        assert_eq!(MAX_INPUT_LABEL, format!("{} MiB", MAX_INPUT_BYTES >> 20));
    }
}
