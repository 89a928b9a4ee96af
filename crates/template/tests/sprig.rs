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
    let env = FuncEnv::default();
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let name = case["func"].as_str().expect("func name");
        let f = table.get(name).unwrap_or_else(|| panic!("case {i}: no function {name}"));
        let args: Vec<Value> = case["args"].as_array().expect("args").iter().map(to_value).collect();
        let got = f(&env, &args);
        let wants_error = case.get("error").and_then(serde_json::Value::as_bool).unwrap_or(false);
        match (got, wants_error) {
            (Err(_), true) => {}
            (Ok(v), true) => failures.push(format!("case {i} {name}: expected an error, got {}", render(&v))),
            (Err(e), false) => failures.push(format!("case {i} {name}: unexpected error {e}")),
            (Ok(v), false) => {
                let want = render(&to_value(&case["output"]));
                if render(&v) != want {
                    failures.push(format!("case {i} {name}: got {:?}, want {want:?}", render(&v)));
                }
            }
        }
    }
    assert!(cases.len() >= 150, "only {} cases", cases.len());
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
