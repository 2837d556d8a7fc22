#!/usr/bin/env bash
# Builds Herald, starts a broker on a free port (durable store in a temp dir,
# or --in-memory with MODE=memory; STORE=sqlite for the earlier SQLite store),
# runs `herald bench` against it, stops it.
#   ./scripts/bench.sh [bench flags...]     e.g. ./scripts/bench.sh --duration 10s --scenario send
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/herald
go build -o "$bin" ./cmd/herald
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
store=(--data "$data" --store "${STORE:-log}")
[ "${MODE:-durable}" = memory ] && store=(--in-memory)
# The benchmark signs its requests (SigV4) with an identity of its own.
export AWS_ACCESS_KEY_ID=HKIABENCHMARK0000000 AWS_SECRET_ACCESS_KEY=bench-secret-0000000000000000000000000000
printf '{"identities":[{"access_key_id":"%s","secret_access_key":"%s","account":"000000000000","principal_arn":"arn:aws:iam::000000000000:root"}]}\n' \
  "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" > "$data/bench-identities.json"
"$bin" serve --listen "127.0.0.1:$port" "${store[@]}" --identities "$data/bench-identities.json" --log-level warn &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
echo "broker: ${MODE:-durable} store, http://127.0.0.1:$port" >&2
"$bin" bench --endpoint "http://127.0.0.1:$port" "$@"
