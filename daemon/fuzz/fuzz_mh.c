/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target for the Mobility Header codec.  Any input mh_parse
 * accepts must build back, the built bytes must parse to an equal
 * message, and building that again must give the same bytes (the
 * encoding is canonical).  Any mismatch aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_fail(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_mh: %s%s%s\n", what, why ? ": " : "",
		why ? why : "");
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct in6_addr src = {
	    {{0x20, 0x01, 0x0d, 0xb8, [15] = 1}}};
	static const struct in6_addr dst = {
	    {{0x20, 0x01, 0x0d, 0xb8, [15] = 2}}};
	struct mh_msg m, m2;
	uint8_t b1[MH_MAX_LEN], b2[MH_MAX_LEN];
	const char *why = NULL;
	ssize_t n1, n2;

	if (mh_parse(data, size, &m, &why) != 0) {
		if (why == NULL)
			fuzz_fail("rejected without a reason", NULL);
		return 0;
	}
	n1 = mh_build(&m, &src, &dst, b1, sizeof(b1));
	if (n1 < 0)
		fuzz_fail("accepted message does not build", NULL);
	if (mh_checksum(&src, &dst, b1, (size_t)n1) != 0)
		fuzz_fail("built checksum does not verify", NULL);
	if (mh_parse(b1, (size_t)n1, &m2, &why) != 0)
		fuzz_fail("built message does not parse", why);
	if (!mh_msg_equal(&m, &m2))
		fuzz_fail("round trip changed the message", NULL);
	if (m2.opts.n_unknown != 0)
		fuzz_fail("built message has unknown options", NULL);
	n2 = mh_build(&m2, &src, &dst, b2, sizeof(b2));
	if (n2 != n1 || memcmp(b1, b2, (size_t)n1) != 0)
		fuzz_fail("encoding is not canonical", NULL);
	return 0;
}
