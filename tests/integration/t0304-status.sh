#!/bin/sh
# status: text and JSON (exact keys of DESIGN.md), deadlines from the
# configuration, one request, unknown ids.
. "$(dirname "$0")/../lib.sh"
FX=$ROOT/tests/fixtures/intake
init_db

ec status --help
expect_rc 0 "status --help"
ec status --format yaml
expect_rc 2 "bad --format is a usage error"
ec status a b
expect_rc 2 "two ids is a usage error"

ec status --format json
expect_rc 0 "status on an empty queue"
assert_eq "empty JSON" '{"counts":{"pending":0,"running":0,"done":0,"failed":0,"held":0,"rejected":0,"awaiting_approval":0},"requests":[]}' "$(cat "$T/out")"

ec enqueue "$FX/good.csv"
sq "UPDATE erasure_queue SET status = 'done', outcome = 'not_found', subject_email = NULL, completed_at = '2026-11-20T00:00:00Z' WHERE request_id = 'R-1003'"
sq "UPDATE erasure_queue SET status = 'failed', attempts = 2, last_error = 'HTTP 503' WHERE request_id = 'R-1002'"

ec status --format json
expect_rc 0 "status --format json"
cp "$T/out" "$T/status.json"
python3 - "$T/status.json" > "$T/check" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(d) == ["counts", "requests"], sorted(d)
assert d["counts"] == {"pending": 3, "running": 0, "done": 1, "failed": 1, "held": 0, "rejected": 0, "awaiting_approval": 0}, d["counts"]
# DESIGN.md's keys, and who enqueued, approved or denied (its Additions).
keys = ["request_id", "status", "outcome", "attempts", "received_at", "deadline", "completed_at", "last_error",
        "enqueued_by", "approved_by", "approved_at", "denied_by"]
for r in d["requests"]:
    assert sorted(r) == sorted(keys), sorted(r)
by = {r["request_id"]: r for r in d["requests"]}
assert by["R-1001"]["deadline"] == "2026-12-01", by["R-1001"]
assert by["R-1004"]["deadline"] == "2026-02-28", by["R-1004"]
assert by["R-1003"]["outcome"] == "not_found" and by["R-1003"]["completed_at"] == "2026-11-20T00:00:00Z"
assert by["R-1002"]["attempts"] == 2 and by["R-1002"]["last_error"] == "HTTP 503" and by["R-1002"]["status"] == "failed"
assert by["R-1001"]["outcome"] is None and by["R-1001"]["completed_at"] is None and by["R-1001"]["last_error"] is None
assert len(d["requests"]) == 5
print("ok")
PY
assert_eq "JSON keys, counts and values" "ok" "$(cat "$T/check")"

ec status --format json R-1004
expect_rc 0 "status ID --format json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [r["request_id"] for r in d["requests"]] == ["R-1004"]
assert d["counts"]["pending"] == 3
print("ok")' "$T/out" > "$T/check" 2>&1
assert_eq "one request, counts of all" "ok" "$(cat "$T/check")"

ec status
expect_rc 0 "status text"
assert_grep "text counts" "$T/out" "^pending 3, running 0, done 1, failed 1, held 0, rejected 0$"
assert_grep "text row with deadline" "$T/out" "^R-1001 +pending +2026-11-01T00:00:00Z +2026-12-01 +0 -"
assert_grep "overdue marked" "$T/out" "^R-1004 .*OVERDUE"

ec status R-1001
expect_rc 0 "status ID text"
assert_grep "detail shows subject_ref" "$T/out" "^subject: +subject_ref [0-9a-f]{64}$"
assert_grep "detail shows deadline" "$T/out" "^deadline: +2026-12-01$"

ec status R-nope
expect_rc 1 "unknown id: exit 1"
assert_grep "unknown id named" "$T/err" "no request 'R-nope'"

# deadline_days from the configuration replaces the calendar month.
write_config "https://127.0.0.1:1" "[policy]" "deadline_days = 30"
ec status --format json R-1004
assert_grep "deadline_days = 30" "$T/out" '"deadline":"2026-03-02"'
# Upstream rows with a loose date still get a deadline.
sq "INSERT INTO erasure_queue (request_id, device_id, received_at) VALUES ('U-1', '0123456789abcdef01234567', '2026-11-01 10:00')"
ec status --format json U-1
assert_grep "upstream row deadline" "$T/out" '"deadline":"2026-12-01"'

for e in alice.fixture bob.fixture carol.fixture dave.fixture; do
	assert_no_grep "no $e in any output" "$T/all-output" "$e"
done
