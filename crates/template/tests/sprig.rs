//! Runs every case of `tests/data/sprig-cases.json` through the `functions()` table.
//!
//! A case is `{func, args, output}` or `{func, args, error: true}`. Arguments are JSON: integers
//! become Go `int`, other numbers `float64`, arrays lists and objects dicts. `output` is compared
//! as Go's `%v` would print it (what a template renders), so `6` matches an `int64` 6 and a
//! `float64` 6 alike. Expected values come from Sprig's documentation and Go's behaviour.

use kubeseal_template::func::{FuncEnv, Function};
use kubeseal_template::sprig::functions;
use kubeseal_template::value::Value;
use std::collections::BTreeMap;

fn to_value(j: &serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::List(a.iter().map(to_value).collect()),
        serde_json::Value::Object(o) => {
            Value::Map(o.iter().map(|(k, v)| (k.clone(), to_value(v))).collect::<BTreeMap<_, _>>())
        }
    }
}

fn render(v: &Value) -> String {
    match v {
        Value::Nil => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::Int64(i) => i.to_string(),
        Value::Float(f) => format!("{f}"),
        Value::String(s) => s.clone(),
        Value::Bytes(b) => format!("{b:?}").replace(',', ""),
        Value::List(l) => format!("[{}]", l.iter().map(render).collect::<Vec<_>>().join(" ")),
        Value::Map(m) => {
            format!("map[{}]", m.iter().map(|(k, v)| format!("{k}:{}", render(v))).collect::<Vec<_>>().join(" "))
        }
        _ => "?".into(),
    }
}

#[test]
fn sprig_cases_render_as_sprig_documents() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sprig-cases.json"))
        .expect("case file");
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).expect("case JSON");
    let table: BTreeMap<&str, Function> = functions().into_iter().collect();
    let funcs = kubeseal_template::FunctionSet::external_secrets();
    let env = FuncEnv::default();
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let name = case["func"].as_str().expect("func name");
        let f = table.get(name).unwrap_or_else(|| panic!("case {i}: no function {name}"));
        let json_args = case["args"].as_array().expect("args");
        let args: Vec<Value> = json_args.iter().map(to_value).collect();
        let got = f(&env, &args);
        let wants_error = case.get("error").and_then(serde_json::Value::as_bool).unwrap_or(false);
        match (got, wants_error) {
            (Err(_), true) => {}
            (Ok(v), true) => failures.push(format!("case {i} {name}: expected an error, got {}", render(&v))),
            (Err(e), false) => failures.push(format!("case {i} {name}: unexpected error {e}")),
            (Ok(v), false) => match &case["output"] {
                // A string is the text a template prints: compare what the engine prints.
                serde_json::Value::String(want) => match render_call(&funcs, name, json_args) {
                    Ok(out) if out == *want => {}
                    other => failures.push(format!("case {i} {name}: got {other:?}, want {want:?}")),
                },
                other => {
                    let want = render(&to_value(other));
                    if render(&v) != want {
                        failures.push(format!("case {i} {name}: got {:?}, want {want:?}", render(&v)));
                    }
                }
            },
        }
    }
    assert!(cases.len() >= 300, "only {} cases", cases.len());
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// Renders `{{ FUNC (index .A 0) (index .A 1) ... }}` over `{"A": args}` with every function ESO
/// templates see, as `tests/go/sprig_gen.go` does with the real Sprig.
fn render_call(
    funcs: &kubeseal_template::FunctionSet,
    name: &str,
    args: &[serde_json::Value],
) -> Result<String, String> {
    use std::fmt::Write as _;
    let mut text = format!("{{{{ {name}");
    for i in 0..args.len() {
        let _ = write!(text, " (index .A {i})");
    }
    text.push_str(" }}");
    let t = kubeseal_template::Template::parse(name, &text, &kubeseal_template::Options::default(), funcs)
        .map_err(|e| e.to_string())?;
    let data = Value::Map(BTreeMap::from([("A".to_string(), Value::List(args.iter().map(to_value).collect()))]));
    t.render(&data).map_err(|e| e.to_string())
}

/// Every case of `tests/data/sprig-expected-go.json` (written by `tests/go/regenerate-sprig.sh`
/// from the real Sprig 3.2.3) renders identically here, and fails where Sprig fails. Cases the
/// generator skipped (random, clock, not in 3.2.3, Go map order) carry `skip`. A case of
/// sprig-cases.json with a `sprig_3_3` note is one where Sprig 3.3 changed the behaviour (we follow
/// 3.3), and one with a `differs` note is a known representation difference; for both the case's
/// own `output`/`error` is the expectation instead of 3.2.3's.
#[test]
fn sprig_cases_match_real_sprig() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    let read = |f: &str| -> Vec<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}{f}")).expect("read")).expect("JSON")
    };
    let cases = read("sprig-cases.json");
    let expected = read("sprig-expected-go.json");
    assert_eq!(cases.len(), expected.len(), "run tests/go/regenerate-sprig.sh --write after adding cases");
    let funcs = kubeseal_template::FunctionSet::external_secrets();
    let (mut failures, mut checked, mut skipped) = (Vec::new(), 0, 0);
    for (i, (case, exp)) in cases.iter().zip(&expected).enumerate() {
        let name = case["func"].as_str().expect("func name");
        assert_eq!(exp["func"], case["func"], "case {i}: stale sprig-expected-go.json");
        assert_eq!(exp["args"], case["args"], "case {i}: stale sprig-expected-go.json");
        if exp.get("skip").is_some() {
            skipped += 1;
            continue;
        }
        let exp = if case.get("sprig_3_3").is_some() || case.get("differs").is_some() { case } else { exp };
        checked += 1;
        let args = case["args"].as_array().expect("args");
        let got = render_call(&funcs, name, args);
        let wants_error = exp.get("error").and_then(serde_json::Value::as_bool).unwrap_or(false);
        match (&got, wants_error) {
            (Err(_), true) => {}
            (Ok(out), false) => {
                let want = match &exp["output"] {
                    serde_json::Value::String(s) => s.clone(),
                    other => render(&to_value(other)),
                };
                if *out != want {
                    failures.push(format!("case {i} {name} {args:?}: got {out:?}, Sprig {want:?}"));
                }
            }
            _ => failures.push(format!("case {i} {name} {args:?}: got {got:?}, Sprig {:?}", exp["output"])),
        }
    }
    assert!(checked >= 500, "only {checked} cases checked against Sprig ({skipped} skipped)");
    assert!(failures.is_empty(), "{} of {checked} differ from Sprig:\n{}", failures.len(), failures.join("\n"));
}
