//! Daemon-side views of images: the container count the store cannot
//! know, and Docker's `reference` filter.

use wharf_api::image::ImageSummary;

use crate::daemon::Daemon;

pub fn summary(d: &Daemon, img: &wharf_image::Image) -> ImageSummary {
    let mut s = img.summary();
    s.containers = d
        .table()
        .by_id
        .values()
        .filter(|e| e.rec.image_id == img.id)
        .count() as i64;
    s
}

/// Docker's `reference` filter: `busybox`, `busybox:latest`, `busy*`.
pub fn reference_matches(pattern: &str, tag: &str) -> bool {
    let (repo, t) = tag.rsplit_once(':').unwrap_or((tag, "latest"));
    let (prepo, ptag) = match pattern.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, Some(t)),
        _ => (pattern, None),
    };
    glob(prepo, repo) && ptag.is_none_or(|pt| glob(pt, t))
}

/// The `reference` filter against a `name@digest` reference: a pattern
/// without a tag matches its name; `name@digest` matches exactly.
pub fn digest_matches(pattern: &str, reference: &str) -> bool {
    let Some((name, digest)) = reference.split_once('@') else {
        return false;
    };
    match pattern.split_once('@') {
        Some((pn, pd)) => glob(pn, name) && pd == digest,
        None => {
            let tagged = matches!(pattern.rsplit_once(':'), Some((_, t)) if !t.contains('/'));
            !tagged && glob(pattern, name)
        }
    }
}

fn glob(p: &str, s: &str) -> bool {
    match p.split_once('*') {
        None => p == s,
        Some((pre, post)) => {
            s.starts_with(pre) && s.len() >= pre.len() && glob_tail(post, &s[pre.len()..])
        }
    }
}

fn glob_tail(p: &str, s: &str) -> bool {
    if !p.contains('*') {
        return s.ends_with(p);
    }
    (0..=s.len()).any(|i| s.is_char_boundary(i) && glob(p, &s[i..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_filter() {
        assert!(reference_matches("busybox", "busybox:latest"));
        assert!(reference_matches("busybox:latest", "busybox:latest"));
        assert!(!reference_matches("busybox:1", "busybox:latest"));
        assert!(reference_matches("busy*", "busybox:latest"));
        assert!(!reference_matches("alpine", "busybox:latest"));
    }
}
