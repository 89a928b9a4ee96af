//! Whole-process time to seal one Secret manifest with three values from `--cert`, for
//! `kubeseal-rs` and, side by side in the same run on the same input, the Python peers
//! (`benches/peer_seal.py`: PyPI kubesealpy, and the v1 envelope written with PyPI
//! cryptography). Every output is checked to be a SealedSecret with three values.
//!
//! `eval "$(scripts/install-test-deps)" && cargo bench -p kubeseal-cli --bench seal_process`
//! (`SEAL_PROCESS_RUNS`, default 50 per tool). The certificate is RSA-4096, as the controller's.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use kubeseal_sealing::{Certificate, CertificateParams, RsaKeySize, RsaPrivateKey};

const SECRET: &str = "apiVersion: v1
kind: Secret
metadata:
  name: db-credentials
  namespace: payments
type: Opaque
data:
  username: YWRtaW4=
  password: czNjcmV0LXBhc3N3b3JkLTEyMw==
  url: cG9zdGdyZXM6Ly9kYi5wYXltZW50cy5zdmM6NTQzMi9hcHA=
";

fn main() {
    let runs: usize = std::env::var("SEAL_PROCESS_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let python = std::env::var("KUBESEAL_PEER_PYTHON")
        .expect("KUBESEAL_PEER_PYTHON is not set: run `eval \"$(scripts/install-test-deps)\"` first");
    let dir = std::env::temp_dir().join(format!("kubeseal-seal-process-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let key = RsaPrivateKey::generate(RsaKeySize::Rsa4096).expect("key");
    let cert =
        Certificate::self_signed(&key, &CertificateParams { not_before: SystemTime::now(), ..Default::default() })
            .expect("cert");
    let cert_path = dir.join("cert.pem");
    std::fs::write(&cert_path, cert.to_pem()).expect("cert");
    let cert_arg = cert_path.to_str().expect("utf-8 path").to_string();
    let peer = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer_seal.py");
    let peer = peer.to_str().expect("utf-8 path").to_string();

    let tools: Vec<(&str, Vec<String>)> = vec![
        (
            "kubeseal-rs",
            vec![
                env!("CARGO_BIN_EXE_kubeseal-rs").into(),
                "--cert".into(),
                cert_arg.clone(),
                "-o".into(),
                "yaml".into(),
            ],
        ),
        ("python kubesealpy 1.0.1", vec![python.clone(), peer.clone(), "kubesealpy".into(), cert_arg.clone()]),
        ("python cryptography (OpenSSL)", vec![python.clone(), peer.clone(), "cryptography".into(), cert_arg.clone()]),
    ];
    println!("seal one Secret with 3 values from --cert (RSA-4096), whole process, {runs} runs each, interleaved");
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); tools.len()];
    // One warm-up each (page cache, Python bytecode), then interleaved runs so that any drift in
    // the machine's load hits every tool alike.
    for (_, argv) in &tools {
        run(argv);
    }
    for _ in 0..runs {
        for (i, (_, argv)) in tools.iter().enumerate() {
            times[i].push(run(argv));
        }
    }
    println!("{:<32} {:>10} {:>10} {:>10}", "tool", "median", "p10", "p90");
    let mut medians = Vec::new();
    for ((name, _), mut t) in tools.iter().zip(times) {
        t.sort();
        let pct = |p: usize| t[(t.len() - 1) * p / 100].as_secs_f64() * 1e3;
        medians.push(pct(50));
        println!("{name:<32} {:>8.2}ms {:>8.2}ms {:>8.2}ms", pct(50), pct(10), pct(90));
    }
    for (i, (name, _)) in tools.iter().enumerate().skip(1) {
        println!("{name}: {:.1}x the time of kubeseal-rs", medians[i] / medians[0]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `argv` with the Secret on stdin; checks the output; returns the wall time.
fn run(argv: &[String]) -> Duration {
    let started = Instant::now();
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(SECRET.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{argv:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("SealedSecret"), "{argv:?}: not a SealedSecret:\n{text}");
    for key in ["username", "password", "url"] {
        assert!(text.contains(key), "{argv:?}: {key} missing:\n{text}");
    }
    elapsed
}
