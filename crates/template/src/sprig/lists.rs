//! List functions. Sprig's non-`must` list functions panic where the `must` ones return an
//! error; a panic in a template function is an execution error in Go, so both forms fail
//! here alike. A `[]byte` counts as a list of its bytes (as Go's reflection sees it).

use super::{arg_int, arity, arity_min, check_size, is_empty};
use crate::func::{FuncEnv, FuncError, Function};
use crate::value::Value;

/// The list functions, by template name.
pub fn functions() -> Vec<(&'static str, Function)> {
    vec![
        ("list", list),
        ("tuple", list),
        ("append", push),
        ("push", push),
        ("mustAppend", push),
        ("mustPush", push),
        ("prepend", prepend),
        ("mustPrepend", prepend),
        ("first", first),
        ("mustFirst", first),
        ("rest", rest),
        ("mustRest", rest),
        ("last", last),
        ("mustLast", last),
        ("initial", initial),
        ("mustInitial", initial),
        ("reverse", reverse),
        ("mustReverse", reverse),
        ("uniq", uniq),
        ("mustUniq", uniq),
        ("without", without),
        ("mustWithout", without),
        ("has", has),
        ("mustHas", has),
        ("slice", slice),
        ("mustSlice", slice),
        ("concat", concat),
        ("chunk", chunk),
        ("mustChunk", chunk),
        ("compact", compact),
        ("mustCompact", compact),
        ("until", until),
        ("untilStep", until_step),
        ("seq", seq),
    ]
}

/// Go's `reflect.Kind` name of a value, as Sprig's error messages print it.
pub(crate) fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Int64(_) => "int64",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::Bytes(_) | Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Time(_) => "struct",
    }
}

/// The items of a slice value, or Sprig's error `Cannot <what> on type <kind>`.
fn items(name: &str, what: &str, v: &Value) -> Result<Vec<Value>, FuncError> {
    match v {
        Value::List(l) => Ok(l.clone()),
        Value::Bytes(b) => Ok(b.iter().map(|&x| Value::Int(i64::from(x))).collect()),
        other => Err(FuncError::new(name, format!("Cannot {what} on type {}", kind_name(other)))),
    }
}

fn list(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::List(args.to_vec()))
}

fn push(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("append", args, 2)?;
    let mut l = items("append", "push", &args[0])?;
    l.push(args[1].clone());
    Ok(Value::List(l))
}

fn prepend(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("prepend", args, 2)?;
    let mut l = items("prepend", "prepend", &args[0])?;
    l.insert(0, args[1].clone());
    Ok(Value::List(l))
}

fn first(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("first", args, 1)?;
    Ok(items("first", "find first", &args[0])?.into_iter().next().unwrap_or(Value::Nil))
}

fn last(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("last", args, 1)?;
    Ok(items("last", "find last", &args[0])?.pop().unwrap_or(Value::Nil))
}

fn rest(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("rest", args, 1)?;
    let l = items("rest", "find rest", &args[0])?;
    Ok(Value::List(l.into_iter().skip(1).collect()))
}

fn initial(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("initial", args, 1)?;
    let mut l = items("initial", "find initial", &args[0])?;
    l.pop();
    Ok(Value::List(l))
}

fn reverse(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("reverse", args, 1)?;
    let mut l = items("reverse", "find reverse", &args[0])?;
    l.reverse();
    Ok(Value::List(l))
}

fn uniq(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("uniq", args, 1)?;
    let mut out: Vec<Value> = Vec::new();
    for item in items("uniq", "find uniq", &args[0])? {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    Ok(Value::List(out))
}

fn without(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("without", args, 1)?;
    let omit = &args[1..];
    let l = items("without", "find without", &args[0])?;
    Ok(Value::List(l.into_iter().filter(|i| !omit.contains(i)).collect()))
}

fn has(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("has", args, 2)?;
    if matches!(args[1], Value::Nil) {
        return Ok(Value::Bool(false));
    }
    let l = items("has", "find has", &args[1])?;
    Ok(Value::Bool(l.contains(&args[0])))
}

fn slice(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity_min("slice", args, 1)?;
    if !matches!(args[0], Value::List(_) | Value::Bytes(_)) {
        return Err(FuncError::new(
            "slice",
            format!("list should be type of slice or array but {}", kind_name(&args[0])),
        ));
    }
    let len = match &args[0] {
        Value::List(l) => l.len(),
        Value::Bytes(b) => b.len(),
        _ => 0,
    };
    if len == 0 {
        return Ok(Value::Nil);
    }
    let start = match args.get(1) {
        Some(v) => super::math::cast_int64(v),
        None => 0,
    };
    let end = match args.get(2) {
        Some(v) => super::math::cast_int64(v),
        None => len as i64,
    };
    if start < 0 || end < start || end as usize > len {
        return Err(FuncError::new("slice", format!("reflect: slice index out of range [{start}:{end}]")));
    }
    let (a, b) = (start as usize, end as usize);
    Ok(match &args[0] {
        Value::Bytes(bytes) => Value::Bytes(bytes[a..b].to_vec()),
        Value::List(l) => Value::List(l[a..b].to_vec()),
        _ => Value::Nil,
    })
}

fn concat(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let mut out = Vec::new();
    for v in args {
        match v {
            Value::List(_) | Value::Bytes(_) => out.extend(items("concat", "concat", v)?),
            other => {
                return Err(FuncError::new("concat", format!("Cannot concat type {} as list", kind_name(other))));
            }
        }
    }
    Ok(Value::List(out))
}

fn chunk(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("chunk", args, 2)?;
    let size = arg_int("chunk", &args[0])?;
    let l = items("chunk", "chunk", &args[1])?;
    if size <= 0 {
        return Err(FuncError::new("chunk", "runtime error: chunk size must be positive"));
    }
    Ok(Value::List(l.chunks(size as usize).map(|c| Value::List(c.to_vec())).collect()))
}

fn compact(_: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("compact", args, 1)?;
    let l = items("compact", "compact", &args[0])?;
    Ok(Value::List(l.into_iter().filter(|i| !is_empty(i)).collect()))
}

/// Sprig's `untilStep`, refusing to build more items than the size limit allows (counting
/// eight bytes an item).
fn until_step_vec(env: &FuncEnv, name: &str, start: i64, stop: i64, step: i64) -> Result<Vec<i64>, FuncError> {
    let count: u128 = if stop < start {
        if step >= 0 {
            0
        } else {
            (i128::from(start) - i128::from(stop)).unsigned_abs().div_ceil(i128::from(step).unsigned_abs())
        }
    } else if step <= 0 {
        0
    } else {
        (i128::from(stop) - i128::from(start)).unsigned_abs().div_ceil(i128::from(step).unsigned_abs())
    };
    check_size(name, env, usize::try_from(count.saturating_mul(8)).unwrap_or(usize::MAX))?;
    let mut out = Vec::with_capacity(count as usize);
    let mut i = start;
    for _ in 0..count {
        out.push(i);
        i = i.saturating_add(step);
    }
    Ok(out)
}

fn ints(v: Vec<i64>) -> Value {
    Value::List(v.into_iter().map(Value::Int).collect())
}

fn until(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("until", args, 1)?;
    let count = arg_int("until", &args[0])?;
    let step = if count < 0 { -1 } else { 1 };
    Ok(ints(until_step_vec(env, "until", 0, count, step)?))
}

fn until_step(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    arity("untilStep", args, 3)?;
    let start = arg_int("untilStep", &args[0])?;
    let stop = arg_int("untilStep", &args[1])?;
    let step = arg_int("untilStep", &args[2])?;
    Ok(ints(until_step_vec(env, "untilStep", start, stop, step)?))
}

fn seq(env: &FuncEnv, args: &[Value]) -> Result<Value, FuncError> {
    let p = args.iter().map(|a| arg_int("seq", a)).collect::<Result<Vec<i64>, _>>()?;
    let v = match p.as_slice() {
        [end] => {
            let inc = if *end < 1 { -1 } else { 1 };
            until_step_vec(env, "seq", 1, end + inc, inc)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step_vec(env, "seq", *start, end + step, step)?
        }
        [start, step, end] => {
            let inc = if end < start { -1 } else { 1 };
            if end < start && *step > 0 { Vec::new() } else { until_step_vec(env, "seq", *start, end + inc, *step)? }
        }
        _ => Vec::new(),
    };
    Ok(Value::String(v.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: Function, args: &[Value]) -> Result<Value, FuncError> {
        f(&FuncEnv::default(), args)
    }

    #[test]
    fn push_on_a_map_reports_the_kind() {
        let err = call(push, &[Value::Map(Default::default()), Value::Int(1)]).unwrap_err();
        assert_eq!(err.0, "append: Cannot push on type map");
    }

    #[test]
    fn until_is_bounded_by_the_size_limit() {
        let env = FuncEnv { max_bytes: 80, ..FuncEnv::default() };
        assert!(until(&env, &[Value::Int(11)]).is_err());
        assert_eq!(until(&env, &[Value::Int(3)]), Ok(ints(vec![0, 1, 2])));
        assert!(until(&FuncEnv::default(), &[Value::Int(1_000_000_000)]).is_err());
    }

    #[test]
    fn seq_counts_down_when_the_end_is_below_the_start() {
        assert_eq!(call(seq, &[Value::Int(-3)]), Ok(Value::String("1 0 -1 -2 -3".into())));
        assert_eq!(call(seq, &[Value::Int(0), Value::Int(2), Value::Int(5)]), Ok(Value::String("0 2 4".into())));
    }

    #[test]
    fn int_and_int64_are_different_for_has() {
        let l = Value::List(vec![Value::Int(1)]);
        assert_eq!(call(has, &[Value::Int64(1), l.clone()]), Ok(Value::Bool(false)));
        assert_eq!(call(has, &[Value::Int(1), l]), Ok(Value::Bool(true)));
    }
}
