#!/usr/bin/env bash
# Memory after heavy requests, for each malloc setting: the server's RSS at
# start, after 64 connections × 10 s of ordinary renders (wrk), after 20 heavy
# requests (1.9 MB bodies of 60 000 invalid values to /v1/validate, 4 at a
# time), and after 3 s idle; with the render rate of the ordinary phase.
#   bench/malloc_trim.sh [build dir]          (needs wrk, curl)
# Settings compared (one server each, same data):
#   shipped      mallopt(M_TRIM_THRESHOLD 64 MB, M_MMAP_THRESHOLD 256 KB) + malloc_trim after requests > 1 MB
#   no-trim      the same without malloc_trim (--trim-after-request-kb 0 via properties)
#   glibc        glibc's defaults (PASSERELLE_MALLOC_DEFAULTS=1), malloc_trim after heavy requests
#   mmap32m      the previous setting: M_TRIM_THRESHOLD 64 MB, M_MMAP_THRESHOLD 32 MB (through GLIBC_TUNABLES)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(realpath "${1:-build}")/src/app/passerelle"
port="${PASSERELLE_BENCH_PORT:-19251}"
data=$(mktemp -d /tmp/passerelle-malloc-XXXXXX)
pid=""
trap '[[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$data"' EXIT
"$bin" admin create-org "Bench" --kind association --data-dir "$data" >/dev/null
key=$("$bin" admin create-key Bench --data-dir "$data" | grep '^psl_')
python3 - "$data/heavy.json" <<'PY'
import json, sys
d = json.load(open("examples/fiche-navette-association-vers-bailleur.json"))
d["motifsAlerte"] = ["valeur-inconnue-%06d" % i for i in range(60000)]
json.dump(d, open(sys.argv[1], "w"))
PY
cat >"$data/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
local f = io.open("examples/fiche-navette-association-vers-bailleur.json")
wrk.body = f:read("*a")
f:close()
LUA
echo "passerelle.trim-after-request-kb = 0" >"$data/notrim.properties"
rss() { ps -o rss= -p "$pid" | tr -d ' '; }
measure() { # name, env..., -- serve args...
  local name=$1; shift
  local envs=() args=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do envs+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift
  args=("$@")
  env "${envs[@]}" "$bin" serve --port "$port" --data-dir "$data" "${args[@]}" >"$data/serve-$name.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local r0 r1 r2 r3 rate
  r0=$(rss)
  rate=$(wrk -t2 -c64 -d10s -s "$data/post.lua" "http://127.0.0.1:$port/v1/render/fiche-navette" | awk '/Requests\/sec/ {print $2}')
  r1=$(rss)
  local heavy=()
  for _ in $(seq 1 5); do
    heavy=()
    for _ in 1 2 3 4; do
      curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $key" \
           --data-binary @"$data/heavy.json" "http://127.0.0.1:$port/v1/validate/fiche-navette" &
      heavy+=($!)
    done
    wait "${heavy[@]}"
  done
  r2=$(rss)
  sleep 3
  r3=$(rss)
  printf '%-8s start=%6d KiB  after-renders=%6d KiB (%s req/s)  after-heavy=%7d KiB  idle=%7d KiB\n' "$name" "$r0" "$r1" "$rate" "$r2" "$r3"
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}
measure shipped --
measure no-trim -- --config "$data/notrim.properties"
measure glibc PASSERELLE_MALLOC_DEFAULTS=1 --
measure mmap32m PASSERELLE_MALLOC_DEFAULTS=1 GLIBC_TUNABLES=glibc.malloc.trim_threshold=67108864:glibc.malloc.mmap_threshold=33554432 --
