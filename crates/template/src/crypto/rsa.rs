//! ESO's `rsaDecrypt scheme hash ciphertext privateKeyPEM`.
//!
//! `scheme` is `None` (the ciphertext is returned unchanged) or `RSA-OAEP`; `hash` picks the OAEP
//! digest (`SHA1`, `SHA256`, `SHA512`; anything else, including `None`, means SHA-256, as in
//! ESO). The key is the first PEM block, read as PKCS#1, PKCS#8 or SEC1 whatever its type; it must
//! be RSA. The ciphertext is binary, so pass it as `Bytes` unless it is valid UTF-8 (usually the
//! template decodes it first, e.g. from base64). The plaintext comes back as a `String` when it is
//! valid UTF-8, else as `Bytes`.

use aws_lc_rs::rsa::{
    OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OAEP_SHA512_MGF1SHA512, OaepPrivateDecryptingKey, PrivateDecryptingKey,
};
use zeroize::Zeroizing;

use super::pkcs12::private_key_pkcs8;
use super::{arity, bytes_arg, go_string, str_arg};
use crate::func::{FuncEnv, FuncError};
use crate::value::Value;

/// `rsaDecrypt scheme hash ciphertext privateKeyPEM`.
pub fn rsa_decrypt(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "rsaDecrypt";
    arity(NAME, args, 4)?;
    let scheme = str_arg(NAME, args, 0)?;
    let hash = str_arg(NAME, args, 1)?;
    let ciphertext = bytes_arg(NAME, args, 2)?;
    let key_pem = bytes_arg(NAME, args, 3)?;
    match scheme {
        "None" => Ok(args[2].clone()),
        "RSA-OAEP" => {
            let pkcs8 = private_key_pkcs8(key_pem).map_err(|e| match e.as_str() {
                "failed to decode PEM block" => FuncError::new(NAME, e),
                _ => FuncError::new(NAME, format!("could not parse private key: {e}")),
            })?;
            let key = PrivateDecryptingKey::from_pkcs8(&pkcs8)
                .ok()
                .and_then(|k| OaepPrivateDecryptingKey::new(k).ok())
                .ok_or_else(|| FuncError::new(NAME, "could not parse RSA private key"))?;
            let alg = match hash {
                "SHA1" => &OAEP_SHA1_MGF1SHA1,
                "SHA512" => &OAEP_SHA512_MGF1SHA512,
                _ => &OAEP_SHA256_MGF1SHA256,
            };
            let mut out = Zeroizing::new(vec![0u8; key.min_output_size()]);
            let n = key
                .decrypt(alg, ciphertext, &mut out, None)
                .map_err(|_| FuncError::new(NAME, "error decrypting data with RSA: crypto/rsa: decryption error"))?
                .len();
            Ok(go_string(out[..n].to_vec()))
        }
        other => Err(FuncError::new(NAME, format!("decryption scheme {other} is not supported"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rsa::OaepPublicEncryptingKey;

    fn encrypt(alg: &'static aws_lc_rs::rsa::OaepAlgorithm, msg: &[u8]) -> Vec<u8> {
        let pem = crate::crypto::tests_data("rsa-pkcs8.key.pem");
        let pkcs8 = crate::crypto::pem::decode(&pem).0.unwrap().bytes.to_vec();
        let pk = PrivateDecryptingKey::from_pkcs8(&pkcs8).unwrap().public_key();
        let enc = OaepPublicEncryptingKey::new(pk).unwrap();
        let mut out = vec![0u8; enc.ciphertext_size()];
        enc.encrypt(alg, msg, &mut out, None).unwrap().to_vec()
    }

    fn call(scheme: &str, hash: &str, ct: Value, key: &str) -> Result<Value, FuncError> {
        rsa_decrypt(&FuncEnv::default(), &[scheme.into(), hash.into(), ct, key.into()])
    }

    fn key(name: &str) -> String {
        String::from_utf8(crate::crypto::tests_data(name)).unwrap()
    }

    #[test]
    fn oaep_sha256_decrypts_with_pkcs8_and_pkcs1_keys() {
        let ct = encrypt(&OAEP_SHA256_MGF1SHA256, b"hello");
        for k in ["rsa-pkcs8.key.pem", "rsa-pkcs1.key.pem"] {
            assert_eq!(call("RSA-OAEP", "SHA256", Value::Bytes(ct.clone()), &key(k)).unwrap(), Value::from("hello"));
            assert_eq!(call("RSA-OAEP", "None", Value::Bytes(ct.clone()), &key(k)).unwrap(), Value::from("hello"));
        }
    }

    #[test]
    fn the_hash_name_selects_sha1_and_sha512() {
        let ct = encrypt(&OAEP_SHA1_MGF1SHA1, &[0xff, 0x00]);
        assert_eq!(
            call("RSA-OAEP", "SHA1", Value::Bytes(ct), &key("rsa-pkcs1.key.pem")).unwrap(),
            Value::Bytes(vec![0xff, 0])
        );
        let ct = encrypt(&OAEP_SHA512_MGF1SHA512, b"x");
        assert_eq!(
            call("RSA-OAEP", "SHA512", Value::Bytes(ct.clone()), &key("rsa-pkcs1.key.pem")).unwrap(),
            Value::from("x")
        );
        let err = call("RSA-OAEP", "SHA256", Value::Bytes(ct), &key("rsa-pkcs1.key.pem")).unwrap_err();
        assert_eq!(err.0, "rsaDecrypt: error decrypting data with RSA: crypto/rsa: decryption error");
    }

    #[test]
    fn scheme_none_passes_the_input_through_and_unknown_schemes_fail() {
        assert_eq!(call("None", "SHA256", Value::from("as is"), "").unwrap(), Value::from("as is"));
        assert_eq!(
            call("PKCS1", "SHA256", Value::from("x"), "").unwrap_err().0,
            "rsaDecrypt: decryption scheme PKCS1 is not supported"
        );
    }

    #[test]
    fn a_non_rsa_key_is_refused() {
        let err = call("RSA-OAEP", "SHA256", Value::Bytes(vec![1]), &key("ec-sec1.key.pem")).unwrap_err();
        assert_eq!(err.0, "rsaDecrypt: could not parse RSA private key");
        let err = call("RSA-OAEP", "SHA256", Value::Bytes(vec![1]), "no pem").unwrap_err();
        assert_eq!(err.0, "rsaDecrypt: failed to decode PEM block");
    }
}
