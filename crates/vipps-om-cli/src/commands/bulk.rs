//! `vipps-om receipt add --bulk FILE.jsonl`: many receipts at once, with
//! bounded concurrency, a progress bar, a summary, and the failed lines
//! written to a file that can itself be given to `--bulk` to try again.
//!
//! Re-running is safe: a receipt that is already stored is counted as
//! "already there", never sent twice.
//!
//! The file is streamed: a reader thread reads one line at a time (at most
//! [`MAX_INPUT_BYTES`] per line; a longer line is skipped without being
//! read whole and reported as failed), at most `--concurrency` receipts are
//! in flight, and each failed line is written as soon as it fails (lines
//! that fail locally in input order, lines the API refused when the answer
//! comes) to the failed file ([`crate::failed_lines`]: it takes its place
//! when the run ends, so a failed file can be given to `--bulk` again and
//! is replaced by what still fails, with the original line numbers).
//! Memory stays bounded by the concurrency, whatever the size of the file.

use std::io::{BufRead, BufReader, Read as _};
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use vipps_om::{Client, Delivered, Error, OrderId, PaymentType, Receipt};

use super::{Context, MAX_INPUT_BYTES, MAX_INPUT_LABEL};
use crate::cli::ReceiptAddArgs;
use crate::failed_lines::{self, FailedLines};
use crate::failure::{ExitCode, Failure};

/// Failed lines listed in the summary on the terminal (all are in the
/// failed file).
const SHOWN_FAILURES: usize = 10;
/// What happened to one line.
enum Outcome {
    Sent,
    AlreadyThere,
    Failed(Failed),
}

/// Why a line was not stored (or, for `outbox enqueue --bulk`, not
/// queued).
pub(crate) struct Failed {
    pub(crate) reason: String,
    pub(crate) problems: Vec<(String, String)>,
    pub(crate) retryable: bool,
}

impl Failed {
    pub(crate) fn new(
        reason: impl Into<String>,
        problems: Vec<(String, String)>,
        retryable: bool,
    ) -> Self {
        Failed {
            reason: reason.into(),
            problems,
            retryable,
        }
    }
}

/// What the reader thread hands over.
enum Item {
    /// A non-blank line (without its line break).
    Line {
        number: usize,
        text: String,
        /// Bytes of the file read so far.
        offset: u64,
    },
    /// A line that cannot be used as it is: longer than the limit (not
    /// read whole) or not UTF-8.
    Unreadable {
        number: usize,
        reason: String,
        /// The start of the line, for the failed file.
        start: String,
        offset: u64,
    },
    /// Reading the file failed.
    Error { number: usize, message: String },
}

/// Totals of a run.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Summary {
    /// Lines read.
    pub(crate) total: usize,
    /// Receipts stored by this run.
    pub(crate) sent: usize,
    /// Receipts that were already stored.
    pub(crate) already_there: usize,
    /// Lines that failed.
    pub(crate) failed: usize,
    /// Failed lines that may succeed when run again.
    pub(crate) retryable: usize,
}

/// A failed line as the terminal shows it: its original number, the
/// reason and the field problems.
type Shown = (usize, String, Vec<(String, String)>);

/// The state of a run: totals, the failed file and the first failures
/// for the terminal.
struct Tally {
    summary: Summary,
    failed: FailedLines,
    shown: Vec<Shown>,
    progress: ProgressBar,
}

impl Tally {
    fn record(
        &mut self,
        number: usize,
        text: Option<&str>,
        outcome: Outcome,
    ) -> Result<(), Failure> {
        self.summary.total += 1;
        match outcome {
            Outcome::Sent => self.summary.sent += 1,
            Outcome::AlreadyThere => self.summary.already_there += 1,
            Outcome::Failed(failed) => {
                self.summary.failed += 1;
                self.summary.retryable += usize::from(failed.retryable);
                self.failed.write(
                    number,
                    text.unwrap_or_default(),
                    &failed.reason,
                    &failed.problems,
                    failed.retryable,
                )?;
                if self.shown.len() < SHOWN_FAILURES {
                    self.shown.push((number, failed.reason, failed.problems));
                }
            }
        }
        self.progress.set_message(format!(
            "{} receipts, {} failed",
            self.summary.total, self.summary.failed
        ));
        Ok(())
    }
}

/// Runs a bulk upload.
pub(crate) async fn run(ctx: &Context, args: &ReceiptAddArgs, input: &Path) -> Result<(), Failure> {
    let file = std::fs::File::open(input)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", input.display())))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let failed_path = args
        .failed_out
        .clone()
        .unwrap_or_else(|| failed_lines::default_path(input));
    // A failed file given again is replaced only when the run read it to
    // the end (see `FailedLines`).
    let rewrites_input = matches!(
        (input.canonicalize(), failed_path.canonicalize()),
        (Ok(a), Ok(b)) if a == b
    );
    let client = ctx.client()?;
    let validate = !args.no_validate;
    let concurrency = usize::from(args.concurrency);

    let progress = if ctx.json {
        ProgressBar::hidden()
    } else {
        // Drawn only when stderr is a terminal.
        ProgressBar::with_draw_target((size > 0).then_some(size), ProgressDrawTarget::stderr())
    };
    progress.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {bytes}/{total_bytes}  {msg}  {bytes_per_sec}  eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );

    let (sender, mut items) = mpsc::channel(concurrency);
    let reader = tokio::task::spawn_blocking(move || read_lines(file, &sender));

    let mut tally = Tally {
        summary: Summary::default(),
        failed: FailedLines::new(failed_path),
        shown: Vec::new(),
        progress: progress.clone(),
    };
    let mut tasks = JoinSet::new();
    let mut read_error = None;
    while let Some(item) = items.recv().await {
        match item {
            Item::Line {
                number,
                text,
                offset,
            } => {
                progress.set_position(offset);
                let input = failed_lines::read_line(number, &text);
                let number = input.line;
                match prepare(input.object, validate) {
                    Err(failed) => tally.record(number, Some(&text), Outcome::Failed(failed))?,
                    Ok((payment_type, order_id, receipt)) => {
                        while tasks.len() >= concurrency {
                            if let Some(joined) = tasks.join_next().await {
                                record_sent(&mut tally, joined)?;
                            }
                        }
                        let client = client.clone();
                        tasks.spawn(async move {
                            let outcome = send(&client, &payment_type, &order_id, &receipt).await;
                            (number, text, outcome)
                        });
                    }
                }
            }
            Item::Unreadable {
                number,
                reason,
                start,
                offset,
            } => {
                progress.set_position(offset);
                tally.record(
                    number,
                    Some(&start),
                    Outcome::Failed(Failed::new(reason, vec![], false)),
                )?;
            }
            Item::Error { number, message } => {
                read_error = Some(format!(
                    "cannot read {} line {number}: {message}",
                    input.display()
                ));
                break;
            }
        }
        while let Some(joined) = tasks.try_join_next() {
            record_sent(&mut tally, joined)?;
        }
    }
    drop(items);
    while let Some(joined) = tasks.join_next().await {
        record_sent(&mut tally, joined)?;
    }
    reader
        .await
        .map_err(|e| Failure::usage(format!("internal: the reader failed: {e}")))?;
    progress.finish_and_clear();
    let Tally {
        summary,
        failed,
        mut shown,
        ..
    } = tally;
    let failed_path = failed.path().to_path_buf();
    if let Some(message) = read_error {
        let kept = if rewrites_input {
            // The unread rest of the input is still in it: keep it whole.
            drop(failed);
            format!("{} is unchanged", failed_path.display())
        } else {
            failed.finish()?;
            format!("their failed lines are in {}", failed_path.display())
        };
        return Err(Failure::usage(format!(
            "{message}; the lines before it were handled ({} sent, {} already there, {} failed) and {kept}",
            summary.sent, summary.already_there, summary.failed
        )));
    }
    failed.finish()?;
    shown.sort_by_key(|(number, _, _)| *number);
    ctx.emit(
        |style| {
            let mut out = format!(
                "{} {} sent, {} already there, {} failed (of {})\n",
                if summary.failed == 0 { style.ok("✓") } else { style.fail("✗") },
                summary.sent,
                summary.already_there,
                summary.failed,
                summary.total
            );
            for (number, reason, problems) in &shown {
                out.push_str(&failed_lines::describe(style, *number, reason, problems));
            }
            if summary.failed > shown.len() {
                out.push_str(&format!("  … and {} more\n", summary.failed - shown.len()));
            }
            if summary.failed == 0 && rewrites_input {
                out.push_str(&format!(
                    "Nothing is left to fix: {} is removed\n",
                    failed_path.display()
                ));
            }
            if summary.failed > 0 {
                out.push_str(&format!(
                    "Failed lines with reasons: {}\nFix them and run again with --bulk {} (stored receipts are never sent twice)\n",
                    failed_path.display(),
                    failed_path.display()
                ));
            }
            out
        },
        || json!({"summary": summary, "failedFile": (summary.failed > 0).then(|| failed_path.display().to_string())}),
    );
    match (summary.failed, summary.retryable) {
        (0, _) => Ok(()),
        (_, r) => Err(Failure {
            code: if r > 0 {
                ExitCode::Unavailable
            } else {
                ExitCode::Refused
            },
            kind: "bulk",
            message: format!(
                "{} of {} receipts failed; see {}",
                summary.failed,
                summary.total,
                failed_path.display()
            ),
            problems: Vec::new(),
            status: None,
        }),
    }
}

fn record_sent(
    tally: &mut Tally,
    joined: Result<(usize, String, Outcome), tokio::task::JoinError>,
) -> Result<(), Failure> {
    let (number, text, outcome) =
        joined.map_err(|e| Failure::usage(format!("internal: a send task failed: {e}")))?;
    tally.record(number, Some(&text), outcome)
}

/// Reads `file` line by line into `items`, never holding more than one
/// line of at most [`MAX_INPUT_BYTES`]; stops when the receiver is gone.
fn read_lines(file: std::fs::File, items: &mpsc::Sender<Item>) {
    /// How much of an unusable line goes to the failed file.
    const START: usize = 200;
    let limit = u64::try_from(MAX_INPUT_BYTES).unwrap_or(u64::MAX);
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut number = 0usize;
    let mut offset = 0u64;
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        number += 1;
        let read = (&mut reader)
            .take(limit.saturating_add(1))
            .read_until(b'\n', &mut buffer);
        let item = match read {
            Ok(0) => return,
            Ok(n) => {
                offset = offset.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
                if buffer.last() == Some(&b'\n') {
                    buffer.pop();
                    if buffer.last() == Some(&b'\r') {
                        buffer.pop();
                    }
                }
                if buffer.len() > MAX_INPUT_BYTES {
                    // Skip the rest of the line without keeping it.
                    match reader.skip_until(b'\n') {
                        Ok(skipped) => {
                            offset =
                                offset.saturating_add(u64::try_from(skipped).unwrap_or(u64::MAX));
                            Item::Unreadable {
                                number,
                                reason: format!(
                                    "the line is longer than {MAX_INPUT_LABEL}, the most vipps-om sends in one request; a receipt is far smaller: split or fix the line"
                                ),
                                start: String::from_utf8_lossy(&buffer[..START]).into_owned(),
                                offset,
                            }
                        }
                        Err(e) => Item::Error {
                            number,
                            message: e.to_string(),
                        },
                    }
                } else if buffer.iter().all(u8::is_ascii_whitespace) {
                    continue;
                } else {
                    match std::str::from_utf8(&buffer) {
                        Ok(text) => Item::Line {
                            number,
                            text: text.to_owned(),
                            offset,
                        },
                        Err(e) => Item::Unreadable {
                            number,
                            reason: format!(
                                "the line is not UTF-8 text ({e}); save the file as UTF-8"
                            ),
                            start: String::from_utf8_lossy(&buffer[..buffer.len().min(START)])
                                .into_owned(),
                            offset,
                        },
                    }
                }
            }
            Err(e) => Item::Error {
                number,
                message: e.to_string(),
            },
        };
        let stop = matches!(item, Item::Error { .. });
        if items.blocking_send(item).is_err() || stop {
            return;
        }
    }
}

/// Checks one line's object: the receipt to send, or why the line failed
/// with each field's problem. The one reader of the `--bulk` line format,
/// for `receipt add --bulk` and `outbox enqueue --bulk`.
pub(crate) fn prepare(
    object: Result<Map<String, Value>, String>,
    validate: bool,
) -> Result<(PaymentType, OrderId, Receipt), Failed> {
    const EXPECTED: &str =
        r#"each line is {"orderId": "...", "paymentType": "ECOM", "receipt": {...}}"#;
    let mut line = object.map_err(|reason| Failed::new(reason, vec![], false))?;
    let mut problems = Vec::new();
    let order_id = match line.get("orderId") {
        Some(Value::String(id)) => OrderId::new(id)
            .map_err(|e| problems.push(("orderId".to_owned(), e.to_string())))
            .ok(),
        Some(_) => {
            problems.push(("orderId".into(), "must be a string".into()));
            None
        }
        None => {
            problems.push((
                "orderId".into(),
                "is missing: the payment's orderId or reference".into(),
            ));
            None
        }
    };
    let payment_type = match line.get("paymentType") {
        None | Some(Value::Null) => Some(PaymentType::Ecom),
        Some(Value::String(t)) => t
            .parse::<PaymentType>()
            .map_err(|e| problems.push(("paymentType".to_owned(), e.to_string())))
            .ok(),
        Some(_) => {
            problems.push((
                "paymentType".into(),
                "must be a string such as \"ECOM\" or \"RECURRING\"".into(),
            ));
            None
        }
    };
    let receipt = match line.remove("receipt") {
        Some(value @ Value::Object(_)) => {
            // The line is parsed once; the receipt is read from that
            // value, not from text again.
            let parsed = if validate {
                vipps_om::parse::receipt_from_value(&value).map(|(r, _warnings)| r)
            } else {
                <Receipt as serde::Deserialize>::deserialize(&value).or_else(|_| {
                    // Not even the shape is right: report it the validating way.
                    vipps_om::parse::receipt_from_value(&value).map(|(r, _)| r)
                })
            };
            parsed
                .map_err(|report| {
                    problems.extend(
                        report
                            .errors()
                            .map(|p| (join_path("receipt", &p.path), p.message.clone())),
                    )
                })
                .ok()
        }
        Some(_) => {
            problems.push((
                "receipt".into(),
                "must be an object: the order details".into(),
            ));
            None
        }
        None => {
            problems.push((
                "receipt".into(),
                "is missing: the order details to send".into(),
            ));
            None
        }
    };
    match (payment_type, order_id, receipt) {
        (Some(payment_type), Some(order_id), Some(receipt)) if problems.is_empty() => {
            Ok((payment_type, order_id, receipt))
        }
        _ => {
            let reason = if problems
                .iter()
                .all(|(path, _)| path.starts_with("receipt.") || path.starts_with("receipt["))
            {
                "the receipt is invalid".to_owned()
            } else {
                format!("not a bulk line: {EXPECTED}")
            };
            Err(Failed::new(reason, problems, false))
        }
    }
}

/// `receipt.PATH`, or `receipt` for a problem of the whole document.
fn join_path(prefix: &str, path: &str) -> String {
    if path.is_empty() {
        prefix.to_owned()
    } else if path.starts_with('[') {
        format!("{prefix}{path}")
    } else {
        format!("{prefix}.{path}")
    }
}

/// Sends one checked receipt.
async fn send(
    client: &Client,
    payment_type: &PaymentType,
    order_id: &OrderId,
    receipt: &Receipt,
) -> Outcome {
    // Already validated by `prepare` (when asked to); validating again in
    // the client would only repeat the work.
    let receipts = client.receipts().without_validation();
    match receipts.add(payment_type, order_id, receipt).await {
        Ok(Delivered::Created(_)) => Outcome::Sent,
        Ok(Delivered::AlreadyPresent) | Err(Error::ReceiptAlreadyExists { .. }) => {
            Outcome::AlreadyThere
        }
        Err(e) => Outcome::Failed(Failed::new(
            e.to_string(),
            e.field_problems(),
            e.is_retryable(),
        )),
    }
}
