#!/usr/bin/env bash
# Prints the path of a command-line tool the tests run, installing it first
# when this machine lacks it: `scripts/ensure-tool.sh promtool`.
#
# A tool on PATH is used when its version is at least the one the suite was
# checked with. Otherwise the pinned version is built from the Go module proxy
# into a cache outside the clone, keyed by version, so every clone on the
# machine shares one build: ${XDG_CACHE_HOME:-$HOME/.cache}/retryctl/tools/
# (RETRYCTL_TOOLS_CACHE overrides it). Safe to run concurrently: one process
# builds under a lock, the others wait for it and reuse the result.
set -euo pipefail

tool="${1:?usage: ensure-tool.sh promtool|kustomize}"

# module path, pinned version, oldest version on PATH that will do, Go the module needs.
case "$tool" in
  promtool)
    module=github.com/prometheus/prometheus/cmd/promtool
    version=v0.316.0 # Go module version of Prometheus; promtool from Debian bookworm is 2.42
    min_path=2.42.0
    min_go=1.26.7
    package_hint="Debian: apt-get install prometheus"
    ;;
  kustomize)
    module=sigs.k8s.io/kustomize/kustomize/v5
    version=v5.5.0 # the kustomize kubectl v1.32 embeds
    min_path=5.0.0
    min_go=1.22.7
    package_hint="or kubectl, which embeds it"
    ;;
  *)
    echo "ensure-tool: unknown tool \"$tool\" (known: promtool, kustomize)" >&2
    exit 2
    ;;
esac

log() { echo "ensure-tool: $*" >&2; }

# The first x.y.z in `tool --version` (promtool: "promtool, version 2.42.0+ds …", kustomize: "v5.5.0").
path_version() { "$1" version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1; }
[[ "$tool" == promtool ]] && path_version() { "$1" --version 2>&1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1; }

at_least() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" == "$2" ]]; }

if on_path="$(command -v "$tool" 2>/dev/null)"; then
  have="$(path_version "$on_path" || true)"
  if [[ -n "$have" ]] && at_least "$have" "$min_path"; then
    echo "$on_path"
    exit 0
  fi
  if [[ -z "$have" ]]; then
    log "$on_path does not say its version (a development build?): using a pinned $tool $version instead"
  else
    log "$on_path is version $have, older than $min_path: using a pinned $tool $version instead"
  fi
fi

cache="${RETRYCTL_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/retryctl/tools}"
dir="$cache/$tool-$version"
bin="$dir/$tool"
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "the tests need $tool $min_path or newer; there is none on PATH, and no Go to build the pinned $version."
  log "Install Go $min_go or newer (https://go.dev/doc/install, or your distribution's golang package),"
  log "or $tool itself ($package_hint), then run the tests again."
  exit 1
fi
go_version="$(go env GOVERSION | sed 's/^go//')"
if ! at_least "$go_version" "$min_go"; then
  log "$tool $version needs Go $min_go or newer to build; this machine has Go $go_version."
  log "Install a newer Go (https://go.dev/doc/install) or $tool $min_path+ on PATH, then run the tests again."
  exit 1
fi

mkdir -p "$cache"
exec 9>"$dir.lock"
flock 9
# Another process may have built it while this one waited for the lock.
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

partial="$dir.partial.$$"
rm -rf "$partial"
trap 'rm -rf "$partial"' EXIT
log "building $tool $version from the Go module proxy into $dir (once per machine; a few minutes)"
started=$SECONDS
# GOTOOLCHAIN=local: never download another Go toolchain behind the user's back.
if ! GOTOOLCHAIN=local GOBIN="$partial" go install "$module@$version" >&2; then
  log "go install $module@$version failed (output above)"
  exit 1
fi
# One rename publishes the finished build: a reader never sees half a binary.
mv -T "$partial" "$dir"
trap - EXIT
log "built $bin in $((SECONDS - started)) s"
echo "$bin"
