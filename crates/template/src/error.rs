//! The one error type of the crate. Messages name the template, the position and the construct
//! that failed, never a data value (template data is secret).

use std::fmt;

/// Which execution limit was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitKind {
    /// The rendered output grew past [`crate::Options::max_output`] bytes.
    Output,
    /// Execution took more than [`crate::Options::max_steps`] steps.
    Steps,
    /// `template` calls nested deeper than [`crate::Options::max_depth`].
    Depth,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Output => "output size",
            Self::Steps => "execution steps",
            Self::Depth => "template nesting depth",
        })
    }
}

/// Why parsing or rendering a template failed.
///
/// `line` is 1-based; `col` is the 0-based byte offset in the line, as Go reports it. The
/// `Display` form follows Go's wording (`template: NAME:LINE: ...` for parse errors,
/// `template: NAME:LINE:COL: executing "NAME" at <...>: ...` for execution errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The template text is not a valid template (syntax, unknown function, undefined variable).
    #[error("template: {template}:{line}: {message}")]
    Parse {
        /// The name the template was parsed under.
        template: String,
        /// 1-based line of the offending token.
        line: usize,
        /// 0-based byte column of the offending token.
        col: usize,
        /// What is wrong, in Go's words.
        message: String,
    },
    /// Executing the template failed (missing key under `missingkey=error`, a function error,
    /// an undefined template, a type error).
    #[error("template: {template}:{line}:{col}: {message}")]
    Exec {
        /// The name the template was parsed under.
        template: String,
        /// 1-based line of the node being executed.
        line: usize,
        /// 0-based byte column of the node being executed.
        col: usize,
        /// `executing "NAME" at <NODE>: what failed`, in Go's words.
        message: String,
    },
    /// A configured limit was exceeded; rendering stopped.
    #[error("template: {template}:{line}:{col}: {limit} limit exceeded (max {max})")]
    Limit {
        /// The name the template was parsed under.
        template: String,
        /// 1-based line of the node being executed when the limit was hit.
        line: usize,
        /// 0-based byte column of that node.
        col: usize,
        /// Which limit.
        limit: LimitKind,
        /// The configured maximum.
        max: u64,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Line (1-based) and column (0-based byte offset in the line) of byte `pos` in `text`, the way
/// Go's `ErrorContext` computes them.
pub(crate) fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = text.as_bytes().get(..pos).unwrap_or_default();
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let col = match before.iter().rposition(|&b| b == b'\n') {
        Some(nl) => pos - (nl + 1),
        None => pos,
    };
    (line, col)
}
