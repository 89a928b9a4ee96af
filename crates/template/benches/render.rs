//! Renders a typical ExternalSecret template (10 keys, a range, `index`, `printf`, `if`/`eq`, and
//! the Sprig functions such templates use: `b64enc`, `upper`, `trim`, `default`, `quote`, `toJson`
//! over a `dict`, `sha256sum`) and reports renders per second.

#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kubeseal_template::{FunctionSet, MissingKey, Options, Template, Value};

/// Go builtins only: the same text `benches/go/render.go` renders with Go's `text/template`.
pub const BUILTINS_TEMPLATE: &str = r#"{{- range $k, $v := . }}{{ $k }}={{ $v | printf "%q" }}
{{ end -}}
user={{ .key1 }} pass={{ index . "key2" }} {{ if eq .key3 "x" }}x{{ else }}{{ len .key4 }}{{ end }}
{{ printf "%s-%s" .key5 .key6 }} {{ .key7 | html }} {{ .key8 | urlquery }} {{ .key9 }} {{ .key0 }}"#;

/// The template: ESO style (`missingkey=error`), a config file assembled from fetched keys.
pub const TEMPLATE: &str = r#"{{- range $k, $v := . }}{{ $k }}={{ $v | printf "%q" }}
{{ end -}}
user={{ .key1 }} pass={{ index . "key2" }} {{ if eq .key3 "x" }}x{{ else }}{{ len .key4 }}{{ end }}
{{ printf "%s-%s" .key5 .key6 }} {{ .key7 | b64enc }} {{ .key8 | upper | trim }} {{ .key9 | default "none" | quote }}
{{ dict "user" .key1 "password" .key2 | toJson }} {{ .key0 | sha256sum }}"#;

fn data() -> Value {
    Value::string_map((0..10).map(|i| (format!("key{i}"), format!("value-{i}-secret"))))
}

fn bench(c: &mut Criterion) {
    let opts = Options { missing_key: MissingKey::Error, ..Options::default() };
    let funcs = FunctionSet::sprig();
    let t = match Template::parse("externalsecret", TEMPLATE, &opts, &funcs) {
        Ok(t) => t,
        Err(e) => panic!("benchmark template must parse: {e}"),
    };
    let data = data();
    let builtins = match Template::parse("externalsecret", BUILTINS_TEMPLATE, &opts, &funcs) {
        Ok(t) => t,
        Err(e) => panic!("benchmark template must parse: {e}"),
    };
    let mut g = c.benchmark_group("render");
    g.throughput(Throughput::Elements(1));
    g.bench_function("builtins_10_keys", |b| b.iter(|| builtins.render(std::hint::black_box(&data))));
    g.bench_function("externalsecret_10_keys", |b| b.iter(|| t.render(std::hint::black_box(&data))));
    g.bench_function("parse_and_render_10_keys", |b| {
        b.iter(|| Template::parse("externalsecret", TEMPLATE, &opts, &funcs).and_then(|t| t.render(&data)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
