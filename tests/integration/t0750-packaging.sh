#!/bin/sh
# The Debian packaging's sources, without building the package (that is
# .ci/deb-test): the maintainer scripts and build-deb parse and pass the
# linter, jobs/deb/changelog's newest entry is the Makefile's VERSION, the
# sysusers.d entry makes the erasectl system user and the tmpfiles.d entry
# the private state directory (both applied to a scratch root), and the
# shipped configuration names every key and loads: init works with it,
# doctor asks for the products and the token.
. "$(dirname "$0")/../lib.sh"

D=$ROOT/jobs/deb
for f in build-deb postinst prerm postrm; do
	sh -n "$D/$f"
	assert_eq "jobs/deb/$f parses" 0 $?
done
bash -n "$ROOT/.ci/deb-test"
assert_eq ".ci/deb-test parses" 0 $?
if command -v shellcheck >/dev/null 2>&1; then
	shellcheck -s sh "$D/build-deb" "$D/postinst" "$D/prerm" "$D/postrm" > "$T/sc" 2>&1
	assert_eq "shellcheck: jobs/deb scripts" "" "$(cat "$T/sc")"
	shellcheck "$ROOT/.ci/deb-test" > "$T/sc" 2>&1
	assert_eq "shellcheck: .ci/deb-test" "" "$(cat "$T/sc")"
fi

version=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")
if command -v dpkg-parsechangelog >/dev/null 2>&1; then
	assert_eq "jobs/deb/changelog's newest entry is VERSION" "$version" \
		"$(dpkg-parsechangelog -l "$D/changelog" -SVersion 2>&1)"
else
	not_ok "dpkg-parsechangelog is installed (package dpkg-dev)"
fi

R=$T/root
mkdir -p "$R/etc" "$R/var/lib"
: > "$R/etc/passwd"; : > "$R/etc/group"; : > "$R/etc/shadow"; : > "$R/etc/gshadow"
systemd-sysusers --root="$R" "$ROOT/jobs/erasectl.sysusers" > "$T/sysusers" 2>&1
assert_eq "systemd-sysusers applies jobs/erasectl.sysusers" 0 $?
line=$(grep '^erasectl:' "$R/etc/passwd")
uid=$(echo "$line" | cut -d: -f3)
assert_eq "erasectl: home and shell" "/var/lib/erasectl:/usr/sbin/nologin" \
	"$(echo "$line" | cut -d: -f6-)"
if [ -n "$uid" ] && [ "$uid" -lt 1000 ]; then ok "erasectl is a system user"; else
	not_ok "erasectl is a system user" "passwd: $line" "$(cat "$T/sysusers")"; fi
if grep -q '^erasectl:' "$R/etc/group"; then ok "group erasectl"; else not_ok "group erasectl"; fi
systemd-tmpfiles --root="$R" --create "$ROOT/jobs/erasectl.tmpfiles" > "$T/tmpfiles" 2>&1
assert_eq "systemd-tmpfiles applies jobs/erasectl.tmpfiles" 0 $?
assert_eq "/var/lib/erasectl: mode 0700, owned by erasectl" "700 $uid" \
	"$(stat -c '%a %u' "$R/var/lib/erasectl" 2>&1)"
assert_eq "the state directory's mode is the service's StateDirectoryMode" \
	"StateDirectoryMode=0$(stat -c %a "$R/var/lib/erasectl")" \
	"$(grep '^StateDirectoryMode=' "$ROOT/jobs/erasectl-nightly.service")"

# The shipped configuration names every key of src/config.c's table, in
# its section, and loads (with the store moved to the scratch directory).
grep -o '{ "[a-z]*", "[a-z_]*" }' "$ROOT/src/config.c" |
	sed 's/{ "\(.*\)", "\(.*\)" }/\1 \2/' > "$T/keys"
missing=
while read -r section key; do
	awk -v s="[$section]" -v k="$key" '
		/^\[/ { in_s = ($0 == s) }
		in_s && $1 == k && $2 == "=" { found = 1 }
		END { exit !found }' "$D/erasectl.conf" || missing="$missing [$section]$key"
done < "$T/keys"
if [ -s "$T/keys" ]; then ok "src/config.c has $(wc -l < "$T/keys") keys"; else
	not_ok "src/config.c has keys"; fi
assert_eq "jobs/deb/erasectl.conf names every configuration key" "" "$missing"
ERASECTL_DB=$T/erasectl.db ERASECTL_HMAC_KEY_FILE=$T/erasectl.key
export ERASECTL_DB ERASECTL_HMAC_KEY_FILE
"$ERASECTL_BIN" -c "$D/erasectl.conf" init > "$T/out" 2> "$T/err"
RC=$?
expect_rc 0 "init with jobs/deb/erasectl.conf"
"$ERASECTL_BIN" -c "$D/erasectl.conf" doctor > "$T/out" 2> "$T/err"
RC=$?
expect_rc 2 "doctor with jobs/deb/erasectl.conf exits 2 before it is filled in"
cat "$T/out" "$T/err" > "$T/doctor"
assert_grep "doctor: the configuration loads" "$T/doctor" "^ok: configuration loaded"
assert_no_grep "doctor: no unknown key" "$T/doctor" "unknown key"
assert_grep "doctor: set [products] ids" "$T/doctor" "no products configured"
assert_grep "doctor: write the token to /etc/erasectl/token" "$T/doctor" "token file '/etc/erasectl/token'"
