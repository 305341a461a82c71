//! Colour and emphasis for human output: only when the stream is a
//! terminal and `NO_COLOR` is not set, so pipes and files get plain text.

use std::io::IsTerminal;

use anstyle::{AnsiColor, Effects, Style as Ansi};

/// How to decorate text for one output stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    enabled: bool,
}

impl Style {
    /// Decoration for stdout.
    pub(crate) fn stdout() -> Self {
        Self::detect(std::io::stdout().is_terminal())
    }

    /// Decoration for stderr.
    pub(crate) fn stderr() -> Self {
        Self::detect(std::io::stderr().is_terminal())
    }

    /// No decoration (tests, JSON).
    pub(crate) fn plain() -> Self {
        Style { enabled: false }
    }

    fn detect(is_terminal: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            enabled: is_terminal && !no_color,
        }
    }

    fn paint(&self, style: Ansi, text: &str) -> String {
        if self.enabled {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    /// A section heading.
    pub(crate) fn heading(&self, text: &str) -> String {
        self.paint(
            Ansi::new().effects(Effects::BOLD | Effects::UNDERLINE),
            text,
        )
    }

    /// Emphasis.
    pub(crate) fn strong(&self, text: &str) -> String {
        self.paint(Ansi::new().effects(Effects::BOLD), text)
    }

    /// Secondary text.
    pub(crate) fn dim(&self, text: &str) -> String {
        self.paint(Ansi::new().effects(Effects::DIMMED), text)
    }

    /// Success.
    pub(crate) fn ok(&self, text: &str) -> String {
        self.paint(
            Ansi::new()
                .fg_color(Some(AnsiColor::Green.into()))
                .effects(Effects::BOLD),
            text,
        )
    }

    /// Failure.
    pub(crate) fn fail(&self, text: &str) -> String {
        self.paint(
            Ansi::new()
                .fg_color(Some(AnsiColor::Red.into()))
                .effects(Effects::BOLD),
            text,
        )
    }

    /// Warning.
    pub(crate) fn warn(&self, text: &str) -> String {
        self.paint(
            Ansi::new()
                .fg_color(Some(AnsiColor::Yellow.into()))
                .effects(Effects::BOLD),
            text,
        )
    }
}

/// Text from the API or a file, made safe for a terminal: every character
/// that could change the terminal or reorder what is shown is replaced by
/// U+FFFD:
/// - C0 controls (ESC, BEL, CR, LF, TAB, …), DEL and C1 controls
///   (U+0080–U+009F, e.g. the one-character CSI U+009B): `char::is_control`;
/// - bidirectional formatting characters (U+061C, U+200E, U+200F,
///   U+202A–U+202E, U+2066–U+2069), which make a terminal show text in
///   another order than it is ("Trojan Source").
///
/// Newlines are replaced too: only the layout adds line breaks.
pub(crate) fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if is_unsafe(c) { '\u{FFFD}' } else { c })
        .collect()
}

/// Whether `c` must not reach a terminal as it is (see [`clean`]).
pub(crate) fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// A JSON document made safe for a terminal without changing what it
/// means: serde_json escapes C0 controls, but writes DEL, C1 controls and
/// bidi characters as they are. Those can only occur inside JSON strings,
/// where `\uXXXX` is the same character.
pub(crate) fn terminal_safe_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if is_unsafe(c) {
            // Every unsafe character is in the Basic Multilingual Plane.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_replaces_every_control_and_bidi_character() {
        let hostile = "a\u{1b}]0;owned\u{7}b\u{9b}31mc\u{7f}d\r\ne\u{202e}f\u{2066}g\u{200f}h";
        let cleaned = clean(hostile);
        assert_eq!(cleaned.matches('\u{FFFD}').count(), 9, "{cleaned}");
        assert!(cleaned.chars().all(|c| !is_unsafe(c)));
        assert!(cleaned.starts_with('a') && cleaned.ends_with('h'));
        // Ordinary text, also right-to-left scripts, stays as it is.
        for fine in ["Blåbærsyltetøy 1 kg", "שלום", "مرحبا", "商品 ✓ €"] {
            assert_eq!(clean(fine), fine);
        }
    }

    #[test]
    fn terminal_safe_json_means_the_same() {
        let value = serde_json::json!({"name": "x\u{1b}[2J\u{9b}\u{7f}\u{202e}y"});
        let text = terminal_safe_json(&value.to_string());
        assert!(text.chars().all(|c| !is_unsafe(c)), "{text}");
        assert!(!text.bytes().any(|b| b == 0x1b || b == 0x9b || b == 0x7f));
        let back: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(back, value);
    }
}
