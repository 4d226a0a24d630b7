#!/usr/bin/env bash
# Starts tandem-rendezvous on loopback with its join page, Tandem Expert hosting a new session through it, and a
# new customer who has nothing installed: curl plays the customer's browser (it types the key on the join page
# and downloads Tandem Customer, whose file name carries the key), and the downloaded program, started without
# any argument, joins by itself. Both programs meet through the rendezvous and run real QUIC over the ICE path
# it helps them find. `demo.sh` uses the current display; `demo.sh --headless OUTDIR` starts its own Xvfb servers (one per
# program, so the windows don't overlap), writes OUTDIR/expert.png and OUTDIR/customer.png once the customer
# has joined, and stops both programs. Called by `make demo` and `make demo-headless`. TANDEM_LANG=fr (or en)
# picks the language of both programs.
set -euo pipefail
# Fyne logs an error for the C.UTF-8 locale, which names no language: name one.
case "${LC_ALL:-${LANG:-}}" in C.*) export LANGUAGE=${LANGUAGE:-en} ;; esac
bin=${BIN:-bin}
headless=""
if [ "${1:-}" = "--headless" ]; then headless=${2:?usage: demo.sh --headless OUTDIR}; fi

work=$(mktemp -d)
pids=()   # the programs
xvfbs=()  # their X servers, stopped after them
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for p in "${xvfbs[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# start_xvfb VAR: starts an Xvfb on a free display number and stores ":N" in VAR.
start_xvfb() {
  local fifo=$work/display.$1
  mkfifo "$fifo"
  Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp -noreset 3>"$fifo" >/dev/null 2>&1 &
  xvfbs+=($!)
  local n
  read -r -t 10 n <"$fifo" || { echo "demo: Xvfb did not start" >&2; exit 1; }
  printf -v "$1" ':%s' "$n"
}

expert_display=${DISPLAY:-}
customer_display=${DISPLAY:-}
shots=()
if [ -n "$headless" ]; then
  mkdir -p "$headless"
  rm -f "$headless/expert.png" "$headless/customer.png"
  start_xvfb expert_display
  start_xvfb customer_display
  shots=(-screenshot)
fi

# The customer's screen shows a known pattern (blue with a yellow grid), which the technician's viewer must show.
if [ -n "$headless" ] && command -v xsetroot >/dev/null; then
  DISPLAY=$customer_display xsetroot -mod 32 32 -fg '#ffcc00' -bg '#3366cc'
fi

# The rendezvous listens on loopback only (NATS, TURN and the join page on ports the system picks), writes its
# client URL and prints the join page's; the join page hands out this build of Tandem Customer.
releases=$work/releases
mkdir -p "$releases"
cp "$bin/tandem-customer" "$releases/tandem-customer-demo-linux-$(uname -m)"
rv=$work/rendezvous
"$bin/tandem-rendezvous" -nats 127.0.0.1:0 -ws "" -turn-udp 127.0.0.1:0 -turn-tcp 127.0.0.1:0 -turn-tls "" \
  -web 127.0.0.1:0 -releases "$releases" -allow-private-peers -url-file "$rv" \
  >"$work/rendezvous.out" 2>"$work/rendezvous.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$rv" ] && break; sleep 0.1; done
[ -s "$rv" ] || { echo "demo: tandem-rendezvous did not start:" >&2; cat "$work/rendezvous.log" >&2; exit 1; }
page=$(awk '$1 == "join-page" {print $2}' "$work/rendezvous.out")
echo "demo: tandem-rendezvous is serving $(cat "$rv"), its join page at $page"

link=$work/link
DISPLAY=$expert_display "$bin/tandem-expert" ${TANDEM_LANG:+-lang "$TANDEM_LANG"} -rendezvous "$(cat "$rv")" \
  -rendezvous-loopback -new-session \
  -name "${TANDEM_EXPERT_NAME:-Alice}" -link-file "$link" \
  ${headless:+-screenshot "$headless/expert.png"} &
pids+=($!)
for _ in $(seq 100); do [ -s "$link" ] && break; sleep 0.1; done
[ -s "$link" ] || { echo "demo: Tandem Expert did not start a session" >&2; exit 1; }
echo "demo: Tandem Expert is hosting $(cat "$link")"

# The customer: the join page, in their language, takes the key and offers the download.
key=$(sed -n 's/.*[?&]key=\([0-9]*\).*/\1/p' "$link")
lang=${TANDEM_LANG:-en}
offer=$(curl -sS -H "Accept-Language: $lang" -H "User-Agent: Mozilla/5.0 (X11; Linux $(uname -m))" \
  --data-urlencode "key=$key" "${page}join")
file=$(printf '%s' "$offer" | sed -n 's/.*name="file" value="\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$file" ] || { echo "demo: the join page offered no download:" >&2; printf '%s\n' "$offer" >&2; exit 1; }
downloads=$work/downloads
mkdir -p "$downloads"
(cd "$downloads" && curl -sS -f -O -J -H "Accept-Language: $lang" --data-urlencode "key=$key" \
  --data-urlencode "file=$file" "${page}download")
program=$(ls "$downloads")
echo "demo: the join page handed out $program"
chmod +x "$downloads/$program"
# Started with no key and no link: the file's name and its stamp say where to go. (-rendezvous-loopback lets
# a path on one machine use loopback addresses; -name stands for the name a customer would type.)
DISPLAY=$customer_display "$downloads/$program" ${TANDEM_LANG:+-lang "$TANDEM_LANG"} \
  -name "${TANDEM_CUSTOMER_NAME:-Bob}" -rendezvous-loopback \
  ${headless:+-screenshot "$headless/customer.png"} &
pids+=($!)

if [ -z "$headless" ]; then
  echo "demo: Tandem Customer is joining. Close both windows (or press Ctrl+C) to stop."
  wait "${pids[@]:1}" || true # the two programs; the cleanup stops the rendezvous
  exit 0
fi

for _ in $(seq 300); do
  [ -s "$headless/expert.png" ] && [ -s "$headless/customer.png" ] && break
  sleep 0.1
done
if [ -s "$headless/expert.png" ] && [ -s "$headless/customer.png" ]; then
  echo "demo: connected; screenshots in $headless/expert.png and $headless/customer.png"
else
  echo "demo: the customer did not join within 30 s" >&2
  exit 1
fi
