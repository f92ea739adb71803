//! `RUN`: the command runs in a real container of the engine (created
//! from the step's parent image with the stage's env, user, workdir and
//! shell, on the default bridge), its output streamed into the build's
//! progress; what it changed is its overlay upper directory.

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc;
use wharf_api::container::{ContainerConfig, ContainerCreateBody, HealthConfig, HostConfig};

use super::progress::Progress;
use crate::container::{create, logs, remove, start, stop};
use crate::daemon::Daemon;
use crate::error::{Error, Result};

/// What a `RUN` container needs.
pub struct RunSpec {
    pub image_id: String,
    pub argv: Vec<String>,
    pub env: Vec<String>,
    pub user: String,
    pub workdir: String,
}

/// A build container, removed (with its anonymous volumes) on `remove`.
pub struct RunContainer {
    pub id: String,
}

impl RunContainer {
    pub async fn remove(self, d: &Arc<Daemon>) {
        if let Err(e) = remove::remove(d, &self.id, true, true).await {
            tracing::warn!(container_id = %self.id, error = %e.message, "removing build container");
        }
    }
}

/// Creates and runs the container; returns it (stopped) and its exit code.
pub async fn run(
    d: &Arc<Daemon>,
    spec: RunSpec,
    progress: &Progress,
) -> Result<(RunContainer, i64)> {
    let body = ContainerCreateBody {
        config: ContainerConfig {
            image: spec.image_id.clone(),
            cmd: Some(spec.argv.clone()),
            entrypoint: Some(Vec::new()),
            env: Some(spec.env.clone()),
            user: spec.user.clone(),
            working_dir: spec.workdir.clone(),
            attach_stdout: true,
            attach_stderr: true,
            healthcheck: Some(HealthConfig {
                test: Some(vec!["NONE".into()]),
                ..HealthConfig::default()
            }),
            ..ContainerConfig::default()
        },
        host_config: Some(HostConfig::default()),
        networking_config: None,
    };
    let d2 = d.clone();
    let created = tokio::task::spawn_blocking(move || create::create(&d2, None, body))
        .await
        .map_err(|e| Error::internal(format!("build container: {e}")))??;
    let c = RunContainer { id: created.id };
    progress
        .stream_async(&format!(" ---> Running in {}\n", &c.id[..12]))
        .await;
    if let Err(e) = start::start(d, &c.id).await {
        c.remove(d).await;
        return Err(e);
    }
    // Follow the log until the container has stopped and it is drained.
    let (tx, mut rx) = mpsc::channel::<Bytes>(64);
    let opts = logs::LogOptions {
        stdout: true,
        stderr: true,
        follow: true,
        timestamps: false,
        tail: None,
        since_nanos: None,
        until_nanos: None,
        tty: false,
    };
    let path = d.paths(&c.id).log(&c.id);
    let follower = tokio::spawn(logs::stream(d.clone(), c.id.clone(), path, opts, tx));
    while let Some(frame) = rx.recv().await {
        if frame.len() > 8 {
            let text = String::from_utf8_lossy(&frame[8..]).into_owned();
            progress.stream_async(&text).await;
        }
    }
    let _ = follower.await;
    let code = stop::wait_not_running(d, &c.id).await?;
    Ok((c, code))
}
