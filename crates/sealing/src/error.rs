//! The one error type of the sealing crate.
//!
//! Errors are deliberately coarse. Everything that can go wrong while opening a value with a
//! key (wrong key, wrong label, tampered bytes) is [`Error::DecryptionFailed`], so that no caller
//! can learn which key, label or step failed. Framing errors are separate because they describe
//! the public shape of the value, not a secret. No variant ever carries key or value bytes.

/// Why a sealing operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not standard padded base64.
    #[error("sealed value is not valid base64")]
    InvalidBase64,
    /// The value ends before its framing says it should.
    #[error("sealed value is truncated")]
    Truncated,
    /// The framing carries a length that no RSA key can have produced.
    #[error("sealed value has an invalid length field")]
    BadLength,
    /// The value is a kubeseal-rs envelope of a version this build does not know.
    #[error("sealed value uses unsupported envelope version {0}")]
    UnsupportedVersion(u8),
    /// No key could open the value. The text is upstream's, so scripts that match it keep
    /// working; it never says which key or which step failed.
    #[error("no key could decrypt secret")]
    DecryptionFailed,
    /// The operating system's random generator or the cipher refused to seal.
    #[error("encryption failed")]
    EncryptionFailed,
    /// A key pair could not be generated.
    #[error("key generation failed")]
    KeyGeneration,
    /// Key material could not be read. `what` names the expected kind, `reason` the problem.
    #[error("invalid {what}: {reason}")]
    InvalidKey {
        /// The kind of key that was expected, such as "RSA private key".
        what: &'static str,
        /// What is wrong with it, without any of its bytes.
        reason: &'static str,
    },
    /// An RSA key outside the sizes the crypto backend accepts.
    #[error("RSA key of {bits} bits is outside the supported range of 2048 to 8192 bits")]
    UnsupportedKeySize {
        /// The key's modulus size in bits.
        bits: usize,
    },
    /// The PEM text holds no block of an expected type.
    #[error("no PEM block of type {expected} found")]
    MissingPem {
        /// The block types that were looked for, such as "CERTIFICATE".
        expected: &'static str,
    },
    /// A certificate could not be read or used.
    #[error("invalid certificate: {reason}")]
    InvalidCertificate {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A self-signed certificate could not be produced.
    #[error("certificate generation failed")]
    CertificateGeneration,
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
