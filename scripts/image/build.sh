#!/usr/bin/env bash
# Builds the repository's Dockerfile, as it is, into the local container
# storage with buildah (no Docker engine needed): `scripts/image/build.sh TAG
# [buildah bud options…]`, e.g. `scripts/image/build.sh retryctl:dev --no-cache`.
#
# The base image comes from ensure-base.sh (never pulled). Layers are cached
# (--layers), so a build whose lockfile did not change reuses its `npm ci`s.
# The last line on stdout is the built image's ID; progress and figures go to stderr.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
tag="${1:?usage: build.sh TAG [buildah bud options…]}"
shift

log() { echo "image-build: $*" >&2; }

bash "$here/ensure-base.sh"

# `npm ci` inside RUN must trust what this machine trusts: where TLS to the
# registries is signed by a CA only the host's bundle has, the build sees that
# bundle and an npmrc naming it at /usr/local/etc (npm reads $PREFIX/etc/npmrc).
# The mount exists during RUN steps only; nothing of it reaches the image.
mounts=()
host_bundle=/etc/ssl/certs/ca-certificates.crt
if [[ -f "$host_bundle" ]]; then
  trust="$(mktemp -d)"
  trap 'rm -rf "$trust"' EXIT
  cp "$host_bundle" "$trust/ca-certificates.crt"
  echo "cafile=/usr/local/etc/ca-certificates.crt" >"$trust/npmrc"
  chmod -R a+rX "$trust"
  mounts=(--volume "$trust:/usr/local/etc:ro")
fi

started=$SECONDS
iid="$(mktemp)"
trap 'rm -rf "${trust:-}" "$iid"' EXIT
buildah bud --pull=never --isolation chroot --layers "${mounts[@]}" \
  --iidfile "$iid" --tag "$tag" --file "$repo/Dockerfile" "$@" "$repo" >&2
id="$(cat "$iid")"
log "built $tag in $((SECONDS - started)) s: $(podman image inspect --format '{{.Size}}' "$id") bytes"
echo "$id"
