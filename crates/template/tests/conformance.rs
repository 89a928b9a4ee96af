//! The conformance table: every case of `tests/data/core-cases.json` rendered by this engine
//! must match what Go 1.19's `text/template` produced (`tests/data/core-expected.json`, written
//! by `tests/go/gen.go`). Outputs must be identical; for errors we must fail too, and with
//! Go's exact message where the case sets `same_error`. A case with `go_1_23_output` uses a
//! construct newer than Go 1.19 that we support; it must render to that output instead.

use std::collections::{BTreeMap, HashMap};

use kubeseal_template::{FunctionSet, MissingKey, Options, Template, Value};
use serde_json::Value as Json;

fn to_value(j: &Json) -> Value {
    match j {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        // encoding/json decodes every number as float64.
        Json::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(a) => Value::List(a.iter().map(to_value).collect()),
        Json::Object(o) => Value::Map(o.iter().map(|(k, v)| (k.clone(), to_value(v))).collect::<BTreeMap<_, _>>()),
    }
}

fn load(name: &str) -> Vec<Json> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    match serde_json::from_str(&text) {
        Ok(Json::Array(a)) => a,
        other => panic!("{path}: expected a JSON array, got {other:?}"),
    }
}

fn options(case: &Json) -> Options {
    let o = &case["options"];
    let missing_key = match o["missingkey"].as_str().unwrap_or("default") {
        "error" => MissingKey::Error,
        "zero" => MissingKey::Zero,
        _ => MissingKey::Default,
    };
    let mut opts = Options { missing_key, ..Options::default() };
    if let Some(d) = o["delims"].as_array() {
        opts.left_delim = d[0].as_str().unwrap_or("{{").to_string();
        opts.right_delim = d[1].as_str().unwrap_or("}}").to_string();
    }
    opts
}

fn run(case: &Json, funcs: &FunctionSet) -> Result<String, String> {
    let name = case["name"].as_str().unwrap_or_default();
    let text = case["template"].as_str().unwrap_or_default();
    let t = Template::parse(name, text, &options(case), funcs).map_err(|e| e.to_string())?;
    t.render(&to_value(&case["data"])).map_err(|e| e.to_string())
}

#[test]
fn every_case_matches_go() {
    let cases = load("core-cases.json");
    let expected: HashMap<String, Json> = load("core-expected.json")
        .into_iter()
        .map(|e| (e["name"].as_str().unwrap_or_default().to_string(), e))
        .collect();
    assert!(cases.len() >= 120, "the table must keep at least 120 cases");
    let funcs = FunctionSet::go_builtins();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or_default();
        let Some(exp) = expected.get(name) else {
            failures.push(format!("{name}: no expectation (run tests/go/regenerate.sh --write)"));
            continue;
        };
        let got = run(case, &funcs);
        if let Some(newer) = case["go_1_23_output"].as_str() {
            if got.as_deref() != Ok(newer) {
                failures.push(format!("{name}: want {newer:?} (Go 1.23+), got {got:?}"));
            }
            continue;
        }
        match (exp["output"].as_str(), exp["error"].as_str(), &got) {
            (Some(want), _, Ok(out)) if out == want => {}
            (Some(want), _, _) => failures.push(format!("{name}: want output {want:?}, got {got:?}")),
            (None, Some(want), Err(err)) => {
                if case["same_error"].as_bool() == Some(true) && err != want {
                    failures.push(format!(
                        "{name}: want error {want:?}\n{:>width$}got error  {err:?}",
                        "",
                        width = name.len() + 2
                    ));
                }
            }
            (None, Some(want), Ok(out)) => failures.push(format!("{name}: want error {want:?}, got output {out:?}")),
            (None, None, _) => failures.push(format!("{name}: malformed expectation")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Go:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
