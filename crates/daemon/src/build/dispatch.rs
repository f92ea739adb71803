//! The steps: stages, build args, the cache, and one handler per
//! instruction.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wharf_build::{lex, Args, Dockerfile, Instruction};
use wharf_image::config::{now_rfc3339, Empty, History, ImageConfig};
use wharf_image::{Image, Transaction};

use super::context::{self, Context};
use super::fsops::{self, Attrs};
use super::progress::Progress;
use super::run::{self, RunSpec};
use super::snapshot::{Snapshot, View};
use super::BuildOptions;
use crate::daemon::Daemon;
use crate::error::{Error, Result};

/// Args every build knows without an `ARG` line.
const PREDEFINED: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// One stage being built.
struct Stage {
    name: Option<String>,
    /// The current image (`sha256:…`), empty before the first step of a
    /// `FROM scratch` stage.
    image_id: String,
    config: ImageConfig,
    /// Declared build args and their values, in order.
    args: Vec<(String, Option<String>)>,
    cmd_set: bool,
}

impl Stage {
    fn env(&self) -> Vec<String> {
        self.config.config.env.clone().unwrap_or_default()
    }

    /// ENV first, then the declared build args.
    fn lookup(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        if let Some(v) = self
            .env()
            .iter()
            .rev()
            .find_map(|e| e.strip_prefix(&prefix).map(str::to_string))
        {
            return Some(v);
        }
        self.args
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
    }

    fn shell(&self) -> Vec<String> {
        self.config
            .config
            .shell
            .clone()
            .unwrap_or_else(|| DEFAULT_SHELL.iter().map(|s| s.to_string()).collect())
    }
}

pub struct Builder<'a> {
    d: &'a Arc<Daemon>,
    handle: tokio::runtime::Handle,
    scratch: PathBuf,
    ctx: Context,
    opts: &'a BuildOptions,
    progress: &'a Progress,
    txn: Transaction<'a>,
    escape: char,
    meta_args: Vec<(String, Option<String>)>,
    /// Finished stages: (name, image ID).
    done: Vec<(Option<String>, String)>,
    used_args: HashSet<String>,
    step: usize,
    total: usize,
    seq: usize,
}

fn sha256(s: &str) -> String {
    wharf_image::digest::sha256_digest(s.as_bytes())
        .trim_start_matches("sha256:")
        .to_string()
}

fn bad(ins: &Instruction, msg: impl std::fmt::Display) -> Error {
    Error::invalid(format!("{}: {msg}", ins.keyword))
}

impl<'a> Builder<'a> {
    pub fn new(
        d: &'a Arc<Daemon>,
        handle: tokio::runtime::Handle,
        scratch: &Path,
        ctx: Context,
        opts: &'a BuildOptions,
        progress: &'a Progress,
    ) -> Builder<'a> {
        Builder {
            d,
            handle,
            scratch: scratch.to_path_buf(),
            ctx,
            opts,
            progress,
            txn: d.images.transaction(),
            escape: '\\',
            meta_args: Vec::new(),
            done: Vec::new(),
            used_args: HashSet::new(),
            step: 0,
            total: 0,
            seq: 0,
        }
    }

    fn build_arg(&self, name: &str) -> Option<Option<String>> {
        self.opts.build_args.get(name).cloned()
    }

    fn meta_lookup(&self, name: &str) -> Option<String> {
        self.meta_args
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
    }

    pub fn run(&mut self, df: Dockerfile) -> Result<String> {
        self.escape = df.escape;
        // Split into the global args and the stages.
        let mut stages: Vec<(Instruction, Vec<Instruction>)> = Vec::new();
        let mut globals = Vec::new();
        for ins in df.instructions {
            if ins.keyword == "FROM" {
                stages.push((ins, Vec::new()));
            } else if let Some(last) = stages.last_mut() {
                last.1.push(ins);
            } else {
                globals.push(ins);
            }
        }
        for g in &globals {
            for (name, default) in self.arg_pairs(g, &|n| self.meta_lookup(n))? {
                let v = match self.build_arg(&name) {
                    Some(Some(v)) => Some(v),
                    _ => default,
                };
                self.used_args.insert(name.clone());
                self.meta_args.push((name, v));
            }
        }
        let names: Vec<Option<String>> = stages
            .iter()
            .map(|(f, _)| self.stage_name(f).ok().flatten())
            .collect();
        let last = if self.opts.target.is_empty() {
            stages.len() - 1
        } else {
            let t = self.opts.target.to_ascii_lowercase();
            names
                .iter()
                .position(|n| n.as_deref() == Some(t.as_str()))
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "failed to reach build target {} in Dockerfile",
                        self.opts.target
                    ))
                })?
        };
        self.total = stages[..=last].iter().map(|(_, v)| v.len() + 1).sum();
        let mut final_stage = None;
        for (from, body) in stages.into_iter().take(last + 1) {
            let mut st = self.start_stage(&from)?;
            for ins in &body {
                self.step += 1;
                self.progress.stream(&format!(
                    "Step {}/{} : {}\n",
                    self.step, self.total, ins.original
                ));
                self.dispatch(&mut st, ins)?;
            }
            self.done.push((st.name.clone(), st.image_id.clone()));
            final_stage = Some(st);
        }
        let mut st = final_stage.ok_or_else(|| Error::invalid("no build stage"))?;
        if !self.opts.labels.is_empty() {
            let mut labels = st.config.config.labels.clone().unwrap_or_default();
            labels.extend(self.opts.labels.clone());
            st.config.config.labels = Some(labels);
            let text: Vec<String> = self
                .opts
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect();
            let desc = format!("LABEL {}", text.join(" "));
            self.commit(&mut st, &desc, &format!("/bin/sh -c #(nop)  {desc}"), None)?;
        }
        if st.image_id.is_empty() {
            // `FROM scratch` and nothing else: an image with no layers.
            self.commit(&mut st, "FROM scratch", "", None)?;
        }
        let unused: Vec<&String> = self
            .opts
            .build_args
            .keys()
            .filter(|k| !self.used_args.contains(*k) && !PREDEFINED.contains(&k.as_str()))
            .collect();
        if !unused.is_empty() {
            let list: Vec<&str> = unused.iter().map(|s| s.as_str()).collect();
            self.progress.stream(&format!(
                "[Warning] One or more build-args [{}] were not consumed\n",
                list.join(" ")
            ));
        }
        let id = st.image_id.clone();
        self.progress.aux(&id);
        self.progress.stream(&format!(
            "Successfully built {}\n",
            wharf_image::short_id(&id)
        ));
        for t in &self.opts.tags {
            self.d.images.tag(&id, t).map_err(crate::kinded)?;
            let mut attrs = BTreeMap::new();
            attrs.insert("name".to_string(), t.clone());
            self.d.events.emit("image", "tag", &id, attrs);
            self.progress.stream(&format!("Successfully tagged {t}\n"));
        }
        Ok(id)
    }

    fn stage_name(&self, from: &Instruction) -> Result<Option<String>> {
        let words = self.base_words(from)?;
        Ok(match words.as_slice() {
            [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some(name.to_ascii_lowercase()),
            _ => None,
        })
    }

    fn base_words(&self, from: &Instruction) -> Result<Vec<String>> {
        let Args::Text(text) = &from.args else {
            return Err(bad(from, "FROM requires either one or three arguments"));
        };
        let words =
            lex::words(text, &|n| self.meta_lookup(n), self.escape).map_err(|e| bad(from, e))?;
        match words.as_slice() {
            [_] => Ok(words),
            [_, as_, _] if as_.eq_ignore_ascii_case("as") => Ok(words),
            _ => Err(bad(from, "FROM requires either one or three arguments")),
        }
    }

    fn start_stage(&mut self, from: &Instruction) -> Result<Stage> {
        self.step += 1;
        self.progress.stream(&format!(
            "Step {}/{} : {}\n",
            self.step, self.total, from.original
        ));
        let words = self.base_words(from)?;
        let name = self.stage_name(from)?;
        let base = words[0].clone();
        if base.is_empty() {
            return Err(bad(from, "base name should not be blank"));
        }
        let mut st = Stage {
            name,
            image_id: String::new(),
            config: ImageConfig {
                architecture: wharf_image::config::host_arch().to_string(),
                os: "linux".into(),
                ..ImageConfig::default()
            },
            args: Vec::new(),
            cmd_set: false,
        };
        if base.eq_ignore_ascii_case("scratch") {
            self.progress.stream(" ---> \n");
            return Ok(st);
        }
        let lower = base.to_ascii_lowercase();
        let earlier = self
            .done
            .iter()
            .find(|(n, _)| n.as_deref() == Some(lower.as_str()))
            .map(|(_, id)| id.clone());
        let image = match earlier {
            Some(id) => self.d.images.resolve(&id).map_err(crate::kinded)?,
            None => self.image_for(&base)?,
        };
        if !self.txn.hold(&image) {
            return Err(Error::not_found(format!("image {base} lost its layers")));
        }
        self.progress
            .stream(&format!(" ---> {}\n", wharf_image::short_id(&image.id)));
        st.image_id = image.id.clone();
        st.config = image.config.clone();
        let triggers = st.config.config.on_build.take().unwrap_or_default();
        if !triggers.is_empty() {
            self.progress.stream(&format!(
                "# Executing {} build trigger{}\n",
                triggers.len(),
                if triggers.len() == 1 { "" } else { "s" }
            ));
            for t in triggers {
                let ins =
                    wharf_build::parser::parse_instruction("ONBUILD", from.line, &t, self.escape)
                        .map_err(|e| Error::invalid(e.to_string()))?;
                self.dispatch(&mut st, &ins)?;
            }
        }
        Ok(st)
    }

    /// The image `name` of a `FROM` or `COPY --from`, pulled first when it
    /// is missing or when `--pull` asks for a newer one, as Docker's classic
    /// builder does. An image named by its ID is never pulled.
    fn image_for(&self, name: &str) -> Result<Image> {
        let local = self.d.images.resolve(name);
        let by_id = |img: &Image| {
            let hex = name.strip_prefix("sha256:").unwrap_or(name);
            img.hex().starts_with(hex)
        };
        let pull = match &local {
            Ok(img) => self.opts.pull && !by_id(img),
            Err(e) => e.kind() == wharf_api::error::ErrorKind::NotFound,
        };
        let remote = match wharf_registry::RemoteName::parse(name, Some("latest")) {
            Ok(r) if pull => r,
            _ => {
                return local.map_err(|e| match e.kind() {
                    wharf_api::error::ErrorKind::NotFound => Error::not_found(format!(
                        "pull access denied for {name}, repository does not exist or may require 'docker login': {e}"
                    )),
                    _ => crate::kinded(e),
                })
            }
        };
        let key = match remote.host.as_str() {
            wharf_registry::name::HUB_HOST => wharf_registry::name::HUB_AUTH_KEY.to_string(),
            h => wharf_registry::name::auth_key(h),
        };
        let creds = self.opts.registry_auths.get(&key).cloned();
        let client = crate::router::registry_client(creds);
        let progress = |v: serde_json::Value| self.progress.message(v);
        match wharf_registry::pull::pull(&client, &self.d.images, &remote, None, &progress) {
            Ok(p) => {
                let shown = remote.reference.to_string();
                self.d.events.emit("image", "pull", &shown, BTreeMap::new());
                Ok(p.image)
            }
            Err(e) => {
                let msg = match e.kind() {
                    wharf_api::error::ErrorKind::NotFound => format!(
                        "pull access denied for {name}, repository does not exist or may require 'docker login': {e}"
                    ),
                    _ => format!("pulling {name}: {e}"),
                };
                Err(Error::new(e.kind(), msg))
            }
        }
    }

    /// The step's cache key, and the cached image if there is one (then
    /// the stage moves to it).
    fn cached(&mut self, st: &mut Stage, key_text: &str) -> (String, bool) {
        let key = sha256(&format!("{}\n{}", st.image_id, key_text));
        if self.opts.no_cache {
            return (key, false);
        }
        if let Some(img) = self.d.images.cache_get(&key) {
            if self.txn.hold(&img) {
                self.progress.stream(" ---> Using cache\n");
                self.progress
                    .stream(&format!(" ---> {}\n", wharf_image::short_id(&img.id)));
                st.image_id = img.id;
                st.config = img.config;
                return (key, true);
            }
        }
        (key, false)
    }

    /// Commits the stage's config as a new image, with `layer` (a tar
    /// file) on top if given, and remembers it under `key`.
    fn commit(
        &mut self,
        st: &mut Stage,
        key: &str,
        created_by: &str,
        layer: Option<&Path>,
    ) -> Result<()> {
        let mut cfg = st.config.clone();
        let now = now_rfc3339();
        cfg.created = Some(now.clone());
        cfg.parent = st.image_id.clone();
        cfg.docker_version = String::new();
        if let Some(tar) = layer {
            let f = fs::File::open(tar)?;
            let diff = self.txn.add_layer(f).map_err(crate::kinded)?;
            cfg.rootfs.diff_ids.push(diff);
        }
        cfg.history.push(History {
            created: Some(now),
            created_by: created_by.to_string(),
            empty_layer: layer.is_none(),
            ..History::default()
        });
        let img: Image = self.txn.commit_image(&cfg, &[]).map_err(crate::kinded)?;
        if let Err(e) = self.d.images.cache_put(key, &img.id) {
            tracing::warn!(error = %e, "cannot write the build cache");
        }
        self.progress
            .stream(&format!(" ---> {}\n", wharf_image::short_id(&img.id)));
        st.image_id = img.id;
        st.config = img.config;
        Ok(())
    }

    /// A step that only changes the config: cache, apply, commit.
    fn meta_step(
        &mut self,
        st: &mut Stage,
        desc: &str,
        apply: impl FnOnce(&mut Stage),
    ) -> Result<()> {
        let (key, hit) = self.cached(st, desc);
        if hit {
            return Ok(());
        }
        apply(st);
        self.commit(st, &key, &format!("/bin/sh -c #(nop)  {desc}"), None)
    }

    fn text<'i>(&self, ins: &'i Instruction) -> Result<&'i str> {
        match &ins.args {
            Args::Text(t) => Ok(t),
            Args::Json(_) => Err(bad(ins, "the JSON form is not valid here")),
        }
    }

    /// `K=V K2="v 2"` or the legacy `K value` form, values substituted.
    fn pairs(&self, st: &Stage, ins: &Instruction) -> Result<Vec<(String, String)>> {
        let text = self.text(ins)?;
        let look = |n: &str| st.lookup(n);
        let raw = lex::split_raw(text, self.escape).map_err(|e| bad(ins, e))?;
        let first = raw.first().cloned().unwrap_or_default();
        if !first.contains('=') {
            let rest = text[text.find(char::is_whitespace).unwrap_or(text.len())..].trim();
            if rest.is_empty() {
                return Err(bad(ins, format!("{} must have two arguments", ins.keyword)));
            }
            let v = lex::word(rest, &look, self.escape).map_err(|e| bad(ins, e))?;
            return Ok(vec![(first, v)]);
        }
        let mut out = Vec::new();
        for w in raw {
            let Some((k, v)) = w.split_once('=') else {
                return Err(bad(
                    ins,
                    format!(
                        "Syntax error - can't find = in {w:?}. Must be of the form: name=value"
                    ),
                ));
            };
            let k = lex::word(k, &look, self.escape).map_err(|e| bad(ins, e))?;
            if k.is_empty() {
                return Err(bad(ins, format!("{} names can not be blank", ins.keyword)));
            }
            let v = lex::word(v, &look, self.escape).map_err(|e| bad(ins, e))?;
            out.push((k, v));
        }
        Ok(out)
    }

    fn arg_pairs(
        &self,
        ins: &Instruction,
        look: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<(String, Option<String>)>> {
        let text = self.text(ins)?;
        let mut out = Vec::new();
        for w in lex::split_raw(text, self.escape).map_err(|e| bad(ins, e))? {
            match w.split_once('=') {
                Some((k, v)) => {
                    let v = lex::word(v, look, self.escape).map_err(|e| bad(ins, e))?;
                    out.push((k.to_string(), Some(v)));
                }
                None => out.push((w, None)),
            }
        }
        for (k, _) in &out {
            if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(bad(ins, format!("invalid build arg name {k:?}")));
            }
        }
        Ok(out)
    }

    fn argv(&self, st: &Stage, ins: &Instruction) -> Vec<String> {
        match &ins.args {
            Args::Json(v) => v.clone(),
            Args::Text(t) => {
                let mut v = st.shell();
                v.push(t.clone());
                v
            }
        }
    }

    fn dispatch(&mut self, st: &mut Stage, ins: &Instruction) -> Result<()> {
        let esc = self.escape;
        match ins.keyword.as_str() {
            "ENV" => {
                let pairs = self.pairs(st, ins)?;
                let desc = format!(
                    "ENV {}",
                    pairs
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                self.meta_step(st, &desc, |st| {
                    let mut env = st.env();
                    for (k, v) in pairs {
                        let prefix = format!("{k}=");
                        let entry = format!("{k}={v}");
                        match env.iter_mut().find(|e| e.starts_with(&prefix)) {
                            Some(e) => *e = entry,
                            None => env.push(entry),
                        }
                    }
                    st.config.config.env = Some(env);
                })
            }
            "LABEL" => {
                let pairs = self.pairs(st, ins)?;
                let desc = format!(
                    "LABEL {}",
                    pairs
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                self.meta_step(st, &desc, |st| {
                    let labels = st.config.config.labels.get_or_insert_with(BTreeMap::new);
                    labels.extend(pairs);
                })
            }
            "MAINTAINER" => {
                let who = self.text(ins)?.to_string();
                self.meta_step(st, &format!("MAINTAINER {who}"), |st| {
                    st.config.author = who
                })
            }
            "ARG" => {
                let pairs = self.arg_pairs(ins, &|n| st.lookup(n))?;
                let mut resolved = Vec::new();
                for (name, default) in pairs {
                    let v = match self.build_arg(&name) {
                        Some(Some(v)) => Some(v),
                        _ => default.or_else(|| self.meta_lookup(&name)),
                    };
                    self.used_args.insert(name.clone());
                    resolved.push((name, v));
                }
                let desc = format!(
                    "ARG {}",
                    resolved
                        .iter()
                        .map(|(k, v)| match v {
                            Some(v) => format!("{k}={v}"),
                            None => k.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                st.args.extend(resolved);
                self.meta_step(st, &desc, |_| {})
            }
            "USER" => {
                let user =
                    lex::word(self.text(ins)?, &|n| st.lookup(n), esc).map_err(|e| bad(ins, e))?;
                self.meta_step(st, &format!("USER {user}"), |st| {
                    st.config.config.user = user
                })
            }
            "EXPOSE" => {
                let words =
                    lex::words(self.text(ins)?, &|n| st.lookup(n), esc).map_err(|e| bad(ins, e))?;
                let mut ports = Vec::new();
                for w in &words {
                    ports.extend(wharf_image::changes::parse_ports(w).map_err(|e| bad(ins, e))?);
                }
                self.meta_step(st, &format!("EXPOSE {}", ports.join(" ")), |st| {
                    let map = st
                        .config
                        .config
                        .exposed_ports
                        .get_or_insert_with(BTreeMap::new);
                    for p in ports {
                        map.insert(p, Empty {});
                    }
                })
            }
            "VOLUME" => {
                let paths = match &ins.args {
                    Args::Json(v) => v
                        .iter()
                        .map(|p| lex::word(p, &|n| st.lookup(n), esc))
                        .collect::<std::result::Result<Vec<_>, _>>(),
                    Args::Text(t) => lex::words(t, &|n| st.lookup(n), esc),
                }
                .map_err(|e| bad(ins, e))?;
                if paths.is_empty() || paths.iter().any(|p| p.trim().is_empty()) {
                    return Err(bad(ins, "VOLUME specified can not be an empty string"));
                }
                self.meta_step(st, &format!("VOLUME {paths:?}"), |st| {
                    let v = st.config.config.volumes.get_or_insert_with(BTreeMap::new);
                    for p in paths {
                        v.insert(p, Empty {});
                    }
                })
            }
            "STOPSIGNAL" => {
                let sig =
                    lex::word(self.text(ins)?, &|n| st.lookup(n), esc).map_err(|e| bad(ins, e))?;
                if !wharf_image::changes::valid_signal(&sig) {
                    return Err(bad(ins, format!("invalid signal: {sig}")));
                }
                self.meta_step(st, &format!("STOPSIGNAL {sig}"), |st| {
                    st.config.config.stop_signal = Some(sig)
                })
            }
            "CMD" => {
                let argv = self.argv(st, ins);
                self.meta_step(st, &format!("CMD {argv:?}"), |st| {
                    st.config.config.cmd = Some(argv);
                    st.cmd_set = true;
                })
            }
            "ENTRYPOINT" => {
                let argv = self.argv(st, ins);
                let reset_cmd = !st.cmd_set;
                self.meta_step(st, &format!("ENTRYPOINT {argv:?}"), |st| {
                    st.config.config.entrypoint = Some(argv);
                    if reset_cmd {
                        st.config.config.cmd = None;
                    }
                })
            }
            "SHELL" => {
                let Args::Json(v) = &ins.args else {
                    return Err(bad(ins, "SHELL requires the arguments to be in JSON form"));
                };
                let v = v.clone();
                self.meta_step(st, &format!("SHELL {v:?}"), |st| {
                    st.config.config.shell = Some(v)
                })
            }
            "HEALTHCHECK" => {
                let mut text = ins.flags.join(" ");
                text.push(' ');
                text.push_str(self.text(ins).unwrap_or(""));
                let shell = st.shell();
                let hc = wharf_image::changes::healthcheck(text.trim(), Some(&shell))
                    .map_err(|e| bad(ins, e))?;
                self.meta_step(st, &format!("HEALTHCHECK {hc}"), |st| {
                    st.config.config.healthcheck = Some(hc)
                })
            }
            "ONBUILD" => {
                let trigger = self.text(ins)?.to_string();
                let (kw, rest) = trigger
                    .split_once(char::is_whitespace)
                    .unwrap_or((trigger.as_str(), ""));
                let trigger = format!("{} {}", kw.to_ascii_uppercase(), rest.trim());
                self.meta_step(st, &format!("ONBUILD {trigger}"), |st| {
                    st.config
                        .config
                        .on_build
                        .get_or_insert_with(Vec::new)
                        .push(trigger)
                })
            }
            "WORKDIR" => self.workdir(st, ins),
            "RUN" => self.run_step(st, ins),
            "COPY" | "ADD" => self.copy(st, ins),
            other => Err(bad(ins, format!("unknown instruction: {other}"))),
        }
    }

    fn workdir(&mut self, st: &mut Stage, ins: &Instruction) -> Result<()> {
        let dir =
            lex::word(self.text(ins)?, &|n| st.lookup(n), self.escape).map_err(|e| bad(ins, e))?;
        let base = if st.config.config.working_dir.is_empty() {
            "/".to_string()
        } else {
            st.config.config.working_dir.clone()
        };
        let abs = if dir.starts_with('/') {
            dir
        } else {
            format!("{base}/{dir}")
        };
        let abs = format!("/{}", wharf_build::ignore::clean(&abs));
        let desc = format!("WORKDIR {abs}");
        let (key, hit) = self.cached(st, &desc);
        if hit {
            return Ok(());
        }
        st.config.config.working_dir = abs.clone();
        let layer = self.snapshot_step(st, |root| {
            fsops::mkdir_in_root(root, &abs, None)
                .map(|_| ())
                .map_err(|e| Error::invalid(format!("WORKDIR {abs}: {e}")))
        })?;
        self.commit(
            st,
            &key,
            &format!("/bin/sh -c #(nop) {desc}"),
            layer.as_deref(),
        )
    }

    /// Runs `f` on the stage's root in an overlay snapshot; returns the
    /// packed layer, or None when nothing changed.
    fn snapshot_step(
        &mut self,
        st: &Stage,
        f: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<Option<PathBuf>> {
        let layers = self.layer_dirs(&st.image_id)?;
        let mut snap = Snapshot::prepare(&self.scratch, &layers)?;
        f(&snap.merged)?;
        snap.unmount()?;
        if snap.upper_is_empty() {
            return Ok(None);
        }
        self.pack(&snap.upper).map(Some)
    }

    fn pack(&mut self, upper: &Path) -> Result<PathBuf> {
        self.seq += 1;
        let out = self.scratch.join(format!("layer-{}.tar", self.seq));
        let f = fs::File::create(&out)?;
        let w = wharf_image::pack_upper(upper, std::io::BufWriter::new(f))?;
        w.into_inner()
            .map_err(|e| Error::internal(format!("writing layer: {e}")))?
            .sync_all()?;
        Ok(out)
    }

    fn layer_dirs(&self, image_id: &str) -> Result<Vec<PathBuf>> {
        if image_id.is_empty() {
            return Ok(Vec::new());
        }
        let img = self.d.images.resolve(image_id).map_err(crate::kinded)?;
        Ok(self.d.images.layer_dirs(&img))
    }

    fn run_step(&mut self, st: &mut Stage, ins: &Instruction) -> Result<()> {
        if !ins.flags.is_empty() {
            return Err(bad(
                ins,
                format!("{} is only supported by BuildKit", ins.flags.join(" ")),
            ));
        }
        let mut argv = self.argv(st, ins);
        if !ins.heredocs.is_empty() {
            if let Args::Text(t) = &ins.args {
                let only_heredoc = wharf_build::parser::is_heredoc_word(t.trim()).is_some()
                    && ins.heredocs.len() == 1;
                let script = if only_heredoc {
                    ins.heredocs[0].content.clone()
                } else {
                    let mut s = t.clone();
                    s.push('\n');
                    for h in &ins.heredocs {
                        s.push_str(&h.content);
                        s.push_str(&h.name);
                        s.push('\n');
                    }
                    s
                };
                argv = st.shell();
                argv.push(script);
            }
        }
        // Build args the step sees, unless ENV shadows them.
        let env = st.env();
        let mut arg_env: Vec<String> = Vec::new();
        let shadowed = |n: &str| env.iter().any(|e| e.starts_with(&format!("{n}=")));
        for (n, v) in &st.args {
            if let Some(v) = v {
                if !shadowed(n) && !arg_env.iter().any(|e| e.starts_with(&format!("{n}="))) {
                    arg_env.push(format!("{n}={v}"));
                }
            }
        }
        for p in PREDEFINED {
            if let Some(Some(v)) = self.build_arg(p) {
                arg_env.push(format!("{p}={v}"));
            }
        }
        let shown = argv.join(" ");
        let created_by = if arg_env.is_empty() {
            shown.clone()
        } else {
            format!("|{} {} {shown}", arg_env.len(), arg_env.join(" "))
        };
        let key = format!("RUN {argv:?} {arg_env:?}");
        let (key, hit) = self.cached(st, &key);
        if hit {
            return Ok(());
        }
        if st.image_id.is_empty() {
            return Err(bad(ins, "cannot run a command in an empty (scratch) stage"));
        }
        let mut full_env = env.clone();
        full_env.extend(arg_env);
        let spec = RunSpec {
            image_id: st.image_id.clone(),
            argv,
            env: full_env,
            user: st.config.config.user.clone(),
            workdir: st.config.config.working_dir.clone(),
        };
        let d = self.d.clone();
        let progress = self.progress;
        let (container, code) = self.handle.block_on(run::run(&d, spec, progress))?;
        if code != 0 {
            if self.opts.force_rm {
                self.handle.block_on(container.remove(&d));
            }
            return Err(Error::invalid(format!(
                "The command '{shown}' returned a non-zero code: {code}"
            )));
        }
        let upper = d.paths(&container.id).upper();
        let packed = self.pack(&upper);
        let short = container.id[..12].to_string();
        if self.opts.rm || self.opts.force_rm || packed.is_err() {
            self.handle.block_on(container.remove(&d));
            self.progress
                .stream(&format!(" ---> Removed intermediate container {short}\n"));
        }
        let tar = packed?;
        self.commit(st, &key, &created_by, Some(&tar))
    }

    fn copy(&mut self, st: &mut Stage, ins: &Instruction) -> Result<()> {
        let what = ins.keyword.clone();
        let is_add = what == "ADD";
        let esc = self.escape;
        let mut from = None;
        let mut chown = None;
        let mut chmod = None;
        for f in &ins.flags {
            let (name, value) = f
                .trim_start_matches("--")
                .split_once('=')
                .unwrap_or((f.trim_start_matches("--"), ""));
            let value = lex::word(value, &|n| st.lookup(n), esc).map_err(|e| bad(ins, e))?;
            match name {
                "from" if !is_add => from = Some(value),
                "chown" => chown = Some(value),
                "chmod" => {
                    chmod = Some(
                        u32::from_str_radix(&value, 8)
                            .ok()
                            .filter(|m| *m <= 0o7777)
                            .ok_or_else(|| bad(ins, format!("invalid chmod parameter: {value}")))?,
                    )
                }
                "link" => {}
                other => return Err(bad(ins, format!("--{other} is only supported by BuildKit"))),
            }
        }
        let mut words = match &ins.args {
            Args::Json(v) => v
                .iter()
                .map(|w| lex::word(w, &|n| st.lookup(n), esc))
                .collect::<std::result::Result<Vec<_>, _>>(),
            Args::Text(t) => lex::words(t, &|n| st.lookup(n), esc),
        }
        .map_err(|e| bad(ins, e))?;
        let dest_raw = words.pop().unwrap_or_default();
        if words.is_empty() {
            return Err(bad(ins, format!("{what} requires at least two arguments")));
        }
        let wd = if st.config.config.working_dir.is_empty() {
            "/".to_string()
        } else {
            st.config.config.working_dir.clone()
        };
        let dir_dest = dest_raw.ends_with('/') || dest_raw == "." || dest_raw.ends_with("/.");
        let dest = if dest_raw.starts_with('/') {
            dest_raw.clone()
        } else {
            format!("{wd}/{dest_raw}")
        };
        let dest = format!("/{}", wharf_build::ignore::clean(&dest));

        // Sources: heredocs and URLs are written to scratch files; the
        // rest come from the context or the --from image.
        self.seq += 1;
        let inline_dir = self.scratch.join(format!("inline-{}", self.seq));
        let mut inline: Vec<String> = Vec::new();
        let mut named: Vec<String> = Vec::new();
        let mut url_files: Vec<String> = Vec::new();
        for w in words {
            if let Some(name) = wharf_build::parser::is_heredoc_word(&w) {
                let h = ins
                    .heredocs
                    .iter()
                    .find(|h| h.name == name)
                    .ok_or_else(|| bad(ins, format!("no heredoc named {name}")))?;
                fs::create_dir_all(&inline_dir)?;
                fs::write(inline_dir.join(name), &h.content)?;
                inline.push(name.to_string());
            } else if w.starts_with("http://") || w.starts_with("https://") {
                if !is_add {
                    return Err(bad(ins, format!("source can't be a URL for COPY: {w}")));
                }
                fs::create_dir_all(&inline_dir)?;
                let name = super::fetch::download(&w, &inline_dir)
                    .map_err(|e| bad(ins, format!("cannot download {w}: {e}")))?;
                url_files.push(name);
            } else {
                named.push(w);
            }
        }
        let mut view = None;
        let (src_root, from_id): (PathBuf, Option<String>) = match &from {
            Some(f) => {
                let lower = f.to_ascii_lowercase();
                let stage = self
                    .done
                    .iter()
                    .enumerate()
                    .find(|(i, (n, _))| n.as_deref() == Some(lower.as_str()) || i.to_string() == *f)
                    .map(|(_, (_, id))| id.clone());
                let img = match stage {
                    Some(id) if id.is_empty() => None,
                    Some(id) => Some(self.d.images.resolve(&id).map_err(crate::kinded)?),
                    None => Some(self.image_for(f).map_err(|e| {
                        bad(
                            ins,
                            format!("--from={f}: no stage or image of that name: {}", e.message),
                        )
                    })?),
                };
                let layers = match &img {
                    Some(i) => {
                        self.txn.hold(i);
                        self.d.images.layer_dirs(i)
                    }
                    None => Vec::new(),
                };
                let v = View::open(&self.scratch, &layers)?;
                let root = v.root.clone();
                view = Some(v);
                (root, Some(img.map(|i| i.id).unwrap_or_default()))
            }
            None => (self.ctx.root.clone(), None),
        };
        let selected = context::select(&src_root, &named, &what).map_err(|e| {
            if from.is_some() {
                Error::invalid(e.message.replace(
                    "file not found in build context or excluded by .dockerignore: ",
                    "",
                ))
            } else {
                e
            }
        })?;
        let count = selected.len() + inline.len() + url_files.len();
        let globbed = named.iter().any(|n| wharf_build::glob::has_meta(n));
        if (count > 1 || globbed) && !dir_dest {
            return Err(bad(
                ins,
                format!("When using {what} with more than one source file, the destination must be a directory and end with a /"),
            ));
        }
        let content = match &from_id {
            Some(id) => format!("{id} {selected:?}"),
            None => fsops::hash_sources(&src_root, &selected)?,
        };
        let inline_hash = fsops::hash_sources(
            &inline_dir,
            &inline
                .iter()
                .chain(url_files.iter())
                .cloned()
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default();
        let desc = format!(
            "{what} {:?} {chown:?} {chmod:?} {content} {inline_hash} {dest}{}",
            from_id,
            if dir_dest { "/" } else { "" }
        );
        let (key, hit) = self.cached(st, &desc);
        if hit {
            return Ok(());
        }
        let scratch = self.scratch.clone();
        let seq = self.seq;
        let layer = self.snapshot_step(st, |root| {
            let owner = match &chown {
                Some(spec) => {
                    let u = crate::container::user::resolve(root, spec).map_err(|e| {
                        Error::invalid(format!("{what} --chown={spec}: {}", e.message))
                    })?;
                    Some((u.uid, u.gid))
                }
                None => None,
            };
            let attrs = Attrs {
                owner,
                keep_owner: from.is_some(),
                mode: chmod,
            };
            let io = |e: std::io::Error| Error::invalid(format!("{what} failed: {e}"));
            let mut items: Vec<(PathBuf, String, Attrs)> = Vec::new();
            for rel in &selected {
                let p = if rel.is_empty() {
                    src_root.clone()
                } else {
                    fsops::resolve_in_root(&src_root, rel, true)
                };
                items.push((p, rel.clone(), attrs));
            }
            for n in inline.iter() {
                items.push((inline_dir.join(n), n.clone(), attrs));
            }
            for n in url_files.iter() {
                let mut a = attrs;
                a.mode = Some(chmod.unwrap_or(0o600));
                items.push((inline_dir.join(n), n.clone(), a));
            }
            for (src, rel, attrs) in items {
                let meta = fs::symlink_metadata(&src).map_err(io)?;
                let base = Path::new(&rel)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if meta.is_dir() {
                    let target = fsops::mkdir_in_root(root, &dest, owner).map_err(io)?;
                    let mut names: Vec<_> = fs::read_dir(&src)
                        .map_err(io)?
                        .map(|e| e.map(|e| e.file_name()))
                        .collect::<std::io::Result<_>>()
                        .map_err(io)?;
                    names.sort();
                    for n in names {
                        fsops::copy_entry(&src.join(&n), &target.join(&n), attrs).map_err(io)?;
                    }
                } else if is_add
                    && from.is_none()
                    && !url_files.contains(&rel)
                    && fsops::looks_like_archive(&src)
                {
                    let target = fsops::mkdir_in_root(root, &dest, owner).map_err(io)?;
                    let tmp = scratch.join(format!("extract-{seq}-{base}"));
                    let f = fs::File::open(&src).map_err(io)?;
                    let r = wharf_image::layer::decompress(f)
                        .map_err(|e| Error::invalid(format!("ADD {rel}: {e}")))?;
                    wharf_image::unpack_tar(r, &tmp)
                        .map_err(|e| Error::invalid(format!("ADD {rel}: {e}")))?;
                    let keep = Attrs {
                        owner,
                        keep_owner: true,
                        mode: chmod,
                    };
                    let mut names: Vec<_> = fs::read_dir(&tmp)
                        .map_err(io)?
                        .map(|e| e.map(|e| e.file_name()))
                        .collect::<std::io::Result<_>>()
                        .map_err(io)?;
                    names.sort();
                    for n in names {
                        fsops::copy_entry(&tmp.join(&n), &target.join(&n), keep).map_err(io)?;
                    }
                    let _ = fs::remove_dir_all(&tmp);
                } else {
                    let existing_dir = fs::metadata(fsops::resolve_in_root(root, &dest, true))
                        .is_ok_and(|m| m.is_dir());
                    let target = if dir_dest || existing_dir {
                        fsops::mkdir_in_root(root, &dest, owner)
                            .map_err(io)?
                            .join(&base)
                    } else {
                        let parent = Path::new(&dest)
                            .parent()
                            .map(|p| p.to_string_lossy().into_owned())
                            .unwrap_or_else(|| "/".into());
                        let pdir = fsops::mkdir_in_root(root, &parent, owner).map_err(io)?;
                        let name = Path::new(&dest)
                            .file_name()
                            .map(|n| n.to_os_string())
                            .unwrap_or_default();
                        pdir.join(name)
                    };
                    fsops::copy_entry(&src, &target, attrs).map_err(io)?;
                }
            }
            Ok(())
        })?;
        drop(view);
        let _ = fs::remove_dir_all(self.scratch.join(format!("inline-{seq}")));
        let shown = if from_id.is_some() {
            format!(
                "{what} --from={} {} in {dest}",
                from.unwrap_or_default(),
                selected.join(" ")
            )
        } else {
            format!(
                "{what} {}:{} in {dest} ",
                if is_add { "multi" } else { "file" },
                &content[..content.len().min(64)]
            )
        };
        self.commit(
            st,
            &key,
            &format!("/bin/sh -c #(nop) {shown}"),
            layer.as_deref(),
        )
    }
}
