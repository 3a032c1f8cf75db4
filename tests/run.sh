#!/bin/sh
# Runs the unit tests (cmocka, TAP output) and the integration tests
# (tests/integration/t*.sh, TAP-style "ok"/"not ok" lines), two at a time,
# and ends with "N passed, N failed". Exits non-zero on any failure or when
# nothing ran. ONLY=unit|integration and TESTS=glob narrow the run;
# VALGRIND=1 runs build/erasectl under memcheck in integration tests.
set -u
cd "$(dirname "$0")/.."
# Each run has its own log folder, so runs side by side do not mix.
mkdir -p build/test-logs
logs=$(mktemp -d build/test-logs/run.XXXXXX)
only=${ONLY:-all}
pat=${TESTS:-*}

list=$logs/list
: > "$list"
if [ "$only" != integration ]; then
	for b in build/tests/test_*; do
		[ -x "$b" ] || continue
		case $(basename "$b") in $pat) echo "unit $b" >> "$list" ;; esac
	done
fi
if [ "$only" != unit ]; then
	for s in tests/integration/t*.sh; do
		[ -f "$s" ] || continue
		case $(basename "$s") in $pat) echo "integration $s" >> "$list" ;; esac
	done
fi

# One job: write its output and exit status beside each other.
cat > "$logs/job.sh" <<'JOB'
kind=$1 path=$2 logs=$3
name=$(basename "$path" .sh)
start=$(date +%s)
if [ "$kind" = unit ]; then
	CMOCKA_MESSAGE_OUTPUT=TAP "$path" > "$logs/$name.log" 2>&1
else
	sh "$path" > "$logs/$name.log" 2>&1
fi
echo $? > "$logs/$name.rc"
echo "$(( $(date +%s) - start ))" > "$logs/$name.secs"
JOB
jobs=${JOBS:-2}
# xargs passes each "kind path" line as $0 $1 of the inline sh.
# shellcheck disable=SC2016
xargs -P "$jobs" -L 1 sh -c 'sh "'"$logs"'/job.sh" "$0" "$1" "'"$logs"'"' \
	< "$list"

pass=0
fail=0
while read -r kind path; do
	name=$(basename "$path" .sh)
	log=$logs/$name.log
	rc=$(cat "$logs/$name.rc" 2>/dev/null || echo 127)
	p=$(grep -c '^ok ' "$log" 2>/dev/null) || p=0
	f=$(grep -c '^not ok ' "$log" 2>/dev/null) || f=0
	extra=0
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		extra=1
		echo "not ok - $name exited with status $rc" >> "$log"
	elif [ "$p" = 0 ] && [ "$f" = 0 ]; then
		extra=1
		echo "not ok - $name ran no assertion" >> "$log"
	fi
	pass=$((pass + p))
	fail=$((fail + f + extra))
	secs=$(cat "$logs/$name.secs" 2>/dev/null || echo '?')
	if [ $((f + extra)) -gt 0 ]; then
		echo "FAIL $kind $name ($p passed, $((f + extra)) failed, ${secs}s)"
		grep -n '' "$log" | grep -B3 -A12 'not ok' | head -60 | sed 's/^/    /'
	else
		echo "PASS $kind $name ($p, ${secs}s)"
	fi
done < "$list"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
