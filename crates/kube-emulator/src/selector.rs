//! Label and field selectors, parsed and matched as the API server does for `labelSelector` and
//! `fieldSelector` on list and watch requests.
//!
//! The label grammar is apimachinery's: comma-separated requirements, all ANDed, each one of
//! `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k>n`, `k<n`, `k` (exists) or `!k` (absent).
//! Spaces, tabs and line breaks may surround tokens; `in` and `notin` are keywords only in operator
//! position. Keys must be label keys and values label values, and the errors carry the server's
//! wording, so a [`SelectorError`]'s text is the `message` of the 400 `BadRequest` Status.
//!
//! Field selectors are `f=v`, `f==v` or `f!=v`, comma-ANDed, with `\,`, `\=` and `\\` escapes in
//! values. Which fields a kind supports is the caller's business ([`FieldSelector::fields`]).

use std::fmt;

use serde_json::{Map, Value};

use crate::validation::{go_string_slice, label_key_messages, label_value_messages};

/// Why a selector was refused; its text is the message of the server's 400 `BadRequest` Status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorError(pub String);

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SelectorError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    In,
    NotIn,
    Equals,
    DoubleEquals,
    NotEquals,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

/// One requirement on one label key, checked as apimachinery's `NewRequirement` checks it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

impl Requirement {
    /// The requirement, or the server's aggregated message for everything wrong with it.
    fn new(key: &str, operator: Operator, values: Vec<String>) -> Result<Self, String> {
        let mut errors = Vec::new();
        let key_messages = label_key_messages(key);
        if !key_messages.is_empty() {
            errors.push(format!("key: Invalid value: {}: {}", crate::golang::quote(key), key_messages.join("; ")));
        }
        let values_error = |detail: &str| format!("values: Invalid value: {}: {detail}", go_string_slice(&values));
        match operator {
            Operator::In | Operator::NotIn if values.is_empty() => {
                errors.push(values_error("for 'in', 'notin' operators, values set can't be empty"));
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals if values.len() != 1 => {
                errors.push(values_error("exact-match compatibility requires one single value"));
            }
            Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
                errors.push(values_error("values set must be empty for exists and does not exist"));
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    errors.push(values_error("for 'Gt', 'Lt' operators, exactly one value is required"));
                }
                for (i, value) in values.iter().enumerate() {
                    if value.parse::<i64>().is_err() {
                        errors.push(format!(
                            "values[{i}]: Invalid value: {}: for 'Gt', 'Lt' operators, the value must be an integer",
                            crate::golang::quote(value)
                        ));
                    }
                }
            }
            _ => {}
        }
        for (i, value) in values.iter().enumerate() {
            let messages = label_value_messages(value);
            if !messages.is_empty() {
                errors.push(format!(
                    "values[{i}][{key}]: Invalid value: {}: {}",
                    crate::golang::quote(value),
                    messages.join("; ")
                ));
            }
        }
        // The server aggregates the errors, dropping repeated messages.
        let mut unique: Vec<String> = Vec::with_capacity(errors.len());
        for error in errors {
            if !unique.contains(&error) {
                unique.push(error);
            }
        }
        match unique.as_slice() {
            [] => Ok(Self { key: key.to_owned(), operator, values }),
            [one] => Err(one.clone()),
            many => Err(format!("[{}]", many.join(", "))),
        }
    }

    fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        let value = labels.and_then(|labels| labels.get(&self.key)).and_then(Value::as_str);
        let listed = |v: &str| self.values.iter().any(|candidate| candidate == v);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => value.is_some_and(listed),
            Operator::NotIn | Operator::NotEquals => value.is_none_or(|v| !listed(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(actual), [bound]) = (value.and_then(|v| v.parse::<i64>().ok()), self.values.as_slice())
                else {
                    return false;
                };
                let Ok(bound) = bound.parse::<i64>() else { return false };
                if self.operator == Operator::GreaterThan { actual > bound } else { actual < bound }
            }
        }
    }
}

/// A parsed label selector: requirements that must all hold. The default (and the empty string)
/// matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
    /// A `null` structured selector, which selects nothing.
    nothing: bool,
}

impl LabelSelector {
    /// Parses the `labelSelector` query parameter. `k in ()` and `k=` require the empty value;
    /// values of `in`/`notin` are a set.
    ///
    /// # Errors
    ///
    /// A syntax error, a bad key or a bad value, with apimachinery's message: a bad key gives
    /// `unable to parse requirement: <nil>: Invalid value: "Bad Key": name part must consist of ...`,
    /// a syntax error something like `found ',', expected: !, identifier, or 'end of string'`.
    pub fn parse(selector: &str) -> Result<Self, SelectorError> {
        let mut parser = Parser { items: Lexer { input: selector.as_bytes(), pos: 0 }.scan(), position: 0 };
        let mut requirements = parser.parse().map_err(SelectorError)?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Self { requirements, nothing: false })
    }

    /// Reads the structured selector of workload specs: `{matchLabels, matchExpressions: [{key,
    /// operator: In|NotIn|Exists|DoesNotExist, values}]}`. `null` selects nothing; `{}` selects
    /// everything.
    ///
    /// # Errors
    ///
    /// A bad key, value or operator, worded like apimachinery's `LabelSelectorAsSelector` (e.g.
    /// `"Gt" is not a valid label selector operator`), or a member of the wrong JSON type.
    pub fn from_json(selector: &Value) -> Result<Self, SelectorError> {
        let object = match selector {
            Value::Null => return Ok(Self { requirements: Vec::new(), nothing: true }),
            Value::Object(object) => object,
            other => return Err(shape_error("", other, "v1.LabelSelector")),
        };
        let mut requirements = Vec::new();
        match object.get("matchLabels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(labels)) => {
                for (key, value) in labels {
                    let value = match value {
                        Value::String(value) => value.clone(),
                        Value::Null => String::new(),
                        other => return Err(shape_error(".matchLabels", other, "string")),
                    };
                    requirements.push(Requirement::new(key, Operator::Equals, vec![value]).map_err(SelectorError)?);
                }
            }
            Some(other) => return Err(shape_error(".matchLabels", other, "map[string]string")),
        }
        match object.get("matchExpressions") {
            None | Some(Value::Null) => {}
            Some(Value::Array(expressions)) => {
                for expression in expressions {
                    requirements.push(expression_requirement(expression)?);
                }
            }
            Some(other) => return Err(shape_error(".matchExpressions", other, "[]v1.LabelSelectorRequirement")),
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Self { requirements, nothing: false })
    }

    /// Whether an object with these `metadata.labels` is selected. `!=`, `notin` and `!k` also
    /// select objects without the key (or without labels at all).
    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        !self.nothing && self.requirements.iter().all(|requirement| requirement.matches(labels))
    }

    /// Whether the selector selects everything (no requirements).
    pub fn is_empty(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }
}

fn expression_requirement(expression: &Value) -> Result<Requirement, SelectorError> {
    let Value::Object(expression) = expression else {
        return Err(shape_error(".matchExpressions", expression, "v1.LabelSelectorRequirement"));
    };
    let text = |member: &str| -> Result<String, SelectorError> {
        match expression.get(member) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(text)) => Ok(text.clone()),
            Some(other) => Err(shape_error(&format!(".matchExpressions.{member}"), other, "string")),
        }
    };
    let key = text("key")?;
    let operator = text("operator")?;
    let mut values = Vec::new();
    match expression.get("values") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for value in list {
                match value {
                    Value::String(value) => values.push(value.clone()),
                    Value::Null => values.push(String::new()),
                    other => return Err(shape_error(".matchExpressions.values", other, "string")),
                }
            }
        }
        Some(other) => return Err(shape_error(".matchExpressions.values", other, "[]string")),
    }
    let operator = match operator.as_str() {
        "In" => Operator::In,
        "NotIn" => Operator::NotIn,
        "Exists" => Operator::Exists,
        "DoesNotExist" => Operator::DoesNotExist,
        other => {
            return Err(SelectorError(format!(
                "{} is not a valid label selector operator",
                crate::golang::quote(other)
            )));
        }
    };
    Requirement::new(&key, operator, values).map_err(SelectorError)
}

fn shape_error(member: &str, value: &Value, go_type: &str) -> SelectorError {
    let kind = crate::validation::json_kind(value);
    SelectorError(format!("json: cannot unmarshal {kind} into Go struct field LabelSelector{member} of type {go_type}"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Token {
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn keyword(text: &[u8]) -> Option<Token> {
    Some(match text {
        b")" => Token::ClosedPar,
        b"," => Token::Comma,
        b"!" => Token::DoesNotExist,
        b"==" => Token::DoubleEquals,
        b"=" => Token::Equals,
        b">" => Token::GreaterThan,
        b"in" => Token::In,
        b"<" => Token::LessThan,
        b"!=" => Token::NotEquals,
        b"notin" => Token::NotIn,
        b"(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(b: u8) -> bool {
    matches!(b, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// apimachinery's selector lexer, byte by byte. Like the original, it treats a NUL byte as the end
/// of the current token (or of the input, where a token would start).
struct Lexer<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    fn read(&mut self) -> u8 {
        match self.input.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                b
            }
            None => 0,
        }
    }

    fn unread(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    fn scan(mut self) -> Vec<(Token, String)> {
        let mut items = Vec::new();
        loop {
            let item = self.lex();
            let end = item.0 == Token::EndOfString;
            items.push(item);
            if end {
                return items;
            }
        }
    }

    fn lex(&mut self) -> (Token, String) {
        let mut c = self.read();
        while is_whitespace(c) {
            c = self.read();
        }
        if c == 0 {
            return (Token::EndOfString, String::new());
        }
        self.unread();
        if is_special(c) { self.scan_special() } else { self.scan_identifier() }
    }

    fn scan_identifier(&mut self) -> (Token, String) {
        let mut buffer = Vec::new();
        loop {
            let c = self.read();
            if c == 0 {
                break;
            }
            if is_special(c) || is_whitespace(c) {
                self.unread();
                break;
            }
            buffer.push(c);
        }
        let text = String::from_utf8_lossy(&buffer).into_owned();
        (keyword(&buffer).unwrap_or(Token::Identifier), text)
    }

    /// The longest run of special characters that still forms an operator.
    fn scan_special(&mut self) -> (Token, String) {
        let mut buffer = Vec::new();
        let mut last: Option<(Token, usize)> = None;
        loop {
            let c = self.read();
            if c == 0 {
                break;
            }
            if !is_special(c) {
                self.unread();
                break;
            }
            buffer.push(c);
            match keyword(&buffer) {
                Some(token) => last = Some((token, buffer.len())),
                None if last.is_some() => {
                    self.unread();
                    break;
                }
                None => {}
            }
        }
        match last {
            Some((token, len)) => (token, String::from_utf8_lossy(&buffer[..len]).into_owned()),
            None => (Token::Error, format!("error expected: keyword found '{}'", String::from_utf8_lossy(&buffer))),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

/// apimachinery's recursive-descent selector parser over the scanned tokens.
struct Parser {
    items: Vec<(Token, String)>,
    position: usize,
}

impl Parser {
    fn peek(&self, context: Context) -> (Token, String) {
        let (token, literal) = self.items.get(self.position).cloned().unwrap_or((Token::EndOfString, String::new()));
        // `in` and `notin` are plain words wherever a key or value is expected.
        match (context, token) {
            (Context::Values, Token::In | Token::NotIn) => (Token::Identifier, literal),
            _ => (token, literal),
        }
    }

    fn next(&mut self, context: Context) -> (Token, String) {
        let item = self.peek(context);
        self.position += 1;
        item
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, String> {
        let mut requirements = Vec::new();
        loop {
            let (token, literal) = self.peek(Context::Values);
            match token {
                Token::Identifier | Token::DoesNotExist => {
                    let requirement =
                        self.parse_requirement().map_err(|error| format!("unable to parse requirement: {error}"))?;
                    requirements.push(requirement);
                    let (token, literal) = self.next(Context::Values);
                    match token {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let (after, literal) = self.peek(Context::Values);
                            if after != Token::Identifier && after != Token::DoesNotExist {
                                return Err(format!("found '{literal}', expected: identifier after ','"));
                            }
                        }
                        _ => return Err(format!("found '{literal}', expected: ',' or 'end of string'")),
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => return Err(format!("found '{literal}', expected: !, identifier, or 'end of string'")),
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, inferred) = self.parse_key_and_infer_operator()?;
        if let Some(operator) = inferred {
            return Requirement::new(&key, operator, Vec::new());
        }
        let operator = self.parse_operator()?;
        let values = match operator {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        Requirement::new(&key, operator, values)
    }

    /// The key, with `Exists` or `DoesNotExist` when no binary operator can follow.
    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), String> {
        let (mut token, mut literal) = self.next(Context::Values);
        let negated = token == Token::DoesNotExist;
        if negated {
            (token, literal) = self.next(Context::Values);
        }
        if token != Token::Identifier {
            return Err(format!("found '{literal}', expected: identifier"));
        }
        let messages = label_key_messages(&literal);
        if !messages.is_empty() {
            // The server parses without a field path, which Go prints as `<nil>`.
            return Err(format!("<nil>: Invalid value: {}: {}", crate::golang::quote(&literal), messages.join("; ")));
        }
        let (after, _) = self.peek(Context::Values);
        let operator = if negated {
            Some(Operator::DoesNotExist)
        } else if matches!(after, Token::EndOfString | Token::Comma) {
            Some(Operator::Exists)
        } else {
            None
        };
        Ok((literal, operator))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (token, literal) = self.next(Context::KeyAndOperator);
        Ok(match token {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => return Err(format!("found '{literal}', expected: in, notin, =, ==, !=, gt, lt")),
        })
    }

    /// `(a,b,...)`: a sorted set, where empty items (`()`, `(,a)`, `(a,,b)`) stand for `""`.
    fn parse_values(&mut self) -> Result<Vec<String>, String> {
        let (token, literal) = self.next(Context::Values);
        if token != Token::OpenPar {
            return Err(format!("found '{literal}' expected: '('"));
        }
        let (token, literal) = self.peek(Context::Values);
        let mut values = match token {
            Token::Identifier | Token::Comma => {
                let values = self.parse_identifiers_list()?;
                // The list only ends in front of `)`, which is consumed here.
                self.next(Context::Values);
                values
            }
            Token::ClosedPar => {
                self.next(Context::Values);
                vec![String::new()]
            }
            _ => return Err(format!("found '{literal}', expected: ',', ')' or identifier")),
        };
        values.sort();
        values.dedup();
        Ok(values)
    }

    fn parse_identifiers_list(&mut self) -> Result<Vec<String>, String> {
        let mut values: Vec<String> = Vec::new();
        loop {
            let (token, literal) = self.next(Context::Values);
            match token {
                Token::Identifier => {
                    values.push(literal);
                    let (after, literal) = self.peek(Context::Values);
                    match after {
                        Token::Comma => {}
                        Token::ClosedPar => return Ok(values),
                        _ => return Err(format!("found '{literal}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if values.is_empty() {
                        values.push(String::new());
                    }
                    match self.peek(Context::Values).0 {
                        Token::ClosedPar => {
                            values.push(String::new());
                            return Ok(values);
                        }
                        Token::Comma => values.push(String::new()),
                        _ => {}
                    }
                }
                _ => return Err(format!("found '{literal}', expected: ',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<Vec<String>, String> {
        let (token, _) = self.peek(Context::Values);
        if matches!(token, Token::EndOfString | Token::Comma) {
            return Ok(vec![String::new()]);
        }
        let (token, literal) = self.next(Context::Values);
        if token == Token::Identifier {
            Ok(vec![literal])
        } else {
            Err(format!("found '{literal}', expected: identifier"))
        }
    }
}

/// A parsed field selector: `field=value` and `field!=value` terms that must all hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {
    terms: Vec<FieldTerm>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct FieldTerm {
    field: String,
    equal: bool,
    value: String,
}

impl FieldSelector {
    /// Parses the `fieldSelector` query parameter as apimachinery does: terms split at unescaped
    /// commas (empty terms are skipped), each split at its first `!=`, `==` or `=`; in values `\,`,
    /// `\=` and `\\` stand for the character itself. Field names are taken as written, spaces
    /// included.
    ///
    /// # Errors
    ///
    /// A term without an operator (`invalid selector: '<selector>'; can't understand '<term>'`), or a
    /// value with an unknown escape or a bare `=` (`invalid field selector: ...`).
    pub fn parse(selector: &str) -> Result<Self, SelectorError> {
        let mut parts = split_terms(selector);
        // The server sorts the raw terms first, which decides which bad term is reported.
        parts.sort_unstable();
        let mut terms = Vec::new();
        for part in parts {
            if part.is_empty() {
                continue;
            }
            let Some((field, operator, raw)) = split_term(part) else {
                return Err(SelectorError(format!("invalid selector: '{selector}'; can't understand '{part}'")));
            };
            terms.push(FieldTerm { field: field.to_owned(), equal: operator != "!=", value: unescape_value(raw)? });
        }
        Ok(Self { terms })
    }

    /// The field labels the selector uses, in term order, for the caller to check against the
    /// kind's supported ones (an unsupported one is a 400 `field label not supported: <field>`).
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().map(|term| term.field.as_str())
    }

    /// Whether an object is selected. `lookup` returns the object's value for a field label; as on
    /// the server, a missing value counts as `""`, so `f=` selects it and `f!=x` does too.
    pub fn matches(&self, lookup: &dyn Fn(&str) -> Option<String>) -> bool {
        self.terms.iter().all(|term| (lookup(&term.field).unwrap_or_default() == term.value) == term.equal)
    }

    /// Whether the selector selects everything (no terms).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// Splits at commas not escaped by a backslash; escapes stay in the terms.
fn split_terms(selector: &str) -> Vec<&str> {
    if selector.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in selector.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ',' {
            terms.push(&selector[start..i]);
            start = i + 1;
        }
    }
    terms.push(&selector[start..]);
    terms
}

/// The field, the operator and the raw value, split at the first operator in the term.
fn split_term(term: &str) -> Option<(&str, &'static str, &str)> {
    term.char_indices().find_map(|(i, _)| {
        ["!=", "==", "="]
            .into_iter()
            .find(|op| term[i..].starts_with(op))
            .map(|op| (&term[..i], op, &term[i + op.len()..]))
    })
}

fn unescape_value(raw: &str) -> Result<String, SelectorError> {
    let mut value = String::with_capacity(raw.len());
    let mut escaped = false;
    for c in raw.chars() {
        if escaped {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(SelectorError(format!("invalid field selector: invalid escape sequence: \\{c}")));
            }
            value.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ',' || c == '=' {
            // Go prints the rune as a number.
            return Err(SelectorError(format!(
                "invalid field selector: unescaped character in value: {}",
                u32::from(c)
            )));
        } else {
            value.push(c);
        }
    }
    if escaped {
        return Err(SelectorError("invalid field selector: invalid escape sequence: \\".to_owned()));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NAME_PART_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start \
        and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for \
        validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    fn labels(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn selects(selector: &str, value: Value) -> bool {
        LabelSelector::parse(selector).unwrap().matches(Some(&labels(value)))
    }

    fn error(selector: &str) -> String {
        LabelSelector::parse(selector).unwrap_err().to_string()
    }

    #[test]
    fn empty_selector_matches_everything() {
        for selector in ["", "   ", "\t\n"] {
            let parsed = LabelSelector::parse(selector).unwrap();
            assert!(parsed.is_empty());
            assert!(parsed.matches(None));
            assert!(parsed.matches(Some(&labels(json!({"a": "b"})))));
        }
        assert!(LabelSelector::default().matches(None));
    }

    #[test]
    fn equality_operators_need_the_key_with_that_value() {
        for selector in ["app=web", "app==web", " app = web ", "app\t==\tweb"] {
            assert!(selects(selector, json!({"app": "web", "x": "y"})), "{selector}");
            assert!(!selects(selector, json!({"app": "db"})), "{selector}");
            assert!(!selects(selector, json!({})), "{selector}");
        }
    }

    #[test]
    fn inequality_also_matches_objects_without_the_key() {
        assert!(selects("app!=web", json!({"app": "db"})));
        assert!(selects("app!=web", json!({})));
        assert!(LabelSelector::parse("app!=web").unwrap().matches(None));
        assert!(!selects("app!=web", json!({"app": "web"})));
    }

    #[test]
    fn set_operators_match_members_and_notin_matches_absence() {
        assert!(selects("env in (prod, staging)", json!({"env": "staging"})));
        assert!(!selects("env in (prod,staging)", json!({"env": "dev"})));
        assert!(!selects("env in (prod)", json!({})));
        assert!(selects("env notin (prod,staging)", json!({"env": "dev"})));
        assert!(selects("env notin (prod)", json!({})));
        assert!(!selects("env notin (prod)", json!({"env": "prod"})));
    }

    #[test]
    fn bare_key_means_exists_and_bang_means_absent() {
        assert!(selects("app", json!({"app": ""})));
        assert!(!selects("app", json!({})));
        assert!(selects("!app", json!({"other": "x"})));
        assert!(!selects("!app", json!({"app": "x"})));
        assert!(selects("! app", json!({})), "whitespace may follow the bang");
    }

    #[test]
    fn requirements_are_anded() {
        let selector = "app=web,tier in (front),!legacy,env!=dev";
        assert!(selects(selector, json!({"app": "web", "tier": "front"})));
        assert!(!selects(selector, json!({"app": "web", "tier": "front", "legacy": "1"})));
        assert!(!selects(selector, json!({"app": "web", "tier": "front", "env": "dev"})));
    }

    #[test]
    fn empty_values_are_allowed_and_match_empty_labels() {
        assert!(selects("a=", json!({"a": ""})));
        assert!(selects("a=,b", json!({"a": "", "b": "x"})));
        assert!(!selects("a=", json!({"a": "x"})));
        assert!(selects("a in ()", json!({"a": ""})));
        assert!(selects("a in (,x)", json!({"a": ""})));
        assert!(selects("a in (x,)", json!({"a": ""})));
        assert!(selects("a in (x,,y)", json!({"a": ""})));
        assert!(!selects("a in (x,y)", json!({"a": ""})));
    }

    #[test]
    fn keywords_are_plain_words_outside_operator_position() {
        assert!(selects("in in (in,notin)", json!({"in": "notin"})));
        assert!(selects("notin=in", json!({"notin": "in"})));
        assert!(selects("in", json!({"in": "x"})));
    }

    #[test]
    fn greater_and_less_than_compare_integers() {
        assert!(selects("replicas>2", json!({"replicas": "3"})));
        assert!(!selects("replicas>2", json!({"replicas": "2"})));
        assert!(selects("replicas<2", json!({"replicas": "1"})));
        assert!(!selects("replicas>2", json!({"replicas": "many"})));
        assert!(!selects("replicas>2", json!({})));
        assert!(
            error("replicas>two").starts_with(
                "unable to parse requirement: values[0]: Invalid value: \"two\": for 'Gt', 'Lt' operators"
            )
        );
    }

    #[test]
    fn invalid_key_reports_the_nil_path() {
        assert_eq!(
            error("app:web"),
            format!("unable to parse requirement: <nil>: Invalid value: \"app:web\": {NAME_PART_MSG}")
        );
        assert_eq!(
            error("-ltier=postgres"),
            format!("unable to parse requirement: <nil>: Invalid value: \"-ltier\": {NAME_PART_MSG}")
        );
    }

    #[test]
    fn invalid_prefix_messages_are_joined_with_semicolons() {
        let message = error("Bad_Prefix/&x");
        let expected = "unable to parse requirement: <nil>: Invalid value: \"Bad_Prefix/&x\": \
                        prefix part a lowercase RFC 1123 subdomain";
        assert!(message.starts_with(expected), "{message}");
        assert!(message.contains("; name part must consist"));
    }

    #[test]
    fn invalid_value_reports_its_index_and_key() {
        assert_eq!(
            error("app=-web"),
            "unable to parse requirement: values[0][app]: Invalid value: \"-web\": a valid label must be an empty \
             string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an \
             alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is \
             '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        );
        let long = "v".repeat(64);
        assert_eq!(
            error(&format!("app={long}")),
            format!(
                "unable to parse requirement: values[0][app]: Invalid value: \"{long}\": must be no more than 63 bytes"
            )
        );
    }

    #[test]
    fn several_bad_values_are_aggregated_in_sorted_order() {
        assert_eq!(
            error("k in (z-, -a)"),
            "unable to parse requirement: [values[0][k]: Invalid value: \"-a\": a valid label must be an empty string \
             or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric \
             character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is \
             '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'), values[1][k]: Invalid value: \"z-\": a valid label must \
             be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with \
             an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is \
             '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]"
        );
    }

    #[test]
    fn syntax_errors_use_the_servers_wording() {
        let cases = [
            (",", "found ',', expected: !, identifier, or 'end of string'"),
            ("a,", "found '', expected: identifier after ','"),
            ("a,,b", "found ',', expected: identifier after ','"),
            ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
            ("a (b)", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"),
            ("x=a b", "found 'b', expected: ',' or 'end of string'"),
            ("!", "unable to parse requirement: found '', expected: identifier"),
            ("!a=b", "found '=', expected: ',' or 'end of string'"),
            ("a in b", "unable to parse requirement: found 'b' expected: '('"),
            ("a in (b", "unable to parse requirement: found '', expected: ',' or ')'"),
            ("a in (b c)", "unable to parse requirement: found 'c', expected: ',' or ')'"),
            ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
            ("a in (b,=)", "unable to parse requirement: found '=', expected: ',', or identifier"),
            ("a=(", "unable to parse requirement: found '(', expected: identifier"),
            ("a>=1", "unable to parse requirement: found '=', expected: identifier"),
            ("a!==b", "unable to parse requirement: found '=', expected: identifier"),
        ];
        for (selector, message) in cases {
            assert_eq!(error(selector), message, "{selector}");
        }
    }

    #[test]
    fn nul_byte_ends_a_token_like_the_go_lexer() {
        assert!(selects("a\0,b", json!({"a": "1", "b": "2"})));
        assert!(selects("a,\0b", json!({"a": "1", "b": "2"})), "a NUL right after an operator is swallowed");
        assert_eq!(error("a, \0b"), "found '', expected: identifier after ','");
    }

    #[test]
    fn structured_selector_supports_match_labels_and_expressions() {
        let selector = LabelSelector::from_json(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["front", "edge"]},
                {"key": "env", "operator": "NotIn", "values": ["dev"]},
                {"key": "team", "operator": "Exists"},
                {"key": "legacy", "operator": "DoesNotExist", "values": []},
            ]
        }))
        .unwrap();
        assert!(selector.matches(Some(&labels(json!({"app": "web", "tier": "edge", "team": "a"})))));
        assert!(!selector.matches(Some(&labels(json!({"app": "web", "tier": "edge", "team": "a", "env": "dev"})))));
        assert!(!selector.matches(Some(&labels(json!({"app": "web", "tier": "edge"})))));
    }

    #[test]
    fn null_structured_selector_matches_nothing_and_empty_matches_everything() {
        let nothing = LabelSelector::from_json(&Value::Null).unwrap();
        assert!(!nothing.matches(None));
        assert!(!nothing.is_empty());
        let everything = LabelSelector::from_json(&json!({})).unwrap();
        assert!(everything.matches(None));
        assert!(everything.is_empty());
    }

    #[test]
    fn structured_selector_errors_match_label_selector_as_selector() {
        let bad_operator = LabelSelector::from_json(&json!({"matchExpressions": [{"key": "a", "operator": "Gt"}]}));
        assert_eq!(bad_operator.unwrap_err().0, "\"Gt\" is not a valid label selector operator");
        let no_values = LabelSelector::from_json(&json!({"matchExpressions": [{"key": "a", "operator": "In"}]}));
        assert_eq!(
            no_values.unwrap_err().0,
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"
        );
        let extra = LabelSelector::from_json(
            &json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
        );
        assert_eq!(
            extra.unwrap_err().0,
            "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist"
        );
        let bad_key = LabelSelector::from_json(&json!({"matchLabels": {"a b": "c"}}));
        assert_eq!(bad_key.unwrap_err().0, format!("key: Invalid value: \"a b\": {NAME_PART_MSG}"));
        assert!(LabelSelector::from_json(&json!({"matchLabels": []})).is_err());
        assert!(LabelSelector::from_json(&json!("app=web")).is_err());
    }

    fn field_lookup(field: &str) -> Option<String> {
        match field {
            "metadata.name" => Some("web".to_owned()),
            "metadata.namespace" => Some("default".to_owned()),
            "spec.note" => Some("a,b=c\\d".to_owned()),
            _ => None,
        }
    }

    fn field_selects(selector: &str) -> bool {
        FieldSelector::parse(selector).unwrap().matches(&field_lookup)
    }

    #[test]
    fn field_selector_equality_and_inequality() {
        assert!(field_selects("metadata.name=web"));
        assert!(field_selects("metadata.name==web"));
        assert!(!field_selects("metadata.name=db"));
        assert!(field_selects("metadata.name!=db"));
        assert!(field_selects("metadata.name=web,metadata.namespace=default"));
        assert!(!field_selects("metadata.name=web,metadata.namespace!=default"));
        assert!(field_selects(""));
        assert!(field_selects(",,metadata.name=web,"));
    }

    #[test]
    fn missing_field_values_count_as_empty() {
        assert!(field_selects("spec.nodeName="));
        assert!(!field_selects("spec.nodeName=node-1"));
        assert!(field_selects("spec.nodeName!=node-1"));
    }

    #[test]
    fn field_values_unescape_commas_equals_and_backslashes() {
        assert!(field_selects("spec.note=a\\,b\\=c\\\\d"));
        let parsed = FieldSelector::parse("b=x\\,y,a!=z").unwrap();
        assert_eq!(parsed.fields().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn field_selector_splits_at_the_first_operator() {
        let parsed = FieldSelector::parse("a!=b").unwrap();
        assert_eq!(parsed.terms, [FieldTerm { field: "a".into(), equal: false, value: "b".into() }]);
        let parsed = FieldSelector::parse("a==b").unwrap();
        assert_eq!(parsed.terms, [FieldTerm { field: "a".into(), equal: true, value: "b".into() }]);
        let parsed = FieldSelector::parse(" a = b").unwrap();
        assert_eq!(parsed.fields().collect::<Vec<_>>(), [" a "], "field names are not trimmed");
    }

    #[test]
    fn field_selector_errors_use_the_servers_wording() {
        let error = |s: &str| FieldSelector::parse(s).unwrap_err().to_string();
        assert_eq!(error("metadata.name"), "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
        assert_eq!(error("b=1,a"), "invalid selector: 'b=1,a'; can't understand 'a'");
        assert_eq!(error("a=b=c"), "invalid field selector: unescaped character in value: 61");
        assert_eq!(error("a=\\x"), "invalid field selector: invalid escape sequence: \\x");
        assert_eq!(error("a=b\\"), "invalid field selector: invalid escape sequence: \\");
    }
}
