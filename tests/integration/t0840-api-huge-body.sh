#!/bin/sh
# A 100 MiB response body: the client stops reading past its limit
# (16 MiB), the request fails with a clear error instead of exhausting
# memory, stays queued, and the ledger still verifies.
. "$(dirname "$0")/../lib.sh"

make_tls || { not_ok "make_tls"; exit 1; }
python3 "$(dirname "$0")/t0800-server.py" huge "$T/tls/server.pem" \
	"$T/tls/server.key" "$T/port" 2> "$T/server.err" &
SP=$!
at_exit "kill $SP"
i=0
while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
write_config "https://127.0.0.1:$(cat "$T/port")" "[api]" "timeout = 20" \
	"max_attempts = 2" "[products]" "ids = 1001"
init_db
printf 'request_id,email\nR-1,alice@example.com\n' > "$T/r.csv"
ec enqueue "$T/r.csv"
expect_rc 0 "enqueue"

ERASECTL_BACKOFF_BASE_MS=10 /usr/bin/time -f '%M' -o "$T/rss" \
	"$ERASECTL_BIN" -c "$T/erasectl.conf" run > "$T/out" 2> "$T/err"
RC=$?
cat "$T/out" "$T/err" >> "$T/all-output"
case $RC in
1 | 6) ok "run fails with exit 1 or 6 (got $RC)" ;;
*) not_ok "run fails with exit 1 or 6" "got $RC" "$(head -c 600 "$T/err")" ;;
esac
assert_grep "error names the oversized body" "$T/err" '(too large|too big|larger than|exceeds|limit)'
rss=$(tail -1 "$T/rss")
echo "# peak RSS ${rss} KiB"
# Sanitizers inflate memory; the bound is checked on plain builds only.
if [ -n "${VALGRIND:-}" ] || grep -q fsanitize "$ROOT/build/.flags" 2>/dev/null; then
	ok "peak RSS not checked under sanitizers/valgrind"
elif [ "$rss" -lt 65536 ]; then
	ok "peak RSS under 64 MiB while refusing a 100 MiB body"
else
	not_ok "peak RSS under 64 MiB while refusing a 100 MiB body" "${rss} KiB"
fi
assert_eq "request is not done" 0 \
	"$(sq "select count(*) from erasure_queue where status = 'done'")"
ec verify
expect_rc 0 "ledger verifies"
assert_no_grep "no email in output" "$T/all-output" 'alice@example\.com'
