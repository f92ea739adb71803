//! The fast path of list output: a format made only of text and
//! `{{.Field}}` actions (every command's default table, and most user
//! formats) is filled in by substitution instead of through the template
//! engine. With 200 rows this is most of `ps`'s own time (issue 13). The
//! output is the template engine's: a field that is not a string in every
//! row (or the header) sends the whole list back to the engine, which
//! prints numbers, maps and missing keys as Go does.

use serde_json::Value;

enum Piece<'a> {
    Text(&'a str),
    Field(&'a str),
}

/// `text{{.A}}text{{ .B }}` → its pieces; `None` for anything else
/// (functions, pipes, nested fields, trim markers, comments, `if`/`range`).
fn pieces(body: &str) -> Option<Vec<Piece<'_>>> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            out.push(Piece::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let end = after.find("}}")?;
        let name = after[..end].trim_matches(' ').strip_prefix('.')?;
        let mut chars = name.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        out.push(Piece::Field(name));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Some(out)
}

/// One line for `row`, or `None` when a field is not a string there.
fn fill(pieces: &[Piece<'_>], row: &Value, out: &mut String) -> Option<()> {
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Field(f) => out.push_str(row.get(*f)?.as_str()?),
        }
    }
    out.push('\n');
    Some(())
}

/// What `template::render_list` prints before tab alignment, when the
/// format (`table` already split off, escapes expanded) is plain.
pub fn render(body: &str, table: bool, header: &Value, rows: &[Value]) -> Option<String> {
    let pieces = pieces(body)?;
    let mut out = String::with_capacity((rows.len() + 1) * 128);
    if table {
        fill(&pieces, header, &mut out)?;
    }
    for r in rows {
        fill(&pieces, r, &mut out)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_formats_only() {
        assert!(pieces("{{.ID}}\t{{ .Names }}x").is_some());
        assert!(pieces("no actions").is_some());
        for f in [
            "{{json .}}",
            "{{.A.B}}",
            "{{- .A}}",
            "{{.A -}}",
            "{{/* c */}}",
            "{{.Label \"k\"}}",
            "{{.A | upper}}",
            "{{if .A}}x{{end}}",
            "{{.}}",
            "{{.A",
            "{{.1a}}",
        ] {
            assert!(pieces(f).is_none(), "{f}");
        }
    }

    #[test]
    fn a_field_that_is_not_a_string_falls_back() {
        let rows = [json!({"A": "x", "N": 3})];
        assert_eq!(
            render("{{.A}}-", false, &json!({}), &rows).as_deref(),
            Some("x-\n")
        );
        assert!(render("{{.N}}", false, &json!({}), &rows).is_none());
        assert!(render("{{.Missing}}", false, &json!({}), &rows).is_none());
        assert!(render("{{.A}}", true, &json!({"B": "b"}), &rows).is_none());
    }
}
