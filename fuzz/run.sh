#!/bin/sh
# Fuzz the targets one at a time: fuzz/run.sh SECONDS [TARGET…] (default: every target, in priority order).
# Needs `cargo +nightly fuzz build -s none -a` first (see README.md); the binaries are looked up in
# $FUZZ_TARGET_DIR (default /work/target-fuzz-nightly). Logs: fuzz/logs/TARGET.N.log. A run that stops
# early (a crash, or a timeout: check it by running the binary on the artifact alone) is restarted until
# the target has had SECONDS; the executions printed are the sum of libFuzzer's final
# `stat::number_of_executed_units` over its runs. With FUZZ_RUNS=N in the environment, a target also stops
# once its runs have executed N units in total (libFuzzer's -runs), whichever comes first. FUZZ_MAX_LEN
# (default 65536) is libFuzzer's -max_len (see README.md, *Input length*). `parse` and `run` get the
# dictionary dict/script.dict (libFuzzer's -dict: the words the parser and runner compare against).
# -reload=30: fuzzers sharing a corpus folder read each other's new inputs every 30 s (libFuzzer's
# default, every second, re-listed the 24,000-file `run` corpus at 7% of the time).
set -u
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:?seconds per target}
shift
targets=${*:-parse run text qvd excel directory tenant config snapshot parquet report}
bin=${FUZZ_TARGET_DIR:-/work/target-fuzz-nightly}/x86_64-unknown-linux-gnu/release
mkdir -p "$here/logs"
# One thread for rayon and polars: an input is tiny, so a pool only adds hand-offs (and spinning threads
# on a shared machine) and makes coverage depend on scheduling; results do not depend on thread count.
export RAYON_NUM_THREADS=1 POLARS_MAX_THREADS=1
for t in $targets; do
    mkdir -p "$here/corpus/$t" "$here/artifacts/$t"
    start=$(date +%s)
    total=0
    n=0
    while :; do
        left=$((secs - ($(date +%s) - start)))
        [ "$left" -gt 5 ] || break
        runs=
        if [ -n "${FUZZ_RUNS:-}" ]; then
            [ "$total" -lt "$FUZZ_RUNS" ] || break
            runs="-runs=$((FUZZ_RUNS - total))"
        fi
        dict=
        case $t in parse | run) dict="-dict=$here/dict/script.dict" ;; esac
        n=$((n + 1))
        log="$here/logs/$t.$(date +%s).log"
        nice -n 19 "$bin/$t" "$here/corpus/$t" -max_total_time="$left" -rss_limit_mb=2048 -timeout=10 -reload=30 \
            -max_len=${FUZZ_MAX_LEN:-65536} -print_final_stats=1 -artifact_prefix="$here/artifacts/$t/" $runs $dict >"$log" 2>&1
        rc=$?
        units=$(grep -h 'stat::number_of_executed_units' "$log" | tail -1 | awk '{print $2}')
        total=$((total + ${units:-0}))
        [ "$rc" -eq 0 ] || echo "$t: run $n stopped (exit $rc): $(grep -h -m1 'ERROR: libFuzzer' "$log")"
    done
    echo "$t: $total executions in $n runs"
done
