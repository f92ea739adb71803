//! Docker's JSON message streams (import, load): `{"status": ...}`,
//! `{"stream": ...}`, `{"error": ..., "errorDetail": {...}}` per line.

use wharf_client::Response;

/// Print the stream's text as docker's `jsonmessage` does for non-terminals;
/// an `error` line fails the command with its message.
pub async fn print_stream(mut resp: Response) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    let handle = |line: &[u8]| -> anyhow::Result<()> {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let v: serde_json::Value = match serde_json::from_slice(line) {
            Ok(v) => v,
            Err(_) => {
                println!("{}", String::from_utf8_lossy(line));
                return Ok(());
            }
        };
        if let Some(err) = v.get("error").and_then(|e| e.as_str()) {
            anyhow::bail!("{err}");
        }
        if let Some(s) = v.get("stream").and_then(|s| s.as_str()) {
            print!("{s}");
        } else if let Some(s) = v.get("status").and_then(|s| s.as_str()) {
            match v.get("id").and_then(|i| i.as_str()) {
                Some(id) => println!("{id}: {s}"),
                None => println!("{s}"),
            }
        }
        Ok(())
    };
    while let Some(chunk) = resp.chunk().await {
        buf.extend_from_slice(&chunk?);
        while let Some(pos) = buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            handle(&line[..line.len() - 1])?;
        }
    }
    if !buf.is_empty() {
        handle(&buf)?;
    }
    Ok(())
}
