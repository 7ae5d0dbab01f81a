/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"
#include "mh.h"
#include "mhsock.h"

/* Messages read per wake-up before yielding to the loop. */
#define MHSOCK_BATCH 64

static void
mhsock_readable(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct mhsock *s = arg;
	uint8_t buf[MH_MAX_LEN + 64];
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;

	for (int i = 0; i < MHSOCK_BATCH; i++) {
		struct sockaddr_in6 from;
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr msg = {
		    .msg_name = &from,
		    .msg_namelen = sizeof(from),
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		    .msg_control = cbuf.b,
		    .msg_controllen = sizeof(cbuf.b),
		};
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				s->rx_err++;
				log_warn("mhsock: recvmsg");
			}
			return;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			s->rx_err++;
			continue;
		}
		struct in6_addr dst = s->local;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
		     c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == IPPROTO_IPV6 &&
			    c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				dst = pi.ipi6_addr;
			}
		}
		s->rx++;
		s->cb(s->arg, &from.sin6_addr, &dst, buf, (size_t)n);
	}
}

int
mhsock_open(struct mhsock *s, struct ev *ev, const struct in6_addr *local,
	    mhsock_recv_cb cb, void *arg)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->ev = ev;
	s->local = *local;
	s->cb = cb;
	s->arg = arg;

	int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			IPPROTO_MH_);
	if (fd < 0) {
		int e = -errno;
		log_warn("mhsock: socket(raw, 135)");
		return e;
	}
	/* RFC 6275 6.1.1: the checksum is at offset 4 of the MH. */
	int off = 4, on = 1;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) <
		0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) <
		0) {
		int e = -errno;
		log_warn("mhsock: setsockopt");
		close(fd);
		return e;
	}
	int rcvbuf = 4 << 20;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = *local};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, local, a, sizeof(a));
		log_warn("mhsock: bind to %s", a);
		close(fd);
		return e;
	}
	int r = ev_fd_add(ev, fd, EV_READ, mhsock_readable, s);
	if (r < 0) {
		close(fd);
		return r;
	}
	s->fd = fd;
	return 0;
}

void
mhsock_close(struct mhsock *s)
{
	if (s->fd >= 0) {
		ev_fd_del(s->ev, s->fd);
		close(s->fd);
	}
	s->fd = -1;
}

int
mhsock_send(struct mhsock *s, const struct in6_addr *dst, const uint8_t *buf,
	    size_t len)
{
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_addr = *dst};
	ssize_t n =
	    sendto(s->fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to));
	if (n < 0) {
		int e = -errno;
		s->tx_err++;
		log_warn("mhsock: sendto");
		return e;
	}
	s->tx++;
	return 0;
}
