/* SPDX-License-Identifier: BSD-2-Clause */
/* Placeholder main, replaced by the daemon proper. */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "pmipd: not yet\n");
	return 1;
}
