#!/usr/bin/env bash
# Builds the CNCF distribution registry (github.com/distribution/distribution/v3/cmd/registry) at a
# pinned version into a cache outside the repository keyed by that version, so only the first run on
# a machine builds. The kubernetes runtime's tests push the images they build to it (started by
# packages/drivers/src/kubernetes/test-support/test-registry.ts on a loopback port).
#
# Beside it, `bcrypt-hash` (a few lines of Go on golang.org/x/crypto/bcrypt, which the registry uses
# itself) writes the htpasswd entries of the test registry's users: no htpasswd tool is needed.
#
# Usage: bash scripts/kubernetes/build-registry.sh      prints the folder holding both binaries
# Environment: SLIPWAY_KUBE_CACHE (default ~/.cache/slipway/kubernetes)
set -euo pipefail

REGISTRY_VERSION=3.1.2

CACHE_ROOT="${SLIPWAY_KUBE_CACHE:-$HOME/.cache/slipway/kubernetes}"
BIN="$CACHE_ROOT/registry-$REGISTRY_VERSION/bin"
if [ -x "$BIN/registry" ] && [ -x "$BIN/bcrypt-hash" ]; then echo "$BIN"; exit 0; fi

command -v go >/dev/null 2>&1 || { echo "build-registry: Go is needed to build the test registry (go 1.24 or later)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slipway-registry-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$BIN"
export CGO_ENABLED=0
if [ ! -x "$BIN/registry" ]; then
  echo "== github.com/distribution/distribution/v3 v$REGISTRY_VERSION: building the registry" >&2
  GOBIN="$WORK/out" go install -trimpath -ldflags "-s -w" "github.com/distribution/distribution/v3/cmd/registry@v$REGISTRY_VERSION"
  mv "$WORK/out/registry" "$BIN/registry"
fi
if [ ! -x "$BIN/bcrypt-hash" ]; then
  echo "== bcrypt-hash (htpasswd entries for the test registry)" >&2
  mkdir -p "$WORK/bcrypt"
  cd "$WORK/bcrypt"
  cat > go.mod <<MOD
module slipway.dev/bcrypt-hash

go 1.24.0

require github.com/distribution/distribution/v3 v$REGISTRY_VERSION
MOD
  cat > main.go <<'GO'
// bcrypt-hash <user>: reads a password on standard input, prints "<user>:<bcrypt hash>".
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	hash, err := bcrypt.GenerateFromPassword([]byte(strings.TrimRight(line, "\r\n")), bcrypt.DefaultCost)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s:%s\n", os.Args[1], hash)
}
GO
  # The registry's own go.sum pins golang.org/x/crypto: take that version.
  go mod tidy >/dev/null 2>&1
  go build -trimpath -ldflags "-s -w" -o "$BIN/bcrypt-hash" .
fi
echo "$BIN"
