#!/bin/sh
# Instructions per document for each case of bench_pdf, counted by callgrind (the machine's load
# does not change them): bench/instructions.sh [N] [BUILD_DIR]. Prints one line per case:
# instructions per document (warm, averaged over N documents). Run from the repository root.
# The raw profiles stay in $OUT (default /tmp/bench-instructions) for callgrind_annotate.
set -eu
N=${1:-20}
BUILD=${2:-build}
OUT=${OUT:-/tmp/bench-instructions}
rm -rf "$OUT" && mkdir -p "$OUT"
valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.out.%p" \
    "$BUILD/bench/bench_pdf" --instructions "$N" >"$OUT/stdout" 2>"$OUT/valgrind.log"
for f in "$OUT"/callgrind.out.*.*; do
    name=$(sed -n 's/^desc: Trigger: Client Request: //p' "$f")
    total=$(sed -n 's/^summary: //p;s/^totals: //p' "$f" | head -1)
    awk -v n="$N" -v name="$name" -v t="$total" 'BEGIN { printf "%-28s %8.3f M instructions per document\n", name, t / n / 1e6 }'
done
