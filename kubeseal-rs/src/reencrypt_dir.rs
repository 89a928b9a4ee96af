//! `kubeseal-rs reencrypt-dir DIR`: re-encrypts every SealedSecret under a directory (typically
//! a git working tree) with the controller's newest key, through `/v1/rotate`.
//!
//! Files are edited, not re-serialized: each ciphertext is replaced where it stands, so comments,
//! other documents, key order, quoting and layout stay byte for byte, and the git diff shows
//! only the ciphertexts. Every rewritten file is parsed again and must equal the original with
//! only `encryptedData` values changed before it is written (temporary file, then rename). A file
//! with any failure is left untouched; the exit status is 1 if anything failed.
//!
//! The pure steps (splitting documents, locating ciphertexts, rewriting and checking) are
//! separate from the walk and the controller calls.

use std::collections::BTreeMap;
use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;

use crate::cluster::ClusterOptions;
use crate::controller_api;

/// The arguments of `kubeseal-rs reencrypt-dir`.
#[derive(Debug, clap::Args)]
pub struct ReencryptDirArgs {
    /// The directory to walk. Hidden directories (`.git`, ...) and symbolic links are skipped;
    /// `*.yaml`, `*.yml` and `*.json` files are read.
    pub dir: PathBuf,

    /// Re-encrypt through the controller and report which files would change, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// One SealedSecret found in a file.
#[derive(Debug)]
pub struct Found {
    /// Index of its document among the file's non-empty documents.
    pub doc: usize,
    /// `namespace/name`, for messages.
    pub label: String,
    /// Where each `encryptedData` value is written in the file text, by key; or why the values
    /// cannot be rewritten in place.
    pub spans: Result<BTreeMap<String, Range<usize>>, String>,
}

/// A file's parsed documents and the SealedSecrets among them.
#[derive(Debug)]
pub struct Scanned {
    /// The non-empty documents, in order.
    pub docs: Vec<Value>,
    /// The SealedSecrets, in order.
    pub found: Vec<Found>,
}

/// The non-empty documents of `text` with their byte ranges: concatenated JSON objects when the
/// first non-space character is `{`, else YAML documents (split at `---`/`...` lines, which end a
/// document wherever they appear in YAML).
pub fn documents(text: &str) -> Result<Vec<(Range<usize>, Value)>, String> {
    let mut out = Vec::new();
    if text.trim_start().starts_with('{') {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        let mut start = 0;
        while let Some(value) = stream.next() {
            let value = value.map_err(|e| crate::input::ParseError::json(&e).to_string())?;
            let end = stream.byte_offset();
            out.push((start..end, value));
            start = end;
        }
        return Ok(out);
    }
    for span in yaml_spans(text) {
        let mut docs = crate::input::parse_yaml(&text[span.clone()])
            .map_err(|e| e.shifted(text[..span.start].matches('\n').count() as u64).to_string())?
            .into_iter()
            .filter(|v| !v.is_null());
        if let Some(value) = docs.next() {
            if docs.next().is_some() {
                return Err("not valid YAML: unexpected document structure".to_owned());
            }
            out.push((span, value));
        }
    }
    Ok(out)
}

/// The byte ranges of the YAML documents of `text`, markers excluded.
fn yaml_spans(text: &str) -> Vec<Range<usize>> {
    let marker = |line: &str, m: &str| {
        line.strip_prefix(m).is_some_and(|rest| rest.chars().next().is_none_or(char::is_whitespace))
    };
    let mut spans = Vec::new();
    let (mut start, mut pos) = (0, 0);
    for line in text.split_inclusive('\n') {
        if marker(line, "---") {
            spans.push(start..pos);
            start = pos + 3;
        } else if marker(line, "...") {
            spans.push(start..pos);
            start = pos + line.len();
        }
        pos += line.len();
    }
    spans.push(start..text.len());
    spans.retain(|s| !s.is_empty());
    spans
}

fn is_sealed_secret(doc: &Value) -> bool {
    doc.get("kind").and_then(Value::as_str) == Some("SealedSecret")
        && doc.get("apiVersion").and_then(Value::as_str).is_some_and(|v| v.starts_with("bitnami.com/"))
}

/// The `encryptedData` entries with string values (others are ignored, as the controller does).
fn encrypted_data(doc: &Value) -> BTreeMap<String, String> {
    doc.pointer("/spec/encryptedData")
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect())
        .unwrap_or_default()
}

fn label(doc: &Value) -> String {
    let field = |f: &str| doc.pointer(&format!("/metadata/{f}")).and_then(Value::as_str).unwrap_or_default();
    match (field("namespace"), field("name")) {
        ("", name) => name.to_owned(),
        (ns, name) => format!("{ns}/{name}"),
    }
}

/// The only place in `text[span]` where `value` is written as a whole token.
fn locate(text: &str, span: &Range<usize>, value: &str) -> Result<Range<usize>, String> {
    let Some(first) = value.chars().next() else {
        return Err("an empty value".to_owned());
    };
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    let haystack = &text[span.clone()];
    let bytes = haystack.as_bytes();
    let mut hits = Vec::new();
    let mut from = 0;
    while let Some(i) = haystack[from..].find(value) {
        let (start, end) = (from + i, from + i + value.len());
        if (start == 0 || !is_b64(bytes[start - 1])) && (end == bytes.len() || !is_b64(bytes[end])) {
            hits.push(span.start + start..span.start + end);
        }
        from = start + first.len_utf8();
    }
    match hits.len() {
        1 => Ok(hits.remove(0)),
        0 => Err("is not written on one line as it reads (folded or escaped)".to_owned()),
        _ => Err("is written more than once in the document".to_owned()),
    }
}

/// Finds the SealedSecrets of a file and where their ciphertexts are written. `Err` means the
/// file cannot be read as JSON or YAML.
pub fn scan(text: &str) -> Result<Scanned, String> {
    let documents = documents(text)?;
    let mut found = Vec::new();
    for (doc, (span, value)) in documents.iter().enumerate() {
        if value.get("kind").and_then(Value::as_str) == Some("List")
            && value.get("items").and_then(Value::as_array).is_some_and(|items| items.iter().any(is_sealed_secret))
        {
            let spans = Err("SealedSecrets inside a kind: List are not supported".to_owned());
            found.push(Found { doc, label: "List".to_owned(), spans });
            continue;
        }
        if !is_sealed_secret(value) {
            continue;
        }
        let data = encrypted_data(value);
        if data.is_empty() {
            if value.pointer("/spec/data").is_some_and(|d| !d.is_null()) {
                let spans = Err("it uses the legacy spec.data format: re-encrypt it with --re-encrypt".to_owned());
                found.push(Found { doc, label: label(value), spans });
            }
            continue;
        }
        let spans = data
            .iter()
            .map(|(key, value)| {
                locate(text, span, value)
                    .map(|range| (key.clone(), range))
                    .map_err(|why| format!("the value of encryptedData[{key:?}] {why}"))
            })
            .collect();
        found.push(Found { doc, label: label(value), spans });
    }
    Ok(Scanned { docs: documents.into_iter().map(|(_, v)| v).collect(), found })
}

/// The file text with every ciphertext of `scanned` replaced by the re-encrypted one of
/// `rotated` (one map per [`Found`], same order), checked by parsing it again: the documents must
/// equal the originals apart from those `encryptedData` values.
pub fn rewrite(text: &str, scanned: &Scanned, rotated: &[BTreeMap<String, String>]) -> Result<String, String> {
    if rotated.len() != scanned.found.len() {
        return Err("internal error: not every SealedSecret was re-encrypted".to_owned());
    }
    let mut replacements = Vec::new();
    let mut expected = scanned.docs.clone();
    for (found, new) in scanned.found.iter().zip(rotated) {
        let spans = found.spans.as_ref().map_err(Clone::clone)?;
        if !spans.keys().eq(new.keys()) {
            return Err(format!("{}: the controller answered with different encryptedData keys", found.label));
        }
        for (key, range) in spans {
            replacements.push((range.clone(), new[key].as_str()));
        }
        if let Some(data) = expected[found.doc].pointer_mut("/spec/encryptedData").and_then(Value::as_object_mut) {
            for (key, value) in new {
                data.insert(key.clone(), Value::String(value.clone()));
            }
        }
    }
    replacements.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, new) in replacements {
        out.push_str(&text[at..range.start]);
        out.push_str(new);
        at = range.end;
    }
    out.push_str(&text[at..]);
    let reread: Vec<Value> = documents(&out)?.into_iter().map(|(_, v)| v).collect();
    if reread != expected {
        return Err("the rewritten file does not read back as expected; it was left unchanged".to_owned());
    }
    Ok(out)
}

/// The `*.yaml`, `*.yml` and `*.json` files under `dir`, sorted, skipping hidden directories and
/// symbolic links.
fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(dir).with_context(|| format!("cannot read directory {}", dir.display()))?;
    if !meta.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).with_context(|| format!("cannot read directory {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read directory {}", dir.display()))?;
            let kind = entry.file_type().with_context(|| format!("cannot read {}", entry.path().display()))?;
            let name = entry.file_name();
            let hidden = name.to_string_lossy().starts_with('.');
            if kind.is_dir() && !hidden {
                pending.push(entry.path());
            } else if kind.is_file() {
                let path = entry.path();
                let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
                if matches!(ext.as_str(), "yaml" | "yml" | "json") {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Replaces `path` with `new` through a temporary file in the same directory and a rename,
/// keeping the permissions; refuses if the file changed since it was read as `old`.
fn write_atomically(path: &Path, old: &str, new: &str) -> Result<()> {
    let current = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if current != old.as_bytes() {
        bail!("{} changed while it was being re-encrypted; run again", path.display());
    }
    crate::output_file::replace(path, new.as_bytes(), crate::output_file::Mode::KeepOrPublic)
        .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))
}

/// A line on stdout; a closed stdout does not stop the run.
fn report(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Runs `reencrypt-dir`. Progress, failures and the summary go to stderr; one line per changed
/// file to stdout.
pub async fn run(args: &ReencryptDirArgs, cluster: &ClusterOptions) -> Result<Vec<u8>> {
    let mut files = Vec::new();
    let mut skipped = 0;
    for path in walk(&args.dir)? {
        // Files that are not UTF-8 text hold no SealedSecret manifest.
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        if !text.contains("SealedSecret") {
            continue;
        }
        match scan(&text) {
            Ok(scanned) if scanned.found.is_empty() => {}
            Ok(scanned) => files.push((path, text, scanned)),
            Err(why) => {
                eprintln!("warning: skipping {}: {why}", path.display());
                skipped += 1;
            }
        }
    }
    let total: usize = files.iter().map(|(_, _, s)| s.found.len()).sum();
    if total == 0 {
        eprintln!("no SealedSecrets found under {}", args.dir.display());
        return Ok(Vec::new());
    }
    let controller = cluster.controller().await?;
    let rate_limited = |wait: std::time::Duration| {
        eprintln!("  rate limited by the controller: retrying in {:.1} s", wait.as_secs_f64())
    };

    let (mut done, mut failed, mut values, mut changed_files) = (0, 0, 0, 0);
    for (path, text, scanned) in &files {
        let mut rotated = Vec::new();
        let mut file_failed = 0;
        for found in &scanned.found {
            done += 1;
            eprintln!("[{done}/{total}] {} {}", path.display(), found.label);
            let result = match &found.spans {
                Err(why) => Err(anyhow!("{why}")),
                Ok(_) => {
                    // The document as read is what the controller re-encrypts.
                    controller_api::rotate(&controller, &scanned.docs[found.doc], &rate_limited)
                        .await
                        .map(|s| s.spec.encrypted_data)
                }
            };
            match result {
                Ok(map) => rotated.push(map),
                Err(e) => {
                    eprintln!("  failed: {}: {e:#}", found.label);
                    file_failed += 1;
                }
            }
        }
        let outcome = if file_failed > 0 {
            Err(anyhow!("left unchanged"))
        } else {
            match rewrite(text, scanned, &rotated) {
                Err(why) => Err(anyhow!("{why}")),
                Ok(_) if args.dry_run => Ok(()),
                Ok(new) => write_atomically(path, text, &new),
            }
        };
        match outcome {
            Ok(()) => {
                let count: usize = rotated.iter().map(BTreeMap::len).sum();
                values += count;
                changed_files += 1;
                let verb = if args.dry_run { "would rewrite" } else { "rewrote" };
                let objects = plural(scanned.found.len(), "SealedSecret", "SealedSecrets");
                report(&format!("{verb} {}: {} in {objects}", path.display(), plural(count, "value", "values")));
            }
            Err(e) => {
                if file_failed == 0 {
                    eprintln!("  failed: {}: {e:#}", path.display());
                    file_failed = scanned.found.len();
                } else {
                    eprintln!("  {} left unchanged", path.display());
                }
                failed += file_failed;
            }
        }
    }

    let verb = if args.dry_run { "would re-encrypt" } else { "re-encrypted" };
    let mut summary = format!(
        "{verb} {} ({}) in {}",
        plural(total - failed, "SealedSecret", "SealedSecrets"),
        plural(values, "value", "values"),
        plural(changed_files, "file", "files")
    );
    if failed > 0 {
        summary.push_str(&format!("; {failed} failed"));
    }
    if skipped > 0 {
        summary.push_str(&format!("; {} skipped", plural(skipped, "unreadable file", "unreadable files")));
    }
    if args.dry_run {
        summary.push_str(" (dry run: nothing written)");
    }
    eprintln!("{summary}");
    if failed > 0 {
        bail!(
            "{failed} of {} could not be re-encrypted; files holding them were left unchanged",
            plural(total, "SealedSecret", "SealedSecrets")
        );
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIXED: &str = "\
# Team secrets: keep this comment.
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data:
  note: 'AgAAAA== is not a ciphertext here'
---
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: db
  namespace: app
spec:
  encryptedData:
    password: \"AgBpass==\"   # quoted, with a comment
    user: AgBuser
  template:
    metadata: {name: db, namespace: app}
--- # second
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata: {name: api, namespace: app}
spec:
  encryptedData: {token: 'AgBtoken'}
...
";

    fn new_values(scanned: &Scanned) -> Vec<BTreeMap<String, String>> {
        scanned
            .found
            .iter()
            .map(|f| f.spans.as_ref().unwrap().keys().map(|k| (k.clone(), format!("NEW{k}+/=="))).collect())
            .collect()
    }

    #[test]
    fn yaml_documents_are_split_at_markers_only() {
        assert_eq!(yaml_spans("a: 1\n---\nb: 2\n"), vec![0..5, 8..14]);
        assert_eq!(yaml_spans("---\na: '---'\n----: x\n"), vec![3..21]);
        assert_eq!(yaml_spans("a: 1\n...\n"), vec![0..5]);
        let docs = documents(MIXED).unwrap();
        assert_eq!(docs.len(), 3);
        assert!(MIXED[docs[2].0.clone()].starts_with(" # second\n"));
    }

    #[test]
    fn only_the_ciphertexts_change_in_a_mixed_yaml_file() {
        let scanned = scan(MIXED).unwrap();
        assert_eq!(scanned.found.iter().map(|f| f.label.as_str()).collect::<Vec<_>>(), ["app/db", "app/api"]);
        let out = rewrite(MIXED, &scanned, &new_values(&scanned)).unwrap();
        let want = MIXED
            .replace("\"AgBpass==\"", "\"NEWpassword+/==\"")
            .replace("AgBuser", "NEWuser+/==")
            .replace("'AgBtoken'", "'NEWtoken+/=='");
        assert_eq!(out, want);
    }

    #[test]
    fn concatenated_json_objects_are_rewritten_in_place() {
        let text = "{\n  \"kind\": \"SealedSecret\",\n  \"apiVersion\": \"bitnami.com/v1alpha1\",\n  \"metadata\": {\"name\": \"a\"},\n  \"spec\": {\"encryptedData\": {\"k\": \"AgBk\"}}\n}\n{\"kind\": \"Secret\"}\n";
        let scanned = scan(text).unwrap();
        assert_eq!(scanned.docs.len(), 2);
        let out = rewrite(text, &scanned, &new_values(&scanned)).unwrap();
        assert_eq!(out, text.replace("\"AgBk\"", "\"NEWk+/==\""));
    }

    #[test]
    fn values_that_cannot_be_located_are_reported() {
        let folded = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a}\nspec:\n  encryptedData:\n    k: AgB\n      more\n";
        let scanned = scan(folded).unwrap();
        assert!(scanned.found[0].spans.as_ref().unwrap_err().contains("encryptedData[\"k\"] is not written"));
        let twice = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a}\n# old: AgBx\nspec:\n  encryptedData:\n    k: AgBx\n";
        let scanned = scan(twice).unwrap();
        assert!(scanned.found[0].spans.as_ref().unwrap_err().contains("more than once"));
        let prefix = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a}\n# AgBxy\nspec:\n  encryptedData:\n    k: AgBx\n";
        assert!(scan(prefix).unwrap().found[0].spans.is_ok(), "a longer token is not a hit");
    }

    #[test]
    fn a_changed_key_set_is_refused() {
        let scanned = scan(MIXED).unwrap();
        let mut rotated = new_values(&scanned);
        rotated[1].insert("extra".into(), "x".into());
        assert!(rewrite(MIXED, &scanned, &rotated).unwrap_err().contains("different encryptedData keys"));
    }

    #[test]
    fn non_sealed_secrets_and_unparsable_files_are_told_apart() {
        assert!(scan("kind: Secret\n").unwrap().found.is_empty());
        assert!(scan("kind: SealedSecret\nmetadata: {{ .Values.x }}: [\n").is_err());
        let legacy = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a}\nspec: {data: AgB=}\n";
        assert!(scan(legacy).unwrap().found[0].spans.as_ref().unwrap_err().contains("legacy"));
    }
}
