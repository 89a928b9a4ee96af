//! Go templates: random template text rendered over fixed data with small limits.
//!
//! Checked besides "never panics": parsing and rendering always return (the step, output and
//! depth limits bound the work), a successful render is within `max_output`, and no error
//! message contains a data value (the data holds a marker string that must never leak).

#![no_main]

use kubeseal_template::{Error, FunctionSet, MissingKey, Options, Template, Value};
use libfuzzer_sys::fuzz_target;

const MARKER: &str = "LEAKED-SECRET-MARKER";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, text)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(text);
    let missing_key = match mode % 3 {
        0 => MissingKey::Default,
        1 => MissingKey::Zero,
        _ => MissingKey::Error,
    };
    let opts = Options { missing_key, max_output: 4096, max_steps: 10_000, max_depth: 20, ..Options::default() };
    let root = {
        let mut m = std::collections::BTreeMap::new();
        m.insert("a".to_string(), Value::from("1"));
        m.insert("s".to_string(), Value::from(MARKER));
        m.insert("list".to_string(), Value::List(vec![Value::from("x"), Value::from(MARKER)]));
        m.insert("m".to_string(), Value::string_map([("k", MARKER)]));
        Value::Map(m)
    };
    let result = Template::parse("fuzz", &text, &opts, &FunctionSet::go_builtins()).and_then(|t| t.render(&root));
    match result {
        Ok(out) => assert!(out.len() <= opts.max_output),
        Err(e @ (Error::Parse { .. } | Error::Exec { .. } | Error::Limit { .. })) => {
            // Go quotes template text in parse errors; only data must never appear (the fuzzer
            // learns the marker and may put it into the text itself).
            if !text.contains(MARKER) {
                assert!(!e.to_string().contains(MARKER), "error leaks data: {e}");
            }
        }
        Err(_) => {}
    }
});
