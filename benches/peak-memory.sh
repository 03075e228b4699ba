#!/bin/bash
# Runs a command and prints the peaks of its private (RssAnon) and file-backed (RssFile)
# resident memory, sampled every 20 ms from /proc. Used for the CSV import figures in
# BENCHMARKS.md: on SQLite the memory-mapped database file counts in RSS, so the private
# part is what shows whether the import streams.
#   benches/peak-memory.sh ./target/release/comptoir catalog import big.csv --producer p
set -u
out=$(mktemp)
"$@" >"$out" 2>&1 &
pid=$!
anon=0
file=0
while kill -0 "$pid" 2>/dev/null; do
  a=$(awk '/RssAnon/{print $2}' "/proc/$pid/status" 2>/dev/null)
  f=$(awk '/RssFile/{print $2}' "/proc/$pid/status" 2>/dev/null)
  [ -n "$a" ] && [ "$a" -gt "$anon" ] && anon=$a
  [ -n "$f" ] && [ "$f" -gt "$file" ] && file=$f
  sleep 0.02
done
wait "$pid"
status=$?
cat "$out"
rm -f "$out"
echo "peak private (RssAnon): ${anon} kB; peak file-backed (RssFile): ${file} kB"
exit "$status"
