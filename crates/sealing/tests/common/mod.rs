//! Keys shared by the integration tests, generated once per test binary.
#![allow(dead_code)] // each test binary uses a different subset

use std::sync::OnceLock;

use kubeseal_sealing::{RsaKeySize, RsaPrivateKey, X25519PrivateKey};

/// One RSA key per size the tests use: 2048, 3072 and 4096 bits.
pub fn rsa(size: RsaKeySize) -> &'static RsaPrivateKey {
    static KEYS: OnceLock<Vec<(RsaKeySize, RsaPrivateKey)>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        [RsaKeySize::Rsa2048, RsaKeySize::Rsa3072, RsaKeySize::Rsa4096]
            .into_iter()
            .map(|s| (s, RsaPrivateKey::generate(s).expect("generate RSA key")))
            .collect()
    });
    &keys.iter().find(|(s, _)| *s == size).expect("a size the tests generate").1
}

/// A second 2048-bit key, for "wrong key" cases.
pub fn other_rsa() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate(RsaKeySize::Rsa2048).expect("generate RSA key"))
}

/// An X25519 key and a second one for "wrong key" cases.
pub fn x25519() -> &'static [X25519PrivateKey; 2] {
    static KEYS: OnceLock<[X25519PrivateKey; 2]> = OnceLock::new();
    KEYS.get_or_init(|| [X25519PrivateKey::generate().expect("x25519"), X25519PrivateKey::generate().expect("x25519")])
}

/// Plaintext sizes from empty to 1 MiB, with a pattern that is not all one byte.
pub fn plaintexts() -> Vec<Vec<u8>> {
    [0usize, 1, 64, 1000, 65_536, 1 << 20].into_iter().map(|n| (0..n).map(|i| (i * 31 + 7) as u8).collect()).collect()
}
