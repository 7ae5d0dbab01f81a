/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Control socket.  Every client is non-blocking and served from the
 * event loop; requests are lines, answers end with a NUL byte and a
 * status line (docs/pmipctl.md).  Nothing a client sends can make the
 * daemon exit: malformed lines get an error answer, oversized ones an
 * error answer and a close.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "ev.h"
#include "log.h"

struct ctl_client {
	struct ctl *ctl;
	int fd;
	unsigned events;
	int eof; /* no more input: close once the output is sent */
	char in[CTL_MAX_LINE];
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	struct ev_timer idle;
	struct ctl_client *next;
};

struct ctl {
	struct ev *ev;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev; /* of the socket file we created */
	ino_t ino;
	struct ctl_client *clients;
	unsigned nclients;
	struct ctl_stats stats;
};

/* --- command registry ------------------------------------------------ */

struct ctl_cmd {
	const char *name;
	const char *help;
	ctl_handler fn;
	void *arg;
};

static int ctl_cmd_help(struct ctl_req *req, void *arg);
static int ctl_cmd_log_level(struct ctl_req *req, void *arg);

static const struct ctl_cmd ctl_builtins[] = {
    {"help", "list the commands", ctl_cmd_help, NULL},
    {"log-level", "[error|warning|info|debug]: show or set the log level",
     ctl_cmd_log_level, NULL},
};
#define CTL_NBUILTINS (sizeof(ctl_builtins) / sizeof(ctl_builtins[0]))

static struct ctl_cmd *ctl_cmds;
static size_t ctl_ncmds, ctl_cmds_cap;

static const struct ctl_cmd *
ctl_lookup(const char *name)
{
	for (size_t i = 0; i < CTL_NBUILTINS; i++)
		if (strcmp(ctl_builtins[i].name, name) == 0)
			return &ctl_builtins[i];
	for (size_t i = 0; i < ctl_ncmds; i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return &ctl_cmds[i];
	return NULL;
}

int
ctl_register(const char *name, const char *help, ctl_handler fn, void *arg)
{
	if (name == NULL || name[0] == '\0' || name[0] == '-' ||
	    strpbrk(name, " \t\r\n") != NULL || fn == NULL)
		return -EINVAL;
	if (ctl_lookup(name) != NULL)
		return -EEXIST;
	if (ctl_ncmds == ctl_cmds_cap) {
		size_t cap = ctl_cmds_cap ? ctl_cmds_cap * 2 : 16;
		struct ctl_cmd *c = realloc(ctl_cmds, cap * sizeof(*c));
		if (c == NULL)
			return -ENOMEM;
		ctl_cmds = c;
		ctl_cmds_cap = cap;
	}
	ctl_cmds[ctl_ncmds++] = (struct ctl_cmd){
	    .name = name, .help = help ? help : "", .fn = fn, .arg = arg};
	return 0;
}

int
ctl_unregister(const char *name)
{
	for (size_t i = 0; i < ctl_ncmds; i++) {
		if (strcmp(ctl_cmds[i].name, name) != 0)
			continue;
		memmove(&ctl_cmds[i], &ctl_cmds[i + 1],
			(ctl_ncmds - i - 1) * sizeof(ctl_cmds[0]));
		ctl_ncmds--;
		return 0;
	}
	return -ENOENT;
}

void
ctl_unregister_all(void)
{
	free(ctl_cmds);
	ctl_cmds = NULL;
	ctl_ncmds = ctl_cmds_cap = 0;
}

/* --- answers --------------------------------------------------------- */

static void
ctl_append(struct ctl_req *req, const char *s, size_t n)
{
	if (req->overflow || n == 0)
		return;
	if (req->fp) {
		if (fwrite(s, 1, n, req->fp) != n)
			req->overflow = 1;
		return;
	}
	if (req->len + n > CTL_MAX_ANSWER) {
		req->overflow = 1;
		return;
	}
	if (req->len + n + 1 > req->cap) {
		size_t cap = req->cap ? req->cap : 1024;
		while (cap < req->len + n + 1)
			cap *= 2;
		char *b = realloc(req->body, cap);
		if (b == NULL) {
			req->overflow = 1;
			return;
		}
		req->body = b;
		req->cap = cap;
	}
	memcpy(req->body + req->len, s, n);
	req->len += n;
	req->body[req->len] = '\0';
}

static void
ctl_json_write(void *arg, const char *s, size_t n)
{
	ctl_append(arg, s, n);
}

void
ctl_printf(struct ctl_req *req, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		ctl_append(req, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (big == NULL) {
		req->overflow = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ctl_append(req, big, (size_t)n);
	free(big);
}

FILE *
ctl_file(struct ctl_req *req)
{
	if (req->fp)
		return req->fp;
	req->fp = open_memstream(&req->mem, &req->memlen);
	if (req->fp == NULL) {
		req->overflow = 1;
		return NULL;
	}
	/* What was written so far goes first. */
	if (req->len > 0 && fwrite(req->body, 1, req->len, req->fp) != req->len)
		req->overflow = 1;
	req->len = 0;
	return req->fp;
}

/* Fold the ctl_file() stream back into the body. */
static void
ctl_file_finish(struct ctl_req *req)
{
	if (req->fp == NULL)
		return;
	if (fclose(req->fp) != 0)
		req->overflow = 1;
	req->fp = NULL;
	ctl_append(req, req->mem, req->memlen);
	free(req->mem);
	req->mem = NULL;
	req->memlen = 0;
}

int
ctl_error(struct ctl_req *req, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(req->err, sizeof(req->err), fmt, ap);
	va_end(ap);
	req->failed = 1;
	return -1;
}

/* The status line is one line: no newline and no NUL inside it. */
static void
ctl_sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			*s = ' ';
}

static int
ctl_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

char *
ctl_execute(struct ctl *ctl, const char *line, size_t linelen, size_t *len)
{
	struct ctl_req req;
	char buf[CTL_MAX_LINE];
	char *argv[CTL_MAX_ARGS + 1];
	const struct ctl_cmd *cmd = NULL;
	int argc = 0, json = 0, rc = 0;
	char *ans;
	size_t n;

	memset(&req, 0, sizeof(req));
	req.ctl = ctl;
	json_init(&req.js, ctl_json_write, &req);

	if (linelen > 0 && line[linelen - 1] == '\r')
		linelen--;
	if (linelen >= sizeof(buf)) {
		ctl_error(&req, "request line too long");
		goto answer;
	}
	if (memchr(line, '\0', linelen) != NULL) {
		ctl_error(&req, "malformed request (NUL byte)");
		goto answer;
	}
	memcpy(buf, line, linelen);
	buf[linelen] = '\0';
	for (char *p = buf; *p;) {
		while (ctl_is_blank(*p))
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (argc == CTL_MAX_ARGS) {
			ctl_error(&req, "too many arguments (at most %d)",
				  CTL_MAX_ARGS - 1);
			goto answer;
		}
		argv[argc++] = p;
		while (*p && !ctl_is_blank(*p))
			p++;
	}
	argv[argc] = NULL;

	/* Options before the command. */
	int skip = 0;
	while (skip < argc && argv[skip][0] == '-') {
		if (strcmp(argv[skip], "-j") == 0) {
			json = 1;
			skip++;
			continue;
		}
		ctl_error(&req, "unknown option '%s'", argv[skip]);
		goto answer;
	}
	if (skip == argc) {
		ctl_error(&req, "empty request (try 'help')");
		goto answer;
	}
	cmd = ctl_lookup(argv[skip]);
	if (cmd == NULL) {
		ctl_error(&req, "unknown command '%s' (try 'help')",
			  argv[skip]);
		goto answer;
	}
	req.json = json;
	req.argc = argc - skip;
	req.argv = argv + skip;
	rc = cmd->fn(&req, cmd->arg);
	ctl_file_finish(&req);
	if (rc < 0 && !req.failed)
		ctl_error(&req, "%s failed: %s", cmd->name,
			  rc == -1 ? "error" : strerror(-rc));
	else if (!req.failed && req.overflow)
		ctl_error(&req, "answer too large or out of memory");
	else if (!req.failed && req.json &&
		 (req.js.err != 0 || req.js.depth != 0 || req.len == 0))
		ctl_error(&req, "%s: internal error: malformed JSON answer",
			  cmd->name);

answer:
	if (ctl) {
		ctl->stats.requests++;
		if (req.failed)
			ctl->stats.errors++;
	}
	if (req.failed) {
		ctl_sanitize(req.err);
		req.len = 0;
		log_debug("ctl: '%.*s': error: %s", (int)linelen, line,
			  req.err);
	}
	/* JSON bodies end with a newline like human ones. */
	if (!req.failed && req.len > 0 && req.body[req.len - 1] != '\n')
		ctl_append(&req, "\n", 1);
	n = req.len + 1 + (req.failed ? strlen(req.err) + 8 : 3);
	ans = malloc(n + 1);
	if (ans == NULL) {
		free(req.body);
		return NULL;
	}
	if (req.len)
		memcpy(ans, req.body, req.len);
	if (req.failed)
		snprintf(ans + req.len, n + 1 - req.len, "%cerror: %s\n", '\0',
			 req.err);
	else
		snprintf(ans + req.len, n + 1 - req.len, "%cok\n", '\0');
	free(req.body);
	*len = n;
	return ans;
}

/* --- built-in commands ----------------------------------------------- */

static int
ctl_cmd_cmp(const void *a, const void *b)
{
	const struct ctl_cmd *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static int
ctl_cmd_help(struct ctl_req *req, void *arg)
{
	size_t n = CTL_NBUILTINS + ctl_ncmds;
	const struct ctl_cmd **all = calloc(n, sizeof(*all));

	if (all == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < CTL_NBUILTINS; i++)
		all[i] = &ctl_builtins[i];
	for (size_t i = 0; i < ctl_ncmds; i++)
		all[CTL_NBUILTINS + i] = &ctl_cmds[i];
	qsort(all, n, sizeof(*all), ctl_cmd_cmp);
	if (req->json) {
		json_obj_begin(&req->js);
		json_kv_arr_begin(&req->js, "commands");
		for (size_t i = 0; i < n; i++) {
			json_obj_begin(&req->js);
			json_kv_str(&req->js, "name", all[i]->name);
			json_kv_str(&req->js, "help", all[i]->help);
			json_obj_end(&req->js);
		}
		json_arr_end(&req->js);
		json_obj_end(&req->js);
	} else {
		for (size_t i = 0; i < n; i++)
			ctl_printf(req, "%-16s %s\n", all[i]->name,
				   all[i]->help);
	}
	free(all);
	return 0;
}

static int
ctl_cmd_log_level(struct ctl_req *req, void *arg)
{
	enum log_level old = log_get_level(), lvl = old;

	if (req->argc > 2)
		return ctl_error(req, "usage: log-level [LEVEL]");
	if (req->argc == 2) {
		if (log_level_parse(req->argv[1], &lvl) < 0)
			return ctl_error(req,
					 "unknown log level '%s' (error, "
					 "warning, info, debug)",
					 req->argv[1]);
		log_set_level(lvl);
		if (lvl != old)
			log_info("log level %s (was %s)", log_level_name(lvl),
				 log_level_name(old));
	}
	if (req->json) {
		json_obj_begin(&req->js);
		json_kv_str(&req->js, "log_level", log_level_name(lvl));
		json_kv_str(&req->js, "previous", log_level_name(old));
		json_obj_end(&req->js);
	} else if (lvl != old) {
		ctl_printf(req, "log level: %s (was %s)\n", log_level_name(lvl),
			   log_level_name(old));
	} else {
		ctl_printf(req, "log level: %s\n", log_level_name(lvl));
	}
	return 0;
}

/* --- clients --------------------------------------------------------- */

static void ctl_client_io(struct ev *ev, int fd, unsigned events, void *arg);

static void
ctl_client_free(struct ctl_client *c)
{
	struct ctl *ctl = c->ctl;

	for (struct ctl_client **pp = &ctl->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	ctl->nclients--;
	ev_timer_cancel(ctl->ev, &c->idle);
	ev_fd_del(ctl->ev, c->fd);
	close(c->fd);
	free(c->out);
	free(c);
}

static void
ctl_client_idle(struct ev *ev, void *arg)
{
	struct ctl_client *c = arg;

	log_debug("ctl: closing idle client fd %d", c->fd);
	ctl_client_free(c);
}

static int
ctl_client_queue(struct ctl_client *c, const char *s, size_t n)
{
	size_t pending = c->outlen - c->outoff;
	char *b;

	/* Compact and grow; answers are bounded by CTL_MAX_ANSWER. */
	b = malloc(pending + n);
	if (b == NULL)
		return -ENOMEM;
	if (pending)
		memcpy(b, c->out + c->outoff, pending);
	memcpy(b + pending, s, n);
	free(c->out);
	c->out = b;
	c->outoff = 0;
	c->outlen = pending + n;
	return 0;
}

/* Send what we can; returns -1 when the client was freed. */
static int
ctl_client_flush(struct ctl_client *c)
{
	unsigned want;

	while (c->outoff < c->outlen) {
		ssize_t n =
		    send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			log_debug("ctl: client fd %d: send: %s", c->fd,
				  strerror(errno));
			ctl_client_free(c);
			return -1;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->outlen) {
		free(c->out);
		c->out = NULL;
		c->outoff = c->outlen = 0;
		if (c->eof) {
			ctl_client_free(c);
			return -1;
		}
		want = EV_READ;
	} else {
		/* Stop reading while an answer is pending: bounded memory. */
		want = EV_WRITE;
	}
	if (want != c->events) {
		ev_fd_mod(c->ctl->ev, c->fd, want);
		c->events = want;
	}
	return 0;
}

static void
ctl_client_answer(struct ctl_client *c, const char *line, size_t len)
{
	size_t n;
	char *ans = ctl_execute(c->ctl, line, len, &n);
	static const char oom[] = "\0error: out of memory\n";

	if (ans == NULL) {
		ctl_client_queue(c, oom, sizeof(oom) - 1);
		return;
	}
	if (ctl_client_queue(c, ans, n) < 0)
		c->eof = 1; /* cannot answer: give up on this client */
	free(ans);
}

static void
ctl_client_read(struct ctl_client *c)
{
	ssize_t n;

	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen,
		 MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		c->eof = 1;
		c->inlen = 0;
		return;
	}
	if (n == 0) {
		/* A last line without its newline still gets an answer. */
		if (c->inlen > 0)
			ctl_client_answer(c, c->in, c->inlen);
		c->inlen = 0;
		c->eof = 1;
		return;
	}
	c->inlen += (size_t)n;
	for (;;) {
		char *nl = memchr(c->in, '\n', c->inlen);
		size_t used;

		if (nl == NULL)
			break;
		ctl_client_answer(c, c->in, (size_t)(nl - c->in));
		used = (size_t)(nl - c->in) + 1;
		memmove(c->in, c->in + used, c->inlen - used);
		c->inlen -= used;
	}
	if (c->inlen == sizeof(c->in)) {
		static const char err[] = "\0error: request line too long\n";
		log_warnx("ctl: client fd %d: request line too long", c->fd);
		ctl_client_queue(c, err, sizeof(err) - 1);
		c->inlen = 0;
		c->eof = 1;
	}
}

static void
ctl_client_io(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct ctl_client *c = arg;

	ev_timer_after(ev, &c->idle, EV_S(CTL_IDLE_TIMEOUT_S));
	if ((events & EV_READ) && !c->eof)
		ctl_client_read(c);
	ctl_client_flush(c);
}

/* Best effort one-shot error answer on a connection we then close. */
static void
ctl_refuse(int fd, const char *msg)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "%cerror: %s\n", '\0', msg);

	if (n > 0)
		(void)!send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

static void
ctl_accept(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct ctl *ctl = arg;
	struct ctl_client *c;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int cfd;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_warn("ctl: accept");
		return;
	}
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		log_warn("ctl: SO_PEERCRED");
		ctl->stats.refused++;
		close(cfd);
		return;
	}
	/* Root only; a daemon run unprivileged also trusts its own uid. */
	if (cred.uid != 0 && cred.uid != geteuid()) {
		log_warnx("ctl: refused connection from uid %u (pid %d)",
			  (unsigned)cred.uid, (int)cred.pid);
		ctl->stats.refused++;
		ctl_refuse(cfd, "permission denied: pmipd accepts control "
				"connections from root only");
		return;
	}
	if (ctl->nclients >= CTL_MAX_CLIENTS) {
		log_warnx("ctl: too many clients, refusing pid %d",
			  (int)cred.pid);
		ctl->stats.refused++;
		ctl_refuse(cfd, "too many control clients");
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		ctl_refuse(cfd, "out of memory");
		return;
	}
	c->ctl = ctl;
	c->fd = cfd;
	c->events = EV_READ;
	ev_timer_init(&c->idle, ctl_client_idle, c);
	if (ev_fd_add(ev, cfd, EV_READ, ctl_client_io, c) < 0) {
		log_warnx("ctl: cannot watch client fd %d", cfd);
		free(c);
		close(cfd);
		return;
	}
	ev_timer_after(ev, &c->idle, EV_S(CTL_IDLE_TIMEOUT_S));
	c->next = ctl->clients;
	ctl->clients = c;
	ctl->nclients++;
	ctl->stats.accepted++;
	log_debug("ctl: client fd %d (pid %d uid %u)", cfd, (int)cred.pid,
		  (unsigned)cred.uid);
}

/* --- the listening socket -------------------------------------------- */

/*
 * Is somebody accepting on path?  1 yes, 0 no (stale or absent), or a
 * negative errno when we cannot tell.
 */
static int
ctl_probe(const struct sockaddr_un *sun)
{
	int fd, rc;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		rc = 1;
	else if (errno == ECONNREFUSED || errno == ENOENT)
		rc = 0;
	else if (errno == EAGAIN)
		rc = 1; /* alive, with a full backlog */
	else
		rc = -errno;
	close(fd);
	return rc;
}

int
ctl_open(struct ctl **out, struct ev *ev, const char *path)
{
	struct sockaddr_un sun;
	struct ctl *ctl;
	struct stat st;
	mode_t old_umask;
	int rc;

	*out = NULL;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] == '\0' || strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control socket '%s': bad path (at most %zu bytes)",
			  path, sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path));

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("control socket %s: exists and is not a "
				  "socket; not touching it",
				  path);
			return -EEXIST;
		}
		rc = ctl_probe(&sun);
		if (rc > 0) {
			log_warnx("control socket %s: another pmipd is "
				  "running on it",
				  path);
			return -EADDRINUSE;
		}
		if (rc < 0) {
			log_warnx("control socket %s: cannot probe: %s", path,
				  strerror(-rc));
			return rc;
		}
		log_info("control socket %s: removing a stale socket", path);
		if (unlink(path) < 0 && errno != ENOENT) {
			rc = -errno;
			log_warn("control socket %s: unlink", path);
			return rc;
		}
	}

	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL)
		return -ENOMEM;
	ctl->ev = ev;
	memcpy(ctl->path, path, strlen(path) + 1);
	ctl->fd =
	    socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0) {
		rc = -errno;
		log_warn("control socket: socket");
		free(ctl);
		return rc;
	}
	/* Created 0600 from the start: no window with a wider mode. */
	old_umask = umask(0177);
	rc = bind(ctl->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_umask);
	if (rc < 0) {
		rc = -errno;
		log_warn("control socket %s: bind", path);
		goto fail_close;
	}
	if (chmod(path, 0600) < 0 || stat(path, &st) < 0) {
		rc = -errno;
		log_warn("control socket %s", path);
		goto fail_unlink;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	if (listen(ctl->fd, 16) < 0) {
		rc = -errno;
		log_warn("control socket %s: listen", path);
		goto fail_unlink;
	}
	rc = ev_fd_add(ev, ctl->fd, EV_READ, ctl_accept, ctl);
	if (rc < 0) {
		log_warnx("control socket %s: %s", path, strerror(-rc));
		goto fail_unlink;
	}
	log_debug("control socket %s: listening", path);
	*out = ctl;
	return 0;

fail_unlink:
	unlink(path);
fail_close:
	close(ctl->fd);
	free(ctl);
	return rc;
}

void
ctl_close(struct ctl *ctl)
{
	struct stat st;

	if (ctl == NULL)
		return;
	while (ctl->clients)
		ctl_client_free(ctl->clients);
	ev_fd_del(ctl->ev, ctl->fd);
	close(ctl->fd);
	/* Only our own socket: another daemon may have replaced it. */
	if (lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		unlink(ctl->path);
	free(ctl);
}

const char *
ctl_path(const struct ctl *ctl)
{
	return ctl->path;
}

unsigned
ctl_nclients(const struct ctl *ctl)
{
	return ctl ? ctl->nclients : 0;
}

const struct ctl_stats *
ctl_get_stats(const struct ctl *ctl)
{
	return &ctl->stats;
}
