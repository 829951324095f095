#!/usr/bin/env bash
# Two instances of the service on one PostgreSQL database, under load at once.
#   bench/pg_two_instances.sh [build dir]       (needs: wrk, curl, jq, python3, postgresql)
# What it does, bounded in time and talking to 127.0.0.1 only:
#   1. a throw-away PostgreSQL (scripts/pg-test-server on its own port and state file);
#   2. instances A and B on that database, each with its own data directory, the same audit key;
#      a landlord whose webhook is a local receiver counting deliveries by Idempotency-Key;
#   3. N dossiers, each with a grille and the household's consent, created half through A, half through B;
#   4. at once: wrk renders on A and on B (C connections each, D seconds) while the N transmissions
#      are sent, alternately to A and B, 8 at a time;
#   5. waits for the shared outbox to drain, then reports: wrk's good/s, p50, p99, 429 and errors per
#      instance; transmissions answered 201; webhook deliveries (total and distinct: a duplicate is a
#      second POST with the same Idempotency-Key); a key revoked while B runs is refused by B at once;
#      `audit verify` on the database (one chain).
# Environment: N (200), C (32), D (30 seconds), PASSERELLE_BENCH_PORT (19300: A, +1: B, +2: receiver).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(realpath "${1:-build}")/src/app/passerelle"
n="${N:-200}"; c="${C:-32}"; d="${D:-30}"
pa="${PASSERELLE_BENCH_PORT:-19300}"; pb=$((pa + 1)); pr=$((pa + 2))
work=$(mktemp -d /tmp/passerelle-pg2-XXXXXX)
export PASSERELLE_PG_PORT=$((pa + 3)) PASSERELLE_PG_STATE="$work/pg.state" PASSERELLE_PG_DB=bench
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/pg-test-server stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"
db=$(scripts/pg-test-server start)
P() { "$bin" "$@" --db "$db" --data-dir "$work/a"; }
# The receiver listens on loopback: webhooks there are allowed explicitly (denied by default).
export PASSERELLE_WEBHOOK_ALLOW_HOSTS=127.0.0.1

# The webhook receiver: counts POSTs by Idempotency-Key, answers 200.
cat >"$work/receiver.py" <<'PY'
import http.server, sys, threading
seen = {}; lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock: seen[self.headers.get("Idempotency-Key")] = seen.get(self.headers.get("Idempotency-Key"), 0) + 1
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def do_GET(self):
        with lock: body = f"{sum(seen.values())} {len(seen)}\n".encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$work/receiver.py" "$pr" & pids+=($!)

P admin create-org "Asso Bench" --kind association >/dev/null
P admin create-org "Bailleur Bench" --kind bailleur >/dev/null
P admin create-partnership "Asso Bench" "Bailleur Bench" >/dev/null
P admin set-partnership-in-person "Asso Bench" "Bailleur Bench" on >/dev/null
P admin set-webhook "Bailleur Bench" "http://127.0.0.1:$pr/hook" >/dev/null
asso=$(P admin create-key "Asso Bench" | grep '^psl_')
mkdir -p "$work/b"; cp "$work/a/audit.key" "$work/b/audit.key"
"$bin" serve --port "$pa" --db "$db" --data-dir "$work/a" >"$work/a.log" 2>&1 & pids+=($!)
"$bin" serve --port "$pb" --db "$db" --data-dir "$work/b" >"$work/b.log" 2>&1 & pids+=($!)
for p in "$pa" "$pb"; do
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.1; done
done

J='Content-Type: application/json'
grille=$(cat examples/grille-capacite-habiter-cotes-darmor-initiale.json)
: >"$work/documents"
for i in $(seq 1 "$n"); do
  p=$pa; (( i % 2 )) && p=$pb
  api="http://127.0.0.1:$p/v1"
  dossier=$(curl -sf -H "Authorization: Bearer $asso" -H "$J" -d "{\"reference\":\"BENCH-$i\",\"menage\":{\"membres\":[{\"prenom\":\"Yannick\",\"nom\":\"Le Gall\"}]}}" "$api/dossiers" | jq -r .id)
  doc=$(curl -sf -H "Authorization: Bearer $asso" -H "$J" \
    -d "{\"form\":\"grille-capacite-habiter\",\"dossier\":\"$dossier\",\"data\":$grille}" "$api/documents" | jq -r .id)
  curl -sf -o /dev/null -H "Authorization: Bearer $asso" -H "$J" "$api/dossiers/$dossier/consents" -d '{
    "kind":"consent", "recipient":"Bailleur Bench",
    "givenBy":{"name":"Yannick Le Gall","capacity":"household_member"},
    "scope":{"documentKinds":["grille-capacite-habiter"],"categories":["logement","administratif","budget","dette","accompagnement"]},
    "purpose":"Banc d’essai.", "how":{"method":"in_person","recordedBy":"Banc"}}'
  echo "$doc $p" >>"$work/documents"
done
echo "set-up: $n dossiers with a grille and a consent (half through A, half through B)"

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $asso"
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
wrk -t1 -c"$c" -d"${d}s" --timeout 10s -s "$work/post.lua" "http://127.0.0.1:$pa/v1/render/fiche-navette" >"$work/wrk.a" & wa=$!
wrk -t1 -c"$c" -d"${d}s" --timeout 10s -s "$work/post.lua" "http://127.0.0.1:$pb/v1/render/fiche-navette" >"$work/wrk.b" & wb=$!
sleep 1
# The transmissions, 8 at a time, each to the instance that did not create the document.
xargs -P 8 -L 1 sh -c 'p=$2; [ "$p" = '"$pa"' ] && p='"$pb"' || p='"$pa"'
  curl -s -o /dev/null -w "%{http_code}\n" -H "Authorization: Bearer '"$asso"'" -H "'"$J"'" \
       -d "{\"to\":\"Bailleur Bench\"}" "http://127.0.0.1:$p/v1/documents/$1/transmit"' _ <"$work/documents" >"$work/transmit.codes"
wait "$wa" "$wb"
echo "instance A: $(grep '^RESULT' "$work/wrk.a" | sed 's/^RESULT //')"
echo "instance B: $(grep '^RESULT' "$work/wrk.b" | sed 's/^RESULT //')"
echo "transmissions: $(sort "$work/transmit.codes" | uniq -c | awk '{printf "%s×%s ", $1, $2}')"
# The outbox drains every 2 s on each instance; give it up to 120 s.
for _ in $(seq 1 120); do
  read -r total distinct < <(curl -s "http://127.0.0.1:$pr/")
  (( distinct >= n )) && break
  sleep 1
done
sleep 5
read -r total distinct < <(curl -s "http://127.0.0.1:$pr/")
echo "webhook deliveries: $total POSTs, $distinct distinct messages, duplicates: $((total - distinct))"
for x in a b; do
  echo "instance ${x^^} log: $(grep -c 'storage_error\|erreur\| 500 ' "$work/$x.log" || true) error lines, RSS $(ps -o rss= -p "${pids[$([[ $x == a ]] && echo 1 || echo 2)]}" | tr -d ' ') KiB"
done
# A key revoked through one instance's database is refused at once by the other.
k2=$(P admin create-key "Asso Bench" --name "Révocation" | grep '^psl_')
before=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $k2" "http://127.0.0.1:$pb/v1/me")
P admin revoke-key "${k2:0:12}" >/dev/null
after=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $k2" "http://127.0.0.1:$pb/v1/me")
echo "key revoked on the database: instance B answered $before before, $after just after"
P audit verify 2>&1 | tail -2
