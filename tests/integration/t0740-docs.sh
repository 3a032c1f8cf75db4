#!/bin/sh
# The man page and the README keep up with the program: every command,
# every option a command's --help names, every configuration key and its
# environment variable, and every option of the nightly job is documented;
# the man page renders without a warning.
. "$(dirname "$0")/../lib.sh"

MAN=$ROOT/erasectl.1
README=$ROOT/README.md

ec --help
expect_rc 0 "erasectl --help"
sed -n '/^commands:/,/^$/p' "$T/out" | awk 'NF && !/:$/ { print $1 }' > "$T/commands"
n=$(wc -l < "$T/commands")
if [ "$n" -ge 14 ]; then ok "--help lists $n commands"; else
	not_ok "--help lists the commands" "$(cat "$T/out")"; fi

missing_man='' missing_readme='' missing_opt=''
while read -r c; do
	grep -q "^\.SS \"erasectl $c" "$MAN" || missing_man="$missing_man $c"
	grep -q "^| \`$c" "$README" || missing_readme="$missing_readme $c"
	"$ERASECTL_BIN" "$c" --help > "$T/help" 2>&1
	for o in $(grep -o -- '--[a-z][a-z-]*' "$T/help" | sort -u); do
		m=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
		grep -q -- "$m" "$MAN" || missing_opt="$missing_opt $c:$o(man)"
		grep -q -- "$o" "$README" || missing_opt="$missing_opt $c:$o(README)"
	done
done < "$T/commands"
assert_eq "every command has a section in erasectl.1" "" "$missing_man"
assert_eq "every command is in the README's command table" "" "$missing_readme"
assert_eq "every option of every command is documented" "" "$missing_opt"

missing_opt=
for o in --config --db --verbose --quiet --log-format --version; do
	m=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
	grep -q -- "$m" "$MAN" || missing_opt="$missing_opt $o"
done
assert_eq "every global option is in erasectl.1" "" "$missing_opt"

# Configuration keys from src/config.c's table, and their variables.
grep -o '{ "[a-z]*", "[a-z_]*" }' "$ROOT/src/config.c" | sed 's/.*, "\(.*\)" }/\1/' > "$T/keys"
n=$(wc -l < "$T/keys")
if [ "$n" -ge 16 ]; then ok "config.c has $n keys"; else not_ok "config.c keys" "$n"; fi
missing=
while read -r k; do
	v=ERASECTL_$(printf '%s' "$k" | tr '[:lower:]' '[:upper:]')
	[ "$k" = ids ] && v=ERASECTL_PRODUCTS
	grep -q "^\.BI $k " "$MAN" || missing="$missing $k(man)"
	grep -q "\`\[[a-z]*\] $k\`" "$README" || missing="$missing $k(README)"
	grep -q "$v" "$MAN" || missing="$missing $v(man)"
	grep -q "\`$v\`" "$README" || missing="$missing $v(README)"
done < "$T/keys"
assert_eq "every configuration key and variable is documented" "" "$missing"
missing=
for v in ERASECTL_CONFIG PARTICLE_ACCESS_TOKEN; do
	grep -q "$v" "$MAN" && grep -q "$v" "$README" || missing="$missing $v"
done
assert_eq "ERASECTL_CONFIG and PARTICLE_ACCESS_TOKEN are documented" "" "$missing"
missing=
for v in $(grep -ho 'getenv("[A-Z_]*")' "$ROOT"/src/*.c | sed 's/getenv("\(.*\)")/\1/' | sort -u); do
	[ "$v" = ERASECTL_CONFIG ] || [ "$v" = PARTICLE_ACCESS_TOKEN ] && continue
	grep -q "$v" "$MAN" || missing="$missing $v(man)"
	grep -q "\`$v\`" "$README" || missing="$missing $v(README)"
done
assert_eq "every other variable the program reads is documented" "" "$missing"

missing=
sh "$ROOT/jobs/erasectl-nightly" --help > "$T/job-help"
for o in $(grep -o -- '--[a-z][a-z-]*' "$T/job-help" | sort -u) \
	$(grep -o 'ERASECTL_[A-Z_]*' "$T/job-help" | sort -u); do
	grep -q -- "$o" "$README" || missing="$missing $o"
done
assert_eq "every option of erasectl-nightly is in the README" "" "$missing"

missing=
for code in 0 1 2 3 4 5 6; do
	grep -q "^| $code |" "$README" || missing="$missing README:$code"
	grep -A1 '^\.TP' "$MAN" | grep -q "^\.B $code\$" || missing="$missing man:$code"
done
assert_eq "every exit code is documented" "" "$missing"

if command -v groff >/dev/null 2>&1; then
	groff -man -ww -z "$MAN" > "$T/groff" 2>&1
	assert_eq "erasectl.1 renders without warnings" "" "$(cat "$T/groff")"
fi
