#!/bin/sh
# Issue 15, items 3, 10, 11 and 15: configuration that would leak the
# token, disable the rate limit or aim calls at the wrong URL is refused
# before any connection; a replaced HMAC key is refused; core dumps are off
# while the token is in memory; loose permissions are warned about.
. "$(dirname "$0")/../lib.sh"

FAKE_TLS=0 fake_start conformance
req() { fake_requests > "$T/req.json"; fake_json "$T/req.json" "len(j)"; }
printf 'request_id,email\nC-1,alice@example.com\n' > "$T/req.csv"
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001"
init_db
ec enqueue "$T/req.csv"

# 3 and 10: base_url judged as libcurl will use it; no request is sent.
for url in "http://localhost:80@127.0.0.1:$FAKE_PORT/" \
	"http://127.0.0.1:$FAKE_PORT/?x=1" "http://127.0.0.1:$FAKE_PORT/#frag" \
	"http://192.0.2.2:$FAKE_PORT/"; do
	fake_reset_log
	write_config "$url" "[api]" "rate_limit = 0" "[products]" "ids = 3001"
	ec run
	expect_rc 2 "base_url '$url': exit 2"
	assert_eq "base_url '$url': no request reached the server" 0 "$(req)"
	assert_grep "base_url '$url': says why" "$T/err" "base_url"
done
for v in nan inf -1 1e-300 0.001 1e300; do
	write_config "$FAKE_URL" "[api]" "rate_limit = $v" "[products]" "ids = 3001"
	ec run --dry-run
	expect_rc 2 "rate_limit = $v: exit 2"
	assert_grep "rate_limit = $v: names the range" "$T/err" "rate_limit.*0.01"
done
ERASECTL_RATE_LIMIT=nan ec run --dry-run
expect_rc 2 "ERASECTL_RATE_LIMIT=nan: exit 2"

# 11: a replaced key file.
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001"
cp "$T/erasectl.key" "$T/key.orig"
head -c 32 /dev/urandom > "$T/erasectl.key"
for c in "run" "enqueue $T/req.csv" "lookup --email alice@example.com" "receipt C-1 --email alice@example.com"; do
	# shellcheck disable=SC2086
	ec $c
	expect_rc 2 "another key: '$c' exits 2"
	assert_grep "another key: '$c' says so" "$T/err" "fingerprint differs"
done
ec doctor
expect_rc 2 "another key: doctor exits 2"
assert_grep "doctor names the key" "$T/out" "^error: .*fingerprint"
assert_eq "nothing was queued twice" 1 "$(sq "SELECT count(*) FROM erasure_queue")"
cp "$T/key.orig" "$T/erasectl.key"; chmod 600 "$T/erasectl.key"

# 15: loose permissions.
chmod 644 "$T/erasectl.key"
ec run --dry-run
assert_grep "a readable key file is warned about" "$T/err" "key file '$T/erasectl.key' is accessible by group or others"
chmod 600 "$T/erasectl.key"
chmod 644 "$DB"
ec status
assert_grep "a readable database is warned about" "$T/err" "database '$DB' is accessible by others"
chmod 600 "$DB"
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001"
sed -i "s|^token_file = .*|token_command = cat '$T/token'|" "$T/erasectl.conf"
chmod 666 "$T/erasectl.conf"
ec run --dry-run
assert_grep "token_command in a config others can write is warned about" "$T/err" "token_command.*writable"
ec doctor
assert_grep "doctor: an error" "$T/out" "^error: .*token_command"
chmod 600 "$T/erasectl.conf"
rm -f "$T/new.db"
ec --db "$T/new.db" init
assert_eq "a new database is private" 600 "$(stat -c %a "$T/new.db")"

# 15: no core dumps while the token is in memory: the run is slowed by
# the fake's latency and its limits are read from /proc.
kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null
FAKE_TLS=0 fake_start conformance --latency-ms 300
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "[products]" "ids = 3001"
"$ERASECTL_BIN" -c "$T/erasectl.conf" run > "$T/slow.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && [ "$(req)" = 0 ]; do sleep 0.05; i=$((i + 1)); done
core=$(awk '/^Max core file size/ { print $5 " " $6 }' "/proc/$pid/limits" 2>/dev/null)
wait $pid
assert_eq "the run's core file size limit is 0" "0 0" "$core"
assert_no_bytes "token never printed" "$T/all-output" "$TOKEN"
assert_no_bytes "no email printed" "$T/all-output" "alice@example.com"
