//! `wharf events [--since] [--until] [-f k=v] [--format]`: the daemon's
//! event stream, one line per event, docker's layout.

use wharf_api::system::EventMessage;

use super::format::{now_unix, parse_time_arg};
use super::ps::filters_json;
use super::template::Format;
use super::{q, Ctx, UsageError};

#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    /// Show all events created since timestamp
    #[arg(long)]
    pub since: Option<String>,
    /// Stream events until this timestamp
    #[arg(long)]
    pub until: Option<String>,
    /// Filter output based on conditions provided
    #[arg(short = 'f', long = "filter")]
    pub filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long)]
    pub format: Option<String>,
}

/// Docker's default event line:
/// `2024-01-02T15:04:05.000000000Z container start <id> (image=busybox, name=x)`.
pub fn pretty(e: &EventMessage) -> String {
    let nanos = if e.time_nano != 0 {
        e.time_nano
    } else {
        e.time.saturating_mul(1_000_000_000)
    };
    let mut out = String::new();
    if nanos != 0 {
        let t =
            chrono::DateTime::from_timestamp(nanos / 1_000_000_000, (nanos % 1_000_000_000) as u32)
                .map(|t| t.with_timezone(&chrono::Local));
        if let Some(t) = t {
            let s = t.format("%Y-%m-%dT%H:%M:%S%.9f%:z").to_string();
            out.push_str(&s.replace("+00:00", "Z"));
            out.push(' ');
        }
    }
    out.push_str(&format!("{} {} {}", e.kind, e.action, e.actor.id));
    if !e.actor.attributes.is_empty() {
        let attrs: Vec<String> = e
            .actor
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        out.push_str(&format!(" ({})", attrs.join(", ")));
    }
    out
}

pub async fn run(ctx: &Ctx, a: EventsArgs) -> anyhow::Result<i32> {
    let now = now_unix();
    let mut params = Vec::new();
    for (k, v) in [("since", &a.since), ("until", &a.until)] {
        if let Some(v) = v {
            let t = parse_time_arg(v, now).map_err(|e| {
                UsageError(format!("invalid argument \"{v}\" for \"--{k}\" flag: {e}"))
            })?;
            params.push(format!("{k}={}", q(&t)));
        }
    }
    if !a.filter.is_empty() {
        params.push(format!(
            "filters={}",
            q(&filters_json(&a.filter, "-f, --filter")?)
        ));
    }
    let tmpl = match a.format.as_deref() {
        None | Some("") => None,
        Some("json") => Some(Format::parse("{{json .}}")?),
        Some(f) => Some(Format::parse(f)?),
    };
    let path = if params.is_empty() {
        "/events".to_string()
    } else {
        format!("/events?{}", params.join("&"))
    };
    let mut resp = ctx.client.get(&path).await?;
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await {
        buf.extend_from_slice(&chunk?);
        while let Some(pos) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            let line = &line[..line.len() - 1];
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match &tmpl {
                Some(t) => {
                    let v: serde_json::Value = serde_json::from_slice(line)?;
                    println!("{}", t.render(&v)?);
                }
                None => {
                    let e: EventMessage = serde_json::from_slice(line)?;
                    println!("{}", pretty(&e));
                }
            }
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_line_layout() {
        let e: EventMessage = serde_json::from_str(
            r#"{"Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"name":"x","image":"busybox"}},"time":0,"timeNano":0}"#,
        )
        .unwrap();
        assert_eq!(pretty(&e), "container start abc (image=busybox, name=x)");
    }
}
