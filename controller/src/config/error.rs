//! Startup configuration errors. Flag values are not secrets, so messages quote them.

/// A flag (or its `SEALED_SECRETS_*` variable) has a value the controller cannot start with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `--key-prefix` is empty, longer than 245 characters or has characters outside `[a-z0-9-]`.
    #[error("--key-prefix={value:?}: {reason}")]
    KeyPrefix {
        /// The rejected prefix.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `--key-size` is not a supported RSA size.
    #[error("--key-size={bits}: supported sizes are 2048, 3072, 4096 and 8192 bits")]
    KeySize {
        /// The rejected size.
        bits: usize,
    },
    /// `--key-cutoff-time` is not an RFC 1123Z timestamp.
    #[error("--key-cutoff-time={value:?}: {reason}")]
    KeyCutoffTime {
        /// The rejected text.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// An entry of `--privatekey-labels` or `--privatekey-annotations` has no `=`.
    #[error("--{flag}: entry {entry:?} is not key=value")]
    KeyValueEntry {
        /// The flag, without dashes.
        flag: &'static str,
        /// The entry without `=`.
        entry: String,
    },
    /// A listen address is not `host:port` with an IP address or `localhost` (or no host).
    #[error("--{flag}={value:?}: {reason}")]
    ListenAddr {
        /// The flag, without dashes.
        flag: &'static str,
        /// The rejected address.
        value: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A numeric or duration flag is outside the range the controller can work with.
    #[error("--{flag}={value}: {reason}")]
    OutOfRange {
        /// The flag, without dashes.
        flag: &'static str,
        /// The rejected value as given.
        value: String,
        /// The allowed range.
        reason: &'static str,
    },
}
