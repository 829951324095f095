#!/usr/bin/env bash
# Load test of the HTTP service on loopback: POST /v1/render/fiche-navette with a
# valid key, 8 connections for 10 s (wrk), then the server's resident memory.
#   bench/http_load.sh [build dir]      (needs: apt-get install wrk)
# Bounded in time and count; talks to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-build}/src/app/passerelle"
port="${PASSERELLE_BENCH_PORT:-18181}"
data=$(mktemp -d /tmp/passerelle-bench-XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
"$bin" admin create-org "Bench" --kind association --data-dir "$data" >/dev/null
key=$("$bin" admin create-key Bench --data-dir "$data" | tail -1)
"$bin" serve --port "$port" --data-dir "$data" >"$data/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
cat >"$data/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
local f = io.open("examples/fiche-navette-association-vers-bailleur.json")
wrk.body = f:read("*a")
f:close()
LUA
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $key" \
       --data-binary @examples/fiche-navette-association-vers-bailleur.json "http://127.0.0.1:$port/v1/render/fiche-navette")
[[ "$code" == 200 ]] || { echo "render answered $code"; exit 1; }
wrk -t2 -c8 -d10s -s "$data/post.lua" "http://127.0.0.1:$port/v1/render/fiche-navette"
echo "server RSS after the run: $(ps -o rss= -p "$pid") KiB"
