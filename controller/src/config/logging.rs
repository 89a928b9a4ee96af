//! `--log-level`, `--log-format` and `--log-info-stdout`, and the tracing subscriber they set up.

use std::io::{self, IsTerminal, Write};

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

use super::settings::Settings;

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines (upstream's slog text handler; the default).
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The validated logging flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSettings {
    /// `--log-level`: events more verbose than this are dropped.
    pub level: Level,
    /// `--log-format`.
    pub format: LogFormat,
    /// `--log-info-stdout`: INFO and below to stdout, WARN and ERROR to stderr; otherwise all to
    /// stderr.
    pub info_to_stdout: bool,
}

impl LogSettings {
    /// Interprets the flags as upstream does: the level is `DEBUG`, `INFO`, `WARN` or `ERROR` in
    /// any case, anything else means INFO; the format is `text` or `json` (any case), anything
    /// else means text. Each fallback adds a warning.
    pub fn from_flags(level: &str, format: &str, info_to_stdout: bool, warnings: &mut Vec<String>) -> Self {
        let level = match level.to_ascii_uppercase().as_str() {
            "DEBUG" => Level::DEBUG,
            "INFO" => Level::INFO,
            "WARN" => Level::WARN,
            "ERROR" => Level::ERROR,
            _ => {
                warnings.push(format!("--log-level={level:?} is not DEBUG, INFO, WARN or ERROR; using INFO"));
                Level::INFO
            }
        };
        let format = if format.eq_ignore_ascii_case("json") {
            LogFormat::Json
        } else {
            if !format.eq_ignore_ascii_case("text") {
                warnings.push(format!("--log-format={format:?} is not text or json; using text"));
            }
            LogFormat::Text
        };
        Self { level, format, info_to_stdout }
    }
}

/// Sends each event to stdout or stderr according to its level.
#[derive(Debug, Clone, Copy)]
struct SplitByLevel {
    info_to_stdout: bool,
}

/// The stream one event is written to.
enum Stream {
    Stdout(io::Stdout),
    Stderr(io::Stderr),
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Stdout(s) => s.write(buf),
            Self::Stderr(s) => s.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Self::Stdout(s) => s.write_all(buf),
            Self::Stderr(s) => s.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Stdout(s) => s.flush(),
            Self::Stderr(s) => s.flush(),
        }
    }
}

impl SplitByLevel {
    /// Whether an event of `level` goes to stdout.
    fn to_stdout(self, level: Level) -> bool {
        // In tracing, more verbose levels compare greater: ERROR < WARN < INFO < DEBUG < TRACE.
        self.info_to_stdout && level >= Level::INFO
    }
}

impl<'a> MakeWriter<'a> for SplitByLevel {
    type Writer = Stream;

    fn make_writer(&'a self) -> Self::Writer {
        Stream::Stderr(io::stderr())
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        if self.to_stdout(*meta.level()) { Stream::Stdout(io::stdout()) } else { Stream::Stderr(io::stderr()) }
    }
}

/// Installs the global tracing subscriber for `settings.log`, then logs `settings.warnings`.
///
/// Safe to call more than once: if a subscriber is already installed (a second call, or a
/// test harness), the existing one stays and the warnings go to it.
pub fn init_logging(settings: &Settings) {
    let log = settings.log;
    let writer = SplitByLevel { info_to_stdout: log.info_to_stdout };
    let builder = tracing_subscriber::fmt().with_max_level(log.level).with_writer(writer);
    // Already initialised is not an error worth reporting: keep the existing subscriber.
    let _ = match log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.with_ansi(io::stderr().is_terminal() && io::stdout().is_terminal()).try_init(),
    };
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(level: &str, format: &str) -> (LogSettings, Vec<String>) {
        let mut warnings = Vec::new();
        (LogSettings::from_flags(level, format, true, &mut warnings), warnings)
    }

    #[test]
    fn levels_parse_in_any_case_and_unknown_means_info() {
        assert_eq!(settings("debug", "text").0.level, Level::DEBUG);
        assert_eq!(settings("Info", "text").0.level, Level::INFO);
        assert_eq!(settings("WARN", "text").0.level, Level::WARN);
        assert_eq!(settings("error", "text").0.level, Level::ERROR);
        let (log, warnings) = settings("verbose", "text");
        assert_eq!(log.level, Level::INFO);
        assert_eq!(warnings.len(), 1);
        assert!(settings("INFO", "text").1.is_empty());
    }

    #[test]
    fn formats_parse_and_unknown_means_text_with_a_warning() {
        assert_eq!(settings("INFO", "json").0.format, LogFormat::Json);
        assert_eq!(settings("INFO", "JSON").0.format, LogFormat::Json);
        assert_eq!(settings("INFO", "text").0.format, LogFormat::Text);
        let (log, warnings) = settings("INFO", "logfmt");
        assert_eq!(log.format, LogFormat::Text);
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn info_and_below_go_to_stdout_only_when_asked() {
        let split = SplitByLevel { info_to_stdout: true };
        assert!(split.to_stdout(Level::TRACE));
        assert!(split.to_stdout(Level::DEBUG));
        assert!(split.to_stdout(Level::INFO));
        assert!(!split.to_stdout(Level::WARN));
        assert!(!split.to_stdout(Level::ERROR));
        let all_stderr = SplitByLevel { info_to_stdout: false };
        assert!(!all_stderr.to_stdout(Level::INFO));
        assert!(!all_stderr.to_stdout(Level::DEBUG));
    }
}
