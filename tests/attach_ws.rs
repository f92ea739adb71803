//! `GET /containers/{id}/attach/ws`: a WebSocket client (written here,
//! over the daemon's unix socket) sends stdin and reads the output.
mod common;

use common::{wait_until, Daemon};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

fn read_frame(s: &mut UnixStream) -> (u8, Vec<u8>) {
    let mut h = [0u8; 2];
    s.read_exact(&mut h).unwrap();
    assert_eq!(h[1] & 0x80, 0, "server frames are not masked");
    let mut len = u64::from(h[1] & 0x7f);
    if len == 126 {
        let mut b = [0u8; 2];
        s.read_exact(&mut b).unwrap();
        len = u64::from(u16::from_be_bytes(b));
    } else if len == 127 {
        let mut b = [0u8; 8];
        s.read_exact(&mut b).unwrap();
        len = u64::from_be_bytes(b);
    }
    let mut p = vec![0u8; len as usize];
    s.read_exact(&mut p).unwrap();
    (h[0] & 0x0f, p)
}

fn send_frame(s: &mut UnixStream, opcode: u8, payload: &[u8]) {
    let mask = [0x12u8, 0x34, 0x56, 0x78];
    let mut v = vec![0x80 | opcode, 0x80 | payload.len() as u8];
    v.extend_from_slice(&mask);
    v.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    s.write_all(&v).unwrap();
}

#[test]
fn attach_over_websocket() {
    let d = Daemon::start();
    d.wharf(&[
        "run",
        "-d",
        "-i",
        "--name",
        "wsbox",
        "busybox",
        "sh",
        "-c",
        "echo ready; cat; echo bye >&2",
    ])
    .success();
    let mut s = UnixStream::connect(d.sock()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(
        b"GET /v1.44/containers/wsbox/attach/ws?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n\
          Host: docker\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    let head = String::from_utf8_lossy(&head).to_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(
        head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{head}"
    );
    send_frame(&mut s, 0x2, b"hello ws\n");
    let mut got = Vec::new();
    while !String::from_utf8_lossy(&got).contains("hello ws") {
        let (op, p) = read_frame(&mut s);
        assert_eq!(op, 0x2, "binary data frames");
        got.extend(p);
    }
    // A close is answered with a close; the container keeps running
    // (its stdin was not StdinOnce), as with Docker.
    send_frame(&mut s, 0x8, &1000u16.to_be_bytes());
    loop {
        let (op, p) = read_frame(&mut s);
        if op == 0x8 {
            assert_eq!(p[..2], 1000u16.to_be_bytes());
            break;
        }
    }
    assert_eq!(d.status("wsbox").as_deref(), Some("running"));
    // A second session sees the process end: output, then a close.
    let mut s = UnixStream::connect(d.sock()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(
        b"GET /containers/wsbox/attach/ws?stream=1&stdout=1&stderr=1 HTTP/1.1\r\n\
          Host: docker\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    d.wharf(&[
        "exec",
        "wsbox",
        "sh",
        "-c",
        "pkill cat || kill $(pidof cat)",
    ]);
    let mut got = Vec::new();
    loop {
        let (op, p) = read_frame(&mut s);
        if op == 0x8 {
            break;
        }
        got.extend(p);
    }
    assert!(String::from_utf8_lossy(&got).ends_with("bye\n"), "{got:?}");
    assert!(wait_until(Duration::from_secs(10), || d
        .status("wsbox")
        .as_deref()
        == Some("exited")));
    // Without the handshake headers: a clear 400.
    let (st, v) = d.api("GET", "/containers/wsbox/attach/ws", None);
    assert_eq!(st, 400, "{v}");
    d.wharf(&["rm", "-f", "wsbox"]).success();
}
