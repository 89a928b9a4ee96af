//! ESO's `jwkPublicKeyPem` and `jwkPrivateKeyPem`: a JSON Web Key to PEM. Supported, as with
//! ESO's JWK library and Go's `crypto/x509`: `RSA`, `EC` on P-256, P-384 and P-521, and `OKP`
//! Ed25519. As in ESO, a private JWK given to `jwkPublicKeyPem` (or a public one given to
//! `jwkPrivateKeyPem`) is an error, not a conversion. RSA private keys need the CRT members
//! (`p`, `q`, `dp`, `dq`, `qi`); ESO can recompute missing ones, this cannot.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use serde_json::Map;
use zeroize::Zeroizing;

use super::der::{self, Der};
use super::pem::encode_plain;
use super::{arity, bytes_arg};
use crate::func::{FuncEnv, FuncError};
use crate::value::Value;

type Json = Map<String, serde_json::Value>;

/// A base64url (or base64) member, padded or not, as JWK libraries accept.
fn member(jwk: &Json, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
    let Some(v) = jwk.get(name) else { return Ok(None) };
    let s = v.as_str().ok_or_else(|| format!("invalid JWK: member {name} is not a string"))?;
    let s = s.trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(s)
        .or_else(|_| STANDARD_NO_PAD.decode(s))
        .map(|b| Some(Zeroizing::new(b)))
        .map_err(|_| format!("invalid JWK: member {name} is not base64url"))
}

fn required(jwk: &Json, name: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    member(jwk, name)?.ok_or_else(|| format!("invalid JWK: missing required member {name}"))
}

/// Left-pads (or rejects) a fixed-size field element.
fn fixed(b: &[u8], size: usize, what: &str) -> Result<Zeroizing<Vec<u8>>, String> {
    let start = b.iter().take_while(|x| **x == 0).count().min(b.len().saturating_sub(size));
    let b = &b[start..];
    if b.len() > size {
        return Err(format!("invalid JWK: {what} is too long for the curve"));
    }
    let mut out = Zeroizing::new(vec![0u8; size - b.len()]);
    out.extend_from_slice(b);
    Ok(out)
}

/// The key as (SPKI DER, PKCS#8 DER when private).
fn convert(jwk: &Json) -> Result<(Der, Option<Der>), String> {
    let kty = jwk.get("kty").and_then(|v| v.as_str()).ok_or("invalid JWK: missing kty")?;
    match kty {
        "RSA" => {
            let (n, e) = (required(jwk, "n")?, required(jwk, "e")?);
            let spki = der::seq(&[
                &der::seq(&[der::OID_RSA, der::NULL]),
                &der::bits(&der::seq(&[&der::uint(&n), &der::uint(&e)])),
            ]);
            let Some(d) = member(jwk, "d")? else { return Ok((spki, None)) };
            let parts = ["p", "q", "dp", "dq", "qi"].map(|m| required(jwk, m));
            let mut ints: Vec<Der> = vec![der::uint(&[0]), der::uint(&n), der::uint(&e), der::uint(&d)];
            for p in parts {
                ints.push(der::uint(&p?));
            }
            let refs: Vec<&[u8]> = ints.iter().map(|i| i.as_slice()).collect();
            Ok((spki, Some(der::pkcs8_from_pkcs1(&der::seq(&refs)))))
        }
        "EC" => {
            let crv = jwk.get("crv").and_then(|v| v.as_str()).ok_or("invalid JWK: missing crv")?;
            let (oid, size) = match crv {
                "P-256" => (der::OID_P256, 32),
                "P-384" => (der::OID_P384, 48),
                "P-521" => (der::OID_P521, 66),
                other => return Err(format!("unsupported elliptic curve {other}")),
            };
            let mut point = Zeroizing::new(vec![0x04]);
            point.extend_from_slice(&fixed(&required(jwk, "x")?, size, "x")?);
            point.extend_from_slice(&fixed(&required(jwk, "y")?, size, "y")?);
            let alg = der::seq(&[der::OID_EC, oid]);
            let spki = der::seq(&[&alg, &der::bits(&point)]);
            let Some(d) = member(jwk, "d")? else { return Ok((spki, None)) };
            let d = fixed(&d, size, "d")?;
            let ec = der::seq(&[&der::uint(&[1]), &der::octets(&d), &der::explicit(1, &der::bits(&point))]);
            Ok((spki, Some(der::seq(&[&der::uint(&[0]), &alg, &der::octets(&ec)]))))
        }
        "OKP" => {
            let crv = jwk.get("crv").and_then(|v| v.as_str()).ok_or("invalid JWK: missing crv")?;
            if crv != "Ed25519" {
                return Err(format!("unsupported OKP curve {crv}"));
            }
            let x = required(jwk, "x")?;
            if x.len() != 32 {
                return Err("invalid JWK: Ed25519 x must be 32 bytes".into());
            }
            let alg = der::seq(&[der::OID_ED25519]);
            let spki = der::seq(&[&alg, &der::bits(&x)]);
            let Some(d) = member(jwk, "d")? else { return Ok((spki, None)) };
            if d.len() != 32 {
                return Err("invalid JWK: Ed25519 d must be 32 bytes".into());
            }
            Ok((spki, Some(der::seq(&[&der::uint(&[0]), &alg, &der::octets(&der::octets(&d))]))))
        }
        other => Err(format!("unsupported key type {other}")),
    }
}

fn parse(name: &str, args: &[Value]) -> Result<(Der, Option<Der>), FuncError> {
    arity(name, args, 1)?;
    let text = bytes_arg(name, args, 0)?;
    let jwk: Json =
        serde_json::from_slice(text).map_err(|_| FuncError::new(name, "failed to parse JWK: invalid JSON object"))?;
    convert(&jwk).map_err(|e| FuncError::new(name, e))
}

/// `jwkPublicKeyPem json`: the public JWK as a PKIX `PUBLIC KEY` PEM block.
pub fn jwk_public_key_pem(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "jwkPublicKeyPem";
    match parse(NAME, args)? {
        (spki, None) => Ok(Value::String(encode_plain("PUBLIC KEY", &spki).to_string())),
        (_, Some(_)) => Err(FuncError::new(NAME, "x509: unsupported public key type: the JWK is a private key")),
    }
}

/// `jwkPrivateKeyPem json`: the private JWK as a PKCS#8 `PRIVATE KEY` PEM block.
pub fn jwk_private_key_pem(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "jwkPrivateKeyPem";
    match parse(NAME, args)? {
        (_, Some(pkcs8)) => Ok(Value::String(encode_plain("PRIVATE KEY", &pkcs8).to_string())),
        (_, None) => {
            Err(FuncError::new(NAME, "x509: unknown key type while marshaling PKCS#8: the JWK is a public key"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{self, KeyPair as _};

    fn b64u(b: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(b)
    }

    fn call(f: crate::func::Function, json: &str) -> Result<String, FuncError> {
        match f(&FuncEnv::default(), &[Value::from(json)])? {
            Value::String(s) => Ok(s),
            other => panic!("not a string: {other:?}"),
        }
    }

    fn pem_der(pem: &str) -> Vec<u8> {
        crate::crypto::pem::decode(pem.as_bytes()).0.unwrap().bytes.to_vec()
    }

    #[test]
    fn an_ed25519_jwk_becomes_the_same_keys_aws_lc_reads() {
        let kp = signature::Ed25519KeyPair::generate().unwrap();
        let seed = kp.seed().unwrap();
        let seed_bytes =
            aws_lc_rs::encoding::AsBigEndian::<aws_lc_rs::encoding::Curve25519SeedBin>::as_be_bytes(&seed).unwrap();
        let x = kp.public_key().as_ref().to_vec();
        let json = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{}","d":"{}"}}"#, b64u(&x), b64u(seed_bytes.as_ref()));
        let pkcs8 = pem_der(&call(jwk_private_key_pem, &json).unwrap());
        let back = signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).unwrap();
        assert_eq!(back.public_key().as_ref(), x.as_slice());
        let public = format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#, b64u(&x));
        let spki = pem_der(&call(jwk_public_key_pem, &public).unwrap());
        assert_eq!(&spki[spki.len() - 32..], x.as_slice());
        assert_eq!(spki.len(), 44);
    }

    #[test]
    fn an_ec_p256_jwk_private_key_loads_and_matches_its_public_point() {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = signature::EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let kp =
            signature::EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
        let point = kp.public_key().as_ref().to_vec();
        let d =
            aws_lc_rs::encoding::AsBigEndian::<aws_lc_rs::encoding::EcPrivateKeyBin>::as_be_bytes(&kp.private_key())
                .unwrap();
        let json = format!(
            r#"{{"kty":"EC","crv":"P-256","x":"{}","y":"{}","d":"{}"}}"#,
            b64u(&point[1..33]),
            b64u(&point[33..]),
            b64u(d.as_ref())
        );
        let der = pem_der(&call(jwk_private_key_pem, &json).unwrap());
        let back = signature::EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &der).unwrap();
        assert_eq!(back.public_key().as_ref(), point.as_slice());
    }

    #[test]
    fn an_rsa_public_jwk_gives_the_spki_openssl_derives_from_the_key() {
        let key_pem = crate::crypto::tests_data("rsa-pkcs8.key.pem");
        let pkcs8 = crate::crypto::pem::decode(&key_pem).0.unwrap().bytes.to_vec();
        let kp = signature::RsaKeyPair::from_pkcs8(&pkcs8).unwrap();
        let n = kp.public_key().modulus();
        let spki_expected =
            aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(kp.public_key()).unwrap();
        let json = format!(r#"{{"kty":"RSA","n":"{}","e":"AQAB"}}"#, b64u(n.big_endian_without_leading_zero()));
        assert_eq!(pem_der(&call(jwk_public_key_pem, &json).unwrap()), spki_expected.as_ref());
    }

    #[test]
    fn a_private_jwk_is_not_a_public_key_and_vice_versa() {
        let json = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}"#;
        assert!(
            call(jwk_public_key_pem, json)
                .unwrap_err()
                .0
                .starts_with("jwkPublicKeyPem: x509: unsupported public key type")
        );
        let public = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        assert!(call(jwk_private_key_pem, public).is_err());
    }

    #[test]
    fn the_rfc8037_ed25519_example_converts_to_its_known_pkcs8() {
        // RFC 8037 appendix A.1 test key.
        let json = r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        let pem = call(jwk_private_key_pem, json).unwrap();
        assert_eq!(
            pem,
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n-----END PRIVATE KEY-----\n"
        );
    }

    #[test]
    fn unsupported_keys_and_bad_json_fail_without_echoing_input() {
        let err = call(jwk_public_key_pem, r#"{"kty":"oct","k":"c2VjcmV0"}"#).unwrap_err();
        assert_eq!(err.0, "jwkPublicKeyPem: unsupported key type oct");
        let err = call(jwk_public_key_pem, "secret-not-json").unwrap_err();
        assert!(!err.0.contains("secret"));
        assert!(call(jwk_public_key_pem, r#"{"kty":"EC","crv":"P-192","x":"AA","y":"AA"}"#).is_err());
    }
}
