//! Request paths percent-decoded before routing, as Go's `net/http` hands
//! Docker's router `URL.Path`: docker-py sends `/images/app%40sha256:…/json`
//! for `app@sha256:…`.

/// Decodes `%XX` escapes; the path is kept as sent when an escape is
/// malformed or the result is not UTF-8.
pub fn decode(path: &str) -> String {
    if !path.contains('%') {
        return path.to_string();
    }
    let b = path.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(v) => {
                    out.push(v);
                    i += 3;
                    continue;
                }
                None => return path.to_string(),
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| path.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_escapes() {
        assert_eq!(
            super::decode("/images/a%40sha256:1/json"),
            "/images/a@sha256:1/json"
        );
        assert_eq!(super::decode("/x%2"), "/x%2");
        assert_eq!(super::decode("/plain"), "/plain");
        assert_eq!(super::decode("/x%ff"), "/x%ff");
    }
}
