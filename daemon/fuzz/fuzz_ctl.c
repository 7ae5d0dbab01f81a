/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target for the control-socket request parser: any line must
 * get a complete answer (body, NUL end marker, "ok" or "error:" status
 * line) and never crash.  A few commands are registered so that the
 * argument splitting, JSON mode and dispatch paths all run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_ctl_echo(struct ctl_req *req, void *arg)
{
	if (req->json) {
		json_obj_begin(&req->js);
		json_key(&req->js, "argv");
		json_arr_begin(&req->js);
		for (int i = 0; i < req->argc; i++)
			json_str(&req->js, req->argv[i]);
		json_arr_end(&req->js);
		json_obj_end(&req->js);
		return 0;
	}
	for (int i = 0; i < req->argc; i++)
		ctl_printf(req, "%s\n", req->argv[i]);
	return 0;
}

static int
fuzz_ctl_fail(struct ctl_req *req, void *arg)
{
	return ctl_error(req, "failed: %s", req->argc > 1 ? req->argv[1] : "");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		log_init("fuzz", 0, LOG_LVL_ERR);
		ctl_register("echo", "echo the arguments", fuzz_ctl_echo, NULL);
		ctl_register("fail", "always fails", fuzz_ctl_fail, NULL);
		init = 1;
	}
	size_t len = 0;
	char *ans = ctl_execute(NULL, (const char *)data, size, &len);
	if (!ans)
		return 0;
	/* The answer always ends with the NUL marker and a status line. */
	const char *nul = memchr(ans, '\0', len);
	if (!nul || len < 4 || ans[len - 1] != '\n')
		abort();
	const char *status = nul + 1;
	if (strncmp(status, "ok\n", 3) != 0 &&
	    strncmp(status, "error:", 6) != 0)
		abort();
	free(ans);
	return 0;
}
