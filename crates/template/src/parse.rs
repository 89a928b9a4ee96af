//! The parser: tokens to a tree of nodes, following Go's `text/template/parse` (including its
//! parse-time checks: unknown functions, undefined variables, `break` outside `range`,
//! non-executable pipeline stages).

use std::collections::HashMap;
use std::fmt;

use crate::func::Function;
use crate::lex::{Keyword, LexError, Tok, Token};

/// What an identifier in a command calls, resolved at parse time.
#[derive(Clone, Copy)]
pub(crate) enum Callee {
    /// The short-circuiting `and`.
    And,
    /// The short-circuiting `or`.
    Or,
    /// A plain function.
    Func(Function),
}

/// A parsed number literal, typed as Go's `idealConstant` types it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    Int(i64),
    Float(f64),
    /// A literal that is neither an `int` nor a float (Go evaluates it to no value).
    Invalid,
    /// An unsigned literal too large for `int`.
    Overflow,
}

/// An operand of a command.
#[derive(Clone)]
pub(crate) enum Arg {
    Field { pos: usize, idents: Vec<String> },
    Variable { pos: usize, name: String, fields: Vec<String> },
    Dot(usize),
    Nil(usize),
    Bool(usize, bool),
    Number { pos: usize, text: String, value: Number },
    Str { pos: usize, value: String, quoted: String },
    Func { pos: usize, name: String, callee: Callee },
    Pipe(Box<Pipe>),
    Chain { pos: usize, node: Box<Arg>, fields: Vec<String> },
}

impl Arg {
    pub(crate) fn pos(&self) -> usize {
        match self {
            Self::Field { pos, .. }
            | Self::Variable { pos, .. }
            | Self::Dot(pos)
            | Self::Nil(pos)
            | Self::Bool(pos, _)
            | Self::Number { pos, .. }
            | Self::Str { pos, .. }
            | Self::Func { pos, .. }
            | Self::Chain { pos, .. } => *pos,
            Self::Pipe(p) => p.pos,
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Field { idents, .. } => {
                for i in idents {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Self::Variable { name, fields, .. } => {
                f.write_str(name)?;
                for i in fields {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Self::Dot(_) => f.write_str("."),
            Self::Nil(_) => f.write_str("nil"),
            Self::Bool(_, b) => write!(f, "{b}"),
            Self::Number { text, .. } => f.write_str(text),
            Self::Str { quoted, .. } => f.write_str(quoted),
            Self::Func { name, .. } => f.write_str(name),
            Self::Pipe(p) => write!(f, "({p})"),
            Self::Chain { node, fields, .. } => {
                write!(f, "{node}")?;
                for i in fields {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
        }
    }
}

/// One command of a pipeline: operands separated by spaces.
#[derive(Clone)]
pub(crate) struct Command {
    pub(crate) pos: usize,
    pub(crate) args: Vec<Arg>,
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

/// A pipeline with optional variable declarations or assignments.
#[derive(Clone)]
pub(crate) struct Pipe {
    pub(crate) pos: usize,
    pub(crate) is_assign: bool,
    pub(crate) decl: Vec<String>,
    pub(crate) cmds: Vec<Command>,
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// The kind of a control structure with a pipeline, a body and an optional else.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    If,
    With,
    Range,
}

/// A node of a template body.
#[derive(Clone)]
pub(crate) enum Node {
    Text(String),
    Action { pos: usize, pipe: Pipe },
    Control { kind: Control, pos: usize, pipe: Pipe, list: Vec<Node>, else_list: Option<Vec<Node>> },
    Template { pos: usize, name: String, quoted: String, pipe: Option<Pipe> },
    Break(usize),
    Continue(usize),
}

impl Node {
    /// Go's `Node.String()` for the nodes errors are reported at.
    pub(crate) fn context(&self) -> String {
        match self {
            Self::Text(_) => String::new(),
            Self::Action { pipe, .. } => format!("{{{{{pipe}}}}}"),
            Self::Control { kind, pipe, .. } => {
                let k = match kind {
                    Control::If => "if",
                    Control::With => "with",
                    Control::Range => "range",
                };
                format!("{{{{{k} {pipe}}}}}")
            }
            Self::Template { quoted, pipe: None, .. } => format!("{{{{template {quoted}}}}}"),
            Self::Template { quoted, pipe: Some(p), .. } => format!("{{{{template {quoted} {p}}}}}"),
            Self::Break(_) => "{{break}}".to_string(),
            Self::Continue(_) => "{{continue}}".to_string(),
        }
    }
}

/// A parse failure: message and byte offset.
pub(crate) struct ParseError {
    pub(crate) pos: usize,
    pub(crate) message: String,
}

impl From<LexError> for ParseError {
    fn from(e: LexError) -> Self {
        Self { pos: e.pos, message: e.message }
    }
}

type PResult<T> = Result<T, ParseError>;

/// Every tree a template text defines: the main one under its name, plus `define`s and `block`s.
pub(crate) struct Trees {
    pub(crate) trees: HashMap<String, Vec<Node>>,
}

/// Parses `tokens` into trees. `funcs` resolves function names (and `and`/`or`).
pub(crate) fn parse(name: &str, tokens: Vec<Token>, funcs: &dyn Fn(&str) -> Option<Callee>) -> PResult<Trees> {
    let mut p = Parser { tokens, i: 0, vars: vec!["$".to_string()], range_depth: 0, funcs, trees: HashMap::new() };
    let mut root = Vec::new();
    loop {
        if p.peek().tok == Tok::Eof {
            break;
        }
        if p.peek().tok == Tok::Left {
            let save = p.i;
            p.next();
            if p.next_non_space().tok == Tok::Keyword(Keyword::Define) {
                p.parse_definition()?;
                continue;
            }
            p.i = save;
        }
        match p.text_or_action()? {
            Item::Node(n) => root.push(n),
            Item::End(pos) => return Err(ParseError { pos, message: "unexpected {{end}}".to_string() }),
            Item::Else(pos, _) => return Err(ParseError { pos, message: "unexpected {{else}}".to_string() }),
        }
    }
    p.add(name.to_string(), root)?;
    Ok(Trees { trees: p.trees })
}

enum Item {
    Node(Node),
    End(usize),
    /// `{{else}}`, or `{{else if ...` / `{{else with ...` with the keyword left pending.
    Else(usize, Option<Keyword>),
}

struct Parser<'f> {
    tokens: Vec<Token>,
    i: usize,
    vars: Vec<String>,
    range_depth: usize,
    funcs: &'f dyn Fn(&str) -> Option<Callee>,
    trees: HashMap<String, Vec<Node>>,
}

fn is_empty_tree(nodes: &[Node]) -> bool {
    nodes.iter().all(|n| matches!(n, Node::Text(t) if t.trim().is_empty()))
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Eof => "EOF".to_string(),
        Tok::Keyword(k) => format!("<{}>", k.name()),
        Tok::Text(t) => format!("{t:?}"),
        Tok::Left => "\"{{\"".to_string(),
        Tok::Right => "\"}}\"".to_string(),
        Tok::Space => "\" \"".to_string(),
        Tok::Field(f) => format!("\".{f}\""),
        Tok::Variable(v) => format!("{v:?}"),
        Tok::Dot => "\".\"".to_string(),
        Tok::Ident(i) => format!("{i:?}"),
        Tok::Bool(b) => format!("\"{b}\""),
        Tok::Nil => "\"nil\"".to_string(),
        Tok::Number(n) | Tok::Char(n) => format!("{n:?}"),
        Tok::Str(_, q) => format!("{q:?}"),
        Tok::LParen => "\"(\"".to_string(),
        Tok::RParen => "\")\"".to_string(),
        Tok::Pipe => "\"|\"".to_string(),
        Tok::Declare => "\":=\"".to_string(),
        Tok::Assign => "\"=\"".to_string(),
        Tok::Comma => "\",\"".to_string(),
    }
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // The token list always ends with Eof, and `next` never moves past it.
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[self.i.min(last)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i + 1 < self.tokens.len() {
            self.i += 1;
        }
        t
    }

    fn peek_non_space(&mut self) -> Token {
        while self.peek().tok == Tok::Space {
            self.next();
        }
        self.peek().clone()
    }

    fn next_non_space(&mut self) -> Token {
        self.peek_non_space();
        self.next()
    }

    fn err<T>(&self, pos: usize, message: impl Into<String>) -> PResult<T> {
        Err(ParseError { pos, message: message.into() })
    }

    fn unexpected<T>(&self, t: &Token, context: &str) -> PResult<T> {
        self.err(t.pos, format!("unexpected {} in {context}", describe(&t.tok)))
    }

    fn expect_right(&mut self, context: &str) -> PResult<Token> {
        let t = self.next_non_space();
        if t.tok != Tok::Right {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn add(&mut self, name: String, nodes: Vec<Node>) -> PResult<()> {
        match self.trees.get(&name) {
            Some(old) if !is_empty_tree(old) => {
                if !is_empty_tree(&nodes) {
                    return self.err(self.peek().pos, format!("template: multiple definition of template {name:?}"));
                }
            }
            _ => {
                self.trees.insert(name, nodes);
            }
        }
        Ok(())
    }

    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let t = self.next_non_space();
        let Tok::Str(name, _) = t.tok else { return self.unexpected(&t, CONTEXT) };
        self.expect_right(CONTEXT)?;
        let saved = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let (list, end) = self.item_list()?;
        self.vars = saved;
        if let Item::Else(pos, _) = end {
            return self.err(pos, format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        self.add(name, list)
    }

    fn item_list(&mut self) -> PResult<(Vec<Node>, Item)> {
        let mut list = Vec::new();
        while self.peek_non_space().tok != Tok::Eof {
            match self.text_or_action()? {
                Item::Node(n) => list.push(n),
                end => return Ok((list, end)),
            }
        }
        self.err(self.peek().pos, "unexpected EOF")
    }

    fn text_or_action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.tok {
            Tok::Text(s) => Ok(Item::Node(Node::Text(s))),
            Tok::Left => self.action(),
            _ => self.unexpected(&t, "input"),
        }
    }

    fn action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.tok {
            Tok::Keyword(Keyword::Block) => return self.block_control().map(Item::Node),
            Tok::Keyword(k @ (Keyword::Break | Keyword::Continue)) => {
                let n = self.next_non_space();
                if n.tok != Tok::Right {
                    return self.unexpected(&n, &format!("{{{{{}}}}}", k.name()));
                }
                if self.range_depth == 0 {
                    return self.err(t.pos, format!("{{{{{}}}}} outside {{{{range}}}}", k.name()));
                }
                return Ok(Item::Node(if k == Keyword::Break { Node::Break(t.pos) } else { Node::Continue(t.pos) }));
            }
            Tok::Keyword(Keyword::Else) => {
                let peek = self.peek_non_space();
                if let Tok::Keyword(k @ (Keyword::If | Keyword::With)) = peek.tok {
                    return Ok(Item::Else(peek.pos, Some(k)));
                }
                let r = self.expect_right("else")?;
                return Ok(Item::Else(r.pos, None));
            }
            Tok::Keyword(Keyword::End) => {
                let r = self.expect_right("end")?;
                return Ok(Item::End(r.pos));
            }
            Tok::Keyword(Keyword::If) => return self.control(Control::If).map(Item::Node),
            Tok::Keyword(Keyword::With) => return self.control(Control::With).map(Item::Node),
            Tok::Keyword(Keyword::Range) => return self.control(Control::Range).map(Item::Node),
            Tok::Keyword(Keyword::Template) => return self.template_control().map(Item::Node),
            _ => {}
        }
        self.i -= 1;
        let pos = self.peek().pos;
        let pipe = self.pipeline("command", false)?;
        Ok(Item::Node(Node::Action { pos, pipe }))
    }

    fn control(&mut self, kind: Control) -> PResult<Node> {
        let context = match kind {
            Control::If => "if",
            Control::With => "with",
            Control::Range => "range",
        };
        let nvars = self.vars.len();
        let pipe = self.pipeline(context, false)?;
        if kind == Control::Range {
            self.range_depth += 1;
        }
        let (list, next) = self.item_list()?;
        if kind == Control::Range {
            self.range_depth -= 1;
        }
        let mut else_list = None;
        match next {
            Item::End(_) => {}
            Item::Else(_, Some(k))
                if (k == Keyword::If && kind == Control::If) || (k == Keyword::With && kind == Control::With) =>
            {
                // `{{else if x}}` is `{{else}}{{if x}}...{{end}}{{end}}` sharing one {{end}}.
                self.next_non_space();
                let nested = self.control(kind)?;
                else_list = Some(vec![nested]);
            }
            Item::Else(pos, Some(_)) => {
                let t = Token { tok: self.peek().tok.clone(), pos };
                return self.unexpected(&t, "else");
            }
            Item::Else(_, None) => {
                let (l, end) = self.item_list()?;
                if let Item::Else(pos, _) = end {
                    return self.err(pos, "expected end; found {{else}}");
                }
                else_list = Some(l);
            }
            Item::Node(_) => {}
        }
        self.vars.truncate(nvars);
        Ok(Node::Control { kind, pos: pipe.pos, pipe, list, else_list })
    }

    /// The quoted name after `template`/`block`, and its position (where Go reports the node).
    fn template_name(&mut self, context: &str) -> PResult<(String, String, usize)> {
        let t = self.next_non_space();
        match t.tok {
            Tok::Str(v, q) => Ok((v, q, t.pos)),
            _ => self.unexpected(&t, context),
        }
    }

    fn template_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let (name, quoted, pos) = self.template_name(CONTEXT)?;
        let pipe = if self.peek_non_space().tok == Tok::Right {
            self.next();
            None
        } else {
            Some(self.pipeline(CONTEXT, false)?)
        };
        Ok(Node::Template { pos, name, quoted, pipe })
    }

    fn block_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        let (name, quoted, pos) = self.template_name(CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, false)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let (list, end) = self.item_list()?;
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        if let Item::Else(p, _) = end {
            return self.err(p, format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        self.add(name.clone(), list)?;
        Ok(Node::Template { pos, name, quoted, pipe: Some(pipe) })
    }

    /// Parses a pipeline up to `)` (when `paren`) or the right delimiter.
    fn pipeline(&mut self, context: &str, paren: bool) -> PResult<Pipe> {
        let start = self.peek_non_space();
        let mut pipe = Pipe { pos: start.pos, is_assign: false, decl: Vec::new(), cmds: Vec::new() };
        // Declarations.
        loop {
            let v = self.peek_non_space();
            let Tok::Variable(name) = v.tok.clone() else { break };
            let save = self.i;
            self.next();
            let next = self.peek_non_space();
            match next.tok {
                Tok::Declare | Tok::Assign => {
                    pipe.is_assign = next.tok == Tok::Assign;
                    self.next();
                    if pipe.is_assign && !self.vars.contains(&name) {
                        return self.err(v.pos, format!("undefined variable {name:?}"));
                    }
                    pipe.decl.push(name.clone());
                    self.vars.push(name);
                    break;
                }
                Tok::Comma => {
                    self.next();
                    pipe.decl.push(name.clone());
                    self.vars.push(name);
                    if context == "range" && pipe.decl.len() < 2 {
                        let n = self.peek_non_space();
                        if matches!(n.tok, Tok::Variable(_) | Tok::Right | Tok::RParen) {
                            continue;
                        }
                        return self.err(n.pos, "range can only initialize variables");
                    }
                    return self.err(next.pos, format!("too many declarations in {context}"));
                }
                _ => {
                    self.i = save;
                    break;
                }
            }
        }
        loop {
            let t = self.next_non_space();
            match t.tok {
                Tok::Right if !paren => break,
                Tok::RParen if paren => break,
                Tok::Bool(_)
                | Tok::Char(_)
                | Tok::Dot
                | Tok::Field(_)
                | Tok::Ident(_)
                | Tok::Number(_)
                | Tok::Nil
                | Tok::Str(..)
                | Tok::Variable(_)
                | Tok::LParen => {
                    self.i -= 1;
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return self.unexpected(&t, context),
            }
        }
        if pipe.cmds.is_empty() {
            return self.err(
                self.tokens.get(self.i.saturating_sub(1)).map_or(0, |t| t.pos),
                format!("missing value for {context}"),
            );
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number { .. } | Arg::Str { .. })
            ) {
                return self.err(c.pos, format!("non executable command in pipeline stage {}", i + 1));
            }
        }
        Ok(pipe)
    }

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut args = Vec::new();
        loop {
            self.peek_non_space();
            if let Some(a) = self.operand()? {
                args.push(a);
            }
            let t = self.next();
            match t.tok {
                Tok::Space => continue,
                Tok::Right | Tok::RParen => self.i -= 1,
                Tok::Pipe => {}
                _ => return self.unexpected(&t, "operand"),
            }
            break;
        }
        if args.is_empty() {
            return self.err(pos, "empty command");
        }
        Ok(Command { pos, args })
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else { return Ok(None) };
        if let Tok::Field(_) = self.peek().tok {
            let chain_pos = self.peek().pos;
            let mut fields = Vec::new();
            while let Tok::Field(f) = self.peek().tok.clone() {
                self.next();
                fields.push(f);
            }
            return Ok(Some(match node {
                Arg::Field { mut idents, .. } => {
                    idents.extend(fields);
                    Arg::Field { pos: chain_pos, idents }
                }
                Arg::Variable { name, fields: mut f, .. } => {
                    f.extend(fields);
                    Arg::Variable { pos: chain_pos, name, fields: f }
                }
                Arg::Bool(..) | Arg::Str { .. } | Arg::Number { .. } | Arg::Nil(_) | Arg::Dot(_) => {
                    return self.err(chain_pos, format!("unexpected . after term {:?}", node.to_string()));
                }
                other => Arg::Chain { pos: chain_pos, node: Box::new(other), fields },
            }));
        }
        Ok(Some(node))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        let pos = t.pos;
        Ok(Some(match t.tok {
            Tok::Ident(name) => {
                let callee = match name.as_str() {
                    "and" => Some(Callee::And),
                    "or" => Some(Callee::Or),
                    _ => (self.funcs)(&name),
                };
                let Some(callee) = callee else {
                    return self.err(pos, format!("function {name:?} not defined"));
                };
                Arg::Func { pos, name, callee }
            }
            Tok::Dot => Arg::Dot(pos),
            Tok::Nil => Arg::Nil(pos),
            Tok::Variable(name) => {
                if !self.vars.contains(&name) {
                    return self.err(pos, format!("undefined variable {name:?}"));
                }
                Arg::Variable { pos, name, fields: Vec::new() }
            }
            Tok::Field(f) => Arg::Field { pos, idents: vec![f] },
            Tok::Bool(b) => Arg::Bool(pos, b),
            Tok::Char(text) => {
                let Some(c) = crate::lex::unquote_char(&text) else {
                    return self.err(pos, format!("malformed character constant: {text}"));
                };
                Arg::Number { pos, text, value: Number::Int(i64::from(u32::from(c))) }
            }
            Tok::Number(text) => {
                let Some(value) = parse_number(&text) else {
                    return self.err(pos, format!("illegal number syntax: {text:?}"));
                };
                Arg::Number { pos, text, value }
            }
            Tok::LParen => {
                let pipe = self.pipeline("parenthesized pipeline", true)?;
                Arg::Pipe(Box::new(Pipe { pos, ..pipe }))
            }
            Tok::Str(value, quoted) => Arg::Str { pos, value, quoted },
            _ => {
                self.i -= 1;
                return Ok(None);
            }
        }))
    }
}

/// Types a number literal the way Go's parser and `idealConstant` do: literals with `.`, an
/// exponent or `p` (and not hex integers) are `float64`, others `int`.
fn parse_number(text: &str) -> Option<Number> {
    if text.ends_with('i') {
        // Complex literals: not supported by the data model.
        return None;
    }
    let clean = text.replace('_', "");
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let lower = body.to_ascii_lowercase();
    let int_val = |digits: &str, radix: u32| -> Option<Number> {
        let v = u64::from_str_radix(digits, radix).ok()?;
        if neg {
            if v <= i64::MAX as u64 + 1 {
                return Some(Number::Int((v as i128).wrapping_neg() as i64));
            }
            return Some(Number::Invalid);
        }
        Some(i64::try_from(v).map_or(Number::Overflow, Number::Int))
    };
    if let Some(h) = lower.strip_prefix("0x") {
        if h.contains('p') || h.contains('.') {
            return None;
        }
        return int_val(h, 16);
    }
    if let Some(o) = lower.strip_prefix("0o") {
        return int_val(o, 8);
    }
    if let Some(b) = lower.strip_prefix("0b") {
        return int_val(b, 2);
    }
    if lower.contains(['.', 'e']) {
        let f: f64 = clean.parse().ok()?;
        // Go: a float literal whose value is integral is still a float when written with '.'/'e'.
        return Some(Number::Float(f));
    }
    if lower.len() > 1 && lower.starts_with('0') {
        // Legacy octal.
        return int_val(&lower[1..], 8);
    }
    match int_val(&lower, 10) {
        Some(n) => Some(n),
        None => {
            // Too large for u64: Go still parses it as a float but evaluates to no value.
            lower.parse::<f64>().ok().map(|_| Number::Invalid)
        }
    }
}
