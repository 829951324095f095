#!/usr/bin/env bash
# Load test of the HTTP service on loopback (wrk): POST /v1/render/fiche-navette
# with a valid key at 1, 8, 64 and 256 connections, then beyond saturation.
# For each level: requests/s, p50, p99, 2xx, 429, errors (any other status, plus
# wrk's socket errors) and the server's RSS after the level.
#   bench/http_load.sh [build dir]                (needs: apt-get install wrk)
# Environment:
#   PASSERELLE_BENCH_PORT  port (19250)          DURATION   seconds per level (10)
#   LEVELS                 "1 8 64 256"          BEYOND     connections past saturation (1024; 0: skip)
#   SERVE_ARGS             extra `serve` options (e.g. "--workers 4")
#   SERVE_ENV              environment for the server (e.g. "GLIBC_TUNABLES=glibc.malloc.arena_max=2")
#   SOAK_MINUTES           > 0: then one run at 64 connections for that long, RSS every 30 s
# Bounded in time and count; talks to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="$(realpath "${1:-build}")"
bin="$build_dir/src/app/passerelle"
port="${PASSERELLE_BENCH_PORT:-19250}"
duration="${DURATION:-10}"
levels="${LEVELS:-1 8 64 256}"
beyond="${BEYOND:-1024}"
soak="${SOAK_MINUTES:-0}"
data=$(mktemp -d /tmp/passerelle-bench-XXXXXX)
pid=""
trap '[[ -n "$pid" ]] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }; rm -rf "$data"' EXIT
ulimit -n "$(ulimit -Hn)"
"$bin" admin create-org "Bench" --kind association --data-dir "$data" >/dev/null
key=$("$bin" admin create-key Bench --data-dir "$data" | grep '^psl_')
# shellcheck disable=SC2086
env ${SERVE_ENV:-} "$bin" serve --port "$port" --data-dir "$data" ${SERVE_ARGS:-} >"$data/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
grep -m1 "écoute" "$data/serve.log" || true
cat >"$data/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
local f = io.open("examples/fiche-navette-association-vers-bailleur.json")
wrk.body = f:read("*a")
f:close()
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; busy = 0; other = 0 end
function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1
  elseif status == 429 then busy = busy + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local o, b, x = 0, 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); b = b + t:get("busy"); x = x + t:get("other") end
  local e = summary.errors
  local sock = e.connect + e.read + e.write + e.timeout
  io.write(string.format("RESULT good/s=%.0f p50=%.2fms p99=%.2fms 2xx=%d 429=%d errors=%d socket_errors=%d\n",
    o / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, o, b, x + sock, sock))
end
LUA
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $key" \
       --data-binary @examples/fiche-navette-association-vers-bailleur.json "http://127.0.0.1:$port/v1/render/fiche-navette")
[[ "$code" == 200 ]] || { echo "render answered $code"; exit 1; }
rss() { ps -o rss= -p "$pid" | tr -d ' '; }
threads() { ps -o nlwp= -p "$pid" | tr -d ' '; }
echo "server RSS at start: $(rss) KiB, threads: $(threads)"
# The reference, measured in the same run before the load: the same request body parsed and
# rendered in process (bench_pdf), times the cores. Each level prints its share of it.
cores=$(nproc)
inproc_ms=""
if [[ -x "$build_dir/bench/bench_pdf" ]]; then
  inproc_ms=$("$build_dir/bench/bench_pdf" --benchmark_filter='^BM_FicheNavette_FromRequestBody$' \
                --benchmark_min_time=2 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true 2>/dev/null |
              awk '/_median/ { print $2; exit }')
fi
if [[ -n "$inproc_ms" ]]; then
  ceiling=$(awk -v ms="$inproc_ms" -v c="$cores" 'BEGIN { printf "%.0f", c * 1000 / ms }')
  echo "in process: ${inproc_ms} ms per request (median), x ${cores} cores = ${ceiling}/s"
fi
share() { # good/s -> "share=NN%" of the in-process ceiling
  [[ -n "$inproc_ms" ]] && awk -v g="$1" -v m="$ceiling" 'BEGIN { printf " share=%.0f%%", 100 * g / m }'
}
run() { # connections seconds
  local c=$1 d=$2 t=2
  (( c < 2 )) && t=1
  local line
  line=$(wrk -t"$t" -c"$c" -d"${d}s" --timeout 10s -s "$data/post.lua" "http://127.0.0.1:$port/v1/render/fiche-navette" | grep '^RESULT')
  local good=${line#*good/s=}; good=${good%% *}
  echo "connections=$c ${line#RESULT }$(share "$good") rss=$(rss)KiB threads=$(threads)"
}
for c in $levels; do run "$c" "$duration"; done
if (( beyond > 0 )); then run "$beyond" "$duration"; fi
if (( soak > 0 )); then
  echo "soak: 64 connections for $soak min, RSS every 30 s"
  wrk -t2 -c64 -d"${soak}m" --timeout 10s -s "$data/post.lua" "http://127.0.0.1:$port/v1/render/fiche-navette" >"$data/soak.out" &
  wpid=$!
  s=0
  while kill -0 "$wpid" 2>/dev/null; do
    echo "t=${s}s rss=$(rss)KiB threads=$(threads)"
    sleep 30; s=$((s + 30))
  done
  soakline=$(grep '^RESULT' "$data/soak.out")
  soakgood=${soakline#*good/s=}; soakgood=${soakgood%% *}
  echo "soak: ${soakline#RESULT }$(share "$soakgood")"
  sleep 5
  echo "idle 5 s after the soak: rss=$(rss)KiB"
fi
grep -c "storage_error\|erreur" "$data/serve.log" | sed 's/^/server log errors: /' || true
