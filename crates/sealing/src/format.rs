//! Framing of sealed values: parsing and serializing the v1 and v2 envelopes, and their base64
//! text form.
//!
//! The exact layouts are in `FORMAT.md` beside this crate's `Cargo.toml`. This module knows
//! nothing about keys; it only splits bytes into parts and joins them again.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::error::{Error, Result};
use crate::keys::KeyId;

/// The first bytes of every v2 value. In base64 they read `SSv2`, so a v2 value is recognisable
/// in a manifest. No RSA key of 1024 to 16384 bits can produce these bytes as a v1 length
/// prefix: `0x492B` would announce an RSA ciphertext of 18,731 bytes.
pub const V2_MAGIC: [u8; 3] = [0x49, 0x2B, 0xF6];

/// Bytes of the v2 header that is also the HPKE associated data: magic and key id.
pub const V2_HEADER_LEN: usize = V2_MAGIC.len() + KeyId::LEN;

/// Size of an X25519 encapsulated key.
pub const V2_ENC_LEN: usize = 32;

/// Size of the AES-256-GCM tag that ends both envelopes.
pub const TAG_LEN: usize = 16;

/// A sealed value split into its parts, borrowing from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope<'a> {
    /// Bitnami's layout: u16 big-endian length, RSA-OAEP ciphertext, AES-256-GCM output.
    V1 {
        /// The RSA-OAEP ciphertext of the 32-byte session key.
        rsa_ciphertext: &'a [u8],
        /// AES-256-GCM ciphertext followed by its 16-byte tag.
        aead_ciphertext: &'a [u8],
    },
    /// The HPKE layout: magic, key id, encapsulated key, AES-256-GCM output.
    V2 {
        /// Identifies the recipient X25519 key.
        key_id: KeyId,
        /// The HPKE encapsulated key (the sender's ephemeral X25519 public key).
        enc: &'a [u8; V2_ENC_LEN],
        /// The HPKE ciphertext followed by its 16-byte tag.
        aead_ciphertext: &'a [u8],
        /// The header bytes authenticated as associated data.
        header: &'a [u8; V2_HEADER_LEN],
    },
}

impl<'a> Envelope<'a> {
    /// Splits raw (base64-decoded) bytes into an envelope.
    ///
    /// v1 framing follows upstream: fewer than 2 bytes, or fewer than `2 + L`, is
    /// [`Error::Truncated`]; `L = 0` is [`Error::BadLength`]. Any other `L` is accepted here; a
    /// key whose modulus size differs simply cannot open it.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() >= 2 && bytes[..2] == V2_MAGIC[..2] {
            return Self::parse_v2(bytes);
        }
        let [hi, lo, rest @ ..] = bytes else {
            return Err(Error::Truncated);
        };
        let len = usize::from(u16::from_be_bytes([*hi, *lo]));
        if len == 0 {
            return Err(Error::BadLength);
        }
        if rest.len() < len {
            return Err(Error::Truncated);
        }
        let (rsa_ciphertext, aead_ciphertext) = rest.split_at(len);
        Ok(Envelope::V1 { rsa_ciphertext, aead_ciphertext })
    }

    fn parse_v2(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() < V2_MAGIC.len() {
            return Err(Error::Truncated);
        }
        if bytes[2] != V2_MAGIC[2] {
            return Err(Error::UnsupportedVersion(bytes[2]));
        }
        if bytes.len() < V2_HEADER_LEN + V2_ENC_LEN + TAG_LEN {
            return Err(Error::Truncated);
        }
        let (header, rest) = bytes.split_at(V2_HEADER_LEN);
        let (enc, aead_ciphertext) = rest.split_at(V2_ENC_LEN);
        let header: &[u8; V2_HEADER_LEN] = header.try_into().map_err(|_| Error::Truncated)?;
        let enc: &[u8; V2_ENC_LEN] = enc.try_into().map_err(|_| Error::Truncated)?;
        let mut id = [0u8; KeyId::LEN];
        id.copy_from_slice(&header[V2_MAGIC.len()..]);
        Ok(Envelope::V2 { key_id: KeyId::from_bytes(id), enc, aead_ciphertext, header })
    }
}

/// Builds the v2 header (the associated data) for a key id.
pub(crate) fn v2_header(key_id: &KeyId) -> [u8; V2_HEADER_LEN] {
    let mut header = [0u8; V2_HEADER_LEN];
    header[..V2_MAGIC.len()].copy_from_slice(&V2_MAGIC);
    header[V2_MAGIC.len()..].copy_from_slice(key_id.as_bytes());
    header
}

/// Go's `base64.StdEncoding`: standard alphabet, `=` padding required on input and written on
/// output, non-zero trailing bits tolerated (Go's default, non-strict decoding).
const STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Encodes a sealed value as upstream writes it: standard padded base64, no line breaks.
pub fn encode_base64(bytes: &[u8]) -> String {
    STD.encode(bytes)
}

/// Decodes a sealed value's text. As Go's decoder does, `\r` and `\n` anywhere in the text are
/// ignored, padding must be canonical and non-zero trailing bits are tolerated.
pub fn decode_base64(text: &str) -> Result<Vec<u8>> {
    if text.contains(['\r', '\n']) {
        let compact: String = text.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        STD.decode(compact).map_err(|_| Error::InvalidBase64)
    } else {
        STD.decode(text).map_err(|_| Error::InvalidBase64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_magic_reads_ssv2_in_base64() {
        assert_eq!(encode_base64(&V2_MAGIC), "SSv2");
    }

    #[test]
    fn v1_framing_splits_on_the_length_prefix() {
        let bytes = [0, 3, 1, 2, 3, 9, 9];
        assert_eq!(Envelope::parse(&bytes), Ok(Envelope::V1 { rsa_ciphertext: &[1, 2, 3], aead_ciphertext: &[9, 9] }));
    }

    #[test]
    fn short_inputs_are_truncated_and_zero_length_is_bad() {
        assert_eq!(Envelope::parse(&[]), Err(Error::Truncated));
        assert_eq!(Envelope::parse(&[1]), Err(Error::Truncated));
        assert_eq!(Envelope::parse(&[0, 4, 1, 2, 3]), Err(Error::Truncated));
        assert_eq!(Envelope::parse(&[0, 0, 1]), Err(Error::BadLength));
        assert_eq!(Envelope::parse(&V2_MAGIC), Err(Error::Truncated));
    }

    #[test]
    fn unknown_v2_version_is_reported() {
        let mut bytes = vec![0u8; 80];
        bytes[..3].copy_from_slice(&[0x49, 0x2B, 0xF7]);
        assert_eq!(Envelope::parse(&bytes), Err(Error::UnsupportedVersion(0xF7)));
    }

    #[test]
    fn base64_ignores_line_breaks_and_tolerates_trailing_bits() {
        assert_eq!(decode_base64("AQID\r\nBA==").unwrap(), vec![1, 2, 3, 4]);
        // "BB==" has non-zero trailing bits; Go accepts it as 0x04.
        assert_eq!(decode_base64("BB==").unwrap(), vec![4]);
        assert_eq!(decode_base64("BA"), Err(Error::InvalidBase64));
        assert_eq!(decode_base64("B A=="), Err(Error::InvalidBase64));
        assert_eq!(decode_base64("BA-_"), Err(Error::InvalidBase64));
    }
}
