//! The lexer: template text to tokens, following Go's `text/template/parse` lexer (delimiters,
//! trim markers `{{- ` and ` -}}`, comments, and the tokens inside actions).

/// One token kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// Plain text between actions (already trimmed by trim markers).
    Text(String),
    /// The left delimiter.
    Left,
    /// The right delimiter.
    Right,
    /// Run of spaces inside an action.
    Space,
    /// `.name` (one segment).
    Field(String),
    /// `$name` or `$`.
    Variable(String),
    /// `.` alone.
    Dot,
    /// A function name.
    Ident(String),
    /// A keyword (`if`, `range`, ...).
    Keyword(Keyword),
    /// `true` / `false`.
    Bool(bool),
    /// `nil`.
    Nil,
    /// A number literal, as written.
    Number(String),
    /// A character constant, as written (`'a'`).
    Char(String),
    /// A string literal: (unquoted value, text as written).
    Str(String, String),
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `|`.
    Pipe,
    /// `:=`.
    Declare,
    /// `=`.
    Assign,
    /// `,`.
    Comma,
    /// End of input.
    Eof,
}

/// Keywords of the template language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Range,
    Template,
    With,
}

impl Keyword {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Break => "break",
            Self::Continue => "continue",
            Self::Define => "define",
            Self::Else => "else",
            Self::End => "end",
            Self::If => "if",
            Self::Range => "range",
            Self::Template => "template",
            Self::With => "with",
        }
    }
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) pos: usize,
}

/// A lexing failure: message and byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexError {
    pub(crate) pos: usize,
    pub(crate) message: String,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Tokenizes `text` with the given delimiters.
pub(crate) fn lex(text: &str, left: &str, right: &str) -> Result<Vec<Token>, LexError> {
    Lexer { text, left, right, pos: 0, out: Vec::new(), paren_depth: 0 }.run()
}

struct Lexer<'a> {
    text: &'a str,
    left: &'a str,
    right: &'a str,
    pos: usize,
    out: Vec<Token>,
    paren_depth: usize,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn err<T>(&self, pos: usize, message: impl Into<String>) -> Result<T, LexError> {
        Err(LexError { pos, message: message.into() })
    }

    fn emit(&mut self, tok: Tok, pos: usize) {
        self.out.push(Token { tok, pos });
    }

    fn run(mut self) -> Result<Vec<Token>, LexError> {
        let mut trim_next_text = false;
        loop {
            // Text up to the next left delimiter.
            let rest = self.rest();
            let (end, found) = match rest.find(self.left) {
                Some(i) => (self.pos + i, true),
                None => (self.text.len(), false),
            };
            let mut text = self.text.get(self.pos..end).unwrap_or_default();
            let text_start = self.pos;
            let mut trim_left = false;
            if found {
                let after = self.text.get(end + self.left.len()..).unwrap_or_default().as_bytes();
                if after.first() == Some(&b'-') && after.get(1).is_some_and(|&c| is_space(c)) {
                    trim_left = true;
                }
            }
            let mut start = text_start;
            if trim_next_text {
                let trimmed = text.trim_start_matches([' ', '\t', '\r', '\n']);
                start += text.len() - trimmed.len();
                text = trimmed;
            }
            if trim_left {
                text = text.trim_end_matches([' ', '\t', '\r', '\n']);
            }
            if !text.is_empty() {
                self.emit(Tok::Text(text.to_string()), start);
            }
            if !found {
                self.emit(Tok::Eof, self.text.len());
                return Ok(self.out);
            }
            self.pos = end;
            trim_next_text = self.lex_action(trim_left)?;
        }
    }

    /// Lexes from a left delimiter through its right delimiter. Returns whether the action ended
    /// with a trim marker.
    fn lex_action(&mut self, trim_left: bool) -> Result<bool, LexError> {
        let delim_pos = self.pos;
        self.pos += self.left.len();
        if trim_left {
            self.pos += 2;
        }
        // Comment?
        if self.rest().starts_with("/*") {
            let Some(close) = self.rest().find("*/") else {
                return self.err(delim_pos, "unclosed comment");
            };
            self.pos += close + 2;
            let rest = self.rest();
            let trim_right = {
                let b = rest.as_bytes();
                b.first().is_some_and(|&c| is_space(c))
                    && b.get(1) == Some(&b'-')
                    && rest.get(2..).is_some_and(|r| r.starts_with(self.right))
            };
            if trim_right {
                self.pos += 2 + self.right.len();
                return Ok(true);
            }
            if rest.starts_with(self.right) {
                self.pos += self.right.len();
                return Ok(false);
            }
            return self.err(delim_pos, "comment ends before closing delimiter");
        }
        self.emit(Tok::Left, delim_pos);
        loop {
            let rest = self.rest();
            // Right delimiter, possibly with a trim marker.
            let b = rest.as_bytes();
            if b.first().is_some_and(|&c| is_space(c))
                && b.get(1) == Some(&b'-')
                && rest.get(2..).is_some_and(|r| r.starts_with(self.right))
            {
                if self.paren_depth > 0 {
                    return self.err(self.pos, "unclosed left paren");
                }
                self.emit(Tok::Right, self.pos + 2);
                self.pos += 2 + self.right.len();
                return Ok(true);
            }
            if rest.starts_with(self.right) {
                if self.paren_depth > 0 {
                    return self.err(self.pos, "unclosed left paren");
                }
                self.emit(Tok::Right, self.pos);
                self.pos += self.right.len();
                return Ok(false);
            }
            let Some(c) = rest.chars().next() else {
                return self.err(delim_pos, "unclosed action");
            };
            let start = self.pos;
            match c {
                ' ' | '\t' | '\r' | '\n' => {
                    let mut n = rest.len() - rest.trim_start_matches([' ', '\t', '\r', '\n']).len();
                    // Leave the last space of a " -}}" trim marker for the check above.
                    let after = rest.get(n..).unwrap_or_default();
                    if after.starts_with('-') && after.get(1..).is_some_and(|r| r.starts_with(self.right)) {
                        n -= 1;
                    }
                    self.pos += n;
                    self.emit(Tok::Space, start);
                }
                '=' => {
                    self.pos += 1;
                    self.emit(Tok::Assign, start);
                }
                ':' => {
                    if rest.starts_with(":=") {
                        self.pos += 2;
                        self.emit(Tok::Declare, start);
                    } else {
                        return self.err(start, "expected :=");
                    }
                }
                '|' => {
                    self.pos += 1;
                    self.emit(Tok::Pipe, start);
                }
                ',' => {
                    self.pos += 1;
                    self.emit(Tok::Comma, start);
                }
                '"' => self.lex_quote(start)?,
                '`' => self.lex_raw(start)?,
                '\'' => self.lex_char(start)?,
                '$' => {
                    self.pos += 1;
                    let name = self.scan_word();
                    self.check_terminator(start)?;
                    self.emit(Tok::Variable(format!("${name}")), start);
                }
                '.' => {
                    let next = rest.get(1..).and_then(|r| r.chars().next());
                    if next.is_some_and(|c| c.is_ascii_digit()) {
                        self.lex_number(start)?;
                    } else {
                        self.pos += 1;
                        let name = self.scan_word();
                        self.check_terminator(start)?;
                        if name.is_empty() {
                            self.emit(Tok::Dot, start);
                        } else {
                            self.emit(Tok::Field(name), start);
                        }
                    }
                }
                '+' | '-' | '0'..='9' => self.lex_number(start)?,
                '(' => {
                    self.pos += 1;
                    self.paren_depth += 1;
                    self.emit(Tok::LParen, start);
                }
                ')' => {
                    if self.paren_depth == 0 {
                        return self.err(start, "unexpected right paren");
                    }
                    self.paren_depth -= 1;
                    self.pos += 1;
                    self.emit(Tok::RParen, start);
                }
                c if is_alnum(c) => {
                    let word = self.scan_word();
                    self.check_terminator(start)?;
                    let tok = match word.as_str() {
                        "block" => Tok::Keyword(Keyword::Block),
                        "break" => Tok::Keyword(Keyword::Break),
                        "continue" => Tok::Keyword(Keyword::Continue),
                        "define" => Tok::Keyword(Keyword::Define),
                        "else" => Tok::Keyword(Keyword::Else),
                        "end" => Tok::Keyword(Keyword::End),
                        "if" => Tok::Keyword(Keyword::If),
                        "range" => Tok::Keyword(Keyword::Range),
                        "template" => Tok::Keyword(Keyword::Template),
                        "with" => Tok::Keyword(Keyword::With),
                        "true" => Tok::Bool(true),
                        "false" => Tok::Bool(false),
                        "nil" => Tok::Nil,
                        _ => Tok::Ident(word),
                    };
                    self.emit(tok, start);
                }
                c => return self.err(start, format!("unrecognized character in action: {}", go_char(c))),
            }
        }
    }

    fn scan_word(&mut self) -> String {
        let rest = self.rest();
        let n = rest.char_indices().find(|&(_, c)| !is_alnum(c)).map_or(rest.len(), |(i, _)| i);
        let word = rest.get(..n).unwrap_or_default().to_string();
        self.pos += n;
        word
    }

    fn check_terminator(&self, start: usize) -> Result<(), LexError> {
        let rest = self.rest();
        let Some(c) = rest.chars().next() else { return Ok(()) };
        if matches!(c, ' ' | '\t' | '\r' | '\n' | '.' | ',' | '|' | ':' | ')' | '(' | '=')
            || rest.starts_with(self.right)
        {
            return Ok(());
        }
        let _ = start;
        self.err(self.pos, format!("bad character {}", go_char(c)))
    }

    fn lex_quote(&mut self, start: usize) -> Result<(), LexError> {
        let bytes = self.text.as_bytes();
        let mut i = self.pos + 1;
        loop {
            match bytes.get(i) {
                None | Some(b'\n') => return self.err(start, "unterminated quoted string"),
                Some(b'\\') => i += 2,
                Some(b'"') => break,
                Some(_) => i += 1,
            }
        }
        let raw = self.text.get(start..=i).unwrap_or_default();
        let value = unquote(raw).ok_or(LexError { pos: start, message: "invalid syntax".to_string() })?;
        self.pos = i + 1;
        self.emit(Tok::Str(value, raw.to_string()), start);
        Ok(())
    }

    fn lex_raw(&mut self, start: usize) -> Result<(), LexError> {
        let Some(close) = self.text.get(start + 1..).and_then(|r| r.find('`')) else {
            return self.err(start, "unterminated raw quoted string");
        };
        let raw = self.text.get(start..start + close + 2).unwrap_or_default();
        let value = raw.get(1..raw.len() - 1).unwrap_or_default().replace('\r', "");
        self.pos = start + close + 2;
        self.emit(Tok::Str(value, raw.to_string()), start);
        Ok(())
    }

    fn lex_char(&mut self, start: usize) -> Result<(), LexError> {
        let bytes = self.text.as_bytes();
        let mut i = self.pos + 1;
        loop {
            match bytes.get(i) {
                None | Some(b'\n') => return self.err(start, "unterminated character constant"),
                Some(b'\\') => i += 2,
                Some(b'\'') => break,
                Some(_) => i += 1,
            }
        }
        let raw = self.text.get(start..=i).unwrap_or_default().to_string();
        self.pos = i + 1;
        self.emit(Tok::Char(raw), start);
        Ok(())
    }

    fn lex_number(&mut self, start: usize) -> Result<(), LexError> {
        let rest = self.rest();
        // Go scans sign, digits, '.', exponents, '_' and base prefixes, then checks the
        // terminator; the parser validates the literal.
        let b = rest.as_bytes();
        let mut i = 0;
        if matches!(b.first(), Some(b'+' | b'-')) {
            i += 1;
        }
        let mut digits: &[u8] = b"0123456789_";
        let mut exp: &[u8] = b"eE";
        if b.get(i) == Some(&b'0') {
            match b.get(i + 1) {
                Some(b'x' | b'X') => {
                    i += 2;
                    digits = b"0123456789abcdefABCDEF_";
                    exp = b"pP";
                }
                Some(b'o' | b'O') => {
                    i += 2;
                    digits = b"01234567_";
                }
                Some(b'b' | b'B') => {
                    i += 2;
                    digits = b"01_";
                }
                _ => {}
            }
        }
        while b.get(i).is_some_and(|c| digits.contains(c)) {
            i += 1;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            while b.get(i).is_some_and(|c| digits.contains(c)) {
                i += 1;
            }
        }
        if b.get(i).is_some_and(|c| exp.contains(c)) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
                i += 1;
            }
        }
        if b.get(i) == Some(&b'i') {
            i += 1;
        }
        let text = rest.get(..i).unwrap_or_default().to_string();
        self.pos += i;
        if self.rest().chars().next().is_some_and(is_alnum) {
            let end = self.pos + 1;
            return self.err(start, format!("bad number syntax: {:?}", self.text.get(start..end).unwrap_or_default()));
        }
        if text == "+" || text == "-" {
            return self.err(start, format!("bad number syntax: {text:?}"));
        }
        self.emit(Tok::Number(text), start);
        Ok(())
    }
}

/// Go's `%#U` rendering of a character, used in lexer errors.
fn go_char(c: char) -> String {
    format!("U+{:04X} '{c}'", c as u32)
}

/// Go's `strconv.Unquote` for a double-quoted literal (quotes included).
pub(crate) fn unquote(raw: &str) -> Option<String> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        let mut hex = |n: usize| -> Option<u32> {
            let mut v = 0u32;
            for _ in 0..n {
                v = v * 16 + chars.next()?.to_digit(16)?;
            }
            Some(v)
        };
        match e {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            'x' => out.push(char::from_u32(hex(2)?)?),
            'u' => out.push(char::from_u32(hex(4)?)?),
            'U' => out.push(char::from_u32(hex(8)?)?),
            '0'..='7' => {
                let mut v = e.to_digit(8)?;
                for _ in 0..2 {
                    v = v * 8 + chars.next()?.to_digit(8)?;
                }
                out.push(char::from_u32(v)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// The value of a Go character constant (`'a'`, `'\n'`, `'\x41'`).
pub(crate) fn unquote_char(raw: &str) -> Option<char> {
    let inner = raw.strip_prefix('\'')?.strip_suffix('\'')?;
    if inner == "\"" {
        return Some('"');
    }
    if inner == "\\'" {
        return Some('\'');
    }
    let s = unquote(&format!("\"{inner}\""))?;
    let mut it = s.chars();
    let c = it.next()?;
    it.next().is_none().then_some(c)
}
