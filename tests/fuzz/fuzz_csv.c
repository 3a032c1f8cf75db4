/* Fuzzes CSV intake (libcsv, header mapping, row validation). */
#include "fuzz_intake.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif
int FUZZ_ENTRY(const uint8_t *data, size_t size);

int FUZZ_ENTRY(const uint8_t *data, size_t size)
{
	return fuzz_intake(data, size, INTAKE_CSV);
}
