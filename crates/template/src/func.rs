//! The interface every template function implements, and the limits a call must respect.

use crate::value::Value;

/// What a function may consult while running: the limits of the render it is part of.
#[derive(Debug, Clone, Copy)]
pub struct FuncEnv {
    /// The largest value (string, bytes, list length times item size, roughly) a function may
    /// build. A function that would exceed it (`repeat 1000000000 "x"`, `until 1e9`) fails
    /// instead of allocating.
    pub max_bytes: usize,
    /// The data's maps are Go `map[string]string` (a SealedSecret's template context) rather
    /// than `map[string]interface{}`: a missing key then reads as `""` (the element type's zero
    /// value) where it would otherwise be no value. See [`crate::Options::string_maps`].
    pub string_maps: bool,
}

impl Default for FuncEnv {
    fn default() -> Self {
        Self { max_bytes: 1 << 20, string_maps: false }
    }
}

/// Why a function call failed. The message names the function and the problem, never the
/// argument values (template data is secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncError(pub String);

impl FuncError {
    /// A failure of `func`: `"b64dec: illegal base64 data at input byte 4"`.
    pub fn new(func: &str, why: impl std::fmt::Display) -> Self {
        Self(format!("{func}: {why}"))
    }
}

impl std::fmt::Display for FuncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FuncError {}

/// A template function: arguments in (already evaluated, in call order; a piped value is the
/// last argument, as in Go), one value out.
pub type Function = fn(&FuncEnv, &[Value]) -> Result<Value, FuncError>;
