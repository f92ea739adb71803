//! `ADD <url>`: a plain HTTP GET (no TLS: `https` sources are refused with
//! a clear error), written to a scratch file named after the URL's last
//! path segment. Unreachable hosts fail within a few seconds.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

/// Downloads `url` into `dir`; returns the file's name.
pub fn download(url: &str, dir: &Path) -> Result<String, String> {
    let rest = match url.strip_prefix("http://") {
        Some(r) => r,
        None => return Err("https sources are not supported by wharf's builder".into()),
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr_s = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:80")
    };
    let addr = addr_s
        .to_socket_addrs()
        .map_err(|e| format!("resolving {hostport}: {e}"))?
        .next()
        .ok_or_else(|| format!("resolving {hostport}: no address"))?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("connecting to {hostport}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let req = format!(
        "GET {path} HTTP/1.0\r\nHost: {hostport}\r\nUser-Agent: wharf\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut r = BufReader::new(s);
    let mut status = String::new();
    r.read_line(&mut status).map_err(|e| e.to_string())?;
    let code = status.split_whitespace().nth(1).unwrap_or("");
    if code != "200" {
        return Err(format!("unexpected status: {}", status.trim()));
    }
    loop {
        let mut h = String::new();
        let n = r.read_line(&mut h).map_err(|e| e.to_string())?;
        if n == 0 || h.trim().is_empty() {
            break;
        }
    }
    let name = path
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .unwrap_or("download")
        .to_string();
    let mut f = std::fs::File::create(dir.join(&name)).map_err(|e| e.to_string())?;
    let mut body = Vec::new();
    r.read_to_end(&mut body).map_err(|e| e.to_string())?;
    f.write_all(&body).map_err(|e| e.to_string())?;
    Ok(name)
}
