//! Rendering objects the way upstream's kubeseal prints them (reference §5.4).
//!
//! Objects are first turned into a [`Node`] tree whose map entries are in Go struct-field order
//! (what `encoding/json` writes). [`json`] prints that tree like Go's `json.MarshalIndent`;
//! [`yaml`] prints it like `sigs.k8s.io/yaml` (go-yaml v2 over the JSON), which sorts keys.

pub mod json;
mod node;
pub mod yaml;

pub use node::{Node, sealed_secret, secret};

/// The two output formats of `-o/--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Go's indented JSON, one document after the other.
    Json,
    /// go-yaml v2 documents, each preceded by `---`.
    Yaml,
}

impl Format {
    /// Parses `-o` like upstream: case-insensitive `json` or `yaml`.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        match text.to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "yaml" => Ok(Format::Yaml),
            _ => anyhow::bail!("unsupported output format: {text} (expected json or yaml)"),
        }
    }

    /// Appends one document to `out`.
    pub fn write_document(self, node: &Node, out: &mut String) {
        match self {
            Format::Json => {
                json::write(node, out);
                out.push('\n');
            }
            Format::Yaml => {
                out.push_str("---\n");
                yaml::write(node, out);
            }
        }
    }
}
