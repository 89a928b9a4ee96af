//! The command line: kubeseal's flags, names and defaults (reference §5.1). Every flag can also be
//! set through `SEALED_SECRETS_<FLAG>` (upper case, `-` as `_`); the command line wins.

use std::path::PathBuf;

use clap::Parser;

/// Seal Kubernetes Secrets into SealedSecrets that only the controller can open.
///
/// Reads a Secret (JSON or YAML, several documents allowed) from standard input or
/// --secret-file and prints the SealedSecret. The controller's certificate comes from --cert,
/// or from the controller through the Kubernetes API server.
#[derive(Debug, Parser)]
#[command(name = "kubeseal-rs", disable_version_flag = true, max_term_width = 100)]
pub struct Args {
    /// Certificate to seal with: a file path, an http:// URL or a file:// URL. Without it the
    /// certificate is fetched from the controller.
    #[arg(long, env = "SEALED_SECRETS_CERT", default_value = "")]
    pub cert: String,

    /// Namespace of the controller's Service.
    #[arg(long, global = true, env = "SEALED_SECRETS_CONTROLLER_NAMESPACE", default_value = "kube-system")]
    pub controller_namespace: String,

    /// Name of the controller's Service (the Helm chart names it `sealed-secrets`).
    #[arg(long, global = true, env = "SEALED_SECRETS_CONTROLLER_NAME", default_value = "sealed-secrets-controller")]
    pub controller_name: String,

    /// Output format: json or yaml. A --sealed-secret-file ending in .yaml or .yml is always YAML.
    #[arg(short = 'o', long = "format", env = "SEALED_SECRETS_FORMAT", default_value = "json")]
    pub format: String,

    /// Write the result to this file (replaced only once everything succeeded) instead of stdout.
    #[arg(short = 'w', long = "sealed-secret-file", env = "SEALED_SECRETS_SEALED_SECRET_FILE", default_value = "")]
    pub sealed_secret_file: String,

    /// Read the input from this file instead of stdin.
    #[arg(short = 'f', long = "secret-file", env = "SEALED_SECRETS_SECRET_FILE", default_value = "")]
    pub secret_file: String,

    /// Print the certificate (or, with --envelope v2, the X25519 public key) and exit.
    #[arg(long, env = "SEALED_SECRETS_FETCH_CERT")]
    pub fetch_cert: bool,

    /// Seal Secrets that have neither data nor stringData.
    #[arg(long, env = "SEALED_SECRETS_ALLOW_EMPTY_DATA")]
    pub allow_empty_data: bool,

    /// Check that the controller can decrypt the input SealedSecrets.
    #[arg(long, env = "SEALED_SECRETS_VALIDATE")]
    pub validate: bool,

    /// Seal the input Secret and merge its values into this existing SealedSecret file, which is
    /// rewritten in --format (json unless -o yaml). Name and namespace come from the file; the
    /// scope from --scope and the input, and it must match the file's.
    #[arg(long, env = "SEALED_SECRETS_MERGE_INTO", default_value = "")]
    pub merge_into: String,

    /// Encrypt one raw value (stdin or --from-file) and print only its base64 ciphertext.
    #[arg(long, env = "SEALED_SECRETS_RAW")]
    pub raw: bool,

    /// The SealedSecret name a --raw value is bound to (needed for the strict scope).
    #[arg(long, env = "SEALED_SECRETS_NAME", default_value = "")]
    pub name: String,

    /// With --raw: read the value from this file, given as `[key=]path` (the key is ignored).
    #[arg(long, env = "SEALED_SECRETS_FROM_FILE", value_delimiter = ',')]
    pub from_file: Vec<String>,

    /// Scope: strict, namespace-wide or cluster-wide. When not strict, it replaces the scope
    /// annotations of the input Secret.
    #[arg(long, env = "SEALED_SECRETS_SCOPE", default_value = "strict")]
    pub scope: String,

    /// Re-encrypt the input SealedSecrets with the controller's newest key. With -f and no -w the
    /// input file is rewritten.
    #[arg(long, env = "SEALED_SECRETS_RE_ENCRYPT")]
    pub re_encrypt: bool,

    /// Deprecated alias of --re-encrypt.
    #[arg(long, env = "SEALED_SECRETS_ROTATE", hide = true)]
    pub rotate: bool,

    /// Decrypt the input SealedSecrets offline with --recovery-private-key and print the Secrets
    /// (plaintext values, base64 in `data`).
    #[arg(long, env = "SEALED_SECRETS_RECOVERY_UNSEAL")]
    pub recovery_unseal: bool,

    /// Private key files for --recovery-unseal (repeat the flag or separate with commas): PEM
    /// private keys (PKCS#1 or PKCS#8 RSA, PKCS#8 X25519), or key Secrets as JSON or YAML
    /// (`kubectl get secret -o yaml` output, a List or several documents).
    #[arg(long, env = "SEALED_SECRETS_RECOVERY_PRIVATE_KEY", value_delimiter = ',')]
    pub recovery_private_key: Vec<String>,

    /// Envelope format: v1 (Bitnami-compatible, RSA) or v2 (kubeseal-rs HPKE over X25519, needs
    /// a kubeseal-rs controller).
    #[arg(long, env = "SEALED_SECRETS_ENVELOPE", default_value = "v1", value_parser = ["v1", "v2"])]
    pub envelope: String,

    /// With --envelope v2: the controller's X25519 public key (PEM) instead of fetching
    /// /v2/x25519.pem from the controller.
    #[arg(long, env = "SEALED_SECRETS_V2_KEY")]
    pub v2_key: Option<PathBuf>,

    /// Path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config).
    #[arg(long, global = true, env = "SEALED_SECRETS_KUBECONFIG", default_value = "")]
    pub kubeconfig: String,

    /// The kubeconfig context to use.
    #[arg(long, global = true, env = "SEALED_SECRETS_CONTEXT", default_value = "")]
    pub context: String,

    /// The kubeconfig cluster to use.
    #[arg(long, global = true, env = "SEALED_SECRETS_CLUSTER", default_value = "")]
    pub cluster: String,

    /// The kubeconfig user to use.
    #[arg(long, global = true, env = "SEALED_SECRETS_USER", default_value = "")]
    pub user: String,

    /// The address and port of the Kubernetes API server (overrides the kubeconfig's).
    #[arg(short = 's', long, global = true, env = "SEALED_SECRETS_SERVER")]
    pub server: Option<String>,

    /// Bearer token for authentication to the API server.
    #[arg(long, global = true, env = "SEALED_SECRETS_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Username to impersonate for the operation.
    #[arg(long = "as", global = true, env = "SEALED_SECRETS_AS")]
    pub impersonate: Option<String>,

    /// Group to impersonate for the operation; repeat for more groups.
    #[arg(long = "as-group", global = true, env = "SEALED_SECRETS_AS_GROUP", value_delimiter = ',')]
    pub impersonate_groups: Vec<String>,

    /// Path to a certificate file for the certificate authority.
    #[arg(long, global = true, env = "SEALED_SECRETS_CERTIFICATE_AUTHORITY")]
    pub certificate_authority: Option<PathBuf>,

    /// Path to a client certificate file for TLS.
    #[arg(long, global = true, env = "SEALED_SECRETS_CLIENT_CERTIFICATE")]
    pub client_certificate: Option<PathBuf>,

    /// Path to a client key file for TLS.
    #[arg(long, global = true, env = "SEALED_SECRETS_CLIENT_KEY")]
    pub client_key: Option<PathBuf>,

    /// Do not check the server's certificate (insecure).
    #[arg(long, global = true, env = "SEALED_SECRETS_INSECURE_SKIP_TLS_VERIFY", num_args = 0..=1,
        require_equals = true, default_missing_value = "true", default_value = "false",
        action = clap::ArgAction::Set)]
    pub insecure_skip_tls_verify: bool,

    /// Server name to use for server certificate validation.
    #[arg(long, global = true, env = "SEALED_SECRETS_TLS_SERVER_NAME")]
    pub tls_server_name: Option<String>,

    /// How long to wait for one server request: `0` (no limit), a number of seconds or a Go
    /// duration (`30s`, `1m`).
    #[arg(long, global = true, env = "SEALED_SECRETS_REQUEST_TIMEOUT", default_value = "0")]
    pub request_timeout: String,

    /// Username for basic authentication to the API server.
    #[arg(long, global = true, env = "SEALED_SECRETS_USERNAME")]
    pub username: Option<String>,

    /// Password for basic authentication to the API server.
    #[arg(long, global = true, env = "SEALED_SECRETS_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,

    /// Log verbosity (klog's `-v`): 6 and above print each API request's method and URL on stderr.
    #[arg(short = 'v', long = "v", global = true, env = "SEALED_SECRETS_V", default_value_t = 0)]
    pub verbosity: u8,

    /// Accepted for compatibility with kubeseal's klog flags; has no effect.
    #[arg(long, global = true, hide = true)]
    pub vmodule: Option<String>,

    /// Accepted for compatibility with kubeseal's klog flags; has no effect.
    #[arg(long, global = true, hide = true, num_args = 0..=1, require_equals = true,
        default_missing_value = "true")]
    pub logtostderr: Option<String>,

    /// Namespace of the Secret when it declares none (default: the kubeconfig context's, else
    /// `default`).
    #[arg(short = 'n', long, env = "SEALED_SECRETS_NAMESPACE")]
    pub namespace: Option<String>,

    /// Print the version.
    #[arg(long)]
    pub version: bool,

    /// What upstream's kubeseal lacks is a subcommand; without one, the flags select the mode.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// kubeseal-rs additions to kubeseal's interface.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Re-encrypt every SealedSecret under a directory with the controller's newest key, editing
    /// only the ciphertexts in place.
    ReencryptDir(crate::reencrypt_dir::ReencryptDirArgs),
    /// Print a shell completion script.
    Completions(crate::completions::CompletionsArgs),
}
