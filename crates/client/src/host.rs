//! Where the daemon listens: `-H/--host`, then `WHARF_HOST`, then the default.

use crate::error::ClientError;

/// The socket the daemon listens on unless told otherwise.
pub const DEFAULT_HOST: &str = "unix:///run/wharf/wharf.sock";

/// A parsed daemon address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// `unix:///path/to/socket`
    Unix(std::path::PathBuf),
    /// `tcp://host:port`
    Tcp(String),
}

impl Host {
    /// Resolve the daemon address: the flag wins, then `WHARF_HOST`, then
    /// [`DEFAULT_HOST`]. Empty values count as unset.
    pub fn resolve(flag: Option<&str>) -> Result<Host, ClientError> {
        let env = std::env::var("WHARF_HOST").ok();
        let raw = flag
            .filter(|s| !s.is_empty())
            .or(env.as_deref().filter(|s| !s.is_empty()))
            .unwrap_or(DEFAULT_HOST);
        Host::parse(raw)
    }

    /// Parse `unix:///path`, `/path` (taken as a unix socket) or `tcp://h:p`.
    pub fn parse(raw: &str) -> Result<Host, ClientError> {
        if let Some(path) = raw.strip_prefix("unix://") {
            if path.is_empty() {
                return Err(ClientError::InvalidHost(raw.to_string()));
            }
            return Ok(Host::Unix(path.into()));
        }
        if raw.starts_with('/') {
            return Ok(Host::Unix(raw.into()));
        }
        if let Some(addr) = raw.strip_prefix("tcp://") {
            let addr = addr.trim_end_matches('/');
            if addr.is_empty() {
                return Err(ClientError::InvalidHost(raw.to_string()));
            }
            let addr = if addr.contains(':') {
                addr.to_string()
            } else {
                format!("{addr}:2375")
            };
            return Ok(Host::Tcp(addr));
        }
        Err(ClientError::InvalidHost(raw.to_string()))
    }
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Unix(p) => write!(f, "unix://{}", p.display()),
            Host::Tcp(a) => write!(f, "tcp://{a}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        assert_eq!(
            Host::parse("unix:///run/x.sock").unwrap(),
            Host::Unix("/run/x.sock".into())
        );
        assert_eq!(Host::parse("/a/b").unwrap(), Host::Unix("/a/b".into()));
        assert_eq!(
            Host::parse("tcp://127.0.0.1").unwrap(),
            Host::Tcp("127.0.0.1:2375".into())
        );
        assert!(Host::parse("unix://").is_err());
        assert!(Host::parse("ssh://x").is_err());
    }

    #[test]
    fn flag_wins() {
        assert_eq!(
            Host::resolve(Some("unix:///flag.sock")).unwrap(),
            Host::Unix("/flag.sock".into())
        );
    }

    #[test]
    fn display_round_trips() {
        let h = Host::parse(DEFAULT_HOST).unwrap();
        assert_eq!(h.to_string(), DEFAULT_HOST);
    }
}
