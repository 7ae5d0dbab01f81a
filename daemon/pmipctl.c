/* SPDX-License-Identifier: BSD-2-Clause */
/* Placeholder main, replaced by the control tool proper. */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "pmipctl: not yet\n");
	return 1;
}
