//! Benchmarks of the sealing core: v1 (Bitnami) and v2 (HPKE) seal and open, key generation,
//! and opening a v1 value sealed to the oldest key of a 25-key ring with and without a hint.
//!
//! The same run times OpenSSL (PyPI `cryptography`, through `benches/openssl_peer.py`) opening
//! the very values and key of the v1 open benchmark, and prints both side by side. The peer is
//! the Python in `KUBESEAL_PEER_PYTHON`; set it with `eval "$(scripts/install-test-deps)"`.
//! Without it the benchmark stops at once rather than skipping the comparison.
//!
//! Run: `cargo bench -p kubeseal-sealing --bench sealing` (results in `docs/benchmarks.md`).
//! Under `cargo test --benches` every benchmark runs once, the ring shrinks to 3 keys and the
//! peer only checks that it opens the values.

#![forbid(unsafe_code)]

use std::cell::{Cell, OnceCell};
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput};
use kubeseal_sealing::{
    CertificateParams, Fingerprint, KeyRef, KeyRing, Label, RsaKeySize, RsaPrivateKey, Scope, X25519PrivateKey, format,
    generate_sealing_key, open_v1, open_v2, seal_v1, seal_v2,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Value sizes: a typical password or token, and a large value (certificate bundle, config).
const SIZES: [(&str, usize); 2] = [("64B", 64), ("64KiB", 64 * 1024)];
/// About two years of upstream's 30-day key renewal.
const RING_KEYS: usize = 25;
/// Ring size under `cargo test --benches`, where only the code path matters.
const RING_KEYS_TEST: usize = 3;
/// Distinct values sealed to the oldest key of the ring. A wrong key rejects an RSA ciphertext
/// that is numerically at least its modulus before exponentiating, so one fixed ciphertext makes
/// the no-hint time depend on luck; cycling through many gives the expected cost.
const RING_VALUES: usize = 64;
const PEER_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/openssl_peer.py");
const PEER_ENV: &str = "KUBESEAL_PEER_PYTHON";
const INSTALL_HINT: &str = "run `eval \"$(scripts/install-test-deps)\"` in the workspace root \
     (it installs PyPI `cryptography` into a virtualenv and exports KUBESEAL_PEER_PYTHON)";
const DAY: Duration = Duration::from_secs(24 * 3600);

fn main() {
    let started = SystemTime::now();
    let measuring = is_measuring();
    let peer = Peer::from_env();

    let out_dir = criterion_dir();
    let mut c = Criterion::default().output_directory(&out_dir).configure_from_args();

    let label = Scope::Strict.label("bench", "value");
    let rsa = RsaPrivateKey::generate(RsaKeySize::Rsa4096).expect("generate RSA-4096 key");
    let x25519 = X25519PrivateKey::generate().expect("generate X25519 key");
    let values: Vec<Value> = SIZES
        .iter()
        .map(|&(name, len)| {
            let plaintext = plaintext(len);
            Value {
                name,
                v1: seal_v1(rsa.public_key(), &label, &plaintext).expect("seal v1"),
                v2: seal_v2(x25519.public_key(), &label, &plaintext).expect("seal v2"),
                plaintext,
            }
        })
        .collect();

    let mut v1_open_ran = false;
    {
        let mut group = c.benchmark_group("v1_seal");
        for v in &values {
            group.throughput(Throughput::Bytes(v.plaintext.len() as u64));
            group.bench_with_input(BenchmarkId::from_parameter(v.name), v, |b, v| {
                b.iter(|| seal_v1(rsa.public_key(), &label, black_box(&v.plaintext)).unwrap());
            });
        }
        group.finish();
    }
    {
        let mut group = c.benchmark_group("v1_open");
        // 100 samples of a ~1.5 ms operation need about 8 s.
        group.measurement_time(Duration::from_secs(10));
        for v in &values {
            group.throughput(Throughput::Bytes(v.plaintext.len() as u64));
            group.bench_with_input(BenchmarkId::from_parameter(v.name), v, |b, v| {
                v1_open_ran = true;
                check(&open_v1(&rsa, &label, &v.v1).unwrap(), &v.plaintext);
                b.iter(|| open_v1(&rsa, &label, black_box(&v.v1)).unwrap());
            });
        }
        group.finish();
    }

    // Straight after our v1 open, so both see the machine in about the same state.
    let peer_report = if v1_open_ran {
        Some(peer.run(&rsa, &label, &values, measuring))
    } else {
        println!("OpenSSL peer: skipped, the filter excluded every v1_open benchmark");
        None
    };
    match &peer_report {
        Some(report) if measuring => print_comparison(report, &out_dir, started),
        Some(_) => println!("OpenSSL peer: opened both v1 values correctly (not timed)"),
        None => {}
    }

    {
        let mut group = c.benchmark_group("v2_seal");
        for v in &values {
            group.throughput(Throughput::Bytes(v.plaintext.len() as u64));
            group.bench_with_input(BenchmarkId::from_parameter(v.name), v, |b, v| {
                b.iter(|| seal_v2(x25519.public_key(), &label, black_box(&v.plaintext)).unwrap());
            });
        }
        group.finish();
    }
    {
        let mut group = c.benchmark_group("v2_open");
        for v in &values {
            group.throughput(Throughput::Bytes(v.plaintext.len() as u64));
            group.bench_with_input(BenchmarkId::from_parameter(v.name), v, |b, v| {
                check(&open_v2(&x25519, &label, &v.v2).unwrap(), &v.plaintext);
                b.iter(|| open_v2(&x25519, &label, black_box(&v.v2)).unwrap());
            });
        }
        group.finish();
    }
    {
        let mut group = c.benchmark_group("keygen");
        // RSA key generation is a prime search: around a second and highly variable.
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(5));
        group.measurement_time(Duration::from_secs(60));
        let params = CertificateParams::default();
        group.bench_function("rsa4096_cert", |b| {
            b.iter(|| generate_sealing_key(RsaKeySize::Rsa4096, black_box(&params)).unwrap());
        });
        group.sample_size(100);
        group.warm_up_time(Duration::from_secs(3));
        group.measurement_time(Duration::from_secs(5));
        group.bench_function("x25519", |b| {
            b.iter(|| X25519PrivateKey::generate().unwrap());
        });
        group.finish();
    }

    let ring_size = if measuring { RING_KEYS } else { RING_KEYS_TEST };
    // Built on first use, so a filter that skips this group also skips generating the keys.
    let ring_fixture: OnceCell<RingFixture> = OnceCell::new();
    let ring_ops = Cell::new(None);
    {
        let mut group = c.benchmark_group(format!("ring{RING_KEYS}_oldest"));
        // Without a hint one open costs up to 25 RSA decryptions (tens of milliseconds).
        group.sample_size(20);
        group.measurement_time(Duration::from_secs(12));
        let fixture = || {
            ring_fixture.get_or_init(|| {
                let fixture = RingFixture::new(ring_size, &label);
                ring_ops.set(Some(fixture.count_operations(&label)));
                fixture
            })
        };
        group.bench_function("no_hint", |b| {
            let f = fixture();
            let mut values = f.sealed.iter().cycle();
            b.iter(|| f.ring.open(&label, black_box(values.next().unwrap()), None).unwrap());
        });
        group.sample_size(100);
        group.measurement_time(Duration::from_secs(10));
        group.bench_function("hint", |b| {
            let f = fixture();
            let hint = Some(&f.oldest);
            let mut values = f.sealed.iter().cycle();
            b.iter(|| f.ring.open(&label, black_box(values.next().unwrap()), hint).unwrap());
        });
        group.finish();
    }

    c.final_summary();
    if measuring {
        print_summary(&out_dir, started, peer_report.as_ref(), ring_ops.get());
    }
}

/// One benchmark value: its plaintext and the same plaintext sealed both ways.
struct Value {
    name: &'static str,
    plaintext: Vec<u8>,
    v1: Vec<u8>,
    v2: Vec<u8>,
}

/// Deterministic, non-repeating-looking bytes; the content does not affect timing.
fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 131 + i / 251) as u8).collect()
}

fn check(opened: &secrecy::SecretSlice<u8>, expected: &[u8]) {
    assert!(opened.expose_secret() == expected, "opened wrong plaintext");
}

/// Whether criterion is measuring (`cargo bench`) rather than testing or listing.
fn is_measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    has("--bench") && !has("--test") && !has("--list")
}

/// Where criterion writes its estimates: its own default, made explicit so this file can read
/// them back (`$CRITERION_HOME`, else `<target>/criterion`).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("criterion")
}

#[derive(Deserialize)]
struct Estimates {
    mean: Estimate,
    median: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

/// Criterion's estimates (in nanoseconds) for `id`, if it was measured in this run.
fn estimates(out_dir: &Path, id: &str, started: SystemTime) -> Option<Estimates> {
    let path = out_dir.join(id).join("new").join("estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < started {
        return None;
    }
    serde_json::from_slice(&std::fs::read(&path).ok()?).ok()
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn fmt_throughput(bytes: usize, ns: f64) -> String {
    let per_sec = bytes as f64 / (ns / 1e9);
    if per_sec >= 1024.0 * 1024.0 {
        format!("{:.1} MiB/s", per_sec / (1024.0 * 1024.0))
    } else {
        format!("{:.1} KiB/s", per_sec / 1024.0)
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// The 25-key ring and [`RING_VALUES`] distinct 64 B values sealed to its oldest key.
struct RingFixture {
    ring: KeyRing,
    oldest: Fingerprint,
    sealed: Vec<Vec<u8>>,
    plaintext: Vec<u8>,
}

impl RingFixture {
    fn new(size: usize, label: &Label) -> Self {
        eprintln!("ring: generating {size} RSA-4096 keys (once)...");
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let keys: Vec<RsaPrivateKey> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let count = size / threads + usize::from(t < size % threads);
                    s.spawn(move || {
                        (0..count).map(|_| RsaPrivateKey::generate(RsaKeySize::Rsa4096).unwrap()).collect::<Vec<_>>()
                    })
                })
                .collect();
            workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
        });
        // keys[0] is the oldest; the newest was created now, the others a day apart before it.
        let now = SystemTime::now();
        let plaintext = plaintext(64);
        let sealed = (0..RING_VALUES).map(|_| seal_v1(keys[0].public_key(), label, &plaintext).unwrap()).collect();
        let oldest = keys[0].public_key().fingerprint().clone();
        let mut ring = KeyRing::new();
        for (age, key) in keys.into_iter().rev().enumerate() {
            assert!(ring.add_rsa(key, now - DAY * age as u32), "duplicate key");
        }
        assert_eq!(ring.len(), size);
        assert_eq!(
            ring.rsa_keys().last().map(|k| k.public_key().fingerprint()),
            Some(&oldest),
            "the oldest key should be tried last"
        );
        RingFixture { ring, oldest, sealed, plaintext }
    }

    /// Average private-key operations per open, without and with the hint, opening every value
    /// once each way.
    fn count_operations(&self, label: &Label) -> (f64, f64) {
        let average = |hint: Option<&Fingerprint>| {
            let mut total = 0;
            for sealed in &self.sealed {
                let opened = self.ring.open(label, sealed, hint).unwrap();
                assert_eq!(opened.key, KeyRef::Rsa(self.oldest.clone()));
                check(&opened.plaintext, &self.plaintext);
                total += opened.private_key_operations;
            }
            total as f64 / self.sealed.len() as f64
        };
        let without = average(None);
        let with = average(Some(&self.oldest));
        let size = self.ring.len();
        eprintln!(
            "ring of {size}, {} values sealed to the oldest key, each opened once per case: \
             average private-key operations without hint {without:.2}, with hint {with:.2}; \
             without hint, {:.2} of them on average exponentiate (the other wrong keys reject \
             the ciphertext at once as not below their modulus)",
            self.sealed.len(),
            self.full_exponentiations_without_hint()
        );
        assert_eq!(without, size as f64, "without a hint every key is tried");
        assert_eq!(with, 1.0, "with the hint the right key goes first");
        (without, with)
    }
}

impl RingFixture {
    /// Keys whose modulus exceeds the RSA ciphertext, so that trying them costs a full
    /// exponentiation, averaged over the values (every key is tried without a hint).
    fn full_exponentiations_without_hint(&self) -> f64 {
        let moduli: Vec<Vec<u8>> = self.ring.rsa_keys().map(|k| modulus(k.public_key().to_spki_der())).collect();
        let total: usize = self
            .sealed
            .iter()
            .map(|sealed| {
                let ciphertext = &sealed[2..2 + 512];
                moduli.iter().filter(|n| ciphertext < n.as_slice()).count()
            })
            .sum();
        total as f64 / self.sealed.len() as f64
    }
}

/// The RSA modulus of a `SubjectPublicKeyInfo`, big-endian, left-padded to 512 bytes.
fn modulus(spki_der: &[u8]) -> Vec<u8> {
    use der::Decode as _;
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der).unwrap();
    let key: pkcs1::RsaPublicKey<der::asn1::UintRef<'_>> =
        pkcs1::RsaPublicKey::from_der(spki.subject_public_key.as_bytes().unwrap()).unwrap();
    let bytes = key.modulus.as_bytes();
    assert!(bytes.len() <= 512, "not an RSA-4096 modulus");
    let mut padded = vec![0; 512 - bytes.len()];
    padded.extend_from_slice(bytes);
    padded
}

/// The Python `cryptography` (OpenSSL) peer.
struct Peer {
    python: PathBuf,
}

#[derive(Deserialize)]
struct PeerReport {
    cryptography: String,
    openssl: String,
    python: String,
    results: Vec<PeerResult>,
}

#[derive(Deserialize)]
struct PeerResult {
    name: String,
    batches: usize,
    batch_size: usize,
    median_s: f64,
    mean_s: f64,
    min_s: f64,
    max_s: f64,
}

#[derive(Deserialize)]
struct PeerVersions {
    cryptography: String,
    openssl: String,
}

impl Peer {
    /// Finds the peer and checks it starts, before any measuring; panics with how to install it.
    fn from_env() -> Self {
        let python = std::env::var_os(PEER_ENV)
            .unwrap_or_else(|| panic!("{PEER_ENV} is not set; the OpenSSL comparison needs it: {INSTALL_HINT}"));
        let python = PathBuf::from(python);
        let out = Command::new(&python)
            .arg(PEER_SCRIPT)
            .arg("--check")
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {PEER_ENV}={}: {e}; {INSTALL_HINT}", python.display()));
        assert!(out.status.success(), "{PEER_SCRIPT} --check failed ({}); {INSTALL_HINT}", out.status);
        let versions: PeerVersions = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{PEER_SCRIPT} --check printed no version report: {e}"));
        eprintln!(
            "OpenSSL peer: {} (cryptography {}) via {}",
            versions.openssl,
            versions.cryptography,
            python.display()
        );
        Peer { python }
    }

    /// Opens the v1 values with OpenSSL. When not measuring, only checks they open.
    fn run(&self, key: &RsaPrivateKey, label: &Label, values: &[Value], measuring: bool) -> PeerReport {
        let dir = std::env::temp_dir().join(format!("kubeseal-sealing-bench-{}", std::process::id()));
        make_private_dir(&dir);
        let key_path = dir.join("key.pem");
        let pem: SecretString = key.to_pkcs1_pem().expect("encode key as PKCS#1 PEM");
        // A throwaway benchmark key, handed to the peer through a private temporary directory.
        std::fs::write(&key_path, pem.expose_secret()).expect("write key PEM");

        let mut cmd = Command::new(&self.python);
        cmd.arg(PEER_SCRIPT)
            .arg("--key")
            .arg(&key_path)
            .arg("--label")
            .arg(std::str::from_utf8(label.as_bytes()).expect("UTF-8 label"));
        for v in values {
            let sealed = dir.join(format!("sealed-{}.b64", v.name));
            let plain = dir.join(format!("plain-{}.bin", v.name));
            std::fs::write(&sealed, format::encode_base64(&v.v1)).expect("write sealed value");
            std::fs::write(&plain, &v.plaintext).expect("write plaintext");
            cmd.arg("--value").arg(v.name).arg(&sealed).arg(&plain);
        }
        let (batches, batch_size, warmup) = if measuring { (50, 40, 20) } else { (1, 2, 0) };
        cmd.args(["--batches", &batches.to_string()])
            .args(["--batch-size", &batch_size.to_string()])
            .args(["--warmup", &warmup.to_string()]);

        println!(
            "OpenSSL peer: opening the v1 values ({batches} batches of {batch_size}), load average {}",
            load_average()
        );
        let out = cmd.stderr(Stdio::inherit()).output();
        std::fs::remove_dir_all(&dir).expect("remove peer temporary directory");
        let out = out.unwrap_or_else(|e| panic!("cannot run the OpenSSL peer: {e}; {INSTALL_HINT}"));
        assert!(out.status.success(), "the OpenSSL peer failed ({})", out.status);
        serde_json::from_slice(&out.stdout).expect("the OpenSSL peer printed no report")
    }
}

#[cfg(unix)]
fn make_private_dir(dir: &Path) {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new().mode(0o700).create(dir).expect("create peer temporary directory");
}

#[cfg(not(unix))]
fn make_private_dir(dir: &Path) {
    std::fs::create_dir(dir).expect("create peer temporary directory");
}

fn comparison_lines(report: &PeerReport, out_dir: &Path, started: SystemTime) -> String {
    let mut s = String::new();
    writeln!(
        s,
        "v1 open, RSA-4096: kubeseal-rs (aws-lc-rs, criterion median) vs {} \
         (cryptography {}, Python {}, median of per-op batch means)",
        report.openssl, report.cryptography, report.python
    )
    .unwrap();
    for r in &report.results {
        let ours = estimates(out_dir, &format!("v1_open/{}", r.name), started);
        let ours_text = ours.as_ref().map_or("not measured in this run".into(), |e| fmt_ns(e.median.point_estimate));
        let ratio =
            ours.as_ref().map_or("n/a".into(), |e| format!("{:.2}", e.median.point_estimate / (r.median_s * 1e9)));
        writeln!(
            s,
            "  {:<6} ours {:>12} | OpenSSL median {:>10} mean {:>10} (min {}, max {}, {}x{} opens) | ours/OpenSSL {}",
            r.name,
            ours_text,
            fmt_ns(r.median_s * 1e9),
            fmt_ns(r.mean_s * 1e9),
            fmt_ns(r.min_s * 1e9),
            fmt_ns(r.max_s * 1e9),
            r.batches,
            r.batch_size,
            ratio
        )
        .unwrap();
    }
    s
}

fn print_comparison(report: &PeerReport, out_dir: &Path, started: SystemTime) {
    print!("\n{}\n", comparison_lines(report, out_dir, started));
}

/// Every benchmark measured in this run, the OpenSSL comparison again, and the targets.
fn print_summary(out_dir: &Path, started: SystemTime, peer: Option<&PeerReport>, ring_ops: Option<(f64, f64)>) {
    let mut ids: Vec<(String, Option<usize>)> = Vec::new();
    for group in ["v1_seal", "v1_open", "v2_seal", "v2_open"] {
        for (name, len) in SIZES {
            ids.push((format!("{group}/{name}"), Some(len)));
        }
    }
    for id in ["keygen/rsa4096_cert", "keygen/x25519"] {
        ids.push((id.into(), None));
    }
    for id in ["no_hint", "hint"] {
        ids.push((format!("ring{RING_KEYS}_oldest/{id}"), None));
    }

    println!("\n==== summary (criterion estimates from this run) ====");
    println!("{:<26} {:>12} {:>12} {:>14}", "benchmark", "median", "mean", "thrpt (median)");
    for (id, len) in &ids {
        if let Some(e) = estimates(out_dir, id, started) {
            let thrpt = len.map_or(String::new(), |l| fmt_throughput(l, e.median.point_estimate));
            println!(
                "{id:<26} {:>12} {:>12} {thrpt:>14}",
                fmt_ns(e.median.point_estimate),
                fmt_ns(e.mean.point_estimate)
            );
        }
    }
    if let Some(report) = peer {
        print!("\n{}", comparison_lines(report, out_dir, started));
    }

    println!("\n==== targets ====");
    let median = |id: &str| estimates(out_dir, id, started).map(|e| e.median.point_estimate);
    if let Some(report) = peer {
        for r in &report.results {
            if let Some(ours) = median(&format!("v1_open/{}", r.name)) {
                let ratio = ours / (r.median_s * 1e9);
                println!(
                    "v1 open {} no slower than OpenSSL: ours/OpenSSL = {ratio:.2} -> {}",
                    r.name,
                    verdict(ratio <= 1.0)
                );
            }
        }
    }
    for (name, _) in SIZES {
        if let (Some(v1), Some(v2)) = (median(&format!("v1_open/{name}")), median(&format!("v2_open/{name}"))) {
            let speedup = v1 / v2;
            println!("v2 open {name} at least 20x faster than v1 open: {speedup:.1}x -> {}", verdict(speedup >= 20.0));
        }
    }
    if let Some((without, with)) = ring_ops {
        println!(
            "oldest of the ring with hint at most 2 private-key operations on average: \
             {with:.2} (without hint {without:.2}) -> {}",
            verdict(with <= 2.0)
        );
    }
}

fn verdict(holds: bool) -> &'static str {
    if holds { "holds" } else { "DOES NOT HOLD" }
}
