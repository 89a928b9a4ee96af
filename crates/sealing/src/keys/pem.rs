//! A small, lenient PEM reader in the spirit of Go's `encoding/pem`: text before, between and
//! after blocks is skipped, `\r\n` line ends are fine, and the body's base64 may be wrapped at
//! any width. Encrypted PEM (`Proc-Type` headers) is refused. Decoded bodies are zeroized when
//! dropped, because they may hold private keys.

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// One decoded PEM block.
pub(crate) struct Block {
    /// The label after `BEGIN `, such as `RSA PRIVATE KEY`.
    pub label: String,
    /// The decoded body.
    pub der: Zeroizing<Vec<u8>>,
}

/// Every well-formed block in `text`, in order. Malformed blocks are skipped, as Go does.
pub(crate) fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        rest = &rest[start + "-----BEGIN ".len()..];
        let Some(label_end) = rest.find("-----") else {
            break;
        };
        let label = rest[..label_end].to_owned();
        rest = &rest[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let Some(end) = rest.find(&end_marker) else {
            continue;
        };
        let body = &rest[..end];
        rest = &rest[end + end_marker.len()..];
        if body.contains(':') {
            // RFC 1421 headers: in practice only encrypted keys carry them.
            continue;
        }
        let compact: Zeroizing<String> = Zeroizing::new(body.chars().filter(|c| !c.is_ascii_whitespace()).collect());
        let mut der = Zeroizing::new(Vec::new());
        if base64::engine::general_purpose::STANDARD.decode_vec(compact.as_bytes(), &mut der).is_ok() {
            out.push(Block { label, der });
        }
    }
    out
}

/// The first block whose label is one of `labels`.
pub(crate) fn first(text: &str, labels: &[&str], expected: &'static str) -> Result<Block> {
    let encrypted = text.contains("Proc-Type: 4,ENCRYPTED") || text.contains("ENCRYPTED PRIVATE KEY");
    blocks(text).into_iter().find(|b| labels.contains(&b.label.as_str())).ok_or(if encrypted {
        Error::InvalidKey { what: "PEM key", reason: "encrypted PEM is not supported" }
    } else {
        Error::MissingPem { expected }
    })
}

/// Encodes `der` as PEM with 64-character lines and a final newline, as Go writes it.
pub(crate) fn encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der));
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    Zeroizing::new(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_blocks_between_junk_with_crlf() {
        let text = "junk\r\n-----BEGIN A-----\r\nAQID\r\nBA==\r\n-----END A-----\r\nmore\n-----BEGIN B-----\nBQ==\n-----END B-----\n";
        let found = blocks(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].label, "A");
        assert_eq!(found[0].der.as_slice(), &[1, 2, 3, 4]);
        assert_eq!(found[1].label, "B");
        assert_eq!(found[1].der.as_slice(), &[5]);
    }

    #[test]
    fn encode_then_read_round_trips() {
        let der: Vec<u8> = (0..=255).collect();
        let text = encode("CERTIFICATE", &der);
        assert!(text.lines().all(|l| l.len() <= 64));
        let block = first(&text, &["CERTIFICATE"], "CERTIFICATE").unwrap();
        assert_eq!(block.der.as_slice(), der.as_slice());
    }

    #[test]
    fn encrypted_keys_are_refused_with_a_clear_error() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAQID\n-----END RSA PRIVATE KEY-----\n";
        let err = first(text, &["RSA PRIVATE KEY"], "RSA PRIVATE KEY").err().unwrap();
        assert!(err.to_string().contains("encrypted"), "{err}");
    }
}
