#!/bin/sh
# Fuzz the targets one at a time: fuzz/run.sh SECONDS [TARGET…] (default: every target, in priority order).
# Needs `cargo +nightly fuzz build -s none -a` first (see README.md); the binaries are looked up in
# $FUZZ_TARGET_DIR (default /work/target-fuzz-nightly). Each run's log is fuzz/logs/TARGET.log; its last
# `stat::number_of_executed_units` line is what README.md's table records.
set -u
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:?seconds per target}
shift
targets=${*:-parse run text qvd excel directory tenant config snapshot parquet report}
bin=${FUZZ_TARGET_DIR:-/work/target-fuzz-nightly}/x86_64-unknown-linux-gnu/release
mkdir -p "$here/logs"
for t in $targets; do
    mkdir -p "$here/corpus/$t" "$here/artifacts/$t"
    nice -n 19 "$bin/$t" "$here/corpus/$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$here/artifacts/$t/" \
        >"$here/logs/$t.log" 2>&1
    echo "$t: exit $? $(grep -h 'stat::number_of_executed_units' "$here/logs/$t.log" | tail -1)"
done
