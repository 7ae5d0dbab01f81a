/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Plugs the LMA role (lma.c) into the daemon: opens the data plane and
 * the Mobility Header socket, and adds the control commands
 *   bc      the binding cache
 *   stats   counters and per-step processing times
 *   buffers the handover buffer: per-MN queues and counters
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"
#include "lma.h"
#include "log.h"
#include "pmipd.h"

struct role_lma {
	struct dp dp;
	struct lma lma;
	int dp_open;
};

static int
role_lma_cmd_bc(struct ctl_req *req, void *arg)
{
	struct role_lma *r = arg;
	FILE *f = ctl_file(req);
	if (!f)
		return ctl_error(req, "out of memory");
	lma_dump_bc(&r->lma, f, req->json);
	return 0;
}

static int
role_lma_cmd_stats(struct ctl_req *req, void *arg)
{
	struct role_lma *r = arg;
	FILE *f = ctl_file(req);
	if (!f)
		return ctl_error(req, "out of memory");
	lma_dump_stats(&r->lma, f, req->json);
	return 0;
}

static int
role_lma_cmd_buffers(struct ctl_req *req, void *arg)
{
	struct role_lma *r = arg;
	FILE *f = ctl_file(req);
	if (!f)
		return ctl_error(req, "out of memory");
	lma_dump_buffers(&r->lma, f, req->json);
	return 0;
}

static void
role_lma_stop(struct pmipd *d)
{
	struct role_lma *r = d->role_ctx;
	if (!r)
		return;
	ctl_unregister("bc");
	ctl_unregister("stats");
	ctl_unregister("buffers");
	lma_fini(&r->lma);
	if (r->dp_open)
		dp_close(&r->dp);
	free(r);
	d->role_ctx = NULL;
}

static int
role_lma_start(struct pmipd *d)
{
	struct role_lma *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	d->role_ctx = r;
	if ((err = lma_init(&r->lma, &d->conf, d->ev, &r->dp)) < 0)
		goto fail;
	if ((err = dp_open(&r->dp, &d->conf, d->ev)) < 0) {
		log_warnx("lma: cannot open the data plane: %s",
			  strerror(-err));
		goto fail;
	}
	r->dp_open = 1;
	d->dp_name = r->dp.ops->name;
	if ((err = lma_start_io(&r->lma)) < 0)
		goto fail;
	if ((err = ctl_register("bc", "binding cache (LMA)", role_lma_cmd_bc,
				r)) < 0 ||
	    (err =
		 ctl_register("stats", "counters and per-step processing times",
			      role_lma_cmd_stats, r)) < 0 ||
	    (err = ctl_register("buffers",
				"handover buffer: queues and packet fates",
				role_lma_cmd_buffers, r)) < 0)
		goto fail;
	return 0;
fail:
	role_lma_stop(d);
	return err;
}

static void
role_lma_status(struct pmipd *d, struct ctl_req *req)
{
	struct role_lma *r = d->role_ctx;
	if (req->json)
		json_kv_int(&req->js, "bindings", bce_count(&r->lma.bc));
	else
		ctl_printf(req, "bindings: %u\n", bce_count(&r->lma.bc));
}

const struct role_ops lma_role_ops = {
    .name = "lma",
    .start = role_lma_start,
    .stop = role_lma_stop,
    .status = role_lma_status,
};
