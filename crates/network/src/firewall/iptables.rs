//! Coexistence with Docker (or anything else that sets the iptables
//! `FORWARD` policy to `DROP`).
//!
//! Netfilter runs every base chain registered at a hook; an `accept` ends
//! only the chain it is in, while a `drop` anywhere is final. A Docker
//! engine on the host sets `iptables -P FORWARD DROP` (in the `ip filter`
//! table of iptables-nft, or in the legacy tables), so our own nftables
//! table accepting a bridge's traffic is not enough: Docker's chain drops
//! it afterwards.
//!
//! netavark's iptables driver copes by inserting a jump to a chain of its
//! own (`NETAVARK_FORWARD`) at the top of `FORWARD`, with accept rules for
//! its subnets; Docker documents `DOCKER-USER` for the same purpose, but
//! that chain only exists while Docker has run, and Docker inserts its own
//! jumps above ours without flushing `FORWARD`. We do as netavark: a chain
//! `WHARF-<hash of our table name>` (one per daemon, so two daemons do not
//! touch each other's), jumped to from the top of `FORWARD`, holding, per
//! bridge of ours that forwards, `-i BR -j ACCEPT` and `-o BR -m conntrack
//! --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT`. Isolation and
//! `--internal` are still enforced by our nftables table (its drops win).
//!
//! We use whatever `iptables`/`ip6tables` the host's alternatives select,
//! which is what Docker on the same host uses too (`iptables -V` says
//! `nf_tables` or `legacy`). When no `iptables` binary exists, nothing is
//! done: no other engine can have set such a policy through it.

use std::process::Command;
use std::sync::{Mutex, OnceLock};

use super::NetworkRules;

/// The iptables side of one daemon's firewall.
#[derive(Debug)]
pub struct ForwardAccept {
    chain: String,
    /// What the chain holds per family (iptables, ip6tables) since our
    /// last successful sync: (forwarding bridges, internal bridges); an
    /// empty pair once the chain was removed. `None`: not known (start-up,
    /// a failure), so the next sync does the whole work.
    applied: Mutex<[Option<Applied>; 2]>,
}

type Applied = (Vec<String>, Vec<String>);

/// FNV-1a, 32 bits: a short stable name for the chain (iptables chain
/// names are at most 28 characters; table names may be longer).
fn fnv32(s: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

fn run(bin: &str, args: &[&str]) -> Result<bool, String> {
    match Command::new(bin).args(args).output() {
        Ok(out) => Ok(out.status.success()),
        Err(e) => Err(format!("run {bin}: {e}")),
    }
}

fn run_checked(bin: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(bin)
        .args(args)
        .output()
        .map_err(|e| format!("run {bin}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{bin} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Runs `<bin>-restore --noflush -w` with `script` on stdin.
fn restore(bin: &str, script: &str) -> Result<(), String> {
    super::run_script(
        &format!("{bin}-restore"),
        &["--noflush", "-w"],
        script,
        None,
    )
}

/// Whether `bin` can be run at all.
fn available(bin: &str) -> bool {
    variant(bin).is_some()
}

/// `Some(true)` for the nf_tables variant, `Some(false)` for legacy, `None`
/// when `bin` cannot be run. Asked once per binary and daemon: which
/// variant the host's alternatives select does not change under us, and
/// each question is a process (network removal is on `compose down`'s
/// path).
fn variant(bin: &str) -> Option<bool> {
    static V4: OnceLock<Option<bool>> = OnceLock::new();
    static V6: OnceLock<Option<bool>> = OnceLock::new();
    let ask = || {
        let out = Command::new(bin).arg("-V").output().ok()?;
        if !out.status.success() {
            return None;
        }
        Some(String::from_utf8_lossy(&out.stdout).contains("nf_tables"))
    };
    match bin {
        "iptables" => *V4.get_or_init(ask),
        "ip6tables" => *V6.get_or_init(ask),
        _ => ask(),
    }
}

/// Whether nftables has `table <family> filter` (iptables-nft's).
fn nft_filter_exists(family: &str) -> bool {
    Command::new("nft")
        .args(["list", "table", family, "filter"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(true)
}

/// iptables-nft creates `table ip filter` (and `ip6 filter`) on first use.
/// When nothing but empty, accepting base chains is left in it (no other
/// user: Docker's table is never empty), delete it again so that we leave
/// the host's tables as we found them. Best effort: a table in use is kept.
fn drop_empty_nft_filter(family: &str) {
    let Ok(out) = Command::new("nft")
        .args(["-j", "list", "table", family, "filter"])
        .output()
    else {
        return;
    };
    if !out.status.success() {
        return;
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
        return;
    };
    let Some(items) = v.get("nftables").and_then(|i| i.as_array()) else {
        return;
    };
    let unused = items.iter().all(|item| {
        let Some(obj) = item.as_object() else {
            return false;
        };
        if obj.contains_key("metainfo") || obj.contains_key("table") {
            return true;
        }
        match obj.get("chain") {
            Some(c) => {
                c.get("hook").is_some()
                    && c.get("policy").and_then(|p| p.as_str()) == Some("accept")
            }
            None => false,
        }
    });
    if unused {
        let _ = Command::new("nft")
            .args(["delete", "table", family, "filter"])
            .output();
    }
}

impl ForwardAccept {
    /// The chain for the daemon whose nftables table is `table`.
    pub fn new(table: &str) -> Self {
        ForwardAccept {
            chain: format!("WHARF-{:08X}", fnv32(table)),
            applied: Mutex::new([None, None]),
        }
    }

    /// The chain's name (`WHARF-XXXXXXXX`).
    pub fn chain(&self) -> &str {
        &self.chain
    }

    /// Makes the chain hold exactly the accepts for `networks` (an empty
    /// set removes the chain and its jump).
    pub fn sync<'a>(&self, networks: impl Iterator<Item = &'a NetworkRules>) -> Result<(), String> {
        self.sync_with(networks, true)
    }

    /// As [`ForwardAccept::sync`] after a network went: the accepts only
    /// shrink, so a missing jump (someone deleted it) loses nothing and is
    /// not checked for: one process fewer on `network rm`'s path.
    pub fn sync_removed<'a>(
        &self,
        networks: impl Iterator<Item = &'a NetworkRules>,
    ) -> Result<(), String> {
        self.sync_with(networks, false)
    }

    fn sync_with<'a>(
        &self,
        networks: impl Iterator<Item = &'a NetworkRules>,
        ensure_jump: bool,
    ) -> Result<(), String> {
        let nets: Vec<&NetworkRules> = networks.collect();
        let mut errors = Vec::new();
        let mut applied = self.applied.lock().unwrap_or_else(|e| e.into_inner());
        for (i, (bin, v6)) in [("iptables", false), ("ip6tables", true)]
            .into_iter()
            .enumerate()
        {
            let family: Vec<&NetworkRules> = nets
                .iter()
                .copied()
                .filter(|n| {
                    n.subnets
                        .iter()
                        .any(|s| matches!(s, ipnet::IpNet::V6(_)) == v6)
                })
                .collect();
            let forwarding: Vec<&str> = family
                .iter()
                .filter(|n| !n.internal)
                .map(|n| n.bridge.as_str())
                .collect();
            // Internal bridges: only traffic within the bridge (which
            // crosses the forward hook when br_netfilter is loaded).
            let internal: Vec<&str> = family
                .iter()
                .filter(|n| n.internal)
                .map(|n| n.bridge.as_str())
                .collect();
            let want: Applied = (
                forwarding.iter().map(|s| s.to_string()).collect(),
                internal.iter().map(|s| s.to_string()).collect(),
            );
            let same = applied[i].as_ref() == Some(&want);
            let res = if family.is_empty() {
                if same {
                    Ok(())
                } else {
                    self.remove_from(bin)
                }
            } else {
                self.fill(bin, &forwarding, &internal, !same, ensure_jump)
            };
            match res {
                Ok(()) => applied[i] = Some(want),
                Err(e) => {
                    applied[i] = None;
                    errors.push(e);
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// Makes the chain hold exactly these accepts, in one
    /// `iptables-restore --noflush` (which creates the chain or flushes
    /// it, then appends, atomically), and with `ensure_jump` puts the jump
    /// from `FORWARD` back when it is missing.
    fn fill(
        &self,
        bin: &str,
        forwarding: &[&str],
        internal: &[&str],
        rules: bool,
        ensure_jump: bool,
    ) -> Result<(), String> {
        if !available(bin) {
            return Ok(());
        }
        let ch = self.chain.as_str();
        if rules {
            let mut script = format!("*filter\n:{ch} - [0:0]\n");
            for br in forwarding {
                script.push_str(&format!("-A {ch} -i {br} -j ACCEPT\n"));
                script.push_str(&format!(
                    "-A {ch} -o {br} -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT\n"
                ));
            }
            for br in internal {
                script.push_str(&format!("-A {ch} -i {br} -o {br} -j ACCEPT\n"));
            }
            script.push_str("COMMIT\n");
            restore(bin, &script)?;
        }
        if ensure_jump && !run(bin, &["-w", "-t", "filter", "-C", "FORWARD", "-j", ch])? {
            run_checked(bin, &["-w", "-t", "filter", "-I", "FORWARD", "-j", ch])?;
        }
        Ok(())
    }

    fn remove_from(&self, bin: &str) -> Result<(), String> {
        let family = if bin == "ip6tables" { "ip6" } else { "ip" };
        match variant(bin) {
            None => return Ok(()),
            // No iptables-nft table at all: nothing of ours can be in it,
            // and asking iptables would create it.
            Some(true) if !nft_filter_exists(family) => return Ok(()),
            Some(_) => {}
        }
        let ch = self.chain.as_str();
        // Every copy of the jump (should there be several), then the chain.
        while run(bin, &["-w", "-t", "filter", "-D", "FORWARD", "-j", ch])? {}
        if run(bin, &["-w", "-t", "filter", "-F", ch])? {
            run_checked(bin, &["-w", "-t", "filter", "-X", ch])?;
        }
        drop_empty_nft_filter(family);
        Ok(())
    }

    /// Removes the chain and its jump from both families (shutdown).
    pub fn remove(&self) -> Result<(), String> {
        *self.applied.lock().unwrap_or_else(|e| e.into_inner()) = [None, None];
        let mut errors = Vec::new();
        for bin in ["iptables", "ip6tables"] {
            if let Err(e) = self.remove_from(bin) {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_name_is_short_and_stable() {
        let a = ForwardAccept::new("wharf");
        assert_eq!(a.chain(), ForwardAccept::new("wharf").chain());
        assert_ne!(a.chain(), ForwardAccept::new("wharf2").chain());
        assert!(a.chain().len() <= 28);
    }
}
