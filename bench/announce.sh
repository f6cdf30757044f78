#!/usr/bin/env bash
# announce.sh: opsgate's StackStorm announcement path, st2's event stream to a Slack post. bench/announce is
# both the st2 stream (st2stream's framing, announcements at a fixed rate) and the Slack Web API stand-in
# (chat.postMessage); it reports delivered/s, lost (published - posted after a drain), publish-to-post
# p50/p99, opsgate's CPU time per announcement (/proc/<pid>/stat utime+stime) and peak RSS.
# opsgate serve runs on CPU 0, bench/announce on CPU 1; a fresh opsgate (SQLite) for every run.
# Usage: bench/announce.sh [runs (3)] [seconds (10)] [rates, comma-separated (500)];
# BENCH_OPSGATE=path runs that opsgate binary instead of this tree's (before/after);
# BENCH_PORT (48080) moves the ports (opsgate on it, the Slack stand-in on +1, st2 on +2);
# BENCH_DATABASE=DSN replaces the fresh SQLite file (e.g. a PostgreSQL database of its own: the claim of
# every announcement is a write there); BENCH_PPROF=127.0.0.1:6061 sets pprof_listen, to profile a run.
set -euo pipefail
runs=${1:-3} secs=${2:-10} rates=${3:-500}
port=${BENCH_PORT:-48080} stub=$(( ${BENCH_PORT:-48080} + 1 )) st2=$(( ${BENCH_PORT:-48080} + 2 ))
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
if [ -n "${BENCH_OPSGATE:-}" ]; then cp "$BENCH_OPSGATE" "$work/opsgate"; else go build -o "$work/opsgate" ./cmd/opsgate; fi
go build -o "$work/announce" ./bench/announce

export OPSGATE_LOG_LEVEL=warn OPSGATE_LISTEN=127.0.0.1:$port \
  OPSGATE_SLACK_ENABLED=true OPSGATE_SLACK_SIGNING_SECRET=bench-signing-secret OPSGATE_SLACK_BOT_TOKEN=xoxb-bench \
  OPSGATE_SLACK_API_URL=http://127.0.0.1:$stub/api/ OPSGATE_SLACK_BOT_USER_ID=U0BOT \
  OPSGATE_STACKSTORM_ENABLED=true OPSGATE_STACKSTORM_API_KEY=bench-api-key OPSGATE_STACKSTORM_ROUTE=opsgate \
  OPSGATE_STACKSTORM_AUTH_URL=http://127.0.0.1:$st2/auth/v1 OPSGATE_STACKSTORM_API_URL=http://127.0.0.1:$st2/api/v1 \
  OPSGATE_STACKSTORM_STREAM_URL=http://127.0.0.1:$st2/stream/v1
[ -n "${BENCH_PPROF:-}" ] && export OPSGATE_PPROF_LISTEN=$BENCH_PPROF

for run in $(seq "$runs"); do
  for rate in ${rates//,/ }; do
    rm -f "$work"/opsgate.db*
    export OPSGATE_DATABASE="${BENCH_DATABASE:-sqlite://$work/opsgate.db}"
    "$work/opsgate" migrate >/dev/null
    # The stand-in listens first: opsgate's stream connects at once instead of backing off.
    taskset -c 1 "$work/announce" -st2 127.0.0.1:$st2 -stub 127.0.0.1:$stub -rate "$rate" -duration "${secs}s" \
      -pidfile "$work/pid" -label "run $run" >"$work/out" & gen=$!
    until (exec 3<>/dev/tcp/127.0.0.1/$st2) 2>/dev/null; do sleep 0.01; done
    taskset -c 0 "$work/opsgate" serve >"$work/serve.log" 2>&1 & og=$!
    echo $og >"$work/pid"
    wait $gen || { echo "announce failed; opsgate's log:"; cat "$work/serve.log"; exit 1; }
    kill $og; wait $og 2>/dev/null || true
    cat "$work/out"
  done
done
