#!/bin/sh
# make demo: a complete erasure run against the fake Particle cloud, from a
# fresh state under build/demo/ every time (safe to run repeatedly).
#
# Starts build/fakecloud over HTTPS on 127.0.0.1 (throwaway CA made with
# openssl) with the fleet in tests/fixtures/demo/fleet.json, queues
# tests/fixtures/demo/requests.csv, runs the batch, verifies the ledger,
# writes a checkpoint signed with a throwaway Ed25519 key and the HTML and
# JSON reports, prints a summary, and stops the fake cloud on exit.
# ERASECTL_BIN=PATH runs another erasectl than build/erasectl, e.g. the
# installed /usr/bin/erasectl (.ci/deb-test); the fake is build/fakecloud.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=${DEMO_DIR:-$ROOT/build/demo}
FIX=$ROOT/tests/fixtures/demo
EC=${ERASECTL_BIN:-$ROOT/build/erasectl}
FAKE=$ROOT/build/fakecloud

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf 'demo: %s\n' "$*" >&2; exit 1; }

for b in "$EC" "$FAKE"; do
	[ -x "$b" ] || fail "$b is missing: run 'make' first (or 'make demo')"
done

# A fake cloud left over from an interrupted demo is stopped first.
if [ -f "$D/fakecloud.pid" ]; then
	old=$(cat "$D/fakecloud.pid")
	case $(tr '\0' ' ' < "/proc/$old/cmdline" 2>/dev/null) in
	*fakecloud*) kill "$old" 2>/dev/null ;;
	esac
fi
rm -rf "$D"
mkdir -p "$D/tls" "$D/reports"
chmod 700 "$D"
umask 077

pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rm -f "$D/fakecloud.pid"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "Throwaway TLS CA and server certificate for 127.0.0.1 (build/demo/tls)"
t=$D/tls
make_tls() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$t/ca.key" -out "$t/ca.pem" -days 2 \
		-subj "/CN=erasectl demo CA" || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$t/server.key" -out "$t/server.csr" \
		-subj "/CN=localhost" || return 1
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$t/ext"
	openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" \
		-CAcreateserial -out "$t/server.pem" -days 2 -extfile "$t/ext"
}
make_tls > "$D/openssl.log" 2>&1 ||
	fail "openssl could not create the demo certificates: $(cat "$D/openssl.log")"
echo "CA: $t/ca.pem"

step "Throwaway Ed25519 key for signing checkpoints"
if ! openssl genpkey -algorithm ed25519 -out "$D/checkpoint-key.pem" 2>/dev/null ||
	! openssl pkey -in "$D/checkpoint-key.pem" -pubout -out "$D/checkpoint-key.pub.pem"; then
	fail "openssl could not create the Ed25519 key"
fi
echo "private: $D/checkpoint-key.pem  public: $D/checkpoint-key.pub.pem"

step "Fake Particle cloud over HTTPS on 127.0.0.1 with the demo fleet"
token=demo-$(openssl rand -hex 16)
printf '%s\n' "$token" > "$D/token"
cp "$FIX/fleet.json" "$D/fleet.json"
"$FAKE" --fixture "$D/fleet.json" --port 0 --port-file "$D/port" \
	--tls "$t/server.pem" "$t/server.key" --token-file "$D/token" \
	--latency-ms 20 --jitter-ms 15 --log "$D/fakecloud.log" \
	2> "$D/fakecloud.err" &
pid=$!
echo "$pid" > "$D/fakecloud.pid"
i=0
while [ ! -s "$D/port" ]; do
	kill -0 "$pid" 2>/dev/null || fail "the fake cloud did not start: $(cat "$D/fakecloud.err")"
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "the fake cloud did not report its port within 10 s"
	sleep 0.1
done
port=$(cat "$D/port")
base=https://127.0.0.1:$port
admin() { curl -sf --cacert "$t/ca.pem" "$base$1"; }
count_fleet() {
	admin /admin/state | python3 -c '
import json, sys
s = json.load(sys.stdin)
ps = s["products"]
print("%d products, %d customers, %d devices (%d claimed), %d SIMs (%d active), %d ledger instances" % (
    len(ps), sum(len(p["customers"]) for p in ps),
    sum(len(p["devices"]) for p in ps),
    sum(1 for p in ps for d in p["devices"] if d.get("owner")),
    sum(len(p.get("sims", [])) for p in ps),
    sum(1 for p in ps for x in p.get("sims", []) if x.get("status") == "active"),
    sum(len(l["instances"]) for l in s.get("ledgers", []))))'
}
echo "listening on $base (pid $pid)"
echo "fleet: $(count_fleet)"

step "Configuration (build/demo/erasectl.conf)"
cat > "$D/erasectl.conf" <<EOF
[api]
base_url = $base
token_file = token
ca_file = tls/ca.pem
concurrency = 8
rate_limit = 50
timeout = 10
[products]
ids = 20101, acme-doorbell, acme-tracker
[policy]
device_action = unclaim
clear_device_fields = name, notes, groups
device_ledgers = device-prefs, trip-history
sim_action = deactivate
[store]
db = erasectl.db
hmac_key_file = erasectl.key
EOF
cat "$D/erasectl.conf"
ERASECTL_CONFIG=$D/erasectl.conf
export ERASECTL_CONFIG
unset PARTICLE_ACCESS_TOKEN

# ec STEP ARGS...: runs erasectl, stops the demo when it fails.
ec() {
	"$EC" "$@"
	rc=$?
	[ "$rc" = 0 ] || fail "'erasectl $*' exited with status $rc"
}

step "erasectl init"
ec init

step "erasectl doctor"
ec doctor

step "erasectl enqueue tests/fixtures/demo/requests.csv"
sed 's/^/    /' "$FIX/requests.csv" | tr -d '\r'
ec enqueue "$FIX/requests.csv"
ec status

step "erasectl run"
"$EC" run
rc=$?
case $rc in
0) ;;
1) echo "(some requests failed and stay queued for the next run)" ;;
*) fail "'erasectl run' exited with status $rc" ;;
esac
ec status
echo "fleet after the run: $(count_fleet)"

step "erasectl verify, then a signed checkpoint"
ec verify
ec checkpoint -o "$D/checkpoint.json" --sign-key "$D/checkpoint-key.pem"
ec verify --checkpoint "$D/checkpoint.json"

step "Reports and a receipt"
ec report --format html -o "$D/reports/report.html"
ec report --format json -o "$D/reports/report.json"
ec receipt R-2001 --format text > "$D/reports/receipt-R-2001.txt"
ec receipt R-2001 --format json > "$D/reports/receipt-R-2001.json"
ec lookup --email alice.berg@example.com

step "Summary"
python3 - "$D/reports/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
print("requests received %(received)d: done %(done)d (of which not found "
      "%(not_found)d), failed %(failed)d, pending %(pending)d, held %(held)d, "
      "overdue %(overdue)d" % s)
l = r["ledger"]
print("ledger: %d entries, head %s, verified: %s" % (
    l["entries"], l["head"][:16] + "...", "yes" if l["verified"] else "NO"))
EOF
case $D in "$ROOT"/*) d=${D#"$ROOT"/} ;; *) d=$D ;; esac
cat <<EOF

Everything is in $d/:
  HTML report      $d/reports/report.html
  JSON report      $d/reports/report.json
  receipt          $d/reports/receipt-R-2001.txt (and .json)
  checkpoint       $d/checkpoint.json (public key: $d/checkpoint-key.pub.pem)
  database         $d/erasectl.db (HMAC key: $d/erasectl.key)
  fake cloud log   $d/fakecloud.log
Look around: ERASECTL_CONFIG=$d/erasectl.conf ${EC#"$ROOT"/} status
EOF
