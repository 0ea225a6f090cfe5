#!/usr/bin/env bash
# HTTP benchmark with wrk (Debian package `wrk`) against a release `caravan serve` on loopback:
# HS look-up and HS search at 64 connections, p50/p99 latency. Prints wrk's reports.
# Usage: scripts/bench-http.sh [seconds] [connections]
# The in-process alternative is `caravan bench http`; wrk is lighter, so it leaves more CPU to the server.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-64}
command -v wrk >/dev/null || { echo "install wrk first: apt-get install wrk" >&2; exit 2; }
cargo build --release -p caravan >/dev/null
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CARAVAN_LOG=warn target/release/caravan serve --addr "127.0.0.1:$port" --data-dir "$data" >/dev/null &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$data" "$lua_codes" "$lua_search"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
lua_codes=$(mktemp --suffix=.lua)
lua_search=$(mktemp --suffix=.lua)
cat >"$lua_codes" <<'LUA'
local codes = {"740311", "7403", "100199", "520100", "870323", "854140", "271111", "720241", "310420", "0101", "610910", "85", "270900", "790111", "284410"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/hs/" .. codes[(i % #codes) + 1])
end
LUA
cat >"$lua_search" <<'LUA'
local queries = {"copper%20cathodes", "wheat%20flour", "cotton%20yarn", "natural%20gas", "solar%20panels", "coper%20cathods",
  "%D0%BF%D1%88%D0%B5%D0%BD%D0%B8%D1%86%D0%B0", "trucks", "ferroalloys", "lithium%20batteries", "fertilisers", "cott"}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/hs/search?limit=10&q=" .. queries[(i % #queries) + 1])
end
LUA
echo "== GET /api/v1/hs/{code}, $connections connections, ${seconds}s"
wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$lua_codes" "http://127.0.0.1:$port"
echo "== GET /api/v1/hs/search?q=, $connections connections, ${seconds}s"
wrk -t1 -c"$connections" -d"${seconds}s" --latency -s "$lua_search" "http://127.0.0.1:$port"
