//! The failed-lines file of a `--bulk` run (`receipt add --bulk`, and
//! meant for `outbox enqueue --bulk` too): every line that failed, with
//! why, in a file that is itself valid `--bulk` input once fixed.
//!
//! # Format
//!
//! One JSON object per line: the input line's object with an added
//! `"error"`: `{"line": N, "reason": "...", "retryable": bool, "problems":
//! [{"path": "...", "message": "..."}]}`, where `line` is the line's number
//! in the *original* file (kept through any number of re-runs). A line
//! that is not a JSON object (or could not be read at all) is kept as its
//! text: `{"unparsedLine": "TEXT", "error": {...}}`.
//!
//! # API
//!
//! - [`default_path`]`(input)`: `NAME.failed.jsonl` beside `NAME.jsonl`;
//!   for an input that is itself a failed file, its own name (never
//!   `NAME.failed.failed.jsonl`).
//! - [`read_line`]`(number, text)`: one input line as a JSON object and
//!   the line number to report (the original one for a line of a failed
//!   file); its old `"error"` is dropped. An `unparsedLine` record is read
//!   from its text, so a fix made there works; when that text is still not
//!   JSON, the reason says so and what to do.
//! - [`FailedLines`]: [`FailedLines::new`]`(path)`, then
//!   [`FailedLines::write`] for each line as it fails (any order), then
//!   [`FailedLines::finish`]: the file is written beside `path` under a
//!   temporary name and renamed over it at the end, so the input may be
//!   the failed file itself; with nothing failed, a stale `path` is
//!   removed. Dropped without `finish` (a run that stopped early), the
//!   file at `path` stays as it was.
//! - [`describe`]: the terminal lines for one failed line (its reason, then
//!   each field problem), the same for every `--bulk` command.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::failure::Failure;
use crate::style::{Style, clean};

/// The suffix of a failed-lines file.
const SUFFIX: &str = ".failed.jsonl";

/// The key that holds a line that was not a JSON object.
pub(crate) const UNPARSED: &str = "unparsedLine";

/// Field problems shown per failed line on the terminal (all are in the
/// file).
pub(crate) const SHOWN_PROBLEMS: usize = 5;

/// Where the failed lines of a run over `input` go.
pub(crate) fn default_path(input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.ends_with(SUFFIX) {
        return input.to_path_buf();
    }
    let stem = input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "bulk".into());
    input.with_file_name(format!("{stem}{SUFFIX}"))
}

/// One input line, read: the number to report and the object, or why the
/// line is not one.
#[derive(Debug)]
pub(crate) struct InputLine {
    /// The line's number in the original file.
    pub(crate) line: usize,
    /// The object, without a previous run's `"error"`; or the reason.
    pub(crate) object: Result<Map<String, Value>, String>,
}

/// Reads line `number` of an input file (see the module documentation).
pub(crate) fn read_line(number: usize, text: &str) -> InputLine {
    let mut object = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => object,
        Ok(other) => {
            return InputLine {
                line: number,
                object: Err(format!(
                    "the line is JSON but not an object (it is {}); each line must be one {{...}} object",
                    kind_of(&other)
                )),
            };
        }
        Err(e) => {
            return InputLine {
                line: number,
                object: Err(format!("the line is not JSON ({e})")),
            };
        }
    };
    let line = object
        .remove("error")
        .as_ref()
        .and_then(|e| e.get("line"))
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| *n > 0)
        .unwrap_or(number);
    let Some(Value::String(unparsed)) = object.get(UNPARSED) else {
        return InputLine {
            line,
            object: Ok(object),
        };
    };
    // A line a previous run could not read, fixed in place or not.
    let object = match serde_json::from_str::<Value>(unparsed) {
        Ok(Value::Object(mut fixed)) => {
            fixed.remove("error");
            Ok(fixed)
        }
        Ok(other) => Err(format!(
            "the line (\"{UNPARSED}\") is still not a JSON object (it is {}): replace this whole line with the corrected JSON line, or correct the text in \"{UNPARSED}\"",
            kind_of(&other)
        )),
        Err(e) => Err(format!(
            "the line (\"{UNPARSED}\") is still not JSON ({e}): replace this whole line with the corrected JSON line, or correct the text in \"{UNPARSED}\""
        )),
    };
    InputLine { line, object }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The failed-lines file being written.
#[derive(Debug)]
pub(crate) struct FailedLines {
    path: PathBuf,
    partial: PathBuf,
    out: Option<std::io::BufWriter<std::fs::File>>,
    written: usize,
}

impl FailedLines {
    /// A file at `path`, created at the first failed line.
    pub(crate) fn new(path: PathBuf) -> Self {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        let partial = path.with_file_name(name);
        FailedLines {
            path,
            partial,
            out: None,
            written: 0,
        }
    }

    /// Where the file ends up.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Adds the failed line `line` (its number in the original file), of
    /// which `text` is the input text, with why it failed.
    pub(crate) fn write(
        &mut self,
        line: usize,
        text: &str,
        reason: &str,
        problems: &[(String, String)],
        retryable: bool,
    ) -> Result<(), Failure> {
        let error = json!({
            "line": line, "reason": reason, "retryable": retryable,
            "problems": problems.iter().map(|(p, m)| json!({"path": p, "message": m})).collect::<Vec<_>>(),
        });
        let record = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(mut object)) => {
                object.insert("error".into(), error);
                Value::Object(object)
            }
            _ => json!({UNPARSED: text, "error": error}),
        };
        let partial = &self.partial;
        let cannot =
            |e: std::io::Error| Failure::usage(format!("cannot write {}: {e}", partial.display()));
        let out = match &mut self.out {
            Some(out) => out,
            None => self.out.insert(std::io::BufWriter::new(
                std::fs::File::create(partial).map_err(cannot)?,
            )),
        };
        writeln!(out, "{record}").map_err(cannot)?;
        self.written = self.written.saturating_add(1);
        Ok(())
    }

    /// Puts the file in place (or removes a stale one when nothing
    /// failed); returns how many lines it holds.
    pub(crate) fn finish(mut self) -> Result<usize, Failure> {
        let path = self.path.clone();
        match self.out.take() {
            Some(out) => {
                let file = out.into_inner().map_err(|e| {
                    Failure::usage(format!(
                        "cannot write {}: {}",
                        self.partial.display(),
                        e.error()
                    ))
                })?;
                file.sync_all()
                    .and_then(|()| std::fs::rename(&self.partial, &path))
                    .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
            }
            None if path.exists() => std::fs::remove_file(&path).map_err(|e| {
                Failure::usage(format!("cannot remove the stale {}: {e}", path.display()))
            })?,
            None => {}
        }
        Ok(self.written)
    }
}

impl Drop for FailedLines {
    fn drop(&mut self) {
        // Not finished: the partial file goes, the file at `path` stays.
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// The terminal lines for one failed line: `  line N: reason`, then up to
/// [`SHOWN_PROBLEMS`] field problems.
pub(crate) fn describe(
    style: &Style,
    line: usize,
    reason: &str,
    problems: &[(String, String)],
) -> String {
    let mut out = format!("  line {line}: {}\n", clean(reason));
    for (path, message) in problems.iter().take(SHOWN_PROBLEMS) {
        out.push_str(&format!(
            "    {} {}: {}\n",
            style.fail("✗"),
            clean(path),
            clean(message)
        ));
    }
    if problems.len() > SHOWN_PROBLEMS {
        out.push_str(&format!(
            "    … and {} more in the failed file\n",
            problems.len() - SHOWN_PROBLEMS
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_file_keeps_its_own_name() {
        assert_eq!(
            default_path(Path::new("/d/receipts.jsonl")),
            Path::new("/d/receipts.failed.jsonl")
        );
        assert_eq!(
            default_path(Path::new("/d/receipts.failed.jsonl")),
            Path::new("/d/receipts.failed.jsonl")
        );
        assert_eq!(default_path(Path::new("x")), Path::new("x.failed.jsonl"));
    }

    #[test]
    fn a_line_of_a_failed_file_reports_its_original_number_without_the_old_error() {
        let read = read_line(
            2,
            r#"{"orderId": "o-1", "error": {"line": 7, "reason": "x"}}"#,
        );
        assert_eq!(read.line, 7);
        let object = read.object.expect("an object");
        assert_eq!(object.get("orderId"), Some(&json!("o-1")));
        assert!(!object.contains_key("error"));
        assert_eq!(read_line(3, r#"{"orderId": "o-1"}"#).line, 3);
    }

    #[test]
    fn an_unparsed_line_is_read_from_its_text_or_reported_under_its_original_number() {
        let fixed = read_line(
            1,
            r#"{"unparsedLine": "{\"orderId\": \"o-9\"}", "error": {"line": 4}}"#,
        );
        assert_eq!(fixed.line, 4);
        assert_eq!(fixed.object.expect("fixed")["orderId"], "o-9");
        let still = read_line(
            1,
            r#"{"unparsedLine": "{orderId: o-9", "error": {"line": 4, "reason": "the line is not JSON"}}"#,
        );
        assert_eq!(still.line, 4);
        let reason = still.object.expect_err("still broken");
        assert!(reason.contains("is still not JSON"), "{reason}");
        assert!(reason.contains("unparsedLine"), "{reason}");
        assert!(read_line(1, "[1]").object.is_err());
        assert!(read_line(1, "not json").object.is_err());
    }
}
