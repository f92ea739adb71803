//! `.dockerignore`: one pattern per line, `#` comments, `!` exceptions,
//! the last matching line wins; a pattern that matches a directory
//! excludes everything under it (unless a later exception re-includes it).

use crate::glob;

#[derive(Debug, Clone, Default)]
pub struct Ignore {
    /// (pattern, is an exception).
    patterns: Vec<(String, bool)>,
}

impl Ignore {
    /// Parses the file's text.
    pub fn parse(text: &str) -> Ignore {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (pat, exception) = match line.strip_prefix('!') {
                Some(p) => (p.trim(), true),
                None => (line, false),
            };
            let cleaned = clean(pat);
            if cleaned.is_empty() {
                continue;
            }
            patterns.push((cleaned, exception));
        }
        Ignore { patterns }
    }

    /// Whether there are no patterns at all.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether any pattern is an exception (`!x`), so an excluded
    /// directory must still be walked.
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|(_, e)| *e)
    }

    /// Whether `rel` (a path relative to the context root, `/`-separated)
    /// is left out.
    pub fn excluded(&self, rel: &str) -> bool {
        let rel = clean(rel);
        let mut out = false;
        for (pat, exception) in &self.patterns {
            if matches_path(pat, &rel) {
                out = !exception;
            }
        }
        out
    }
}

/// The pattern matches the path or one of its parent directories.
fn matches_path(pat: &str, rel: &str) -> bool {
    if glob::matches(pat, rel) {
        return true;
    }
    let mut end = 0;
    while let Some(i) = rel[end..].find('/') {
        end += i;
        if glob::matches(pat, &rel[..end]) {
            return true;
        }
        end += 1;
    }
    false
}

/// `./a//b/../c/` → `a/c`; leading `/` and `..` that climb out removed.
pub fn clean(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let i = Ignore::parse("# c\n*.log\n/build\n!build/keep\n**/tmp\nsecret.txt\n");
        assert!(i.excluded("a.log"));
        assert!(!i.excluded("d/a.log"));
        assert!(i.excluded("build/x"));
        assert!(!i.excluded("build/keep"));
        assert!(i.excluded("x/y/tmp/z"));
        assert!(i.excluded("secret.txt"));
        assert!(!i.excluded("src/main.rs"));
        assert!(i.has_exceptions());
    }
}
