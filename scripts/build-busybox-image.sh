#!/usr/bin/env bash
# Builds a busybox root filesystem tar offline from Debian's busybox-static.
#
#   bash scripts/build-busybox-image.sh OUT.tar
#   wharf import -c 'CMD ["sh"]' OUT.tar busybox:latest
#
# The tar is deterministic: sorted names, fixed mtimes, uid/gid 0, so two runs
# give byte-identical output (tests build it once and compare nothing else).
set -euo pipefail

out=${1:?usage: build-busybox-image.sh OUT.tar}

bb=/bin/busybox
if [ ! -x "$bb" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "busybox-static missing: installing it" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y busybox-static >&2
    fi
fi
if [ ! -x "$bb" ] || ! "$bb" --list-full >/dev/null 2>&1; then
    echo "error: $bb (Debian's busybox-static) is required" >&2
    exit 1
fi
# A dynamically linked busybox would not run inside the image.
if command -v file >/dev/null && file -L "$bb" | grep -q 'dynamically linked'; then
    echo "error: $bb is dynamically linked; install busybox-static" >&2
    exit 1
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/busybox-rootfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

for d in bin sbin usr/bin usr/sbin etc tmp proc sys dev root home home/app var var/tmp var/log; do
    mkdir -p "$root/$d"
done
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 0700 "$root/root"

cp "$bb" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"

# One symlink per applet, pointing at /bin/busybox (absolute, resolved inside the container).
"$bb" --list-full | while IFS= read -r applet; do
    [ -n "$applet" ] || continue
    [ "$applet" = "bin/busybox" ] && continue
    mkdir -p "$root/$(dirname "$applet")"
    ln -sf /bin/busybox "$root/$applet"
done

cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
app:x:1000:
nogroup:x:65534:
GROUP
printf '%s (wharf base image)\n' "$("$bb" 2>&1 | head -n1 | awk '{print $1, $2}')" >"$root/etc/wharf-base"
: >"$root/etc/hostname"
: >"$root/etc/hosts"
: >"$root/etc/resolv.conf"

chmod 0755 "$root"
# Everything is root's except the app user's home. As root we set owners in the
# staging tree; otherwise tar forces 0:0 (and /home/app is root's too).
if [ "$(id -u)" = 0 ]; then
    chown -R 0:0 "$root"
    chown 1000:1000 "$root/home/app"
    owner_args=(--numeric-owner)
else
    owner_args=(--owner=0 --group=0 --numeric-owner)
fi

mkdir -p "$(dirname "$out")"
tmp_out="$out.tmp.$$"
tar --sort=name --mtime='2024-01-01 00:00:00Z' "${owner_args[@]}" \
    --format=gnu -C "$root" -cf "$tmp_out" .
mv -f "$tmp_out" "$out"
echo "$out"
