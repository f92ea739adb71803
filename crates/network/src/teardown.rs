//! Network removals whose host side is still going: `DELETE /networks/{id}`
//! answers once the record is gone, and the bridge and its firewall rules
//! are removed afterwards, on a thread of their own (~70 ms of kernel and
//! `nft`/`iptables` work that no client waits for, as the last step of
//! every compose `down`).
//!
//! What keeps that safe:
//! - the removal's intent record (`<root>/pending/<id>.json`) stays on
//!   disk until the bridge and the rules are gone, so a crash in between is
//!   finished by the next start ([`crate::NetworkStore::bring_up`]);
//! - a network being torn down keeps what a new one could collide with: a
//!   create whose subnet overlaps it, or that names its bridge, waits for
//!   the teardown to end; an automatic subnet is chosen around it;
//! - daemon shutdown waits for the pending teardowns (up to a bound, past
//!   which their intents are left for the next start).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ipnet::IpNet;

use crate::driver::NetworkDriver;
use crate::error::{NetworkError, Result};
use crate::firewall::{FirewallDriver, NetworkRules};
use crate::ipam;
use crate::record::Network;

/// The networks whose host side is being removed, by id.
#[derive(Default)]
pub(crate) struct Teardowns {
    pending: Mutex<BTreeMap<String, Network>>,
    done: Condvar,
}

impl Teardowns {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Network>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves `n`'s subnets and bridge until [`Teardowns::finish`].
    pub(crate) fn insert(&self, n: Network) {
        self.lock().insert(n.id.clone(), n);
    }

    fn finish(&self, id: &str) {
        self.lock().remove(id);
        self.done.notify_all();
    }

    /// The subnets of the networks being torn down.
    pub(crate) fn subnets(&self) -> Vec<IpNet> {
        self.lock()
            .values()
            .flat_map(|n| n.pools.iter().map(|p| p.subnet))
            .collect()
    }

    /// A network being torn down that a new network with `subnets` and
    /// `bridge` would collide with: (its id, its name).
    pub(crate) fn blocking(&self, subnets: &[IpNet], bridge: &str) -> Option<(String, String)> {
        self.lock()
            .values()
            .find(|n| {
                (!bridge.is_empty() && n.bridge == bridge)
                    || n.pools
                        .iter()
                        .any(|p| subnets.iter().any(|s| ipam::overlaps(s, &p.subnet)))
            })
            .map(|n| (n.id.clone(), n.name.clone()))
    }

    /// Waits until network `id`'s teardown has ended; false on time-out.
    pub(crate) fn wait_gone(&self, id: &str, timeout: Duration) -> bool {
        self.wait_until(timeout, |p| !p.contains_key(id))
    }

    /// Waits until no teardown is pending; false on time-out.
    pub(crate) fn wait_all(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |p| p.is_empty())
    }

    /// Waits, woken by each finished teardown, until `done` holds of the
    /// pending set; false on time-out.
    fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&BTreeMap<String, Network>) -> bool,
    ) -> bool {
        let until = Instant::now() + timeout;
        let mut p = self.lock();
        while !done(&p) {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            p = self
                .done
                .wait_timeout(p, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// How many are pending.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

/// The firewall's view of a network.
pub(crate) fn rules(n: &Network) -> NetworkRules {
    NetworkRules {
        id: n.id.clone(),
        bridge: n.bridge.clone(),
        subnets: n.pools.iter().map(|p| p.subnet).collect(),
        internal: n.internal,
        masquerade: n
            .options
            .get("com.docker.network.bridge.enable_ip_masquerade")
            .map(|v| v != "false")
            .unwrap_or(true),
    }
}

/// Removes the host side of a network, collecting every failure.
pub(crate) fn teardown_host(
    driver: Result<Arc<dyn NetworkDriver>>,
    firewall: Option<Arc<dyn FirewallDriver>>,
    n: &Network,
) -> Vec<NetworkError> {
    let mut errs = Vec::new();
    let t0 = Instant::now();
    // The rules and the link go at the same time: each is a wait on the
    // kernel (nft and iptables processes, the bridge's unregister), and a
    // rule naming a bridge that is going matches nothing.
    let (fw, link) = std::thread::scope(|s| {
        let link = s.spawn(|| {
            let r = driver.and_then(|d| d.teardown_network(n));
            (r, t0.elapsed())
        });
        let mut fw = Ok(());
        if n.driver == "bridge" {
            if let Some(f) = &firewall {
                fw = f.remove_network(&rules(n)).map_err(NetworkError::from);
            }
        }
        let fw_time = t0.elapsed();
        let link = link.join().unwrap_or_else(|_| {
            (
                Err(NetworkError::invalid("bridge teardown panicked")),
                t0.elapsed(),
            )
        });
        ((fw, fw_time), link)
    });
    if let Err(e) = fw.0 {
        errs.push(e);
    }
    if let Err(e) = link.0 {
        errs.push(e);
    }
    tracing::debug!(
        target: "wharf::phases",
        network = %n.name,
        firewall_us = fw.1.as_micros() as u64,
        link_us = link.1.as_micros() as u64,
        "network teardown"
    );
    errs
}

/// What a background teardown needs, taken from the store.
pub(crate) struct Job {
    pub network: Network,
    pub driver: Result<Arc<dyn NetworkDriver>>,
    pub firewall: Option<Arc<dyn FirewallDriver>>,
    /// The removal's intent record, deleted once the host side is gone.
    pub intent: PathBuf,
    pub teardowns: Arc<Teardowns>,
}

impl Job {
    fn run(self) {
        let n = &self.network;
        for e in teardown_host(self.driver, self.firewall, n) {
            tracing::warn!(network = %n.name, error = %e, "network teardown");
        }
        // Only now: a crash before this line finishes the teardown at the
        // next start.
        let _ = std::fs::remove_file(&self.intent);
        self.teardowns.finish(&n.id);
        tracing::debug!(network = %n.name, "network host side removed");
    }

    /// Runs the teardown on a thread of its own (inline when no thread can
    /// be made).
    pub(crate) fn spawn(self) {
        let slot = Arc::new(Mutex::new(Some(self)));
        let s2 = slot.clone();
        let spawned = std::thread::Builder::new()
            .name("net-teardown".into())
            .spawn(move || {
                if let Some(job) = s2.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    job.run();
                }
            });
        if spawned.is_err() {
            let job = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(job) = job {
                job.run();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::random_hex;

    fn net(subnet: &str, bridge: &str) -> Network {
        Network {
            id: random_hex(32),
            name: format!("n{}", &random_hex(3)[..4]),
            created: String::new(),
            driver: "bridge".into(),
            internal: false,
            attachable: false,
            enable_ipv6: false,
            pools: vec![ipam::user_pool(subnet, "", "").unwrap()],
            options: BTreeMap::new(),
            labels: BTreeMap::new(),
            bridge: bridge.into(),
            predefined: false,
        }
    }

    #[test]
    fn pending_teardown_blocks_overlaps_and_its_bridge() {
        let t = Teardowns::default();
        let a = net("10.250.1.0/24", "br-aaa");
        t.insert(a.clone());
        let s = |x: &str| vec![x.parse::<IpNet>().unwrap()];
        assert_eq!(
            t.blocking(&s("10.250.1.128/25"), "br-new").map(|x| x.0),
            Some(a.id.clone())
        );
        assert_eq!(
            t.blocking(&s("10.250.0.0/16"), "").map(|x| x.0),
            Some(a.id.clone())
        );
        assert_eq!(
            t.blocking(&s("10.250.2.0/24"), "br-aaa").map(|x| x.0),
            Some(a.id.clone())
        );
        assert!(t.blocking(&s("10.250.2.0/24"), "br-new").is_none());
        assert_eq!(t.subnets(), s("10.250.1.0/24"));
    }

    #[test]
    fn waiters_wake_when_the_teardown_ends() {
        let t = Arc::new(Teardowns::default());
        let a = net("10.250.3.0/24", "br-bbb");
        t.insert(a.clone());
        assert!(!t.wait_gone(&a.id, Duration::from_millis(20)));
        assert!(!t.wait_all(Duration::from_millis(20)));
        let t2 = t.clone();
        let id = a.id.clone();
        let h = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            t2.finish(&id);
        });
        assert!(t.wait_gone(&a.id, Duration::from_secs(10)));
        assert!(t.wait_all(Duration::from_secs(10)));
        assert_eq!(t.len(), 0);
        h.join().unwrap();
    }
}
