//! JSON exactly as Go's `json.MarshalIndent(v, "", "  ")` writes it: two-space indentation,
//! `"key": value`, `{}`/`[]` for empty containers, and Go's HTML-safe string escaping.

use super::Node;

/// Appends `node` to `out` (no trailing newline).
pub fn write(node: &Node, out: &mut String) {
    write_at(node, 0, out);
}

fn indent(depth: usize, out: &mut String) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write_at(node: &Node, depth: usize, out: &mut String) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Int(i) => out.push_str(&i.to_string()),
        Node::Number(n) => out.push_str(n),
        Node::Str(s) => string(s, out),
        Node::List(items) if items.is_empty() => out.push_str("[]"),
        Node::Map(entries) if entries.is_empty() => out.push_str("{}"),
        Node::List(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(depth + 1, out);
                write_at(item, depth + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            indent(depth, out);
            out.push(']');
        }
        Node::Map(entries) => {
            out.push_str("{\n");
            for (i, (key, value)) in entries.iter().enumerate() {
                indent(depth + 1, out);
                string(key, out);
                out.push_str(": ");
                write_at(value, depth + 1, out);
                out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
            }
            indent(depth, out);
            out.push('}');
        }
    }
}

/// A JSON string with Go's escaping: `\"`, `\\`, the short forms `\b \f \n \r \t`, `\u00xx` for
/// other control characters, and the HTML-safe `\u003c \u003e \u0026 \u2028 \u2029`.
fn string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(node: &Node) -> String {
        let mut out = String::new();
        write(node, &mut out);
        out
    }

    #[test]
    fn maps_and_lists_are_indented_by_two_spaces() {
        let node = Node::Map(vec![
            ("a".into(), Node::Map(vec![("b".into(), Node::Int(1))])),
            ("c".into(), Node::List(vec![Node::Bool(true), Node::Null])),
            ("d".into(), Node::Map(vec![])),
            ("e".into(), Node::List(vec![])),
        ]);
        assert_eq!(
            render(&node),
            "{\n  \"a\": {\n    \"b\": 1\n  },\n  \"c\": [\n    true,\n    null\n  ],\n  \"d\": {},\n  \"e\": []\n}"
        );
    }

    #[test]
    fn strings_are_escaped_like_go() {
        assert_eq!(render(&Node::str("a<b>&c")), r#""a\u003cb\u003e\u0026c""#);
        assert_eq!(render(&Node::str("q\"\\\n\r\t\u{8}\u{c}")), r#""q\"\\\n\r\t\b\f""#);
        assert_eq!(render(&Node::str("\u{1}\u{1f}\u{7f}")), "\"\\u0001\\u001f\u{7f}\"");
        assert_eq!(render(&Node::str("\u{2028}\u{2029}é😀")), "\"\\u2028\\u2029é😀\"");
    }
}
