# Fake cloud helpers, sourced by tests/lib.sh (needs its T, ROOT, TOKEN,
# FAKECLOUD, make_tls, at_exit, not_ok). See tests/fakecloud/README.md.
#
#   fake_start FIXTURE [fakecloud flags...]
#       FIXTURE is a name under tests/fixtures/ ("fleet") or a path. Starts
#       build/fakecloud over HTTPS with the test CA (FAKE_TLS=0: plain
#       HTTP) and $TOKEN as the bearer token, on a free port; exports
#       FAKE_URL, FAKE_PORT, FAKE_PID; stops it when the test exits.
#   fake_admin METHOD PATH [JSON]   admin call; body on stdout
#   fake_state > FILE               /admin/state (the fleet now)
#   fake_requests > FILE            /admin/requests (method, path, query, status)
#   fake_faults JSON                replace the fault settings ('{}' clears)
#   fake_behaviour JSON             replace the behaviour switches ('{}' resets)
#   fake_online DEVICE_ID true|false  connect or disconnect a device
#   fake_reset_log                  clear the request log
#   fake_call METHOD PATH [JSON]    API call with the token; prints the HTTP
#                                   status, body in $FAKE_BODY
#   fake_json FILE EXPR             prints a Python expression over the
#                                   parsed JSON `j` (e.g. "len(j)")
FAKE_DIR=$T/fake
FAKE_BODY=$FAKE_DIR/body
PYTHON=$(command -v /usr/bin/python3 || command -v python3)

fake_start() {
	_fx=$1; shift
	case $_fx in
	*/* | *.json) ;;
	*) _fx=$ROOT/tests/fixtures/$_fx.json ;;
	esac
	mkdir -p "$FAKE_DIR"
	rm -f "$FAKE_DIR/port"
	# The token goes through files, never a command line.
	printf '%s\n' "$TOKEN" > "$FAKE_DIR/token"
	printf 'Authorization: Bearer %s\n' "$TOKEN" > "$FAKE_DIR/auth"
	chmod 600 "$FAKE_DIR/token" "$FAKE_DIR/auth"
	if [ "${FAKE_TLS:-1}" = 0 ]; then
		_scheme=http
	else
		_scheme=https
		if [ ! -f "$T/tls/server.pem" ] && ! make_tls; then
			not_ok "make_tls" "openssl failed"
			exit 1
		fi
		set -- --tls "$T/tls/server.pem" "$T/tls/server.key" "$@"
	fi
	# FAKE_WRAP: e.g. "valgrind --log-file=..." to check the fake itself.
	# shellcheck disable=SC2086
	${FAKE_WRAP:-} "$FAKECLOUD" --fixture "$_fx" --token-file "$FAKE_DIR/token" \
		--port 0 --port-file "$FAKE_DIR/port" "$@" \
		> "$FAKE_DIR/stdout" 2> "$FAKE_DIR/stderr" &
	FAKE_PID=$!
	at_exit "kill $FAKE_PID 2>/dev/null; wait $FAKE_PID 2>/dev/null"
	_i=0
	while [ ! -s "$FAKE_DIR/port" ]; do
		if ! kill -0 "$FAKE_PID" 2>/dev/null || [ $_i -ge 1000 ]; then
			not_ok "fakecloud started" "$(cat "$FAKE_DIR/stderr")"
			exit 1
		fi
		_i=$((_i + 1))
		sleep 0.01
	done
	FAKE_PORT=$(cat "$FAKE_DIR/port")
	FAKE_URL=$_scheme://127.0.0.1:$FAKE_PORT
	export FAKE_URL FAKE_PORT FAKE_PID
}

_fake_curl() {
	if [ "${FAKE_URL#https}" != "$FAKE_URL" ]; then
		curl -sS --cacert "$T/tls/ca.pem" "$@"
	else
		curl -sS "$@"
	fi
}

fake_admin() {
	if [ $# -ge 3 ]; then
		_fake_curl -X "$1" -H 'Content-Type: application/json' \
			--data-binary "$3" "$FAKE_URL$2"
	else
		_fake_curl -X "$1" "$FAKE_URL$2"
	fi
}

fake_state() { fake_admin GET /admin/state; }
fake_requests() { fake_admin GET /admin/requests; }
fake_reset_log() { fake_admin POST /admin/reset-log > /dev/null; }

fake_faults() {
	_out=$(fake_admin POST /admin/faults "$1")
	case $_out in
	*'"ok":true'*) ;;
	*) not_ok "fake_faults accepted" "$_out"; return 1 ;;
	esac
}

fake_behaviour() {
	_out=$(fake_admin POST /admin/behaviour "$1")
	case $_out in
	*'"ok":true'*) ;;
	*) not_ok "fake_behaviour accepted" "$_out"; return 1 ;;
	esac
}

fake_online() {
	_out=$(fake_admin POST "/admin/devices/$1" "{\"online\": $2}")
	case $_out in
	*'"ok":true'*) ;;
	*) not_ok "fake_online $1 $2" "$_out"; return 1 ;;
	esac
}

fake_call() {
	if [ $# -ge 3 ]; then
		_fake_curl -o "$FAKE_BODY" -w '%{http_code}' -X "$1" \
			-H @"$FAKE_DIR/auth" -H 'Content-Type: application/json' \
			--data-binary "$3" "$FAKE_URL$2"
	else
		_fake_curl -o "$FAKE_BODY" -w '%{http_code}' -X "$1" \
			-H @"$FAKE_DIR/auth" "$FAKE_URL$2"
	fi
}

fake_json() {
	"$PYTHON" -c 'import json, sys
j = json.load(open(sys.argv[1]))
r = eval(sys.argv[2])
print(json.dumps(r) if isinstance(r, (dict, list, bool)) or r is None else r)' "$1" "$2"
}
