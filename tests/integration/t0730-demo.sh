#!/bin/sh
# `make demo` (tests/demo.sh) works, twice in a row in the same directory:
# every request ends done (3 of them not_found), the signed checkpoint and
# both reports are written, and the fake cloud is stopped afterwards.
. "$(dirname "$0")/../lib.sh"

export DEMO_DIR="$T/demo"
for round in 1 2; do
	sh "$ROOT/tests/demo.sh" > "$T/demo.out" 2>&1
	RC=$?
	tail -n 15 "$T/demo.out" > "$T/err"	# expect_rc shows it on a failure
	expect_rc 0 "demo run $round exits 0"
	[ "$RC" = 0 ] || continue
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
print(s["received"], s["done"], s["not_found"], s["failed"], r["ledger"]["verified"])' \
		"$DEMO_DIR/reports/report.json" > "$T/summary" 2>&1
	assert_eq "demo $round: 12 received, 12 done, 3 not found, 0 failed, verified" \
		"12 12 3 0 True" "$(cat "$T/summary")"
	for f in reports/report.html checkpoint.json reports/receipt-R-2001.txt; do
		if [ -s "$DEMO_DIR/$f" ]; then ok "demo $round: $f written"; else
			not_ok "demo $round: $f written"; fi
	done
	assert_grep "demo $round: checkpoint is signed" "$DEMO_DIR/checkpoint.json" '"Ed25519"'
	assert_eq "demo $round: 12 requests in the database (a fresh state)" 12 \
		"$(sqlite3 "$DEMO_DIR/erasectl.db" 'SELECT count(*) FROM erasure_queue')"
	pid=$(sed -n 's/.*(pid \([0-9]*\)).*/\1/p' "$T/demo.out")
	if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
		ok "demo $round: the fake cloud is stopped"
	else
		not_ok "demo $round: the fake cloud is stopped" "pid '$pid'"
	fi
	assert_no_bytes "demo $round: token in no report" "$(cat "$DEMO_DIR/token")" \
		"$DEMO_DIR"/reports/* "$DEMO_DIR/checkpoint.json" "$DEMO_DIR/fakecloud.log"
	assert_grep "demo $round: prints where the reports are" "$T/demo.out" "HTML report"
done
