//! What `-v`, `-vv` and `-vvv` print on stderr.
//!
//! - no flag: warnings and errors only.
//! - `-v`: one line per API call, when it ends: its endpoint, order id,
//!   payment type, HTTP status, the attempt that answered and that
//!   attempt's latency, taken from the client library's `vipps_om.call`
//!   span (see `vipps_om::client`); and an `api event:` line with the
//!   same fields (as far as known) for each retry (`→ retrying in 109 ms:
//!   WHY`), token refresh or give-up during the call.
//! - `-vv`: this tool and its libraries at debug level, the HTTP stack
//!   (hyper, reqwest, rustls, h2, sqlx, tower) at warn.
//! - `-vvv`: everything, at trace level.
//!
//! `RUST_LOG`, when set, replaces the level filter (the `-v` call lines
//! stay as the flag says). Below `-vv`, the library's validation warnings
//! and its "giving up" are not logged for commands that print them
//! themselves, once (the warnings with the field they concern, the failure
//! as its error message); the services (`outbox`, `console`) log them. Secrets never reach these logs: the client keeps
//! them in types that do not print them, and the call lines show only the
//! fields listed above.

use std::fmt::Write as _;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{EnvFilter, FilterFn};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// The span the client library opens around each API call.
const CALL_SPAN: &str = "vipps_om.call";

/// Where the client library logs its retries and token refreshes.
const CLIENT_TARGET: &str = "vipps_om::client";

/// Libraries whose debug output is about HTTP plumbing, not this tool:
/// at warn for `-vv`.
const QUIET_AT_DEBUG: &[&str] = &[
    "hyper",
    "hyper_util",
    "reqwest",
    "rustls",
    "rustls_platform_verifier",
    "h2",
    "sqlx",
    "tower",
    "tower_http",
];

/// How a command reports on the API calls it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reporting {
    /// A command that makes its calls and ends: it prints the validation
    /// warnings of what it sends, and a call that failed for good is its
    /// error message.
    Command,
    /// A service (`outbox`, `console`): calls fail and are retried while
    /// it runs, with nobody to print them but the log.
    Service,
}

/// The level filter for a number of `-v`.
fn filter(verbosity: u8, reporting: Reporting) -> String {
    match verbosity {
        0 | 1 if reporting == Reporting::Service => "warn".to_owned(),
        // The library's validation warnings (`vipps_om::api`) and a call
        // that failed for good (`vipps_om::client`'s "giving up") are
        // what the command prints itself.
        0 | 1 => "warn,vipps_om::api=error,vipps_om::client=error".to_owned(),
        2 => {
            let mut filter = "debug".to_owned();
            for target in QUIET_AT_DEBUG {
                let _ = write!(filter, ",{target}=warn");
            }
            filter
        }
        _ => "trace".to_owned(),
    }
}

/// Installs the logger for a run (a second call does nothing).
pub(crate) fn init(verbosity: u8, reporting: Reporting) {
    let level = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(filter(verbosity, reporting)));
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_filter(level);
    // At -v the call lines also tell what happened during a call
    // (retries, a refreshed token); from -vv on the log has those.
    let events = verbosity == 1;
    let calls = (verbosity >= 1).then(|| {
        CallLines.with_filter(FilterFn::new(move |meta: &Metadata<'_>| {
            (meta.is_span() && meta.name() == CALL_SPAN)
                || (events
                    && meta.is_event()
                    && meta.target() == CLIENT_TARGET
                    && *meta.level() <= Level::INFO)
        }))
    });
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(calls)
        .try_init();
}

/// The fields of one API call, as the span records them.
#[derive(Debug, Default)]
struct Call {
    endpoint: String,
    payment_type: String,
    order_id: String,
    status: Option<u64>,
    attempt: Option<u64>,
    latency_ms: Option<u64>,
}

impl Visit for Call {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "endpoint" => self.endpoint = value.to_owned(),
            "payment_type" => self.payment_type = value.to_owned(),
            "order_id" => self.order_id = value.to_owned(),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "status" => self.status = Some(value),
            "attempt" => self.attempt = Some(value),
            "latency_ms" => self.latency_ms = Some(value),
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(value) = u64::try_from(value) {
            self.record_u64(field, value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // Only the text fields above are read; numbers come as u64.
        if matches!(field.name(), "endpoint" | "payment_type" | "order_id") {
            let text = format!("{value:?}");
            self.record_str(field, text.trim_matches('"'));
        }
    }
}

/// An event of the client library during a call: what it says.
#[derive(Debug, Default)]
struct Happened {
    message: String,
    error: Option<String>,
    wait_ms: Option<u64>,
}

impl Visit for Happened {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "wait_ms" {
            self.wait_ms = Some(value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_text(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_text(field, format!("{value:?}"));
    }
}

impl Happened {
    fn record_text(&mut self, field: &Field, text: String) {
        match field.name() {
            "message" => self.message = text,
            "error" => self.error = Some(text),
            _ => {}
        }
    }

    /// `retrying in 109 ms: WHY`; `giving up` (the command says why).
    fn text(&self) -> String {
        let clean = crate::style::clean;
        match (self.message.as_str(), self.wait_ms, &self.error) {
            ("retrying", Some(ms), Some(error)) => {
                format!("retrying in {ms} ms: {}", clean(error))
            }
            (message, _, _) => clean(message),
        }
    }
}

impl Call {
    /// `api call: POST /v2/... order_id=.. payment_type=.. status=201
    /// attempt=1 latency_ms=12`; text from the call passes
    /// [`crate::style::clean`] (an order id holds no control characters,
    /// but the line must never move the cursor).
    fn line(&self) -> String {
        format!("api call: {}", self.fields())
    }

    /// The fields known so far, without the prefix.
    fn fields(&self) -> String {
        let clean = crate::style::clean;
        let mut line = clean(&self.endpoint);
        if !self.order_id.is_empty() {
            let _ = write!(line, " order_id={}", clean(&self.order_id));
        }
        if !self.payment_type.is_empty() {
            let _ = write!(line, " payment_type={}", clean(&self.payment_type));
        }
        match self.status {
            Some(status) => {
                let _ = write!(line, " status={status}");
            }
            None => line.push_str(" status=none (no answer)"),
        }
        if let Some(attempt) = self.attempt {
            let _ = write!(line, " attempt={attempt}");
        }
        if let Some(ms) = self.latency_ms {
            let _ = write!(line, " latency_ms={ms}");
        }
        line
    }
}

/// Prints one line per `vipps_om.call` span when it closes.
struct CallLines;

impl<S> Layer<S> for CallLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut call = Call::default();
        attrs.record(&mut call);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(call);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(call) = span.extensions_mut().get_mut::<Call>()
        {
            values.record(call);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.event_span(event) else {
            return;
        };
        let Some(call) = span.extensions().get::<Call>().map(Call::fields) else {
            return;
        };
        let mut what = Happened::default();
        event.record(&mut what);
        eprintln!("api event: {call} → {}", what.text());
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id)
            && let Some(call) = span.extensions().get::<Call>()
        {
            eprintln!("{}", call.line());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_level_keeps_the_http_stack_at_warn() {
        let filter = filter(2, Reporting::Command);
        for target in ["hyper", "reqwest", "rustls", "h2", "sqlx"] {
            assert!(filter.contains(&format!(",{target}=warn")), "{filter}");
        }
        assert!(filter.starts_with("debug"));
        assert_eq!(super::filter(3, Reporting::Command), "trace");
        // A service keeps the library's warnings: nobody else prints them.
        assert_eq!(super::filter(0, Reporting::Service), "warn");
        assert!(super::filter(0, Reporting::Command).contains("vipps_om::client=error"));
    }

    #[test]
    fn a_retry_says_how_long_it_waits_and_why() {
        let retry = Happened {
            message: "retrying".into(),
            error: Some("Vipps MobilePay answered 503".into()),
            wait_ms: Some(109),
        };
        assert_eq!(
            retry.text(),
            "retrying in 109 ms: Vipps MobilePay answered 503"
        );
        let giving_up = Happened {
            message: "giving up".into(),
            error: Some("the error, said once by the command".into()),
            wait_ms: None,
        };
        assert_eq!(giving_up.text(), "giving up");
    }

    #[test]
    fn a_call_line_names_every_field_and_leaves_out_empty_ones() {
        let call = Call {
            endpoint: "POST /accesstoken/get".into(),
            status: Some(200),
            attempt: Some(1),
            latency_ms: Some(7),
            ..Call::default()
        };
        assert_eq!(
            call.line(),
            "api call: POST /accesstoken/get status=200 attempt=1 latency_ms=7"
        );
    }
}
