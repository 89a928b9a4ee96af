//! Sprig's crypto functions: `bcrypt`, `htpasswd`, `derivePassword`, `encryptAES`/`decryptAES`
//! and `genPrivateKey`.
//!
//! Sprig reports some failures as the function's *output* rather than as an error (`genPrivateKey
//! "x"` renders `Unknown type x`, `derivePassword` with an unknown template renders `cannot find
//! password template ...`, `bcrypt` of a too-long password renders `failed to encrypt string with
//! bcrypt: ...`); these functions do the same so rendered Secrets match. The exception is DSA:
//! `genPrivateKey "dsa"` is refused with an error (DSA is obsolete and unsupported here).
//!
//! The certificate functions (`genCA`, `genSignedCert`, ...) are in [`super::certs`].

use aws_lc_rs::cipher::{AES_256, DecryptingKey, DecryptionContext, PaddedBlockEncryptingKey, UnboundCipherKey};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::iv::FixedLength;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::pem::encode_plain;
use super::{arity, bytes_arg, der, go_string, int_arg, str_arg};
use crate::func::{FuncEnv, FuncError};
use crate::value::Value;

/// Go's `bcrypt.DefaultCost`.
const BCRYPT_COST: u32 = 10;

fn bcrypt_string(password: &[u8]) -> String {
    if password.len() > 72 {
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes".into();
    }
    match ::bcrypt::hash_with_result(password, BCRYPT_COST) {
        Ok(h) => h.format_for_version(::bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

/// `bcrypt input`: a `$2a$10$` bcrypt hash of `input`.
pub fn bcrypt(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("bcrypt", args, 1)?;
    Ok(Value::String(bcrypt_string(bytes_arg("bcrypt", args, 0)?)))
}

/// `htpasswd user password`: an Apache `user:bcrypt-hash` line.
pub fn htpasswd(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "htpasswd";
    arity(NAME, args, 2)?;
    let user = str_arg(NAME, args, 0)?;
    if user.contains(':') {
        return Ok(Value::String(format!("invalid username: {user}")));
    }
    Ok(Value::String(format!("{user}:{}", bcrypt_string(bytes_arg(NAME, args, 1)?))))
}

const MASTER_PASSWORD_SEED: &[u8] = b"com.lyndir.masterpassword";

fn templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn template_chars(c: u8) -> &'static [u8] {
    match c {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

/// `derivePassword counter type password user site`: the Master Password algorithm (scrypt
/// N=32768, r=8, p=2 over the user, then HMAC-SHA-256 over the site and counter).
pub fn derive_password(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "derivePassword";
    arity(NAME, args, 5)?;
    let counter =
        u32::try_from(int_arg(NAME, args, 0)?).map_err(|_| FuncError::new(NAME, "counter must fit in uint32"))?;
    let kind = str_arg(NAME, args, 1)?;
    let password = bytes_arg(NAME, args, 2)?;
    let user = bytes_arg(NAME, args, 3)?;
    let site = bytes_arg(NAME, args, 4)?;
    let Some(templates) = templates(kind) else {
        return Ok(Value::String(format!("cannot find password template {kind}")));
    };
    let len32 =
        |b: &[u8]| u32::try_from(b.len()).map(u32::to_be_bytes).map_err(|_| FuncError::new(NAME, "input too long"));
    let mut salt = MASTER_PASSWORD_SEED.to_vec();
    salt.extend_from_slice(&len32(user)?);
    salt.extend_from_slice(user);
    let params = scrypt::Params::new(15, 8, 2, 64)
        .map_err(|e| FuncError::new(NAME, format!("failed to derive password: {e}")))?;
    let mut key = Zeroizing::new([0u8; 64]);
    scrypt::scrypt(password, &salt, &params, key.as_mut_slice())
        .map_err(|e| FuncError::new(NAME, format!("failed to derive password: {e}")))?;
    let mut msg = MASTER_PASSWORD_SEED.to_vec();
    msg.extend_from_slice(&len32(site)?);
    msg.extend_from_slice(site);
    msg.extend_from_slice(&counter.to_be_bytes());
    let seed = aws_lc_rs::hmac::sign(&aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key.as_slice()), &msg);
    let seed = seed.as_ref();
    let template = templates[usize::from(seed[0]) % templates.len()].as_bytes();
    let out: String = template
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let chars = template_chars(*c);
            char::from(chars[usize::from(seed[i + 1]) % chars.len()])
        })
        .collect();
    Ok(Value::String(out))
}

/// Sprig's AES key: the password's bytes, zero-padded or truncated to 32.
fn aes_key(password: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut key = Zeroizing::new([0u8; 32]);
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password[..n]);
    key
}

/// `encryptAES password plaintext`: base64 of a random IV followed by AES-256-CBC (PKCS#7
/// padding) of `plaintext`; an empty plaintext gives an empty string.
pub fn encrypt_aes(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "encryptAES";
    arity(NAME, args, 2)?;
    let key = aes_key(bytes_arg(NAME, args, 0)?);
    let plaintext = bytes_arg(NAME, args, 1)?;
    if plaintext.is_empty() {
        return Ok(Value::String(String::new()));
    }
    let fail = |_| FuncError::new(NAME, "encryption failed");
    let cipher = PaddedBlockEncryptingKey::cbc_pkcs7(UnboundCipherKey::new(&AES_256, key.as_slice()).map_err(fail)?)
        .map_err(fail)?;
    let mut buf = plaintext.to_vec();
    let ctx = cipher.encrypt(&mut buf).map_err(fail)?;
    let iv: &[u8] = (&ctx).try_into().map_err(fail)?;
    let mut out = iv.to_vec();
    out.extend_from_slice(&buf);
    Ok(Value::String(STANDARD.encode(out)))
}

/// `decryptAES password base64`: the inverse of `encryptAES`. Like Sprig, the padding is removed
/// by its last byte without further checks; an impossible length is an error.
pub fn decrypt_aes(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "decryptAES";
    arity(NAME, args, 2)?;
    let key = aes_key(bytes_arg(NAME, args, 0)?);
    let input = bytes_arg(NAME, args, 1)?;
    if input.is_empty() {
        return Ok(Value::String(String::new()));
    }
    let crypt = STANDARD.decode(input).map_err(|_| FuncError::new(NAME, "illegal base64 data"))?;
    if crypt.len() < 16 || crypt.len() % 16 != 0 {
        return Err(FuncError::new(NAME, "ciphertext is not a whole number of AES blocks after the IV"));
    }
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&crypt[..16]);
    let mut buf = Zeroizing::new(crypt[16..].to_vec());
    let fail = |_| FuncError::new(NAME, "decryption failed");
    let cipher = DecryptingKey::cbc(UnboundCipherKey::new(&AES_256, key.as_slice()).map_err(fail)?).map_err(fail)?;
    let plain = cipher.decrypt(&mut buf, DecryptionContext::Iv128(FixedLength::from(iv))).map_err(fail)?;
    let pad = usize::from(plain.last().copied().unwrap_or(0));
    if pad > plain.len() {
        return Err(FuncError::new(NAME, "invalid padding"));
    }
    let end = plain.len() - pad;
    Ok(go_string(plain[..end].to_vec()))
}

/// `genPrivateKey type`: a new key as PEM: `rsa` (or empty) 4096-bit PKCS#1 `RSA PRIVATE KEY`,
/// `ecdsa` P-256 SEC1 `EC PRIVATE KEY`, `ed25519` PKCS#8 `PRIVATE KEY`.
pub fn gen_private_key(_env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    const NAME: &str = "genPrivateKey";
    arity(NAME, args, 1)?;
    let fail = |_| FuncError::new(NAME, "failed to generate private key");
    let pem = match str_arg(NAME, args, 0)? {
        "" | "rsa" => {
            let kp = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa4096).map_err(fail)?;
            let pkcs8 = AsDer::<Pkcs8V1Der>::as_der(&kp).map_err(fail)?;
            encode_plain(
                "RSA PRIVATE KEY",
                &pkcs8_inner(pkcs8.as_ref()).ok_or_else(|| FuncError::new(NAME, "failed to generate private key"))?,
            )
        }
        "ecdsa" => {
            let kp =
                aws_lc_rs::signature::EcdsaKeyPair::generate(&aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING)
                    .map_err(fail)?;
            let sec1 = AsDer::<aws_lc_rs::encoding::EcPrivateKeyRfc5915Der>::as_der(&kp.private_key()).map_err(fail)?;
            encode_plain("EC PRIVATE KEY", sec1.as_ref())
        }
        "ed25519" => {
            let kp = aws_lc_rs::signature::Ed25519KeyPair::generate().map_err(fail)?;
            encode_plain("PRIVATE KEY", kp.to_pkcs8v1().map_err(fail)?.as_ref())
        }
        "dsa" => {
            return Err(FuncError::new(
                NAME,
                "dsa keys are not supported (DSA is obsolete); use rsa, ecdsa or ed25519",
            ));
        }
        other => return Ok(Value::String(format!("Unknown type {other}"))),
    };
    Ok(Value::String(pem.to_string()))
}

/// The `privateKey` octets of a PKCS#8 structure (for RSA: the PKCS#1 key).
pub(super) fn pkcs8_inner(pkcs8: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let (0x30, body, _) = der::read(pkcs8)? else { return None };
    let (_, _, rest) = der::read(body)?;
    let (_, _, rest) = der::read(rest)?;
    let (0x04, key, _) = der::read(rest)? else { return None };
    Some(Zeroizing::new(key.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: crate::func::Function, args: Vec<Value>) -> Result<Value, FuncError> {
        f(&FuncEnv::default(), &args)
    }

    fn s(v: Value) -> String {
        match v {
            Value::String(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    #[test]
    fn bcrypt_hashes_verify_and_use_go_prefix_and_cost() {
        let h = s(call(bcrypt, vec!["password".into()]).unwrap());
        assert!(h.starts_with("$2a$10$"), "{h}");
        assert!(::bcrypt::verify("password", &h).unwrap());
        let long = "x".repeat(73);
        assert!(s(call(bcrypt, vec![long.into()]).unwrap()).starts_with("failed to encrypt string with bcrypt"));
    }

    #[test]
    fn htpasswd_prefixes_the_user_and_refuses_colons_in_its_output() {
        let line = s(call(htpasswd, vec!["admin".into(), "pw".into()]).unwrap());
        let (user, hash) = line.split_once(':').unwrap();
        assert_eq!(user, "admin");
        assert!(::bcrypt::verify("pw", hash).unwrap());
        assert_eq!(s(call(htpasswd, vec!["a:b".into(), "pw".into()]).unwrap()), "invalid username: a:b");
    }

    #[test]
    fn derive_password_matches_the_sprig_documentation_example() {
        // Sprig's docs: derivePassword 1 "long" "password" "user" "example.com" => "ZedaFaxcZaso9*"
        let v = call(
            derive_password,
            vec![Value::Int(1), "long".into(), "password".into(), "user".into(), "example.com".into()],
        );
        assert_eq!(s(v.unwrap()), "ZedaFaxcZaso9*");
        let v = call(derive_password, vec![Value::Int(1), "nope".into(), "p".into(), "u".into(), "s".into()]);
        assert_eq!(s(v.unwrap()), "cannot find password template nope");
    }

    #[test]
    fn encrypt_aes_round_trips_and_uses_a_fresh_iv() {
        let a = s(call(encrypt_aes, vec!["secretkey".into(), "plaintext".into()]).unwrap());
        let b = s(call(encrypt_aes, vec!["secretkey".into(), "plaintext".into()]).unwrap());
        assert_ne!(a, b);
        assert_eq!(STANDARD.decode(&a).unwrap().len(), 32);
        assert_eq!(s(call(decrypt_aes, vec!["secretkey".into(), a.into()]).unwrap()), "plaintext");
        assert_eq!(s(call(encrypt_aes, vec!["k".into(), "".into()]).unwrap()), "");
        assert_eq!(s(call(decrypt_aes, vec!["k".into(), "".into()]).unwrap()), "");
    }

    #[test]
    fn decrypt_aes_reads_a_known_sprig_ciphertext() {
        // Built independently with openssl: key "secretkey" zero-padded to 32 bytes, IV 0..15.
        let out = std::process::Command::new("openssl")
            .args(["enc", "-aes-256-cbc", "-K", &format!("{:0<64}", "7365637265746b6579")])
            .args(["-iv", "000102030405060708090a0b0c0d0e0f"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write as _;
                c.stdin.take().unwrap().write_all(b"plaintext")?;
                c.wait_with_output()
            });
        let Ok(out) = out else { return };
        let mut data: Vec<u8> = (0u8..16).collect();
        data.extend_from_slice(&out.stdout);
        let b64 = STANDARD.encode(data);
        assert_eq!(s(call(decrypt_aes, vec!["secretkey".into(), b64.into()]).unwrap()), "plaintext");
        assert!(call(decrypt_aes, vec!["k".into(), "AAAA".into()]).is_err());
    }

    #[test]
    fn gen_private_key_emits_sprig_pem_types_and_refuses_dsa() {
        let ec = s(call(gen_private_key, vec!["ecdsa".into()]).unwrap());
        assert!(ec.starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
        assert!(crate::crypto::pkcs12::private_key_pkcs8(ec.as_bytes()).is_ok());
        let ed = s(call(gen_private_key, vec!["ed25519".into()]).unwrap());
        assert!(ed.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let rsa = s(call(gen_private_key, vec!["rsa".into()]).unwrap());
        assert!(rsa.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        assert!(crate::crypto::pkcs12::private_key_pkcs8(rsa.as_bytes()).is_ok());
        assert!(call(gen_private_key, vec!["dsa".into()]).unwrap_err().0.contains("dsa keys are not supported"));
        assert_eq!(s(call(gen_private_key, vec!["foo".into()]).unwrap()), "Unknown type foo");
    }
}
