//! Limits and robustness: exceeding a limit is an error (never a hang or an allocation blow-up),
//! and random template text never panics (the CI stand-in for `fuzz/fuzz_targets/template.rs`).

use kubeseal_template::{Error, FunctionSet, LimitKind, MissingKey, Options, Template, Value};
use proptest::prelude::*;

fn data() -> Value {
    let mut m = std::collections::BTreeMap::new();
    m.insert("a".to_string(), Value::from("1"));
    m.insert("s".to_string(), Value::from("secret-value"));
    m.insert("list".to_string(), Value::List(vec!["x".into(), "y".into(), "z".into()]));
    m.insert("m".to_string(), Value::string_map([("k", "v")]));
    Value::Map(m)
}

fn small() -> Options {
    Options { max_output: 4096, max_steps: 5_000, max_depth: 20, ..Options::default() }
}

fn render(text: &str, opts: &Options) -> Result<String, Error> {
    Template::parse("t", text, opts, &FunctionSet::go_builtins())?.render(&data())
}

fn limit_of(r: Result<String, Error>) -> Option<LimitKind> {
    match r {
        Err(Error::Limit { limit, .. }) => Some(limit),
        _ => None,
    }
}

#[test]
fn unbounded_recursion_hits_the_depth_limit() {
    let r = render(r#"{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}"#, &small());
    assert_eq!(limit_of(r), Some(LimitKind::Depth));
}

#[test]
fn exponential_recursion_hits_the_step_limit() {
    // 2^40 calls, each well within the depth limit.
    let t = r#"{{define "r"}}{{if .}}{{template "r" (slice . 1)}}{{template "r" (slice . 1)}}{{end}}{{end}}{{template "r" (printf "%40s" "")}}"#;
    let r = render(t, &Options { max_depth: 60, ..small() });
    assert_eq!(limit_of(r), Some(LimitKind::Steps));
}

#[test]
fn large_output_hits_the_output_limit() {
    let t = r#"{{define "r"}}{{printf "%500s" "x"}}{{template "r" .}}{{end}}{{template "r" .}}"#;
    let r = render(t, &Options { max_steps: 1_000_000, max_depth: 1000, ..small() });
    assert_eq!(limit_of(r), Some(LimitKind::Output));
}

#[test]
fn huge_printf_width_is_refused_by_the_function_size_limit() {
    let r = render(r#"{{printf "%999999999s" "x"}}"#, &small());
    assert!(r.is_err());
}

#[test]
fn deep_parentheses_are_a_parse_error_not_a_stack_overflow() {
    let t = format!("{{{{{}1{}}}}}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(matches!(render(&t, &small()), Err(Error::Parse { .. })));
}

#[test]
fn long_else_if_chains_are_not_nesting() {
    let mut t = String::from("{{if eq .a \"0\"}}0");
    for i in 1..300 {
        t.push_str(&format!("{{{{else if eq .a \"{i}\"}}}}{i}"));
    }
    t.push_str("{{end}}");
    assert_eq!(render(&t, &small()).expect("renders"), "1");
}

#[test]
fn errors_never_contain_data_values() {
    let opts = Options { missing_key: MissingKey::Error, ..small() };
    for t in ["{{lt .s 1}}", "{{index .s 99}}", "{{.s.x}}", "{{range .s}}{{end}}", "{{len 3}}", "{{eq .list .s}}"] {
        let err = render(t, &opts).expect_err(t).to_string();
        assert!(!err.contains("secret-value"), "{t}: {err}");
    }
}

#[test]
fn missing_key_error_names_template_line_and_column() {
    let opts = Options { missing_key: MissingKey::Error, ..Options::default() };
    let err = render("a\n  {{ .nope }}", &opts).expect_err("missing key");
    assert_eq!(err.to_string(), r#"template: t:2:5: executing "t" at <.nope>: map has no entry for key "nope""#);
}

#[test]
fn unknown_functions_are_rejected_at_parse_time() {
    let err = Template::parse("t", "{{ b64enc .a }}", &Options::default(), &FunctionSet::go_builtins());
    assert!(matches!(err, Err(Error::Parse { ref message, .. }) if message == r#"function "b64enc" not defined"#));
}

#[test]
fn function_sets_combine() {
    fn shout(_: &kubeseal_template::FuncEnv, args: &[Value]) -> Result<Value, kubeseal_template::FuncError> {
        match args {
            [Value::String(s)] => Ok(Value::String(s.to_uppercase())),
            _ => Err(kubeseal_template::FuncError::new("shout", "want one string")),
        }
    }
    let funcs = FunctionSet::go_builtins().extend([("shout", shout as kubeseal_template::Function)]);
    let t = Template::parse("t", "{{ .a | printf \"%s!\" | shout }}", &Options::default(), &funcs).expect("parses");
    assert_eq!(t.render(&Value::string_map([("a", "hi")])).expect("renders"), "HI!");
}

/// Fragments random templates are built from: enough structure to reach the parser and
/// executor, not just the lexer.
const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{{-",
    " -}}",
    "{{end}}",
    "{{else}}",
    "{{if .a}}",
    "{{range .list}}",
    "{{range $k, $v := .m}}",
    "{{with .s}}",
    "{{break}}",
    "{{continue}}",
    "{{define \"d\"}}",
    "{{template \"d\" .}}",
    "{{block \"b\" .}}",
    ".a",
    ".s",
    ".nope.x",
    "$",
    "$x := ",
    "$x = ",
    "$x",
    "|",
    "(",
    ")",
    " ",
    "\"str\"",
    "`raw`",
    "'c'",
    "1",
    "-2.5e3",
    "0x1f",
    "nil",
    "true",
    "printf \"%v %5.2f %q %x\" ",
    "index . \"a\" ",
    "slice .s 1 ",
    "len ",
    "eq ",
    "lt ",
    "and ",
    "or ",
    "not ",
    "html ",
    "js ",
    "urlquery ",
    "print ",
    "println ",
    "call ",
    "text\n",
    "/*",
    "*/",
    ".",
    ",",
    ":=",
    "=",
    "{{/* c */}}",
    "\u{e9}",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn random_templates_never_panic_and_respect_limits(parts in prop::collection::vec(0..FRAGMENTS.len(), 0..40),
                                                       missing in 0u8..3) {
        let text: String = parts.iter().map(|&i| FRAGMENTS[i]).collect();
        let missing_key = [MissingKey::Default, MissingKey::Zero, MissingKey::Error][usize::from(missing)];
        let opts = Options { missing_key, ..small() };
        if let Ok(out) = render(&text, &opts) {
            prop_assert!(out.len() <= opts.max_output);
        }
    }

    #[test]
    fn random_bytes_never_panic(text in "\\PC{0,200}") {
        let _ = render(&text, &small());
    }
}
