#!/bin/sh
# `make bench`: erasectl's performance figures, each measured in this run
# against the fake cloud (HTTPS on loopback) and printed as a table of
# figure, value, target, pass/fail; the table also goes to bench/RESULTS.md.
# BENCH_QUICK=1 runs every figure on a smaller fleet (about a minute).
# KEEP=1 keeps the scratch directory; BENCH_ONLY picks stages (see the
# end). Needs python3, openssl, curl, /usr/bin/time, and node/npm for the
# comparison with the particle-api-js script (skipped, and said so,
# without them). A full run writes bench/RESULTS.md.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
EC=$ROOT/build/erasectl
FAKE=$ROOT/build/fakecloud
W=$(mktemp -d "${TMPDIR:-/tmp}/erasectl-bench.XXXXXX")
RES=$W/results
: > "$RES"
TOKEN=bench-token-$$-c41e
LATENCY=20
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${BENCH_QUICK:-}" ]; then
	MODE=quick
	FLEET_CUST=1000 FLEET_DEV=10000	# the fleet of the main runs
	SMALL_CUST=250 SMALL_DEV=2500	# the second fleet size
	SUBSET=100			# concurrency 1 and the Node.js peer
	RL_LIMIT=200 RL_SUBJ=300	# rate-limited run
	ROWS=20000			# enqueue and peak RSS
	LEDGER_N=100000			# verify and report
else
	MODE=full
	FLEET_CUST=10000 FLEET_DEV=100000
	SMALL_CUST=1000 SMALL_DEV=10000
	SUBSET=200
	RL_LIMIT=200 RL_SUBJ=600
	ROWS=100000
	LEDGER_N=1000000
fi

say() { echo "bench: $*" >&2; }
now() { date +%s.%N; }
# calc EXPR: floating-point arithmetic (awk), 3 decimals.
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
calc0() { awk "BEGIN { printf \"%.0f\", $1 }"; }
# row FIGURE VALUE TARGET VERDICT
row() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$RES"
	printf '  %-58s %-16s %-14s %s\n' "$1" "$2" "$3" "$4" >&2
}
# verdict EXPR: "pass" when the awk condition holds, else "FAIL".
verdict() { awk "BEGIN { exit !($1) }" && echo pass || echo FAIL; }
# json FILE EXPR: a value from a JSON file (python3 expression on `d`).
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

for f in "$EC" "$FAKE"; do
	[ -x "$f" ] || { say "missing $f: run make first"; exit 2; }
done
for c in python3 openssl curl sqlite3 /usr/bin/time; do
	command -v "$c" > /dev/null ||
		{ say "missing $c (Debian: apt-get install python3 openssl curl sqlite3 time)"; exit 2; }
done

# A throwaway CA and a certificate for 127.0.0.1 (the fake serves HTTPS).
tls=$W/tls
mkdir -p "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$tls/ca.key" -out "$tls/ca.pem" -days 2 \
	-subj "/CN=erasectl bench CA" >/dev/null 2>&1 &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$tls/server.key" -out "$tls/server.csr" \
	-subj "/CN=localhost" >/dev/null 2>&1 &&
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' \
	> "$tls/ext" &&
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
	-CAcreateserial -out "$tls/server.pem" -days 2 -extfile "$tls/ext" \
	>/dev/null 2>&1 || { say "cannot make a TLS certificate"; exit 2; }
printf '%s\n' "$TOKEN" > "$W/token"
chmod 600 "$W/token"

# fake_start FIXTURE [fakecloud options...]: starts a fake cloud; sets URL
# and FAKE_PID.
fake_start() {
	fx=$1; shift
	pf=$W/port.$$.$(date +%s%N)
	"$FAKE" --fixture "$fx" --port 0 --port-file "$pf" \
		--tls "$tls/server.pem" "$tls/server.key" --token-file "$W/token" \
		--threads 4 "$@" 2>> "$W/fake.log" &
	FAKE_PID=$!
	pids="$pids $FAKE_PID"
	i=0
	while [ ! -s "$pf" ]; do
		i=$((i + 1))
		if [ $i -gt 1200 ] || ! kill -0 "$FAKE_PID" 2>/dev/null; then
			say "fake cloud did not start (see $W/fake.log)"
			return 1
		fi
		sleep 0.05
	done
	URL=https://127.0.0.1:$(cat "$pf")
}
fake_stop() { kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; }
admin() { curl -sS --cacert "$tls/ca.pem" "$URL/admin/$1"; }
# fake_requests: HTTP requests the fake has answered so far.
fake_requests() { admin stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }
fake_limited() { admin stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["limited"])'; }
# fake_list_calls: requests so far that fetched a list page (discovery and
# the final sweep), as opposed to per-subject calls.
fake_list_calls() {
	admin requests | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if "page=" in (r.get("query") or "")))'
}
fake_faults() {
	curl -sS --cacert "$tls/ca.pem" -X POST -H 'Content-Type: application/json' \
		--data "$1" "$URL/admin/faults" > /dev/null
}

# fleet NAME CUSTOMERS DEVICES: a synthetic fleet (0-3 devices per
# customer), NAME.json, with NAME.emails (every customer, one a line) and
# NAME.product.
fleet() {
	"$FAKE" --generate --products 1 --customers "$2" --devices "$3" \
		--max-devices-per-customer 3 --seed 7 > "$W/$1.json" || return 1
	python3 - "$W/$1" <<'EOF'
import json, sys
base = sys.argv[1]
d = json.load(open(base + ".json"))
p = d["products"][0]
open(base + ".product", "w").write(str(p["id"]) + "\n")
with open(base + ".emails", "w") as f:
    for c in p["customers"]:
        f.write(c["username"] + "\n")
EOF
}
# subjects_csv EMAILS N OUT: the first N emails as an erasure CSV.
subjects_csv() {
	{ echo "request_id,email"; head -n "$2" "$1" | awk '{ printf "B-%d,%s\n", NR, $0 }'; } > "$3"
}

# ec_setup DIR PRODUCT [INI lines for [api]...]: config and database in DIR
# against $URL.
ec_setup() {
	d=$1 prod=$2; shift 2
	mkdir -p "$d"
	{
		echo "[api]"
		echo "base_url = $URL"
		echo "token_file = $W/token"
		echo "ca_file = $tls/ca.pem"
		echo "timeout = 30"
		for l in "$@"; do echo "$l"; done
		echo "[products]"
		echo "ids = $prod"
		echo "[store]"
		echo "db = $d/erasectl.db"
		echo "hmac_key_file = $d/erasectl.key"
	} > "$d/erasectl.conf"
	"$EC" -q -c "$d/erasectl.conf" init > /dev/null 2>> "$W/ec.log"
}
# timed DIR ARGS...: runs erasectl with DIR's config under /usr/bin/time;
# sets SECS (wall), RSS_KB (peak) and EC_RC.
timed() {
	d=$1; shift
	t0=$(now)
	/usr/bin/time -f '%M' -o "$W/rss" "$EC" -q -c "$d/erasectl.conf" "$@" \
		> "$W/ec.out" 2>> "$W/ec.log"
	EC_RC=$?
	t1=$(now)
	SECS=$(calc "$t1 - $t0")
	RSS_KB=$(tail -1 "$W/rss")
}
# timed_best N DIR ARGS...: timed, N times (read-only commands); SECS is
# the fastest, as the machine's noise only ever adds time; EC_RC the worst.
timed_best() {
	n=$1; shift
	best= worst=0
	while [ "$n" -gt 0 ]; do
		timed "$@"
		[ -z "$best" ] || [ "$(verdict "$SECS < $best")" = pass ] && best=$SECS
		[ "$EC_RC" -gt "$worst" ] && worst=$EC_RC
		n=$((n - 1))
	done
	SECS=$best EC_RC=$worst
}
# not_done DIR: requests not done after a run.
not_done() {
	sqlite3 -batch -noheader "$1/erasectl.db" \
		"SELECT count(*) FROM erasure_queue WHERE status <> 'done'"
}
# state_norm OUT: the fake's state with volatile fields dropped and
# lists sorted, for comparing two final states.
state_norm() {
	admin state | python3 -c '
import json, sys
VOLATILE = {"updated_at", "last_heard", "last_handshake_at"}
def norm(x):
    if isinstance(x, dict):
        return {k: norm(v) for k, v in x.items() if k not in VOLATILE}
    if isinstance(x, list):
        return sorted((norm(v) for v in x), key=lambda v: json.dumps(v, sort_keys=True))
    return x
json.dump(norm(json.load(sys.stdin)), sys.stdout, sort_keys=True, indent=1)
' > "$1"
}

say "mode $MODE; scratch $W"
start_all=$(now)

# ---- 1. Latency bound and concurrency (rate_limit = 0, 20 ms latency) ----
bench_latency() {
	say "fleet: $FLEET_CUST customers, $FLEET_DEV devices"
	fleet big "$FLEET_CUST" "$FLEET_DEV" || return 1
	prod=$(cat "$W/big.product")
	subjects_csv "$W/big.emails" "$FLEET_CUST" "$W/big.csv"
	subjects_csv "$W/big.emails" "$SUBSET" "$W/subset.csv"
	head -n "$SUBSET" "$W/big.emails" > "$W/subset.emails"

	# Full batch at concurrency 32.
	fake_start "$W/big.json" --latency-ms "$LATENCY" || return 1
	ec_setup "$W/c32" "$prod" "concurrency = 32" "rate_limit = 0"
	"$EC" -q -c "$W/c32/erasectl.conf" enqueue "$W/big.csv" > /dev/null 2>> "$W/ec.log"
	r0=$(fake_requests)
	say "run: $FLEET_CUST subjects, concurrency 32"
	timed "$W/c32" run --concurrency 32
	calls=$(( $(fake_requests) - r0 ))
	big_list=$(fake_list_calls)
	# The weekly sweep over the same fleet, every subject now erased.
	r1=$(fake_requests)
	c32_secs=$SECS c32_rc=$EC_RC
	timed "$W/c32" sweep
	sweep_calls=$(( $(fake_requests) - r1 ))
	sweep_secs=$SECS sweep_rc=$EC_RC
	SECS=$c32_secs EC_RC=$c32_rc
	fake_stop
	c32_calls=$calls
	bound=$(calc "$calls * $LATENCY / 1000 / 32")
	ratio=$(calc "$SECS / $bound")
	row "run c=32, $FLEET_CUST subjects: wall s" "$SECS" "" "exit $EC_RC, $(not_done "$W/c32") not done"
	row "  API calls (per subject)" "$calls ($(calc "$calls / $FLEET_CUST"))" "" "info"
	row "  wall / latency bound (calls x ${LATENCY}ms / 32 = ${bound}s)" "$ratio" "<= 1.25" \
		"$(verdict "$ratio <= 1.25")"
	c32_rate=$(calc "$calls / $SECS")
	row "sweep, $FLEET_CUST erased subjects, $FLEET_DEV devices: wall s" "$sweep_secs" "" "exit $sweep_rc"
	row "  sweep API calls (list pages only)" "$sweep_calls" "" \
		"info: $(calc "$sweep_calls / ($FLEET_CUST + $FLEET_DEV) * 1000") per 1000 users+devices"

	# The same at concurrency 1, on a subset (the full batch would take
	# calls x 20 ms): compare calls per second.
	fake_start "$W/big.json" --latency-ms "$LATENCY" || return 1
	ec_setup "$W/c1" "$prod" "concurrency = 1" "rate_limit = 0"
	"$EC" -q -c "$W/c1/erasectl.conf" enqueue "$W/subset.csv" > /dev/null 2>> "$W/ec.log"
	r0=$(fake_requests)
	say "run: $SUBSET subjects, concurrency 1"
	timed "$W/c1" run --concurrency 1
	calls1=$(( $(fake_requests) - r0 ))
	fake_stop
	c1_rate=$(calc "$calls1 / $SECS")
	row "run c=1, $SUBSET-subject subset: wall s ($calls1 calls)" "$SECS" "" "exit $EC_RC"
	sp=$(calc "$c32_rate / $c1_rate")
	row "  calls/s c=32 ($c32_rate) over c=1 ($c1_rate)" "${sp}x" ">= 15x" "$(verdict "$sp >= 15")"
}

# ---- 2. Against the particle-api-js script a user would write ----
bench_peer() {
	prod=$(cat "$W/big.product")
	if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
		row "Node.js particle-api-js peer" "skipped" ">= 10x" "no node/npm"
		return 0
	fi
	if [ ! -d bench/node-peer/node_modules/particle-api-js ]; then
		say "npm install (bench/node-peer)"
		(cd bench/node-peer && npm install --no-audit --no-fund --no-package-lock --silent) \
			>> "$W/npm.log" 2>&1 || {
			row "Node.js particle-api-js peer" "skipped" ">= 10x" "npm install failed"
			return 0
		}
	fi
	# erasectl, concurrency 32, on the subset.
	fake_start "$W/big.json" --latency-ms "$LATENCY" || return 1
	ec_setup "$W/psub" "$prod" "concurrency = 32" "rate_limit = 0"
	"$EC" -q -c "$W/psub/erasectl.conf" enqueue "$W/subset.csv" > /dev/null 2>> "$W/ec.log"
	timed "$W/psub" run --concurrency 32
	ec_secs=$SECS
	state_norm "$W/state-erasectl.json"
	fake_stop
	# The peer, same subjects, same fleet.
	fake_start "$W/big.json" --latency-ms "$LATENCY" || return 1
	say "node peer: $SUBSET subjects"
	t0=$(now)
	PARTICLE_ACCESS_TOKEN=$TOKEN NODE_EXTRA_CA_CERTS=$tls/ca.pem \
		node bench/node-peer/peer.js "$URL" "$prod" "$W/subset.emails" \
		> "$W/peer.out" 2>> "$W/peer.log"
	prc=$?
	t1=$(now)
	peer_secs=$(calc "$t1 - $t0")
	state_norm "$W/state-peer.json"
	fake_stop
	same=FAIL
	cmp -s "$W/state-erasectl.json" "$W/state-peer.json" && same=pass
	row "erasectl c=32, $SUBSET subjects: wall s" "$ec_secs" "" "exit $EC_RC"
	row "particle-api-js script, same subjects: wall s" "$peer_secs" "" \
		"exit $prc, $(json "$W/peer.out" 'd["calls"]' 2>/dev/null) calls"
	sp=$(calc "$peer_secs / $ec_secs")
	row "  erasectl speed-up over the SDK script" "${sp}x" ">= 10x" "$(verdict "$sp >= 10")"
	row "  same final fake-cloud state" "$same" "identical" "$same"
}

# ---- 3. Under the fake's rate limit ----
bench_ratelimit() {
	fleet mid "$SMALL_CUST" "$SMALL_DEV" || return 1
	prod=$(cat "$W/mid.product")
	n=$RL_SUBJ
	[ "$n" -gt "$SMALL_CUST" ] && n=$SMALL_CUST
	subjects_csv "$W/mid.emails" "$n" "$W/rl.csv"
	fake_start "$W/mid.json" --latency-ms "$LATENCY" \
		--rate-limit "$RL_LIMIT" --rate-window-ms 1000 || return 1
	ec_setup "$W/rl" "$prod" "concurrency = 32" "rate_limit = $RL_LIMIT"
	"$EC" -q -c "$W/rl/erasectl.conf" enqueue "$W/rl.csv" > /dev/null 2>> "$W/ec.log"
	r0=$(fake_requests) l0=$(fake_limited)
	say "rate-limited run: $n subjects, fake limit $RL_LIMIT/s"
	timed "$W/rl" run --concurrency 32
	calls=$(( $(fake_requests) - r0 )) limited=$(( $(fake_limited) - l0 ))
	fake_stop
	ok_calls=$((calls - limited))
	rate=$(calc "$ok_calls / $SECS")
	pct=$(calc "100 * $rate / $RL_LIMIT")
	nd=$(not_done "$W/rl")
	row "rate limit $RL_LIMIT/s: achieved calls/s" "$rate ($pct%)" ">= 95%" "$(verdict "$pct >= 95")"
	row "  429 answers / requests not done" "$limited / $nd" "- / 0" \
		"$(verdict "$nd == 0 && $EC_RC == 0")"
}

# ---- 4. API calls per subject as the fleet grows ----
bench_growth() {
	prod=$(cat "$W/mid.product")
	subjects_csv "$W/mid.emails" "$SMALL_CUST" "$W/mid.csv"
	fake_start "$W/mid.json" || return 1
	ec_setup "$W/grow" "$prod" "concurrency = 32" "rate_limit = 0"
	"$EC" -q -c "$W/grow/erasectl.conf" enqueue "$W/mid.csv" > /dev/null 2>> "$W/ec.log"
	r0=$(fake_requests)
	timed "$W/grow" run --concurrency 32
	calls=$(( $(fake_requests) - r0 ))
	small_list=$(fake_list_calls)
	fake_stop
	small=$(calc "$calls / $SMALL_CUST")
	big=$(calc "$c32_calls / $FLEET_CUST")
	row "API calls/subject, fleet $SMALL_CUST cust/$SMALL_DEV dev" "$small" "" \
		"info: $small_list list pages, $(calc "($calls - $small_list) / $SMALL_CUST")/subject other"
	row "API calls/subject, fleet $FLEET_CUST cust/$FLEET_DEV dev" "$big" "" \
		"info: $big_list list pages, $(calc "($c32_calls - $big_list) / $FLEET_CUST")/subject other"
	g=$(calc "$big / $small")
	row "  growth for a $((FLEET_DEV / SMALL_DEV))x fleet" "${g}x" "< 1.5x" "$(verdict "$g < 1.5")"
}

# ---- 5. Store: enqueue, peak RSS with 100,000 queued requests ----
bench_store_queue() {
	prod=$(cat "$W/mid.product")
	# The mid fleet's customers first, then subjects found nowhere.
	{
		echo "request_id,email,received_at"
		awk -v n="$ROWS" '{ print } END { for (i = NR + 1; i <= n; i++) printf "nobody%d@example.org\n", i }' \
			"$W/mid.emails" | head -n "$ROWS" |
			awk '{ printf "Q-%d,%s,2026-11-01\n", NR, $0 }'
	} > "$W/rows.csv"
	fake_start "$W/mid.json" || return 1
	ec_setup "$W/q" "$prod" "concurrency = 32" "rate_limit = 0"
	timed "$W/q" enqueue "$W/rows.csv"
	row "enqueue $ROWS CSV rows: wall s" "$SECS" "" "exit $EC_RC, $(calc0 "$ROWS / $SECS") rows/s"
	row "  enqueue peak RSS MiB" "$(calc "$RSS_KB / 1024")" "< 64" "$(verdict "$RSS_KB < 65536")"
	timed "$W/q" run --concurrency 32
	fake_stop
	row "run with $ROWS queued requests: wall s" "$SECS" "" "exit $EC_RC, $(not_done "$W/q") not done"
	row "  run peak RSS MiB" "$(calc "$RSS_KB / 1024")" "< 64" "$(verdict "$RSS_KB < 65536")"
}

# ---- 6. Store: ledger append rate, verify and report at 1,000,000 ----
bench_store_ledger() {
	gen=$ROOT/build/bench/ledger-bench
	mkdir -p "$ROOT/build/bench"
	objs=
	for o in build/obj/*.o; do
		[ "$o" = build/obj/main.o ] || objs="$objs $o"
	done
	# shellcheck disable=SC2046
	$(cat build/.flags) -Wno-missing-prototypes -o "$gen" bench/ledger-bench.c \
		$objs $(pkg-config --libs libcurl libcjson sqlite3 libcrypto) -lcsv -lm \
		2>> "$W/ec.log" || { say "cannot build bench/ledger-bench.c"; return 1; }
	d=$W/ledger
	mkdir -p "$d"
	URL=https://127.0.0.1:1
	ec_setup "$d" 1
	for batch in 1 50 1000; do
		"$gen" "$d/erasectl.db" "$d/erasectl.key" append 2000 "$batch" > "$W/gen.out" 2>> "$W/ec.log" ||
			{ say "ledger-bench append failed"; return 1; }
		row "ledger append, $batch per commit: entries/s" "$(cat "$W/gen.out")" "" "info"
	done
	rm -f "$d"/erasectl.db*
	ec_setup "$d" 1
	say "generating $LEDGER_N ledger entries"
	"$gen" "$d/erasectl.db" "$d/erasectl.key" fill "$LEDGER_N" > "$W/gen.out" 2>> "$W/ec.log" ||
		{ say "ledger-bench fill failed"; return 1; }
	row "ledger fill $LEDGER_N entries (10 per request): entries/s" "$(cat "$W/gen.out")" "" "info"
	timed_best 3 "$d" verify
	row "verify $LEDGER_N entries: wall s (best of 3)" "$SECS" "< 3" \
		"$(verdict "$SECS < 3 && $EC_RC == 0")"
	timed_best 3 "$d" report --format json -o "$W/report.json"
	row "report (json) over $LEDGER_N entries: wall s (best of 3)" "$SECS" "< 5" \
		"$(verdict "$SECS < 5 && $EC_RC == 0")"
	row "  report peak RSS MiB" "$(calc "$RSS_KB / 1024")" "" "info"
}

# BENCH_ONLY="latency peer ..." runs some stages (peer needs latency;
# growth and store_queue need ratelimit's fleet).
for b in ${BENCH_ONLY:-latency peer ratelimit growth store_queue store_ledger}; do
	if ! bench_$b; then
		row "$b" "error" "" "FAIL (see $W/*.log)"
		KEEP=1
	fi
done

total=$(calc "$(now) - $start_all")
fails=$(grep -c 'FAIL' "$RES")
say "done in ${total}s, $fails figure(s) below target"

# The table on stdout, and bench/RESULTS.md for the README to cite.
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
	echo "# erasectl benchmark results"
	echo
	echo "Measured by \`make bench\` ($MODE mode$([ "$MODE" = quick ] && echo ', BENCH_QUICK=1')) on $(date -u +%Y-%m-%d):"
	echo "$(nproc) CPUs ($cpu), $(uname -sr). Fake cloud over HTTPS on loopback"
	echo "with ${LATENCY} ms latency per request unless stated; whole run ${total}s."
	echo
	echo "| figure | value | target | result |"
	echo "|---|---|---|---|"
	awk -F '\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, ($3 == "" ? "" : $3), $4 }' "$RES"
	echo
	echo "Concurrency 1 is measured on a $SUBSET-subject subset (a full batch one"
	echo "call at a time would take calls x ${LATENCY} ms); the two are compared by API"
	echo "calls per second. The particle-api-js script (bench/node-peer/peer.js)"
	echo "lists devices and customers once, then awaits each call in turn, as"
	echo "its documentation's examples do; erasectl also verifies with fresh GETs."
	echo "The rate-limited run: the fake answers 429 past $RL_LIMIT requests per 1 s"
	echo "window, erasectl has rate_limit = $RL_LIMIT; $RL_SUBJ subjects of a $SMALL_CUST-customer fleet."
	echo "Queued requests: $ROWS CSV rows, the $SMALL_CUST customers of that fleet first,"
	echo "the rest found nowhere, no added latency. Ledger figures: bench/ledger-bench.c"
	echo "appending through ledger_append (synchronous = FULL), 10 entries per request."
} > "$W/RESULTS.md"
if { [ "$MODE" = full ] && [ -z "${BENCH_ONLY:-}" ]; } || [ -n "${BENCH_WRITE:-}" ]; then
	cp "$W/RESULTS.md" bench/RESULTS.md
fi
echo
echo "erasectl bench ($MODE): $(nproc) CPUs ($cpu); fake cloud latency ${LATENCY} ms; ${total}s"
awk -F '\t' 'BEGIN { printf "%-60s %-18s %-14s %s\n", "figure", "value", "target", "result" }
	{ printf "%-60s %-18s %-14s %s\n", $1, $2, $3, $4 }' "$RES"
[ "$fails" = 0 ]
