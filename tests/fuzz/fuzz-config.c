// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the configuration parser: the input is written to a
 * 0600 file and loaded with config_load, as `check-config` and every start
 * do. A refusal must come with problem lines, each one line; a success must
 * free cleanly and give a database path and sane numbers.
 */
#include <errno.h>
#include <fcntl.h>

#include "base/config.h"
#include "fuzz.h"

#define FUZZ_INPUT_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_problems pr = {0};
	struct config *cfg = NULL;
	char path[256];
	int fd, r;

	if (size > FUZZ_INPUT_MAX)
		return 0;
	snprintf(path, sizeof(path), "%s/alertd.conf", fuzz_dir());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size || close(fd) < 0)
		abort();
	r = config_load(path, &cfg, &pr);
	FUZZ_CHECK(r == 0 || r == -EINVAL, "config_load %d", r);
	if (r == 0) {
		FUZZ_CHECK(cfg && cfg->database && cfg->database[0], "no database");
		FUZZ_CHECK(cfg->interval > 0 && cfg->retention > 0 && cfg->overlap >= 0,
		           "interval %lld retention %lld overlap %lld", (long long)cfg->interval,
		           (long long)cfg->retention, (long long)cfg->overlap);
		for (size_t i = 0; i < cfg->n_accounts; i++)
			FUZZ_CHECK(cfg->accounts[i].name && cfg->accounts[i].account_sid,
			           "account %zu incomplete", i);
	} else {
		FUZZ_CHECK(!cfg && pr.n > 0, "refused without a problem line");
	}
	for (size_t i = 0; i < pr.n; i++)
		FUZZ_CHECK(pr.lines[i][0] && !strpbrk(pr.lines[i], "\r\n"), "problem line \"%s\"",
		           pr.lines[i]);
	config_free(cfg);
	config_problems_finish(&pr);
	return 0;
}
