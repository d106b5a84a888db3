#!/usr/bin/env bash
# Makes a Docker-compatible container engine answer at /run/podman/podman.sock for the docker
# runtime's tests: installs Podman (with runc, and busybox-static for the test base images) when it
# is missing, writes the containers.conf these machines need when there is none, and starts
# `podman system service` when the socket does not answer. Safe to run again: every step is skipped
# when its result is already there. See shared/DEV-ENVIRONMENT.md for why each setting is needed.
#
# Usage: bash scripts/setup-podman.sh        (as root; prints DOCKER_HOST=… at the end)
set -euo pipefail

SOCKET=/run/podman/podman.sock
CONF=/etc/containers/containers.conf
LOG=/tmp/slipway-podman-service.log

missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# Containers fail with "setrlimit … operation not permitted" in this sandbox unless their ulimits
# stay within what the sandbox allows; crun is not installed, runc is.
if [ ! -f "$CONF" ]; then
  echo "== writing $CONF"
  mkdir -p "$(dirname "$CONF")"
  cat > "$CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
EOF
fi

# Node is on every machine that runs the tests; curl may not be.
answers() {
  [ -S "$SOCKET" ] && node -e '
    const req = require("node:http").get({ socketPath: process.argv[1], path: "/_ping", timeout: 2000 }, (res) => process.exit(res.statusCode === 200 ? 0 : 1));
    req.on("error", () => process.exit(1));
    req.on("timeout", () => process.exit(1));
  ' "$SOCKET"
}

if ! answers; then
  echo "== starting podman system service on unix://$SOCKET (log: $LOG)"
  mkdir -p "$(dirname "$SOCKET")"
  rm -f "$SOCKET"
  # setsid + nohup: the service outlives this script and the shell that ran it.
  setsid nohup podman system service --time=0 "unix://$SOCKET" >"$LOG" 2>&1 < /dev/null &
  for _ in $(seq 1 60); do
    answers && break
    sleep 0.5
  done
  if ! answers; then
    echo "podman system service did not answer on $SOCKET within 30 s; its log:" >&2
    cat "$LOG" >&2 || true
    exit 1
  fi
fi

echo "== podman $(podman --version | awk '{print $3}') answers on $SOCKET"
echo "DOCKER_HOST=unix://$SOCKET"
