//! Templates over times (`now`, `toDate`, `dateModify`, printing, comparison, JSON), each
//! rendered by Go 1.19 `text/template` with the real Sprig (3.2.3, whose date functions are
//! those of 3.3) into `tests/data/date-cases.json`: `{template, output}` or
//! `{template, error: true}`. Local time is UTC. The cases avoid the clock except where the
//! result cannot depend on it (`eq now now`, `ago now`).

use kubeseal_template::{FunctionSet, Options, Template, Value};

#[test]
fn date_templates_render_as_go_and_sprig_do() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/date-cases.json")).expect("case file");
    let cases: Vec<serde_json::Value> = serde_json::from_str(&text).expect("case JSON");
    let funcs = FunctionSet::sprig();
    let mut failures = Vec::new();
    for case in &cases {
        let src = case["template"].as_str().expect("template");
        let got = Template::parse("t", src, &Options::default(), &funcs)
            .map_err(|e| e.to_string())
            .and_then(|t| t.render(&Value::string_map::<&str, &str>([])).map_err(|e| e.to_string()));
        match (got, case.get("output").and_then(serde_json::Value::as_str)) {
            (Ok(out), Some(want)) if out == want => {}
            (Err(_), None) => {}
            (got, want) => failures.push(format!("{src}\n   got  {got:?}\n   want {want:?}")),
        }
    }
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}
