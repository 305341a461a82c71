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

/// Text from the API or a file, made safe for a terminal: control
/// characters (escape sequences, carriage returns) are replaced.
pub(crate) fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}
