/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/ip6.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ev.h"
#include "icmp6sock.h"
#include "log.h"

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

#define ICMP6SOCK_BUF 2048

static const struct in6_addr icmp6sock_all_routers = {
    .s6_addr = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};

static void
icmp6sock_read(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct icmp6sock *s = arg;

	/* Drain what is there; the socket is non-blocking. */
	for (int i = 0; i < 64; i++) {
		uint8_t buf[ICMP6SOCK_BUF];
		union {
			struct cmsghdr align;
			uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
				  CMSG_SPACE(sizeof(int))];
		} cbuf;
		struct sockaddr_in6 from;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr msg = {
		    .msg_name = &from,
		    .msg_namelen = sizeof(from),
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		    .msg_control = cbuf.b,
		    .msg_controllen = sizeof(cbuf.b),
		};
		struct in6_addr dst = IN6ADDR_ANY_INIT;
		int ifindex = 0, hoplimit = -1;

		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR) {
				s->rx_err++;
				log_warn("icmp6sock: recvmsg");
			}
			return;
		}
		if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			s->rx_err++;
			continue;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
		     c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != IPPROTO_IPV6)
				continue;
			if (c->cmsg_type == IPV6_PKTINFO &&
			    c->cmsg_len >=
				CMSG_LEN(sizeof(struct in6_pktinfo))) {
				struct in6_pktinfo pi;
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				dst = pi.ipi6_addr;
				ifindex = (int)pi.ipi6_ifindex;
			} else if (c->cmsg_type == IPV6_HOPLIMIT &&
				   c->cmsg_len >= CMSG_LEN(sizeof(int))) {
				memcpy(&hoplimit, CMSG_DATA(c), sizeof(int));
			}
		}
		s->rx++;
		if (ifindex == 0 || hoplimit < 0) {
			s->rx_err++;
			continue;
		}
		/*
		 * RFC 4861 6.1.1, 7.1.2: RS and NA with a hop limit other
		 * than 255 may come from off link; mag_recv_nd drops and
		 * counts them too, so pass them on for its counters.
		 */
		if (hoplimit != 255)
			s->rx_hoplimit++;
		if (s->cb)
			s->cb(s->arg, ifindex, &from.sin6_addr, &dst, hoplimit,
			      buf, (size_t)n);
	}
}

int
icmp6sock_join(struct icmp6sock *s, int ifindex)
{
	struct ipv6_mreq mr = {.ipv6mr_multiaddr = icmp6sock_all_routers,
			       .ipv6mr_interface = (unsigned)ifindex};

	if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)) <
		0 &&
	    errno != EADDRINUSE) {
		int err = -errno;
		log_warn("icmp6sock: join ff02::2 on ifindex %d", ifindex);
		return err;
	}
	return 0;
}

int
icmp6sock_open(struct icmp6sock *s, struct ev *ev, const int *ifindexes,
	       unsigned n, icmp6sock_recv_cb cb, void *arg)
{
	struct icmp6_filter f;
	int on = 1, hops = 255, off = 0, err;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->raw_fd = -1;
	s->ev = ev;
	s->cb = cb;
	s->arg = arg;
	s->fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       IPPROTO_ICMPV6);
	if (s->fd < 0) {
		err = -errno;
		log_warn("icmp6sock: socket");
		return err;
	}
	/* Only what the MAG acts on: RS, NA (probe answers) and NS. */
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ND_ROUTER_SOLICIT, &f);
	ICMP6_FILTER_SETPASS(ND_NEIGHBOR_ADVERT, &f);
	ICMP6_FILTER_SETPASS(ND_NEIGHBOR_SOLICIT, &f);
	if (setsockopt(s->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) <
		0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) <
		0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on,
		       sizeof(on)) < 0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops,
		       sizeof(hops)) < 0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
		       sizeof(hops)) < 0 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off,
		       sizeof(off)) < 0) {
		err = -errno;
		log_warn("icmp6sock: setsockopt");
		icmp6sock_close(s);
		return err;
	}
	/* Sending from the fixed link-local even while it is tentative. */
	if (setsockopt(s->fd, IPPROTO_IPV6, IPV6_FREEBIND, &on, sizeof(on)) < 0)
		log_debug("icmp6sock: IPV6_FREEBIND: %s", strerror(errno));
	for (unsigned i = 0; i < n; i++)
		if (ifindexes[i] > 0)
			(void)icmp6sock_join(s, ifindexes[i]);
	if (ev &&
	    (err = ev_fd_add(ev, s->fd, EV_READ, icmp6sock_read, s)) < 0) {
		icmp6sock_close(s);
		return err;
	}
	return 0;
}

void
icmp6sock_close(struct icmp6sock *s)
{
	if (s->fd >= 0) {
		if (s->ev)
			ev_fd_del(s->ev, s->fd);
		close(s->fd);
	}
	if (s->raw_fd >= 0)
		close(s->raw_fd);
	s->fd = -1;
	s->raw_fd = -1;
}

/*
 * A message from :: (RFC 4861 7.2.2, the DAD-style probe): we write the
 * IPv6 header ourselves.  buf must carry its checksum already.
 */
static int
icmp6sock_send_unspec(struct icmp6sock *s, int ifindex,
		      const struct in6_addr *dst, const uint8_t *buf,
		      size_t len)
{
	struct ip6_hdr h;
	struct sockaddr_in6 to = {.sin6_family = AF_INET6,
				  .sin6_addr = *dst,
				  .sin6_scope_id = (uint32_t)ifindex};
	struct iovec iov[2] = {
	    {.iov_base = &h, .iov_len = sizeof(h)},
	    {.iov_base = (void *)(uintptr_t)buf, .iov_len = len}};
	struct msghdr msg = {.msg_name = &to,
			     .msg_namelen = sizeof(to),
			     .msg_iov = iov,
			     .msg_iovlen = 2};

	if (len > 0xffff)
		return -EMSGSIZE;
	if (s->raw_fd < 0) {
		s->raw_fd =
		    socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
		if (s->raw_fd < 0) {
			int err = -errno;
			log_warn("icmp6sock: raw socket");
			return err;
		}
	}
	memset(&h, 0, sizeof(h));
	h.ip6_flow = htonl(6u << 28);
	h.ip6_plen = htons((uint16_t)len);
	h.ip6_nxt = IPPROTO_ICMPV6;
	h.ip6_hlim = 255;
	h.ip6_dst = *dst;
	if (sendmsg(s->raw_fd, &msg, 0) < 0) {
		int err = -errno;
		s->tx_err++;
		log_warn("icmp6sock: send from :: on ifindex %d", ifindex);
		return err;
	}
	s->tx++;
	return 0;
}

int
icmp6sock_send(struct icmp6sock *s, int ifindex, const struct in6_addr *src,
	       const struct in6_addr *dst, const uint8_t *buf, size_t len)
{
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
			  CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct sockaddr_in6 to = {.sin6_family = AF_INET6,
				  .sin6_addr = *dst,
				  .sin6_scope_id = (uint32_t)ifindex};
	struct iovec iov = {.iov_base = (void *)(uintptr_t)buf, .iov_len = len};
	struct msghdr msg = {.msg_name = &to,
			     .msg_namelen = sizeof(to),
			     .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf.b,
			     .msg_controllen = sizeof(cbuf.b)};
	struct in6_pktinfo pi = {.ipi6_addr = *src,
				 .ipi6_ifindex = (unsigned)ifindex};
	int hops = 255;

	if (s->fd < 0)
		return -EBADF;
	if (IN6_IS_ADDR_UNSPECIFIED(src))
		return icmp6sock_send_unspec(s, ifindex, dst, buf, len);
	memset(&cbuf, 0, sizeof(cbuf));
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_HOPLIMIT;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &hops, sizeof(int));
	if (sendmsg(s->fd, &msg, 0) < 0) {
		int err = -errno;
		s->tx_err++;
		log_warn("icmp6sock: send on ifindex %d", ifindex);
		return err;
	}
	s->tx++;
	return 0;
}
