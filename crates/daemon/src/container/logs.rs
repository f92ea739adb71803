//! `GET /containers/{id}/logs`: reads the monitor's json-file log, with
//! tail, since/until, timestamps and follow.

use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::daemon::Daemon;
use crate::http;

#[derive(Deserialize)]
struct LogLine {
    log: String,
    stream: String,
    time: String,
}

pub struct LogOptions {
    pub stdout: bool,
    pub stderr: bool,
    pub follow: bool,
    pub timestamps: bool,
    /// None = all.
    pub tail: Option<usize>,
    pub since_nanos: Option<i64>,
    pub until_nanos: Option<i64>,
    pub tty: bool,
}

fn encode(line: &LogLine, o: &LogOptions) -> Option<Bytes> {
    let stream = match line.stream.as_str() {
        "stdout" if o.stdout => 1,
        "stderr" if o.stderr => 2,
        _ => return None,
    };
    let t = chrono::DateTime::parse_from_rfc3339(&line.time).ok();
    let nanos = t.and_then(|t| t.timestamp_nanos_opt()).unwrap_or(0);
    if o.since_nanos.is_some_and(|s| nanos < s) || o.until_nanos.is_some_and(|u| nanos > u) {
        return None;
    }
    let mut payload = Vec::new();
    if o.timestamps {
        let ts = t
            .map(|t| {
                t.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
            })
            .unwrap_or_else(|| line.time.clone());
        payload.extend_from_slice(ts.as_bytes());
        payload.push(b' ');
    }
    payload.extend_from_slice(line.log.as_bytes());
    Some(if o.tty {
        Bytes::from(payload)
    } else {
        http::frame(stream, &payload)
    })
}

/// Streams the log into `tx`; returns when done (or, following, when the
/// container has stopped and the file is drained, or the client went away).
pub async fn stream(
    d: Arc<Daemon>,
    id: String,
    path: PathBuf,
    o: LogOptions,
    tx: mpsc::Sender<Bytes>,
) {
    let (lines, mut offset) = match tokio::task::spawn_blocking({
        let path = path.clone();
        let tail = o.tail;
        move || read_initial(&path, tail)
    })
    .await
    {
        Ok(Ok(v)) => v,
        _ => (Vec::new(), Position::default()),
    };
    for l in &lines {
        if let Some(b) = encode(l, &o) {
            if tx.send(b).await.is_err() {
                return;
            }
        }
    }
    if !o.follow {
        return;
    }
    let Ok(mut changes) = d.watch(&id) else {
        return;
    };
    loop {
        let running = d
            .get(&id)
            .map(|r| r.state.status.is_active())
            .unwrap_or(false);
        let (new, next) = match tokio::task::spawn_blocking({
            let path = path.clone();
            move || follow_from(&path, offset)
        })
        .await
        {
            Ok(Ok(v)) => v,
            _ => return,
        };
        offset = next;
        for l in &new {
            if let Some(b) = encode(l, &o) {
                if tx.send(b).await.is_err() {
                    return;
                }
            }
        }
        if !running {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            _ = changes.changed() => {}
            _ = tx.closed() => return,
        }
    }
}

/// All complete lines (or the last `tail`), the rotated files
/// (`<log>.N` … `<log>.1`, oldest first) before the current one, and where
/// the current file was read up to.
fn read_initial(path: &PathBuf, tail: Option<usize>) -> std::io::Result<(Vec<LogLine>, Position)> {
    let mut lines = Vec::new();
    let mut rotated = Vec::new();
    for n in 1.. {
        let p = rotated_path(path, n);
        if !p.exists() {
            break;
        }
        rotated.push(p);
    }
    for p in rotated.iter().rev() {
        lines.extend(read_from(p, 0)?.0);
    }
    let pos = Position::of(path);
    let (current, off) = read_from(path, 0)?;
    lines.extend(current);
    if let Some(n) = tail {
        let skip = lines.len().saturating_sub(n);
        lines.drain(..skip);
    }
    Ok((lines, Position { offset: off, ..pos }))
}

/// `<log>.n`, a file the monitor rotated away (`--log-opt max-file`).
fn rotated_path(path: &Path, n: u32) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

/// Where a follower is: which file (its inode) and how far into it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Position {
    ino: u64,
    offset: u64,
}

impl Position {
    fn of(path: &Path) -> Position {
        use std::os::unix::fs::MetadataExt;
        Position {
            ino: std::fs::metadata(path).map(|m| m.ino()).unwrap_or(0),
            offset: 0,
        }
    }
}

/// New lines since `pos`. When the monitor rotated the file meanwhile,
/// the rest of the old one (now `<log>.1`) comes first, then the new file
/// from its start; a truncation (`max-file` 1) restarts at 0.
fn follow_from(path: &PathBuf, pos: Position) -> std::io::Result<(Vec<LogLine>, Position)> {
    use std::os::unix::fs::MetadataExt;
    let now = Position::of(path);
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if now.ino == pos.ino && len >= pos.offset {
        let (lines, off) = read_from(path, pos.offset)?;
        return Ok((lines, Position { offset: off, ..now }));
    }
    let mut lines = Vec::new();
    if now.ino != pos.ino {
        let old = rotated_path(path, 1);
        if std::fs::metadata(&old).is_ok_and(|m| m.ino() == pos.ino) {
            lines.extend(read_from(&old, pos.offset)?.0);
        }
    }
    let (current, off) = read_from(path, 0)?;
    lines.extend(current);
    Ok((lines, Position { offset: off, ..now }))
}

/// Complete lines from `offset`; a half-written last line is left for later.
fn read_from(path: &PathBuf, offset: u64) -> std::io::Result<(Vec<LogLine>, u64)> {
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), offset)),
        Err(e) => return Err(e),
    };
    f.seek(SeekFrom::Start(offset))?;
    let mut r = BufReader::new(f);
    let mut out = Vec::new();
    let mut pos = offset;
    let mut buf = String::new();
    loop {
        buf.clear();
        let n = r.read_line(&mut buf)?;
        if n == 0 || !buf.ends_with('\n') {
            break;
        }
        pos += n as u64;
        if let Ok(l) = serde_json::from_str::<LogLine>(&buf) {
            out.push(l);
        }
    }
    Ok((out, pos))
}
