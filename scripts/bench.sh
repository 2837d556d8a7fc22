#!/usr/bin/env bash
# Builds Herald, starts a broker on a free port (durable store in a temp dir,
# or --in-memory with MODE=memory), runs `herald bench` against it, stops it.
#   ./scripts/bench.sh [bench flags...]     e.g. ./scripts/bench.sh --duration 10s --scenario send
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/herald
go build -o "$bin" ./cmd/herald
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
store=(--data "$data")
[ "${MODE:-durable}" = memory ] && store=(--in-memory)
"$bin" serve --listen "127.0.0.1:$port" "${store[@]}" --log-level warn &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
echo "broker: ${MODE:-durable} store, http://127.0.0.1:$port" >&2
"$bin" bench --endpoint "http://127.0.0.1:$port" "$@"
