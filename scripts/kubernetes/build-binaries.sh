#!/usr/bin/env bash
# Builds the binaries of the Kubernetes test cluster from their Go modules, at pinned versions, into a
# cache outside the repository keyed by those versions, so only the first run on a machine builds:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl   (k8s.io/kubernetes)
#   kubelet                                                            (k8s.io/kubernetes: the real node)
#   etcd                                                               (go.etcd.io/etcd/server/v3)
#   kwok                                                               (sigs.k8s.io/kwok: simulated nodes)
#   pause                                                              (the node's sandbox process, below)
#
# k8s.io/kubernetes' published go.mod names its staging modules (k8s.io/api, k8s.io/client-go, …) at
# v0.0.0 and replaces them by path, so `go install …@v1.X.Y` cannot build it. A small wrapper module
# that requires k8s.io/kubernetes v1.X.Y and replaces every staging module with its published v0.X.Y
# builds it. etcd's server module replaces its sibling modules by path the same way.
#
# Usage: bash scripts/kubernetes/build-binaries.sh      prints the folder holding the binaries
# Environment: SLIPWAY_KUBE_CACHE (default ~/.cache/slipway/kubernetes)
set -euo pipefail

KUBE_VERSION=1.34.4
ETCD_VERSION=3.6.17
KWOK_VERSION=0.7.0

CACHE_ROOT="${SLIPWAY_KUBE_CACHE:-$HOME/.cache/slipway/kubernetes}"
# "-node" since kubelet joined the set: a cache made before it is not taken as complete.
BIN="$CACHE_ROOT/k8s-$KUBE_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION-node/bin"
WANT=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet etcd kwok pause)

have_all() {
  for b in "${WANT[@]}"; do [ -x "$BIN/$b" ] || return 1; done
}
if have_all; then echo "$BIN"; exit 0; fi

command -v go >/dev/null 2>&1 || { echo "build-binaries: Go is needed to build the test cluster (go 1.24 or later)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slipway-kube-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$BIN"
export GOFLAGS="${GOFLAGS:-} -mod=mod" CGO_ENABLED=0
LDFLAGS_COMMON="-s -w"

log() { echo "== $*" >&2; }

# --- Kubernetes ------------------------------------------------------------------------------------
# The wrapper module, made once per run in $WORK/kube and shared by the control plane's and the node's builds.
kube_module() {
  [ -f "$WORK/kube/go.mod" ] && { cd "$WORK/kube"; return; }
  log "k8s.io/kubernetes v$KUBE_VERSION: reading its staging modules"
  mkdir -p "$WORK/kube"
  cd "$WORK/kube"
  modfile="$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')"
  staging_version="v0.${KUBE_VERSION#1.}"
  {
    echo "module slipway.dev/kube-test-binaries"
    echo
    echo "go 1.24.0"
    echo
    echo "require k8s.io/kubernetes v$KUBE_VERSION"
    echo
    grep -E '=> \./staging/src/' "$modfile" | awk -v v="$staging_version" '{ print "replace " $1 " => " $1 " " v }'
  } > go.mod
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
GO
  log "resolving modules"
  go mod tidy -e >/dev/null 2>&1 || true
  go get "k8s.io/kubernetes@v$KUBE_VERSION" >/dev/null
  minor="${KUBE_VERSION#1.}"; minor="${minor%%.*}"
  KUBE_LDFLAGS="$LDFLAGS_COMMON -X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  KUBE_LDFLAGS="$KUBE_LDFLAGS -X k8s.io/client-go/pkg/version.gitVersion=v$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
}

if [ ! -x "$BIN/kube-apiserver" ] || [ ! -x "$BIN/kube-controller-manager" ] || [ ! -x "$BIN/kube-scheduler" ] || [ ! -x "$BIN/kubectl" ]; then
  kube_module
  log "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (several minutes on a clean machine)"
  go build -trimpath -ldflags "$KUBE_LDFLAGS" -o "$WORK/out/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
  mv "$WORK/out/"* "$BIN/"
fi

# --- kubelet (the real node; containerd, runc and the CNI plugins come from Debian) ----------------
if [ ! -x "$BIN/kubelet" ]; then
  kube_module
  log "building kubelet"
  go build -trimpath -ldflags "$KUBE_LDFLAGS" -o "$WORK/kubelet-out/kubelet" k8s.io/kubernetes/cmd/kubelet
  mv "$WORK/kubelet-out/kubelet" "$BIN/kubelet"
fi

# --- etcd ------------------------------------------------------------------------------------------
if [ ! -x "$BIN/etcd" ]; then
  log "go.etcd.io/etcd/server/v3 v$ETCD_VERSION"
  mkdir -p "$WORK/etcd"
  cd "$WORK/etcd"
  cat > go.mod <<MOD
module slipway.dev/etcd-test-binary

go 1.24.0

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION

replace (
	go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 v$ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 v$ETCD_VERSION
	go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 v$ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 v$ETCD_VERSION
)
MOD
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > tools.go
  go mod tidy -e >/dev/null 2>&1 || true
  go build -trimpath -ldflags "$LDFLAGS_COMMON" -o "$WORK/etcd-out/etcd" go.etcd.io/etcd/server/v3
  mv "$WORK/etcd-out/etcd" "$BIN/etcd"
fi

# --- kwok ------------------------------------------------------------------------------------------
if [ ! -x "$BIN/kwok" ]; then
  log "sigs.k8s.io/kwok v$KWOK_VERSION"
  GOBIN="$WORK/kwok-out" go install -trimpath -ldflags "$LDFLAGS_COMMON" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  mv "$WORK/kwok-out/kwok" "$BIN/kwok"
fi

# --- pause -----------------------------------------------------------------------------------------
# The process of every pod's sandbox on the real node (containerd's sandbox_image is made from it,
# locally: no registry is reachable). It holds the pod's namespaces, reaps orphans, and exits on
# SIGINT or SIGTERM.
if [ ! -x "$BIN/pause" ]; then
  log "pause"
  mkdir -p "$WORK/pause"
  cd "$WORK/pause"
  printf 'module slipway.dev/pause\n\ngo 1.24.0\n' > go.mod
  cat > main.go <<'GO'
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range signals {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
GO
  go build -trimpath -ldflags "$LDFLAGS_COMMON" -o "$WORK/pause-out/pause" .
  mv "$WORK/pause-out/pause" "$BIN/pause"
fi

have_all || { echo "build-binaries: not every binary was built into $BIN" >&2; exit 1; }
echo "$BIN"
