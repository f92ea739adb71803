//! A Docker engine of a test's own (Debian's `dockerd` on its own data
//! root and socket, with no bridge and no firewall rules), for comparing
//! wharf with Docker and for driving Docker with wharf's clients.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{run_cmd, Output};

const DOCKER: &str = "/usr/local/bin/docker";
const T: Duration = Duration::from_secs(60);

/// A Docker engine of our own; stopped (by pid) and removed on drop.
pub struct DockerEngine {
    root: PathBuf,
    child: Option<Child>,
}

impl DockerEngine {
    /// `None` (with the reason printed) when dockerd is not installed.
    pub fn start() -> Option<DockerEngine> {
        let dockerd = ["/usr/sbin/dockerd", "/usr/bin/dockerd"]
            .into_iter()
            .find(|p| Path::new(p).exists());
        let Some(dockerd) = dockerd else {
            eprintln!("SKIP: dockerd is not installed (scripts/setup.sh installs docker.io)");
            return None;
        };
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let root = PathBuf::from(format!("/tmp/wdk{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let log = std::fs::File::create(root.join("dockerd.log")).unwrap();
        let child = Command::new(dockerd)
            .args(["--data-root", &root.join("data").to_string_lossy()])
            .args(["--exec-root", &root.join("exec").to_string_lossy()])
            .args(["-H", &format!("unix://{}", root.join("d.sock").display())])
            .args(["--pidfile", &root.join("d.pid").to_string_lossy()])
            // Network safety: no bridge, no iptables, no sysctls.
            .args(["--bridge", "none", "--iptables=false", "--ip6tables=false"])
            .args(["--ip-forward=false", "--ip-masq=false"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawn dockerd");
        let e = DockerEngine {
            root,
            child: Some(child),
        };
        let deadline = Instant::now() + T;
        while Instant::now() < deadline {
            if e.docker(&["version"]).code == 0 {
                return Some(e);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "dockerd did not answer; log:\n{}",
            std::fs::read_to_string(e.root.join("dockerd.log")).unwrap_or_default()
        );
    }

    pub fn host(&self) -> String {
        format!("unix://{}", self.root.join("d.sock").display())
    }

    pub fn docker(&self, args: &[&str]) -> Output {
        let mut c = Command::new(DOCKER);
        c.env("DOCKER_HOST", self.host())
            .env("DOCKER_CONFIG", self.root.join("cfg"))
            .args(args);
        run_cmd(c, None, T)
    }
}

impl Drop for DockerEngine {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if let Ok(None) = c.try_wait() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        // dockerd unmounts its layers on a clean stop; anything left is
        // unmounted before the directory goes.
        for dir in ["exec", "data"] {
            let _ = Command::new("umount")
                .args(["-R", "-l"])
                .arg(self.root.join(dir))
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
