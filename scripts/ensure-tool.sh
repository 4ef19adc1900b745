#!/usr/bin/env bash
# Prints the path of a command-line tool the tests run, installing it first
# when this machine lacks it: `scripts/ensure-tool.sh promtool`. etcd,
# kube-apiserver and kubectl (the test Kubernetes API server), controller-gen
# and prometheus-operator-crds (a folder of CRD YAML, generated) are built from
# the wrapper modules in tools/kube/, whose go.mod and go.sum pin them.
#
# A tool on PATH is used when its version is at least the one the suite was
# checked with (etcd and kube-apiserver: exactly that version, as the test
# harness passes flags of that release). Otherwise the pinned version is built
# from the Go module proxy into a cache outside the clone, keyed by version, so
# every clone on the machine shares one build:
# ${XDG_CACHE_HOME:-$HOME/.cache}/retryctl/tools/ (RETRYCTL_TOOLS_CACHE
# overrides it). Safe to run concurrently: one process builds under a lock, the
# others wait for it and reuse the result.
set -euo pipefail

tool="${1:?usage: ensure-tool.sh promtool|kustomize|etcd|kube-apiserver|kubectl|controller-gen|prometheus-operator-crds}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
# Set for tools built from a wrapper module in this repo (tools/kube/*) rather
# than by `go install module@version`, which refuses modules whose go.mod has
# replace directives (etcd's and Kubernetes' both do).
wrapper=""
ldflags=""
exact_path=""
generated=""
use_path=1

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
  etcd)
    module=go.etcd.io/etcd/server/v3
    version=v3.7.3
    wrapper="$repo/tools/kube/etcd"
    package=.
    exact_path=1
    min_path=3.7.3
    min_go=1.26.0
    package_hint="etcd $min_path from https://github.com/etcd-io/etcd/releases"
    ;;
  kube-apiserver)
    module=k8s.io/kubernetes
    version=v1.37.2
    wrapper="$repo/tools/kube/apiserver"
    package=k8s.io/kubernetes/cmd/kube-apiserver
    # What Kubernetes' own build stamps in: without it /version says v0.0.0 and kubectl warns of skew.
    ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1"
    ldflags+=" -X k8s.io/component-base/version.gitMinor=37 -X k8s.io/component-base/version.gitTreeState=clean"
    exact_path=1
    min_path=1.37.2
    min_go=1.26.0
    package_hint="kube-apiserver $min_path from https://dl.k8s.io"
    ;;
  kubectl)
    # Built from the same wrapper module as kube-apiserver, so it matches the test server's version.
    module=k8s.io/kubernetes
    version=v1.37.2
    wrapper="$repo/tools/kube/apiserver"
    package=k8s.io/kubernetes/cmd/kubectl
    ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1"
    ldflags+=" -X k8s.io/component-base/version.gitMinor=37 -X k8s.io/component-base/version.gitTreeState=clean"
    ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$version -X k8s.io/client-go/pkg/version.gitMajor=1"
    ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=37"
    # Within the supported skew (one minor version) of the test server.
    min_path=1.36.0
    min_go=1.26.0
    package_hint="kubectl $min_path or newer from your distribution or https://dl.k8s.io"
    ;;
  controller-gen)
    module=sigs.k8s.io/controller-tools
    version=v0.23.0
    wrapper="$repo/tools/kube/prometheus-crds"
    package=sigs.k8s.io/controller-tools/cmd/controller-gen
    use_path="" # it must be the version go.sum pins beside the types it reads
    min_go=1.26.0
    ;;
  prometheus-operator-crds)
    # Not a binary: the operator's CustomResourceDefinitions, generated from its
    # published API types by controller-gen as the operator's own build does
    # (descriptions left out). Prints the folder of YAML files.
    module=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring
    version=v0.95.2
    wrapper="$repo/tools/kube/prometheus-crds"
    generated=1
    use_path=""
    min_go=1.26.0
    ;;
  *)
    echo "ensure-tool: unknown tool \"$tool\" (known: promtool, kustomize, etcd, kube-apiserver, kubectl, controller-gen, prometheus-operator-crds)" >&2
    exit 2
    ;;
esac

log() { echo "ensure-tool: $*" >&2; }

# The first x.y.z in `tool --version` (promtool: "promtool, version 2.42.0+ds …", kustomize: "v5.5.0",
# kubectl: "Client Version: v1.32.4", etcd: "etcd Version: 3.7.3", kube-apiserver: "Kubernetes v1.37.2").
path_version() { "$1" version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1; }
[[ "$tool" == kubectl ]] && path_version() { "$1" version --client 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1; }
[[ "$tool" != kustomize && "$tool" != kubectl ]] && path_version() { "$1" --version 2>&1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1; }

at_least() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" == "$2" ]]; }

wanted="${min_path:-} or newer"
[[ -n "$exact_path" ]] && wanted="exactly ${min_path:-}"

if [[ -n "$use_path" ]] && on_path="$(command -v "$tool" 2>/dev/null)"; then
  have="$(path_version "$on_path" || true)"
  if [[ -n "$have" ]] && { [[ -z "$exact_path" ]] && at_least "$have" "$min_path" || [[ "$have" == "$min_path" ]]; }; then
    echo "$on_path"
    exit 0
  fi
  if [[ -z "$have" ]]; then
    log "$on_path does not say its version (a development build?): using a pinned $tool $version instead"
  else
    log "$on_path is version $have, not $wanted: using a pinned $tool $version instead"
  fi
fi

cache="${RETRYCTL_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/retryctl/tools}"
dir="$cache/$tool-$version"
bin="$dir/$tool"
[[ -n "$generated" ]] && bin="$dir"
if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  if [[ -z "$use_path" ]]; then
    log "the tests need $tool $version, which is built with Go, and this machine has no Go."
    log "Install Go $min_go or newer (https://go.dev/doc/install, or your distribution's golang package),"
    log "then run the tests again."
    exit 1
  fi
  log "the tests need $tool $wanted; there is none on PATH, and no Go to build the pinned $version."
  log "Install Go $min_go or newer (https://go.dev/doc/install, or your distribution's golang package),"
  log "or $tool itself ($package_hint), then run the tests again."
  exit 1
fi
go_version="$(go env GOVERSION | sed 's/^go//')"
if ! at_least "$go_version" "$min_go"; then
  log "$tool $version needs Go $min_go or newer to build; this machine has Go $go_version."
  log "Install a newer Go (https://go.dev/doc/install)${use_path:+" or $tool $min_path+ on PATH"}, then run the tests again."
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
if [[ -n "$generated" ]]; then
  controller_gen="$(bash "$0" controller-gen)"
  mkdir -p "$partial"
  if ! (cd "$wrapper" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly "$controller_gen" \
    crd:crdVersions=v1,maxDescLen=0 paths="$module/v1" output:crd:dir="$partial") >&2; then
    log "controller-gen could not generate the CRDs of $module $version (output above)"
    exit 1
  fi
elif [[ -n "$wrapper" ]]; then
  # The wrapper's go.mod and go.sum pin every module; -mod=readonly refuses to change them.
  # nice: a cold build takes minutes of both cores, beside whatever else the machine runs.
  if ! (cd "$wrapper" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly nice go build -trimpath \
    -ldflags="$ldflags" -o "$partial/$tool" "$package") >&2; then
    log "go build of $module $version in $wrapper failed (output above)"
    exit 1
  fi
elif ! GOTOOLCHAIN=local GOBIN="$partial" go install "$module@$version" >&2; then
  log "go install $module@$version failed (output above)"
  exit 1
fi
# One rename publishes the finished build: a reader never sees half a binary.
mv -T "$partial" "$dir"
trap - EXIT
log "built $bin in $((SECONDS - started)) s"
echo "$bin"
