//! API version negotiation, as docker's CLI does it: the client speaks the
//! lower of its own version and the daemon's (`Api-Version` of `/_ping`),
//! and refuses a daemon older than the oldest version it can speak.

use crate::error::ClientError;

/// The version this client is written against.
pub const CURRENT: &str = wharf_api::API_VERSION;

/// The oldest daemon version spoken. 1.24 is Docker 1.12's, the floor of
/// today's docker CLI and SDKs; every call this client makes exists there
/// in the form sent, and newer fields are ignored by older daemons.
pub const MIN: &str = wharf_api::MIN_API_VERSION;

/// `"1.41"` → `(1, 41)`.
pub fn parse(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The version to speak with a daemon that announced `server` (empty when
/// it sent no `Api-Version`: docker's CLI then assumes the oldest).
pub fn negotiate(server: &str) -> Result<String, ClientError> {
    let ours = parse(CURRENT).unwrap_or((1, 44));
    let min = parse(MIN).unwrap_or((1, 24));
    if server.is_empty() {
        return Ok(MIN.to_string());
    }
    let theirs = parse(server).ok_or_else(|| ClientError::BadVersion(server.to_string()))?;
    if theirs < min {
        return Err(ClientError::DaemonTooOld {
            server: server.to_string(),
            min: MIN,
        });
    }
    let (major, minor) = theirs.min(ours);
    Ok(format!("{major}.{minor}"))
}

/// The daemon refused a request's version as newer than its own: Docker
/// since 1.13 (and wharf) answer 400 "client version 1.44 is too new.
/// Maximum supported API version is 1.41"; older engines said "client is
/// newer than server".
pub fn is_too_new(e: &ClientError) -> bool {
    match e {
        ClientError::Api {
            status: 400,
            message,
        } => message.contains("is too new") || message.contains("is newer than server"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_lower_version() {
        assert_eq!(negotiate("1.41").unwrap(), "1.41");
        assert_eq!(negotiate("1.44").unwrap(), "1.44");
        assert_eq!(negotiate("1.47").unwrap(), "1.44");
        assert_eq!(negotiate("").unwrap(), "1.24");
        assert!(matches!(
            negotiate("1.12"),
            Err(ClientError::DaemonTooOld { .. })
        ));
        assert!(matches!(negotiate("x"), Err(ClientError::BadVersion(_))));
        assert_eq!(parse("1.9"), Some((1, 9)));
        assert!(parse("1.9") < parse("1.24"));
    }

    #[test]
    fn too_new_is_recognised() {
        let refused = ClientError::Api {
            status: 400,
            message: "client version 1.44 is too new. Maximum supported API version is 1.41".into(),
        };
        assert!(is_too_new(&refused));
        let other = ClientError::Api {
            status: 400,
            message: "invalid reference format".into(),
        };
        assert!(!is_too_new(&other));
        let missing = ClientError::Api {
            status: 404,
            message: "No such container: x".into(),
        };
        assert!(!is_too_new(&missing));
    }
}
