// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for scan.c, differential against jansson (see
 * scan-diff.h): whatever the scanner accepts, jansson must accept with the
 * same fields in every alert; whatever it refuses must be left unchanged;
 * and a page of a supported shape that jansson accepts must be accepted
 * once jansson has rewritten it; scan_repair's output needs no second
 * repair and the two parsers agree on it. How to build and run: README.md here.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "scan-diff.h"

/* Larger inputs only slow the fuzzer down; a page is ~740 KB but its structure repeats. */
#define FUZZ_INPUT_MAX (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_INPUT_MAX)
		return 0;
	if (scan_diff((const char *)data, size) == SCAN_DIFF_MISMATCH)
		abort();
	if (!scan_roundtrip((const char *)data, size))
		abort();
	if (!scan_repair_diff((const char *)data, size))
		abort();
	return 0;
}
