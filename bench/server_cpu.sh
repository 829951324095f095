#!/usr/bin/env bash
# Server CPU per request (user + system, from /proc/PID/stat) for POST /v1/render/fiche-navette
# under `wrk -c8` for SECONDS, for one or more builds, alternated ROUNDS times so that the
# machine's drift hits each build alike (an A/B of two builds in one run):
#   bench/server_cpu.sh BUILD_DIR [BUILD_DIR…]        (needs: wrk)
# Environment: ROUNDS (3), SECONDS_PER_RUN (8), CONNECTIONS (8), PASSERELLE_BENCH_PORT (19260).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
secs=${SECONDS_PER_RUN:-8}
conns=${CONNECTIONS:-8}
port=${PASSERELLE_BENCH_PORT:-19260}
hz=$(getconf CLK_TCK)
one() { # build dir -> "requests ms-per-request"
  local bin="$(realpath "$1")/src/app/passerelle" d pid key t0 t1 n
  d=$(mktemp -d /tmp/passerelle-cpu-XXXXXX)
  "$bin" admin create-org Bench --kind association --data-dir "$d" >/dev/null
  key=$("$bin" admin create-key Bench --data-dir "$d" | grep '^psl_')
  "$bin" serve --port "$port" --data-dir "$d" >"$d/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  cat >"$d/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
local f = io.open("examples/fiche-navette-association-vers-bailleur.json")
wrk.body = f:read("*a")
f:close()
LUA
  wrk -t1 -c"$conns" -d2s -s "$d/post.lua" "http://127.0.0.1:$port/v1/render/fiche-navette" >/dev/null # warm-up
  t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  n=$(wrk -t1 -c"$conns" -d"${secs}s" -s "$d/post.lua" "http://127.0.0.1:$port/v1/render/fiche-navette" | awk '/requests in/ { print $1 }')
  t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$d"
  awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$hz" 'BEGIN { printf "%d %.3f", n, (b - a) * 1000 / hz / n }'
}
for ((r = 1; r <= rounds; r++)); do
  for b in "$@"; do
    read -r n ms <<<"$(one "$b")"
    echo "round=$r build=$b requests=$n cpu_ms_per_request=$ms"
  done
done
