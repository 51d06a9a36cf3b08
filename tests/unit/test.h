/* SPDX-License-Identifier: MIT */
/*
 * A tiny test harness: CHECK records a failure with file:line and goes on;
 * test_done() prints the tally and gives the exit status (0, 1 on failure).
 * Return 77 from main to mark a test skipped.
 */
#ifndef ALERTD_TEST_H
#define ALERTD_TEST_H

#include <stdio.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		test_checks++;                                                                     \
		if (!(cond)) {                                                                     \
			test_failures++;                                                           \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
		}                                                                                  \
	} while (0)

#define CHECK_INT(a, b)                                                                            \
	do {                                                                                       \
		long long test_a_ = (long long)(a), test_b_ = (long long)(b);                      \
		test_checks++;                                                                     \
		if (test_a_ != test_b_) {                                                          \
			test_failures++;                                                           \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__,  \
			        #a, test_a_, test_b_);                                             \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *test_a_ = (a), *test_b_ = (b);                                         \
		test_checks++;                                                                     \
		if (!test_a_ || !test_b_ || strcmp(test_a_, test_b_) != 0) {                       \
			test_failures++;                                                           \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,        \
			        __LINE__, #a, test_a_ ? test_a_ : "(null)",                        \
			        test_b_ ? test_b_ : "(null)");                                     \
		}                                                                                  \
	} while (0)

static inline int test_done(void)
{
	fprintf(stderr, "%d checks, %d failed\n", test_checks, test_failures);
	return test_failures ? 1 : 0;
}

#endif
