//! Go's `filepath.Match` patterns (`*`, `?`, `[a-z]`, `[^x]`, `\` escapes),
//! plus `**` (any number of path components) as `.dockerignore` allows.

/// Whether `name` matches `pattern` in full. A malformed class matches
/// nothing.
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_at(&p, &n)
}

/// Whether `s` has any glob metacharacter.
pub fn has_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', '\\'])
}

fn match_at(p: &[char], n: &[char]) -> bool {
    let Some(&c) = p.first() else {
        return n.is_empty();
    };
    match c {
        '*' if p.get(1) == Some(&'*') => {
            // `**`, and `**/` also matching zero components.
            let mut rest = &p[2..];
            if rest.first() == Some(&'/') {
                rest = &rest[1..];
                if match_at(rest, n) {
                    return true;
                }
                return (0..n.len()).any(|i| n[i] == '/' && match_at(rest, &n[i + 1..]));
            }
            (0..=n.len()).any(|i| match_at(rest, &n[i..]))
        }
        '*' => {
            let rest = &p[1..];
            for i in 0..=n.len() {
                if match_at(rest, &n[i..]) {
                    return true;
                }
                if i < n.len() && n[i] == '/' {
                    break;
                }
            }
            false
        }
        '?' => !n.is_empty() && n[0] != '/' && match_at(&p[1..], &n[1..]),
        '[' => {
            let Some((ok, used)) = class(&p[1..], n.first().copied()) else {
                return false;
            };
            ok && match_at(&p[1 + used..], &n[1..])
        }
        '\\' if p.len() > 1 => !n.is_empty() && n[0] == p[1] && match_at(&p[2..], &n[1..]),
        c => !n.is_empty() && n[0] == c && match_at(&p[1..], &n[1..]),
    }
}

/// A `[...]` class after its `[`: (matched, chars used including `]`).
fn class(p: &[char], ch: Option<char>) -> Option<(bool, usize)> {
    let ch = ch?;
    if ch == '/' {
        return Some((false, 0));
    }
    let mut i = 0;
    let negate = matches!(p.first(), Some('^') | Some('!'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let mut lo = *p.get(i)?;
        if lo == ']' && !first {
            i += 1;
            break;
        }
        first = false;
        if lo == '\\' {
            i += 1;
            lo = *p.get(i)?;
        }
        i += 1;
        let mut hi = lo;
        if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|&c| c != ']') {
            hi = *p.get(i + 1)?;
            if hi == '\\' {
                hi = *p.get(i + 2)?;
                i += 1;
            }
            i += 2;
        }
        if lo <= ch && ch <= hi {
            hit = true;
        }
    }
    Some((hit != negate, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_rules() {
        assert!(matches("*.png", "a.png"));
        assert!(!matches("*.png", "d/a.png"));
        assert!(matches("index.?s", "index.js"));
        assert!(matches("arr[[]0].txt", "arr[0].txt"));
        assert!(matches("[a-c]x", "bx"));
        assert!(!matches("[^a-c]x", "bx"));
        assert!(matches("a\\*", "a*"));
        assert!(!matches("a\\*", "ab"));
        assert!(matches("**/*.go", "x/y/z.go"));
        assert!(matches("**/*.go", "z.go"));
        assert!(matches("a/**", "a/b/c"));
        assert!(!matches("[", "["));
    }
}
