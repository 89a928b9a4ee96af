//! `kubeseal-rs`: a drop-in replacement for Bitnami's `kubeseal`.
//!
//! Same flags, same output bytes apart from the ciphertext, and sealing with `--cert` never
//! touches the network. `main` parses the flags, runs one mode, and writes the result only once
//! it is complete; errors print as `error: <message>` with exit status 1.

#![forbid(unsafe_code)]

mod args;
mod cert;
mod cluster;
mod completions;
mod controller_api;
mod input;
mod merge;
mod output;
mod output_file;
mod recover;
mod reencrypt_dir;
mod seal;

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use kubeseal_sealing::{Recipient, Scope};

use crate::args::{Args, Command};
use crate::cluster::ClusterOptions;
use crate::output::Format;

fn main() -> ExitCode {
    let mut args = Args::parse();
    controller_api::in_place_output(&mut args);
    if args.version {
        println!("kubeseal version: {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow!("cannot start the runtime: {e}"))
        .and_then(|runtime| runtime.block_on(run(&args)))
        .and_then(|out| emit(&args, &out));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the finished output: to `-w` through a temporary file and a rename, or to stdout,
/// where a closed pipe (`| head`) is not an error.
fn emit(args: &Args, out: &[u8]) -> Result<()> {
    if args.sealed_secret_file.is_empty() {
        let mut stdout = std::io::stdout().lock();
        return match stdout.write_all(out).and_then(|()| stdout.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(anyhow!("cannot write to stdout: {e}")),
            _ => Ok(()),
        };
    }
    let path = Path::new(&args.sealed_secret_file);
    // Recovered Secrets are plaintext: only the owner may read them.
    let mode = if args.recovery_unseal { output_file::Mode::Private } else { output_file::Mode::KeepOrPublic };
    output_file::replace(path, out, mode).map_err(|e| anyhow!("cannot write {}: {e}", path.display()))
}

/// The output format: `-o`, except that a `-w` file named `*.yaml`/`*.yml` is always YAML.
fn output_format(args: &Args) -> Result<Format> {
    let ext = Path::new(&args.sealed_secret_file).extension().and_then(|e| e.to_str()).unwrap_or_default();
    if matches!(ext, "yaml" | "yml") {
        return Ok(Format::Yaml);
    }
    Format::parse(&args.format)
}

fn cluster_options(args: &Args) -> ClusterOptions {
    let connection = cluster::Connection {
        server: args.server.clone(),
        token: args.token.clone(),
        impersonate: args.impersonate.clone(),
        impersonate_groups: args.impersonate_groups.clone(),
        certificate_authority: args.certificate_authority.clone(),
        client_certificate: args.client_certificate.clone(),
        client_key: args.client_key.clone(),
        insecure_skip_tls_verify: args.insecure_skip_tls_verify,
        tls_server_name: args.tls_server_name.clone(),
        // Validated in `run` before any mode starts.
        request_timeout: cluster::parse_request_timeout(&args.request_timeout).unwrap_or(None),
        username: args.username.clone(),
        password: args.password.clone(),
        verbosity: args.verbosity,
    };
    ClusterOptions {
        connection,
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        cluster: args.cluster.clone(),
        user: args.user.clone(),
        namespace: args.namespace.clone(),
        controller_name: args.controller_name.clone(),
        controller_namespace: args.controller_namespace.clone(),
    }
}

/// Runs the selected mode, in upstream's precedence, and returns the bytes to write.
async fn run(args: &Args) -> Result<Vec<u8>> {
    match &args.command {
        Some(Command::Completions(c)) => return Ok(completions::script(c.shell)),
        Some(Command::ReencryptDir(d)) => return reencrypt_dir::run(d, &cluster_options(args)).await,
        None => {}
    }
    cluster::parse_request_timeout(&args.request_timeout)?;
    if !args.from_file.is_empty() && !args.raw {
        bail!("--from-file can only be used with --raw");
    }
    if !args.recovery_private_key.is_empty() && !args.recovery_unseal && std::io::stderr().is_terminal() {
        eprintln!("warning: --recovery-private-key has no effect without --recovery-unseal");
    }
    if args.recovery_unseal {
        let format = output_format(args)?;
        let keys = recover::load_keys(&args.recovery_private_key)?;
        let (text, source) = read_input(&args.secret_file)?;
        return recover::unseal_documents(&text, &source, &keys, format);
    }
    if args.validate {
        return controller_api::validate(args, &cluster_options(args)).await;
    }
    if args.re_encrypt || args.rotate {
        return controller_api::re_encrypt(args, output_format(args)?, &cluster_options(args)).await;
    }
    let scope: Scope = args.scope.parse()?;
    let format = output_format(args)?;
    let cluster = cluster_options(args);
    let v2 = args.envelope == "v2";
    if args.fetch_cert {
        return cert::fetch(&args.cert, v2, args.v2_key.as_deref(), &cluster).await;
    }
    if !args.merge_into.is_empty() {
        return merge::merge_into(args, scope, format, v2, &cluster).await.map(|()| Vec::new());
    }
    if args.raw {
        return raw(args, scope, v2, &cluster).await;
    }
    seal_documents(args, scope, format, v2, &cluster).await
}

/// The key material to seal with, fetched and checked.
enum Key {
    V1(kubeseal_sealing::Certificate),
    V2(kubeseal_sealing::X25519PublicKey),
}

impl Key {
    async fn load(args: &Args, v2: bool, cluster: &ClusterOptions) -> Result<Self> {
        let bytes = cert::fetch(&args.cert, v2, args.v2_key.as_deref(), cluster).await?;
        if v2 {
            return cert::parse_v2_key(&bytes).map(Key::V2);
        }
        cert::parse_certificate(&bytes, SystemTime::now()).map(Key::V1)
    }

    fn recipient(&self) -> Recipient<'_> {
        match self {
            Key::V1(cert) => Recipient::V1(cert.public_key()),
            Key::V2(key) => Recipient::V2(key),
        }
    }
}

/// Reads all of `-f` or stdin; returns the bytes and how to name the input in errors.
fn read_input(path: &str) -> Result<(Vec<u8>, String)> {
    if !path.is_empty() {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read input file {path:?}"))?;
        return Ok((bytes, path.to_owned()));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("(reading from the terminal: type or paste the input, then press Ctrl-D)");
    }
    let mut bytes = Vec::new();
    stdin.lock().read_to_end(&mut bytes).context("cannot read standard input")?;
    Ok((bytes, "stdin".to_owned()))
}

/// Default mode: seal every Secret of the input.
async fn seal_documents(
    args: &Args,
    scope: Scope,
    format: Format,
    v2: bool,
    cluster: &ClusterOptions,
) -> Result<Vec<u8>> {
    let (text, source) = read_input(&args.secret_file)?;
    let mut secrets = input::read_secrets(&text, &source)?;
    let scopes: Vec<Scope> = secrets.iter_mut().map(|s| seal::apply_scope(s, scope)).collect();
    let namespace =
        if scopes.iter().any(|s| *s != Scope::ClusterWide) { Some(cluster.client_namespace()?) } else { None };
    let key = Key::load(args, v2, cluster).await?;
    let mut out = String::new();
    let count = secrets.len();
    for (i, secret) in secrets.into_iter().enumerate() {
        let sealed =
            seal::seal_secret(secret, namespace.as_ref(), args.allow_empty_data, key.recipient()).map_err(|e| {
                if count > 1 { anyhow!("{source}: document {}: {e:#}", i + 1) } else { anyhow!("{source}: {e:#}") }
            })?;
        format.write_document(&output::sealed_secret(&sealed), &mut out);
    }
    Ok(out.into_bytes())
}

/// `--raw`: seal one value, print its base64 without a newline.
async fn raw(args: &Args, scope: Scope, v2: bool, cluster: &ClusterOptions) -> Result<Vec<u8>> {
    let namespace = if scope == Scope::ClusterWide { String::new() } else { cluster.client_namespace()?.name };
    if scope != Scope::ClusterWide && namespace.is_empty() {
        bail!("must provide the --namespace flag with --raw and --scope {scope}");
    }
    if scope == Scope::Strict && args.name.is_empty() {
        bail!("must provide the --name flag with --raw and --scope strict");
    }
    let value = match args.from_file.as_slice() {
        [] => read_input("")?.0,
        [spec] => {
            let path = PathBuf::from(spec.split_once('=').map_or(spec.as_str(), |(_, p)| p));
            std::fs::read(&path).with_context(|| format!("cannot read --from-file {:?}", path.display()))?
        }
        _ => bail!("only one --from-file can be given with --raw"),
    };
    let key = Key::load(args, v2, cluster).await?;
    let label = scope.label(&namespace, &args.name);
    Ok(key.recipient().seal_base64(&label, &value)?.into_bytes())
}
