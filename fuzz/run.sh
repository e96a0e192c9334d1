#!/usr/bin/env bash
# Runs every fuzz target for a bounded time, seeded from the fixtures.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 20 s, every target)
#
# Needs no nightly and no cargo-fuzz: the targets are built with the stable compiler's
# SanitizerCoverage pass (what `cargo fuzz build --sanitizer none` sets up) and linked
# with libFuzzer by libfuzzer-sys. A crash is saved under fuzz/artifacts/TARGET/ and the
# script fails; replay it with `fuzz/target/<host>/release/TARGET fuzz/artifacts/TARGET/crash-*`,
# then add the input to tests/fuzz_seeds.rs so it stays found.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(any csv pml xml archive evtx servicing)

export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
# An explicit --target keeps these flags off build scripts (as cargo-fuzz does).
host="$(rustc -vV | sed -n 's/^host: //p')"
cargo build --release --quiet --bins --target "$host"
bin="target/$host/release"

# Seeds: the fixtures (never committed twice; the corpus lives in target/).
corpus_root=target/corpus
for t in "${targets[@]}"; do
    mkdir -p "$corpus_root/$t" "artifacts/$t"
    case "$t" in
        pml) ls ../fixtures/procmon/*.pml >/dev/null 2>&1 && cp ../fixtures/procmon/*.pml "$corpus_root/$t/" || true ;;
        xml) cp ../fixtures/procmon/*.xml "$corpus_root/$t/" ;;
        archive) : ;;
        servicing) cp ../fixtures/tickets/rdp-install-denied/*.log "$corpus_root/$t/"
              find ../../shared/corpus/cbs-dism -name '*.log' -size -50k -exec cp {} "$corpus_root/$t/" \; 2>/dev/null || true ;;
        # The ticket's synthetic logs, and the real corpus's small files when present.
        evtx) cp ../fixtures/tickets/rdp-install-denied/*.evtx "$corpus_root/$t/"
              find ../../shared/corpus/evtx -name '*.evtx' -size -70k -exec cp {} "$corpus_root/$t/" \; 2>/dev/null || true ;;
        *) cp ../fixtures/procmon/* ../fixtures/tickets/rdp-install-denied/* "$corpus_root/$t/" ;;
    esac
    echo "fuzz: $t for ${secs}s"
    "$bin/$t" "$corpus_root/$t" -max_total_time="$secs" -rss_limit_mb=2048 \
        -max_len=262144 -timeout=10 -artifact_prefix="artifacts/$t/" -print_final_stats=1 2>&1 \
        | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+== ERROR|SUMMARY|.*panicked)" || true
    if ls "artifacts/$t"/crash-* "artifacts/$t"/timeout-* "artifacts/$t"/oom-* >/dev/null 2>&1; then
        echo "fuzz: $t found a failing input: see fuzz/artifacts/$t/" >&2
        exit 1
    fi
done
