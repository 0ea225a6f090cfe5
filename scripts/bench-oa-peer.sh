#!/usr/bin/env bash
# OpenAttestation v2 integrity: ours against the OpenAttestation library itself, one thread each,
# on the same ten documents (the v2 vectors of crates/caravan-interop/tests/data the library
# accepts). Installs @govtechsg/open-attestation with npm into a folder under /tmp (once), runs
# its verifySignature with Node (crates/caravan-interop/benches/oa_peer.js) and `caravan bench
# certs` (release build), prints both and the ratio peer_us / ours_us, and appends a row to
# target/bench-peers/oa_v2.csv (date, machine, commit, peer_us, ours_us, ratio).
# Usage: scripts/bench-oa-peer.sh [VERIFICATIONS]   (default 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
command -v node >/dev/null || { echo "install Node first: apt-get install nodejs npm" >&2; exit 2; }
peer=/tmp/caravan-oa-peer
if [ ! -d "$peer/node_modules/@govtechsg/open-attestation" ]; then
  mkdir -p "$peer"
  npm install --silent --prefix "$peer" @govtechsg/open-attestation@6 >/dev/null
fi
[ -x target/release/caravan ] || cargo build --release -p caravan >/dev/null
peer_line=$(NODE_PATH="$peer/node_modules" node crates/caravan-interop/benches/oa_peer.js "$n")
ours_line=$(target/release/caravan bench certs --certs "$n" --appends 1 | grep '^OpenAttestation v2 integrity (')
echo "peer: $peer_line"
echo "ours: $ours_line"
peer_us=$(sed -E 's/^verifySignature: ([0-9.]+) us.*/\1/' <<<"$peer_line")
ours_us=$(sed -E 's/.* ([0-9.]+) us\/doc$/\1/' <<<"$ours_line")
ratio=$(python3 -c "print(f'{$peer_us / $ours_us:.1f}')")
echo "ratio peer/ours: $ratio (ours is ${ratio}x faster per document)"
mkdir -p target/bench-peers
printf '%s,%s,%s,%s,%s,%s\n' "$(date -u +%FT%TZ)" "$(uname -n)/$(nproc)cpu" \
  "$(git rev-parse --short HEAD)" "$peer_us" "$ours_us" "$ratio" >>target/bench-peers/oa_v2.csv
