//! Docker's JSON message streams (build, pull, import, load):
//! `{"status": ...}`, `{"stream": ...}`, `{"error": ..., "errorDetail":
//! {...}}` per message, decoded by `wharf_client::MessageStream`.

use std::io::Write;

use wharf_client::MessageStream;

/// Print the stream's text as docker's `jsonmessage` does for non-terminals;
/// an `error` message fails the command with its message.
pub async fn print_stream(mut messages: MessageStream) -> anyhow::Result<()> {
    let mut out = std::io::stdout();
    let mut res = Ok(());
    messages
        .for_each(|m| {
            if res.is_err() {
                return;
            }
            res = if let Some(s) = &m.stream {
                write!(out, "{s}")
            } else if let Some(s) = &m.status {
                match &m.id {
                    Some(id) => writeln!(out, "{id}: {s}"),
                    None => writeln!(out, "{s}"),
                }
            } else {
                Ok(())
            };
        })
        .await?;
    res?;
    out.flush()?;
    Ok(())
}
