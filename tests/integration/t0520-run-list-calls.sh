#!/bin/sh
# run: discovery and verification cost list pages, not subjects x fleet:
# 10 and 100 subjects against the same fleet make the same GET list calls.
. "$(dirname "$0")/../lib.sh"

"$FAKECLOUD" --generate --products 2 --customers 1120 --devices 1200 --seed 9 \
	--max-devices-per-customer 3 > "$T/fleet.json"
init_db

# run_batch N: fresh fake cloud, N subjects (half per product); prints the
# number of GET list calls and the API call count.
run_batch() {
	fake_start "$T/fleet.json"
	write_config "$FAKE_URL" "[api]" "rate_limit = 0" "concurrency = 16" \
		"[products]" "ids = 2001, 2002"
	half=$(($1 / 2))
	{
		echo "request_id,email"
		for i in $(seq 1 $half) $(seq 561 $((560 + half))); do
			printf 'N%d-%04d,user%05d@example.com\n' "$1" "$i" "$i"
		done
	} > "$T/req$1.csv"
	ec enqueue "$T/req$1.csv"
	ec run
	expect_rc 0 "run with $1 subjects exits 0"
	assert_grep "all $1 erased" "$T/out" "^processed $1: erased $1, not found 0, failed 0"
	fake_requests > "$T/requests$1.json"
	lists=$(fake_json "$T/requests$1.json" 'len([r for r in j if r["method"] == "GET" and r["path"].endswith(("/customers", "/devices"))])')
	echo "# $1 subjects: $lists GET list calls, $(sed -n 's/.*API calls //p' "$T/out") API calls"
	kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null
}

run_batch 10
l10=$lists
run_batch 100
l100=$lists
assert_eq "same GET list calls for 10 and 100 subjects" "$l10" "$l100"
# 6 customer pages and 6 device pages per product, then the sweep's 6.
assert_eq "list calls are pages: (6 + 6 + 6) x 2 products" 36 "$l100"
