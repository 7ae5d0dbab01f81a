/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmipd: Proxy Mobile IPv6 (RFC 5213) daemon, LMA or MAG role.
 *
 * It always runs in the foreground (a service manager, the testbed or a
 * test supervises it) and logs to stderr, or to syslog with -S.
 * SIGTERM and SIGINT stop it cleanly through the event loop; SIGHUP is
 * logged and ignored (no reload: restart to apply a new configuration).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "ev.h"
#include "json.h"
#include "log.h"
#include "pmipd.h"

/* Role modules in this build (see pmipd.h). */
#ifndef PMIPD_HAVE_LMA
#define PMIPD_HAVE_LMA 0
#endif
#ifndef PMIPD_HAVE_MAG
#define PMIPD_HAVE_MAG 0
#endif

static const struct role_ops *
pmipd_role_ops(enum conf_role role)
{
	switch (role) {
	case ROLE_LMA:
#if PMIPD_HAVE_LMA
		return &lma_role_ops;
#else
		return NULL;
#endif
	case ROLE_MAG:
#if PMIPD_HAVE_MAG
		return &mag_role_ops;
#else
		return NULL;
#endif
	}
	return NULL;
}

static void
pmipd_usage(FILE *f)
{
	fprintf(f,
		"usage: pmipd [-dnSVhv] [-c FILE] [-s SOCKET] [-p PIDFILE]\n"
		"  -c FILE    configuration file (default %s)\n"
		"  -n         check mode: print the normalised "
		"configuration and exit\n"
		"  -s SOCKET  control socket (overrides control_socket)\n"
		"  -p FILE    write the process id to FILE\n"
		"  -d         debug: log level debug\n"
		"  -v         raise the log level by one (repeatable)\n"
		"  -S         log to syslog instead of stderr\n"
		"  -V         print the version and exit\n"
		"  -h         this help\n",
		PMIPD_DEF_CONF);
}

static double
pmipd_uptime(const struct pmipd *d)
{
	return (double)(ev_now() - d->started) / 1e9;
}

/* --- signals ---------------------------------------------------------- */

static void
pmipd_on_stop(struct ev *ev, int signo, void *arg)
{
	struct pmipd *d = arg;

	d->cnt.signals++;
	log_info("SIG%s: shutting down", sigabbrev_np(signo));
	ev_break(ev);
}

static void
pmipd_on_hup(struct ev *ev, int signo, void *arg)
{
	struct pmipd *d = arg;

	d->cnt.signals++;
	d->cnt.sighup++;
	log_info("SIGHUP: configuration reload is not supported; restart "
		 "pmipd to apply a new configuration");
}

/* --- control commands ------------------------------------------------- */

static int
pmipd_cmd_status(struct ctl_req *req, void *arg)
{
	struct pmipd *d = arg;
	const char *dp =
	    d->dp_name ? d->dp_name : conf_dp_name(d->conf.dataplane);
	const struct ctl_stats *cs = ctl_get_stats(d->ctl);

	if (req->argc != 1)
		return ctl_error(req, "usage: status");
	if (req->json) {
		struct json *j = &req->js;
		json_obj_begin(j);
		json_kv_str(j, "role", conf_role_name(d->conf.role));
		json_kv_bool(j, "role_module", d->role != NULL);
		json_kv_int(j, "pid", getpid());
		json_kv_double(j, "uptime_s", pmipd_uptime(d));
		json_kv_str(j, "config", d->conf_path);
		json_kv_str(j, "log_level", log_level_name(log_get_level()));
		json_kv_str(j, "version", PMIPD_VERSION);
		json_kv_str(j, "dataplane", dp);
		json_kv_str(j, "control_socket", ctl_path(d->ctl));
		json_kv_uint(j, "ctl_clients", ctl_nclients(d->ctl));
		json_kv_uint(j, "ctl_requests", cs->requests);
		json_kv_uint(j, "ctl_errors", cs->errors);
		json_kv_uint(j, "ctl_refused", cs->refused);
		json_kv_uint(j, "signals", d->cnt.signals);
		if (d->role && d->role->status)
			d->role->status(d, req);
		json_obj_end(j);
		return 0;
	}
	ctl_printf(req, "role:           %s%s\n", conf_role_name(d->conf.role),
		   d->role ? "" : " (no role module in this build)");
	ctl_printf(req, "pid:            %d\n", (int)getpid());
	ctl_printf(req, "uptime:         %.3f s\n", pmipd_uptime(d));
	ctl_printf(req, "config:         %s\n", d->conf_path);
	ctl_printf(req, "log level:      %s\n",
		   log_level_name(log_get_level()));
	ctl_printf(req, "version:        %s\n", PMIPD_VERSION);
	ctl_printf(req, "dataplane:      %s\n", dp);
	ctl_printf(req, "control socket: %s\n", ctl_path(d->ctl));
	ctl_printf(req, "ctl clients:    %u\n", ctl_nclients(d->ctl));
	ctl_printf(req, "ctl requests:   %llu (%llu errors, %llu refused)\n",
		   (unsigned long long)cs->requests,
		   (unsigned long long)cs->errors,
		   (unsigned long long)cs->refused);
	if (d->role && d->role->status)
		d->role->status(d, req);
	return 0;
}

/* --- pid file --------------------------------------------------------- */

static int
pmipd_pidfile_write(const char *path)
{
	char buf[32];
	int fd, n, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		log_warn("pid file %s", path);
		return rc;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		rc = -EIO;
		log_warn("pid file %s: write", path);
	}
	close(fd);
	return rc;
}

/* --- main ------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	struct pmipd d;
	const char *conf_path = PMIPD_DEF_CONF, *sock = NULL;
	int check = 0, debug = 0, verbose = 0, to_syslog = 0;
	int ch, rc, status = 1, pidfile_written = 0;
	char err[CONF_ERRLEN];

	memset(&d, 0, sizeof(d));
	while ((ch = getopt(argc, argv, "c:dhnp:s:SvV")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'h':
			pmipd_usage(stdout);
			return 0;
		case 'n':
			check = 1;
			break;
		case 'p':
			d.pidfile = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'S':
			to_syslog = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("pmipd %s\n", PMIPD_VERSION);
			return 0;
		default:
			pmipd_usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		pmipd_usage(stderr);
		return 1;
	}
	if (check)
		return conf_check_main(conf_path, stdout, stderr);

	log_init("pmipd", to_syslog, LOG_LVL_INFO);
	rc = conf_load(conf_path, &d.conf, err, sizeof(err));
	if (rc < 0) {
		log_warnx("%s", err);
		return 1;
	}
	d.conf_path = conf_path;
	if (sock) {
		if (strlen(sock) >= sizeof(d.conf.ctl_socket)) {
			log_warnx("control socket path too long: %s", sock);
			goto out;
		}
		snprintf(d.conf.ctl_socket, sizeof(d.conf.ctl_socket), "%s",
			 sock);
	}
	{
		int lvl = debug ? LOG_LVL_DEBUG : (int)d.conf.log_level;
		lvl += verbose;
		if (lvl > LOG_LVL_DEBUG)
			lvl = LOG_LVL_DEBUG;
		log_set_level((enum log_level)lvl);
	}

	/* ctl writes with MSG_NOSIGNAL; modules need not care either. */
	signal(SIGPIPE, SIG_IGN);
	d.ev = ev_new();
	if (d.ev == NULL) {
		log_warn("event loop");
		goto out;
	}
	d.started = ev_now();
	if (ev_signal_add(d.ev, SIGTERM, pmipd_on_stop, &d) < 0 ||
	    ev_signal_add(d.ev, SIGINT, pmipd_on_stop, &d) < 0 ||
	    ev_signal_add(d.ev, SIGHUP, pmipd_on_hup, &d) < 0) {
		log_warn("signals");
		goto out;
	}
	if (ctl_open(&d.ctl, d.ev, d.conf.ctl_socket) < 0) {
		log_warnx("cannot start: control socket %s unavailable",
			  d.conf.ctl_socket);
		goto out;
	}
	if (ctl_register("status",
			 "role, pid, uptime, configuration, "
			 "log level, version, data plane",
			 pmipd_cmd_status, &d) < 0) {
		log_warnx("cannot register the status command");
		goto out;
	}
	if (d.pidfile) {
		if (pmipd_pidfile_write(d.pidfile) < 0)
			goto out;
		pidfile_written = 1;
	}

	d.role = pmipd_role_ops(d.conf.role);
	if (d.role) {
		rc = d.role->start(&d);
		if (rc < 0) {
			log_warnx("role %s: cannot start: %s", d.role->name,
				  strerror(-rc));
			d.role = NULL;
			goto out;
		}
	} else {
		log_warnx("role %s: no role module in this build; running "
			  "without role logic",
			  conf_role_name(d.conf.role));
	}
	log_info("pmipd %s started: role %s, config %s, control socket %s",
		 PMIPD_VERSION, conf_role_name(d.conf.role), conf_path,
		 d.conf.ctl_socket);

	rc = ev_run(d.ev);
	status = rc < 0 ? 1 : 0;

	if (d.role)
		d.role->stop(&d);
	log_info("stopped");
out:
	ctl_close(d.ctl);
	ctl_unregister_all();
	if (pidfile_written)
		unlink(d.pidfile);
	ev_free(d.ev);
	conf_free(&d.conf);
	return status;
}
