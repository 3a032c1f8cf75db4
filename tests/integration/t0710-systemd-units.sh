#!/bin/sh
# The systemd units in jobs/ pass `systemd-analyze verify` (no warning at
# all, the man page named in Documentation= included), keep their
# hardening, and the timer's calendar spec parses. systemd-analyze checks
# that ExecStart exists, so it verifies copies whose ExecStart is the
# script in the source tree. The shell scripts parse, and the linter
# (shellcheck, when installed) finds nothing in them.
. "$(dirname "$0")/../lib.sh"

J=$ROOT/jobs
for f in erasectl-nightly erasectl-nightly.service erasectl-nightly.timer erasectl.cron; do
	if [ -f "$J/$f" ]; then ok "jobs/$f exists"; else not_ok "jobs/$f exists"; fi
done
sh -n "$J/erasectl-nightly"
assert_eq "erasectl-nightly parses" 0 $?
if [ -x "$J/erasectl-nightly" ]; then ok "erasectl-nightly is executable"; else
	not_ok "erasectl-nightly is executable"; fi
if command -v shellcheck >/dev/null 2>&1; then
	shellcheck -s sh "$J/erasectl-nightly" "$ROOT/tests/demo.sh" > "$T/sc" 2>&1
	assert_eq "shellcheck is clean" "" "$(cat "$T/sc")"
fi

svc=$J/erasectl-nightly.service
for k in 'User=erasectl' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
	'NoNewPrivileges=yes' 'ReadWritePaths=/var/lib/erasectl' 'StateDirectory=erasectl' \
	'LoadCredential=token:/etc/erasectl/token' 'Environment=ERASECTL_TOKEN_FILE=%d/token' \
	'CapabilityBoundingSet=' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
	'SystemCallFilter=@system-service' 'ExecStart=/usr/local/bin/erasectl-nightly'; do
	if grep -qxF -- "$k" "$svc"; then ok "service has $k"; else not_ok "service has $k"; fi
done
for k in 'Persistent=true' 'RandomizedDelaySec=30min'; do
	if grep -qxF -- "$k" "$J/erasectl-nightly.timer"; then ok "timer has $k"; else
		not_ok "timer has $k"; fi
done

# .ci/install-deps installs systemd, so a missing systemd-analyze is a
# broken set-up, not a reason to pass.
if ! command -v systemd-analyze >/dev/null 2>&1; then
	not_ok "systemd-analyze is installed (package systemd)"
	exit 1
fi
mkdir -p "$T/units" "$T/man/man1"
sed "s#^ExecStart=.*#ExecStart=$J/erasectl-nightly#" "$svc" > "$T/units/erasectl-nightly.service"
cp "$J/erasectl-nightly.timer" "$T/units/"
cp "$ROOT/erasectl.1" "$T/man/man1/"
# Documentation=man:erasectl(1) is checked with man(1) when it is installed.
man=--man=no
command -v man >/dev/null 2>&1 && man=--man=yes
MANPATH=$T/man systemd-analyze verify "$man" "$T/units/erasectl-nightly.service" \
	"$T/units/erasectl-nightly.timer" > "$T/verify" 2>&1
assert_eq "systemd-analyze verify exits 0" 0 $?
assert_eq "systemd-analyze verify prints nothing" "" "$(cat "$T/verify")"

# The check itself works: a bad key and a bad calendar spec are reported.
sed 's/^Nice=/Nicee=/' "$T/units/erasectl-nightly.service" > "$T/units/bad.service"
systemd-analyze verify --man=no "$T/units/bad.service" > "$T/verify" 2>&1
assert_grep "a misspelt key is reported" "$T/verify" "Unknown key 'Nicee'"

systemd-analyze calendar "$(sed -n 's/^OnCalendar=//p' "$J/erasectl-nightly.timer")" > "$T/cal" 2>&1
assert_eq "OnCalendar parses" 0 $?
assert_grep "the timer fires at 02:30 UTC" "$T/cal" "02:30:00 UTC"

if systemd-analyze security --offline=yes --threshold=20 "$T/units/erasectl-nightly.service" \
	> "$T/sec" 2>&1; then
	ok "systemd-analyze security: exposure at most 2.0"
else
	not_ok "systemd-analyze security: exposure at most 2.0" "$(tail -3 "$T/sec")"
fi
