//! `--merge-into FILE`: seal one input Secret and merge it into an existing SealedSecret file
//! (reference §5.5).
//!
//! As upstream: the input is sealed under FILE's name and namespace, with the scope from
//! `--scope` and the input's annotations; its `encryptedData`, template labels, template
//! annotations and `template.data` are added to FILE's (replacing entries with the same key),
//! and FILE is rewritten in `--format` (JSON unless `-o yaml`), the whole object
//! re-serialized. The file is replaced through a temporary file and a rename, and only once
//! everything succeeded.
//!
//! Beyond upstream: when the scope the input would be sealed with differs from FILE's (its
//! top-level annotations), upstream writes values the controller cannot open; here that is an
//! error that names both scopes, and FILE is left alone.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use kubeseal_crds::SealedSecret;
use kubeseal_sealing::Scope;

use crate::args::Args;
use crate::cluster::ClusterOptions;
use crate::output::{self, Format};
use crate::{Key, input, read_input, recover, seal};

/// Seals the input into `args.merge_into` and rewrites that file. Prints nothing.
pub async fn merge_into(args: &Args, scope: Scope, format: Format, v2: bool, cluster: &ClusterOptions) -> Result<()> {
    let path = Path::new(&args.merge_into);
    if !args.sealed_secret_file.is_empty() {
        bail!("--merge-into rewrites {} in place; do not combine it with --sealed-secret-file", path.display());
    }
    let original =
        std::fs::read(path).with_context(|| format!("cannot read --merge-into file {:?}", path.display()))?;
    let mut merged = read_one_sealed_secret(&original).with_context(|| format!("{}", path.display()))?;

    let (text, source) = read_input(&args.secret_file)?;
    let mut secrets = input::read_secrets(&text, &source)?;
    if secrets.len() != 1 {
        bail!("{source}: --merge-into takes exactly one Secret, the input has {}", secrets.len());
    }
    let mut secret = secrets.remove(0);
    let effective = seal::apply_scope(&mut secret, scope);
    let file_scope = recover::scope_of(&merged);
    if effective != file_scope {
        bail!(
            "{} is sealed with scope {file_scope} but the input would be sealed with scope {effective}; \
             pass --scope {file_scope} (values sealed with another scope cannot be opened)",
            path.display()
        );
    }
    if let Some(name) = merged.metadata.name.as_ref().filter(|n| !n.is_empty()) {
        secret.metadata.name = Some(name.clone());
    }
    if let Some(namespace) = merged.metadata.namespace.as_ref().filter(|n| !n.is_empty()) {
        secret.metadata.namespace = Some(namespace.clone());
    }
    let namespace = if effective == Scope::ClusterWide { None } else { Some(cluster.client_namespace()?) };
    let key = Key::load(args, v2, cluster).await?;
    let update = seal::seal_secret(secret, namespace.as_ref(), args.allow_empty_data, key.recipient())
        .map_err(|e| anyhow!("{source}: {e:#}"))?;

    merge(&mut merged, update);
    let mut out = String::new();
    format.write_document(&output::sealed_secret(&merged), &mut out);
    replace_file(path, out.as_bytes())
}

/// Decodes FILE: exactly one SealedSecret, JSON or YAML.
fn read_one_sealed_secret(bytes: &[u8]) -> Result<SealedSecret> {
    let text = std::str::from_utf8(bytes).map_err(|_| anyhow!("file is not valid UTF-8"))?;
    let mut documents: Vec<_> = input::parse_documents(text)
        .context("cannot parse the file as JSON or YAML")?
        .into_iter()
        .filter(|d| !d.is_null())
        .collect();
    if documents.len() != 1 {
        bail!("expected exactly one SealedSecret, found {} documents", documents.len());
    }
    recover::sealed_secret_from_value(documents.remove(0))
}

/// Adds the new entries to the existing object, as upstream's merge does.
fn merge(into: &mut SealedSecret, update: SealedSecret) {
    into.spec.encrypted_data.extend(update.spec.encrypted_data);
    let new_meta = update.spec.template.metadata.unwrap_or_default();
    let meta = into.spec.template.metadata.get_or_insert_with(Default::default);
    for (target, source) in [(&mut meta.annotations, new_meta.annotations), (&mut meta.labels, new_meta.labels)] {
        if let Some(source) = source.filter(|s| !s.is_empty()) {
            target.get_or_insert_with(Default::default).extend(source);
        }
    }
    if let Some(data) = update.spec.template.data.filter(|d| !d.is_empty()) {
        into.spec.template.data.get_or_insert_with(Default::default).extend(data);
    }
}

/// Replaces `path` with `contents` through a new temporary file and a rename, keeping the
/// file's permissions.
fn replace_file(path: &Path, contents: &[u8]) -> Result<()> {
    crate::output_file::replace(path, contents, crate::output_file::Mode::KeepOrPublic)
        .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeseal_crds::k8s::ObjectMeta;

    #[test]
    fn new_entries_replace_or_add_and_others_stay() {
        let mut into = SealedSecret::new("s", Default::default());
        into.spec.encrypted_data = [("a".into(), "old-a".into()), ("b".into(), "old-b".into())].into();
        into.spec.template.metadata =
            Some(ObjectMeta { labels: Some([("keep".into(), "1".into())].into()), ..ObjectMeta::default() });
        let mut update = SealedSecret::new("s", Default::default());
        update.spec.encrypted_data = [("b".into(), "new-b".into()), ("c".into(), "new-c".into())].into();
        update.spec.template.metadata = Some(ObjectMeta {
            labels: Some([("add".into(), "2".into())].into()),
            annotations: Some([("note".into(), "x".into())].into()),
            ..ObjectMeta::default()
        });
        merge(&mut into, update);
        let values: Vec<_> = into.spec.encrypted_data.values().map(String::as_str).collect();
        assert_eq!(values, ["old-a", "new-b", "new-c"]);
        let meta = into.spec.template.metadata.unwrap();
        assert_eq!(meta.labels.unwrap().len(), 2);
        assert_eq!(meta.annotations.unwrap()["note"], "x");
    }
}
