//! Docker's stdcopy framing of non-TTY attach, exec and logs streams: each
//! frame is an 8-byte header (stream byte: 0 stdin, 1 stdout, 2 stderr,
//! 3 system error; three zero bytes; u32 big-endian length) then the payload.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Which stream a frame belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Stdin,
    Stdout,
    Stderr,
    /// The daemon reports an error in-band (Docker's `Systemerr`).
    SystemErr,
}

impl StreamKind {
    fn from_byte(b: u8) -> Option<StreamKind> {
        match b {
            0 => Some(StreamKind::Stdin),
            1 => Some(StreamKind::Stdout),
            2 => Some(StreamKind::Stderr),
            3 => Some(StreamKind::SystemErr),
            _ => None,
        }
    }
    fn byte(self) -> u8 {
        match self {
            StreamKind::Stdin => 0,
            StreamKind::Stdout => 1,
            StreamKind::Stderr => 2,
            StreamKind::SystemErr => 3,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StdcopyError {
    #[error("unrecognized stream byte {0} in multiplexed output")]
    BadStream(u8),
    #[error("error from daemon in stream: {0}")]
    Daemon(String),
    #[error("i/o error copying multiplexed output: {0}")]
    Io(#[from] std::io::Error),
}

impl StdcopyError {
    pub fn kind(&self) -> wharf_api::error::ErrorKind {
        wharf_api::error::ErrorKind::Other
    }
}

const HEADER: usize = 8;

/// Encode one frame (used by tests and by anything that writes the format).
pub fn frame(kind: StreamKind, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.push(kind.byte());
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// An incremental decoder: feed bytes as they arrive, take whole frames.
#[derive(Debug, Default)]
pub struct Demuxer {
    buf: Vec<u8>,
}

impl Demuxer {
    pub fn new() -> Demuxer {
        Demuxer::default()
    }

    /// Append received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next complete frame, if one has fully arrived.
    pub fn next_frame(&mut self) -> Result<Option<(StreamKind, Vec<u8>)>, StdcopyError> {
        if self.buf.len() < HEADER {
            return Ok(None);
        }
        let kind =
            StreamKind::from_byte(self.buf[0]).ok_or(StdcopyError::BadStream(self.buf[0]))?;
        let len = u32::from_be_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]]) as usize;
        if self.buf.len() < HEADER + len {
            return Ok(None);
        }
        let payload = self.buf[HEADER..HEADER + len].to_vec();
        self.buf.drain(..HEADER + len);
        Ok(Some((kind, payload)))
    }

    /// Bytes received but not yet part of a complete frame.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

/// Copy a multiplexed stream to `stdout`/`stderr` until EOF, flushing after
/// each frame so interactive output appears at once. A system-error frame
/// ends the copy with its message.
pub async fn demux<R, O, E>(mut src: R, stdout: &mut O, stderr: &mut E) -> Result<(), StdcopyError>
where
    R: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
    E: AsyncWrite + Unpin,
{
    let mut d = Demuxer::new();
    let mut chunk = vec![0u8; 32 * 1024];
    loop {
        let n = src.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        d.push(&chunk[..n]);
        write_frames(&mut d, stdout, stderr).await?;
    }
}

/// Write every complete frame held by `d` to its stream.
pub async fn write_frames<O, E>(
    d: &mut Demuxer,
    stdout: &mut O,
    stderr: &mut E,
) -> Result<(), StdcopyError>
where
    O: AsyncWrite + Unpin,
    E: AsyncWrite + Unpin,
{
    while let Some((kind, payload)) = d.next_frame()? {
        match kind {
            StreamKind::Stdout | StreamKind::Stdin => {
                stdout.write_all(&payload).await?;
                stdout.flush().await?;
            }
            StreamKind::Stderr => {
                stderr.write_all(&payload).await?;
                stderr.flush().await?;
            }
            StreamKind::SystemErr => {
                return Err(StdcopyError::Daemon(
                    String::from_utf8_lossy(&payload).trim().to_string(),
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_in_pieces() {
        let mut wire = frame(StreamKind::Stdout, b"hello\n");
        wire.extend(frame(StreamKind::Stderr, b"oops"));
        wire.extend(frame(StreamKind::Stdout, b""));
        let mut d = Demuxer::new();
        let mut got = Vec::new();
        // Feed one byte at a time: frames must come out whole and in order.
        for b in &wire {
            d.push(std::slice::from_ref(b));
            while let Some(f) = d.next_frame().unwrap() {
                got.push(f);
            }
        }
        assert_eq!(
            got,
            vec![
                (StreamKind::Stdout, b"hello\n".to_vec()),
                (StreamKind::Stderr, b"oops".to_vec()),
                (StreamKind::Stdout, vec![]),
            ]
        );
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn header_layout() {
        let f = frame(StreamKind::Stderr, &[7u8; 258]);
        assert_eq!(&f[..8], &[2, 0, 0, 0, 0, 0, 1, 2]);
    }

    #[test]
    fn bad_stream_byte() {
        let mut d = Demuxer::new();
        d.push(&[9, 0, 0, 0, 0, 0, 0, 1, b'x']);
        assert!(matches!(d.next_frame(), Err(StdcopyError::BadStream(9))));
    }

    #[tokio::test]
    async fn demux_splits_streams() {
        let mut wire = frame(StreamKind::Stdout, b"a");
        wire.extend(frame(StreamKind::Stderr, b"b"));
        wire.extend(frame(StreamKind::Stdout, b"c"));
        let (mut out, mut err) = (Vec::new(), Vec::new());
        demux(&wire[..], &mut out, &mut err).await.unwrap();
        assert_eq!(out, b"ac");
        assert_eq!(err, b"b");
    }

    #[tokio::test]
    async fn system_error_frame_ends_copy() {
        let wire = frame(StreamKind::SystemErr, b"exec failed\n");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let e = demux(&wire[..], &mut out, &mut err).await.unwrap_err();
        assert_eq!(e.to_string(), "error from daemon in stream: exec failed");
    }
}
