/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon context shared by main and the role modules, and the hooks
 * through which a role module (LMA or MAG) plugs into the daemon.
 *
 * Start-up order in pmipd.c: configuration, event loop and signals,
 * control socket (with the built-in commands), then role->start().
 * Shutdown runs the other way round: role->stop() first, while the loop,
 * the control socket and the configuration are still there.
 */
#ifndef PMIPD_PMIPD_H
#define PMIPD_PMIPD_H

#include <stdint.h>

#include "conf.h"
#include "ctl.h"
#include "ev.h"

#ifndef PMIPD_VERSION
#define PMIPD_VERSION "0.1.0"
#endif

#define PMIPD_DEF_CONF "/etc/pmipd.conf"

struct pmipd;

/*
 * A role module.  start() runs once everything else is up: it opens its
 * sockets and data plane, registers its control commands
 * (ctl_register) and returns 0 or a negative errno (then pmipd exits 1
 * after calling nothing else of the module; start cleans up after
 * itself).  stop() undoes start(), unregisters its commands and frees
 * everything.  status(), optional, adds role lines to `pmipctl status`:
 * ctl_printf("key: value\n") lines, or, when req->json, key/value pairs
 * into the open status object (json_kv_*(&req->js, ...)).
 */
struct role_ops {
	const char *name;
	int (*start)(struct pmipd *d);
	void (*stop)(struct pmipd *d);
	void (*status)(struct pmipd *d, struct ctl_req *req);
};

/*
 * Defined by the role modules (const struct role_ops lma_role_ops = {...}
 * in role_lma.c).  pmipd.c refers to a module only when PMIPD_HAVE_LMA /
 * PMIPD_HAVE_MAG is 1, so that pmipd links, and runs without role logic,
 * while a module does not exist yet; the Makefile sets them (ROLE_DEFS).
 * (A strong reference is what pulls the module out of libpmip.a; a weak
 * one would not.)
 */
extern const struct role_ops lma_role_ops;
extern const struct role_ops mag_role_ops;

struct pmipd_counters {
	uint64_t signals; /* signals handled through the loop */
	uint64_t sighup;  /* reload requests (not supported) */
};

struct pmipd {
	struct conf conf;
	struct ev *ev;
	struct ctl *ctl;
	ev_time_t started;     /* ev_now() at start-up */
	const char *conf_path; /* as given with -c */
	const char *pidfile;   /* -p, or NULL */

	const struct role_ops *role; /* NULL: no role module in this build */
	void *role_ctx;		     /* the role module's state */
	/* Data-plane backend in use, once the role module opened it
	 * ("auto" resolved); NULL: the configured name is shown. */
	const char *dp_name;

	struct pmipd_counters cnt;
};

#endif
