#!/usr/bin/env bash
# compare.sh: opsgate serve against the hand-written reference (bench/reference), each loaded by
# bench/load (64 connections, signed /whoami slash commands; it is also the Slack API stand-in
# that counts completed replies). Servers run on CPU 0, load and stand-in on CPU 1.
# Each line also gives the server's CPU time per completed command (cpu/cmd), steadier than completed/s on a shared machine.
# Usage: bench/compare.sh [runs (3)] [seconds (10)]; BENCH_NATS_URL=nats://... adds nats.url;
# BENCH_OPSGATE=path runs that opsgate binary instead of this tree's (e.g. an older build, for before/after);
# BENCH_REPLICAS=N runs N opsgate replicas (all on CPU 0, on BENCH_PORT+0..N-1), the load sent to them in turn
# (rss: the first's); BENCH_DATABASE=DSN replaces the SQLite file (e.g. a PostgreSQL database of its own for
# several replicas); BENCH_PORT (18080) moves the ports (opsgate on it, the reference on +10, the stand-in on
# +11), for runs side by side.
set -euo pipefail
runs=${1:-3} secs=${2:-10}
port=${BENCH_PORT:-18080} refport=$(( ${BENCH_PORT:-18080} + 10 )) stub=$(( ${BENCH_PORT:-18080} + 11 ))
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
if [ -n "${BENCH_OPSGATE:-}" ]; then cp "$BENCH_OPSGATE" "$work/opsgate"; else go build -o "$work/opsgate" ./cmd/opsgate; fi
go build -o "$work/reference" ./bench/reference
go build -o "$work/load" ./bench/load

secret=bench-signing-secret
replicas=${BENCH_REPLICAS:-1}
export OPSGATE_DATABASE="${BENCH_DATABASE:-sqlite://$work/opsgate.db}" OPSGATE_LOG_LEVEL=warn \
  OPSGATE_SLACK_ENABLED=true OPSGATE_SLACK_SIGNING_SECRET=$secret OPSGATE_SLACK_BOT_TOKEN=xoxb-bench \
  OPSGATE_SLACK_API_URL=http://127.0.0.1:$stub/api/ OPSGATE_SLACK_BOT_USER_ID=U0BOT
[ -n "${BENCH_NATS_URL:-}" ] && export OPSGATE_NATS_URL=$BENCH_NATS_URL
# Several replicas on the SQLite file: each must say so (one serve holds the file otherwise).
[ "$replicas" -gt 1 ] && [ -z "${BENCH_DATABASE:-}" ] && export OPSGATE_DATABASE_SHARED=true
"$work/opsgate" migrate >/dev/null
for t in organization channel user; do "$work/opsgate" grant add --command whoami --type $t --value '*' >/dev/null 2>&1 || true; done # a reused database has them

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# ready URL waits for a server's health check, giving up (and the run) after 30 s: a port still held by an earlier
# run, or a server that failed to start, must not hang the script.
ready() {
  local end=$(( $(date +%s) + 30 ))
  until curl -fs "$1" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || { echo "compare.sh: $1 not ready after 30 s (its port still in use, or it failed to start)" >&2; exit 1; }
    sleep 0.005
  done
}
rss() { awk '/VmRSS/ {printf "%.1fMB", $2/1024}' /proc/$1/status; }
field() { awk -v k="$2" '{for (i=1;i<NF;i++) if ($i==k) {v=$(i+1); sub(/(ms|us)$/,"",v); print v}}' <<<"$1"; }

for run in $(seq "$runs"); do
  t0=$(date +%s%N)
  ogs=() targets=()
  # A stream of each run's own: a killed run's unfinished commands must not load the next.
  [ -n "${BENCH_NATS_URL:-}" ] && export OPSGATE_NATS_STREAM_PREFIX=BENCH$$r$run
  for i in $(seq 0 $((replicas - 1))); do
    OPSGATE_LISTEN=127.0.0.1:$((port + i)) taskset -c 0 "$work/opsgate" serve >"$work/serve$i.log" 2>&1 & ogs+=($!)
    targets+=("http://127.0.0.1:$((port + i))/api/plugins/chatops/slack/slash_command/")
  done
  og=${ogs[0]}
  for i in $(seq 0 $((replicas - 1))); do ready "http://127.0.0.1:$((port + i))/readyz"; done
  og_ready=$(ms "$t0"); sleep 1; og_idle=$(rss $og)
  o=$(IFS=,; taskset -c 1 "$work/load" -target "${targets[*]}" \
    -stub 127.0.0.1:$stub -duration "${secs}s" -label opsgate -pid $og)
  kill "${ogs[@]}"; wait "${ogs[@]}" 2>/dev/null || true

  t0=$(date +%s%N)
  taskset -c 0 "$work/reference" 2>/dev/null -listen 127.0.0.1:$refport -secret $secret -api http://127.0.0.1:$stub/api/ & ref=$!
  ready http://127.0.0.1:$refport/healthz; ref_ready=$(ms "$t0"); sleep 1; ref_idle=$(rss $ref)
  r=$(taskset -c 1 "$work/load" -target http://127.0.0.1:$refport/slash -stub 127.0.0.1:$stub -duration "${secs}s" -label reference -pid $ref)
  kill $ref; wait $ref 2>/dev/null || true

  echo "run $run"
  echo "$o  idle $og_idle  ready ${og_ready}ms"
  echo "$r  idle $ref_idle  ready ${ref_ready}ms"
  awk -v oc="$(field "$o" completed/s)" -v rc="$(field "$r" completed/s)" -v op="$(field "$o" p99)" -v rp="$(field "$r" p99)" \
    -v ou="$(field "$o" cpu/cmd)" -v ru="$(field "$r" cpu/cmd)" \
    'BEGIN { printf "ratio      completed/s %.2f (goal >= 0.75)  p99 %.2fx (goal <= 1.5x)  cpu/cmd %.2fx\n", oc/rc, op/rp, ou/ru }'
done
