#!/usr/bin/env bash
# A/B on one endpoint: two servers already listening, measured in alternating rounds with wrk,
# so both see the same machine weather. Prints req/s, p99 latency and server CPU µs per request
# per round, then medians and the ratio B/A.
#
#   bench/ab.sh PORT_A PID_A PORT_B PID_B [ROUNDS] [SECONDS]
#   env: LUA (wrk script, default GET /v1/episodes/{random id}), TOKEN_A, TOKEN_B (bearer tokens)
set -euo pipefail
PORT_A=$1 PID_A=$2 PORT_B=$3 PID_B=$4 ROUNDS=${5:-8} SECONDS_PER=${6:-4}
LUA=${LUA:-$(mktemp --suffix .lua)}
if [[ ! -s $LUA ]]; then
    printf 'request = function()\n  return wrk.format("GET", "/v1/episodes/" .. math.random(1, 100000))\nend\n' > "$LUA"
fi
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
declare -a RA RB CA CB PA PB
for ((i = 1; i <= ROUNDS; i++)); do
    for side in A B; do
        port_var=PORT_$side pid_var=PID_$side token_var=TOKEN_$side
        header=()
        [[ -n ${!token_var:-} ]] && header=(-H "Authorization: Bearer ${!token_var}")
        before=$(ticks "${!pid_var}")
        out=$(wrk -t1 -c32 -d"${SECONDS_PER}s" --latency -s "$LUA" "${header[@]}" "http://127.0.0.1:${!port_var}/")
        after=$(ticks "${!pid_var}")
        rps=$(awk '/Requests\/sec/{print $2}' <<<"$out")
        p99=$(awk '$1=="99%"{v=$2; if (v ~ /us$/) v=(v+0)/1000; else if (v ~ /ms$/) v=v+0; else v=(v+0)*1000; print v}' <<<"$out")
        total=$(awk '/requests in/{print $1}' <<<"$out")
        bad=$(grep -c "Non-2xx" <<<"$out" || true); [[ $bad == 0 ]] && bad=
        cpu=$(awk -v t=$((after - before)) -v hz="$HZ" -v n="$total" 'BEGIN{printf "%.1f", t / hz * 1e6 / n}')
        echo "round $i $side: $rps req/s, p99 $p99 ms, $cpu µs CPU/req${bad:+, non-2xx lines: $bad}"
        if [[ $side == A ]]; then RA+=("$rps"); CA+=("$cpu"); PA+=("$p99"); else RB+=("$rps"); CB+=("$cpu"); PB+=("$p99"); fi
    done
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ma=$(median "${RA[@]}") mb=$(median "${RB[@]}") ca=$(median "${CA[@]}") cb=$(median "${CB[@]}")
pa=$(median "${PA[@]}") pb=$(median "${PB[@]}")
echo "median A: $ma req/s, p99 $pa ms, $ca µs/req; B: $mb req/s, p99 $pb ms, $cb µs/req"
awk -v a="$ma" -v b="$mb" -v ca="$ca" -v cb="$cb" 'BEGIN{printf "B/A throughput %.3f, CPU per request %.3f\n", b/a, cb/ca}'
