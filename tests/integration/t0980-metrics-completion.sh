#!/bin/sh
# Issue 14: `erasectl metrics` is well-formed Prometheus/OpenMetrics text
# whose request counts equal `status --format json`; -o writes the file
# atomically; the bash completion, generated from the command table,
# completes commands, options, option values and request ids (compgen in
# a real bash).
. "$(dirname "$0")/../lib.sh"

fake_start conformance
write_config "$FAKE_URL" "[api]" "rate_limit = 0" "max_attempts = 1" \
	"[products]" "ids = 3001"
init_db
printf 'request_id,email,customer\nM-1,alice@example.com,\nM-2,nobody@example.com,\nM-3,,cust-7f3a9e\nM-4,erin@example.com,\nM-5,,cust-0b1d2c\n' > "$T/req.csv"
ec enqueue "$T/req.csv"
ec hold M-4 --reason "legal claim"
fake_faults '{"rules":[{"match":"/customers/cust-7f3a9e","method":"DELETE","action":"status","status":500}]}'
ec run --limit 3
expect_rc 1 "a run with one failure"
ec checkpoint -o "$T/cp.json"

ec metrics
expect_rc 0 "metrics"
cp "$T/out" "$T/m.txt"
ec status --format json
cp "$T/out" "$T/status.json"
"$PYTHON" - "$T/m.txt" "$T/status.json" > "$T/check" 2>&1 <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
status = json.load(open(sys.argv[2]))
lines = text.split("\n")
assert lines[-1] == "" and lines[-2] == "# EOF", "ends with # EOF and a newline"
sample = re.compile(r'^(erasectl_[a-z_]+)(\{[a-z_]+="[^"\\\n]*"(,[a-z_]+="[^"\\\n]*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?|NaN|[+-]Inf)$')
typed, helped, values = {}, set(), {}
for l in lines[:-2]:
    m = re.match(r'^# (HELP|TYPE) (erasectl_[a-z_]+) (.+)$', l)
    if m:
        if m.group(1) == "TYPE":
            assert m.group(3) in ("gauge", "counter"), l
            assert m.group(2) not in typed, "one TYPE per family: " + l
            typed[m.group(2)] = m.group(3)
        else:
            helped.add(m.group(2))
        continue
    m = sample.match(l)
    assert m, "malformed sample: %r" % l
    assert m.group(1) in typed, "sample before its TYPE: " + l
    values[m.group(1) + (m.group(2) or "")] = float(m.group(4))
assert set(typed) == helped, "every family has HELP and TYPE"
for st, n in status["counts"].items():
    key = 'erasectl_requests{status="%s"}' % st
    assert values.get(key) == n, "%s: metrics %s, status %s" % (st, values.get(key), n)
assert values["erasectl_ledger_verified"] == 1
assert values["erasectl_queue_ledger_disagreements"] == 0
assert values['erasectl_requests_done{outcome="erased"}'] == 1
assert values['erasectl_requests_done{outcome="not_found"}'] == 1
assert values["erasectl_last_run_exit_code"] == 1
assert values["erasectl_last_run_api_calls"] > 0
assert values["erasectl_last_run_api_failures"] >= 1
assert values["erasectl_seconds_since_last_checkpoint"] >= 0
assert "erasectl_last_success_timestamp_seconds" not in values, "no run exited 0 yet"
print("ok")
PY
assert_eq "every sample well-formed; counts equal status --format json" ok "$(cat "$T/check")"

fake_faults '{}'
ec run
ec metrics -o "$T/erasectl.prom"
expect_rc 0 "metrics -o"
assert_grep "a successful run is now recorded" "$T/erasectl.prom" "^erasectl_last_success_timestamp_seconds [0-9]"
assert_eq "-o leaves no temporary file" "erasectl.prom" "$(ls "$T" | grep prom)"
ec metrics -o "$T/no/such/dir/m.prom"
expect_rc 2 "metrics -o into a missing directory: exit 2"

# Completion, in bash.
ec completion bash
expect_rc 0 "completion bash"
cp "$T/out" "$T/erasectl.bash"
ec completion zsh
expect_rc 2 "completion of another shell: usage error"
complete_line() {	# complete_line WORDS...: the completions of the last word
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_erasectl; printf "%s\n" "${COMPREPLY[@]}"' bash "$T/erasectl.bash" "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}
assert_eq "commands" "status sweep" "$(complete_line "$ERASECTL_BIN" s)"
assert_eq "every command of --help" "$("$ERASECTL_BIN" --help | sed -n '/^commands:/,/^$/p' | awk 'NF && !/:$/ { print $1 }' | sort | tr '\n' ' ' | sed 's/ $//')" \
	"$(complete_line "$ERASECTL_BIN" "" | tr ' ' '\n' | grep -v '^help$' | sort | tr '\n' ' ' | sed 's/ $//')"
assert_eq "options of a command" "--format --from" "$(complete_line "$ERASECTL_BIN" report --f)"
assert_eq "values of an option" "csv html json md" "$(complete_line "$ERASECTL_BIN" report --format "")"
assert_eq "request ids, read with the -c given" "M-1 M-2 M-3 M-4 M-5" \
	"$(complete_line "$ERASECTL_BIN" -c "$T/erasectl.conf" receipt M-)"
assert_eq "global options" "--config" "$(complete_line "$ERASECTL_BIN" --con)"
assert_no_bytes "no email in any output" "$T/all-output" "alice@example.com" "erin@example.com"
