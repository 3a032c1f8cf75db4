#!/bin/sh
# TLS certificates that must be refused, from a CA that erasectl trusts:
# one that expired, one for another host name. erasectl exits 6 (API
# unreachable or TLS failed) with an error about the certificate, and sends
# no HTTP request (so no token) to such a server.
. "$(dirname "$0")/../lib.sh"

make_tls || { not_ok "make_tls"; exit 1; }
d=$T/tls
# Expired: `openssl ca` can set validity dates in the past.
mkdir -p "$d/ca/new"
: > "$d/ca/index.txt"
echo 1000 > "$d/ca/serial"
cat > "$d/ca.cnf" <<CNF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $d/ca/index.txt
new_certs_dir = $d/ca/new
serial = $d/ca/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
CNF
openssl ca -batch -config "$d/ca.cnf" -cert "$d/ca.pem" -keyfile "$d/ca.key" \
	-in "$d/server.csr" -out "$d/expired.pem" -extfile "$d/ext" \
	-startdate 20240101000000Z -enddate 20240201000000Z > "$d/ca.log" 2>&1 ||
	{ not_ok "openssl ca made an expired certificate" "$(cat "$d/ca.log")"; exit 1; }
# Valid dates, but for other.example only.
printf 'subjectAltName=DNS:other.example\nbasicConstraints=CA:FALSE\n' > "$d/ext-other"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$d/other.key" -out "$d/other.csr" -subj "/CN=other.example" \
	>/dev/null 2>&1 &&
openssl x509 -req -in "$d/other.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
	-CAcreateserial -out "$d/other.pem" -days 2 -extfile "$d/ext-other" \
	>/dev/null 2>&1 || { not_ok "openssl made the other-host certificate"; exit 1; }

# try NAME CERT KEY REGEX: runs a server with CERT, then erasectl against
# it; the error must be about the certificate and match REGEX.
try() {
	name=$1
	rm -f "$T/port" "$T/port.requests"
	python3 "$(dirname "$0")/t0800-server.py" ok "$2" "$3" "$T/port" \
		2> "$T/server.err" &
	sp=$!
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	write_config "https://127.0.0.1:$(cat "$T/port")" "[products]" "ids = 1001"
	ec run
	kill $sp; wait $sp 2>/dev/null
	expect_rc 6 "$name: run exits 6"
	assert_grep "$name: error is about the certificate" "$T/err" \
		'[Cc]ertificate|SSL|TLS'
	assert_grep "$name: error says why" "$T/err" "$4"
	if [ -s "$T/port.requests" ]; then
		not_ok "$name: no HTTP request reached the server"
	else
		ok "$name: no HTTP request reached the server"
	fi
	assert_eq "$name: request still pending" 0 \
		"$(sq "select count(*) from erasure_queue where status = 'done'")"
}

write_config "https://127.0.0.1:1" "[products]" "ids = 1001"
init_db
printf 'request_id,email\nR-1,alice@example.com\n' > "$T/r.csv"
ec enqueue "$T/r.csv"
expect_rc 0 "enqueue"
# Control: with the good certificate the same setup does reach the server.
rm -f "$T/port" "$T/port.requests"
python3 "$(dirname "$0")/t0800-server.py" ok "$d/server.pem" "$d/server.key" \
	"$T/port" 2> "$T/server.err" &
sp=$!
i=0
while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
write_config "https://127.0.0.1:$(cat "$T/port")" "[products]" "ids = 1001"
ec run
kill $sp; wait $sp 2>/dev/null
if [ -s "$T/port.requests" ]; then ok "control: a valid certificate is accepted"; else
	not_ok "control: a valid certificate is accepted" "$(cat "$T/err")"; fi
try "expired certificate" "$d/expired.pem" "$d/server.key" 'expired'
try "certificate for another host" "$d/other.pem" "$d/other.key" \
	'(host|name).*(match|mismatch)|(match|mismatch).*(host|name)'

ec verify
expect_rc 0 "ledger verifies"
assert_no_grep "no token in output" "$T/all-output" "$TOKEN"
