/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cursor.h"

static void
test_read_values(void **state)
{
	const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
	struct rcur c;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	rcur_init(&c, b, sizeof(b));
	assert_int_equal(rcur_u8(&c, &u8), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(rcur_u16(&c, &u16), 0);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(rcur_u32(&c, &u32), 0);
	assert_int_equal(u32, 0x04050607);
	assert_int_equal(rcur_left(&c), 0);
	/* Reading past the end fails and the failure is sticky. */
	assert_int_equal(rcur_u8(&c, &u8), -EMSGSIZE);
	assert_int_equal(c.err, -EMSGSIZE);
}

static void
test_truncated_read_every_length(void **state)
{
	const uint8_t b[8] = {0};
	uint64_t v;

	for (size_t n = 0; n < 8; n++) {
		struct rcur c;
		rcur_init(&c, b, n);
		assert_int_equal(rcur_u64(&c, &v), -EMSGSIZE);
	}
}

static void
test_sub_cursor(void **state)
{
	const uint8_t b[] = {1, 2, 3, 4};
	struct rcur c, s;
	uint8_t v;

	rcur_init(&c, b, sizeof(b));
	assert_int_equal(rcur_sub(&c, 2, &s), 0);
	assert_int_equal(rcur_left(&s), 2);
	assert_int_equal(rcur_left(&c), 2);
	assert_int_equal(rcur_u8(&c, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(rcur_sub(&c, 5, &s), -EMSGSIZE);
	assert_int_equal(s.err, -EMSGSIZE);
}

static void
test_write(void **state)
{
	uint8_t b[6];
	struct wcur w;

	wcur_init(&w, b, sizeof(b));
	assert_int_equal(wcur_u16(&w, 0xabcd), 0);
	assert_int_equal(wcur_u32(&w, 0x01020304), 0);
	assert_int_equal(wcur_u8(&w, 1), -ENOSPC);
	assert_int_equal(b[0], 0xab);
	assert_int_equal(b[5], 0x04);
	assert_int_equal(w.off, 6);
}

static void
test_checksum_rfc1071_example(void **state)
{
	/* RFC 1071 section 3 example: sum 0xddf2, checksum ~0xddf2. */
	const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	assert_int_equal(csum_fold(csum_add(0, b, sizeof(b))),
			 (uint16_t)~0xddf2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_values),
	    cmocka_unit_test(test_truncated_read_every_length),
	    cmocka_unit_test(test_sub_cursor),
	    cmocka_unit_test(test_write),
	    cmocka_unit_test(test_checksum_rfc1071_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
