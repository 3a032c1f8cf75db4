/*
 * Unit tests for coverage (the stores, their results and the entry
 * format) and for how the evidence replays coverage and residual
 * verifications: a "residual" read is accepted only by a done
 * "erased_with_residue".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coverage.h"
#include "evidence.h"
#include "fixture.h"

static void names_roundtrip(void **state)
{
	int s, r;

	(void)state;
	for (s = 0; s < STORE_N; s++)
		assert_int_equal(store_parse(
			store_name((enum store)s)), s);
	for (r = 0; r < COV_N; r++)
		assert_int_equal(store_result_parse(
			store_result_name((enum store_result)r)), r);
	assert_int_equal(store_parse("diary"), -1);
	assert_int_equal(store_result_parse("gone"), -1);
	assert_null(store_name(STORE_N));
}

static void kinds(void **state)
{
	int s, no_endpoint = 0, policy = 0;

	(void)state;
	for (s = 0; s < STORE_N; s++) {
		no_endpoint += store_no_endpoint((enum store)s);
		policy += store_by_policy((enum store)s);
		/* Every store that can be left says what to do about it. */
		if (store_no_endpoint((enum store)s) ||
		    store_by_policy((enum store)s))
			assert_non_null(store_doc_of((enum store)s));
	}
	assert_int_equal(no_endpoint, 4);
	assert_int_equal(policy, 3);
	assert_true(store_by_policy(STORE_CONFIG));
	assert_false(store_by_policy(STORE_LOCATIONS));
	assert_false(store_no_endpoint(STORE_CUSTOMER));
	assert_null(store_doc_of(STORE_CUSTOMER));
	assert_int_equal(store_doc_of(STORE_VITALS)->retention_days, 31);
}

static void detail_format(void **state)
{
	struct coverage c;
	struct buf b = BUF_INIT;
	enum store_result r;
	const char *reason;

	(void)state;
	coverage_init(&c);
	c.result[STORE_SIM] = COV_SKIPPED;
	c.reason[STORE_SIM] = xstrdup("[policy] sim_action = none");
	coverage_detail(&c, STORE_SIM, &b);
	assert_string_equal(b.buf, "skipped_by_policy: [policy] sim_action = "
			    "none");
	assert_int_equal(coverage_parse_detail(b.buf, &r, &reason), 0);
	assert_int_equal(r, COV_SKIPPED);
	assert_string_equal(reason, "[policy] sim_action = none");
	assert_int_equal(coverage_parse_detail("residual", &r, &reason), -1);
	assert_int_equal(coverage_parse_detail("left: x", &r, &reason), -1);
	assert_int_equal(coverage_parse_detail(NULL, &r, &reason), -1);
	assert_false(coverage_has_residue(&c));
	c.result[STORE_ON_DEVICE] = COV_RESIDUAL;
	assert_true(coverage_has_residue(&c));
	c.result[STORE_ON_DEVICE] = COV_ERASED;
	c.result[STORE_LOCATIONS] = COV_RESIDUAL;
	assert_false(coverage_has_residue(&c));
	coverage_release(&c);
	buf_release(&b);
}

/* Replays "event target detail" steps. */
static void replay(struct evidence *ev, const char *const *steps, size_t n)
{
	size_t i;

	evidence_init(ev);
	for (i = 0; i < n; i += 3)
		evidence_step(ev, (int64_t)i + 1, steps[i], NULL,
			      steps[i + 1], steps[i + 2],
			      "2026-11-30T00:00:00.000Z", "op");
}

static void residual_needs_residue(void **state)
{
	const char *const attempt[] = {
		"enqueued", "", "csv",
		"plan", "dev", "reset_config",
		"result", "dev", "reset_config:pending",
		"verify", "dev", "ok",
		"verify", "dev", "residual",
		"coverage", "device_config", "residual: offline",
		"coverage", "customer", "erased: deleted",
		"coverage", "diary", "residual: not a store",
	};
	const char *steps[ARRAY_SIZE(attempt) + 3];
	struct evidence ev;

	(void)state;
	memcpy(steps, attempt, sizeof(attempt));
	steps[ARRAY_SIZE(attempt)] = "done";
	steps[ARRAY_SIZE(attempt) + 1] = "R-1";
	steps[ARRAY_SIZE(attempt) + 2] = "erased";
	replay(&ev, steps, ARRAY_SIZE(steps));
	assert_int_equal(ev.status, Q_RUNNING);
	assert_true(ev.unproven_done);
	assert_int_equal(ev.coverage[STORE_CONFIG], -1);

	steps[ARRAY_SIZE(attempt) + 2] = "erased_with_residue";
	replay(&ev, steps, ARRAY_SIZE(steps));
	assert_int_equal(ev.status, Q_DONE);
	assert_string_equal(ev.outcome, "erased_with_residue");
	assert_int_equal(ev.coverage[STORE_CONFIG], COV_RESIDUAL);
	assert_int_equal(ev.coverage[STORE_CUSTOMER], COV_ERASED);
	assert_int_equal(ev.coverage[STORE_SIM], -1);
}

static void failed_attempt_forgets_coverage(void **state)
{
	const char *const steps[] = {
		"enqueued", "", "csv",
		"verify", "dev", "ok",
		"coverage", "sim", "residual: pending",
		"failed", "R-1", "stopped",
		"verify", "dev", "ok",
		"coverage", "sim", "erased: released",
		"done", "R-1", "erased",
	};
	struct evidence ev;

	(void)state;
	replay(&ev, steps, ARRAY_SIZE(steps));
	assert_int_equal(ev.status, Q_DONE);
	assert_int_equal(ev.coverage[STORE_SIM], COV_ERASED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_roundtrip),
		cmocka_unit_test(kinds),
		cmocka_unit_test(detail_format),
		cmocka_unit_test(residual_needs_residue),
		cmocka_unit_test(failed_attempt_forgets_coverage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
