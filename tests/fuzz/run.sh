#!/bin/sh
# `make fuzz`: builds the libFuzzer targets (clang, ASan+UBSan) into
# build/fuzz/, replays tests/fuzz/regress/TARGET/*, then fuzzes each target
# for FUZZ_SECONDS (default 60) starting from its seed corpus
# tests/fuzz/corpus/TARGET (new inputs go to build/fuzz/corpus/TARGET, so
# the committed seeds stay small). Crashes are saved under
# build/fuzz/crashes/; commit one to tests/fuzz/regress/TARGET/ once fixed.
# FUZZ_TARGETS="config csv" narrows the run; FUZZ_JOBS=N runs N targets at
# once (default 2); FUZZ_ARGS adds libFuzzer options (e.g. "-fork=1
# -ignore_crashes=1" to go on past a known crash).
set -u
cd "$(dirname "$0")/../.." || exit 2
secs=${FUZZ_SECONDS:-60}
cc=${FUZZ_CC:-clang}

if ! echo 'int main(void){return 0;}' |
	"$cc" -x c -fsanitize=fuzzer-no-link -o /dev/null - 2>/dev/null; then
	echo "fuzz: '$cc -fsanitize=fuzzer' does not work; install clang" \
		"(and libclang-rt-dev on newer Debian)" >&2
	exit 2
fi
targets=${FUZZ_TARGETS:-}
if [ -z "$targets" ]; then
	for f in tests/fuzz/fuzz_*.c; do
		t=$(basename "$f" .c); targets="$targets ${t#fuzz_}"
	done
fi
bins=
for t in $targets; do bins="$bins build/fuzz/fuzz_$t"; done
make -s deps >/dev/null || exit 2
# shellcheck disable=SC2086
make -s -f tests/fuzz/fuzz.mk -j"$(nproc)" FUZZ_CC="$cc" $bins || exit 2

fail=0
# Regressions first: each saved input must now run clean.
for t in $targets; do
	d=tests/fuzz/regress/$t
	[ -d "$d" ] || continue
	set -- "$d"/*
	[ -e "$1" ] || continue
	if build/fuzz/fuzz_"$t" -close_fd_mask=3 "$@" > build/fuzz/regress-"$t".log 2>&1; then
		echo "PASS regress $t ($# inputs)"
	else
		echo "FAIL regress $t (see build/fuzz/regress-$t.log)"
		fail=1
	fi
done

one() {
	t=$1
	mkdir -p build/fuzz/corpus/"$t" build/fuzz/crashes/"$t"
	log=build/fuzz/fuzz-"$t".log
	build/fuzz/fuzz_"$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
		-max_len=65536 -close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix=build/fuzz/crashes/"$t"/ ${FUZZ_ARGS:-} \
		build/fuzz/corpus/"$t" tests/fuzz/corpus/"$t" > "$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1)
	if [ "$rc" = 0 ]; then
		echo "PASS fuzz $t (${secs}s, ${runs:-?} runs, $cov)"
	else
		echo "FAIL fuzz $t (exit $rc; log $log; crash inputs in build/fuzz/crashes/$t/)"
		grep -m3 -E 'ERROR: |runtime error:|SUMMARY:' "$log" | sed 's/^/    /'
		return 1
	fi
}

jobs=${FUZZ_JOBS:-2}
n=0
pids=
for t in $targets; do
	one "$t" > build/fuzz/result-"$t" &
	pids="$pids $!"
	n=$((n + 1))
	if [ "$n" -ge "$jobs" ]; then
		for p in $pids; do wait "$p" || fail=1; done
		pids="" n=0
	fi
done
for p in $pids; do wait "$p" || fail=1; done
for t in $targets; do cat build/fuzz/result-"$t"; done
exit "$fail"
