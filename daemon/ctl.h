/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The control socket: an AF_UNIX stream socket (mode 0600, root peers
 * only) served from the event loop, and a registry of commands that any
 * module can extend.  docs/pmipctl.md describes the wire protocol:
 *
 *	request   "[-j ]COMMAND [ARG...]\n"
 *	answer    BODY "\0" ("ok" | "error: MESSAGE") "\n"
 *
 * A handler writes its body with ctl_printf() (human text) or through
 * req->js (JSON, when req->json is set) and returns 0; on failure it
 * returns ctl_error(req, ...), and the body is discarded.
 */
#ifndef PMIPD_CTL_H
#define PMIPD_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"

#define CTL_MAX_LINE 4096 /* request line, newline included */
#define CTL_MAX_ARGS 32	  /* command name included */
#define CTL_MAX_CLIENTS 64
#define CTL_MAX_ANSWER (16u << 20) /* bytes of body per answer */
#define CTL_IDLE_TIMEOUT_S 60	   /* an idle client is closed */

struct ev;
struct ctl;

struct ctl_req {
	int json;	 /* the client asked for JSON (-j) */
	int argc;	 /* argv[0] is the command name */
	char **argv;	 /* valid during the handler only */
	struct json js;	 /* JSON writer into the answer body */
	struct ctl *ctl; /* the socket the request came from, or NULL */

	/* private */
	FILE *fp; /* ctl_file() stream, if asked for */
	char *mem;
	size_t memlen;
	char *body;
	size_t len, cap;
	int overflow;
	int failed;
	char err[256];
};

typedef int (*ctl_handler)(struct ctl_req *req, void *arg);

/*
 * Add a command.  name and help are not copied: pass string literals
 * (or strings that outlive the registration).  -EEXIST if the name is
 * taken, -EINVAL if it is empty or has blanks.
 */
int ctl_register(const char *name, const char *help, ctl_handler fn, void *arg);
int ctl_unregister(const char *name);
/* Drop every registered command (the built-ins stay). */
void ctl_unregister_all(void);

/* Append to the answer body (printf-style). */
void ctl_printf(struct ctl_req *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * The answer body as a stdio stream, for modules whose dump functions
 * write to a FILE * (lma_dump_bc(l, ctl_file(req), req->json)).  Text
 * from ctl_printf and req->js keeps its order with it.  NULL when out of
 * memory.
 */
FILE *ctl_file(struct ctl_req *req);
/* Mark the request failed with a one-line message; returns -1 so that a
 * handler can `return ctl_error(req, "no such MN %s", nai);`. */
int ctl_error(struct ctl_req *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Run one request line (without its newline) and return the complete
 * answer, end marker and status line included, in a malloc'd buffer of
 * *len bytes.  NULL only when out of memory.  ctl may be NULL.
 */
char *ctl_execute(struct ctl *ctl, const char *line, size_t linelen,
		  size_t *len);

struct ctl_stats {
	uint64_t accepted; /* connections accepted */
	uint64_t refused;  /* refused: not root, too many clients */
	uint64_t requests; /* request lines answered */
	uint64_t errors;   /* ... of which with an error status */
};

/*
 * Listen on path.  A stale socket file (nobody accepts on it) is
 * replaced; a live one means another daemon runs: -EADDRINUSE.  A path
 * that exists and is not a socket is left alone: -EEXIST.  The cause is
 * logged.
 */
int ctl_open(struct ctl **out, struct ev *ev, const char *path);
/* Close every client and the socket, and remove the socket file. */
void ctl_close(struct ctl *ctl);
const char *ctl_path(const struct ctl *ctl);
unsigned ctl_nclients(const struct ctl *ctl);
const struct ctl_stats *ctl_get_stats(const struct ctl *ctl);

#endif
