//! Links, addresses and routes through the `rtnetlink` crate. Each call runs
//! on a fresh OS thread with its own single-threaded runtime: in the host's
//! namespace, or (through `wharf_sys::netns::run_in`) inside a container's,
//! so the netlink socket belongs to that namespace and no tokio worker ever
//! changes namespace. Errors are plain strings; the driver adds context.

use std::future::Future;
use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::path::Path;

use futures_util::TryStreamExt;
use rtnetlink::{Handle, LinkBridge, LinkUnspec, LinkVeth, RouteMessageBuilder};

type NlResult<T> = std::result::Result<T, String>;

const ENODEV: i32 = 19;
const EEXIST: i32 = 17;
const ESRCH: i32 = 3;

fn errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(m) => m.code.map(|c| -c.get()),
        _ => None,
    }
}

fn block<R, Fut, F>(f: F) -> NlResult<R>
where
    F: FnOnce(Handle) -> Fut,
    Fut: Future<Output = NlResult<R>>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| format!("netlink runtime: {e}"))?;
    rt.block_on(async move {
        let (conn, handle, _) =
            rtnetlink::new_connection().map_err(|e| format!("netlink socket: {e}"))?;
        let task = tokio::spawn(conn);
        let out = f(handle).await;
        task.abort();
        out
    })
}

/// Runs `f` against a netlink socket in the host's namespace.
pub fn host<R, Fut, F>(f: F) -> NlResult<R>
where
    F: FnOnce(Handle) -> Fut + Send,
    Fut: Future<Output = NlResult<R>>,
    R: Send,
{
    std::thread::scope(|s| {
        s.spawn(|| block(f))
            .join()
            .map_err(|_| "netlink thread panicked".to_string())?
    })
}

/// Runs `f` against a netlink socket inside the namespace pinned at `netns`.
pub fn in_netns<R, Fut, F>(netns: &Path, f: F) -> NlResult<R>
where
    F: FnOnce(Handle) -> Fut + Send,
    Fut: Future<Output = NlResult<R>>,
    R: Send,
{
    wharf_sys::netns::run_in(netns, || block(f)).map_err(|e| e.to_string())?
}

/// The index of link `name`, or `None` when there is none.
pub async fn index_of(h: &Handle, name: &str) -> NlResult<Option<u32>> {
    let mut links = h.link().get().match_name(name).execute();
    match links.try_next().await {
        Ok(Some(m)) => Ok(Some(m.header.index)),
        Ok(None) => Ok(None),
        Err(e) if errno(&e) == Some(ENODEV) => Ok(None),
        Err(e) => Err(format!("look up link {name}: {e}")),
    }
}

async fn must_index(h: &Handle, name: &str) -> NlResult<u32> {
    index_of(h, name)
        .await?
        .ok_or_else(|| format!("link {name} not found"))
}

async fn add_addr(h: &Handle, index: u32, ip: IpAddr, prefix: u8) -> NlResult<()> {
    match h.address().add(index, ip, prefix).execute().await {
        Ok(()) => Ok(()),
        Err(e) if errno(&e) == Some(EEXIST) => Ok(()),
        Err(e) => Err(format!("add address {ip}/{prefix}: {e}")),
    }
}

/// Creates bridge `name` if missing, gives it `addrs`, brings it up.
/// Returns whether it was created (so a caller can undo exactly that).
pub fn ensure_bridge(name: &str, addrs: &[(IpAddr, u8)]) -> NlResult<bool> {
    let name = name.to_string();
    let addrs = addrs.to_vec();
    host(move |h| async move {
        let mut created = false;
        let idx = match index_of(&h, &name).await? {
            Some(i) => i,
            None => {
                h.link()
                    .add(LinkBridge::new(&name).build())
                    .execute()
                    .await
                    .map_err(|e| format!("create bridge {name}: {e}"))?;
                created = true;
                must_index(&h, &name).await?
            }
        };
        for (ip, prefix) in addrs {
            add_addr(&h, idx, ip, prefix).await?;
        }
        h.link()
            .set(LinkUnspec::new_with_index(idx).up().build())
            .execute()
            .await
            .map_err(|e| format!("set {name} up: {e}"))?;
        Ok(created)
    })
}

/// Deletes link `name` in the host's namespace; a missing link is fine.
pub fn delete_link(name: &str) -> NlResult<()> {
    let name = name.to_string();
    host(move |h| async move {
        let Some(idx) = index_of(&h, &name).await? else {
            return Ok(());
        };
        match h.link().del(idx).execute().await {
            Ok(()) => Ok(()),
            Err(e) if matches!(errno(&e), Some(ENODEV) | Some(ESRCH)) => Ok(()),
            Err(e) => Err(format!("delete link {name}: {e}")),
        }
    })
}

/// Whether link `name` exists in the host's namespace.
pub fn link_exists(name: &str) -> bool {
    let name = name.to_string();
    host(move |h| async move { index_of(&h, &name).await })
        .ok()
        .flatten()
        .is_some()
}

/// A veth pair: `host_name` enslaved to `bridge` and up, `peer_name` moved
/// into the namespace pinned at `netns` (still down, still named
/// `peer_name`). On failure the pair is gone.
pub fn create_veth(host_name: &str, peer_name: &str, bridge: &str, netns: &Path) -> NlResult<()> {
    let ns = std::fs::File::open(netns).map_err(|e| format!("open {}: {e}", netns.display()))?;
    let (host_name, peer_name, bridge) = (
        host_name.to_string(),
        peer_name.to_string(),
        bridge.to_string(),
    );
    let fd = ns.as_raw_fd();
    let hn = host_name.clone();
    let res = host(move |h| async move {
        let br = must_index(&h, &bridge).await?;
        h.link()
            .add(LinkVeth::new(&host_name, &peer_name).build())
            .execute()
            .await
            .map_err(|e| format!("create veth {host_name}: {e}"))?;
        let peer = must_index(&h, &peer_name).await?;
        h.link()
            .set(LinkUnspec::new_with_index(peer).setns_by_fd(fd).build())
            .execute()
            .await
            .map_err(|e| format!("move {peer_name} into the container: {e}"))?;
        let idx = must_index(&h, &host_name).await?;
        h.link()
            .set(LinkUnspec::new_with_index(idx).controller(br).up().build())
            .execute()
            .await
            .map_err(|e| format!("attach {host_name} to {bridge}: {e}"))?;
        Ok(())
    });
    drop(ns);
    if res.is_err() {
        let _ = delete_link(&hn);
    }
    res
}

/// Inside the container: renames `tmp` to `ifname`, sets its MAC, address
/// and (when `gateway` is given) the default route, and brings it up.
pub fn configure_in_netns(
    netns: &Path,
    tmp: &str,
    ifname: &str,
    mac: [u8; 6],
    addrs: &[(IpAddr, u8)],
    gateway: Option<IpAddr>,
) -> NlResult<()> {
    let addrs = addrs.to_vec();
    let (tmp, ifname) = (tmp.to_string(), ifname.to_string());
    in_netns(netns, move |h| async move {
        let idx = must_index(&h, &tmp).await?;
        h.link()
            .set(
                LinkUnspec::new_with_index(idx)
                    .name(ifname.clone())
                    .address(mac.to_vec())
                    .build(),
            )
            .execute()
            .await
            .map_err(|e| format!("rename {tmp} to {ifname}: {e}"))?;
        for (ip, prefix) in addrs {
            add_addr(&h, idx, ip, prefix).await?;
        }
        h.link()
            .set(LinkUnspec::new_with_index(idx).up().build())
            .execute()
            .await
            .map_err(|e| format!("set {ifname} up: {e}"))?;
        if let Some(IpAddr::V4(gw)) = gateway {
            let route = RouteMessageBuilder::<std::net::Ipv4Addr>::new()
                .gateway(gw)
                .output_interface(idx)
                .build();
            match h.route().add(route).execute().await {
                Ok(()) => {}
                Err(e) if errno(&e) == Some(EEXIST) => {}
                Err(e) => return Err(format!("default route via {gw}: {e}")),
            }
        }
        Ok(())
    })
}

/// Deletes `ifname` inside the container's namespace (its veth peer on the
/// host goes with it); a missing link is fine.
pub fn delete_in_netns(netns: &Path, ifname: &str) -> NlResult<()> {
    let ifname = ifname.to_string();
    in_netns(netns, move |h| async move {
        let Some(idx) = index_of(&h, &ifname).await? else {
            return Ok(());
        };
        match h.link().del(idx).execute().await {
            Ok(()) => Ok(()),
            Err(e) if errno(&e) == Some(ENODEV) => Ok(()),
            Err(e) => Err(format!("delete {ifname}: {e}")),
        }
    })
}

/// Names of the links in the namespace pinned at `netns`.
pub fn links_in_netns(netns: &Path) -> NlResult<Vec<String>> {
    in_netns(netns, move |h| async move {
        let mut out = Vec::new();
        let mut links = h.link().get().execute();
        while let Some(m) = links
            .try_next()
            .await
            .map_err(|e| format!("list links: {e}"))?
        {
            for a in m.attributes {
                if let rtnetlink::packet_route::link::LinkAttribute::IfName(n) = a {
                    out.push(n);
                }
            }
        }
        Ok(out)
    })
}
