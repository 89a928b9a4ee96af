//! A minimal DER writer and reader for the few structures built by hand here (SPKI, PKCS#8,
//! PKCS#1 and SEC1 key wrappers). Every buffer is a `Zeroizing` vector, since most of what passes
//! through is private key material.

use zeroize::Zeroizing;

/// A DER buffer that is wiped when dropped.
pub(crate) type Der = Zeroizing<Vec<u8>>;

/// `rsaEncryption` (1.2.840.113549.1.1.1), as a full OID TLV.
pub(crate) const OID_RSA: &[u8] = &[0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
/// `id-ecPublicKey` (1.2.840.10045.2.1).
pub(crate) const OID_EC: &[u8] = &[0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
/// `prime256v1` / P-256 (1.2.840.10045.3.1.7).
pub(crate) const OID_P256: &[u8] = &[0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
/// `secp384r1` / P-384 (1.3.132.0.34).
pub(crate) const OID_P384: &[u8] = &[0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22];
/// `secp521r1` / P-521 (1.3.132.0.35).
pub(crate) const OID_P521: &[u8] = &[0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x23];
/// `id-Ed25519` (1.3.101.112).
pub(crate) const OID_ED25519: &[u8] = &[0x06, 0x03, 0x2B, 0x65, 0x70];
/// ASN.1 NULL.
pub(crate) const NULL: &[u8] = &[0x05, 0x00];

/// One TLV with a definite length.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Der {
    let mut out = Zeroizing::new(Vec::with_capacity(content.len() + 6));
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
    out
}

/// A SEQUENCE of already encoded parts.
pub(crate) fn seq(parts: &[&[u8]]) -> Der {
    let mut body = Zeroizing::new(Vec::new());
    for p in parts {
        body.extend_from_slice(p);
    }
    tlv(0x30, &body)
}

/// A non-negative INTEGER from big-endian magnitude bytes (leading zeros dropped, a zero byte
/// added when the top bit is set).
pub(crate) fn uint(magnitude: &[u8]) -> Der {
    let start = magnitude.iter().take_while(|b| **b == 0).count();
    let m = &magnitude[start..];
    let mut body = Zeroizing::new(Vec::with_capacity(m.len() + 1));
    if m.first().is_none_or(|b| b & 0x80 != 0) {
        body.push(0);
    }
    body.extend_from_slice(m);
    tlv(0x02, &body)
}

/// An OCTET STRING.
pub(crate) fn octets(b: &[u8]) -> Der {
    tlv(0x04, b)
}

/// A BIT STRING with no unused bits.
pub(crate) fn bits(b: &[u8]) -> Der {
    let mut body = Zeroizing::new(Vec::with_capacity(b.len() + 1));
    body.push(0);
    body.extend_from_slice(b);
    tlv(0x03, &body)
}

/// An explicit, constructed context tag `[n]`.
pub(crate) fn explicit(n: u8, content: &[u8]) -> Der {
    tlv(0xA0 | n, content)
}

/// One TLV read from the front of `input`: (tag, content, rest). Only definite lengths.
pub(crate) fn read(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The PKCS#8 wrapping of an RSA PKCS#1 private key.
pub(crate) fn pkcs8_from_pkcs1(pkcs1: &[u8]) -> Der {
    let alg = seq(&[OID_RSA, NULL]);
    seq(&[&uint(&[0]), &alg, &octets(pkcs1)])
}

/// The PKCS#8 wrapping of a SEC1 `ECPrivateKey`, the curve taken from its `[0]` parameters.
pub(crate) fn pkcs8_from_sec1(sec1: &[u8]) -> Option<Der> {
    let (0x30, body, _) = read(sec1)? else { return None };
    let (_, _, rest) = read(body)?; // version
    let (_, _, mut rest) = read(rest)?; // privateKey
    while let Some((tag, content, next)) = read(rest) {
        if tag == 0xA0 {
            let (0x06, _, _) = read(content)? else { return None };
            let alg = seq(&[OID_EC, content]);
            return Some(seq(&[&uint(&[0]), &alg, &octets(sec1)]));
        }
        rest = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_get_a_sign_byte_only_when_the_top_bit_is_set() {
        assert_eq!(uint(&[0x00, 0x7F]).as_slice(), &[0x02, 0x01, 0x7F]);
        assert_eq!(uint(&[0x80]).as_slice(), &[0x02, 0x02, 0x00, 0x80]);
        assert_eq!(uint(&[]).as_slice(), &[0x02, 0x01, 0x00]);
    }

    #[test]
    fn long_lengths_use_the_long_form_and_read_back() {
        let content = vec![7u8; 300];
        let enc = tlv(0x04, &content);
        assert_eq!(&enc[..4], &[0x04, 0x82, 0x01, 0x2C]);
        let (tag, body, rest) = read(&enc).unwrap();
        assert_eq!((tag, body.len(), rest.len()), (0x04, 300, 0));
    }
}
