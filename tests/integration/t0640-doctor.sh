#!/bin/sh
# doctor: one "ok|warning|error: what — how to fix" line per finding and
# the documented exit codes: 0 ok or warnings only, 2 configuration or
# file permissions, 3 database or ledger integrity, 4 token refused or
# missing a scope, 6 API unreachable. Never prints the token or an email.
. "$(dirname "$0")/../lib.sh"

scoped_fleet() {	# scoped_fleet FILE SCOPES-JSON
	python3 - "$ROOT/tests/fixtures/fleet.json" "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
j["token_scopes"] = json.loads(sys.argv[3])
json.dump(j, open(sys.argv[2], "w"))
PY
}
NEED='["products:get","customers:list","customers:remove","devices:list","devices:get","devices:update","devices:release"]'
scoped_fleet "$T/exact.json" "$NEED"
fake_start "$T/exact.json"
write_config "$FAKE_URL" "[products]" "ids = 1001"
init_db
printf 'request_id,email\nR-1,alice@example.com\n' > "$T/req.csv"
ec enqueue "$T/req.csv"
ec run
expect_rc 0 "run with exactly the scopes doctor asks for (the fake enforces them)"
chmod 600 "$T/erasectl.key"

ec doctor
expect_rc 0 "all good: exit 0"
assert_no_grep "no error lines" "$T/out" '^error:'
assert_grep "config file named" "$T/out" "^ok: configuration loaded from '$T/erasectl.conf'"
assert_grep "token file private" "$T/out" "^ok: token file '$T/token' is private \(mode 0600\)"
assert_grep "key file private" "$T/out" "^ok: key file '$T/erasectl.key' is private"
assert_grep "integrity_check" "$T/out" '^ok: database .* passes integrity_check'
assert_grep "ledger chain" "$T/out" '^ok: ledger hash chain verifies \([0-9]+ entries\)'
assert_grep "TLS works" "$T/out" "^ok: TLS to '$FAKE_URL' works and the token is accepted"
assert_grep "token does not expire" "$T/out" '^ok: the token does not expire'
assert_grep "exact scopes" "$T/out" '^ok: the token has exactly the scopes erasure needs \(7\)'
assert_grep "summary line" "$T/out" '^0 error\(s\), 1 warning\(s\)$'
assert_grep "uncheckpointed entries warned" "$T/out" '^warning: [0-9]+ ledger entries are not covered by a checkpoint yet — run .erasectl checkpoint.'
ec checkpoint -o "$T/cp.json"
ec doctor
expect_rc 0 "after a checkpoint: exit 0"
assert_grep "no warnings after a checkpoint" "$T/out" '^0 error\(s\), 0 warning\(s\)$'

# device_action = remove needs devices:remove instead of devices:release.
printf '[policy]\ndevice_action = remove\nsim_action = release\n' >> "$T/erasectl.conf"
ec doctor
expect_rc 4 "missing scopes: exit 4"
assert_grep "missing scopes named with the fix" "$T/out" \
	'^error: the token lacks scopes erasure needs: devices:remove, sims:get, sims:remove — create an API user'
assert_grep "unneeded scope warned" "$T/out" '^warning: the token has scopes erasure does not need: devices:release'

# Without products:get (the first round's list) the preflight is refused:
# exit 4 before anything changes, and doctor names the scope.
scoped_fleet "$T/old.json" '["customers:list","customers:remove","devices:list","devices:get","devices:update","devices:release"]'
fake_start "$T/old.json"
write_config "$FAKE_URL" "[products]" "ids = 1001"
printf 'request_id,email\nR-2,bob@example.com\n' > "$T/req2.csv"
ec enqueue "$T/req2.csv"
fake_reset_log
ec run
expect_rc 4 "run without products:get: exit 4"
fake_requests > "$T/old-req.json"
assert_eq "nothing was changed" 0 \
	"$(fake_json "$T/old-req.json" "len([r for r in j if r['method'] != 'GET'])")"
ec doctor
expect_rc 4 "doctor: exit 4"
assert_grep "doctor names products:get" "$T/out" '^error: the token lacks scopes erasure needs: products:get'

# The fake cloud's default token has more scopes than needed.
fake_start fleet
write_config "$FAKE_URL" "[products]" "ids = 1001"
ec doctor
expect_rc 0 "extra scopes are a warning: exit 0"
assert_grep "extra scopes listed" "$T/out" '^warning: the token has scopes erasure does not need: .*sims:list'

# A person's token: no scopes.
scoped_fleet "$T/person.json" '[]'
fake_start "$T/person.json"
write_config "$FAKE_URL" "[products]" "ids = 1001"
ec doctor
expect_rc 0 "person's token is a warning"
assert_grep "person's token warned" "$T/out" "^warning: the token lists no scopes .*person's token"

# Permissions: group-readable token and key files are errors (exit 2).
chmod 644 "$T/token" "$T/erasectl.key"
ec doctor
expect_rc 2 "readable token file: exit 2"
assert_grep "token file mode and fix" "$T/out" \
	"^error: token file '$T/token' is accessible by group or others \(mode 0644\) — run: chmod 600 '$T/token'"
assert_grep "key file mode" "$T/out" "^error: key file '$T/erasectl.key' is accessible by group or others"
chmod 600 "$T/token" "$T/erasectl.key"

# A refused token: exit 4.
printf 'wrong-token-123456\n' > "$T/token"
ec doctor
expect_rc 4 "refused token: exit 4"
assert_grep "refusal explained" "$T/out" '^error: the API refused the token \(HTTP 401\) — '
assert_no_bytes "wrong token not printed" "wrong-token-123456" "$T/out" "$T/err"
printf '%s\n' "$TOKEN" > "$T/token"

# Unreachable API: exit 6.
write_config "https://127.0.0.1:1" "[products]" "ids = 1001"
ec doctor
expect_rc 6 "unreachable API: exit 6"
assert_grep "unreachable explained" "$T/out" "^error: cannot reach the API at 'https://127.0.0.1:1'"

# Plain http on loopback: a warning about the URL.
write_config "http://127.0.0.1:1" "[products]" "ids = 1001"
ec doctor
assert_grep "http loopback warned" "$T/out" "^warning: base_url 'http://127.0.0.1:1' is plain http"

# A rewritten ledger entry: exit 3 (integrity) before anything else.
write_config "$FAKE_URL" "[products]" "ids = 1001"
sq "drop trigger ledger_no_update; update ledger set detail = 'x' where seq = 2;"
ec doctor
expect_rc 3 "tampered ledger: exit 3"
assert_grep "tampered entry named" "$T/out" '^error: ledger does not verify at seq 2: '

# Missing key file and database.
rm -f "$T/erasectl.key" "$DB"
ec doctor
expect_rc 2 "missing key file: exit 2"
assert_grep "missing key file: fix" "$T/out" "^error: key file '$T/erasectl.key': No such file or directory — run 'erasectl init'"
assert_grep "missing database: warning" "$T/out" "^warning: database '$DB' does not exist yet — run 'erasectl init'"

ec doctor extra
expect_rc 2 "extra argument: usage error"
assert_no_bytes "token never printed" "$TOKEN" "$T/all-output"
assert_no_bytes "no email printed" "@example.com" "$T/all-output"
