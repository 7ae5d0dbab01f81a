/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Plugs the MAG role (mag.c) into the daemon: opens the data plane and
 * the Mobility Header socket, and adds the control commands
 *   bul     the binding update list
 *   stats   counters and per-step processing times
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dp.h"
#include "mag.h"
#include "log.h"
#include "pmipd.h"

struct role_mag {
	struct dp dp;
	struct mag mag;
	int dp_open;
};

static int
role_mag_cmd_bul(struct ctl_req *req, void *arg)
{
	struct role_mag *r = arg;
	FILE *f = ctl_file(req);
	if (!f)
		return ctl_error(req, "out of memory");
	mag_dump_bul(&r->mag, f, req->json);
	return 0;
}

static int
role_mag_cmd_stats(struct ctl_req *req, void *arg)
{
	struct role_mag *r = arg;
	FILE *f = ctl_file(req);
	if (!f)
		return ctl_error(req, "out of memory");
	mag_dump_stats(&r->mag, f, req->json);
	return 0;
}

static void
role_mag_stop(struct pmipd *d)
{
	struct role_mag *r = d->role_ctx;
	if (!r)
		return;
	ctl_unregister("bul");
	ctl_unregister("stats");
	mag_fini(&r->mag);
	if (r->dp_open)
		dp_close(&r->dp);
	free(r);
	d->role_ctx = NULL;
}

static int
role_mag_start(struct pmipd *d)
{
	struct role_mag *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	d->role_ctx = r;
	if ((err = mag_init(&r->mag, &d->conf, d->ev, &r->dp)) < 0)
		goto fail;
	if ((err = dp_open(&r->dp, &d->conf, d->ev)) < 0) {
		log_warnx("mag: cannot open the data plane: %s",
			  strerror(-err));
		goto fail;
	}
	r->dp_open = 1;
	d->dp_name = r->dp.ops->name;
	if ((err = mag_start_io(&r->mag)) < 0)
		goto fail;
	if ((err = ctl_register("bul", "binding update list (MAG)",
				role_mag_cmd_bul, r)) < 0 ||
	    (err =
		 ctl_register("stats", "counters and per-step processing times",
			      role_mag_cmd_stats, r)) < 0)
		goto fail;
	return 0;
fail:
	role_mag_stop(d);
	return err;
}

static void
role_mag_status(struct pmipd *d, struct ctl_req *req)
{
	struct role_mag *r = d->role_ctx;
	if (req->json)
		json_kv_int(&req->js, "bul_entries", r->mag.bul.count);
	else
		ctl_printf(req, "bul entries: %u\n", r->mag.bul.count);
}

const struct role_ops mag_role_ops = {
    .name = "mag",
    .start = role_mag_start,
    .stop = role_mag_stop,
    .status = role_mag_status,
};
