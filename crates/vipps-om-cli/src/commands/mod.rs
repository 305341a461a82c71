//! One module per subcommand. Each returns `Result<(), Failure>`; `main`
//! turns a failure into its message and exit code.

pub(crate) mod bulk;
pub(crate) mod category;
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
use crate::style::Style;

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

    /// The client configured from flags, environment and profile.
    pub(crate) fn client(&self) -> Result<Client, Failure> {
        self.client_builder()?.build().map_err(Failure::from)
    }

    /// The client builder, for commands that adjust it.
    pub(crate) fn client_builder(&self) -> Result<vipps_om::ClientBuilder, Failure> {
        profile::client_builder(&self.flags(), self.connection.profile.as_deref(), |var| {
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

    /// Prints a result: `human` as text, or `json` as one JSON document.
    pub(crate) fn emit(
        &self,
        human: impl FnOnce(&Style) -> String,
        json: impl FnOnce() -> serde_json::Value,
    ) {
        let text = if self.json {
            format!("{}\n", json())
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

/// Reads a file, or stdin for `-`.
pub(crate) fn read_input(path: &Path) -> Result<Vec<u8>, Failure> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))
}

/// Parses an order id argument.
pub(crate) fn order_id(value: &str) -> Result<vipps_om::OrderId, Failure> {
    vipps_om::OrderId::new(value).map_err(|e| Failure::usage(e.to_string()))
}
