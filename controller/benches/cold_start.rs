//! Cold start: 10,000 SealedSecrets (one 64-byte value each) already in the emulator, then the
//! `kubeseal-controller` binary starts. Measures the time until all 10,000 Secrets exist and the
//! controller's peak resident memory (VmHWM), for a v1 run and a v2 run, and in the same run the
//! physical bound: 10,000 × one single-core open of the same envelope / cores.
//!
//! `cargo bench -p kubeseal-controller --bench cold_start` (release build). Environment:
//! `COLD_START_OBJECTS` (default 10000), `COLD_START_KEY_BITS` (default 4096),
//! `COLD_START_ENVELOPES` (default `v1,v2`).
//!
//! The emulator runs in this process and the controller in a child process on the same
//! machine, so both share the cores: the API server's work is part of what is measured, as it is
//! on a real control plane (there, on other machines).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use kube::Client;
use kube::api::{Api, PostParams};
use kube_emulator::{Config, Emulator};
use kubeseal_controller::keys::{GeneratedKey, KeySecretOptions, encode};
use kubeseal_crds::k8s::{ObjectMeta, Secret};
use kubeseal_crds::{SealedSecret, SealedSecretSpec};
use kubeseal_sealing::{CertificateParams, Recipient, RsaKeySize, Scope, open_v1, open_v2};

const NS: &str = "default";
const CONTROLLER_NS: &str = "kube-system";

fn main() {
    let objects: usize = std::env::var("COLD_START_OBJECTS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let bits: usize = std::env::var("COLD_START_KEY_BITS").ok().and_then(|v| v.parse().ok()).unwrap_or(4096);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let size = RsaKeySize::from_bits(bits).expect("key size");
    println!("cold start: {objects} SealedSecrets, RSA-{bits}, {cores} cores");
    let key = GeneratedKey::generate(size, &CertificateParams { not_before: SystemTime::now(), ..Default::default() })
        .expect("key");
    let envelopes = std::env::var("COLD_START_ENVELOPES").unwrap_or_else(|_| "v1,v2".into());
    for envelope in envelopes.split(',').filter(|e| matches!(*e, "v1" | "v2")) {
        runtime.block_on(run(&key, envelope, objects, cores));
    }
}

async fn run(key: &GeneratedKey, envelope: &str, objects: usize, cores: usize) {
    let emu = Emulator::start_with(Config::default(), 0).await.expect("emulator");
    let client = Client::new(emu.service(), "default");
    let dir = std::env::temp_dir().join(format!("kubeseal-cold-start-{}-{envelope}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let kubeconfig = dir.join("kubeconfig");
    emu.write_kubeconfig(&kubeconfig).expect("kubeconfig");

    let crds: Api<kubeseal_crds::k8s::CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &kubeseal_crds::sealed_secret::crd()).await.expect("crd");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let key_secret = encode(key, &KeySecretOptions::new(CONTROLLER_NS)).expect("key secret");
    Api::<Secret>::namespaced(client.clone(), CONTROLLER_NS)
        .create(&PostParams::default(), &key_secret)
        .await
        .expect("key secret");

    // The physical bound: one open of this envelope on one core, times the objects, over cores.
    let label = Scope::Strict.label(NS, "s0");
    let value = [7u8; 64];
    let sealed = match envelope {
        "v1" => Recipient::V1(key.rsa.public_key()).seal(&label, &value).expect("seal"),
        _ => Recipient::V2(key.x25519.public_key()).seal(&label, &value).expect("seal"),
    };
    let samples = if envelope == "v1" { 200 } else { 5_000 };
    let started = Instant::now();
    for _ in 0..samples {
        let opened = match envelope {
            "v1" => open_v1(&key.rsa, &label, &sealed),
            _ => open_v2(&key.x25519, &label, &sealed),
        };
        std::hint::black_box(opened.expect("open"));
    }
    let one_open = started.elapsed() / samples;
    let bound = one_open * objects as u32 / cores as u32;

    let api: Api<SealedSecret> = Api::namespaced(client.clone(), NS);
    for i in 0..objects {
        let name = format!("s{i}");
        let label = Scope::Strict.label(NS, &name);
        let recipient = match envelope {
            "v1" => Recipient::V1(key.rsa.public_key()),
            _ => Recipient::V2(key.x25519.public_key()),
        };
        let text = recipient.seal_base64(&label, &value).expect("seal");
        let mut ss = SealedSecret::new(
            &name,
            SealedSecretSpec { encrypted_data: [("value".to_string(), text)].into(), ..Default::default() },
        );
        ss.metadata.namespace = Some(NS.into());
        ss.spec.template.metadata =
            Some(ObjectMeta { name: Some(name.clone()), namespace: Some(NS.into()), ..Default::default() });
        api.create(&PostParams::default(), &ss).await.expect("create SealedSecret");
    }

    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubeseal-controller"))
        .arg("--listen-addr=127.0.0.1:0")
        .arg("--listen-metrics-addr=127.0.0.1:0")
        .arg("--log-level=WARN")
        .env("KUBECONFIG", &kubeconfig)
        .env("POD_NAMESPACE", CONTROLLER_NS)
        .env("POD_NAME", "bench")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start kubeseal-controller");
    let pid = child.id();
    let secrets_before = emu.count("", "secrets");
    let mut peak_kib = 0;
    loop {
        peak_kib = peak_kib.max(vm_hwm_kib(pid));
        if emu.count("", "secrets") >= secrets_before + objects {
            break;
        }
        if started.elapsed() > Duration::from_secs(1800) {
            panic!("not done after 30 minutes");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    peak_kib = peak_kib.max(vm_hwm_kib(pid));
    let _ = child.kill();
    let _ = child.wait();
    println!(
        "{envelope}: {objects} Secrets in {:.2} s ({:.0}/s); peak RSS {:.1} MiB; one open {:.1} µs; \
         physical bound {:.2} s; ratio {:.2}x",
        elapsed.as_secs_f64(),
        objects as f64 / elapsed.as_secs_f64(),
        peak_kib as f64 / 1024.0,
        one_open.as_secs_f64() * 1e6,
        bound.as_secs_f64(),
        elapsed.as_secs_f64() / bound.as_secs_f64(),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Peak resident set size of `pid` in KiB (Linux `VmHWM`); 0 when unavailable.
fn vm_hwm_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}
