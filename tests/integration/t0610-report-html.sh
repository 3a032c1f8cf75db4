#!/bin/sh
# report --format html: one self-contained file (no script, no external
# asset, font or link), every text escaped, loaded in headless Chromium
# with a net log that proves the page requested nothing; the screenshot is
# kept as build/test-logs/t0610-report.png and printing to PDF works.
. "$(dirname "$0")/../lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	not_ok "chromium is installed (.ci/install-deps installs it)"
	exit 1
fi

fake_start fleet
write_config "$FAKE_URL" "[api]" "rate_limit = 0" \
	"[products]" "ids = 1001, acme-lock"
init_db
today=$(date -u +%Y-%m-%d)
cat > "$T/req.csv" <<CSV
request_id,email,received_at
R-1,alice@example.com,2026-01-31
R-2, Bob.Smith+IOT@example.org ,$today
R-3,nobody@example.com,2024-02-29
<img src=x onerror=alert(1)>,carol@example.com,$today
R-5,dave@example.net,2024-01-31
CSV
ec enqueue "$T/req.csv"
expect_rc 0 "enqueue"
ec extend R-5 --months 2 --reason "<b>complex</b> & many devices"
ec hold R-5 --reason "legal claim"
ec run
expect_rc 0 "run"
ec report --format html -o "$T/report.html"
expect_rc 0 "report --format html"
H=$T/report.html

# Self-contained: nothing that could make the page fetch anything.
for pat in '<script' '<link' '<iframe' '<object' '<embed' '<img' '<image' \
	'<use' '<[a-zA-Z][^>]*[[:space:]](src|href|xlink:href|srcset|action|data)=' \
	'url\(' '@import' '@font-face' 'http://' 'https://' '//[a-z0-9]'; do
	assert_no_grep "html has no $pat" "$H" "$pat"
done
assert_grep "hostile request id is escaped text" "$H" \
	'&lt;img src=x onerror=alert\(1\)&gt;'
assert_grep "extension reason is escaped" "$H" '&lt;b&gt;complex&lt;/b&gt; &amp; many devices'
assert_grep "print stylesheet" "$H" '@media print'
assert_eq "two inline SVG charts" 2 "$(grep -c '<svg ' "$H")"
assert_grep "weekly chart has stacked bars" "$H" '<rect [^>]*fill="#2f855a"><title>week of '
assert_grep "deadline line drawn" "$H" '<path d="M[0-9.]+ [0-9.]+H'
for e in alice@example.com Bob.Smith nobody@example.com carol@example.com dave@example.net; do
	assert_no_bytes "html has no $e" "$e" "$H"
done

chrome() {
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--host-resolver-rules="MAP * ~NOTFOUND" \
		--user-data-dir="$(mktemp -d "$T/chrome.XXXXXX")" "$@" 2>> "$T/chrome.err"
}
# Page-initiated requests in a net log: the browser's own background
# traffic has initiator "not an origin"; a file:// page's has "null".
page_requests() {
	python3 - "$1" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
types = {v: k for k, v in j["constants"]["logEventTypes"].items()}
for e in j["events"]:
    p = e.get("params", {})
    if types.get(e["type"]) == "URL_REQUEST_START_JOB" and "url" in p and \
            p.get("initiator") != "not an origin":
        print(p.get("url"))
PY
}

chrome --screenshot="$T/report.png" --window-size=1200,1600 \
	--log-net-log="$T/net.json" "file://$H"
if [ -s "$T/report.png" ]; then ok "chromium wrote a screenshot"; else
	not_ok "chromium wrote a screenshot" "$(tail -5 "$T/chrome.err")"; fi
assert_eq "screenshot is a 1200x1600 PNG" "1200x1600" \
	"$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]) if d[:8] == b"\x89PNG\r\n\x1a\n" else "not a png")' "$T/report.png")"
assert_eq "screenshot is not blank (size > 40 kB)" yes \
	"$([ "$(wc -c < "$T/report.png")" -gt 40000 ] && echo yes || echo no)"
cp "$T/report.png" "$ROOT/build/test-logs/t0610-report.png" 2>/dev/null
assert_eq "net log was written" yes "$([ -s "$T/net.json" ] && echo yes || echo no)"
assert_eq "the page requested no URL at all" "" "$(page_requests "$T/net.json")"

chrome --dump-dom "file://$H" > "$T/dom.html"
assert_grep "page rendered: title" "$T/dom.html" 'Erasure compliance report'
assert_grep "page rendered: ledger verified" "$T/dom.html" 'Ledger hash chain verified'
assert_no_grep "no injected element in the DOM" "$T/dom.html" '<img'

# The detector itself works: a page with external assets is caught.
printf '<!DOCTYPE html><img src="http://127.0.0.1:9/x.png">\n' > "$T/control.html"
chrome --dump-dom --log-net-log="$T/net2.json" "file://$T/control.html" > /dev/null
assert_eq "net-log check catches an external request" "http://127.0.0.1:9/x.png" \
	"$(page_requests "$T/net2.json")"

chrome --print-to-pdf="$T/report.pdf" --no-pdf-header-footer "file://$H"
assert_grep "prints to a PDF" "$T/report.pdf" '^%PDF-'
