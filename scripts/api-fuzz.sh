#!/usr/bin/env bash
# API fuzzing from the OpenAPI document (issue 22): checks the served document against the
# OpenAPI 3.1 meta-schema (openapi-spec-validator), then runs schemathesis against a release
# `caravan serve` on loopback with an administrator's API token, bounded in time.
# Exits non-zero on an invalid document or on any failed check (any 5xx among them).
#
# Usage: scripts/api-fuzz.sh [max-examples-per-operation] [seconds]
# Environment: CARAVAN_BIN (default target/release/caravan, built if missing or stale),
# API_FUZZ_CHECKS (default not_a_server_error,status_code_conformance,content_type_conformance),
# API_FUZZ_SEED (default 22). Reports go to target/api-fuzz/report/.
# Only loopback is contacted; PyPI only to install the tools into target/api-fuzz/venv (cached).
set -euo pipefail
cd "$(dirname "$0")/.."
max_examples=${1:-20}
seconds=${2:-300}
checks=${API_FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance}
seed=${API_FUZZ_SEED:-22}
started=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

step "tools: schemathesis and openapi-spec-validator in target/api-fuzz/venv"
work=target/api-fuzz
venv=$work/venv
tools="schemathesis==4.32.5 openapi-spec-validator==0.9.0"
if [ "$(cat "$venv/.tools" 2>/dev/null)" != "$tools" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086 # one word per requirement
  "$venv/bin/pip" install --quiet --disable-pip-version-check $tools
  echo "$tools" >"$venv/.tools"
fi

step "binary"
if [ -z "${CARAVAN_BIN:-}" ]; then
  cargo build --release -p caravan
  CARAVAN_BIN=target/release/caravan
fi

step "server on loopback with a fresh data folder"
data=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$data"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
CARAVAN_LOG=warn CARAVAN_LOG_FORMAT=human NO_COLOR=1 \
  "$CARAVAN_BIN" serve --addr "127.0.0.1:$port" --data-dir "$data/store" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$base/healthz" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

# The first start prints the administrator's one-time password; log in with it and make a token.
password=$(sed -n 's/^ *password: //p' "$work/server.log" | head -n1)
[ -n "$password" ] || { echo "no administrator password printed" >&2; exit 1; }
login=$(python3 -c 'import json, sys; print(json.dumps({"username": "admin", "password": sys.argv[1]}))' "$password")
csrf=$(curl -sf -c "$data/cookies" -H 'Content-Type: application/json' -d "$login" \
  "$base/api/v1/auth/login" | python3 -c 'import json, sys; print(json.load(sys.stdin)["csrf_token"])')
token=$(curl -sf -b "$data/cookies" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
  -d '{"name": "api-fuzz"}' "$base/api/v1/tokens" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["secret"])')

step "OpenAPI 3.1 meta-schema and semantics (openapi-spec-validator)"
curl -sf "$base/api/openapi.json" >"$work/openapi.json"
"$venv/bin/openapi-spec-validator" "$work/openapi.json"

step "schemathesis: $max_examples examples per operation, at most ${seconds}s, checks $checks"
rm -rf "$work/report"
# Left out: revoking tokens and logging out would end the fuzzer's own credential mid-run.
status=0
# Run from target/api-fuzz, where schemathesis keeps its .schemathesis cache of failures.
hooks="$PWD/scripts/api_fuzz_hooks.py"
(cd "$work" && SCHEMATHESIS_HOOKS="$hooks" timeout --signal=INT --kill-after=30 "$(( seconds + 60 ))" \
  venv/bin/schemathesis run "$base/api/openapi.json" --url "$base" \
  --header "Authorization: Bearer $token" \
  --checks "$checks" \
  --max-examples "$max_examples" --max-time "$seconds" --seed "$seed" \
  --exclude-operation-id revoke_token --exclude-operation-id logout \
  --workers 2 --request-timeout 30 --no-color --generation-database none \
  --report junit,ndjson --report-dir report) || status=$?

step "5xx answers in the server log"
if grep -E 'internal error|store unavailable|panicked' "$work/server.log" | head -n 20; then
  echo "the server answered 5xx or panicked; see $work/server.log" >&2
  status=1
fi
step "done (exit $status)"
exit "$status"
