//! Emulator benchmarks (issue 3): create 50,000 objects; LIST 10,000 Secrets; 100 concurrent
//! watchers receiving 10,000 updates; resident memory for 50,000 Secrets of 1 KiB.
//!
//! A bench binary rather than criterion: each scenario is a whole workload that runs a few
//! times, and the memory figure is a single reading. Run with
//! `cargo bench -p kubeseal-kube-emulator --bench emulator`.

use std::time::{Duration, Instant};

use base64::Engine as _;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, ListParams, PostParams, WatchEvent, WatchParams};
use kube::{Client, ResourceExt};
use kube_emulator::{Config, Emulator};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn secret(name: &str, kib: usize) -> Secret {
    let payload = base64::engine::general_purpose::STANDARD.encode(vec![b'x'; kib * 1024]);
    serde_json::from_value(json!({"metadata": {"name": name}, "data": {"payload": payload}})).expect("secret")
}

async fn raw_get(emu: &Emulator, path: &str) -> usize {
    let mut s = tokio::net::TcpStream::connect(emu.addr().expect("listening")).await.expect("connect");
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.expect("read");
    out.len()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    println!(
        "machine: {} cores; {}",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        std::env::consts::ARCH
    );

    // 1. Create 50,000 ConfigMaps through kube-rs, 16 requests in flight.
    let emu = Emulator::start_with(Config { history: 10_000, ..Default::default() }, 0).await.expect("start");
    let client = Client::new(emu.service(), "default");
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let t = Instant::now();
    futures::stream::iter(0..50_000)
        .map(|i| {
            let cms = cms.clone();
            async move {
                let cm: ConfigMap = serde_json::from_value(
                    json!({"metadata": {"name": format!("cm-{i:05}"), "labels": {"bench": "yes"}}, "data": {"k": "v"}}),
                )
                .expect("cm");
                cms.create(&PostParams::default(), &cm).await.expect("create");
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let created = t.elapsed();
    println!(
        "create 50,000 ConfigMaps (kube-rs, in-process, 16 in flight): {:.2} s, {:.0} objects/s",
        created.as_secs_f64(),
        50_000.0 / created.as_secs_f64()
    );
    drop(client);
    drop(emu);

    // 2. LIST 10,000 Secrets of 1 KiB: over HTTP (raw bytes), and through kube-rs (typed).
    let emu = Emulator::start_with(Config { history: 1_000, ..Default::default() }, 0).await.expect("start");
    let client = Client::new(emu.service(), "default");
    let secrets: Api<Secret> = Api::default_namespaced(client.clone());
    futures::stream::iter(0..10_000)
        .map(|i| {
            let secrets = secrets.clone();
            async move { secrets.create(&PostParams::default(), &secret(&format!("s-{i:05}"), 1)).await.expect("create") }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let mut http = Vec::new();
    let mut bytes = 0;
    for _ in 0..10 {
        let t = Instant::now();
        bytes = raw_get(&emu, "/api/v1/namespaces/default/secrets").await;
        http.push(t.elapsed());
    }
    let mut typed = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let list = secrets.list(&ListParams::default()).await.expect("list");
        assert_eq!(list.items.len(), 10_000);
        typed.push(t.elapsed());
    }
    println!(
        "LIST 10,000 Secrets (1 KiB): HTTP median {:.1} ms ({:.1} MiB), kube-rs typed median {:.1} ms (10 runs each)",
        median(http).as_secs_f64() * 1e3,
        bytes as f64 / 1048576.0,
        median(typed).as_secs_f64() * 1e3
    );
    drop(client);
    drop(emu);

    // 3. 100 concurrent watchers, 10,000 updates.
    let emu = Emulator::start_with(Config { history: 20_000, watch_buffer: 20_000, ..Default::default() }, 0)
        .await
        .expect("start");
    let client = Client::new(emu.service(), "default");
    let cms: Api<ConfigMap> = Api::default_namespaced(client.clone());
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "hot"}, "data": {"n": "0"}})).expect("cm");
    let rv = cms.create(&PostParams::default(), &cm).await.expect("create").resource_version().expect("rv");
    let mut watchers = Vec::new();
    for _ in 0..100 {
        let cms = cms.clone();
        let rv = rv.clone();
        watchers.push(tokio::spawn(async move {
            let mut stream = cms.watch(&WatchParams::default().timeout(290), &rv).await.expect("watch").boxed();
            let mut n = 0;
            while let Some(ev) = stream.next().await {
                if let Ok(WatchEvent::Modified(_)) = ev {
                    n += 1;
                    if n == 10_000 {
                        break;
                    }
                }
            }
            n
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = Instant::now();
    for i in 1..=10_000 {
        let patch = kube::api::Patch::Merge(json!({"data": {"n": i.to_string()}}));
        cms.patch("hot", &kube::api::PatchParams::default(), &patch).await.expect("patch");
    }
    let written = t.elapsed();
    let mut total = 0;
    for w in watchers {
        total += w.await.expect("watcher");
    }
    let delivered = t.elapsed();
    println!(
        "100 watchers x 10,000 updates: writes done in {:.2} s, all {} events delivered in {:.2} s ({:.0} events/s)",
        written.as_secs_f64(),
        total,
        delivered.as_secs_f64(),
        total as f64 / delivered.as_secs_f64()
    );
    drop(client);
    drop(emu);

    // 4. Resident memory for 50,000 Secrets of 1 KiB, measured on the standalone binary in its
    // own process (so the client's allocations do not count), filled over HTTP.
    let dir = std::env::temp_dir().join(format!("kube-emulator-bench-{}", std::process::id()));
    let kubeconfig = dir.join("kubeconfig");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kube-emulator"))
        .args(["--port", "0", "--kubeconfig"])
        .arg(&kubeconfig)
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn kube-emulator");
    while !kubeconfig.exists() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pid = child.id().expect("pid");
    let rss_of = |pid: u32| -> u64 {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse().ok())
            })
            .unwrap_or(0)
    };
    let idle = rss_of(pid);
    let kc = kube::config::Kubeconfig::read_from(&kubeconfig).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.expect("config");
    let client = Client::try_from(config).expect("client");
    let secrets: Api<Secret> = Api::default_namespaced(client.clone());
    futures::stream::iter(0..50_000)
        .map(|i| {
            let secrets = secrets.clone();
            async move { secrets.create(&PostParams::default(), &secret(&format!("m-{i:05}"), 1)).await.expect("create") }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let full = rss_of(pid);
    let stored =
        secrets.list(&ListParams::default().limit(1)).await.expect("list").metadata.remaining_item_count.unwrap_or(0)
            + 1;
    println!(
        "resident memory of the kube-emulator process, 50,000 Secrets of 1 KiB: idle {:.1} MiB, filled {:.0} MiB ({} objects), {:.1} KiB per Secret",
        idle as f64 / 1024.0,
        full as f64 / 1024.0,
        stored,
        full.saturating_sub(idle) as f64 / 50_000.0
    );
    let _ = child.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
}
