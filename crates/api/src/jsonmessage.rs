//! Docker's streamed JSON messages (`pkg/jsonmessage`): what build, pull,
//! push, import and load send, one object per progress step, output line,
//! result (`aux`) or error.

use serde::{Deserialize, Serialize};

/// One message of a build/pull/push/import/load stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct JsonMessage {
    /// Build output text, printed as is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// A status line (`Pulling fs layer`, `Loaded image: x`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The layer or object the status is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A rendered progress bar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<String>,
    #[serde(rename = "progressDetail", skip_serializing_if = "Option::is_none")]
    pub progress_detail: Option<ProgressDetail>,
    /// Deprecated twin of `errorDetail.message`; still sent by Docker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(rename = "errorDetail", skip_serializing_if = "Option::is_none")]
    pub error_detail: Option<ErrorDetail>,
    /// A result for the client (`{"ID": "sha256:..."}` after a build).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aux: Option<serde_json::Value>,
}

impl JsonMessage {
    /// The error this message reports, if it is an error message.
    pub fn error_message(&self) -> Option<&str> {
        if let Some(d) = &self.error_detail {
            if !d.message.is_empty() {
                return Some(&d.message);
            }
        }
        self.error.as_deref()
    }

    /// A status message.
    pub fn status(status: impl Into<String>) -> JsonMessage {
        JsonMessage {
            status: Some(status.into()),
            ..JsonMessage::default()
        }
    }

    /// An error message, as Docker sends it (both fields set).
    pub fn error(message: impl Into<String>) -> JsonMessage {
        let message = message.into();
        JsonMessage {
            error: Some(message.clone()),
            error_detail: Some(ErrorDetail {
                code: None,
                message,
            }),
            ..JsonMessage::default()
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProgressDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_docker_messages() {
        let m: JsonMessage = serde_json::from_str(
            r#"{"status":"Downloading","progressDetail":{"current":1,"total":2},"id":"abc"}"#,
        )
        .unwrap();
        assert_eq!(m.status.as_deref(), Some("Downloading"));
        assert_eq!(m.progress_detail.unwrap().total, Some(2));
        let m: JsonMessage =
            serde_json::from_str(r#"{"errorDetail":{"message":"boom"},"error":"boom"}"#).unwrap();
        assert_eq!(m.error_message(), Some("boom"));
        let m: JsonMessage = serde_json::from_str(r#"{"aux":{"ID":"sha256:x"}}"#).unwrap();
        assert_eq!(m.aux.unwrap()["ID"], "sha256:x");
        assert_eq!(
            serde_json::to_string(&JsonMessage::error("e")).unwrap(),
            r#"{"error":"e","errorDetail":{"message":"e"}}"#
        );
    }
}
