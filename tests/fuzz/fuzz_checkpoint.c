/*
 * Fuzzes checkpoint file parsing (`verify --checkpoint FILE` reads files an
 * auditor was handed) and the signature check on whatever parses; a parsed
 * checkpoint must survive a write-and-parse round trip unchanged.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "checkpoint.h"
#include "log.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	struct checkpoint cp, again;
	struct buf json = BUF_INIT;

	log_setup(LOG_ERROR, 0);
	memset(&cp, 0, sizeof(cp));
	if (!checkpoint_parse((const char *)data, size, "fuzz", &cp)) {
		if (cp.is_signed)
			checkpoint_check_signature(&cp, NULL);
		checkpoint_json(&cp, &json);
		memset(&again, 0, sizeof(again));
		if (checkpoint_parse(json.buf, json.len, "fuzz", &again) ||
		    again.entries != cp.entries ||
		    strcmp(again.root, cp.root) || strcmp(again.head, cp.head) ||
		    strcmp(again.time, cp.time) ||
		    again.is_signed != cp.is_signed ||
		    (cp.is_signed &&
		     (memcmp(again.public_key, cp.public_key, 32) ||
		      memcmp(again.signature, cp.signature, 64))))
			abort();
	}
	buf_release(&json);
	return 0;
}
