/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pmipctl: send one command to pmipd's control socket and print the
 * answer (docs/pmipctl.md).  Exit status 0 when pmipd answered "ok",
 * 1 otherwise.  Never waits more than the timeout (-t, 5 s) in total.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"

static void
pmipctl_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: pmipctl [-j] [-s SOCKET] [-t SECONDS] COMMAND [ARG...]\n"
	    "  -j          JSON output\n"
	    "  -s SOCKET   control socket (default %s)\n"
	    "  -t SECONDS  give up after this long (default 5)\n"
	    "'pmipctl help' lists the commands of the running pmipd.\n",
	    CONF_DEF_CTL_SOCKET);
}

static int64_t
pmipctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready; 0, or -ETIMEDOUT / -errno. */
static int
pmipctl_wait(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int64_t left = deadline - pmipctl_now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int
pmipctl_connect(const char *path, int64_t deadline)
{
	struct sockaddr_un sun;
	struct timeval tv;
	int64_t left = deadline - pmipctl_now_ms();
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "pmipctl: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "pmipctl: socket: %s\n", strerror(errno));
		return -1;
	}
	/* A Unix-domain connect blocks only on a full backlog; bound it. */
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		const char *hint = "";

		if (e == ENOENT || e == ECONNREFUSED)
			hint = " (is pmipd running?)";
		else if (e == EACCES || e == EPERM)
			hint = " (pmipctl must run as root)";
		else if (e == EAGAIN || e == EINPROGRESS)
			hint = " (pmipd is not accepting connections)";
		fprintf(stderr, "pmipctl: cannot connect to %s: %s%s\n", path,
			strerror(e), hint);
		close(fd);
		return -1;
	}
	return fd;
}

static int
pmipctl_send(int fd, const char *buf, size_t len, int64_t deadline)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n =
		    send(fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			int rc;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			rc = pmipctl_wait(fd, POLLOUT, deadline);
			if (rc < 0)
				return rc;
			continue;
		}
		off += (size_t)n;
	}
	return 0;
}

/*
 * Read the answer: print the body to stdout as it comes, then the
 * status line after the NUL.  Returns the exit status.
 */
static int
pmipctl_read(int fd, int64_t deadline, double timeout_s)
{
	char buf[65536], status[1024];
	size_t slen = 0;
	int in_status = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			int rc;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				fprintf(stderr, "pmipctl: read: %s\n",
					strerror(errno));
				return 1;
			}
			rc = pmipctl_wait(fd, POLLIN, deadline);
			if (rc == -ETIMEDOUT) {
				fflush(stdout);
				fprintf(stderr,
					"pmipctl: no complete answer from "
					"pmipd within %g s\n",
					timeout_s);
				return 1;
			}
			if (rc < 0) {
				fprintf(stderr, "pmipctl: poll: %s\n",
					strerror(-rc));
				return 1;
			}
			continue;
		}
		if (n == 0) {
			fflush(stdout);
			fprintf(stderr, "pmipctl: pmipd closed the connection "
					"before the end of its answer\n");
			return 1;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (!in_status) {
				const char *nul =
				    memchr(buf + i, '\0', (size_t)(n - i));
				size_t body = nul ? (size_t)(nul - (buf + i))
						  : (size_t)(n - i);
				fwrite(buf + i, 1, body, stdout);
				i += (ssize_t)body;
				if (nul)
					in_status = 1;
				continue;
			}
			if (buf[i] == '\n') {
				status[slen] = '\0';
				fflush(stdout);
				if (strcmp(status, "ok") == 0)
					return 0;
				if (strncmp(status, "error: ", 7) == 0)
					fprintf(stderr, "pmipctl: %s\n",
						status + 7);
				else
					fprintf(stderr,
						"pmipctl: unexpected status "
						"'%s'\n",
						status);
				return 1;
			}
			if (slen + 1 < sizeof(status))
				status[slen++] = buf[i];
		}
	}
}

int
main(int argc, char **argv)
{
	const char *path = CONF_DEF_CTL_SOCKET;
	double timeout_s = 5;
	char line[CTL_MAX_LINE];
	size_t len = 0;
	int json = 0, ch, fd, rc;
	int64_t deadline;

	/* "+": options stop at the command, whose arguments may start
	 * with '-'. */
	while ((ch = getopt(argc, argv, "+hjs:t:")) != -1) {
		switch (ch) {
		case 'h':
			pmipctl_usage(stdout);
			return 0;
		case 'j':
			json = 1;
			break;
		case 's':
			path = optarg;
			break;
		case 't': {
			char *end;
			timeout_s = strtod(optarg, &end);
			if (*end != '\0' || !(timeout_s > 0) ||
			    timeout_s > 86400) {
				fprintf(stderr, "pmipctl: bad timeout '%s'\n",
					optarg);
				return 1;
			}
			break;
		}
		default:
			pmipctl_usage(stderr);
			return 1;
		}
	}
	if (optind == argc) {
		pmipctl_usage(stderr);
		return 1;
	}

	/* The request line: "[-j ]COMMAND ARG...\n". */
	if (json)
		len += (size_t)snprintf(line, sizeof(line), "-j ");
	for (int i = optind; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (n == 0 || strpbrk(argv[i], " \t\r\n") != NULL) {
			fprintf(stderr,
				"pmipctl: arguments cannot be empty or contain "
				"blanks: '%s'\n",
				argv[i]);
			return 1;
		}
		if (len + n + 2 > sizeof(line)) {
			fprintf(stderr, "pmipctl: command too long\n");
			return 1;
		}
		if (i > optind)
			line[len++] = ' ';
		memcpy(line + len, argv[i], n);
		len += n;
	}
	line[len++] = '\n';

	deadline = pmipctl_now_ms() + (int64_t)(timeout_s * 1000);
	fd = pmipctl_connect(path, deadline);
	if (fd < 0)
		return 1;
	rc = pmipctl_send(fd, line, len, deadline);
	if (rc < 0 && rc != -EPIPE && rc != -ECONNRESET) {
		fprintf(stderr, "pmipctl: cannot send to %s: %s\n", path,
			rc == -ETIMEDOUT ? "timed out" : strerror(-rc));
		close(fd);
		return 1;
	}
	/* On EPIPE pmipd may have refused us with an answer (not root, too
	 * many clients) and closed before reading: read it. */
	shutdown(fd, SHUT_WR);
	rc = pmipctl_read(fd, deadline, timeout_s);
	close(fd);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "pmipctl: cannot write the answer\n");
		return 1;
	}
	return rc;
}
