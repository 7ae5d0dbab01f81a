/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Plugs the MAG role (mag.c) into the daemon: opens the data plane and
 * the Mobility Header socket, and adds the control commands
 *   bul     the binding update list
 *   stats   counters and per-step processing times
 *   l2      link-layer events from the access network:
 *           l2 attach|detach IFNAME LLADDR (an access point's station
 *           association / disassociation, as hostapd reports them)
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
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

static int
role_mag_cmd_l2(struct ctl_req *req, void *arg)
{
	struct role_mag *r = arg;
	unsigned v[6];
	uint8_t ll[6];
	char tail;
	int up, ifindex, err;

	if (req->argc != 4 || (strcmp(req->argv[1], "attach") != 0 &&
			       strcmp(req->argv[1], "detach") != 0))
		return ctl_error(req, "usage: l2 attach|detach IFNAME LLADDR");
	up = strcmp(req->argv[1], "attach") == 0;
	if (sscanf(req->argv[3], "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &tail) != 6)
		return ctl_error(req, "bad link-layer address '%s'",
				 req->argv[3]);
	for (int i = 0; i < 6; i++)
		ll[i] = (uint8_t)v[i];
	if (!(ifindex = (int)if_nametoindex(req->argv[2])))
		return ctl_error(req, "no interface '%s'", req->argv[2]);
	err = mag_l2_event(&r->mag, ifindex, ll, up);
	if (err == -ENODEV)
		return ctl_error(req, "%s is not an access interface",
				 req->argv[2]);
	if (err == -ENOENT)
		return ctl_error(req, "%s is not in the policy store",
				 req->argv[3]);
	if (req->json) {
		json_obj_begin(&req->js);
		json_kv_str(&req->js, "event", up ? "attach" : "detach");
		json_kv_str(&req->js, "ifname", req->argv[2]);
		json_kv_str(&req->js, "lladdr", req->argv[3]);
		json_obj_end(&req->js);
	}
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
	ctl_unregister("l2");
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
			      role_mag_cmd_stats, r)) < 0 ||
	    (err = ctl_register("l2",
				"l2 attach|detach IFNAME LLADDR: access point "
				"events",
				role_mag_cmd_l2, r)) < 0)
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
		json_kv_int(&req->js, "bul_entries", bul_count(&r->mag.bul));
	else
		ctl_printf(req, "bul entries: %u\n", bul_count(&r->mag.bul));
}

const struct role_ops mag_role_ops = {
    .name = "mag",
    .start = role_mag_start,
    .stop = role_mag_stop,
    .status = role_mag_status,
};
