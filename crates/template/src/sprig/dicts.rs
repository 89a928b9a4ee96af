//! Dictionary functions.
//!
//! Go maps are references: Sprig's `set`, `unset`, `merge` and `mergeOverwrite` change the
//! map they are given and return it, so `{{ $_ := set $d "k" "v" }}` changes `$d`. These
//! functions return the changed map; making the change visible through the variable is the
//! engine's job (it must write the result back to the map the first argument came from).
//!
//! `keys` and `values` return Go map order, which is random; here they are in sorted key order
//! (deterministic, and one of Go's possible outputs). Templates should still `sortAlpha` keys.

use super::{arg_map, arg_str, arity, arity_min, is_empty, string_list, strval};
use crate::func::{FuncEnv, FuncError, Function};
use crate::value::Value;
use std::collections::BTreeMap;

type Map = BTreeMap<String, Value>;

/// The dictionary functions, by template name.
pub fn functions() -> Vec<(&'static str, Function)> {
    vec![
        ("dict", dict),
        ("get", get),
        ("set", set),
        ("unset", unset),
        ("hasKey", has_key),
        ("pluck", pluck),
        ("keys", keys),
        ("values", values),
        ("pick", pick),
        ("omit", omit),
        ("merge", merge),
        ("mustMerge", merge),
        ("mergeOverwrite", merge_overwrite),
        ("mustMergeOverwrite", merge_overwrite),
        ("dig", dig),
        ("deepCopy", deep_copy),
        ("mustDeepCopy", deep_copy),
    ]
}

fn dict(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let mut m = Map::new();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_else(|| Value::String(String::new()));
        m.insert(strval(&pair[0]), value);
    }
    Ok(Value::Map(m))
}

fn get(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("get", args, 2)?;
    let m = arg_map("get", &args[0])?;
    let key = arg_str("get", &args[1])?;
    Ok(m.get(key).cloned().unwrap_or_else(|| Value::String(String::new())))
}

fn set(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("set", args, 3)?;
    let mut m = arg_map("set", &args[0])?.clone();
    m.insert(arg_str("set", &args[1])?.to_string(), args[2].clone());
    Ok(Value::Map(m))
}

fn unset(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("unset", args, 2)?;
    let mut m = arg_map("unset", &args[0])?.clone();
    m.remove(arg_str("unset", &args[1])?);
    Ok(Value::Map(m))
}

fn has_key(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("hasKey", args, 2)?;
    let m = arg_map("hasKey", &args[0])?;
    Ok(Value::Bool(m.contains_key(arg_str("hasKey", &args[1])?)))
}

fn pluck(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("pluck", args, 1)?;
    let key = arg_str("pluck", &args[0])?;
    let mut out = Vec::new();
    for d in &args[1..] {
        if let Some(v) = arg_map("pluck", d)?.get(key) {
            out.push(v.clone());
        }
    }
    Ok(Value::List(out))
}

fn keys(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let mut out = Vec::new();
    for d in args {
        out.extend(arg_map("keys", d)?.keys().cloned());
    }
    Ok(string_list(out))
}

fn values(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("values", args, 1)?;
    Ok(Value::List(arg_map("values", &args[0])?.values().cloned().collect()))
}

fn pick(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("pick", args, 1)?;
    let m = arg_map("pick", &args[0])?;
    let mut out = Map::new();
    for k in &args[1..] {
        let k = arg_str("pick", k)?;
        if let Some(v) = m.get(k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    Ok(Value::Map(out))
}

fn omit(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("omit", args, 1)?;
    let m = arg_map("omit", &args[0])?;
    let drop = args[1..].iter().map(|k| arg_str("omit", k)).collect::<Result<Vec<_>, _>>()?;
    Ok(Value::Map(m.iter().filter(|(k, _)| !drop.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect()))
}

/// mergo's (0.3.x, as Sprig 3.2.3 links it) merge of `map[string]interface{}` values, checked
/// against it:
/// - a nil source value is skipped, or with `overwrite` stored as nil;
/// - a missing destination key takes the source value;
/// - two maps merge recursively;
/// - a source list replaces the destination with `overwrite`;
/// - a non-empty destination map or list is kept when the source is a map or a list;
/// - otherwise the source value replaces the destination when `overwrite` is set (even an empty
///   one such as `""` or `0`) or when the destination is empty.
fn merge_into(dst: &mut Map, src: &Map, overwrite: bool) {
    for (k, sv) in src {
        if matches!(sv, Value::Nil) {
            if overwrite {
                dst.insert(k.clone(), Value::Nil);
            }
            continue;
        }
        let Some(dv) = dst.get_mut(k) else {
            dst.insert(k.clone(), sv.clone());
            continue;
        };
        if let (Value::Map(dm), Value::Map(sm)) = (&mut *dv, sv) {
            merge_into(dm, sm, overwrite);
            continue;
        }
        let keep = matches!(sv, Value::Map(_) | Value::List(_)) && !is_empty(dv);
        if (overwrite && matches!(sv, Value::List(_))) || (!keep && (overwrite || is_empty(dv))) {
            *dv = sv.clone();
        }
    }
}

fn merge_impl(name: &str, args: &[Value], overwrite: bool) -> Result<Value, FuncError> {
    arity_min(name, args, 1)?;
    let mut dst = arg_map(name, &args[0])?.clone();
    for src in &args[1..] {
        merge_into(&mut dst, arg_map(name, src)?, overwrite);
    }
    Ok(Value::Map(dst))
}

fn merge(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    merge_impl("merge", args, false)
}

fn merge_overwrite(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    merge_impl("mergeOverwrite", args, true)
}

fn dig(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    if args.len() < 3 {
        return Err(FuncError::new("dig", "dig needs at least three arguments"));
    }
    let (path, rest) = args.split_at(args.len() - 2);
    let default = &rest[0];
    let mut cur = arg_map("dig", &rest[1])?;
    for (i, k) in path.iter().enumerate() {
        let k = arg_str("dig", k)?;
        match cur.get(k) {
            None => return Ok(default.clone()),
            Some(v) if i + 1 == path.len() => return Ok(v.clone()),
            Some(Value::Map(m)) => cur = m,
            Some(_) => return Err(FuncError::new("dig", "interface conversion: value is not a map")),
        }
    }
    Ok(default.clone())
}

fn deep_copy(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("deepCopy", args, 1)?;
    if matches!(args[0], Value::Nil) {
        // copystructure.Copy(nil) fails (Sprig's deepCopy panics, mustDeepCopy errors).
        return Err(FuncError::new("deepCopy", "copy: nil value"));
    }
    Ok(args[0].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: Function, args: &[Value]) -> Result<Value, FuncError> {
        f(&FuncEnv::default(), args)
    }

    #[test]
    fn merge_keeps_destination_values_and_fills_gaps() {
        let dst = Value::Map(Map::from([("a".into(), Value::Int(1)), ("b".into(), "".into())]));
        let src =
            Value::Map(Map::from([("a".into(), Value::Int(2)), ("b".into(), "x".into()), ("c".into(), "y".into())]));
        let merged = call(merge, &[dst.clone(), src.clone()]).unwrap();
        let want =
            Value::Map(Map::from([("a".into(), Value::Int(1)), ("b".into(), "x".into()), ("c".into(), "y".into())]));
        assert_eq!(merged, want);
        let over = call(merge_overwrite, &[dst, src.clone()]).unwrap();
        assert_eq!(over, src);
    }

    #[test]
    fn dig_through_a_non_map_fails() {
        let m = Value::Map(Map::from([("a".into(), "x".into())]));
        assert!(call(dig, &[Value::from("a"), Value::from("b"), Value::from("d"), m]).is_err());
    }

    #[test]
    fn dict_with_an_odd_argument_count_maps_the_last_key_to_empty() {
        let d = call(dict, &[Value::from("a")]).unwrap();
        assert_eq!(d, Value::string_map([("a", "")]));
    }
}
