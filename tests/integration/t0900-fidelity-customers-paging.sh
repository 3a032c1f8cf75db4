#!/bin/sh
# The customers list documents no paging: erasectl proves each walk
# complete whatever the server does with page/perPage. Under each of the
# fake's customers_paging switches a run either erases every requested
# customer (cap: asks again with the server's page size; whole: one page
# without meta) or, when the pages cannot be proven complete (the server
# ignores 'page'), fails loudly before any destructive call. Asserted from
# the fake's state: requested customers gone, others untouched, and no
# request done unless that holds.
. "$(dirname "$0")/../lib.sh"

"$FAKECLOUD" --generate --products 1 --customers 250 --devices 300 --seed 5 \
	--max-devices-per-customer 1 > "$T/fleet.json"
pick() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("\n".join(c["username"] for c in d["products"][0]["customers"][int(sys.argv[2]):int(sys.argv[3])]))' "$T/fleet.json" "$1" "$2"; }

# setup MODE: a fresh fake with the switch, a fresh database, 6 requests
# spread over the list (first page, middle, last page).
setup() {
	[ -n "${FAKE_PID:-}" ] && { kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null; }
	rm -f "$DB" "$DB-wal" "$DB-shm" "$T/erasectl.key" "$T/erasectl.conf"
	fake_start "$T/fleet.json" --behave "customers_paging=$1"
	write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 2001"
	init_db
	{ echo "request_id,email"; { pick 0 2; pick 120 122; pick 247 249; } | awk '{ printf "P-%d,%s\n", NR, $0 }'; } > "$T/req.csv"
	ec enqueue "$T/req.csv"
	cut -d, -f2 "$T/req.csv" | tail -n +2 > "$T/emails"
}
left() {
	fake_state > "$T/state.json"
	python3 -c 'import json,sys
j = json.load(open(sys.argv[1])); want = set(l.strip().lower() for l in open(sys.argv[2]) if l.strip())
c = [x["username"] for p in j["products"] for x in p["customers"]]
owned = [d for p in j["products"] for d in p["devices"] if (d.get("owner") or "").lower() in want]
print(len([u for u in c if u.lower() in want]), len(c), len(owned))' "$T/state.json" "$T/emails"
}

for mode in '{"cap":10}' whole pages; do
	setup "$mode"
	ec run
	expect_rc 0 "customers_paging=$mode: run exits 0"
	assert_grep "customers_paging=$mode: all erased" "$T/out" '^processed 6: erased 6, not found 0, failed 0;'
	assert_eq "customers_paging=$mode: requested customers gone, 244 others kept, no device owned" \
		"0 244 0" "$(left)"
	assert_eq "customers_paging=$mode: every request done and verified" 6 \
		"$(sq "select count(*) from erasure_queue where status = 'done' and outcome = 'erased'")"
	ec verify
	expect_rc 0 "customers_paging=$mode: ledger and queue agree"
	hits=$(grep -aoF -f "$T/emails" "$DB" "$DB-wal" 2>/dev/null | wc -l)
	assert_eq "customers_paging=$mode: no requested email left in the database" 0 "$hits"
done

# cap: the walk asked again with the server's page size.
setup '{"cap":10}'
ec run
fake_requests > "$T/req.json"
assert_eq "cap: the customers walk asks with perPage=10 after the first page" true \
	"$(fake_json "$T/req.json" "any('perPage=10' in (r['query'] or '') for r in j if r['path'].endswith('/customers'))")"

# ignore_page: page 2 repeats page 1: nothing can be proven, nothing is done.
setup ignore_page
ec run
expect_rc 1 "ignore_page: run exits 1"
assert_grep "ignore_page: says why" "$T/err" 'page 2 repeats items of another page .*cannot prove the list complete'
assert_eq "ignore_page: nothing destructive was sent" 0 \
	"$(fake_requests | fake_json /dev/stdin 'len([r for r in j if r["method"] != "GET"])')"
assert_eq "ignore_page: every customer still there" "6 250 6" "$(left)"
assert_eq "ignore_page: the requests failed and stay queued" "failed|6" \
	"$(sq "select status, count(*) from erasure_queue group by 1")"
assert_eq "ignore_page: no request is done in the ledger" 0 \
	"$(sq "select count(*) from ledger where event = 'done'")"
