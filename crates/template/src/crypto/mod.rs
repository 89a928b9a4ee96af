//! The crypto template functions: ESO's own helpers (PEM filtering, certificate chains, PKCS#12,
//! JWK, RSA decryption) and Sprig's crypto functions (bcrypt, htpasswd, derivePassword, AES,
//! key and certificate generation).
//!
//! Conventions shared by every function here:
//!
//! - Arguments come in Go call order; a piped value is the last argument.
//! - Binary inputs (PKCS#12 archives, RSA ciphertext) travel in ESO as Go strings, which are byte
//!   strings. [`Value::String`] is UTF-8, so a binary value that is not valid UTF-8 cannot be held
//!   in one; those functions therefore also accept [`Value::Bytes`]. Callers that build the root
//!   data from raw secret bytes must keep non-UTF-8 values as `Bytes` for these to work.
//! - Binary outputs are base64 text where ESO already returns base64 (`pemToPkcs12*`); a decrypted
//!   value (`rsaDecrypt`) is a `String` when it is valid UTF-8 and `Bytes` otherwise.
//! - Errors name the function and the problem, never key material or values.
//! - Sprig's certificate functions ([`certs`]) return a Go struct with `Cert` and `Key` fields;
//!   here they return a [`Value::Map`] with the keys `Cert` and `Key`, so `.Cert` and `.Key` work
//!   the same.

pub mod certs;
pub mod jwk;
pub mod pem;
pub mod pkcs12;
pub mod rsa;
pub mod sprig;

mod der;

use crate::func::{FuncError, Function};
use crate::value::Value;

/// Every crypto function, by its template name.
pub fn functions() -> Vec<(&'static str, Function)> {
    let mut all = eso_functions();
    all.extend(sprig_functions());
    all
}

/// External Secrets Operator's own functions (engine v2), not in Sprig.
pub fn eso_functions() -> Vec<(&'static str, Function)> {
    vec![
        ("filterPEM", pem::filter_pem as Function),
        ("filterCertChain", pem::filter_cert_chain),
        ("certSANs", pem::cert_sans),
        ("pkcs12key", pkcs12::pkcs12key),
        ("pkcs12keyPass", pkcs12::pkcs12key_pass),
        ("pkcs12cert", pkcs12::pkcs12cert),
        ("pkcs12certPass", pkcs12::pkcs12cert_pass),
        ("pemToPkcs12", pkcs12::pem_to_pkcs12),
        ("pemToPkcs12Pass", pkcs12::pem_to_pkcs12_pass),
        ("fullPemToPkcs12", pkcs12::full_pem_to_pkcs12),
        ("fullPemToPkcs12Pass", pkcs12::full_pem_to_pkcs12_pass),
        ("pemTruststoreToPKCS12", pkcs12::pem_truststore_to_pkcs12),
        ("pemTruststoreToPKCS12Pass", pkcs12::pem_truststore_to_pkcs12_pass),
        ("jwkPublicKeyPem", jwk::jwk_public_key_pem),
        ("jwkPrivateKeyPem", jwk::jwk_private_key_pem),
        ("rsaDecrypt", rsa::rsa_decrypt),
    ]
}

/// Sprig's crypto functions (also in SealedSecret templates).
pub fn sprig_functions() -> Vec<(&'static str, Function)> {
    vec![
        ("bcrypt", sprig::bcrypt as Function),
        ("htpasswd", sprig::htpasswd),
        ("derivePassword", sprig::derive_password),
        ("encryptAES", sprig::encrypt_aes),
        ("decryptAES", sprig::decrypt_aes),
        ("genPrivateKey", sprig::gen_private_key),
        ("genCA", certs::gen_ca),
        ("genCAWithKey", certs::gen_ca_with_key),
        ("genSelfSignedCert", certs::gen_self_signed_cert),
        ("genSelfSignedCertWithKey", certs::gen_self_signed_cert_with_key),
        ("genSignedCert", certs::gen_signed_cert),
        ("genSignedCertWithKey", certs::gen_signed_cert_with_key),
        ("buildCustomCert", certs::build_custom_cert),
    ]
}

/// Fails unless exactly `n` arguments were passed, with Go's wording for a wrong count.
pub(crate) fn arity(name: &str, args: &[Value], n: usize) -> Result<(), FuncError> {
    if args.len() == n {
        Ok(())
    } else {
        Err(FuncError::new(name, format!("wrong number of args: want {n} got {}", args.len())))
    }
}

/// A text argument (Go `string`). Go templates do not convert other kinds to `string`.
pub(crate) fn str_arg<'a>(name: &str, args: &'a [Value], i: usize) -> Result<&'a str, FuncError> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s),
        Some(v) => Err(FuncError::new(name, format!("argument {} must be a string, not {}", i + 1, v.type_name()))),
        None => Err(FuncError::new(name, format!("missing argument {}", i + 1))),
    }
}

/// A byte-string argument: a Go `string` holding raw bytes, as a `String` or as `Bytes`.
pub(crate) fn bytes_arg<'a>(name: &str, args: &'a [Value], i: usize) -> Result<&'a [u8], FuncError> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.as_bytes()),
        Some(Value::Bytes(b)) => Ok(b),
        Some(v) => Err(FuncError::new(name, format!("argument {} must be a string, not {}", i + 1, v.type_name()))),
        None => Err(FuncError::new(name, format!("missing argument {}", i + 1))),
    }
}

/// An integer argument (Go `int`), from any integer kind.
pub(crate) fn int_arg(name: &str, args: &[Value], i: usize) -> Result<i64, FuncError> {
    match args.get(i) {
        Some(Value::Int(n) | Value::Int64(n)) => Ok(*n),
        Some(v) => Err(FuncError::new(name, format!("argument {} must be an int, not {}", i + 1, v.type_name()))),
        None => Err(FuncError::new(name, format!("missing argument {}", i + 1))),
    }
}

/// Bytes a Go function returned as `string(b)`: a `String` when UTF-8, else `Bytes`.
pub(crate) fn go_string(bytes: Vec<u8>) -> Value {
    match String::from_utf8(bytes) {
        Ok(s) => Value::String(s),
        Err(e) => Value::Bytes(e.into_bytes()),
    }
}

/// Fails when an output would be larger than the render allows.
pub(crate) fn check_size(name: &str, env: &crate::func::FuncEnv, len: usize) -> Result<(), FuncError> {
    if len > env.max_bytes {
        Err(FuncError::new(name, format!("result of {len} bytes exceeds the limit of {} bytes", env.max_bytes)))
    } else {
        Ok(())
    }
}

/// A committed test-only fixture from `crates/template/tests/data/crypto/`.
#[cfg(test)]
pub(crate) fn tests_data(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/crypto").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("missing test fixture {}: {e}", path.display()))
}
