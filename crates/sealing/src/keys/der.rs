//! The few fixed DER structures this crate writes itself: PKCS#8 and SubjectPublicKeyInfo
//! wrappers for RSA and X25519 keys. Reading goes through the RustCrypto `pkcs8`/`spki` parsers.

use zeroize::Zeroizing;

/// AlgorithmIdentifier { rsaEncryption, NULL }.
pub(crate) const RSA_ALGORITHM: &[u8] =
    &[0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];

/// AlgorithmIdentifier { id-X25519 } (RFC 8410: parameters absent).
pub(crate) const X25519_ALGORITHM: &[u8] = &[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e];

/// The OID arcs of rsaEncryption, 1.2.840.113549.1.1.1.
pub(crate) const RSA_OID: &str = "1.2.840.113549.1.1.1";

/// The OID arcs of id-X25519, 1.3.101.110.
pub(crate) const X25519_OID: &str = "1.3.101.110";

/// Appends a DER tag-length-value.
pub(crate) fn tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
}

/// PrivateKeyInfo (PKCS#8 v1) around an algorithm-specific private key.
pub(crate) fn pkcs8(algorithm: &[u8], private_key: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut body = Zeroizing::new(Vec::with_capacity(private_key.len() + 32));
    tlv(&mut body, 0x02, &[0]);
    body.extend_from_slice(algorithm);
    tlv(&mut body, 0x04, private_key);
    let mut out = Zeroizing::new(Vec::with_capacity(body.len() + 8));
    tlv(&mut out, 0x30, &body);
    out
}

/// SubjectPublicKeyInfo around an algorithm-specific public key.
pub(crate) fn spki(algorithm: &[u8], public_key: &[u8]) -> Vec<u8> {
    let mut bits = Vec::with_capacity(public_key.len() + 1);
    bits.push(0); // no unused bits
    bits.extend_from_slice(public_key);
    let mut body = algorithm.to_vec();
    tlv(&mut body, 0x03, &bits);
    let mut out = Vec::with_capacity(body.len() + 8);
    tlv(&mut out, 0x30, &body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lengths_use_the_minimal_long_form() {
        let mut out = Vec::new();
        tlv(&mut out, 0x04, &[7u8; 300]);
        assert_eq!(&out[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let mut short = Vec::new();
        tlv(&mut short, 0x04, &[7u8; 127]);
        assert_eq!(&short[..2], &[0x04, 0x7f]);
        let mut edge = Vec::new();
        tlv(&mut edge, 0x04, &[7u8; 128]);
        assert_eq!(&edge[..3], &[0x04, 0x81, 0x80]);
    }
}
