//! Docker's `StrSlice`: `Cmd` and `Entrypoint` may be sent as one string,
//! which means a one-element list (Docker wraps it; no shell splitting).

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// Deserializes `null`, `"cmd"` or `["cmd", "arg"]` into an optional list.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    Ok(Option::<OneOrMany>::deserialize(d)?.map(|v| match v {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    }))
}

#[cfg(test)]
mod tests {
    use crate::container::ContainerConfig;

    fn cmd(json: &str) -> Option<Vec<String>> {
        serde_json::from_str::<ContainerConfig>(json).unwrap().cmd
    }

    #[test]
    fn string_list_or_null() {
        assert_eq!(
            cmd(r#"{"Cmd":"echo hi"}"#),
            Some(vec!["echo hi".to_string()])
        );
        assert_eq!(
            cmd(r#"{"Cmd":["echo","hi"]}"#),
            Some(vec!["echo".into(), "hi".into()])
        );
        assert_eq!(cmd(r#"{"Cmd":null}"#), None);
        assert_eq!(cmd(r#"{}"#), None);
        assert!(serde_json::from_str::<ContainerConfig>(r#"{"Cmd":[1]}"#).is_err());
    }
}
