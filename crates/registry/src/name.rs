//! Where a reference lives: registry host, repository, tag or digest,
//! with Docker Hub's normalisation (`busybox` → `registry-1.docker.io`,
//! `library/busybox`).

use wharf_image::reference::Reference;

use crate::error::{RegistryError, Result};

/// Docker Hub's API host; `docker.io` is its name in references.
pub const HUB_HOST: &str = "registry-1.docker.io";
pub use wharf_api::auth_key::{auth_key, HUB_AUTH_KEY};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteName {
    pub reference: Reference,
    /// Host (and port) to talk to.
    pub host: String,
    /// Repository path on that host.
    pub repo: String,
}

impl RemoteName {
    /// Parses `name[:tag|@digest]`; `default_tag` fills a missing tag
    /// (unless a digest is given).
    pub fn parse(s: &str, default_tag: Option<&str>) -> Result<RemoteName> {
        let mut reference =
            Reference::parse(s).map_err(|e| RegistryError::Invalid(e.to_string()))?;
        if reference.tag.is_none() && reference.digest.is_none() {
            reference.tag = default_tag.map(str::to_string);
        }
        let host = registry_host(&reference.domain);
        Ok(RemoteName {
            repo: reference.path.clone(),
            host,
            reference,
        })
    }

    /// Tag or digest to ask the registry for.
    pub fn manifest_ref(&self) -> String {
        self.reference
            .digest
            .clone()
            .or_else(|| self.reference.tag.clone())
            .unwrap_or_else(|| "latest".into())
    }

    /// The familiar `name:tag` the store tags a pull with (none for digests).
    pub fn local_tag(&self) -> Option<String> {
        if self.reference.digest.is_some() {
            return None;
        }
        Some(self.reference.familiar_tagged())
    }

    /// The familiar name (`busybox`, `127.0.0.1:5000/app`).
    pub fn familiar(&self) -> String {
        self.reference.familiar_name()
    }
}

/// The API host of a reference's domain.
pub fn registry_host(domain: &str) -> String {
    if domain == "docker.io" || domain == "index.docker.io" {
        HUB_HOST.to_string()
    } else {
        domain.to_string()
    }
}

/// True for hosts reached over plain HTTP without being listed.
pub fn is_loopback(host: &str) -> bool {
    let h = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host),
    };
    h == "localhost"
        || h == "::1"
        || h.parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_names_are_normalised() {
        let n = RemoteName::parse("busybox", Some("latest")).unwrap();
        assert_eq!(n.host, HUB_HOST);
        assert_eq!(n.repo, "library/busybox");
        assert_eq!(n.manifest_ref(), "latest");
        assert_eq!(n.local_tag().unwrap(), "busybox:latest");
        let n = RemoteName::parse("127.0.0.1:5000/a/b:v1", None).unwrap();
        assert_eq!(n.host, "127.0.0.1:5000");
        assert_eq!(n.repo, "a/b");
        assert_eq!(n.local_tag().unwrap(), "127.0.0.1:5000/a/b:v1");
        assert!(is_loopback("127.0.0.1:5000"));
        assert!(is_loopback("localhost:5000"));
        assert!(!is_loopback("example.com"));
        assert_eq!(auth_key("docker.io"), HUB_AUTH_KEY);
        assert_eq!(auth_key("http://127.0.0.1:5000/"), "127.0.0.1:5000");
    }
}
