//! Registries (issue 11): push to and pull from a real `docker-registry`
//! (Debian's distribution) that each test starts on 127.0.0.1 with a free
//! port and throw-away storage, killed on drop. Nothing leaves the machine.
mod common;

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{wait_until, Daemon};

struct Registry {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Registry {
    fn start() -> Registry {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("wharf-reg-{}-{port}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("data")).unwrap();
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("data").display()
        );
        fs::write(dir.join("config.yml"), config).unwrap();
        let log = fs::File::create(dir.join("registry.log")).unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("docker-registry (scripts/setup.sh installs it)");
        let r = Registry { child, dir, port };
        assert!(
            wait_until(Duration::from_secs(20), || TcpStream::connect((
                "127.0.0.1",
                port
            ))
            .is_ok()),
            "registry did not listen"
        );
        r
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Files of the stored blob `sha256:<hex>`.
    fn blob_file(&self, digest: &str) -> PathBuf {
        let hex = digest.trim_start_matches("sha256:");
        self.dir
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn image_id(d: &Daemon, name: &str) -> String {
    d.wharf(&["image", "inspect", "-f", "{{.Id}}", name])
        .success()
        .out()
        .trim()
        .to_string()
}

fn tmp_entries(d: &Daemon) -> usize {
    fs::read_dir(d.data_root().join("image/tmp"))
        .map(|r| r.count())
        .unwrap_or(0)
}

#[test]
fn push_then_pull_round_trips_and_run_pulls_missing() {
    let reg = Registry::start();
    let d = Daemon::start();
    let name = format!("{}/test/bb:v1", reg.host());
    let id = image_id(&d, "busybox:latest");
    d.wharf(&["tag", "busybox:latest", &name]).success();
    let out = d.wharf(&["push", &name]);
    out.success();
    assert!(
        out.out().contains("The push refers to repository")
            && out.out().contains("v1: digest: sha256:"),
        "{}",
        out.out()
    );
    // A second push finds every layer there.
    let again = d.wharf(&["push", &name]);
    assert!(
        again.success().out().contains("Layer already exists"),
        "{}",
        again.out()
    );

    d.wharf(&["rmi", &name]).success();
    let out = d.wharf(&["pull", &name]);
    out.success();
    assert!(out.out().contains("Already exists"), "{}", out.out());
    assert!(
        out.out()
            .contains(&format!("Status: Downloaded newer image for {name}")),
        "{}",
        out.out()
    );
    assert_eq!(
        image_id(&d, &name),
        id,
        "the pulled config is byte-identical"
    );

    // From an empty store: layers are downloaded, digests checked.
    d.wharf(&["rmi", &name, "busybox:latest"]).success();
    let out = d.wharf(&["pull", &name]);
    assert!(
        out.success().out().contains("Pull complete"),
        "{}",
        out.out()
    );
    assert_eq!(image_id(&d, &name), id);
    let up = d.wharf(&["pull", &name]);
    assert!(
        up.success().out().contains("Image is up to date"),
        "{}",
        up.out()
    );

    // `run` pulls a missing image.
    d.wharf(&["rmi", &name]).success();
    let run = d.wharf(&["run", "--rm", &name, "echo", "hello-from-pull"]);
    run.success();
    assert!(run.out().contains("hello-from-pull"), "{}", run.out());
    assert!(run.err().contains("Unable to find image"), "{}", run.err());
    d.wharf(&["rmi", &name]).success();
    let never = d.wharf(&["run", "--rm", "--pull", "never", &name, "true"]);
    assert_ne!(never.code, 0);
    assert_eq!(tmp_entries(&d), 0, "downloads leave nothing in tmp/");
}

#[test]
fn docker_cli_pulls_and_pushes_through_wharfd() {
    let reg = Registry::start();
    let d = Daemon::start();
    let name = format!("{}/dock/bb:v2", reg.host());
    let id = image_id(&d, "busybox:latest");
    d.wharf(&["tag", "busybox:latest", &name]).success();
    let out = d.docker(&["push", &name]);
    out.success();
    assert!(out.out().contains("digest: sha256:"), "{}", out.out());
    d.wharf(&["rmi", &name, "busybox:latest"]).success();
    let out = d.docker(&["pull", &name]);
    out.success();
    assert!(
        out.out()
            .contains(&format!("Downloaded newer image for {name}")),
        "{}",
        out.out()
    );
    assert_eq!(image_id(&d, &name), id);
    // Unknown tags are a clean 404-style failure.
    let missing = d.docker(&["pull", &format!("{}/dock/nothing:here", reg.host())]);
    assert_ne!(missing.code, 0);
    assert!(missing.err().contains("not found"), "{}", missing.err());
}

#[test]
fn truncated_or_corrupt_layers_fail_cleanly() {
    let reg = Registry::start();
    let d = Daemon::start();
    let name = format!("{}/bad/bb:v1", reg.host());
    d.wharf(&["tag", "busybox:latest", &name]).success();
    d.wharf(&["push", &name]).success();
    let layer = d.wharf(&[
        "image",
        "inspect",
        "-f",
        "{{index .RootFS.Layers 0}}",
        &name,
    ]);
    let layer = layer.success().out().trim().to_string();
    d.wharf(&["rmi", &name, "busybox:latest"]).success();
    let blob = reg.blob_file(&layer);
    let full = fs::read(&blob).unwrap();

    // Truncated.
    fs::write(&blob, &full[..full.len() / 2]).unwrap();
    let out = d.wharf(&["pull", &name]);
    assert_ne!(out.code, 0, "{}", out.out());
    assert!(
        out.err().contains("truncated") || out.err().contains("mismatch"),
        "{}",
        out.err()
    );
    d.wharf(&["image", "inspect", &name]).code_is(1);

    // Same length, other bytes.
    let mut bad = full.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    fs::write(&blob, &bad).unwrap();
    let out = d.wharf(&["pull", &name]);
    assert_ne!(out.code, 0);
    assert!(out.err().contains("digest mismatch"), "{}", out.err());
    d.wharf(&["image", "inspect", &name]).code_is(1);
    assert!(d.wharf(&["images", "-q"]).success().out().trim().is_empty());
    assert_eq!(tmp_entries(&d), 0, "nothing half-stored");
}

#[test]
fn bad_names_and_platforms_are_refused() {
    let d = Daemon::start_bare();
    let out = d.wharf(&["pull", "busyBOX:latest"]);
    assert_ne!(out.code, 0);
    assert!(out.err().contains("must be lowercase"), "{}", out.err());
    let (code, v) = d.api(
        "POST",
        "/images/create?fromImage=127.0.0.1:1/x&platform=linux",
        None,
    );
    assert_eq!(code, 400, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("invalid platform"),
        "{v}"
    );
}

/// Builds `repo:multi` on the registry: an OCI index of the pushed
/// `repo:v1` (this host's platform) and a copy whose config says
/// linux/arm64 (other config bytes, same layers).
const MAKE_INDEX: &str = r#"
import json, hashlib, sys, urllib.request
base, repo, arch = sys.argv[1], sys.argv[2], sys.argv[3]
def req(method, path, data=None, ctype=None, accept=None):
    r = urllib.request.Request(path if path.startswith('http') else base + path, data=data, method=method)
    if ctype: r.add_header('Content-Type', ctype)
    if accept: r.add_header('Accept', accept)
    return urllib.request.urlopen(r)
OCI_M = 'application/vnd.oci.image.manifest.v1+json'
m_bytes = req('GET', f'/v2/{repo}/manifests/v1', accept=OCI_M).read()
m = json.loads(m_bytes)
cfg = json.loads(req('GET', f"/v2/{repo}/blobs/{m['config']['digest']}").read())
cfg['architecture'] = 'arm64'
cb = json.dumps(cfg).encode()
cd = 'sha256:' + hashlib.sha256(cb).hexdigest()
loc = req('POST', f'/v2/{repo}/blobs/uploads/', data=b'').headers['Location']
req('PUT', loc + ('&' if '?' in loc else '?') + 'digest=' + cd, data=cb, ctype='application/octet-stream')
m2 = dict(m); m2['config'] = dict(m['config'], digest=cd, size=len(cb))
m2b = json.dumps(m2).encode()
req('PUT', f'/v2/{repo}/manifests/arm', data=m2b, ctype=OCI_M)
def desc(b, a): return {'mediaType': OCI_M, 'digest': 'sha256:' + hashlib.sha256(b).hexdigest(), 'size': len(b), 'platform': {'os': 'linux', 'architecture': a}}
idx = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json', 'manifests': [desc(m2b, 'arm64'), desc(m_bytes, arch)]}
req('PUT', f'/v2/{repo}/manifests/multi', data=json.dumps(idx).encode(), ctype='application/vnd.oci.image.index.v1+json')
print(cd)
"#;

#[test]
fn multi_arch_index_resolves_to_the_platform() {
    let reg = Registry::start();
    let d = Daemon::start();
    let name = format!("{}/multi/bb", reg.host());
    let id = image_id(&d, "busybox:latest");
    d.wharf(&["tag", "busybox:latest", &format!("{name}:v1")])
        .success();
    d.wharf(&["push", &format!("{name}:v1")]).success();
    let host_arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let mut cmd = Command::new("python3");
    cmd.arg("-c")
        .arg(MAKE_INDEX)
        .arg(format!("http://{}", reg.host()))
        .arg("multi/bb")
        .arg(host_arch);
    let out = common::run_cmd(cmd, None, Duration::from_secs(60));
    let arm_id = out.success().out().trim().to_string();

    d.wharf(&["rmi", &format!("{name}:v1")]).success();
    let multi = format!("{name}:multi");
    d.wharf(&["pull", &multi]).success();
    assert_eq!(image_id(&d, &multi), id, "the host's platform is chosen");
    d.wharf(&["pull", "--platform", "linux/arm64", &multi])
        .success();
    assert_eq!(image_id(&d, &multi), arm_id);
    let arch = d.wharf(&["image", "inspect", "-f", "{{.Architecture}}", &multi]);
    assert_eq!(arch.success().out().trim(), "arm64");
    let none = d.wharf(&["pull", "--platform", "linux/s390x", &multi]);
    assert_ne!(none.code, 0);
    assert!(
        none.err().contains("no matching manifest for linux/s390x"),
        "{}",
        none.err()
    );
    // The distribution endpoint lists both platforms.
    let (code, v) = d.api("GET", &format!("/distribution/{multi}/json"), None);
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["Platforms"].as_array().unwrap().len(), 2, "{v}");
}

/// One request a front read: its head as text, its path and its body.
struct FrontRequest {
    text: String,
    path: String,
    body: Vec<u8>,
}

impl FrontRequest {
    /// A header's value (`name` in lower case).
    fn header(&self, name: &str) -> Option<String> {
        self.text
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&format!("{name}:")))
            .map(|l| l.split_once(':').unwrap().1.trim().to_string())
    }

    /// Sends the request on to the registry (one request per connection)
    /// and returns the connection to read its answer from.
    fn forward(&self, upstream: u16) -> Option<TcpStream> {
        use std::io::Write;
        let mut up = TcpStream::connect(("127.0.0.1", upstream)).ok()?;
        let mut fwd = String::new();
        for l in self.text.trim_end().lines() {
            if !l.to_ascii_lowercase().starts_with("connection:") {
                fwd.push_str(l);
                fwd.push_str("\r\n");
            }
        }
        fwd.push_str("Connection: close\r\n\r\n");
        let _ = up.write_all(fwd.as_bytes());
        let _ = up.write_all(&self.body);
        Some(up)
    }
}

/// A loopback front before a registry on `upstream`: each connection's
/// request is read and handed to `serve` (with the front's own port) on a
/// thread of its own. Stopped on drop.
struct Front {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Front {
    fn start(upstream: u16, serve: fn(&mut TcpStream, FrontRequest, u16, u16)) -> Front {
        use std::io::Read;
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop2 = stop.clone();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                if stop2.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let Ok(mut c) = conn else { continue };
                std::thread::spawn(move || {
                    let mut head = Vec::new();
                    let mut b = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if c.read(&mut b).unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(b[0]);
                    }
                    let text = String::from_utf8_lossy(&head).to_string();
                    let path = text.split(' ').nth(1).unwrap_or("").to_string();
                    let mut req = FrontRequest {
                        text,
                        path,
                        body: Vec::new(),
                    };
                    let len: usize = req
                        .header("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    req.body = vec![0u8; len];
                    if c.read_exact(&mut req.body).is_err() {
                        return;
                    }
                    serve(&mut c, req, upstream, port);
                });
            }
        });
        Front { port, stop }
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A token-auth front for a registry: `/token` hands out a bearer token for
/// `user:secret` (basic auth), every other request needs that token and is
/// forwarded to the registry (one request per connection).
struct TokenFront;

impl TokenFront {
    fn start(upstream: u16) -> Front {
        Front::start(upstream, |c, req, upstream, port| {
            use std::io::Write;
            let auth = req.header("authorization").unwrap_or_default();
            if req.path.starts_with("/token") {
                // base64("user:secret")
                if auth == "Basic dXNlcjpzZWNyZXQ=" {
                    let b = r#"{"token":"t0ken"}"#;
                    let _ = write!(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}", b.len());
                } else {
                    let _ = write!(c, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                }
                return;
            }
            if auth != "Bearer t0ken" {
                let _ = write!(c, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"front\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                return;
            }
            if let Some(mut up) = req.forward(upstream) {
                let _ = std::io::copy(&mut up, c);
            }
        })
    }
}

#[test]
fn bearer_token_login_push_and_pull() {
    let reg = Registry::start();
    let front = TokenFront::start(reg.port);
    let d = Daemon::start();
    let cfg = d.tmp().join("dockercfg");
    let server = format!("127.0.0.1:{}", front.port);
    let with_cfg = |args: &[&str], stdin: Option<&[u8]>| {
        let mut cmd = d.wharf_cmd(args);
        cmd.env("DOCKER_CONFIG", &cfg);
        common::run_cmd(cmd, stdin, Duration::from_secs(120))
    };
    let name = format!("{server}/auth/bb:v1");
    d.wharf(&["tag", "busybox:latest", &name]).success();
    // No credentials: refused.
    let out = with_cfg(&["push", &name], None);
    assert_ne!(out.code, 0, "{}", out.out());
    // Wrong password: refused, nothing stored.
    let out = with_cfg(
        &["login", "-u", "user", "--password-stdin", &server],
        Some(b"wrong\n"),
    );
    assert_ne!(out.code, 0);
    assert!(
        out.err().contains("incorrect username or password"),
        "{}",
        out.err()
    );
    assert!(!cfg.join("config.json").exists());
    let out = with_cfg(
        &["login", "-u", "user", "--password-stdin", &server],
        Some(b"secret\n"),
    );
    assert!(out.success().out().contains("Login Succeeded"));
    let stored = fs::read_to_string(cfg.join("config.json")).unwrap();
    assert!(
        stored.contains(&server) && stored.contains("dXNlcjpzZWNyZXQ="),
        "{stored}"
    );
    with_cfg(&["push", &name], None).success();
    d.wharf(&["rmi", &name, "busybox:latest"]).success();
    with_cfg(&["pull", &name], None).success();

    // A multi-arch index behind the token front: each platform pulls.
    let host_arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let mut cmd = Command::new("python3");
    cmd.arg("-c")
        .arg(MAKE_INDEX)
        .arg(format!("http://{}", reg.host()))
        .arg("auth/bb")
        .arg(host_arch);
    let arm_id = common::run_cmd(cmd, None, Duration::from_secs(60))
        .success()
        .out()
        .trim()
        .to_string();
    let multi = format!("{server}/auth/bb:multi");
    with_cfg(&["pull", &multi], None).success();
    assert_eq!(image_id(&d, &multi), image_id(&d, &name));
    with_cfg(&["pull", "--platform", "linux/arm64", &multi], None).success();
    assert_eq!(image_id(&d, &multi), arm_id);
    d.wharf(&["rmi", &multi]).success();
    let out = with_cfg(&["logout", &server], None);
    assert!(out.success().out().contains("Removing login credentials"));
    d.wharf(&["rmi", &name]).success();
    let out = with_cfg(&["pull", &name], None);
    assert_ne!(out.code, 0, "{}", out.out());
}

/// Pushes `repo:<kind>` to the registry: the pushed `repo:v1` with one
/// more layer, a gzipped tar made here by hand, of one of these kinds:
/// `dotdot` (an entry `../escaped`), `hardlink` (a hard link to
/// `../../../etc/passwd`), `symlink` (`lib/x -> ../../..`, then a file
/// written through it, `lib/x/etc/passwd`, which must land inside the
/// root). Prints the new manifest's digest.
const MAKE_LAYER: &str = r#"
import json, hashlib, sys, io, tarfile, gzip, urllib.request
base, repo, kind = sys.argv[1], sys.argv[2], sys.argv[3]
def req(method, path, data=None, ctype=None, accept=None):
    r = urllib.request.Request(path if path.startswith('http') else base + path, data=data, method=method)
    if ctype: r.add_header('Content-Type', ctype)
    if accept: r.add_header('Accept', accept)
    return urllib.request.urlopen(r)
OCI_M = 'application/vnd.oci.image.manifest.v1+json'
m = json.loads(req('GET', f'/v2/{repo}/manifests/v1', accept=OCI_M).read())
buf = io.BytesIO()
t = tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT)
def add(name, typ=tarfile.REGTYPE, data=b'', link=''):
    i = tarfile.TarInfo(name); i.type = typ; i.linkname = link; i.mtime = 1
    i.mode = 0o755 if typ in (tarfile.DIRTYPE, tarfile.SYMTYPE) else 0o644
    i.size = len(data) if typ == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if typ == tarfile.REGTYPE else None)
passwd = b'root:x:0:0:root:/root:/bin/sh\nescape:x:1234:1234::/:/bin/sh\n'
if kind == 'dotdot':
    add('ok.txt', data=b'ok\n'); add('../escaped', data=b'out\n')
elif kind == 'hardlink':
    add('ok.txt', data=b'ok\n'); add('evil', tarfile.LNKTYPE, link='../../../etc/passwd')
elif kind == 'symlink':
    add('lib/', tarfile.DIRTYPE); add('lib/x', tarfile.SYMTYPE, link='../../..')
    add('lib/x/etc/passwd', data=passwd)
t.close()
raw = buf.getvalue()
gz = gzip.compress(raw, mtime=0)
diff = 'sha256:' + hashlib.sha256(raw).hexdigest()
bd = 'sha256:' + hashlib.sha256(gz).hexdigest()
def put_blob(b, d):
    loc = req('POST', f'/v2/{repo}/blobs/uploads/', data=b'').headers['Location']
    req('PUT', loc + ('&' if '?' in loc else '?') + 'digest=' + d, data=b, ctype='application/octet-stream')
put_blob(gz, bd)
cfg = json.loads(req('GET', f"/v2/{repo}/blobs/{m['config']['digest']}").read())
cfg['rootfs']['diff_ids'].append(diff)
cfg.setdefault('history', []).append({'created_by': 'crafted ' + kind})
cb = json.dumps(cfg).encode()
cd = 'sha256:' + hashlib.sha256(cb).hexdigest()
put_blob(cb, cd)
m2 = dict(m); m2['config'] = dict(m['config'], digest=cd, size=len(cb))
m2['layers'] = m['layers'] + [{'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip', 'digest': bd, 'size': len(gz)}]
mb = json.dumps(m2).encode()
req('PUT', f'/v2/{repo}/manifests/{kind}', data=mb, ctype=OCI_M)
print('sha256:' + hashlib.sha256(mb).hexdigest())
"#;

fn make_layer(reg: &Registry, repo: &str, kind: &str) -> String {
    let mut cmd = Command::new("python3");
    cmd.arg("-c")
        .arg(MAKE_LAYER)
        .arg(format!("http://{}", reg.host()))
        .arg(repo)
        .arg(kind);
    let out = common::run_cmd(cmd, None, Duration::from_secs(60));
    out.success().out().trim().to_string()
}

/// What a failed pull must leave as it was: the image list, the layer
/// directories and an empty `tmp/`.
fn store_state(d: &Daemon) -> (String, Vec<String>) {
    let listed = d.wharf(&[
        "images",
        "-a",
        "--no-trunc",
        "--format",
        "{{.ID}} {{.Repository}}:{{.Tag}}",
    ]);
    let images = listed.success().out().to_string();
    let mut layers: Vec<String> = fs::read_dir(d.data_root().join("image/layers"))
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    layers.sort();
    (images, layers)
}

#[test]
fn escaping_layers_are_refused_and_symlinked_parents_stay_inside() {
    let reg = Registry::start();
    let d = Daemon::start();
    let repo = "esc/bb";
    let base = format!("{}/{repo}", reg.host());
    d.wharf(&["tag", "busybox:latest", &format!("{base}:v1")])
        .success();
    d.wharf(&["push", &format!("{base}:v1")]).success();
    d.wharf(&["rmi", &format!("{base}:v1")]).success();
    for kind in ["dotdot", "hardlink", "symlink"] {
        make_layer(&reg, repo, kind);
    }
    let before = store_state(&d);
    for (kind, want) in [
        ("dotdot", "leads outside the destination"),
        ("hardlink", "leads outside the destination"),
    ] {
        let name = format!("{base}:{kind}");
        let out = d.wharf(&["pull", &name]);
        assert_ne!(out.code, 0, "{kind}: {}", out.out());
        assert!(out.err().contains(want), "{kind}: {}", out.err());
        d.wharf(&["image", "inspect", &name]).code_is(1);
        assert_eq!(store_state(&d), before, "{kind}: nothing half-stored");
        assert_eq!(tmp_entries(&d), 0, "{kind}: tmp/ is empty");
    }
    assert!(
        !std::path::Path::new("/tmp/escaped").exists()
            && !d.data_root().join("image/escaped").exists()
            && !d.data_root().join("image/tmp/escaped").exists()
    );
    let host_passwd = fs::read_to_string("/etc/passwd").unwrap();
    assert!(!host_passwd.contains("escape:x:1234"));

    // A file written through a symlinked parent lands inside the root, as
    // Docker puts it; and the good pull after the bad ones works.
    let name = format!("{base}:symlink");
    d.wharf(&["pull", &name]).success();
    let run = d.wharf(&["run", "--rm", &name, "cat", "/etc/passwd"]);
    assert!(
        run.success().out().contains("escape:x:1234"),
        "{}",
        run.out()
    );
    let link = d.wharf(&["run", "--rm", &name, "readlink", "/lib/x"]);
    assert_eq!(link.success().out().trim(), "../../..");
    assert_eq!(fs::read_to_string("/etc/passwd").unwrap(), host_passwd);
    assert_eq!(tmp_entries(&d), 0);
}

/// A front that passes every request to the registry but changes the
/// body of each manifest it returns (one more space at its end: still
/// valid JSON, another digest), keeping the registry's headers.
struct RewriteFront;

impl RewriteFront {
    fn start(upstream: u16) -> Front {
        Front::start(upstream, |c, req, upstream, _| {
            use std::io::{Read, Write};
            let Some(mut up) = req.forward(upstream) else {
                return;
            };
            if !req.path.contains("/manifests/") {
                let _ = std::io::copy(&mut up, c);
                return;
            }
            let mut resp = Vec::new();
            let _ = up.read_to_end(&mut resp);
            let Some(split) = resp.windows(4).position(|w| w == b"\r\n\r\n") else {
                return;
            };
            let head = String::from_utf8_lossy(&resp[..split]).to_string();
            let mut body = resp[split + 4..].to_vec();
            if head.starts_with("HTTP/1.1 200") && !req.text.starts_with("HEAD") {
                body.push(b' ');
            }
            let mut out = String::new();
            for l in head.lines() {
                if !l.to_ascii_lowercase().starts_with("content-length:") {
                    out.push_str(l);
                    out.push_str("\r\n");
                }
            }
            out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            let _ = c.write_all(out.as_bytes());
            let _ = c.write_all(&body);
        })
    }
}

#[test]
fn a_manifest_that_is_not_the_one_asked_for_is_refused() {
    let reg = Registry::start();
    let front = RewriteFront::start(reg.port);
    let d = Daemon::start();
    let name = format!("{}/mm/bb", reg.host());
    let id = image_id(&d, "busybox:latest");
    d.wharf(&["tag", "busybox:latest", &format!("{name}:v1")])
        .success();
    let pushed = d.wharf(&["push", &format!("{name}:v1")]);
    let digest = pushed
        .success()
        .out()
        .split("digest: ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("{}", pushed.out()))
        .to_string();
    d.wharf(&["rmi", &format!("{name}:v1"), "busybox:latest"])
        .success();
    let before = store_state(&d);
    let via = format!("127.0.0.1:{}/mm/bb", front.port);
    // By digest: the bytes served are not the ones named.
    let out = d.wharf(&["pull", &format!("{via}@{digest}")]);
    assert_ne!(out.code, 0, "{}", out.out());
    assert!(
        out.err().contains("manifest digest mismatch")
            && out.err().contains(&format!("expected {digest}")),
        "{}",
        out.err()
    );
    // By tag: the bytes served are not the ones the registry announced.
    let out = d.wharf(&["pull", &format!("{via}:v1")]);
    assert_ne!(out.code, 0, "{}", out.out());
    assert!(
        out.err().contains("manifest digest mismatch"),
        "{}",
        out.err()
    );
    // Through the docker CLI too.
    let out = d.docker(&["pull", &format!("{via}@{digest}")]);
    assert_ne!(out.code, 0, "{}", out.out());
    assert!(out.err().contains("digest mismatch"), "{}", out.err());
    assert_eq!(store_state(&d), before, "nothing stored");
    assert_eq!(tmp_entries(&d), 0);
    // Straight from the registry, the same digest pulls.
    let direct = format!("{name}@{digest}");
    let out = d.wharf(&["pull", &direct]);
    assert!(
        out.success().out().contains(&format!("Digest: {digest}")),
        "{}",
        out.out()
    );
    let run = d.wharf(&["run", "--rm", &id, "echo", "pinned"]);
    assert!(run.success().out().contains("pinned"), "{}", run.out());
}

#[test]
fn build_pulls_a_missing_base_image() {
    let reg = Registry::start();
    let d = Daemon::start();
    let base = format!("{}/base/busybox", reg.host());
    let id = image_id(&d, "busybox:latest");
    d.wharf(&["tag", "busybox:latest", &base]).success();
    d.wharf(&["push", &base]).success();
    d.wharf(&["rmi", &base, "busybox:latest"]).success();
    let dir = d.tmp().join("ctx-pull");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("Dockerfile"),
        format!("FROM {base}\nRUN echo built > /built\n"),
    )
    .unwrap();
    let ctx = dir.to_str().unwrap();
    let out = d.wharf(&["build", "-t", "frompull:1", ctx]);
    out.success();
    let all = format!("{}{}", out.out(), out.err());
    assert!(all.contains("Pulling from base/busybox"), "{all}");
    assert!(all.contains("Pull complete"), "{all}");
    assert_eq!(image_id(&d, &base), id, "the base is stored under its name");
    let run = d.wharf(&["run", "--rm", "frompull:1", "cat", "/built"]);
    assert_eq!(run.success().out().trim(), "built");

    // Present: no pull, unless --pull asks; then "up to date".
    let out = d.wharf(&["build", "-t", "frompull:1", ctx]);
    assert!(
        !out.success().out().contains("Pulling from"),
        "{}",
        out.out()
    );
    let out = d.wharf(&["build", "--pull", "-t", "frompull:1", ctx]);
    let all = format!("{}{}", out.success().out(), out.err());
    assert!(all.contains("Image is up to date"), "{all}");

    // The docker CLI's classic builder through wharfd, from an empty store.
    d.wharf(&["rmi", "-f", "frompull:1", &base]).success();
    let mut cmd = d.docker_cmd(&["build", "-t", "frompull:2", ctx]);
    cmd.env("DOCKER_BUILDKIT", "0");
    let out = common::run_cmd(cmd, None, Duration::from_secs(300));
    out.success();
    assert_eq!(image_id(&d, &base), id);
    d.wharf(&["image", "inspect", "frompull:2"]).success();

    // A base no registry has: a clean error naming it.
    fs::write(
        dir.join("Dockerfile"),
        format!("FROM {}/base/nothing:here\n", reg.host()),
    )
    .unwrap();
    let out = d.wharf(&["build", "-t", "frompull:3", ctx]);
    assert_ne!(out.code, 0);
    assert!(out.err().contains("base/nothing"), "{}", out.err());
}

#[test]
fn search_lists_the_registry_catalog() {
    let reg = Registry::start();
    let d = Daemon::start();
    for repo in ["lib/busybox", "tools/busybox-extra", "other/alpine"] {
        let name = format!("{}/{repo}:v1", reg.host());
        d.wharf(&["tag", "busybox:latest", &name]).success();
        d.wharf(&["push", &name]).success();
    }
    let term = format!("{}/busybox", reg.host());
    let out = d.wharf(&["search", &term]);
    let text = out.success().out();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("NAME")
            && lines[0].contains("DESCRIPTION")
            && lines[0].contains("STARS")
            && lines[0].contains("OFFICIAL"),
        "{text}"
    );
    assert!(
        lines[1].starts_with(&format!("{}/lib/busybox ", reg.host())),
        "{text}"
    );
    assert!(
        lines[2].starts_with(&format!("{}/tools/busybox-extra ", reg.host())),
        "{text}"
    );
    // The docker CLI through wharfd prints the same table.
    let dock = d.docker(&["search", &term]);
    assert_eq!(dock.success().out(), text);

    let out = d.wharf(&["search", "--limit", "1", "--format", "{{.Name}}", &term]);
    assert_eq!(
        out.success().out().trim(),
        format!("{}/lib/busybox", reg.host())
    );
    let out = d.wharf(&[
        "search",
        "--filter",
        "is-official=true",
        "--format",
        "{{.Name}}",
        &term,
    ]);
    assert_eq!(out.success().out().trim(), "");
    let out = d.wharf(&[
        "search",
        "--filter",
        "stars=0",
        "--format",
        "{{.Name}}",
        &term,
    ]);
    assert_eq!(out.success().out().lines().count(), 2);
    let out = d.wharf(&[
        "search",
        "--format",
        "{{.Name}}",
        &format!("{}/ALP", reg.host()),
    ]);
    assert_eq!(
        out.success().out().trim(),
        format!("{}/other/alpine", reg.host())
    );

    // Bad input: a clear error.
    let out = d.wharf(&["search", "--limit", "500", &term]);
    assert_ne!(out.code, 0);
    assert!(
        out.err()
            .contains("limit 500 is outside the range of [1, 100]"),
        "{}",
        out.err()
    );
    let out = d.wharf(&["search", "--filter", "stars=many", &term]);
    assert_ne!(out.code, 0);
    assert!(
        out.err().contains("invalid filter 'stars=many'"),
        "{}",
        out.err()
    );
    let out = d.wharf(&["search", "--filter", "color=red", &term]);
    assert_ne!(out.code, 0);
    assert!(
        out.err().contains("invalid filter 'color'"),
        "{}",
        out.err()
    );
    let (code, v) = d.api("GET", "/images/search?term=", None);
    assert_eq!(code, 400, "{v}");
    // A registry that is not there.
    let out = d.wharf(&["search", "127.0.0.1:9/busybox"]);
    assert_ne!(out.code, 0);
    assert!(out.err().contains("127.0.0.1:9"), "{}", out.err());
}

/// `compose push` sends the images of the services that are built (with
/// an `image:` naming the registry) and skips the others; `compose pull`
/// brings the pushed image back after it was removed.
#[test]
fn compose_push_then_pull() {
    let reg = Registry::start();
    let d = Daemon::start();
    let dir = d.tmp().join("wcpush");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("Dockerfile"),
        "FROM busybox\nRUN echo pushed-by-compose > /p.txt\n",
    )
    .unwrap();
    let image = format!("{}/wc/app:v1", reg.host());
    fs::write(
        dir.join("compose.yaml"),
        format!(
            "services:\n  app:\n    build: .\n    image: {image}\n  plain:\n    image: busybox\n"
        ),
    )
    .unwrap();
    let f = dir.join("compose.yaml").to_string_lossy().to_string();
    let compose = |args: &[&str]| {
        let mut a = vec!["compose", "-f", f.as_str(), "-p", "wcpush"];
        a.extend_from_slice(args);
        d.wharf_timeout(&a, Duration::from_secs(120))
    };
    compose(&["build"]).success();
    let o = compose(&["push"]);
    o.success();
    assert!(o.stderr.contains("plain  Skipped"), "{o}");
    assert!(o.stderr.contains(&format!("{image}  Pushed")), "{o}");
    // the registry has the tag
    let tags = Command::new("curl")
        .args(["-sf", &format!("http://{}/v2/wc/app/tags/list", reg.host())])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&tags.stdout).contains("\"v1\""),
        "{}",
        String::from_utf8_lossy(&tags.stdout)
    );
    d.wharf(&["rmi", &image]).success();
    compose(&["pull", "app"]).success();
    let o = d.wharf(&["run", "--rm", &image, "cat", "/p.txt"]);
    assert_eq!(o.success().out(), "pushed-by-compose");
    // an unknown service is an error that pushes nothing
    let o = compose(&["push", "nosuch"]);
    assert_ne!(o.code, 0);
    assert!(o.stderr.contains("no such service: nosuch"), "{o}");
}

/// A tiny single-file image for another platform, made offline with
/// `import --platform`.
fn import_foreign(d: &Daemon, platform: &str, name: &str) -> String {
    let dir = d
        .tmp()
        .join(format!("foreign-{}", platform.replace('/', "-")));
    fs::create_dir_all(dir.join("root")).unwrap();
    fs::write(dir.join("root/platform"), platform).unwrap();
    let tar = dir.join("root.tar");
    let mut cmd = Command::new("tar");
    cmd.arg("-C")
        .arg(dir.join("root"))
        .arg("-cf")
        .arg(&tar)
        .arg(".");
    common::run_cmd(cmd, None, Duration::from_secs(30)).success();
    d.wharf(&[
        "import",
        "--platform",
        platform,
        tar.to_str().unwrap(),
        name,
    ])
    .success();
    image_id(d, name)
}

#[test]
fn manifest_list_pushed_and_pulled_through_token_auth() {
    let reg = Registry::start();
    let front = TokenFront::start(reg.port);
    let d = Daemon::start();
    let cfg = d.tmp().join("dockercfg");
    let server = format!("127.0.0.1:{}", front.port);
    let with_cfg = |d: &Daemon, args: &[&str]| {
        let mut cmd = d.wharf_cmd(args);
        cmd.env("DOCKER_CONFIG", &cfg);
        common::run_cmd(cmd, None, Duration::from_secs(120))
    };
    let mut login = d.wharf_cmd(&["login", "-u", "user", "--password-stdin", &server]);
    login.env("DOCKER_CONFIG", &cfg);
    common::run_cmd(login, Some(b"secret\n"), Duration::from_secs(60)).success();

    let host_arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    let other = if host_arch == "arm64" {
        "amd64"
    } else {
        "arm64"
    };
    let repo = format!("{server}/multi/app");
    let native = format!("{repo}:{host_arch}");
    let foreign = format!("{repo}:{other}");
    let native_id = image_id(&d, "busybox:latest");
    d.wharf(&["tag", "busybox:latest", &native]).success();
    let foreign_id = import_foreign(&d, &format!("linux/{other}"), &foreign);
    with_cfg(&d, &["push", &native]).success();
    with_cfg(&d, &["push", &foreign]).success();

    // Made and pushed as with `docker manifest`; no credentials, no list.
    let list = format!("{repo}:v1");
    let mut anon = d.wharf_cmd(&["manifest", "create", &list, &native, &foreign]);
    anon.env("DOCKER_CONFIG", d.tmp().join("no-creds"));
    let out = common::run_cmd(anon, None, Duration::from_secs(60));
    assert_ne!(out.code, 0);
    assert!(out.err().contains("unauthorized"), "{}", out.err());
    let out = with_cfg(&d, &["manifest", "create", &list, &native, &foreign]);
    assert!(
        out.success().out().contains("Created manifest list"),
        "{}",
        out.out()
    );
    let again = with_cfg(&d, &["manifest", "create", &list, &native]);
    assert!(again.err().contains("--amend"), "{}", again.err());
    with_cfg(
        &d,
        &["manifest", "annotate", "--variant", "v8", &list, &foreign],
    )
    .success();
    let local = with_cfg(&d, &["manifest", "inspect", &list]);
    let v: serde_json::Value = serde_json::from_str(local.success().out()).unwrap();
    assert_eq!(v["manifests"].as_array().unwrap().len(), 2, "{v}");
    let out = with_cfg(&d, &["manifest", "push", "--purge", &list]);
    let index_digest = out.success().out().trim().to_string();
    assert!(index_digest.starts_with("sha256:"), "{}", out.out());
    // The registry's copy, read back through the token front.
    let remote = with_cfg(&d, &["manifest", "inspect", &list]);
    let v: serde_json::Value = serde_json::from_str(remote.success().out()).unwrap();
    let platforms: Vec<String> = v["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let p = &m["platform"];
            format!(
                "{}/{}{}",
                p["os"].as_str().unwrap(),
                p["architecture"].as_str().unwrap(),
                p["variant"]
                    .as_str()
                    .map(|v| format!("/{v}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        platforms,
        vec![format!("linux/{host_arch}"), format!("linux/{other}/v8")],
        "{v}"
    );

    // A list in another repository: the sources are mounted into it.
    let elsewhere = format!("{server}/multi/all:v1");
    with_cfg(&d, &["manifest", "create", &elsewhere, &native, &foreign]).success();
    let out = with_cfg(&d, &["manifest", "push", &elsewhere]);
    assert!(out.success().out().starts_with("sha256:"), "{}", out.out());
    with_cfg(&d, &["manifest", "rm", &elsewhere]).success();
    let out = with_cfg(&d, &["manifest", "rm", &elsewhere]);
    assert!(out.err().contains("No such manifest"), "{}", out.err());

    // A fresh daemon pulls the index by tag and by digest.
    let d2 = Daemon::start();
    let out = with_cfg(&d2, &["pull", &list]);
    assert!(
        out.success()
            .out()
            .contains(&format!("Digest: {index_digest}")),
        "{}",
        out.out()
    );
    assert_eq!(image_id(&d2, &list), native_id, "the host's platform");
    let by_digest = format!("{repo}@{index_digest}");
    let digests = d2.wharf(&["image", "inspect", "-f", "{{json .RepoDigests}}", &list]);
    assert!(
        digests.success().out().contains(&by_digest),
        "RepoDigests name the index: {}",
        digests.out()
    );
    let out = with_cfg(
        &d2,
        &["pull", "--platform", &format!("linux/{other}"), &by_digest],
    );
    out.success();
    assert_eq!(image_id(&d2, &by_digest), foreign_id);
    let arch = d2.wharf(&["image", "inspect", "-f", "{{.Architecture}}", &by_digest]);
    assert_eq!(arch.success().out().trim(), other);
    let out = with_cfg(&d2, &["pull", "--platform", "linux/s390x", &list]);
    assert!(
        out.err().contains("no matching manifest for linux/s390x"),
        "{}",
        out.err()
    );
    let all = format!("{server}/multi/all:v1");
    with_cfg(
        &d2,
        &["pull", "--platform", &format!("linux/{other}"), &all],
    )
    .success();
    assert_eq!(
        image_id(&d2, &all),
        foreign_id,
        "mounted across repositories"
    );
    // Without credentials the pull is refused.
    d2.wharf(&["rmi", "-f", &list, &by_digest]).success();
    let out = d2.wharf(&["pull", &list]);
    assert_ne!(out.code, 0, "{}", out.out());
}

fn repo_digests_are_kept_and_resolve_locally(rt: common::Runtime) {
    let reg = Registry::start();
    let d = Daemon::start_with(rt);
    let name = format!("{}/rd/bb:v1", reg.host());
    let repo = format!("{}/rd/bb", reg.host());
    let id = image_id(&d, "busybox:latest");
    d.wharf(&["tag", "busybox:latest", &name]).success();
    let out = d.wharf(&["push", &name]);
    let digest = out
        .success()
        .out()
        .split("digest: ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .to_string();
    let pinned = format!("{repo}@{digest}");
    let rd = |d: &Daemon, r: &str| {
        d.wharf(&["image", "inspect", "-f", "{{json .RepoDigests}}", r])
            .success()
            .out()
            .trim()
            .to_string()
    };
    assert_eq!(rd(&d, &name), format!("[\"{pinned}\"]"), "after push");

    // After a pull into a store that lacks it.
    d.wharf(&["rmi", &name]).success();
    assert_eq!(
        rd(&d, "busybox:latest"),
        "[]",
        "the last tag takes its digest"
    );
    d.wharf(&["pull", &name]).success();
    assert_eq!(rd(&d, &name), format!("[\"{pinned}\"]"), "after pull");
    let stored = fs::read_to_string(d.data_root().join("image/repositories.json")).unwrap();
    assert!(stored.contains(&pinned), "{stored}");

    // `images --digests`, wharf and docker alike.
    for out in [
        d.wharf(&["images", "--digests", &repo]),
        d.docker(&["images", "--digests", &repo]),
    ] {
        let text = out.success().out().to_string();
        assert!(text.contains("DIGEST"), "{text}");
        let row = text.lines().find(|l| l.contains("v1")).unwrap_or("");
        assert!(row.contains(&digest), "{text}");
    }

    // NAME@DIGEST resolves for inspect, history, tag, run, create.
    assert_eq!(image_id(&d, &pinned), id);
    let docker_id = d.docker(&["image", "inspect", "-f", "{{.Id}}", &pinned]);
    assert_eq!(docker_id.success().out().trim(), id);
    d.wharf(&["history", &pinned]).success();
    d.docker(&["history", &pinned]).success();
    d.wharf(&["tag", &pinned, "fromdigest:1"]).success();
    assert_eq!(image_id(&d, "fromdigest:1"), id);
    let run = d.wharf(&["run", "--rm", &pinned, "echo", "by-digest"]);
    assert_eq!(run.success().out().trim(), "by-digest");
    let run = d.docker(&["run", "--rm", &pinned, "echo", "docker-by-digest"]);
    assert_eq!(run.success().out().trim(), "docker-by-digest");
    let created = d.wharf(&["create", "--name", "rd-created", &pinned, "true"]);
    created.success();
    let img = d.wharf(&["inspect", "-f", "{{.Image}}", "rd-created"]);
    assert_eq!(img.success().out().trim(), id);
    d.wharf(&["rm", "rd-created"]).success();

    // A pull of what is here by digest: nothing fetched.
    for out in [d.wharf(&["pull", &pinned]), d.docker(&["pull", &pinned])] {
        let text = out.success().out().to_string();
        assert!(text.contains("Image is up to date"), "{text}");
        assert!(!text.contains("Pull complete"), "{text}");
    }

    // The docker SDK for Python, when its venv is there (tests/docker_py.rs makes it).
    // Its `.docker-installed` marker is written once pip has finished.
    let venv = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sdk-venv");
    let py = venv.join("bin/python");
    if venv.join(".docker-installed").exists() {
        let mut cmd = Command::new(&py);
        cmd.arg("-c")
            .arg("import docker,sys; print(docker.from_env().images.get(sys.argv[1]).id)")
            .arg(&pinned)
            .env("DOCKER_HOST", d.host());
        let out = common::run_cmd(cmd, None, Duration::from_secs(60));
        assert_eq!(out.success().out().trim(), id);
    } else {
        eprintln!("docker SDK venv absent: skipping the docker-py lookup");
    }

    // Pulled by digest only: listed under its repository, not dangling.
    d.wharf(&["rmi", "fromdigest:1", &name]).success();
    d.wharf(&["pull", &pinned]).success();
    let text = d
        .wharf(&["images", "--digests", &repo])
        .success()
        .out()
        .to_string();
    assert!(
        text.lines()
            .any(|l| l.contains("<none>") && l.contains(&digest)),
        "{text}"
    );
    let dangling = d.wharf(&["images", "-q", "--no-trunc", "-f", "dangling=true"]);
    assert!(
        !dangling.success().out().contains(&id),
        "{}",
        dangling.out()
    );
    d.wharf(&["tag", &pinned, &name]).success();

    // rmi NAME@DIGEST removes only that reference while tags remain.
    let out = d.wharf(&["rmi", &pinned]);
    assert!(
        out.success().out().contains(&format!("Untagged: {pinned}")),
        "{}",
        out.out()
    );
    assert_ne!(d.wharf(&["image", "inspect", &pinned]).code, 0);
    assert_eq!(image_id(&d, &name), id);
    // A digest unknown here is a clean error.
    let bad = format!("{repo}@sha256:{}", "0".repeat(64));
    let out = d.wharf(&["image", "inspect", &bad]);
    assert_ne!(out.code, 0);
    assert!(out.err().contains("No such image"), "{}", out.err());
}

fn build_uses_the_registry_config_for_an_auth_base(rt: common::Runtime) {
    let reg = Registry::start();
    let front = TokenFront::start(reg.port);
    let d = Daemon::start_with(rt);
    let cfg = d.tmp().join("dockercfg");
    let server = format!("127.0.0.1:{}", front.port);
    let base = format!("{server}/base/bb:v1");
    let mut login = d.wharf_cmd(&["login", "-u", "user", "--password-stdin", &server]);
    login.env("DOCKER_CONFIG", &cfg);
    common::run_cmd(login, Some(b"secret\n"), Duration::from_secs(60)).success();
    d.wharf(&["tag", "busybox:latest", &base]).success();
    let mut push = d.wharf_cmd(&["push", &base]);
    push.env("DOCKER_CONFIG", &cfg);
    common::run_cmd(push, None, Duration::from_secs(120)).success();
    d.wharf(&["rmi", &base]).success();

    let dir = d.tmp().join("ctx-auth");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("Dockerfile"),
        format!("FROM {base}\nRUN echo authed > /authed\n"),
    )
    .unwrap();
    let ctx = dir.to_str().unwrap();
    let build = |tool: &str, config: &std::path::Path, tag: &str| {
        let mut cmd = match tool {
            "wharf" => d.wharf_cmd(&["build", "-t", tag, ctx]),
            _ => d.docker_cmd(&["build", "-t", tag, ctx]),
        };
        cmd.env("DOCKER_CONFIG", config).env("DOCKER_BUILDKIT", "0");
        common::run_cmd(cmd, None, Duration::from_secs(300))
    };
    // Without credentials: refused, and said so.
    for tool in ["wharf", "docker"] {
        let out = build(tool, &d.tmp().join("empty-cfg"), "authbuild:no");
        assert_ne!(out.code, 0, "{tool}: {}", out.out());
        let all = format!("{}{}", out.out(), out.err());
        assert!(
            all.contains("authentication required") || all.contains("unauthorized"),
            "{tool}: {all}"
        );
    }
    // With them (wharf's own login; then docker's, through wharfd).
    build("wharf", &cfg, "authbuild:1").success();
    let run = d.wharf(&["run", "--rm", "authbuild:1", "cat", "/authed"]);
    assert_eq!(run.success().out().trim(), "authed");
    d.wharf(&["rmi", "authbuild:1", &base]).success();
    let dcfg = d.tmp().join("docker-cfg");
    let mut login = d.docker_cmd(&["login", "-u", "user", "--password-stdin", &server]);
    login.env("DOCKER_CONFIG", &dcfg);
    common::run_cmd(login, Some(b"secret\n"), Duration::from_secs(60)).success();
    build("docker", &dcfg, "authbuild:2").success();
    d.wharf(&["image", "inspect", "authbuild:2"]).success();
}

runtime_tests!(
    repo_digests_are_kept_and_resolve_locally,
    build_uses_the_registry_config_for_an_auth_base
);

/// Compose sends the stored credentials (`wharf login`, in
/// `$DOCKER_CONFIG/config.json`): `compose pull` of an image on a registry
/// that needs them, `compose build` of a Dockerfile whose `FROM` is there,
/// and `compose push` of the built image. Without a login each fails and
/// says why, and nothing is pulled.
#[test]
fn compose_pull_build_and_push_send_credentials() {
    let reg = Registry::start();
    let front = TokenFront::start(reg.port);
    let d = Daemon::start();
    let cfg = d.tmp().join("dockercfg");
    let no_cfg = d.tmp().join("no-login");
    let server = format!("127.0.0.1:{}", front.port);
    let base = format!("{server}/private/base:v1");
    let built = format!("{server}/private/built:v1");
    let with_cfg = |config: &std::path::Path, args: &[&str], stdin: Option<&[u8]>| {
        let mut cmd = d.wharf_cmd(args);
        cmd.env("DOCKER_CONFIG", config);
        common::run_cmd(cmd, stdin, Duration::from_secs(300))
    };
    with_cfg(
        &cfg,
        &["login", "-u", "user", "--password-stdin", &server],
        Some(b"secret\n"),
    )
    .success();
    d.wharf(&["tag", "busybox:latest", &base]).success();
    with_cfg(&cfg, &["push", &base], None).success();
    d.wharf(&["rmi", &base]).success();

    let dir = d.tmp().join("wcauth");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("Dockerfile"),
        format!("FROM {base}\nRUN echo built-with-auth > /b.txt\n"),
    )
    .unwrap();
    fs::write(
        dir.join("compose.yaml"),
        format!(
            "services:\n  base:\n    image: {base}\n  app:\n    build: .\n    image: {built}\n"
        ),
    )
    .unwrap();
    let f = dir.join("compose.yaml").to_string_lossy().to_string();
    let compose = |config: &std::path::Path, args: &[&str]| {
        let mut a = vec!["compose", "-f", f.as_str(), "-p", "wcauth"];
        a.extend_from_slice(args);
        with_cfg(config, &a, None)
    };
    let refused = |o: &common::Output, what: &str| {
        assert_ne!(o.code, 0, "{what}: {o}");
        let all = format!("{}{}", o.stdout, o.stderr);
        assert!(
            all.contains("authentication required") || all.contains("unauthorized"),
            "{what}: {all}"
        );
    };

    // without a login: refused, said so, nothing pulled or built
    let o = compose(&no_cfg, &["pull", "base"]);
    refused(&o, "pull");
    assert!(o.stderr.contains(&base), "{o}");
    assert_ne!(d.wharf(&["image", "inspect", &base]).code, 0);
    refused(&compose(&no_cfg, &["build", "app"]), "build");
    assert_ne!(d.wharf(&["image", "inspect", &built]).code, 0);

    // after `wharf login`: the pull, the build's FROM and the push work
    compose(&cfg, &["pull", "base"]).success();
    d.wharf(&["image", "inspect", &base]).success();
    d.wharf(&["rmi", &base]).success();
    compose(&cfg, &["build", "app"]).success();
    let o = d.wharf(&["run", "--rm", &built, "cat", "/b.txt"]);
    assert_eq!(o.success().out(), "built-with-auth");
    let o = compose(&no_cfg, &["push", "app"]);
    refused(&o, "push");
    assert!(o.stderr.contains(&format!("pushing {built}")), "{o}");
    let o = compose(&cfg, &["push", "app"]);
    assert!(
        o.success().stderr.contains(&format!("{built}  Pushed")),
        "{o}"
    );
    d.wharf(&["rmi", &built]).success();
    with_cfg(&cfg, &["pull", &built], None).success();
    let o = d.wharf(&["run", "--rm", &built, "cat", "/b.txt"]);
    assert_eq!(o.success().out(), "built-with-auth");

    // Docker Compose reads the same login, through wharfd
    d.wharf(&["rmi", &base]).success();
    let docker_compose = |config: &std::path::Path| {
        let mut cmd = d.docker_cmd(&["compose", "-f", &f, "-p", "wcauth", "pull", "base"]);
        cmd.env("DOCKER_CONFIG", config);
        common::run_cmd(cmd, None, Duration::from_secs(300))
    };
    assert_ne!(docker_compose(&no_cfg).code, 0);
    docker_compose(&cfg).success();
    d.wharf(&["image", "inspect", &base]).success();
}
