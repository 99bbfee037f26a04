#!/usr/bin/env bash
# A real multi-process Tessera cluster on this machine, from a cluster file.
#
#   scripts/cluster.sh start [CLUSTER_FILE] [DIR]   start every node, wait until S3 answers /ready
#   scripts/cluster.sh stop [DIR]                   SIGTERM every node (drain), SIGKILL after 15 s
#   scripts/cluster.sh kill NODE [DIR]              kill -9 one node (fault testing)
#   scripts/cluster.sh restart NODE [CLUSTER_FILE] [DIR]
#   scripts/cluster.sh status [DIR]
#
# Defaults: clusters/loopback-21.textproto and ./tessera-cluster (data, logs,
# pids). Credentials: TESSERA_ACCESS_KEY / TESSERA_SECRET_KEY, else the
# generated pair in DIR/credentials (printed at start). The server binary is
# $TESSERA_SERVER or build/release/prod/tessera-server (built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:-}
shift || true

server_bin() {
  local bin=${TESSERA_SERVER:-build/release/prod/tessera-server}
  if [ ! -x "$bin" ]; then
    scripts/setup.sh >&2
    scripts/build.sh build/release -DCMAKE_BUILD_TYPE=Release -DTESSERA_BUILD_TESTS=OFF >&2
  fi
  echo "$bin"
}

start_node() {  # id file dir
  local bin; bin=$(server_bin)
  nohup "$bin" --cluster "$2" --node "$1" --data-dir "$3" ${TESSERA_USERS:+--users "$TESSERA_USERS"} \
    >> "$3/node-$1.log" 2>&1 &
  echo $! > "$3/node-$1.pid"
}

case "$cmd" in
  start)
    file=${1:-clusters/loopback-21.textproto}
    dir=${2:-./tessera-cluster}
    mkdir -p "$dir"
    bin=$(server_bin)
    nodes=$("$bin" --cluster "$file" --print-nodes)
    # One credentials file for the gateway (it checks signatures).
    if [ -z "${TESSERA_ACCESS_KEY:-}" ] && [ -z "${TESSERA_USERS:-}" ]; then
      if [ ! -f "$dir/credentials" ]; then
        # tr reads a finite input: no SIGPIPE for pipefail to trip on.
        key="TS$(head -c 4096 /dev/urandom | LC_ALL=C tr -dc 'A-Z0-9' | cut -c1-18)"
        secret="$(head -c 4096 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9' | cut -c1-40)"
        echo "$key:$secret" > "$dir/credentials"
        chmod 600 "$dir/credentials"
        echo "Generated credentials (saved in $dir/credentials):"
        echo "  export AWS_ACCESS_KEY_ID=$key"
        echo "  export AWS_SECRET_ACCESS_KEY=$secret"
      fi
      export TESSERA_USERS="$dir/credentials"
    fi
    s3=()
    while read -r id role address port s3_port; do
      start_node "$id" "$file" "$dir"
      if [ "$role" = gateway ]; then s3+=("http://$address:$s3_port"); fi
    done <<< "$nodes"
    # Ready when every gateway's /ready says so (a gateway with a metadata
    # node is ready once that node answers).
    for _ in $(seq 1 300); do
      ready=1
      for url in "${s3[@]}"; do
        curl -sf "$url/ready" > /dev/null 2>&1 || ready=0
      done
      if [ $ready -eq 1 ]; then
        echo "cluster ready: $(wc -l <<< "$nodes") processes, S3 on ${s3[*]} (logs and pids in $dir)"
        exit 0
      fi
      sleep 0.1
    done
    echo "cluster did not become ready; see $dir/node-*.log" >&2
    exit 1
    ;;
  stop)
    dir=${1:-./tessera-cluster}
    pids=()
    for f in "$dir"/node-*.pid; do
      [ -f "$f" ] || continue
      pid=$(cat "$f")
      kill -TERM "$pid" 2> /dev/null && pids+=("$pid")
      rm -f "$f"
    done
    for _ in $(seq 1 150); do
      alive=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2> /dev/null && alive=1; done
      [ $alive -eq 0 ] && break
      sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2> /dev/null || true; done
    echo "cluster stopped (${#pids[@]} processes)"
    ;;
  kill)
    dir=${2:-./tessera-cluster}
    kill -KILL "$(cat "$dir/node-$1.pid")"
    rm -f "$dir/node-$1.pid"
    ;;
  restart)
    file=${2:-clusters/loopback-21.textproto}
    dir=${3:-./tessera-cluster}
    if [ -z "${TESSERA_ACCESS_KEY:-}" ] && [ -z "${TESSERA_USERS:-}" ] && [ -f "$dir/credentials" ]; then
      export TESSERA_USERS="$dir/credentials"
    fi
    start_node "$1" "$file" "$dir"
    ;;
  status)
    dir=${1:-./tessera-cluster}
    for f in "$dir"/node-*.pid; do
      [ -f "$f" ] || continue
      n=$(basename "$f" .pid)
      if kill -0 "$(cat "$f")" 2> /dev/null; then echo "$n up"; else echo "$n down"; fi
    done
    ;;
  *)
    sed -n '2,14p' "$0"
    exit 2
    ;;
esac
