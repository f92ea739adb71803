//! The store over recording fakes: no links are made.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use wharf_api::network::{Ipam, IpamConfig, NetworkCreateRequest};

use crate::dns::NameTable;
use crate::driver::NetworkDriver;
use crate::error::Result;
use crate::firewall::{EndpointPorts, FirewallDriver, FirewallError, NetworkRules};
use crate::record::{Endpoint, EndpointConfig, Network};
use crate::store::{ContainerRef, DefaultBridge, NetworkStore};

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    fn push(&self, s: String) {
        self.0.lock().unwrap().push(s);
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

struct FakeDriver(Arc<Recorder>, &'static str);

impl NetworkDriver for FakeDriver {
    fn name(&self) -> &str {
        self.1
    }
    fn connectable(&self) -> bool {
        self.1 == "bridge"
    }
    fn setup_network(&self, net: &Network) -> Result<()> {
        self.0.push(format!("setup {}", net.name));
        Ok(())
    }
    fn teardown_network(&self, net: &Network) -> Result<()> {
        self.0.push(format!("teardown {}", net.name));
        Ok(())
    }
    fn connect(&self, net: &Network, ep: &Endpoint, _: &Path, _: bool) -> Result<()> {
        self.0
            .push(format!("connect {} {} {:?}", net.name, ep.ifname, ep.ipv4));
        Ok(())
    }
    fn disconnect(&self, net: &Network, ep: &Endpoint, _: Option<&Path>) -> Result<()> {
        self.0
            .push(format!("disconnect {} {}", net.name, ep.ifname));
        Ok(())
    }
}

struct FakeFw(Arc<Recorder>);

impl FirewallDriver for FakeFw {
    fn init(&self) -> Result<(), FirewallError> {
        self.0.push("fw init".into());
        Ok(())
    }
    fn add_network(&self, net: &NetworkRules) -> Result<(), FirewallError> {
        self.0.push(format!("fw add {}", net.bridge));
        Ok(())
    }
    fn remove_network(&self, net: &NetworkRules) -> Result<(), FirewallError> {
        self.0.push(format!("fw remove {}", net.bridge));
        Ok(())
    }
    fn add_ports(&self, _: &EndpointPorts) -> Result<(), FirewallError> {
        Ok(())
    }
    fn remove_ports(&self, _: &EndpointPorts) -> Result<(), FirewallError> {
        Ok(())
    }
    fn shutdown(&self) -> Result<(), FirewallError> {
        self.0.push("fw shutdown".into());
        Ok(())
    }
}

fn store(dir: &Path, rec: &Arc<Recorder>) -> NetworkStore {
    let mut drivers: BTreeMap<String, Arc<dyn NetworkDriver>> = BTreeMap::new();
    for n in ["bridge", "host", "null"] {
        drivers.insert(n.into(), Arc::new(FakeDriver(rec.clone(), n)));
    }
    NetworkStore::open_with(
        dir,
        &DefaultBridge {
            name: "wtest0".into(),
            bip: "10.250.0.1/24".into(),
        },
        Some(Arc::new(FakeFw(rec.clone()))),
        drivers,
    )
    .unwrap()
}

fn tmpdir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("wharf-net-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn req(name: &str, subnet: &str, gateway: &str) -> NetworkCreateRequest {
    NetworkCreateRequest {
        name: name.into(),
        ipam: Some(Ipam {
            config: Some(if subnet.is_empty() {
                vec![]
            } else {
                vec![IpamConfig {
                    subnet: subnet.into(),
                    gateway: gateway.into(),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn predefined_networks_survive_reopen() {
    let dir = tmpdir("pre");
    let rec = Arc::new(Recorder::default());
    let s = store(&dir, &rec);
    let names: Vec<String> = s.list().into_iter().map(|n| n.name).collect();
    assert_eq!(names, ["bridge", "host", "none"]);
    let b = s.get("bridge").unwrap();
    assert_eq!(b.bridge, "wtest0");
    assert_eq!(b.pools[0].subnet.to_string(), "10.250.0.0/24");
    assert_eq!(b.pools[0].gateway.to_string(), "10.250.0.1");
    let log = rec.take();
    assert_eq!(log, ["fw init", "setup bridge", "fw add wtest0"]);
    let id = b.id.clone();
    drop(s);
    let s = store(&dir, &rec);
    assert_eq!(s.get("bridge").unwrap().id, id);
    assert!(s.remove("bridge").is_err());
    assert!(s.remove("host").is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn create_validates_and_changes_nothing_on_error() {
    let dir = tmpdir("create");
    let rec = Arc::new(Recorder::default());
    let s = store(&dir, &rec);
    rec.take();
    let n = s.create(&req("front", "10.251.0.0/24", "")).unwrap();
    assert_eq!(n.bridge, format!("br-{}", &n.id[..12]));
    assert_eq!(
        rec.take(),
        ["setup front".to_string(), format!("fw add {}", n.bridge)]
    );
    // duplicate name, overlap, gateway outside, bad name, bad subnet
    for (r, want) in [
        (req("front", "10.252.0.0/24", ""), "already exists"),
        (req("back", "10.251.0.128/25", ""), "overlaps"),
        (req("back", "10.250.0.0/16", ""), "overlaps"),
        (req("back", "10.253.0.0/24", "10.254.0.1"), "not in subnet"),
        (req("-bad", "", ""), "invalid network name"),
        (req("back", "10.253.0.0/33", ""), "invalid subnet"),
    ] {
        let e = s.create(&r).unwrap_err().to_string();
        assert!(e.contains(want), "{e} should contain {want}");
    }
    assert!(rec.take().is_empty(), "nothing made for bad input");
    assert_eq!(s.list().len(), 4);
    // prefix and name lookups
    assert_eq!(s.get(&n.id[..6]).unwrap().name, "front");
    // A container that refers to it but is not running does not hold it
    // (Docker's rule); one with a live endpoint does.
    s.add_ref(&n.id, "c1");
    assert!(!s.in_use(&n.id));
    let c = ContainerRef {
        id: "c2",
        name: "c2",
        netns: Path::new("/nonexistent"),
    };
    let ep = s.connect(&n, &c, &EndpointConfig::default(), &[]).unwrap();
    rec.take();
    assert!(s.in_use(&n.id));
    assert!(s
        .remove("front")
        .unwrap_err()
        .to_string()
        .contains("active endpoints"));
    s.disconnect(c.id, &ep, None).unwrap();
    rec.take();
    s.remove("front").unwrap();
    assert!(s.get("front").is_err(), "gone from the table at once");
    assert!(s.wait_teardowns(std::time::Duration::from_secs(10)));
    let mut done = rec.take();
    done.sort();
    assert_eq!(
        done,
        [format!("fw remove {}", n.bridge), "teardown front".into()]
    );
    assert!(s.get("front").is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn connect_allocates_and_names_resolve_on_user_networks_only() {
    let dir = tmpdir("connect");
    let rec = Arc::new(Recorder::default());
    let s = store(&dir, &rec);
    let user = s.create(&req("app", "10.251.1.0/24", "")).unwrap();
    let bridge = s.get("bridge").unwrap();
    let ns = Path::new("/nonexistent");
    let a = ContainerRef {
        id: "aaaaaaaaaaaaaaaa",
        name: "alpha",
        netns: ns,
    };
    let b = ContainerRef {
        id: "bbbbbbbbbbbbbbbb",
        name: "beta",
        netns: ns,
    };
    let ea = s
        .connect(&bridge, &a, &EndpointConfig::default(), &[])
        .unwrap();
    assert_eq!(ea.ipv4.unwrap().to_string(), "10.250.0.2");
    assert_eq!(ea.mac, "02:42:0a:fa:00:02");
    assert_eq!(ea.ifname, "eth0");
    let eb = s
        .connect(&bridge, &b, &EndpointConfig::default(), &[])
        .unwrap();
    assert_eq!(eb.ipv4.unwrap().to_string(), "10.250.0.3");
    // no names on the default bridge
    assert_eq!(s.lookup(a.id, "beta"), None);
    let cfg = EndpointConfig {
        aliases: vec!["db".into()],
        ipv4: Some("10.251.1.50".parse().unwrap()),
        ..Default::default()
    };
    let ua = s.connect(&user, &a, &cfg, &[]).unwrap();
    assert_eq!(ua.ifname, "eth1");
    assert_eq!(ua.ipv4.unwrap().to_string(), "10.251.1.50");
    // static IP taken / outside
    let e = s.connect(&user, &b, &cfg, &[]).unwrap_err().to_string();
    assert!(e.contains("already in use"), "{e}");
    let out = EndpointConfig {
        ipv4: Some("10.9.0.5".parse().unwrap()),
        ..Default::default()
    };
    assert!(s.connect(&user, &b, &out, &[]).is_err());
    // aliases refused on the default bridge
    let al = EndpointConfig {
        aliases: vec!["x".into()],
        ..Default::default()
    };
    assert!(s.check_connect(&bridge, &al).is_err());
    let ub = s
        .connect(&user, &b, &EndpointConfig::default(), &[])
        .unwrap();
    assert_eq!(s.lookup(b.id, "alpha"), Some(vec![ua.ipv4.unwrap()]));
    assert_eq!(s.lookup(b.id, "DB"), Some(vec![ua.ipv4.unwrap()]));
    assert_eq!(s.lookup(b.id, "aaaaaaaaaaaa"), Some(vec![ua.ipv4.unwrap()]));
    assert_eq!(
        s.reverse(b.id, ua.ipv4.unwrap()).as_deref(),
        Some("alpha.app")
    );
    assert_eq!(s.lookup(b.id, "nothing"), None);
    let r = s.resource(&user);
    assert_eq!(r.containers.len(), 2);
    assert_eq!(r.containers[a.id].ipv4_address, "10.251.1.50/24");
    s.disconnect(a.id, &ua, None).unwrap();
    assert_eq!(s.lookup(b.id, "alpha"), None);
    s.disconnect(b.id, &ub, None).unwrap();
    s.disconnect(a.id, &ea, None).unwrap();
    // the address is free again
    let again = s
        .connect(&bridge, &a, &EndpointConfig::default(), &[])
        .unwrap();
    assert_eq!(again.ipv4.unwrap().to_string(), "10.250.0.2");
    // host and none cannot be connected
    assert!(s
        .connect(&s.get("host").unwrap(), &b, &EndpointConfig::default(), &[])
        .is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn only_the_engines_own_veths_are_swept() {
    use crate::store::is_engine_veth;
    assert!(is_engine_veth("veth0a1b2c3"));
    for other in [
        "veth0A1B2C3",
        "veth0a1b2c",
        "veth0a1b2c3d",
        "eth0",
        "vethxyzxyzx",
        "vxlan0a1b2c3",
    ] {
        assert!(!is_engine_veth(other), "{other}");
    }
}

/// A bridge driver whose teardown waits until the test opens a gate.
struct GatedDriver {
    rec: Arc<Recorder>,
    open: Arc<(Mutex<bool>, std::sync::Condvar)>,
}

impl NetworkDriver for GatedDriver {
    fn name(&self) -> &str {
        "bridge"
    }
    fn connectable(&self) -> bool {
        true
    }
    fn setup_network(&self, net: &Network) -> Result<()> {
        self.rec.push(format!("setup {}", net.name));
        Ok(())
    }
    fn teardown_network(&self, net: &Network) -> Result<()> {
        let (m, cv) = &*self.open;
        let mut g = m.lock().unwrap();
        while !*g {
            g = cv.wait(g).unwrap();
        }
        self.rec.push(format!("teardown {}", net.name));
        Ok(())
    }
    fn connect(&self, _: &Network, _: &Endpoint, _: &Path, _: bool) -> Result<()> {
        Ok(())
    }
    fn disconnect(&self, _: &Network, _: &Endpoint, _: Option<&Path>) -> Result<()> {
        Ok(())
    }
}

/// `remove` answers before the host side is gone; until it is, the
/// removed network's subnet and bridge stay reserved: a create of an
/// overlapping subnet waits, an automatic subnet goes around it, and its
/// intent stays on disk.
#[test]
fn a_pending_teardown_reserves_its_subnet_and_bridge() {
    let dir = tmpdir("pending");
    let rec = Arc::new(Recorder::default());
    let open = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let mut drivers: BTreeMap<String, Arc<dyn NetworkDriver>> = BTreeMap::new();
    drivers.insert(
        "bridge".into(),
        Arc::new(GatedDriver {
            rec: rec.clone(),
            open: open.clone(),
        }),
    );
    for n in ["host", "null"] {
        drivers.insert(n.into(), Arc::new(FakeDriver(rec.clone(), n)));
    }
    let s = Arc::new(
        NetworkStore::open_with(
            &dir,
            &DefaultBridge {
                name: "wtest1".into(),
                bip: "10.250.9.1/24".into(),
            },
            None,
            drivers,
        )
        .unwrap(),
    );
    let mut named = req("old", "10.251.9.0/24", "");
    named
        .options
        .get_or_insert_with(BTreeMap::new)
        .insert("com.docker.network.bridge.name".into(), "wtpend0".into());
    let old = s.create(&named).unwrap();
    let auto_old = s.create(&req("oldauto", "", "")).unwrap();
    s.remove("old").unwrap();
    s.remove("oldauto").unwrap();
    // answered: gone from the table, its intents still on disk
    assert!(s.get("old").is_err());
    assert!(!s.list().iter().any(|n| n.name == "old"));
    assert!(dir
        .join("pending")
        .join(format!("{}.json", old.id))
        .exists());
    // an automatic subnet goes around the pending one
    let auto = s.create(&req("auto", "", "")).unwrap();
    assert_ne!(auto.pools[0].subnet, auto_old.pools[0].subnet);
    // the same subnet (and a different one with the same bridge name) waits
    let s2 = s.clone();
    let same = std::thread::spawn(move || s2.create(&req("new", "10.251.9.0/24", "")));
    let s3 = s.clone();
    let mut by_bridge = req("newbr", "10.251.10.0/24", "");
    by_bridge
        .options
        .get_or_insert_with(BTreeMap::new)
        .insert("com.docker.network.bridge.name".into(), "wtpend0".into());
    let bridge = std::thread::spawn(move || s3.create(&by_bridge));
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(!same.is_finished() && !bridge.is_finished());
    assert!(!rec
        .take()
        .iter()
        .any(|l| l == "setup new" || l == "setup newbr"));
    {
        let (m, cv) = &*open;
        *m.lock().unwrap() = true;
        cv.notify_all();
    }
    let new = same.join().unwrap().unwrap();
    assert_eq!(new.pools[0].subnet, old.pools[0].subnet);
    bridge.join().unwrap().unwrap();
    assert!(s.wait_teardowns(std::time::Duration::from_secs(10)));
    assert!(!dir
        .join("pending")
        .join(format!("{}.json", old.id))
        .exists());
    let log = rec.take();
    let pos = |l: &str| log.iter().position(|x| x == l).unwrap();
    assert!(pos("teardown old") < pos("setup new"), "{log:?}");
    assert!(pos("teardown old") < pos("setup newbr"), "{log:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
