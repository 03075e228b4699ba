#!/bin/bash
# Measures every office page written by `comptoir bench office-data` (lines of
# `<cookie> <path>`) with wrk at CONNECTIONS connections for SECONDS each, through
# benches/server-cpu.sh, and prints one Markdown row per page: requests/s, p50, p99, the
# server's CPU per request, and the share of answers that were not 2xx (must be 0).
#   benches/office.sh SERVER_PID BASE_URL [FILE=office-pages.txt] [CONNECTIONS=8] [SECONDS=10]
set -eu
pid=$1 base=$2 file=${3:-office-pages.txt} conns=${4:-8} secs=${5:-10}
here=$(dirname "$0")
echo "| page | requests/s | p50 | p99 | server CPU per request | non-2xx |"
echo "|---|---|---|---|---|---|"
while read -r cookie path; do
  # one request first: the page must answer 200 with this session
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base$path")
  if [ "$status" != 200 ]; then
    echo "| \`$path\` | answered $status | | | | |"
    continue
  fi
  out=$("$here/server-cpu.sh" "$pid" "$base$path" "$conns" "$secs" "$cookie")
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  p50=$(echo "$out" | awk '$1=="50%"{print $2}')
  p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  cpu=$(echo "$out" | sed -n 's/.*server CPU per request=\([0-9.]*\) ms/\1 ms/p')
  bad=$(echo "$out" | awk '/Non-2xx/{print $NF}')
  echo "| \`$path\` | $rps | $p50 | $p99 | $cpu | ${bad:-0} |"
done < "$file"
