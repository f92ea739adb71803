//! Errors of the network store, IPAM and drivers, with Docker's wording
//! where users see it.

use wharf_api::error::ErrorKind;

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("network {0} not found")]
    NotFound(String),
    #[error("network with name {0} already exists")]
    NameConflict(String),
    #[error("invalid network name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },
    #[error("plugin {0:?} not found")]
    DriverNotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("error while removing network: network {name} id {id} has active endpoints")]
    InUse { name: String, id: String },
    #[error("{0} is a pre-defined network and cannot be removed")]
    Predefined(String),
    #[error("no available address pool for network {0}: all default pools overlap existing networks or host routes")]
    PoolsExhausted(String),
    #[error("no available IPv4 address on network {0}")]
    AddressesExhausted(String),
    #[error("network {network}: {op}: {message}")]
    Netlink {
        network: String,
        op: String,
        message: String,
    },
    #[error("{op} network {name}: {source}")]
    Io {
        op: &'static str,
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Firewall(#[from] crate::firewall::FirewallError),
    #[error(transparent)]
    Publish(#[from] crate::ports::PublishError),
    #[error("cannot publish ports of {0}: the daemon runs without a firewall (nftables)")]
    NoFirewall(String),
}

impl NetworkError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            NetworkError::NotFound(_) | NetworkError::DriverNotFound(_) => ErrorKind::NotFound,
            NetworkError::NameConflict(_)
            | NetworkError::Conflict(_)
            | NetworkError::InUse { .. } => ErrorKind::Conflict,
            NetworkError::InvalidName { .. }
            | NetworkError::Invalid(_)
            | NetworkError::PoolsExhausted(_)
            | NetworkError::AddressesExhausted(_) => ErrorKind::InvalidArgument,
            NetworkError::Predefined(_) => ErrorKind::Conflict,
            NetworkError::Publish(e) => e.kind(),
            NetworkError::Netlink { .. }
            | NetworkError::Io { .. }
            | NetworkError::Firewall(_)
            | NetworkError::NoFirewall(_) => ErrorKind::Other,
        }
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        NetworkError::Invalid(msg.into())
    }
}

pub type Result<T, E = NetworkError> = std::result::Result<T, E>;
