//! The executor: walks a parsed tree over data, with Go's semantics for fields, missing keys,
//! pipelines, variables and control structures, and the configured limits.

use std::borrow::Cow;

use crate::error::{Error, LimitKind, line_col};
use crate::format;
use crate::func::FuncEnv;
use crate::parse::{Arg, Callee, Command, Control, Node, Number, Pipe};
use crate::value::Value;
use crate::{MissingKey, Template};

/// A value during execution. `None` is Go's invalid `reflect.Value` ("no value"), distinct from a
/// nil interface (`Some(Nil)`) only inside field chains, where Go treats them differently.
type Val<'d> = Option<Cow<'d, Value>>;

/// Where an error is reported: the node Go's `state.at` would point to.
#[derive(Clone, Copy)]
enum At<'t> {
    Arg(&'t Arg),
    Cmd(&'t Command),
    Node(&'t Node),
}

impl At<'_> {
    fn pos(self) -> usize {
        match self {
            Self::Arg(a) => a.pos(),
            Self::Cmd(c) => c.pos,
            Self::Node(Node::Action { pos, .. } | Node::Control { pos, .. } | Node::Template { pos, .. }) => *pos,
            Self::Node(Node::Break(pos) | Node::Continue(pos)) => *pos,
            Self::Node(Node::Text(_)) => 0,
        }
    }

    fn context(self) -> String {
        match self {
            Self::Arg(a) => a.to_string(),
            Self::Cmd(c) => c.to_string(),
            Self::Node(n) => n.context(),
        }
    }
}

enum FailKind {
    Message(String),
    Limit(LimitKind, u64),
}

/// An execution failure before it is turned into an [`Error`].
pub(crate) struct Fail {
    pos: usize,
    context: String,
    executing: String,
    kind: FailKind,
}

impl Fail {
    pub(crate) fn into_error(self, tmpl: &Template) -> Error {
        let (line, col) = line_col(&tmpl.text, self.pos);
        let template = tmpl.name.clone();
        match self.kind {
            FailKind::Message(m) => {
                let context = self.context;
                Error::Exec {
                    template,
                    line,
                    col,
                    message: format!("executing {:?} at <{context}>: {m}", self.executing),
                }
            }
            FailKind::Limit(limit, max) => Error::Limit { template, line, col, limit, max },
        }
    }
}

type R<T> = Result<T, Fail>;

enum Flow {
    Normal,
    Break,
    Continue,
}

pub(crate) struct State<'t, 'd> {
    tmpl: &'t Template,
    name: &'t str,
    pub(crate) out: String,
    steps: u64,
    depth: usize,
    vars: Vec<(&'t str, Val<'d>)>,
    env: FuncEnv,
}

fn to_value(v: Val<'_>) -> Value {
    v.map_or(Value::Nil, Cow::into_owned)
}

/// Go's "lovely" step: a nil interface result becomes no value.
fn settle(v: Val<'_>) -> Val<'_> {
    match v {
        Some(c) if matches!(*c, Value::Nil) => None,
        other => other,
    }
}

impl<'t, 'd> State<'t, 'd> {
    pub(crate) fn new(tmpl: &'t Template, root: &'d Value) -> (Self, Val<'d>) {
        let dot = if matches!(root, Value::Nil) { None } else { Some(Cow::Borrowed(root)) };
        let state = Self {
            tmpl,
            name: &tmpl.name,
            out: String::new(),
            steps: 0,
            depth: 0,
            vars: vec![("$", dot.clone())],
            env: FuncEnv { max_bytes: tmpl.options.max_output, string_maps: tmpl.options.string_maps },
        };
        (state, dot)
    }

    fn fail(&self, at: At<'t>, message: impl Into<String>) -> Fail {
        Fail {
            pos: at.pos(),
            context: at.context(),
            executing: self.name.to_string(),
            kind: FailKind::Message(message.into()),
        }
    }

    fn limit(&self, at: At<'t>, kind: LimitKind, max: u64) -> Fail {
        Fail {
            pos: at.pos(),
            context: String::new(),
            executing: self.name.to_string(),
            kind: FailKind::Limit(kind, max),
        }
    }

    fn step(&mut self, at: At<'t>) -> R<()> {
        self.steps += 1;
        if self.steps > self.tmpl.options.max_steps {
            return Err(self.limit(at, LimitKind::Steps, self.tmpl.options.max_steps));
        }
        Ok(())
    }

    fn write(&mut self, at: At<'t>, s: &str) -> R<()> {
        if self.out.len() + s.len() > self.tmpl.options.max_output {
            return Err(self.limit(at, LimitKind::Output, self.tmpl.options.max_output as u64));
        }
        self.out.push_str(s);
        Ok(())
    }

    pub(crate) fn run(&mut self, dot: &Val<'d>, nodes: &'t [Node]) -> R<()> {
        self.walk(dot, nodes).map(|_| ())
    }

    fn walk(&mut self, dot: &Val<'d>, nodes: &'t [Node]) -> R<Flow> {
        for node in nodes {
            let at = At::Node(node);
            self.step(at)?;
            match node {
                Node::Text(t) => self.write(at, t)?,
                Node::Action { pipe, .. } => {
                    let v = self.eval_pipeline(dot, pipe)?;
                    if pipe.decl.is_empty() {
                        let mut s = String::new();
                        format::print_action(&mut s, v.as_deref().unwrap_or(&Value::Nil));
                        self.write(at, &s)?;
                    }
                }
                Node::Control { kind: Control::Range, pipe, list, else_list, .. } => {
                    let mark = self.vars.len();
                    let r = self.walk_range(at, dot, pipe, list, else_list.as_deref());
                    self.vars.truncate(mark);
                    r?;
                }
                Node::Control { kind, pipe, list, else_list, .. } => {
                    let mark = self.vars.len();
                    let v = self.eval_pipeline(dot, pipe)?;
                    let truth = v.as_deref().is_some_and(Value::truthy);
                    let flow = if truth {
                        if *kind == Control::With { self.walk(&v, list)? } else { self.walk(dot, list)? }
                    } else if let Some(e) = else_list {
                        self.walk(dot, e)?
                    } else {
                        Flow::Normal
                    };
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Template { name, pipe, .. } => self.walk_template(at, dot, name, pipe.as_ref())?,
                Node::Break(_) => return Ok(Flow::Break),
                Node::Continue(_) => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_template(&mut self, at: At<'t>, dot: &Val<'d>, name: &'t str, pipe: Option<&'t Pipe>) -> R<()> {
        let Some((tname, tree)) = self.tmpl.trees.get_key_value(name) else {
            return Err(self.fail(at, format!("template {name:?} not defined")));
        };
        if self.depth >= self.tmpl.options.max_depth {
            return Err(self.limit(at, LimitKind::Depth, self.tmpl.options.max_depth as u64));
        }
        let v = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => None,
        };
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$", v.clone())]);
        let saved_name = std::mem::replace(&mut self.name, tname);
        self.depth += 1;
        let r = self.walk(&v, tree);
        self.depth -= 1;
        self.name = saved_name;
        self.vars = saved_vars;
        r.map(|_| ())
    }

    fn walk_range(
        &mut self,
        at: At<'t>,
        dot: &Val<'d>,
        pipe: &'t Pipe,
        list: &'t [Node],
        else_list: Option<&'t [Node]>,
    ) -> R<()> {
        let v = self.eval_pipeline(dot, pipe)?;
        let mark = self.vars.len();
        let ndecl = pipe.decl.len();
        // One iteration; returns false to stop (break).
        let iterate = |s: &mut Self, key: Value, elem: Cow<'d, Value>| -> R<bool> {
            s.step(at)?;
            let elem = Some(elem);
            if ndecl > 0
                && let Some(slot) = s.vars.len().checked_sub(1).and_then(|i| s.vars.get_mut(i))
            {
                slot.1 = elem.clone();
            }
            if ndecl > 1
                && let Some(slot) = s.vars.len().checked_sub(2).and_then(|i| s.vars.get_mut(i))
            {
                slot.1 = Some(Cow::Owned(key));
            }
            let flow = s.walk(&elem, list);
            s.vars.truncate(mark);
            Ok(!matches!(flow?, Flow::Break))
        };
        let empty = match v {
            None => true,
            Some(Cow::Borrowed(Value::List(l))) => {
                for (i, e) in l.iter().enumerate() {
                    if !iterate(self, Value::Int(i as i64), Cow::Borrowed(e))? {
                        break;
                    }
                }
                l.is_empty()
            }
            Some(Cow::Borrowed(Value::Map(m))) => {
                for (k, e) in m {
                    if !iterate(self, Value::String(k.clone()), Cow::Borrowed(e))? {
                        break;
                    }
                }
                m.is_empty()
            }
            Some(Cow::Owned(Value::List(l))) => {
                let empty = l.is_empty();
                for (i, e) in l.into_iter().enumerate() {
                    if !iterate(self, Value::Int(i as i64), Cow::Owned(e))? {
                        break;
                    }
                }
                empty
            }
            Some(Cow::Owned(Value::Map(m))) => {
                let empty = m.is_empty();
                for (k, e) in m {
                    if !iterate(self, Value::String(k), Cow::Owned(e))? {
                        break;
                    }
                }
                empty
            }
            Some(other) => {
                return Err(self.fail(at, format!("range can't iterate over value of type {}", other.type_name())));
            }
        };
        if empty && let Some(e) = else_list {
            self.walk(dot, e)?;
        }
        Ok(())
    }

    fn eval_pipeline(&mut self, dot: &Val<'d>, pipe: &'t Pipe) -> R<Val<'d>> {
        let mut value: Option<Val<'d>> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            value = Some(settle(v));
        }
        let value = value.flatten();
        for name in &pipe.decl {
            if pipe.is_assign {
                match self.vars.iter_mut().rev().find(|(n, _)| *n == name.as_str()) {
                    Some(slot) => slot.1 = value.clone(),
                    None => {
                        return Err(self.fail(At::Cmd(&pipe.cmds[0]), format!("undefined variable: {name}")));
                    }
                }
            } else {
                self.vars.push((name.as_str(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &'t [Arg], has_final: bool) -> R<()> {
        if args.len() > 1 || has_final {
            let first = &args[0];
            return Err(self.fail(At::Arg(first), format!("can't give argument to non-function {first}")));
        }
        Ok(())
    }

    /// `final_` is the previous pipeline stage's value (`None` when this is the first stage).
    fn eval_command(&mut self, dot: &Val<'d>, cmd: &'t Command, final_: Option<Val<'d>>) -> R<Val<'d>> {
        self.step(At::Cmd(cmd))?;
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => self.eval_field_chain(At::Arg(first), dot.clone(), idents, &cmd.args, final_),
            Arg::Chain { node, fields, .. } => {
                if matches!(**node, Arg::Nil(_)) {
                    return Err(self.fail(At::Arg(first), format!("indirection through explicit nil in {first}")));
                }
                let recv = self.eval_arg(dot, node)?;
                self.eval_field_chain(At::Arg(first), recv, fields, &cmd.args, final_)
            }
            Arg::Func { name, callee, .. } => self.eval_call(dot, first, cmd, name, *callee, &cmd.args[1..], final_),
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, final_.is_some())?;
                self.eval_pipeline(dot, p)
            }
            Arg::Variable { name, fields, .. } => {
                let v = self.var(At::Arg(first), name)?;
                if fields.is_empty() {
                    self.not_a_function(&cmd.args, final_.is_some())?;
                    return Ok(v);
                }
                self.eval_field_chain(At::Arg(first), v, fields, &cmd.args, final_)
            }
            Arg::Nil(_) => Err(self.fail(At::Arg(first), "nil is not a command")),
            _ => {
                self.not_a_function(&cmd.args, final_.is_some())?;
                self.eval_arg(dot, first)
            }
        }
    }

    /// Sprig's `set`, `unset`, `merge` and `mergeOverwrite` change their first (map) argument in
    /// place in Go, and templates rely on it (`{{ $_ := set $d "k" "v" }}` then `{{ $d.k }}`).
    /// Our functions return the changed map; when the first argument is a plain variable, the
    /// result is written back to it. (Aliases of the same map elsewhere are not updated: Go's
    /// maps are shared references, ours are values.)
    fn write_back_mutation(&mut self, name: &str, args: &'t [Arg], result: &Value) {
        if !matches!(name, "set" | "unset" | "merge" | "mergeOverwrite") || !matches!(result, Value::Map(_)) {
            return;
        }
        let Some(Arg::Variable { name: var, fields, .. }) = args.first() else { return };
        if !fields.is_empty() || var.as_str() == "$" {
            return;
        }
        if let Some((_, slot)) = self.vars.iter_mut().rev().find(|(n, _)| *n == var.as_str()) {
            *slot = Some(Cow::Owned(result.clone()));
        }
    }

    fn var(&self, at: At<'t>, name: &str) -> R<Val<'d>> {
        match self.vars.iter().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.fail(at, format!("undefined variable: {name}"))),
        }
    }

    fn eval_arg(&mut self, dot: &Val<'d>, arg: &'t Arg) -> R<Val<'d>> {
        let at = At::Arg(arg);
        match arg {
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Ok(Some(Cow::Owned(Value::Nil))),
            Arg::Field { idents, .. } => {
                self.eval_field_chain(at, dot.clone(), idents, std::slice::from_ref(arg), None)
            }
            Arg::Variable { name, fields, .. } => {
                let v = self.var(at, name)?;
                if fields.is_empty() {
                    return Ok(v);
                }
                self.eval_field_chain(at, v, fields, std::slice::from_ref(arg), None)
            }
            Arg::Pipe(p) => self.eval_pipeline(dot, p),
            Arg::Func { name, callee, .. } => {
                let cmd_args: &'t [Arg] = std::slice::from_ref(arg);
                self.eval_call_args(dot, at, at, name, *callee, &cmd_args[1..], None)
            }
            Arg::Chain { node, fields, .. } => {
                if matches!(**node, Arg::Nil(_)) {
                    return Err(self.fail(at, format!("indirection through explicit nil in {arg}")));
                }
                let recv = self.eval_arg(dot, node)?;
                self.eval_field_chain(at, recv, fields, std::slice::from_ref(arg), None)
            }
            Arg::Bool(_, b) => Ok(Some(Cow::Owned(Value::Bool(*b)))),
            Arg::Str { value, .. } => Ok(Some(Cow::Owned(Value::String(value.clone())))),
            Arg::Number { value, text, .. } => match value {
                Number::Int(i) => Ok(Some(Cow::Owned(Value::Int(*i)))),
                Number::Float(f) => Ok(Some(Cow::Owned(Value::Float(*f)))),
                Number::Invalid => Ok(None),
                Number::Overflow => Err(self.fail(at, format!("{text} overflows int"))),
            },
        }
    }

    fn eval_field_chain(
        &mut self,
        at: At<'t>,
        mut recv: Val<'d>,
        idents: &'t [String],
        args: &'t [Arg],
        final_: Option<Val<'d>>,
    ) -> R<Val<'d>> {
        let n = idents.len();
        for (i, name) in idents.iter().enumerate() {
            let last = i + 1 == n;
            let has_args = last && (args.len() > 1 || final_.is_some());
            recv = self.eval_field(at, name, has_args, recv)?;
        }
        Ok(recv)
    }

    fn eval_field(&mut self, at: At<'t>, name: &str, has_args: bool, recv: Val<'d>) -> R<Val<'d>> {
        let Some(recv) = recv else {
            if self.tmpl.options.missing_key == MissingKey::Error {
                return Err(self.fail(at, format!("nil data; no entry for key {name:?}")));
            }
            return Ok(None);
        };
        let found = match recv {
            Cow::Borrowed(Value::Map(m)) => {
                if has_args {
                    return Err(self.fail(at, format!("{name} is not a method but has arguments")));
                }
                m.get(name).map(Cow::Borrowed)
            }
            Cow::Owned(Value::Map(mut m)) => {
                if has_args {
                    return Err(self.fail(at, format!("{name} is not a method but has arguments")));
                }
                m.remove(name).map(Cow::Owned)
            }
            Cow::Borrowed(Value::Nil) | Cow::Owned(Value::Nil) => {
                return Err(self.fail(at, format!("nil pointer evaluating interface {{}}.{name}")));
            }
            other => {
                return Err(self.fail(at, format!("can't evaluate field {name} in type {}", other.type_name())));
            }
        };
        match found {
            Some(v) => Ok(Some(v)),
            None => match self.tmpl.options.missing_key {
                MissingKey::Default => Ok(None),
                MissingKey::Zero if self.env.string_maps => Ok(Some(Cow::Owned(Value::String(String::new())))),
                MissingKey::Zero => Ok(Some(Cow::Owned(Value::Nil))),
                MissingKey::Error => Err(self.fail(at, format!("map has no entry for key {name:?}"))),
            },
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_call(
        &mut self,
        dot: &Val<'d>,
        ident: &'t Arg,
        cmd: &'t Command,
        name: &'t str,
        callee: Callee,
        args: &'t [Arg],
        final_: Option<Val<'d>>,
    ) -> R<Val<'d>> {
        self.eval_call_args(dot, At::Arg(ident), At::Cmd(cmd), name, callee, args, final_)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_call_args(
        &mut self,
        dot: &Val<'d>,
        ident: At<'t>,
        cmd: At<'t>,
        name: &'t str,
        callee: Callee,
        args: &'t [Arg],
        final_: Option<Val<'d>>,
    ) -> R<Val<'d>> {
        match callee {
            Callee::And | Callee::Or => {
                let is_or = matches!(callee, Callee::Or);
                if args.is_empty() && final_.is_none() {
                    return Err(self.fail(ident, format!("wrong number of args for {name}: want at least 1 got 0")));
                }
                let mut v = None;
                for a in args {
                    v = settle(self.eval_arg(dot, a)?);
                    if v.as_deref().is_some_and(Value::truthy) == is_or {
                        return Ok(v);
                    }
                }
                if let Some(f) = final_ {
                    v = f;
                }
                Ok(v)
            }
            Callee::Func(f) => {
                let mut vals = Vec::with_capacity(args.len() + 1);
                for a in args {
                    vals.push(to_value(self.eval_arg(dot, a)?));
                }
                if let Some(fv) = final_ {
                    vals.push(to_value(fv));
                }
                match f(&self.env, &vals) {
                    Ok(v) => {
                        self.write_back_mutation(name, args, &v);
                        Ok(Some(Cow::Owned(v)))
                    }
                    Err(e) => {
                        let msg = e.0;
                        if msg.starts_with("wrong number of args") || msg.starts_with("wrong type for value") {
                            return Err(self.fail(ident, msg));
                        }
                        let msg = msg.strip_prefix(name).and_then(|m| m.strip_prefix(": ")).unwrap_or(&msg);
                        Err(self.fail(cmd, format!("error calling {name}: {msg}")))
                    }
                }
            }
        }
    }
}
