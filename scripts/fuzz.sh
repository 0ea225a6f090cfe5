#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers (issue 22): builds each cargo-fuzz target of `fuzz/` and
# runs it for a bounded time, starting from the committed corpus (`fuzz/corpus/<target>/`) and the
# fixed crashes (`fuzz/regressions/<target>/`). New inputs go to `fuzz/work/<target>/` (ignored by
# git). Exits non-zero when a target crashes, panics, runs out of memory or times out, printing the
# path of the input that did it; `cargo test -p caravan-fuzz` replays the committed files on stable.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]      default 60
#   FUZZ_TARGETS="cert_json qr_decode" scripts/fuzz.sh 300
#   FUZZ_SANITIZER=none scripts/fuzz.sh       when AddressSanitizer is unavailable (default address)
#   scripts/fuzz.sh --minimize                 merge fuzz/work/ into fuzz/corpus/ with `cargo fuzz cmin`
#
# Needs only a stable toolchain: cargo-fuzz's nightly flags are allowed with RUSTC_BOOTSTRAP=1.
# Builds and runs are `nice -n 19`, so other work on the machine keeps the CPU.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

minimize=0
if [[ "${1:-}" == "--minimize" ]]; then
  minimize=1
  shift
fi
seconds="${1:-60}"
read -ra targets <<< "${FUZZ_TARGETS:-cert_json qr_decode declaration_json geotiff tabular_csv tabular_parquet interop_documents multipart}"
sanitizer="${FUZZ_SANITIZER:-address}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz from crates.io"
  cargo install cargo-fuzz --locked
fi

started=$(date +%s)
failed=()
for target in "${targets[@]}"; do
  features=()
  if [[ "$target" == multipart ]]; then features=(--features multipart); fi
  mkdir -p "corpus/$target" "regressions/$target" "work/$target"
  echo "==> $target: build ($(( $(date +%s) - started ))s)"
  nice -n 19 cargo fuzz build -O -s "$sanitizer" "${features[@]}" "$target"
  if (( minimize )); then
    echo "==> $target: merging work/$target into corpus/$target"
    cp -n "work/$target"/* "corpus/$target"/ 2>/dev/null || true
    nice -n 19 cargo fuzz cmin -O -s "$sanitizer" "${features[@]}" "$target" "corpus/$target"
    continue
  fi
  echo "==> $target: fuzz for ${seconds}s"
  log="work/$target.log"
  if nice -n 19 cargo fuzz run -O -s "$sanitizer" "${features[@]}" "$target" \
      "work/$target" "corpus/$target" "regressions/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      > "$log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb):' "$log" | sed "s/^/    /"
  else
    tail -n 40 "$log"
    input=$(grep -oE 'fuzz/artifacts/[^ ]+|artifacts/[^ ]+' "$log" | tail -n 1 || true)
    # A CI log keeps only its tail, and the artifact dies with the runner: the cause and the
    # input itself (when small) go last, where they survive.
    echo "--- $target: cause"
    grep -m 8 -E 'panicked at|^ERROR: |^SUMMARY: |^==[0-9]+==ERROR' "$log" | sed 's/^/    /' || true
    artifact="${input#fuzz/}"
    if [[ -n "$artifact" && -f "$artifact" && $(stat -c %s "$artifact") -le 4096 ]]; then
      echo "--- $target: the input, base64 (decode into a file and run the target on it)"
      base64 -w 100 "$artifact" | sed 's/^/    /'
    fi
    echo "!!! $target failed; input: fuzz/${input#fuzz/} (log: fuzz/$log)"
    echo "    reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run ${features[*]} $target fuzz/${input#fuzz/}"
    failed+=("$target")
  fi
done

echo "==> done in $(( $(date +%s) - started ))s"
if (( ${#failed[@]} )); then
  echo "!!! crashed: ${failed[*]}"
  exit 1
fi
