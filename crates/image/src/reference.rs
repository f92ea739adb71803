//! Image references (`busybox`, `busybox:1.36`, `docker.io/library/busybox`,
//! `localhost:5000/app:v1@sha256:…`) parsed and normalised as Docker's
//! distribution/reference package does, with its error wording.

use std::fmt;

use crate::digest::is_full_hex;
use crate::error::{ImageError, Result};

const DEFAULT_DOMAIN: &str = "docker.io";
const DEFAULT_TAG: &str = "latest";
const MAX_NAME_LEN: usize = 255;

/// A parsed, normalised named reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Registry host (`docker.io` when none was given).
    pub domain: String,
    /// Repository path below the domain (`library/busybox`).
    pub path: String,
    pub tag: Option<String>,
    /// `algo:hex`, when the reference pins a digest.
    pub digest: Option<String>,
}

fn invalid(msg: impl Into<String>) -> ImageError {
    ImageError::InvalidReference(msg.into())
}

impl Reference {
    /// Parses like Docker's `ParseNormalizedNamed`.
    pub fn parse(s: &str) -> Result<Reference> {
        if is_full_hex(s) {
            return Err(invalid(format!(
                "invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
            )));
        }
        if s.is_empty() {
            return Err(invalid("invalid reference format"));
        }
        let (domain, remainder) = split_domain(s);
        let remote = remainder.split(['@']).next().unwrap_or("");
        let remote = remote.split(':').next().unwrap_or("");
        if remote.to_lowercase() != remote {
            return Err(invalid(format!(
                "invalid reference format: repository name ({remote}) must be lowercase"
            )));
        }
        let (rest, digest) = match remainder.split_once('@') {
            Some((r, d)) => {
                if !valid_digest(d) {
                    return Err(invalid("invalid reference format"));
                }
                (r, Some(d.to_string()))
            }
            None => (remainder.as_str(), None),
        };
        let (path, tag) = match rest.split_once(':') {
            Some((p, t)) => {
                if !valid_tag(t) {
                    return Err(invalid("invalid reference format"));
                }
                (p, Some(t.to_string()))
            }
            None => (rest, None),
        };
        if !valid_domain(&domain) || path.is_empty() || !path.split('/').all(valid_path_component) {
            return Err(invalid("invalid reference format"));
        }
        if domain.len() + 1 + path.len() > MAX_NAME_LEN {
            return Err(invalid(
                "invalid reference format: repository name must not be more than 255 characters",
            ));
        }
        Ok(Reference {
            domain,
            path: path.to_string(),
            tag,
            digest,
        })
    }

    /// The short name Docker shows: `busybox`, `user/app`, `localhost:5000/app`.
    pub fn familiar_name(&self) -> String {
        if self.domain == DEFAULT_DOMAIN {
            match self.path.strip_prefix("library/") {
                Some(short) if !short.contains('/') => short.to_string(),
                _ => self.path.clone(),
            }
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// The fully qualified name (`docker.io/library/busybox`).
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// True when neither a tag nor a digest was given.
    pub fn is_name_only(&self) -> bool {
        self.tag.is_none() && self.digest.is_none()
    }

    /// `name:tag` in familiar form, `latest` when no tag was given
    /// (the key of the tag map, and what `No such image:` shows).
    pub fn familiar_tagged(&self) -> String {
        format!(
            "{}:{}",
            self.familiar_name(),
            self.tag.as_deref().unwrap_or(DEFAULT_TAG)
        )
    }
}

impl fmt::Display for Reference {
    /// Familiar form with whatever tag/digest was given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.familiar_name())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Parses a reference that names a tag to create: digests are refused,
/// a missing tag means `latest`. Returns the familiar `name:tag`.
pub fn parse_tag_target(s: &str) -> Result<String> {
    let r = Reference::parse(s)?;
    if r.digest.is_some() {
        return Err(invalid("refusing to create a tag with a digest reference"));
    }
    Ok(r.familiar_tagged())
}

/// Docker's `splitDockerDomain`: the first component is a registry host
/// only if it has a `.` or `:`, is `localhost`, or has upper-case letters.
fn split_domain(s: &str) -> (String, String) {
    let (mut domain, mut remainder) = match s.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.to_lowercase() != first =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => (DEFAULT_DOMAIN.to_string(), s.to_string()),
    };
    if domain == "index.docker.io" {
        domain = DEFAULT_DOMAIN.to_string();
    }
    if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        remainder = format!("library/{remainder}");
    }
    (domain, remainder)
}

fn is_alnum_lower(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn valid_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum_lower(b[0]) || !is_alnum_lower(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum_lower(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: ".", "_", "__" or "-"+, followed by an alnum.
        let start = i;
        while i < b.len() && !is_alnum_lower(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// `host[:port]`, host made of `.`-separated labels of `[a-zA-Z0-9-]`.
fn valid_domain(d: &str) -> bool {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    !host.is_empty()
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// `[\w][\w.-]{0,127}`
pub fn valid_tag(t: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b[1..].iter().all(|&x| word(x) || x == b'.' || x == b'-')
}

/// `algo:hex` with at least 32 hex digits.
fn valid_digest(d: &str) -> bool {
    match d.split_once(':') {
        Some((algo, hex)) => {
            !algo.is_empty()
                && algo.as_bytes()[0].is_ascii_alphabetic()
                && algo
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_+.".contains(&b))
                && hex.len() >= 32
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tagged(s: &str) -> String {
        Reference::parse(s).unwrap().familiar_tagged()
    }

    #[test]
    fn normalises_docker_hub_names() {
        assert_eq!(tagged("busybox"), "busybox:latest");
        assert_eq!(tagged("library/busybox"), "busybox:latest");
        assert_eq!(tagged("docker.io/library/busybox:latest"), "busybox:latest");
        assert_eq!(
            tagged("index.docker.io/library/busybox:1.36"),
            "busybox:1.36"
        );
        assert_eq!(tagged("user/app:v1.0-rc_1"), "user/app:v1.0-rc_1");
        assert_eq!(tagged("docker.io/user/app"), "user/app:latest");
        assert_eq!(tagged("localhost:5000/a/b:x"), "localhost:5000/a/b:x");
        assert_eq!(tagged("localhost/app"), "localhost/app:latest");
        assert_eq!(
            tagged("my-reg.example.com/a__b/c-d.e"),
            "my-reg.example.com/a__b/c-d.e:latest"
        );
        assert_eq!(
            Reference::parse("docker.io/library/busybox")
                .unwrap()
                .full_name(),
            "docker.io/library/busybox"
        );
    }

    #[test]
    fn keeps_digests() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("busybox@{d}")).unwrap();
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert!(!r.is_name_only());
        assert!(parse_tag_target(&format!("busybox@{d}")).is_err());
    }

    #[test]
    fn refuses_bad_references_with_dockers_words() {
        let msg = |s: &str| Reference::parse(s).unwrap_err().to_string();
        assert_eq!(
            msg("Busybox"),
            "invalid reference format: repository name (library/Busybox) must be lowercase"
        );
        assert_eq!(msg("busybox:bad!tag"), "invalid reference format");
        assert_eq!(msg("busybox:-x"), "invalid reference format");
        assert_eq!(
            msg(&format!("busybox:{}", "t".repeat(129))),
            "invalid reference format"
        );
        assert_eq!(msg(""), "invalid reference format");
        assert_eq!(msg("a//b"), "invalid reference format");
        assert_eq!(msg("a_-b"), "invalid reference format");
        assert_eq!(msg("-a"), "invalid reference format");
        assert!(msg(&"a".repeat(64)).contains("64-byte hexadecimal"));
        assert!(msg(&format!("x/{}", "a".repeat(300))).contains("255"));
        assert_eq!(
            Reference::parse("X").unwrap_err().kind(),
            wharf_api::error::ErrorKind::InvalidArgument
        );
    }

    #[test]
    fn tag_grammar() {
        assert!(valid_tag("latest"));
        assert!(valid_tag("_x.Y-1"));
        assert!(valid_tag(&"a".repeat(128)));
        assert!(!valid_tag(&"a".repeat(129)));
        assert!(!valid_tag(".x"));
        assert!(!valid_tag(""));
    }
}
