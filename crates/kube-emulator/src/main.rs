//! `kube-emulator --port PORT --kubeconfig PATH`: the emulator standalone, state in memory,
//! until interrupted.

use std::path::PathBuf;
use std::process::ExitCode;

fn usage() -> &'static str {
    "usage: kube-emulator [--port PORT] [--kubeconfig PATH]\n\n  --port PORT        port on 127.0.0.1 (default 6443; 0 picks a free one)\n  --kubeconfig PATH  where to write a kubeconfig for it (default ./kubeconfig)\n"
}

fn parse(args: &[String]) -> Result<(u16, PathBuf), String> {
    let mut port = 6443u16;
    let mut kubeconfig = PathBuf::from("kubeconfig");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) => (f, Some(v.to_string())),
            None => (a.as_str(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next().cloned()).ok_or_else(|| format!("{flag} needs a value"));
        match flag {
            "--port" => port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--kubeconfig" => kubeconfig = PathBuf::from(value()?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok((port, kubeconfig))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (port, kubeconfig) = match parse(&args) {
        Ok(p) => p,
        Err(e) if e.is_empty() => {
            print!("{}", usage());
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprint!("kube-emulator: {e}\n\n{}", usage());
            return ExitCode::from(2);
        }
    };
    let emulator = match kube_emulator::dev_cluster(port, &kubeconfig).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("kube-emulator: cannot start on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "kube-emulator {} serving {} (kubeconfig: {}); Ctrl-C stops it",
        kube_emulator::GIT_VERSION,
        emulator.url().unwrap_or_default(),
        kubeconfig.display()
    );
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
