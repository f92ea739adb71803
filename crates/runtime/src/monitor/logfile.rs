//! The container log in Docker's json-file format, one JSON object per line:
//! `{"log":"line\n","stream":"stdout","time":"..."}`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::protocol::now_rfc3339;

/// Docker splits log lines longer than this into several entries.
const MAX_LINE: usize = 16 * 1024;

/// Appends container output to a json-file log, splitting it into lines.
pub struct JsonLog {
    file: File,
    partial: [Vec<u8>; 2],
    path: PathBuf,
    /// Bytes in the current file.
    size: u64,
    /// Rotate at this size (`--log-opt max-size`).
    max_size: Option<u64>,
    /// Files kept, the current one included (`--log-opt max-file`).
    max_file: u32,
    /// Entries not yet written because the disk was full, oldest first.
    /// The first one may be partly written (`head_written` bytes): it is
    /// finished before anything else, so no line is ever torn.
    pending: std::collections::VecDeque<Vec<u8>>,
    head_written: usize,
    pending_bytes: usize,
    /// Entries dropped because `pending` was over [`MAX_PENDING`].
    dropped: u64,
}

/// Output kept in memory while the disk is full; past it the oldest
/// unwritten lines are dropped, counted, and reported in the log.
pub const MAX_PENDING: usize = 4 * 1024 * 1024;

/// The name of rotated file `n` (`<log>.1` is the newest), as Docker's.
pub fn rotated_path(path: &Path, n: u32) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

impl JsonLog {
    pub fn open(path: &Path) -> io::Result<Self> {
        Self::open_rotating(path, None, 1)
    }

    /// A log that rotates when it reaches `max_size`: `<log>` becomes
    /// `<log>.1`, `.1` becomes `.2` … and files past `max_file` go; with
    /// `max_file` 1 the file is truncated instead.
    pub fn open_rotating(path: &Path, max_size: Option<u64>, max_file: u32) -> io::Result<Self> {
        let file = Self::open_file(path)?;
        let size = file.metadata()?.len();
        Ok(JsonLog {
            file,
            partial: [Vec::new(), Vec::new()],
            path: path.to_path_buf(),
            size,
            max_size,
            max_file: max_file.max(1),
            pending: Default::default(),
            head_written: 0,
            pending_bytes: 0,
            dropped: 0,
        })
    }

    fn rotate(&mut self) -> io::Result<()> {
        if self.max_file <= 1 {
            self.file.set_len(0)?;
            self.size = 0;
            return Ok(());
        }
        let last = self.max_file - 1;
        let _ = std::fs::remove_file(rotated_path(&self.path, last));
        for n in (1..last).rev() {
            let from = rotated_path(&self.path, n);
            if from.exists() {
                std::fs::rename(&from, rotated_path(&self.path, n + 1))?;
            }
        }
        std::fs::rename(&self.path, rotated_path(&self.path, 1))?;
        self.file = Self::open_file(&self.path)?;
        self.size = 0;
        Ok(())
    }

    fn open_file(path: &Path) -> io::Result<File> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // The container's output may hold secrets: root only, as the
        // record and the bundle.
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(wharf_sys::fs::MODE_PRIVATE_FILE)
            .open(path)?;
        if file.metadata()?.permissions().mode() & 0o777 != wharf_sys::fs::MODE_PRIVATE_FILE {
            file.set_permissions(std::fs::Permissions::from_mode(
                wharf_sys::fs::MODE_PRIVATE_FILE,
            ))?;
        }
        Ok(file)
    }

    /// Records `data` from stream 1 (stdout) or 2 (stderr).
    pub fn write(&mut self, stream: u8, data: &[u8]) -> io::Result<()> {
        let idx = usize::from(stream == 2);
        let mut buf = std::mem::take(&mut self.partial[idx]);
        buf.extend_from_slice(data);
        let mut start = 0;
        while let Some(pos) = buf[start..].iter().position(|&b| b == b'\n') {
            let end = start + pos + 1;
            self.entry(stream, &buf[start..end])?;
            start = end;
        }
        while buf.len() - start >= MAX_LINE {
            self.entry(stream, &buf[start..start + MAX_LINE])?;
            start += MAX_LINE;
        }
        buf.drain(..start);
        self.partial[idx] = buf;
        Ok(())
    }

    /// Writes out unterminated output (at exit).
    pub fn flush_partial(&mut self) -> io::Result<()> {
        for (idx, stream) in [(0usize, 1u8), (1, 2)] {
            let buf = std::mem::take(&mut self.partial[idx]);
            if !buf.is_empty() {
                self.entry(stream, &buf)?;
            }
        }
        self.retry_pending()
    }

    /// Lines waiting for space, and lines dropped for want of it.
    pub fn backlog(&self) -> (usize, u64) {
        (self.pending.len(), self.dropped)
    }

    /// Tries again to write what a full disk held back (called on every
    /// write and on the monitor's idle ticks).
    pub fn retry_pending(&mut self) -> io::Result<()> {
        if self.dropped > 0 && self.pending.is_empty() {
            self.note_dropped();
        }
        while let Some(head) = self.pending.front() {
            let rest = &head[self.head_written..];
            match self.file.write(rest) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) if n < rest.len() => self.head_written += n,
                Ok(_) => {
                    let done = self.pending.pop_front().unwrap_or_default();
                    self.pending_bytes -= done.len();
                    self.head_written = 0;
                    if self.pending.is_empty() && self.dropped > 0 {
                        self.note_dropped();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Queues one line saying how many were lost while the disk was full.
    fn note_dropped(&mut self) {
        let n = std::mem::take(&mut self.dropped);
        if let Ok(mut out) = serde_json::to_vec(&serde_json::json!({
            "log": format!("wharf: {n} log lines dropped: no space left on device\n"),
            "stream": "stderr",
            "time": now_rfc3339(),
        })) {
            out.push(b'\n');
            self.pending_bytes += out.len();
            self.pending.push_back(out);
        }
    }

    fn enqueue(&mut self, out: Vec<u8>) {
        self.pending_bytes += out.len();
        self.pending.push_back(out);
        // Drop the oldest whole lines, never the partly written head.
        while self.pending_bytes > MAX_PENDING && self.pending.len() > 1 {
            let idx = usize::from(self.head_written > 0);
            match self.pending.remove(idx) {
                Some(gone) => {
                    self.pending_bytes -= gone.len();
                    self.dropped += 1;
                }
                None => break,
            }
        }
    }

    fn entry(&mut self, stream: u8, line: &[u8]) -> io::Result<()> {
        let mut out = serde_json::to_vec(&serde_json::json!({
            "log": String::from_utf8_lossy(line),
            "stream": if stream == 2 { "stderr" } else { "stdout" },
            "time": now_rfc3339(),
        }))
        .map_err(io::Error::other)?;
        out.push(b'\n');
        if let Some(max) = self.max_size {
            // Never between the halves of a partly written line.
            if self.size > 0 && self.size + out.len() as u64 > max && self.pending.is_empty() {
                let _ = self.rotate();
            }
        }
        self.size += out.len() as u64;
        self.enqueue(out);
        self.retry_pending()
    }
}

/// Docker's multiplexed stream frame: `[stream,0,0,0,len BE u32] payload`.
pub fn frame(stream: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + payload.len());
    v.extend_from_slice(&[stream, 0, 0, 0]);
    v.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    v.extend_from_slice(payload);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_at_max_size_and_keeps_max_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("c-json.log");
        let mut log = JsonLog::open_rotating(&p, Some(200), 3).unwrap();
        for i in 0..20 {
            log.write(1, format!("line {i}\n").as_bytes()).unwrap();
        }
        assert!(rotated_path(&p, 1).exists());
        assert!(rotated_path(&p, 2).exists());
        assert!(!rotated_path(&p, 3).exists());
        for f in [p.clone(), rotated_path(&p, 1), rotated_path(&p, 2)] {
            assert!(std::fs::metadata(&f).unwrap().len() <= 200);
        }
        let last = std::fs::read_to_string(&p).unwrap();
        assert!(last.contains("line 19"), "{last}");
    }

    #[test]
    fn splits_lines_and_keeps_partials() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("c-json.log");
        let mut log = JsonLog::open(&p).unwrap();
        log.write(1, b"hello\nwor").unwrap();
        log.write(2, b"oops\n").unwrap();
        log.write(1, b"ld\n").unwrap();
        log.write(1, b"tail").unwrap();
        log.flush_partial().unwrap();
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&p)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let logs: Vec<_> = lines.iter().map(|v| v["log"].as_str().unwrap()).collect();
        assert_eq!(logs, vec!["hello\n", "oops\n", "world\n", "tail"]);
        assert_eq!(lines[1]["stream"], "stderr");
        assert!(lines[0]["time"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn frame_header_is_big_endian() {
        assert_eq!(frame(2, b"ab"), vec![2, 0, 0, 0, 0, 0, 0, 2, b'a', b'b']);
    }
}
