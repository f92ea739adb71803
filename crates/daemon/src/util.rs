//! Small helpers: ids, names, time formatting, durations.

use rand::Rng;

/// A random 64-hex-digit id, like Docker's container and exec ids.
pub fn random_id() -> String {
    let mut rng = rand::thread_rng();
    (0..32)
        .map(|_| format!("{:02x}", rng.gen::<u8>()))
        .collect()
}

/// RFC 3339 with nanoseconds, as Docker prints timestamps.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

const LEFT: &[&str] = &[
    "admiring", "brave", "busy", "clever", "eager", "elated", "festive", "gallant", "happy",
    "jolly", "keen", "loving", "nifty", "quirky", "serene", "sharp", "stoic", "tender", "upbeat",
    "vibrant", "wizardly", "zealous",
];
const RIGHT: &[&str] = &[
    "albattani",
    "bohr",
    "curie",
    "darwin",
    "einstein",
    "euclid",
    "fermi",
    "galileo",
    "hopper",
    "hypatia",
    "kepler",
    "lovelace",
    "meitner",
    "newton",
    "noether",
    "pascal",
    "ritchie",
    "shannon",
    "thompson",
    "turing",
    "wozniak",
    "yonath",
];

/// Docker-style generated name (`adjective_scientist`, digits on retry).
pub fn random_name(retry: u32) -> String {
    let mut rng = rand::thread_rng();
    let l = LEFT[rng.gen_range(0..LEFT.len())];
    let r = RIGHT[rng.gen_range(0..RIGHT.len())];
    if retry == 0 {
        format!("{l}_{r}")
    } else {
        format!("{l}_{r}{}", rng.gen_range(0..10))
    }
}

/// Docker's container name rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn valid_container_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphanumeric() => {}
        _ => return false,
    }
    name.len() >= 2 && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// An I/O failure as a daemon error that says what failed; a full disk
/// reads as Docker's `no space left on device`.
pub fn io_error(what: &str, e: &std::io::Error) -> crate::error::Error {
    if is_enospc(e) {
        crate::error::Error::internal(format!("{what}: no space left on device"))
    } else {
        crate::error::Error::internal(format!("{what}: {e}"))
    }
}

/// Whether `e` is a full disk (or an exhausted quota).
pub fn is_enospc(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(28) | Some(122))
        || e.kind() == std::io::ErrorKind::StorageFull
        || e.to_string().contains("No space left on device")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_container_name("web-1"));
        assert!(!valid_container_name("a"));
        assert!(!valid_container_name("-x"));
        assert!(!valid_container_name("a/b"));
        assert!(valid_container_name(&random_name(0)));
    }

    #[test]
    fn ids() {
        assert_eq!(random_id().len(), 64);
    }
}
