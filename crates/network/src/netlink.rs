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
use rtnetlink::packet_route::link::{InfoData, InfoVeth};
use rtnetlink::{
    Handle, LinkBridge, LinkMessageBuilder, LinkUnspec, LinkVeth, RouteMessageBuilder,
};

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
    host(move |h| async move { ensure_bridge_on(&h, &name, &addrs).await })
}

async fn ensure_bridge_on(h: &Handle, name: &str, addrs: &[(IpAddr, u8)]) -> NlResult<bool> {
    let mut created = false;
    let idx = match index_of(h, name).await? {
        Some(i) => i,
        None => {
            h.link()
                .add(LinkBridge::new(name).build())
                .execute()
                .await
                .map_err(|e| format!("create bridge {name}: {e}"))?;
            created = true;
            must_index(h, name).await?
        }
    };
    for &(ip, prefix) in addrs {
        add_addr(h, idx, ip, prefix).await?;
    }
    h.link()
        .set(LinkUnspec::new_with_index(idx).up().build())
        .execute()
        .await
        .map_err(|e| format!("set {name} up: {e}"))?;
    Ok(created)
}

/// One endpoint's veth pair.
#[derive(Debug)]
pub struct VethSpec<'a> {
    /// The container's namespace, pinned at this path.
    pub netns: &'a Path,
    pub bridge: &'a str,
    /// The bridge's addresses, should it have to be made again.
    pub bridge_addrs: &'a [(IpAddr, u8)],
    pub host_name: &'a str,
    /// The interface's name inside the container (`eth0`).
    pub ifname: &'a str,
    pub mac: [u8; 6],
    pub addrs: &'a [(IpAddr, u8)],
    pub gateway: Option<IpAddr>,
}

/// Makes an endpoint's veth in one round on one thread: the host side
/// enslaved to the bridge and up, the peer created directly inside the
/// container's namespace under its final name and MAC (a veth cannot be
/// brought up before its pair is complete, so the peer goes up inside). Creating the
/// peer there, rather than moving it in afterwards, matters: a move
/// re-registers the device and waits for an RCU grace period (about 15 ms
/// of every start here). The thread then enters the namespace for the
/// peer's addresses and default route. On failure the pair is gone.
pub fn connect_veth(spec: &VethSpec<'_>) -> NlResult<()> {
    let ns = std::fs::File::open(spec.netns)
        .map_err(|e| format!("open {}: {e}", spec.netns.display()))?;
    let fd = ns.as_raw_fd();
    let host_half = || -> NlResult<(tokio::runtime::Runtime, Handle)> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .map_err(|e| format!("netlink runtime: {e}"))?;
        let h = rt.block_on(async {
            let (conn, h, _) =
                rtnetlink::new_connection().map_err(|e| format!("netlink socket: {e}"))?;
            tokio::spawn(conn);
            // A bridge removed behind our back (or by a reboot) comes back.
            let br = match index_of(&h, spec.bridge).await? {
                Some(i) => i,
                None => {
                    ensure_bridge_on(&h, spec.bridge, spec.bridge_addrs).await?;
                    must_index(&h, spec.bridge).await?
                }
            };
            let peer = LinkMessageBuilder::<LinkUnspec>::new()
                .name(spec.ifname.to_string())
                .address(spec.mac.to_vec())
                .setns_by_fd(fd)
                .build();
            let veth = LinkVeth::new(spec.host_name, spec.ifname)
                .set_info_data(InfoData::Veth(InfoVeth::Peer(peer)))
                .controller(br)
                .up()
                .build();
            h.link()
                .add(veth)
                .execute()
                .await
                .map_err(|e| format!("create veth {}: {e}", spec.host_name))?;
            Ok::<_, String>(h)
        })?;
        Ok((rt, h))
    };
    let inside_half = |made: NlResult<(tokio::runtime::Runtime, Handle)>| -> NlResult<()> {
        let (rt, host_h) = made?;
        let res = rt.block_on(async {
            let (conn, h, _) =
                rtnetlink::new_connection().map_err(|e| format!("netlink socket: {e}"))?;
            tokio::spawn(conn);
            let idx = must_index(&h, spec.ifname).await?;
            for &(ip, prefix) in spec.addrs {
                add_addr(&h, idx, ip, prefix).await?;
            }
            h.link()
                .set(LinkUnspec::new_with_index(idx).up().build())
                .execute()
                .await
                .map_err(|e| format!("set {} up: {e}", spec.ifname))?;
            if let Some(IpAddr::V4(gw)) = spec.gateway {
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
        });
        if res.is_err() {
            // The host side takes its peer with it.
            rt.block_on(async {
                if let Ok(Some(i)) = index_of(&host_h, spec.host_name).await {
                    let _ = host_h.link().del(i).execute().await;
                }
            });
        }
        res
    };
    let out = wharf_sys::netns::run_host_then_in(spec.netns, host_half, inside_half)
        .map_err(|e| e.to_string())?;
    drop(ns);
    out
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

/// Whether link `name` exists in the host's namespace, from sysfs (no
/// netlink round trip: the veth reaper asks every few milliseconds).
pub fn link_present(name: &str) -> bool {
    !name.contains('/') && Path::new("/sys/class/net").join(name).exists()
}

/// Whether link `name` exists in the host's namespace.
pub fn link_exists(name: &str) -> bool {
    let name = name.to_string();
    host(move |h| async move { index_of(&h, &name).await })
        .ok()
        .flatten()
        .is_some()
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
