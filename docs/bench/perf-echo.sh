#!/usr/bin/env bash
# Counts what one echoed message costs the kernel, per target, during launcher/bench echo's
# fixed rate (5 000 msg/s over 200 sockets): perf stat on the target's server processes for 10 s
# of the 20 s window (50 000 messages), divided by the messages. Needs perf (linux-perf) and root;
# run it in a private network namespace so nothing else listens beside it:
#   sudo unshare -n bash docs/bench/perf-echo.sh /tmp/perf-echo      (from the repository root)
# Prints, for ours (gateway + services JVMs), bare and local: task-clock (ms of CPU of every thread,
# JIT and GC included), context switches, eventfd/pipe writes (thread wake-ups), sendto, recvfrom.
set -euo pipefail
ip link set lo up 2>/dev/null || true
OUT=${1:?usage: perf-echo.sh OUTDIR}; mkdir -p "$OUT"
EV=task-clock,context-switches,syscalls:sys_enter_write,syscalls:sys_enter_sendto,syscalls:sys_enter_recvfrom,syscalls:sys_enter_futex
launcher/bench echo --rounds 1 --duration 20 --out "$OUT/bench" > "$OUT/bench.log" 2>&1 &
BENCH=$!
measure() { # name, the bench line that starts the target's turn, conf files of its server JVMs
  local name=$1 after=$2; shift 2
  until grep -q "$after" "$OUT/bench.log" 2>/dev/null; do sleep 0.3; done
  sleep 8 # sockets open, 3 s warm-up, then the 20 s fixed-rate window
  local pids=""
  for conf in "$@"; do pids="$pids,$(pgrep -f "$OUT/bench/conf/$conf" | head -1)"; done
  perf stat -x, -e $EV -p "${pids#,}" -- sleep 10 2> "$OUT/$name.perf"
}
measure ours "switchboard is up" gateway.json services.json
measure bare "round 1, switchboard:" bare.json
measure local "round 1, naive:" local.json
wait $BENCH
for t in ours bare local; do
  echo "== $t, per message (50 000 messages in 10 s)"
  awk -F, '{ printf "  %-32s %8.2f\n", $3, ($3 == "task-clock" ? $1 * 1000 : $1) / 50000 }' "$OUT/$t.perf"
done
grep "round 1" "$OUT/bench.log"
