//! The typed client (`crates/client`) against a real daemon: what compose
//! and the CLI build on. Each call is checked by what a user would see
//! (the container's output, its exit code, the objects listed).
mod common;

use std::collections::BTreeMap;

use common::Daemon;
use wharf_api::container::{ContainerConfig, ContainerCreateBody, HostConfig};
use wharf_api::exec::{ExecConfig, ExecStartConfig};
use wharf_api::network::{NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest};
use wharf_api::volume::VolumeCreateOptions;
use wharf_client::stdcopy::StreamKind;
use wharf_client::{Client, EventsOptions, Filters, Host, LogsOptions};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn client(d: &Daemon) -> Client {
    Client::new(Host::Unix(d.sock().to_path_buf()))
}

fn body(cmd: &[&str]) -> ContainerCreateBody {
    ContainerCreateBody {
        config: ContainerConfig {
            image: "busybox".into(),
            cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
            ..ContainerConfig::default()
        },
        host_config: Some(HostConfig {
            network_mode: "none".into(),
            ..HostConfig::default()
        }),
        networking_config: None,
    }
}

#[test]
fn container_lifecycle_logs_wait_exec() {
    let d = Daemon::start();
    let c = client(&d);
    rt().block_on(async {
        assert_eq!(c.system().ping().await.unwrap(), "1.44");
        assert_eq!(c.version().await.unwrap().api_version, "1.44");
        let created = c
            .containers()
            .create(
                Some("typed1"),
                &body(&["sh", "-c", "echo out; echo err >&2; exit 3"]),
            )
            .await
            .unwrap();
        assert_eq!(created.id.len(), 64);
        c.containers().start("typed1").await.unwrap();
        let w = c.containers().wait("typed1", None).await.unwrap();
        assert_eq!(w.status_code, 3);
        let mut logs = c
            .containers()
            .logs("typed1", false, &LogsOptions::default())
            .await
            .unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        while let Some(chunk) = logs.next().await {
            let (kind, data) = chunk.unwrap();
            match kind {
                StreamKind::Stderr => err.extend_from_slice(&data),
                _ => out.extend_from_slice(&data),
            }
        }
        assert_eq!(out, b"out\n");
        assert_eq!(err, b"err\n");
        let i = c.containers().inspect("typed1").await.unwrap();
        assert_eq!(i.state.exit_code, 3);
        assert_eq!(i.name, "/typed1");

        // list with a filter, all vs running
        let mut f = Filters::new();
        f.insert("name".into(), vec!["typed1".into()]);
        assert!(c.containers().list(false, &f).await.unwrap().is_empty());
        let l = c.containers().list(true, &f).await.unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].id, created.id);

        // exec in a running container, attached
        c.containers()
            .create(Some("typed2"), &body(&["sleep", "60"]))
            .await
            .unwrap();
        c.containers().start("typed2").await.unwrap();
        c.containers().start("typed2").await.unwrap(); // already running: ok
        let exec = c
            .exec()
            .create(
                "typed2",
                &ExecConfig {
                    attach_stdout: true,
                    attach_stderr: true,
                    cmd: Some(vec!["echo".into(), "hi".into()]),
                    ..ExecConfig::default()
                },
            )
            .await
            .unwrap();
        let h = c
            .exec()
            .start(&exec, &ExecStartConfig::default())
            .await
            .unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        wharf_client::stdcopy::demux(h.reader, &mut out, &mut err)
            .await
            .unwrap();
        assert_eq!(out, b"hi\n");
        assert_eq!(c.exec().inspect(&exec).await.unwrap().exit_code, Some(0));
        c.containers().stop("typed2", Some(0)).await.unwrap();
        assert!(
            !c.containers()
                .inspect("typed2")
                .await
                .unwrap()
                .state
                .running
        );

        // errors carry the daemon's status and message
        let e = c.containers().inspect("nope").await.unwrap_err();
        assert_eq!(e.status(), Some(404));
        assert!(e.is_not_found());
        assert!(e.message().unwrap().contains("nope"), "{e}");

        c.containers().remove("typed1", false, false).await.unwrap();
        c.containers().remove("typed2", true, true).await.unwrap();
        assert!(c
            .containers()
            .list(true, &Filters::new())
            .await
            .unwrap()
            .is_empty());
    });
}

#[test]
fn volumes_networks_images_events() {
    let d = Daemon::start();
    let c = client(&d);
    rt().block_on(async {
        let mut labels = BTreeMap::new();
        labels.insert("team".to_string(), "qa".to_string());
        let v = c
            .volumes()
            .create(&VolumeCreateOptions {
                name: "typedvol".into(),
                labels: Some(labels),
                ..VolumeCreateOptions::default()
            })
            .await
            .unwrap();
        assert_eq!(v.name, "typedvol");
        assert_eq!(
            c.volumes().inspect("typedvol").await.unwrap().labels["team"],
            "qa"
        );
        let mut f = Filters::new();
        f.insert("label".into(), vec!["team=qa".into()]);
        let l = c.volumes().list(&f).await.unwrap();
        assert_eq!(l.volumes.len(), 1);
        c.volumes().remove("typedvol", false).await.unwrap();
        assert_eq!(
            c.volumes().inspect("typedvol").await.unwrap_err().status(),
            Some(404)
        );
        // An import into a volume that does not exist reports the daemon's
        // refusal even while the body is still being sent.
        let e = c
            .volumes()
            .import("bad@name", Client::bytes_body(vec![1u8; 8 << 20]))
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(400), "{e}");
        assert!(e.to_string().contains("bad@name"), "{e}");

        // networks
        let n = c
            .networks()
            .create(&NetworkCreateRequest {
                name: "typednet".into(),
                internal: true,
                ..NetworkCreateRequest::default()
            })
            .await
            .unwrap();
        assert_eq!(c.networks().inspect("typednet").await.unwrap().id, n.id);
        let mut b = body(&["sleep", "60"]);
        b.host_config = None; // the default bridge, never started
        c.containers().create(Some("typedc"), &b).await.unwrap();
        c.networks()
            .connect(
                "typednet",
                &NetworkConnectRequest {
                    container: "typedc".into(),
                    endpoint_config: None,
                },
            )
            .await
            .unwrap();
        c.networks()
            .disconnect(
                "typednet",
                &NetworkDisconnectRequest {
                    container: "typedc".into(),
                    force: false,
                },
            )
            .await
            .unwrap();
        c.networks().remove("typednet").await.unwrap();
        assert!(c
            .networks()
            .list(&Filters::new())
            .await
            .unwrap()
            .iter()
            .all(|n| n.name != "typednet"));

        // images
        c.images()
            .tag("busybox", "typed/img", Some("v1"))
            .await
            .unwrap();
        let i = c.images().inspect("typed/img:v1").await.unwrap();
        assert!(i.repo_tags.contains(&"typed/img:v1".to_string()));
        let list = c.images().list(false, &Filters::new()).await.unwrap();
        assert!(list.iter().any(|s| s.id == i.id));
        let del = c
            .images()
            .remove("typed/img:v1", false, false)
            .await
            .unwrap();
        assert_eq!(del[0].untagged.as_deref(), Some("typed/img:v1"));

        // events: replay since the start, until now
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut ev = c
            .events(&EventsOptions {
                since: Some("0".into()),
                until: Some((now + 1).to_string()),
                ..EventsOptions::default()
            })
            .await
            .unwrap();
        let mut seen = Vec::new();
        while let Some(e) = ev.next().await {
            let e = e.unwrap();
            seen.push(format!("{} {}", e.kind, e.action));
        }
        assert!(seen.contains(&"container create".to_string()), "{seen:?}");
        assert!(seen.contains(&"volume create".to_string()), "{seen:?}");
        c.containers().remove("typedc", true, false).await.unwrap();
    });
}

/// `wharf volume import` into a name the daemon refuses at once: the
/// daemon's error is printed and the exit code is 1, never a silent
/// SIGPIPE death (141), however much of the tar was still to be sent.
#[test]
fn volume_import_refused_early_prints_the_daemon_error() {
    let d = Daemon::start_bare();
    let tar = d.tmp().join("big.tar");
    std::fs::write(&tar, vec![7u8; 48 << 20]).unwrap();
    let tar = tar.to_string_lossy().into_owned();
    for _ in 0..5 {
        let o = d.wharf(&["volume", "import", "a/b", &tar]);
        o.code_is(1);
        assert!(
            o.err().starts_with("Error response from daemon: "),
            "{}",
            o.err()
        );
        let o = d.wharf(&["volume", "import", "bad@name", &tar]);
        o.code_is(1);
        assert!(o.err().contains("bad@name"), "{}", o.err());
    }
}
