#!/bin/bash
# Drives one URL with wrk and prints its latency and the server's own CPU time per request
# (user + system ticks of the server process from /proc, before and after), so that a
# figure taken on a shared machine can be read beside how much work each request costs.
# Used for the shop page figures in BENCHMARKS.md.
#   benches/server-cpu.sh SERVER_PID URL [CONNECTIONS=8] [SECONDS=10] [COOKIE]
# COOKIE, when given, is sent as the requests' Cookie header (an office page's session).
set -eu
pid=$1 url=$2 conns=${3:-8} secs=${4:-10} cookie=${5:-}
headers=()
if [ -n "$cookie" ]; then headers=(-H "Cookie: $cookie"); fi
tick=$(getconf CLK_TCK)
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "${headers[@]}" "$url")
read -r u2 s2 < <(awk '{print $14, $15}' "/proc/$pid/stat")
requests=$(echo "$out" | awk '/requests in/{print $1}')
echo "$out" | grep -E "Requests/sec|^ +(50|90|99)%|Non-2xx|Socket errors" || true
awk -v r="$requests" -v t="$tick" -v c=$(( (u2 - u1) + (s2 - s1) )) \
  'BEGIN { printf "requests=%d server CPU per request=%.2f ms\n", r, c * 1000 / t / r }'
