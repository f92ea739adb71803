//! `NetworkStore`: the daemon's single entry point to networks. It keeps the
//! records on disk (`<data-root>/network/<id>.json`, written crash-safe),
//! resolves names and ids, allocates addresses, drives the drivers and the
//! firewall, and holds the table of live endpoints that the embedded DNS
//! reads through [`NameTable`]. Container references (which make a network
//! "in use") and live endpoints are kept in memory: the daemon rebuilds them
//! from its container records at start-up.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use ipnet::IpNet;
use wharf_api::network::{
    ConfigReference, Ipam, IpamConfig, NetworkContainer, NetworkCreateRequest, NetworkResource,
};

use crate::dns::NameTable;
use crate::driver::{BridgeDriver, NetworkDriver, NoopDriver};
use crate::error::{NetworkError, Result};
use crate::firewall::{FirewallDriver, NetworkRules};
use crate::ipam::{self, Pool};
use crate::name::NetworkName;
use crate::record::{
    format_mac, mac_for, parse_mac, random_hex, Endpoint, EndpointConfig, Network,
    BRIDGE_NAME_OPTION,
};

/// How the daemon's default bridge is made (`--bridge`, `--bip`).
#[derive(Debug, Clone, Default)]
pub struct DefaultBridge {
    /// Linux bridge name; `wharf0` when empty.
    pub name: String,
    /// Gateway address with prefix (`172.17.0.1/16`); the first free
    /// default pool when empty.
    pub bip: String,
}

/// A container as the network layer sees it.
#[derive(Debug, Clone)]
pub struct ContainerRef<'a> {
    pub id: &'a str,
    /// Without the leading slash.
    pub name: &'a str,
    /// The pinned network namespace.
    pub netns: &'a Path,
}

#[derive(Default)]
struct Inner {
    nets: BTreeMap<String, Network>,
    /// network id → containers referring to it (running or not).
    refs: HashMap<String, BTreeSet<String>>,
    /// container id → (container name, live endpoints).
    endpoints: HashMap<String, (String, Vec<Endpoint>)>,
}

/// How long a released namespace's veth may take to go before the reaper
/// deletes it.
pub const DYING_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

pub struct NetworkStore {
    root: PathBuf,
    inner: Mutex<Inner>,
    drivers: BTreeMap<String, Arc<dyn NetworkDriver>>,
    firewall: Mutex<Option<Arc<dyn FirewallDriver>>>,
    /// Host ports in use by published ports.
    ports: crate::ports::PortAllocator,
    /// Endpoints whose namespace was released and whose veth the kernel
    /// is still tearing down: their addresses stay taken until it is gone.
    dying: Arc<Mutex<Vec<Endpoint>>>,
    /// Removed networks whose bridge and rules are still being torn down
    /// (see [`crate::teardown`]).
    teardowns: Arc<crate::teardown::Teardowns>,
}

/// How long a create waits for the teardown of a removed network it
/// would collide with (normally ~70 ms).
const TEARDOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// How long daemon shutdown waits for pending teardowns; past it their
/// intents are finished by the next start.
const SHUTDOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The host end of an endpoint this engine made: `veth` and 7 hex digits
/// (see [`NetworkStore::connect`]).
pub(crate) fn is_engine_veth(name: &str) -> bool {
    name.len() == 11
        && name.starts_with("veth")
        && name[4..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn io<'a>(op: &'static str, name: &'a str) -> impl FnOnce(std::io::Error) -> NetworkError + 'a {
    move |source| NetworkError::Io {
        op,
        name: name.to_string(),
        source,
    }
}

fn now() -> String {
    chrono_like_now()
}

/// RFC 3339 with nanoseconds, UTC, without a date library.
fn chrono_like_now() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_nanos()
    )
}

/// The drivers every store has: `bridge`, `host` and `null`.
fn builtin_drivers() -> BTreeMap<String, Arc<dyn NetworkDriver>> {
    let mut drivers: BTreeMap<String, Arc<dyn NetworkDriver>> = BTreeMap::new();
    drivers.insert("bridge".into(), Arc::new(BridgeDriver));
    drivers.insert("host".into(), Arc::new(NoopDriver("host")));
    drivers.insert("null".into(), Arc::new(NoopDriver("null")));
    drivers
}

impl NetworkStore {
    /// Opens the store under `root` (`<data-root>/network`), makes the three
    /// predefined networks on first start, and sets up every bridge network
    /// (links and firewall) so running containers find them after a restart.
    pub fn open(
        root: &Path,
        default_bridge: &DefaultBridge,
        firewall: Option<Arc<dyn FirewallDriver>>,
    ) -> Result<Self> {
        Self::open_with(root, default_bridge, firewall, builtin_drivers())
    }

    pub fn open_with(
        root: &Path,
        default_bridge: &DefaultBridge,
        firewall: Option<Arc<dyn FirewallDriver>>,
        drivers: BTreeMap<String, Arc<dyn NetworkDriver>>,
    ) -> Result<Self> {
        let store = Self::open_records(root, default_bridge, firewall, drivers)?;
        store.bring_up();
        Ok(store)
    }

    /// [`NetworkStore::open`] without touching the host: the records are
    /// read (and the predefined ones made), and [`NetworkStore::bring_up`]
    /// makes the host side later. The daemon serves its first `/_ping` in
    /// between (nothing that looks at a network is answered before).
    pub fn open_deferred(
        root: &Path,
        default_bridge: &DefaultBridge,
        firewall: Option<Arc<dyn FirewallDriver>>,
    ) -> Result<Self> {
        Self::open_records(root, default_bridge, firewall, builtin_drivers())
    }

    fn open_records(
        root: &Path,
        default_bridge: &DefaultBridge,
        firewall: Option<Arc<dyn FirewallDriver>>,
        drivers: BTreeMap<String, Arc<dyn NetworkDriver>>,
    ) -> Result<Self> {
        std::fs::create_dir_all(root).map_err(io("open", "store"))?;
        let store = NetworkStore {
            root: root.to_path_buf(),
            inner: Mutex::new(Inner::default()),
            drivers,
            firewall: Mutex::new(firewall),
            ports: crate::ports::PortAllocator::new(),
            dying: Arc::default(),
            teardowns: Arc::default(),
        };
        store.load()?;
        store.ensure_predefined(default_bridge)?;
        Ok(store)
    }

    /// The host side of every network: the firewall table, the undoing of
    /// a create or remove a crash interrupted, and each bridge network's
    /// links and rules (made again when the host lost them).
    pub fn bring_up(&self) {
        let store = self;
        if let Some(fw) = store.firewall() {
            if let Err(e) = fw.init() {
                // Containers still get links and addresses; NAT, isolation
                // and published ports are what is missing.
                tracing::warn!(error = %e, "firewall unavailable: no masquerade, isolation or published ports");
                *store.firewall.lock().unwrap_or_else(|e| e.into_inner()) = None;
            }
        }
        store.undo_pending();
        let nets: Vec<Network> = store.lock().nets.values().cloned().collect();
        for n in nets.iter().filter(|n| n.driver == "bridge") {
            if let Err(e) = store.setup(n) {
                tracing::warn!(network = %n.name, error = %e, "cannot set up network");
            }
        }
    }

    fn firewall(&self) -> Option<Arc<dyn FirewallDriver>> {
        self.firewall
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn load(&self) -> Result<()> {
        let mut inner = self.lock();
        for e in std::fs::read_dir(&self.root)
            .map_err(io("load", "store"))?
            .flatten()
        {
            let p = e.path();
            if p.extension().and_then(|x| x.to_str()) != Some("json") {
                continue;
            }
            match std::fs::read(&p)
                .ok()
                .and_then(|b| serde_json::from_slice::<Network>(&b).ok())
            {
                Some(n) => {
                    inner.nets.insert(n.id.clone(), n);
                }
                None => tracing::warn!(path = %p.display(), "skipping unreadable network record"),
            }
        }
        Ok(())
    }

    /// Where a network's intent is written while its host side is made or
    /// removed: a crash in between leaves the intent, and the next start
    /// undoes its host side (the bridge and firewall rules of a network
    /// with no record).
    fn pending_path(&self, id: &str) -> PathBuf {
        self.root.join("pending").join(format!("{id}.json"))
    }

    fn write_intent(&self, n: &Network) -> Result<()> {
        let data = serde_json::to_vec(n).map_err(|e| NetworkError::Io {
            op: "save",
            name: n.name.clone(),
            source: std::io::Error::other(e),
        })?;
        std::fs::create_dir_all(self.root.join("pending")).map_err(io("save", &n.name))?;
        wharf_sys::fs::write_atomic(&self.pending_path(&n.id), &data).map_err(io("save", &n.name))
    }

    fn clear_intent(&self, id: &str) {
        let _ = std::fs::remove_file(self.pending_path(id));
    }

    /// Start-up: a network create or remove a crash interrupted. A network
    /// with a record is kept (its create finished; `setup` makes its host
    /// side again); one without has its bridge and firewall rules removed.
    fn undo_pending(&self) {
        let Ok(entries) = std::fs::read_dir(self.root.join("pending")) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            let n = std::fs::read(&p)
                .ok()
                .and_then(|b| serde_json::from_slice::<Network>(&b).ok());
            if let Some(n) = n {
                if !self.lock().nets.contains_key(&n.id) {
                    tracing::warn!(network = %n.name, "a network create or remove was interrupted: removing its bridge and firewall rules");
                    for e in self.teardown(&n) {
                        tracing::debug!(network = %n.name, error = %e, "interrupted network teardown");
                    }
                }
            }
            let _ = std::fs::remove_file(&p);
        }
    }

    fn save(&self, n: &Network) -> Result<()> {
        let data = serde_json::to_vec_pretty(n).map_err(|e| NetworkError::Io {
            op: "save",
            name: n.name.clone(),
            source: std::io::Error::other(e),
        })?;
        wharf_sys::fs::write_atomic(&self.root.join(format!("{}.json", n.id)), &data)
            .map_err(io("save", &n.name))
    }

    fn ensure_predefined(&self, db: &DefaultBridge) -> Result<()> {
        let bridge_name = if db.name.is_empty() {
            "wharf0".to_string()
        } else {
            db.name.clone()
        };
        let existing: Option<Network> = self
            .lock()
            .nets
            .values()
            .find(|n| n.predefined && n.name == "bridge")
            .cloned();
        let pool = if !db.bip.is_empty() {
            let gw: IpNet = db
                .bip
                .parse()
                .map_err(|_| NetworkError::invalid(format!("invalid --bip {:?}", db.bip)))?;
            Some(Pool {
                subnet: gw.trunc(),
                gateway: gw.addr(),
                ip_range: None,
                user_subnet: true,
            })
        } else {
            None
        };
        match existing {
            Some(mut n) => {
                // The flags of this start win over the stored record.
                let mut changed = false;
                if n.bridge != bridge_name {
                    n.bridge = bridge_name.clone();
                    n.options
                        .insert(BRIDGE_NAME_OPTION.into(), bridge_name.clone());
                    changed = true;
                }
                if let Some(p) = pool {
                    if n.pools != vec![p.clone()] {
                        n.pools = vec![p];
                        changed = true;
                    }
                }
                if changed {
                    self.save(&n)?;
                    self.lock().nets.insert(n.id.clone(), n);
                }
            }
            None => {
                let pool = match pool {
                    Some(p) => p,
                    None => {
                        let used = self.used_subnets();
                        let sub = ipam::pick_subnet(&ipam::default_pools(), &used)
                            .ok_or_else(|| NetworkError::PoolsExhausted("bridge".into()))?;
                        let mut p = ipam::auto_pool(sub);
                        p.user_subnet = true;
                        p
                    }
                };
                let mut options = BTreeMap::new();
                for (k, v) in [
                    ("com.docker.network.bridge.default_bridge", "true"),
                    ("com.docker.network.bridge.enable_icc", "true"),
                    ("com.docker.network.bridge.enable_ip_masquerade", "true"),
                    ("com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"),
                    ("com.docker.network.driver.mtu", "1500"),
                ] {
                    options.insert(k.to_string(), v.to_string());
                }
                options.insert(BRIDGE_NAME_OPTION.into(), bridge_name.clone());
                let n = Network {
                    id: random_hex(32),
                    name: "bridge".into(),
                    created: now(),
                    driver: "bridge".into(),
                    internal: false,
                    attachable: false,
                    enable_ipv6: false,
                    pools: vec![pool],
                    options,
                    labels: BTreeMap::new(),
                    bridge: bridge_name,
                    predefined: true,
                };
                self.save(&n)?;
                self.lock().nets.insert(n.id.clone(), n);
            }
        }
        for (name, driver) in [("host", "host"), ("none", "null")] {
            if self
                .lock()
                .nets
                .values()
                .any(|n| n.predefined && n.name == name)
            {
                continue;
            }
            let n = Network {
                id: random_hex(32),
                name: name.into(),
                created: now(),
                driver: driver.into(),
                internal: false,
                attachable: false,
                enable_ipv6: false,
                pools: Vec::new(),
                options: BTreeMap::new(),
                labels: BTreeMap::new(),
                bridge: String::new(),
                predefined: true,
            };
            self.save(&n)?;
            self.lock().nets.insert(n.id.clone(), n);
        }
        Ok(())
    }

    /// Subnets taken: host routes plus our networks.
    fn used_subnets(&self) -> Vec<IpNet> {
        let mut used = ipam::host_routes();
        used.extend(
            self.lock()
                .nets
                .values()
                .flat_map(|n| n.pools.iter().map(|p| p.subnet)),
        );
        used.extend(self.teardowns.subnets());
        used
    }

    fn driver(&self, name: &str) -> Result<Arc<dyn NetworkDriver>> {
        self.drivers
            .get(name)
            .cloned()
            .ok_or_else(|| NetworkError::DriverNotFound(name.to_string()))
    }

    fn rules(n: &Network) -> NetworkRules {
        crate::teardown::rules(n)
    }

    /// Host side of a network: links, then firewall; undone on failure.
    fn setup(&self, n: &Network) -> Result<()> {
        let d = self.driver(&n.driver)?;
        d.setup_network(n)?;
        if n.driver == "bridge" {
            if let Some(fw) = self.firewall() {
                if let Err(e) = fw.add_network(&Self::rules(n)) {
                    let _ = d.teardown_network(n);
                    return Err(e.into());
                }
            }
        }
        Ok(())
    }

    /// Docker's lookup: full id, exact name, then unique id prefix.
    fn resolve(inner: &Inner, key: &str) -> Result<Network> {
        if let Some(n) = inner.nets.get(key) {
            return Ok(n.clone());
        }
        if let Some(n) = inner.nets.values().find(|n| n.name == key) {
            return Ok(n.clone());
        }
        if !key.is_empty() && key.chars().all(|c| c.is_ascii_hexdigit()) {
            let mut hits = inner.nets.values().filter(|n| n.id.starts_with(key));
            if let (Some(n), None) = (hits.next(), hits.next()) {
                return Ok(n.clone());
            }
        }
        Err(NetworkError::NotFound(key.to_string()))
    }

    pub fn get(&self, key: &str) -> Result<Network> {
        Self::resolve(&self.lock(), key)
    }

    /// Every network, by name.
    pub fn list(&self) -> Vec<Network> {
        let mut v: Vec<Network> = self.lock().nets.values().cloned().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// `POST /networks/create`: validates everything, then makes the
    /// network (bridge and firewall rules), then saves its record.
    pub fn create(&self, req: &NetworkCreateRequest) -> Result<Network> {
        let name = NetworkName::new(&req.name)?;
        let driver = if req.driver.is_empty() {
            "bridge"
        } else {
            req.driver.as_str()
        };
        if driver == "host" || driver == "null" {
            return Err(NetworkError::Conflict(format!(
                "only one instance of \"{driver}\" network is allowed"
            )));
        }
        let d = self.driver(driver)?;
        if let Some(ipam) = &req.ipam {
            if !ipam.driver.is_empty() && ipam.driver != "default" {
                return Err(NetworkError::DriverNotFound(ipam.driver.clone()));
            }
        }
        let configs: Vec<IpamConfig> = req
            .ipam
            .as_ref()
            .and_then(|i| i.config.clone())
            .unwrap_or_default();
        let mut pools = Vec::new();
        for c in &configs {
            if c.subnet.is_empty() {
                if !c.gateway.is_empty() || !c.ip_range.is_empty() {
                    return Err(NetworkError::invalid(
                        "invalid pool request: a gateway or ip-range needs a subnet",
                    ));
                }
                continue;
            }
            pools.push(ipam::user_pool(&c.subnet, &c.gateway, &c.ip_range)?);
        }
        let enable_ipv6 = req.enable_ipv6.unwrap_or(false);
        if pools.iter().any(|p| p.subnet.addr().is_ipv6()) && !enable_ipv6 {
            return Err(NetworkError::invalid(
                "an IPv6 subnet needs --ipv6 (EnableIPv6)",
            ));
        }
        for (i, a) in pools.iter().enumerate() {
            for b in &pools[i + 1..] {
                if ipam::overlaps(&a.subnet, &b.subnet) {
                    return Err(NetworkError::invalid(format!(
                        "invalid pool request: subnets {} and {} overlap",
                        a.subnet, b.subnet
                    )));
                }
            }
        }
        let options = req.options.clone().unwrap_or_default();
        let id = random_hex(32);
        let wanted_bridge = match driver {
            "bridge" => options
                .get(BRIDGE_NAME_OPTION)
                .cloned()
                .unwrap_or_else(|| format!("br-{}", &id[..12])),
            _ => String::new(),
        };
        let wanted_subnets: Vec<IpNet> = pools.iter().map(|p| p.subnet).collect();
        // A removed network whose bridge and rules are still going holds
        // its subnets and bridge name until they are gone: wait for it.
        let mut inner = loop {
            let inner = self.lock();
            let Some((gone, gone_name)) = self.teardowns.blocking(&wanted_subnets, &wanted_bridge)
            else {
                break inner;
            };
            drop(inner);
            tracing::debug!(network = %name, removed = %gone_name, "waiting for a removed network's teardown");
            if !self.teardowns.wait_gone(&gone, TEARDOWN_WAIT) {
                return Err(NetworkError::Conflict(format!(
                    "network {gone_name} is still being removed; its subnet or bridge cannot be reused yet"
                )));
            }
        };
        if inner.nets.values().any(|n| n.name == name.as_str()) {
            return Err(NetworkError::NameConflict(name.to_string()));
        }
        for p in &pools {
            if let Some(other) = inner
                .nets
                .values()
                .find(|n| n.pools.iter().any(|q| ipam::overlaps(&p.subnet, &q.subnet)))
            {
                return Err(NetworkError::Conflict(format!(
                    "invalid pool request: pool {} overlaps with network {} on this address space",
                    p.subnet, other.name
                )));
            }
        }
        let mut bridge = String::new();
        if driver == "bridge" {
            if !pools.iter().any(|p| p.subnet.addr().is_ipv4()) {
                let mut used = ipam::host_routes();
                used.extend(
                    inner
                        .nets
                        .values()
                        .flat_map(|n| n.pools.iter().map(|p| p.subnet)),
                );
                // Around a removed network still being torn down, as
                // Docker picks the next free pool.
                used.extend(self.teardowns.subnets());
                // 172.17.0.0/16 stays the default bridge's, as in Docker.
                let candidates: Vec<_> = ipam::default_pools().into_iter().skip(1).collect();
                let sub = ipam::pick_subnet(&candidates, &used)
                    .ok_or_else(|| NetworkError::PoolsExhausted(name.to_string()))?;
                pools.insert(0, ipam::auto_pool(sub));
            }
            bridge = wanted_bridge;
            if let Some(other) = inner.nets.values().find(|n| n.bridge == bridge) {
                return Err(NetworkError::Conflict(format!(
                    "bridge name {bridge} is already used by network {}",
                    other.name
                )));
            }
        }
        let n = Network {
            id,
            name: name.to_string(),
            created: now(),
            driver: driver.to_string(),
            internal: req.internal,
            attachable: req.attachable,
            enable_ipv6,
            pools,
            options,
            labels: req.labels.clone().unwrap_or_default(),
            bridge,
            predefined: false,
        };
        d.validate(&n)?;
        // Reserve the name and subnets while the links are made.
        inner.nets.insert(n.id.clone(), n.clone());
        drop(inner);
        let made = self
            .write_intent(&n)
            .and_then(|()| self.setup(&n))
            .and_then(|()| {
                self.save(&n).inspect_err(|_| {
                    self.teardown(&n);
                })
            });
        self.clear_intent(&n.id);
        if let Err(e) = made {
            self.lock().nets.remove(&n.id);
            return Err(e);
        }
        tracing::info!(network = %n.name, id = %n.short_id(), "network created");
        Ok(n)
    }

    /// Removes the host side of a network, collecting every failure.
    fn teardown(&self, n: &Network) -> Vec<NetworkError> {
        crate::teardown::teardown_host(self.driver(&n.driver), self.firewall(), n)
    }

    /// `DELETE /networks/{id}`: refused for the predefined networks and
    /// while a running container is attached. A stopped container does not
    /// hold it, as in Docker: its next start fails with `network … not
    /// found`. Returns once the record is gone (the network is no longer
    /// listed, inspected or connectable); the bridge and the firewall rules
    /// go on a thread of their own, under the removal's intent record
    /// (see [`crate::teardown`]).
    pub fn remove(&self, key: &str) -> Result<Network> {
        let n = {
            let inner = self.lock();
            let n = Self::resolve(&inner, key)?;
            if n.predefined {
                return Err(NetworkError::Predefined(n.name));
            }
            if Self::has_endpoints(&inner, &n.id) {
                return Err(NetworkError::InUse {
                    name: n.name,
                    id: n.id,
                });
            }
            n
        };
        // The record becomes the removal's intent in one rename: on disk
        // the network is recorded or being torn down, never neither, and
        // no byte is written (an intent written apart costs two fsyncs).
        // A rename a power cut loses brings the network back whole: its
        // next start makes its host side again.
        std::fs::create_dir_all(self.root.join("pending")).map_err(io("remove", &n.name))?;
        match std::fs::rename(
            self.root.join(format!("{}.json", n.id)),
            self.pending_path(&n.id),
        ) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.write_intent(&n)?,
            Err(e) => return Err(io("remove", &n.name)(e)),
        }
        {
            // One step under the table's lock: a create sees the network
            // either recorded or being torn down, never free too early.
            let mut inner = self.lock();
            inner.nets.remove(&n.id);
            self.teardowns.insert(n.clone());
        }
        crate::teardown::Job {
            network: n.clone(),
            driver: self.driver(&n.driver),
            firewall: self.firewall(),
            intent: self.pending_path(&n.id),
            teardowns: self.teardowns.clone(),
        }
        .spawn();
        tracing::info!(network = %n.name, "network removed");
        Ok(n)
    }

    /// Whether a running container is attached (Docker's "active
    /// endpoints": what blocks `network rm` and `prune`, and what `dangling`
    /// means).
    pub fn in_use(&self, id: &str) -> bool {
        Self::has_endpoints(&self.lock(), id)
    }

    fn has_endpoints(inner: &Inner, network_id: &str) -> bool {
        inner
            .endpoints
            .values()
            .any(|(_, eps)| eps.iter().any(|e| e.network_id == network_id))
    }

    pub fn add_ref(&self, network_id: &str, container_id: &str) {
        self.lock()
            .refs
            .entry(network_id.to_string())
            .or_default()
            .insert(container_id.to_string());
    }

    pub fn remove_ref(&self, network_id: &str, container_id: &str) {
        if let Some(s) = self.lock().refs.get_mut(network_id) {
            s.remove(container_id);
        }
    }

    /// Records endpoints that exist already (a running container found at
    /// daemon start-up), re-making any part the host lost.
    pub fn restore(&self, c: &ContainerRef<'_>, eps: &[Endpoint]) {
        self.lock()
            .endpoints
            .insert(c.id.to_string(), (c.name.to_string(), eps.to_vec()));
    }

    /// Daemon start, once every running container's endpoints are back in
    /// the table: deletes the veths on this store's bridges that belong to
    /// no endpoint (a connect killed before its record was saved, a
    /// disconnect killed after it). Only the engine's own `vethXXXXXXX`
    /// links are touched. Returns the names deleted.
    pub fn sweep_stray_veths(&self) -> Vec<String> {
        let bridges: Vec<String> = self
            .lock()
            .nets
            .values()
            .filter(|n| n.driver == "bridge" && !n.bridge.is_empty())
            .map(|n| n.bridge.clone())
            .collect();
        let mut deleted = Vec::new();
        for b in bridges {
            let dir = Path::new("/sys/class/net").join(&b).join("brif");
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                // Asked after the link was seen: `connect` enters an
                // endpoint in the table before it makes the veth, so a
                // start running meanwhile (a restart policy) is never hit.
                if !is_engine_veth(&name) || self.owns_veth(&name) {
                    continue;
                }
                match crate::netlink::delete_link(&name) {
                    Ok(()) => {
                        tracing::warn!(veth = %name, bridge = %b, "deleted a veth of no endpoint (an interrupted connect or disconnect)");
                        deleted.push(name);
                    }
                    Err(e) => {
                        tracing::warn!(veth = %name, error = %e, "cannot delete a stray veth")
                    }
                }
            }
        }
        deleted
    }

    /// Whether a live or dying endpoint has `veth` as its host end.
    fn owns_veth(&self, veth: &str) -> bool {
        let inner = self.lock();
        let dying = self.dying.lock().unwrap_or_else(|e| e.into_inner());
        inner
            .endpoints
            .values()
            .flat_map(|(_, eps)| eps.iter())
            .chain(dying.iter())
            .any(|e| e.host_veth == veth)
    }

    /// Checks what `connect` would refuse, without making anything.
    pub fn check_connect(&self, net: &Network, cfg: &EndpointConfig) -> Result<()> {
        let d = self.driver(&net.driver)?;
        if !d.connectable() {
            return Err(NetworkError::Conflict(format!(
                "container cannot be connected to network {}: {} networks are chosen with --network only",
                net.name, net.driver
            )));
        }
        if let Some(ip) = cfg.ipv4 {
            let pool = net.v4_pool().ok_or_else(|| {
                NetworkError::invalid(format!("network {} has no IPv4 subnet", net.name))
            })?;
            let taken = self.taken(&net.id);
            ipam::allocate(&net.name, pool, &taken, Some(ip))?;
        }
        if let Some(ip) = cfg.ipv6 {
            let pool = net.v6_pool().ok_or_else(|| {
                NetworkError::invalid(format!("network {} has no IPv6 subnet", net.name))
            })?;
            ipam::allocate(&net.name, pool, &self.taken(&net.id), Some(ip))?;
        }
        if let Some(m) = &cfg.mac {
            if parse_mac(m).is_none() {
                return Err(NetworkError::invalid(format!("invalid MAC address {m:?}")));
            }
        }
        if !net.is_default_bridge() {
            return Ok(());
        }
        if !cfg.aliases.is_empty() {
            return Err(NetworkError::invalid(
                "network-scoped aliases are only supported for user-defined networks",
            ));
        }
        Ok(())
    }

    fn taken(&self, network_id: &str) -> BTreeSet<IpAddr> {
        self.taken_in(&self.lock(), network_id)
    }

    fn taken_in(&self, inner: &Inner, network_id: &str) -> BTreeSet<IpAddr> {
        let dying = self.dying.lock().unwrap_or_else(|e| e.into_inner());
        inner
            .endpoints
            .values()
            .flat_map(|(_, eps)| eps.iter())
            .chain(dying.iter())
            .filter(|e| e.network_id == network_id)
            .flat_map(|e| [e.ipv4, e.ipv6])
            .flatten()
            .collect()
    }

    /// An exited container's endpoint, whose namespace the caller is about
    /// to release: the endpoint leaves the table now, and the kernel
    /// destroys the veth with the namespace, in its own clean-up work. An
    /// explicit delete would wait for an RCU grace period (about 20 ms of
    /// every stop). Its addresses stay taken until the host side is gone;
    /// a reaper deletes it should it outlive [`DYING_GRACE`] (a process
    /// still holding the namespace).
    pub fn release_with_namespace(&self, container_id: &str, ep: &Endpoint) {
        self.forget(container_id, &ep.endpoint_id);
        if ep.host_veth.is_empty() || !crate::netlink::link_present(&ep.host_veth) {
            return;
        }
        self.dying
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(ep.clone());
        let dying = self.dying.clone();
        let ep = ep.clone();
        std::thread::spawn(move || {
            let until = std::time::Instant::now() + DYING_GRACE;
            while crate::netlink::link_present(&ep.host_veth) {
                if std::time::Instant::now() > until {
                    if let Err(e) = crate::netlink::delete_link(&ep.host_veth) {
                        tracing::warn!(veth = %ep.host_veth, error = %e, "reaping a veth");
                    }
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            dying
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|e| e.endpoint_id != ep.endpoint_id);
        });
    }

    /// Connects a container's namespace to `net`: picks the addresses
    /// (reserved at once, so two connects never get the same), makes the
    /// interface, and returns the endpoint. Nothing is left on failure.
    pub fn connect(
        &self,
        net: &Network,
        c: &ContainerRef<'_>,
        cfg: &EndpointConfig,
        extra_dns_names: &[String],
    ) -> Result<Endpoint> {
        self.check_connect(net, cfg)?;
        let d = self.driver(&net.driver)?;
        let ep = {
            let mut inner = self.lock();
            let (_, existing) = inner
                .endpoints
                .get(c.id)
                .cloned()
                .unwrap_or_else(|| (c.name.to_string(), Vec::new()));
            if existing.iter().any(|e| e.network_id == net.id) {
                return Err(NetworkError::Conflict(format!(
                    "endpoint with name {} already exists in network {}",
                    c.name, net.name
                )));
            }
            let taken = self.taken_in(&inner, &net.id);
            let ipv4 = match net.v4_pool() {
                Some(p) => Some(ipam::allocate(&net.name, p, &taken, cfg.ipv4)?),
                None => None,
            };
            let ipv6 = match net.v6_pool() {
                Some(p) if net.enable_ipv6 => Some(ipam::allocate(&net.name, p, &taken, cfg.ipv6)?),
                _ => None,
            };
            let ifname = (0..)
                .map(|i| format!("eth{i}"))
                .find(|n| !existing.iter().any(|e| &e.ifname == n))
                .unwrap_or_else(|| "eth0".into());
            let endpoint_id = random_hex(32);
            let mac = cfg
                .mac
                .as_deref()
                .and_then(parse_mac)
                .unwrap_or_else(|| mac_for(ipv4));
            let mut dns_names = Vec::new();
            if !net.is_default_bridge() {
                dns_names.push(c.name.to_string());
                dns_names.extend(cfg.aliases.iter().cloned());
                dns_names.push(c.id[..12.min(c.id.len())].to_string());
                for n in extra_dns_names {
                    if !dns_names.contains(n) {
                        dns_names.push(n.clone());
                    }
                }
            }
            let ep = Endpoint {
                host_veth: format!("veth{}", &endpoint_id[..7]),
                endpoint_id,
                network_id: net.id.clone(),
                network_name: net.name.clone(),
                ifname,
                ipv4,
                ipv4_prefix: net.v4_pool().map_or(0, |p| p.subnet.prefix_len()),
                gateway: if net.internal {
                    None
                } else {
                    net.v4_pool().map(|p| p.gateway)
                },
                ipv6,
                ipv6_prefix: net.v6_pool().map_or(0, |p| p.subnet.prefix_len()),
                ipv6_gateway: net.v6_pool().map(|p| p.gateway),
                mac: format_mac(&mac),
                aliases: cfg.aliases.clone(),
                dns_names,
            };
            let entry = inner
                .endpoints
                .entry(c.id.to_string())
                .or_insert_with(|| (c.name.to_string(), Vec::new()));
            entry.1.push(ep.clone());
            ep
        };
        let first = ep.ifname == "eth0";
        if let Err(e) = d.connect(net, &ep, c.netns, first) {
            self.forget(c.id, &ep.endpoint_id);
            return Err(e);
        }
        tracing::info!(container_id = %c.id, network = %net.name, ip = ?ep.ipv4, "endpoint connected");
        Ok(ep)
    }

    fn forget(&self, container_id: &str, endpoint_id: &str) {
        let mut inner = self.lock();
        if let Some((_, eps)) = inner.endpoints.get_mut(container_id) {
            eps.retain(|e| e.endpoint_id != endpoint_id);
            if eps.is_empty() {
                inner.endpoints.remove(container_id);
            }
        }
    }

    /// Removes an endpoint's interface and releases its addresses. `netns`
    /// is `None` when the namespace is already gone. The endpoint is
    /// forgotten even when the driver reports an error.
    pub fn disconnect(
        &self,
        container_id: &str,
        ep: &Endpoint,
        netns: Option<&Path>,
    ) -> Result<()> {
        self.forget(container_id, &ep.endpoint_id);
        let net = match self.get(&ep.network_id) {
            Ok(n) => n,
            // The network is gone: only the host veth can be left.
            Err(_) => {
                if !ep.host_veth.is_empty() {
                    let _ = crate::netlink::delete_link(&ep.host_veth);
                }
                return Ok(());
            }
        };
        self.driver(&net.driver)?.disconnect(&net, ep, netns)
    }

    /// A renamed container answers to its new name in the embedded DNS.
    pub fn rename_container(&self, container_id: &str, old: &str, new: &str) {
        if let Some((name, eps)) = self.lock().endpoints.get_mut(container_id) {
            *name = new.to_string();
            for e in eps.iter_mut() {
                crate::record::rename_dns(e, old, new);
            }
        }
    }

    /// Live endpoints of a container.
    pub fn endpoints_of(&self, container_id: &str) -> Vec<Endpoint> {
        self.lock()
            .endpoints
            .get(container_id)
            .map(|(_, e)| e.clone())
            .unwrap_or_default()
    }

    /// Docker's view of a network, with its live containers.
    pub fn resource(&self, n: &Network) -> NetworkResource {
        let inner = self.lock();
        let mut containers = BTreeMap::new();
        for (cid, (cname, eps)) in &inner.endpoints {
            for e in eps.iter().filter(|e| e.network_id == n.id) {
                containers.insert(
                    cid.clone(),
                    NetworkContainer {
                        name: cname.clone(),
                        endpoint_id: e.endpoint_id.clone(),
                        mac_address: e.mac.clone(),
                        ipv4_address: e
                            .ipv4
                            .map(|ip| format!("{ip}/{}", e.ipv4_prefix))
                            .unwrap_or_default(),
                        ipv6_address: e
                            .ipv6
                            .map(|ip| format!("{ip}/{}", e.ipv6_prefix))
                            .unwrap_or_default(),
                    },
                );
            }
        }
        let config: Vec<IpamConfig> = n
            .pools
            .iter()
            .map(|p| IpamConfig {
                subnet: p.subnet.to_string(),
                ip_range: p.ip_range.map(|r| r.to_string()).unwrap_or_default(),
                gateway: p.gateway.to_string(),
                aux_address: None,
            })
            .collect();
        NetworkResource {
            name: n.name.clone(),
            id: n.id.clone(),
            created: n.created.clone(),
            scope: "local".into(),
            driver: n.driver.clone(),
            enable_ipv6: n.enable_ipv6,
            ipam: Ipam {
                driver: "default".into(),
                options: if n.predefined {
                    None
                } else {
                    Some(BTreeMap::new())
                },
                config: Some(config),
            },
            internal: n.internal,
            attachable: n.attachable,
            ingress: false,
            config_from: ConfigReference::default(),
            config_only: false,
            containers,
            options: n.options.clone(),
            labels: n.labels.clone(),
        }
    }

    /// Publishes container `owner`'s ports on endpoint `ep` (host ports
    /// chosen and recorded, DNAT installed); nothing is left on failure.
    pub fn publish_ports(
        &self,
        owner: &str,
        ep: &Endpoint,
        exposed: Option<&wharf_api::port::ExposedPorts>,
        bindings: Option<&wharf_api::port::PortBindings>,
        publish_all: bool,
    ) -> Result<crate::firewall::EndpointPorts> {
        let net = self.get(&ep.network_id)?;
        let Some(ip) = ep.ipv4.or(ep.ipv6) else {
            return Err(NetworkError::invalid(format!(
                "endpoint on network {} has no address to publish ports to",
                net.name
            )));
        };
        let target = crate::ports::PublishTarget {
            network_id: &net.id,
            bridge: &net.bridge,
            container_ip: ip,
        };
        match self.firewall() {
            Some(fw) => Ok(crate::ports::publish(
                fw.as_ref(),
                &self.ports,
                owner,
                &target,
                exposed,
                bindings,
                publish_all,
            )?),
            None => {
                let wanted = self.ports.allocate(owner, exposed, bindings, publish_all);
                self.ports.release(owner);
                match wanted {
                    Ok(p) if p.is_empty() => Ok(crate::firewall::EndpointPorts {
                        network_id: net.id.clone(),
                        bridge: net.bridge.clone(),
                        container_ip: ip,
                        ports: Vec::new(),
                    }),
                    Ok(_) => Err(NetworkError::NoFirewall(owner.to_string())),
                    Err(e) => Err(crate::ports::PublishError::from(e).into()),
                }
            }
        }
    }

    /// Removes published ports and releases their host ports.
    pub fn unpublish_ports(
        &self,
        owner: &str,
        ports: &crate::firewall::EndpointPorts,
    ) -> Result<()> {
        match self.firewall() {
            Some(fw) => Ok(crate::ports::unpublish(
                fw.as_ref(),
                &self.ports,
                owner,
                ports,
            )?),
            None => {
                self.ports.release(owner);
                Ok(())
            }
        }
    }

    /// Daemon start: a running container's published ports again.
    pub fn republish_ports(
        &self,
        owner: &str,
        ports: &crate::firewall::EndpointPorts,
    ) -> Result<()> {
        match self.firewall() {
            Some(fw) => Ok(crate::ports::republish(
                fw.as_ref(),
                &self.ports,
                owner,
                ports,
            )?),
            None => {
                self.ports.restore(owner, &ports.ports);
                Ok(())
            }
        }
    }

    /// Removes the firewall's table (daemon stop), once the teardowns of
    /// removed networks have ended (those still going after
    /// [`SHUTDOWN_WAIT`] are finished by the next start, from their
    /// intents). Links stay, as Docker's bridges do; the next start finds
    /// them.
    pub fn shutdown(&self) {
        if !self.teardowns.wait_all(SHUTDOWN_WAIT) {
            tracing::warn!(
                pending = self.teardowns.len(),
                "network teardowns still running at shutdown: the next start finishes them"
            );
        }
        if let Some(fw) = self.firewall() {
            if let Err(e) = fw.shutdown() {
                tracing::warn!(error = %e, "firewall shutdown");
            }
        }
    }

    /// Waits until every removed network's bridge and rules are gone;
    /// false when `timeout` passed first.
    pub fn wait_teardowns(&self, timeout: std::time::Duration) -> bool {
        self.teardowns.wait_all(timeout)
    }

    /// The default `bridge` network.
    pub fn default_bridge(&self) -> Option<Network> {
        self.lock()
            .nets
            .values()
            .find(|n| n.is_default_bridge())
            .cloned()
    }
}

impl NameTable for NetworkStore {
    fn lookup(&self, asker: &str, name: &str) -> Option<Vec<IpAddr>> {
        let inner = self.lock();
        let (_, mine) = inner.endpoints.get(asker)?;
        let nets: BTreeSet<&str> = mine
            .iter()
            .filter(|e| !e.dns_names.is_empty())
            .map(|e| e.network_id.as_str())
            .collect();
        let mut out = Vec::new();
        for (_, eps) in inner.endpoints.values() {
            for e in eps.iter().filter(|e| nets.contains(e.network_id.as_str())) {
                if e.dns_names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                    out.extend(e.ipv4);
                    out.extend(e.ipv6);
                }
            }
        }
        if out.is_empty() {
            None
        } else {
            Some(out)
        }
    }

    fn lookup_on(&self, asker: &str, name: &str, network: &str) -> Option<Vec<IpAddr>> {
        let inner = self.lock();
        let (_, mine) = inner.endpoints.get(asker)?;
        let net = mine
            .iter()
            .find(|e| !e.dns_names.is_empty() && e.network_name.eq_ignore_ascii_case(network))?
            .network_id
            .clone();
        let mut out = Vec::new();
        for (_, eps) in inner.endpoints.values() {
            for e in eps.iter().filter(|e| e.network_id == net) {
                if e.dns_names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                    out.extend(e.ipv4);
                    out.extend(e.ipv6);
                }
            }
        }
        if out.is_empty() {
            None
        } else {
            Some(out)
        }
    }

    fn reverse(&self, asker: &str, ip: IpAddr) -> Option<String> {
        let inner = self.lock();
        let (_, mine) = inner.endpoints.get(asker)?;
        let nets: BTreeSet<&str> = mine
            .iter()
            .filter(|e| !e.dns_names.is_empty())
            .map(|e| e.network_id.as_str())
            .collect();
        for (cname, eps) in inner.endpoints.values() {
            for e in eps.iter().filter(|e| nets.contains(e.network_id.as_str())) {
                if e.ipv4 == Some(ip) || e.ipv6 == Some(ip) {
                    return Some(format!("{cname}.{}", e.network_name));
                }
            }
        }
        None
    }
}
