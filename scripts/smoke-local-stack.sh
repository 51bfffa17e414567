#!/usr/bin/env bash
# Smoke run of the main job on a fresh machine: `npm start` must bring up the whole local
# stack, serve a subject, refuse a second start, and leave no process behind on SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
log=$(mktemp)
started=$(date +%s.%N)
PORT=$port setsid npm start >"$log" 2>&1 &
stack=$!
cleanup() { kill -TERM -- -"$stack" 2>/dev/null || true; }
trap cleanup EXIT

for _ in $(seq 1 240); do
  grep -q 'is running at' "$log" && break
  if ! kill -0 "$stack" 2>/dev/null; then cat "$log"; echo "npm start exited early"; exit 1; fi
  sleep 0.5
done
grep -q 'is running at' "$log" || { cat "$log"; echo "npm start did not come up"; exit 1; }
ready=$(date +%s.%N)
awk -v a="$started" -v b="$ready" 'BEGIN{printf "npm start: ready in %.1f s\n", b-a}'

token=$(sed -n 's/.*export TOKEN=//p' "$log")
code=$(curl -s -o /tmp/smoke-subject.json -w '%{http_code}' -X POST "http://127.0.0.1:$port/v1/subjects" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d '{"country":"DE"}')
[ "$code" = 201 ] || { cat /tmp/smoke-subject.json; echo "POST /v1/subjects answered $code"; exit 1; }
grep -q '"homeRegion":"eu-central-1"' /tmp/smoke-subject.json
echo "created $(cat /tmp/smoke-subject.json)" | sed 's/"subjectId":"[^"]*"/"subjectId":"…"/'

# The console is served, and names the development OpenID provider, which answers discovery.
console_url=$(sed -n 's/^  console:   \([^ ]*\).*/\1/p' "$log")
[ "$(curl -s -o /dev/null -w '%{http_code}' "$console_url")" = 200 ] || { echo "the console at $console_url did not answer"; exit 1; }
issuer=$(curl -s "http://127.0.0.1:$port/console/config.json" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).signIn.issuer))')
curl -sf "$issuer/.well-known/openid-configuration" | grep -q '"authorization_endpoint"' || { echo "the dev OpenID provider at $issuer did not answer discovery"; exit 1; }
echo "console: $console_url, sign-in at $issuer"

# The CLI works against the running stack with nothing exported, and starts fast when nothing changed.
npm run -s token -- --service svc:smoke --region us-east-1 --roles service >/dev/null
t0=$(date +%s%N)
npm run -s token -- --service svc:smoke --region us-east-1 --roles service >/dev/null
echo "CLI: a second npm run token took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
node bin/residency-gateway.mjs --help >/dev/null
node bin/residency-gateway.mjs audit verify --help >/dev/null
set +e; node bin/residency-gateway.mjs audit verify --region eu-central-1 --no-such-flag 2>/dev/null; usage=$?; set -e
[ "$usage" = 2 ] || { echo "an unknown flag exited $usage, not 2"; exit 1; }
npm run -s keys:rewrap -- --region eu-central-1 | grep -q '^finished' || { echo "keys:rewrap against the local stack failed"; exit 1; }
npm run -s audit -- verify --region eu-central-1 >/dev/null || { echo "audit verify against the local stack failed"; exit 1; }
echo "CLI against the running stack: token, keys:rewrap and audit verify passed"

gateway_pid=$(pgrep -f 'dist/src/main.js' | head -n1)
echo "gateway idle RSS: $(awk '/VmRSS/{printf "%.0f MiB", $2/1024}' "/proc/$gateway_pid/status")"

if PORT=$port npm start >"$log.second" 2>&1; then
  cat "$log.second"; echo "a second npm start did not refuse"; exit 1
fi
grep -q 'already running' "$log.second"

kill -TERM "$stack"
for _ in $(seq 1 60); do kill -0 "$stack" 2>/dev/null || break; sleep 0.5; done
trap - EXIT
sleep 1
if pgrep -f "$(pwd)/.local/postgres" >/dev/null || pgrep -f 'dist/src/main.js' >/dev/null || pgrep -f moto_server >/dev/null; then
  ps aux | grep -E 'postgres|moto|main.js' | grep -v grep
  echo "processes left behind after SIGTERM"
  exit 1
fi
echo "npm start smoke run passed: stack stopped cleanly"
