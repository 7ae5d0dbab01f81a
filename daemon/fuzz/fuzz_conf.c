/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target for the configuration loader: libconfig's parser and
 * all of conf.c's checks.  Any input is either refused with a
 * "FILE:LINE: reason" message or accepted; an accepted configuration is
 * printed and the printout must load again (the check-mode round trip).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libconfig 1.5's lexer leaks token buffers after some syntax errors
 * (fixed in 1.7.3); that is not ours to find.  The unit tests
 * (test_conf) keep full leak checking of conf.c on every file they
 * load. */
const char *
__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

static int
fuzz_conf_load(int fd, struct conf *c, char *err, size_t errlen)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return conf_load(path, c, err, errlen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	char err[CONF_ERRLEN];
	struct conf c;

	if (!init) {
		log_init("fuzz", 0, LOG_LVL_ERR);
		init = 1;
	}
	int fd = memfd_create("fuzz-conf", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	err[0] = '\0';
	if (fuzz_conf_load(fd, &c, err, sizeof(err)) < 0) {
		/* Refused: always with a reason. */
		if (err[0] == '\0')
			abort();
		close(fd);
		return 0;
	}
	close(fd);
	/* Accepted: the normalised printout loads again. */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		abort();
	conf_print(&c, f);
	fclose(f);
	conf_free(&c);
	int fd2 = memfd_create("fuzz-conf-2", 0);
	if (fd2 < 0) {
		free(buf);
		return 0;
	}
	if (write(fd2, buf, len) == (ssize_t)len) {
		struct conf c2;
		if (fuzz_conf_load(fd2, &c2, err, sizeof(err)) < 0)
			abort(); /* the printout of a good file must load */
		conf_free(&c2);
	}
	close(fd2);
	free(buf);
	return 0;
}
