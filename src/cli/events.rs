//! `wharf events [--since] [--until] [-f k=v] [--format]`: the daemon's
//! event stream, one line per event, docker's layout.

use wharf_api::system::EventMessage;

use super::format::{now_unix, parse_time_arg};
use super::ps::filters;
use super::template::Format;
use super::template_value::{to_value, Ordered};
use super::{Ctx, UsageError};
use wharf_client::EventsOptions;

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
    let mut opts = EventsOptions {
        filters: filters(&a.filter, "-f, --filter")?,
        ..EventsOptions::default()
    };
    for (k, v, slot) in [
        ("since", &a.since, &mut opts.since),
        ("until", &a.until, &mut opts.until),
    ] {
        if let Some(v) = v {
            let t = parse_time_arg(v, now).map_err(|e| {
                UsageError(format!("invalid argument \"{v}\" for \"--{k}\" flag: {e}"))
            })?;
            *slot = Some(t);
        }
    }
    let tmpl = match a.format.as_deref() {
        None | Some("") => None,
        Some("json") => Some(Format::parse("{{json .}}")?),
        Some(f) => Some(Format::parse(f)?),
    };
    // Order-keeping values: a template sees every field the daemon sent,
    // and `{{json .}}` keeps their order.
    let mut events = ctx.client.events_as::<Ordered>(&opts).await?;
    while let Some(v) = events.next().await {
        let v = v?;
        match &tmpl {
            Some(t) => println!("{}", t.render_value(to_value(&v))?),
            None => {
                let e: EventMessage = serde_json::from_value(v.to_json())?;
                println!("{}", pretty(&e));
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
