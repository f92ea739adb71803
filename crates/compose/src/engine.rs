//! Convergence against an engine, through `wharf-client` only: networks
//! and volumes with the project's labels, images pulled or built,
//! containers created, recreated (config hash or image changed), scaled,
//! started in dependency order with independent services concurrently,
//! `depends_on` conditions awaited; and the reverse for stop and down.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{json, Value};
use wharf_client::{Client, Filters, ListOptions};

use crate::error::{ComposeError, EngineContext};
use crate::model::{Project, Service};
use crate::plan::{self, *};

/// One container of a project, from `GET /containers/json`.
#[derive(Debug, Clone)]
pub struct Ctr {
    pub id: String,
    pub name: String,
    pub service: String,
    pub number: u32,
    pub hash: String,
    pub state: String,
    pub oneoff: bool,
    pub image_id: String,
    /// The list entry as the engine sent it.
    pub summary: Value,
}

/// One step's progress on stderr (`crate::progress` draws it).
pub fn progress(kind: &str, name: &str, status: &str) {
    crate::progress::report(kind, name, status);
}

fn filters(project: &str) -> Filters {
    let mut f = Filters::new();
    f.insert("label".into(), vec![format!("{LABEL_PROJECT}={project}")]);
    f
}

/// The project's containers (all states when `all`), by service and number.
pub async fn containers(c: &Client, project: &str, all: bool) -> Result<Vec<Ctr>, ComposeError> {
    let list = c
        .containers()
        .list_raw(&ListOptions {
            all,
            filters: filters(project),
            ..ListOptions::default()
        })
        .await
        .ctx(|| format!("listing the containers of project {project:?}"))?;
    let mut out: Vec<Ctr> = list
        .into_iter()
        .map(|v| {
            let label = |k: &str| v["Labels"][k].as_str().unwrap_or_default().to_string();
            Ctr {
                id: v["Id"].as_str().unwrap_or_default().to_string(),
                name: v["Names"][0]
                    .as_str()
                    .unwrap_or_default()
                    .trim_start_matches('/')
                    .to_string(),
                service: label(LABEL_SERVICE),
                number: label(LABEL_NUMBER).parse().unwrap_or(0),
                hash: label(LABEL_HASH),
                state: v["State"].as_str().unwrap_or_default().to_string(),
                oneoff: label(LABEL_ONEOFF) == "True",
                image_id: v["ImageID"].as_str().unwrap_or_default().to_string(),
                summary: v,
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.service, a.number, &a.name).cmp(&(&b.service, b.number, &b.name)));
    Ok(out)
}

/// What `up` (and `create`) may do.
#[derive(Debug, Clone, Default)]
pub struct UpOptions {
    pub services: Vec<String>,
    pub no_deps: bool,
    pub force_recreate: bool,
    pub no_recreate: bool,
    pub remove_orphans: bool,
    pub scale: BTreeMap<String, u32>,
    pub wait: bool,
    pub build: bool,
    pub no_build: bool,
    pub no_start: bool,
    pub timeout: Option<i64>,
}

/// Make the engine match the project: returns the containers of the
/// services asked for, after convergence.
pub async fn up(c: &Client, p: &Project, o: &UpOptions) -> Result<(), ComposeError> {
    for s in &o.services {
        if !p.services.contains_key(s) {
            return Err(no_such_service(p, s));
        }
    }
    let selected = plan::with_deps(p, &o.services, o.no_deps);
    // networks, volumes, images and the existing containers are
    // independent: asked for at once
    let (nets, vols, imgs, existing) = futures_util::future::join4(
        ensure_networks(c, p, &selected),
        ensure_volumes(c, p, &selected),
        ensure_images(c, p, &selected, o.build, o.no_build),
        containers(c, &p.name, true),
    )
    .await;
    nets?;
    vols?;
    let mut images = imgs?;
    let existing = existing?;
    // a built or pulled image's id is asked for once, here
    let missing: Vec<String> = selected
        .iter()
        .filter(|n| images.get(*n).is_none_or(Option::is_none))
        .cloned()
        .collect();
    let ids = join_all(
        missing
            .iter()
            .map(|n| image_id(c, p.services[n].image_name(&p.name, n))),
    )
    .await;
    images.extend(missing.into_iter().zip(ids));
    let orphans: Vec<&Ctr> = existing
        .iter()
        .filter(|x| !x.oneoff && !p.services.contains_key(&x.service))
        .collect();
    if !orphans.is_empty() {
        if o.remove_orphans {
            let r = join_all(orphans.iter().map(|x| async move {
                c.containers()
                    .remove(&x.id, true, false)
                    .await
                    .ctx(|| format!("removing orphan container {}", x.name))?;
                progress("Container", &x.name, "Removed");
                Ok::<(), ComposeError>(())
            }))
            .await;
            r.into_iter().collect::<Result<Vec<()>, _>>()?;
        } else {
            let names: Vec<&str> = orphans.iter().map(|x| x.name.as_str()).collect();
            eprintln!(
                "WARN[0000] Found orphan containers ({}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
                names.join(", ")
            );
        }
    }
    // each service starts as soon as its own dependencies are done (not
    // when its whole level is): a graph, not a sequence of levels
    let errors: std::cell::RefCell<Vec<ComposeError>> = Default::default();
    let mut done: BTreeMap<String, Shared<LocalBoxFuture<'_, bool>>> = BTreeMap::new();
    for name in plan::levels(p, &selected).into_iter().flatten() {
        let deps: Vec<_> = p.services[&name]
            .depends_on
            .keys()
            .filter_map(|d| done.get(d).cloned())
            .collect();
        let mine: Vec<Ctr> = existing
            .iter()
            .filter(|x| !x.oneoff && x.service == name)
            .cloned()
            .collect();
        let img = images.get(&name).cloned().flatten();
        let errors = &errors;
        let key = name.clone();
        let fut = async move {
            for ok in join_all(deps).await {
                if !ok {
                    return false;
                }
            }
            match converge_service(c, p, &name, mine, img, o).await {
                Ok(()) => true,
                Err(e) => {
                    errors.borrow_mut().push(e);
                    false
                }
            }
        }
        .boxed_local()
        .shared();
        done.insert(key, fut);
    }
    join_all(done.into_values()).await;
    if let Some(e) = errors.into_inner().into_iter().next() {
        return Err(e);
    }
    if o.wait {
        for name in &selected {
            for x in containers(c, &p.name, true).await? {
                if &x.service == name && !x.oneoff {
                    wait_ready(c, &x, &p.services[name]).await?;
                }
            }
        }
    }
    Ok(())
}

fn no_such_service(p: &Project, s: &str) -> ComposeError {
    if p.disabled.contains_key(s) {
        ComposeError::Project(format!("service {s:?} is disabled by its profiles"))
    } else {
        ComposeError::Project(format!("no such service: {s}"))
    }
}

/// Create missing networks (with Compose's labels); external ones must exist.
pub async fn ensure_networks(
    c: &Client,
    p: &Project,
    selected: &BTreeSet<String>,
) -> Result<(), ComposeError> {
    let used: BTreeSet<&String> = selected
        .iter()
        .filter_map(|s| p.services.get(s))
        .flat_map(|s| s.networks.keys())
        .collect();
    let r = join_all(used.into_iter().map(|key| ensure_network(c, p, key))).await;
    r.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(())
}

async fn ensure_network(c: &Client, p: &Project, key: &String) -> Result<(), ComposeError> {
    {
        let Some(n) = p.networks.get(key) else {
            return Ok(());
        };
        let name = n
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{key}", p.name));
        match c.networks().inspect(&name).await {
            Ok(_) => return Ok(()),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e).ctx(|| format!("inspecting network {name}")),
        }
        if n.external == Some(true) {
            return Err(ComposeError::Failed(format!(
                "network {name} declared as external, but could not be found"
            )));
        }
        let mut labels = n.labels.clone();
        labels.insert(LABEL_PROJECT.into(), p.name.clone());
        labels.insert(LABEL_NETWORK.into(), key.clone());
        labels.insert(LABEL_VERSION.into(), COMPOSE_VERSION.into());
        let ipam = match &n.ipam {
            Some(v) => Some(
                serde_json::from_value(json!({
                    "Driver": v.get("driver").cloned().unwrap_or(json!("default")),
                    "Config": v.get("config").and_then(Value::as_array).map(|a| a.iter().map(|x| json!({
                        "Subnet": x.get("subnet").cloned().unwrap_or(json!("")),
                        "Gateway": x.get("gateway").cloned().unwrap_or(json!("")),
                        "IPRange": x.get("ip_range").cloned().unwrap_or(json!("")),
                    })).collect::<Vec<_>>()).unwrap_or_default(),
                }))
                .map_err(|e| ComposeError::Failed(format!("network {key}: ipam: {e}")))?,
            ),
            None => None,
        };
        let req = wharf_client::api::network::NetworkCreateRequest {
            name: name.clone(),
            check_duplicate: Some(true),
            driver: n.driver.clone().unwrap_or_else(|| "bridge".into()),
            internal: n.internal.unwrap_or(false),
            attachable: n.attachable.unwrap_or(false),
            enable_ipv6: n.enable_ipv6,
            ipam,
            options: Some(n.driver_opts.clone()),
            labels: Some(labels),
            ..Default::default()
        };
        match c.networks().create(&req).await {
            Ok(_) => progress("Network", &name, "Created"),
            Err(e) if e.status() == Some(409) => {}
            Err(e) => return Err(e).ctx(|| format!("creating network {name}")),
        }
    }
    Ok(())
}

/// Create missing named volumes; external ones must exist.
pub async fn ensure_volumes(
    c: &Client,
    p: &Project,
    selected: &BTreeSet<String>,
) -> Result<(), ComposeError> {
    let used: BTreeSet<&String> = selected
        .iter()
        .filter_map(|s| p.services.get(s))
        .flat_map(|s| s.volumes.iter())
        .filter(|v| v.kind == "volume")
        .filter_map(|v| v.source.as_ref())
        .collect();
    let r = join_all(used.into_iter().map(|key| ensure_volume(c, p, key))).await;
    r.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(())
}

async fn ensure_volume(c: &Client, p: &Project, key: &String) -> Result<(), ComposeError> {
    {
        let Some(v) = p.volumes.get(key) else {
            return Ok(());
        };
        let name = v
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{key}", p.name));
        match c.volumes().inspect(&name).await {
            Ok(_) => return Ok(()),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e).ctx(|| format!("inspecting volume {name}")),
        }
        if v.external == Some(true) {
            return Err(ComposeError::Failed(format!(
                "external volume \"{name}\" not found"
            )));
        }
        let mut labels = v.labels.clone();
        labels.insert(LABEL_PROJECT.into(), p.name.clone());
        labels.insert(LABEL_VOLUME.into(), key.clone());
        labels.insert(LABEL_VERSION.into(), COMPOSE_VERSION.into());
        let req = wharf_client::api::volume::VolumeCreateOptions {
            name: name.clone(),
            driver: v.driver.clone().unwrap_or_else(|| "local".into()),
            driver_opts: Some(v.driver_opts.clone()),
            labels: Some(labels),
        };
        c.volumes()
            .create(&req)
            .await
            .ctx(|| format!("creating volume {name}"))?;
        progress("Volume", &name, "Created");
    }
    Ok(())
}

/// Pull images that are missing; build services with `build:` when asked
/// or when their image is missing. Services are looked at concurrently
/// (each image once); the ids of images found present are returned, by
/// service (`None` when built or pulled here).
pub async fn ensure_images(
    c: &Client,
    p: &Project,
    selected: &BTreeSet<String>,
    build: bool,
    no_build: bool,
) -> Result<BTreeMap<String, Option<String>>, ComposeError> {
    let r = join_all(selected.iter().map(|name| async move {
        ensure_image(c, p, name, build, no_build)
            .await
            .map(|id| (name.clone(), id))
    }))
    .await;
    r.into_iter().collect()
}

async fn ensure_image(
    c: &Client,
    p: &Project,
    name: &str,
    build: bool,
    no_build: bool,
) -> Result<Option<String>, ComposeError> {
    let s = &p.services[name];
    let image = s.image_name(&p.name, name);
    let present = match c.images().inspect(&image).await {
        Ok(i) => Some(i.id),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e).ctx(|| format!("inspecting image {image}")),
    };
    if s.build.is_some() && !no_build && (build || present.is_none()) {
        build_service(c, p, name, s).await?;
        return Ok(None);
    }
    let policy = s.pull_policy.as_deref().unwrap_or("missing");
    if present.is_some() && policy != "always" {
        return Ok(present);
    }
    if policy == "never" || (s.build.is_some() && no_build) {
        return Err(ComposeError::Failed(format!(
            "service {name:?}: image {image} not found"
        )));
    }
    pull(c, &image).await?;
    Ok(None)
}

/// `POST /images/create` for one image, its errors reported. The
/// credentials stored for the image's registry (`wharf login`, or
/// `docker login`) go along as `X-Registry-Auth`.
pub async fn pull(c: &Client, image: &str) -> Result<(), ComposeError> {
    let (repo, tag) = split_ref(image);
    let full = match &tag {
        Some(t) => format!("{repo}:{t}"),
        None => repo,
    };
    let auth = wharf_client::registry_auth::header_for(&full);
    progress("Image", image, "Pulling");
    let mut stream = c
        .images()
        .pull_with_auth(&full, None, &auth)
        .await
        .ctx(|| format!("pulling {image}"))?;
    let mut err = None;
    stream
        .for_each(|m| {
            if let Some(e) = &m.error {
                err = Some(e.to_string());
            }
        })
        .await
        .ctx(|| format!("pulling {image}"))?;
    if let Some(e) = err {
        return Err(ComposeError::Failed(format!("pulling {image}: {e}")));
    }
    progress("Image", image, "Pulled");
    Ok(())
}

fn split_ref(image: &str) -> (String, Option<String>) {
    if image.contains('@') {
        return (image.to_string(), None);
    }
    match image.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r.to_string(), Some(t.to_string())),
        _ => (image.to_string(), Some("latest".into())),
    }
}

/// Build one service's image: a tar of the context through `POST /build`.
pub async fn build_service(
    c: &Client,
    p: &Project,
    name: &str,
    s: &Service,
) -> Result<(), ComposeError> {
    let Some(b) = &s.build else { return Ok(()) };
    let image = s.image_name(&p.name, name);
    let ctx = b.context.clone();
    let tarball = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let mut t = tar::Builder::new(Vec::new());
        t.follow_symlinks(false);
        t.append_dir_all(".", &ctx)?;
        t.into_inner()
    })
    .await
    .map_err(|e| ComposeError::Failed(format!("building {name}: {e}")))?
    .map_err(|e| {
        ComposeError::Failed(format!(
            "service {name:?}: reading build context {}: {e}",
            b.context
        ))
    })?;
    let mut labels = b.labels.clone();
    labels.insert(LABEL_PROJECT.into(), p.name.clone());
    let opts = wharf_client::BuildOptions {
        tags: vec![image.clone()],
        dockerfile: b.dockerfile.clone(),
        build_args: b
            .args
            .iter()
            .filter_map(|(k, v)| {
                v.clone()
                    .or_else(|| std::env::var(k).ok())
                    .map(|v| (k.clone(), v))
            })
            .collect(),
        labels,
        target: b.target.clone(),
        no_cache: b.no_cache.unwrap_or(false),
        pull: b.pull.unwrap_or(false),
        network_mode: b.network.clone(),
        // every stored credential, for a `FROM` on a registry that needs one
        registry_config: Some(wharf_client::registry_auth::all_header()),
        ..Default::default()
    };
    progress("Service", name, "Building");
    let mut stream = c
        .images()
        .build(Client::bytes_body(tarball), &opts)
        .await
        .ctx(|| format!("building service {name}"))?;
    let mut err = None;
    stream
        .for_each(|m| {
            if let Some(e) = &m.error {
                err = Some(e.to_string());
            }
        })
        .await
        .ctx(|| format!("building service {name}"))?;
    if let Some(e) = err {
        return Err(ComposeError::Failed(format!(
            "service {name:?} failed to build: {e}"
        )));
    }
    progress("Service", name, "Built");
    Ok(())
}

/// The container name of replica `n`.
pub fn container_name(p: &Project, service: &str, s: &Service, n: u32) -> String {
    match &s.container_name {
        Some(cn) => cn.clone(),
        None => format!("{}-{service}-{n}", p.name),
    }
}

async fn image_id(c: &Client, image: String) -> Option<String> {
    c.images().inspect(&image).await.ok().map(|i| i.id)
}

async fn converge_service(
    c: &Client,
    p: &Project,
    name: &str,
    mine: Vec<Ctr>,
    img: Option<String>,
    o: &UpOptions,
) -> Result<(), ComposeError> {
    let s = &p.services[name];
    wait_dependencies(c, p, s).await?;
    let want = o.scale.get(name).copied().unwrap_or_else(|| s.replicas());
    if want > 1 && s.container_name.is_some() {
        return Err(ComposeError::Project(format!(
            "services.{name}: container_name {:?} cannot be used with more than one replica",
            s.container_name.as_deref().unwrap_or_default()
        )));
    }
    let hash = config_hash(s);
    let mut have = BTreeSet::new();
    let mut work = Vec::new();
    for x in mine {
        if x.number > want || have.contains(&x.number) {
            work.push(
                async move {
                    stop_remove(c, &x, o.timeout, false).await?;
                    Ok::<(), ComposeError>(())
                }
                .boxed_local(),
            );
            continue;
        }
        have.insert(x.number);
        let changed = x.hash != hash || img.as_ref().is_some_and(|i| *i != x.image_id);
        let img = img.clone();
        if !o.no_recreate && (o.force_recreate || changed) {
            work.push(
                async move {
                    progress("Container", &x.name, "Recreate");
                    stop_remove(c, &x, o.timeout, false).await?;
                    create_one(c, p, name, x.number, img.as_deref(), !o.no_start).await?;
                    progress("Container", &x.name, "Recreated");
                    Ok(())
                }
                .boxed_local(),
            );
        } else if x.state != "running" && !o.no_start {
            work.push(
                async move {
                    progress("Container", &x.name, "Starting");
                    c.containers()
                        .start(&x.id)
                        .await
                        .ctx(|| format!("starting {}", x.name))?;
                    progress("Container", &x.name, "Started");
                    Ok(())
                }
                .boxed_local(),
            );
        } else {
            progress("Container", &x.name, "Running");
        }
    }
    for n in 1..=want {
        if have.contains(&n) {
            continue;
        }
        let img = img.clone();
        work.push(
            async move {
                create_one(c, p, name, n, img.as_deref(), !o.no_start).await?;
                Ok(())
            }
            .boxed_local(),
        );
    }
    for r in join_all(work).await {
        r?;
    }
    Ok(())
}

use futures_util::future::{LocalBoxFuture, Shared};
use futures_util::FutureExt;

/// Create (and start) replica `n` of a service.
async fn create_one(
    c: &Client,
    p: &Project,
    service: &str,
    n: u32,
    image_id: Option<&str>,
    start: bool,
) -> Result<String, ComposeError> {
    let s = &p.services[service];
    let name = container_name(p, service, s, n);
    let spec = plan::create_spec(p, service, s, &name, n, false, image_id)
        .map_err(|e| ComposeError::Project(format!("service {service:?}: {e}")))?;
    let id = create_spec(c, &spec).await?;
    progress("Container", &name, "Created");
    if start {
        c.containers()
            .start(&id)
            .await
            .ctx(|| format!("starting {name}"))?;
        progress("Container", &name, "Started");
    }
    Ok(id)
}

/// Create a container from a spec and connect its further networks.
pub async fn create_spec(c: &Client, spec: &CreateSpec) -> Result<String, ComposeError> {
    let r = c
        .containers()
        .create_raw(Some(&spec.name), &spec.body)
        .await
        .ctx(|| format!("creating container {}", spec.name))?;
    for (net, ep) in &spec.extra_networks {
        let body: wharf_client::api::network::NetworkConnectRequest =
            serde_json::from_value(json!({
                "Container": r.id,
                "EndpointConfig": ep,
            }))
            .map_err(|e| ComposeError::Failed(format!("network {net}: {e}")))?;
        c.networks()
            .connect(net, &body)
            .await
            .ctx(|| format!("connecting {} to {net}", spec.name))?;
    }
    Ok(r.id)
}

async fn stop_remove(
    c: &Client,
    x: &Ctr,
    t: Option<i64>,
    volumes: bool,
) -> Result<(), ComposeError> {
    if x.state == "running" || x.state == "paused" || x.state == "restarting" {
        progress("Container", &x.name, "Stopping");
        c.containers()
            .stop(&x.id, t)
            .await
            .ctx(|| format!("stopping {}", x.name))?;
        progress("Container", &x.name, "Stopped");
    }
    match c.containers().remove(&x.id, true, volumes).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => {}
        Err(e) => return Err(e).ctx(|| format!("removing {}", x.name)),
    }
    progress("Container", &x.name, "Removed");
    Ok(())
}

/// Wait for what `depends_on` conditions ask before a service starts.
pub async fn wait_dependencies(c: &Client, p: &Project, s: &Service) -> Result<(), ComposeError> {
    for (dep, d) in &s.depends_on {
        if d.condition == "service_started" || !p.services.contains_key(dep) {
            continue;
        }
        for x in containers(c, &p.name, true).await? {
            if &x.service != dep || x.oneoff {
                continue;
            }
            progress("Container", &x.name, "Waiting");
            loop {
                let v: Value = serde_json::from_slice(
                    &c.containers()
                        .inspect_raw(&x.id, false)
                        .await
                        .ctx(|| format!("inspecting {}", x.name))?,
                )
                .unwrap_or_default();
                let st = &v["State"];
                let status = st["Status"].as_str().unwrap_or_default();
                let code = st["ExitCode"].as_i64().unwrap_or(0);
                if d.condition == "service_healthy" {
                    match st["Health"]["Status"].as_str() {
                        Some("healthy") => {
                            progress("Container", &x.name, "Healthy");
                            break;
                        }
                        Some("unhealthy") => {
                            return Err(ComposeError::Failed(format!(
                                "dependency failed to start: container {} is unhealthy",
                                x.name
                            )))
                        }
                        None | Some("") => {
                            return Err(ComposeError::Failed(format!(
                                "container {} has no healthcheck configured",
                                x.name
                            )))
                        }
                        _ => {}
                    }
                    if status == "exited" || status == "dead" {
                        return Err(ComposeError::Failed(format!(
                            "dependency failed to start: container {} exited ({code})",
                            x.name
                        )));
                    }
                } else if status == "exited" || status == "dead" {
                    if code == 0 {
                        progress("Container", &x.name, "Exited");
                        break;
                    }
                    return Err(ComposeError::Failed(format!(
                        "service {dep:?} didn't complete successfully: exit {code}"
                    )));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    Ok(())
}

/// `--wait`: running, and healthy when there is a healthcheck.
async fn wait_ready(c: &Client, x: &Ctr, s: &Service) -> Result<(), ComposeError> {
    loop {
        let v: Value = serde_json::from_slice(
            &c.containers()
                .inspect_raw(&x.id, false)
                .await
                .ctx(|| format!("inspecting {}", x.name))?,
        )
        .unwrap_or_default();
        let st = &v["State"];
        let status = st["Status"].as_str().unwrap_or_default();
        let health = st["Health"]["Status"].as_str().unwrap_or_default();
        if status == "exited" || status == "dead" {
            return Err(ComposeError::Failed(format!(
                "container {} exited ({})",
                x.name, st["ExitCode"]
            )));
        }
        if health == "unhealthy" {
            return Err(ComposeError::Failed(format!(
                "container {} is unhealthy",
                x.name
            )));
        }
        let has_hc = !health.is_empty()
            || s.healthcheck
                .as_ref()
                .is_some_and(|h| h.disable != Some(true) && !h.test.is_empty());
        if status == "running" && (!has_hc || health == "healthy") {
            progress(
                "Container",
                &x.name,
                if has_hc { "Healthy" } else { "Running" },
            );
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What `down` removes beyond containers and networks.
#[derive(Debug, Clone, Default)]
pub struct DownOptions {
    pub volumes: bool,
    pub remove_orphans: bool,
    pub timeout: Option<i64>,
    /// `--rmi local|all`.
    pub rmi: Option<String>,
}

/// Stop and remove the project's containers (dependents first), then its
/// networks, and with `volumes` its volumes. Every step is tried; the
/// failures are reported together.
pub async fn down(
    c: &Client,
    project: &str,
    p: Option<&Project>,
    o: &DownOptions,
) -> Result<(), ComposeError> {
    let all = containers(c, project, true).await?;
    let mut errors = Vec::new();
    let known = |x: &Ctr| p.is_none_or(|p| p.services.contains_key(&x.service) || x.oneoff);
    let (mine, orphans): (Vec<Ctr>, Vec<Ctr>) = all.into_iter().partition(known);
    let orphans = if o.remove_orphans {
        orphans
    } else {
        if !orphans.is_empty() {
            let names: Vec<&str> = orphans.iter().map(|x| x.name.as_str()).collect();
            eprintln!("WARN[0000] Found orphan containers ({}) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.", names.join(", "));
        }
        Vec::new()
    };
    // a service's containers stop once those of the services depending on
    // it have: a graph in reverse; orphans and one-offs stop at once
    let errs: std::cell::RefCell<Vec<String>> = Default::default();
    let stop_all = |g: Vec<Ctr>| {
        let errs = &errs;
        async move {
            let r = join_all(g.iter().map(|x| stop_remove(c, x, o.timeout, true))).await;
            errs.borrow_mut()
                .extend(r.into_iter().filter_map(Result::err).map(|e| e.to_string()));
        }
    };
    let mut free: Vec<Ctr> = orphans;
    let mut done: BTreeMap<String, Shared<LocalBoxFuture<'_, ()>>> = BTreeMap::new();
    match p {
        Some(p) => {
            free.extend(mine.iter().filter(|x| x.oneoff).cloned());
            let all: BTreeSet<String> = p.services.keys().cloned().collect();
            let mut order: Vec<String> = plan::levels(p, &all).into_iter().flatten().collect();
            order.reverse();
            for name in order {
                let dependents: Vec<_> = p
                    .services
                    .iter()
                    .filter(|(_, s)| s.depends_on.contains_key(&name))
                    .filter_map(|(n, _)| done.get(n).cloned())
                    .collect();
                let g: Vec<Ctr> = mine
                    .iter()
                    .filter(|x| !x.oneoff && x.service == name)
                    .cloned()
                    .collect();
                let stop = stop_all(g);
                let fut = async move {
                    join_all(dependents).await;
                    stop.await;
                }
                .boxed_local()
                .shared();
                done.insert(name, fut);
            }
        }
        None => free.extend(mine),
    }
    // The networks and volumes to remove are listed while the containers
    // stop, and removed together once the containers are gone (Docker
    // Compose v2 removes them concurrently too).
    let list_nets = async {
        let mut nets: BTreeSet<String> = BTreeSet::new();
        if let Ok(list) = c.networks().list(&filters(project)).await {
            nets.extend(list.into_iter().map(|n| n.name));
        }
        if let Some(p) = p {
            for n in p.networks.values() {
                if n.external != Some(true) {
                    if let Some(name) = &n.name {
                        nets.insert(name.clone());
                    }
                }
            }
        }
        nets
    };
    let list_vols = async {
        let mut vols: BTreeSet<String> = BTreeSet::new();
        if !o.volumes {
            return vols;
        }
        if let Ok(list) = c.volumes().list(&filters(project)).await {
            vols.extend(list.volumes.into_iter().map(|v| v.name));
        }
        if let Some(p) = p {
            for v in p.volumes.values() {
                if v.external != Some(true) {
                    if let Some(name) = &v.name {
                        vols.insert(name.clone());
                    }
                }
            }
        }
        vols
    };
    let (nets, vols, _) = futures_util::future::join3(
        list_nets,
        list_vols,
        futures_util::future::join(stop_all(free), join_all(done.into_values())),
    )
    .await;
    errors.extend(errs.into_inner());
    let rm_nets = join_all(nets.iter().map(|n| async move {
        match c.networks().remove(n).await {
            Ok(()) => {
                progress("Network", n, "Removed");
                None
            }
            Err(e) if e.is_not_found() => None,
            Err(e) => Some(format!("removing network {n}: {e}")),
        }
    }));
    let rm_vols = join_all(vols.iter().map(|v| async move {
        match c.volumes().remove(v, false).await {
            Ok(()) => {
                progress("Volume", v, "Removed");
                None
            }
            Err(e) if e.is_not_found() => None,
            Err(e) => Some(format!("removing volume {v}: {e}")),
        }
    }));
    let (r1, r2) = futures_util::future::join(rm_nets, rm_vols).await;
    errors.extend(r1.into_iter().flatten());
    errors.extend(r2.into_iter().flatten());
    if let (Some(rmi), Some(p)) = (&o.rmi, p) {
        for (n, s) in &p.services {
            if rmi == "all" || s.image.is_none() {
                let img = s.image_name(&p.name, n);
                match c.images().remove(&img, false, false).await {
                    Ok(_) => progress("Image", &img, "Removed"),
                    Err(e) if e.is_not_found() => {}
                    Err(e) => errors.push(format!("removing image {img}: {e}")),
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ComposeError::Failed(errors.join("\n")))
    }
}

/// The containers of the named services (all when empty), in start order
/// (or reverse for stopping).
pub async fn select(
    c: &Client,
    p: &Project,
    services: &[String],
    all: bool,
    reverse: bool,
) -> Result<Vec<Vec<Ctr>>, ComposeError> {
    for s in services {
        if !p.services.contains_key(s) {
            return Err(no_such_service(p, s));
        }
    }
    let set: BTreeSet<String> = if services.is_empty() {
        p.services.keys().cloned().collect()
    } else {
        services.iter().cloned().collect()
    };
    let ctrs = containers(c, &p.name, all).await?;
    let mut levels = plan::levels(p, &set);
    if reverse {
        levels.reverse();
    }
    Ok(levels
        .into_iter()
        .map(|l| {
            ctrs.iter()
                .filter(|x| !x.oneoff && l.contains(&x.service))
                .cloned()
                .collect()
        })
        .collect())
}

/// A one-off container for `run`: name `<project>-<service>-run-<id>`.
pub struct RunSpec {
    pub service: String,
    pub command: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub env: Vec<String>,
    pub volumes: Vec<String>,
    pub publish: Vec<String>,
    pub service_ports: bool,
    pub name: Option<String>,
    pub tty: bool,
    pub stdin: bool,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub labels: Vec<String>,
}

/// Create (not start) the one-off container of `run`; its id and name.
pub async fn create_oneoff(
    c: &Client,
    p: &Project,
    r: &RunSpec,
) -> Result<(String, String), ComposeError> {
    let mut s = p
        .services
        .get(&r.service)
        .cloned()
        .ok_or_else(|| no_such_service(p, &r.service))?;
    if let Some(cmd) = &r.command {
        s.command = Some(cmd.clone());
    }
    if let Some(e) = &r.entrypoint {
        s.entrypoint = Some(e.clone());
    }
    for e in &r.env {
        match e.split_once('=') {
            Some((k, v)) => s.environment.insert(k.into(), Some(v.into())),
            None => s.environment.insert(e.clone(), std::env::var(e).ok()),
        };
    }
    for l in &r.labels {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        s.labels.insert(k.into(), v.into());
    }
    if let Some(u) = &r.user {
        s.user = Some(u.clone());
    }
    if let Some(w) = &r.workdir {
        s.working_dir = Some(w.clone());
    }
    s.tty = Some(r.tty);
    s.stdin_open = Some(r.stdin);
    s.restart = None;
    s.container_name = None;
    if !r.service_ports {
        s.ports.clear();
    }
    for pp in &r.publish {
        let mut x = crate::model::Port::default();
        let (rest, proto) = pp.rsplit_once('/').unwrap_or((pp, "tcp"));
        let parts: Vec<&str> = rest.split(':').collect();
        let (ip, pubp, target) = match parts.as_slice() {
            [t] => (None, None, *t),
            [p, t] => (None, Some(*p), *t),
            [i, p, t] => (Some(*i), Some(*p), *t),
            _ => return Err(ComposeError::Project(format!("invalid publish {pp:?}"))),
        };
        x.target = target
            .parse()
            .map_err(|_| ComposeError::Project(format!("invalid publish {pp:?}")))?;
        x.published = pubp.filter(|p| !p.is_empty()).map(str::to_string);
        x.host_ip = ip.map(str::to_string);
        x.protocol = Some(proto.into());
        s.ports.push(x);
    }
    for v in &r.volumes {
        let parts: Vec<&str> = v.split(':').collect();
        let mut sv = crate::model::ServiceVolume {
            target: parts.get(1).copied().unwrap_or(parts[0]).to_string(),
            ..Default::default()
        };
        if parts.len() >= 2 {
            let src = parts[0];
            sv.kind = if src.starts_with('/') || src.starts_with('.') {
                "bind"
            } else {
                "volume"
            }
            .into();
            sv.source = Some(if src.starts_with('.') {
                std::env::current_dir()
                    .unwrap_or_default()
                    .join(src)
                    .display()
                    .to_string()
            } else {
                src.into()
            });
            sv.read_only = Some(parts.get(2) == Some(&"ro"));
        } else {
            sv.kind = "volume".into();
        }
        s.volumes.push(sv);
    }
    let rand: String = {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let mut h = sha2::Sha256::new();
        use sha2::Digest;
        h.update(t.to_le_bytes());
        h.update(std::process::id().to_le_bytes());
        h.finalize()
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let name = r
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-{}-run-{rand}", p.name, r.service));
    let img = image_id(c, s.image_name(&p.name, &r.service)).await;
    let mut spec = plan::create_spec(p, &r.service, &s, &name, 0, true, img.as_deref())
        .map_err(|e| ComposeError::Project(format!("service {:?}: {e}", r.service)))?;
    if let Some(l) = spec.body["Labels"].as_object_mut() {
        l.insert(LABEL_NUMBER.into(), json!("1"));
    }
    let id = create_spec(c, &spec).await?;
    Ok((id, name))
}
