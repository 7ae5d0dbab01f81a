/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The MAG's raw ICMPv6 socket on its access links (RFC 5213 section 6.9.1.1
 * attach detection, 6.7 Router Advertisements, RFC 4861).
 *
 * In: Router Solicitations, Neighbor Advertisements (answers to our NUD
 * and DAD-style probes) and Neighbor Solicitations only (ICMP6_FILTER),
 * with the ingress interface and destination from IPV6_PKTINFO and the
 * hop limit from IPV6_HOPLIMIT.  Messages with a hop limit other than 255
 * (off-link, RFC 4861 sections 6.1.1 and 7.1.2) are counted here
 * (rx_hoplimit) and still passed on with their hop limit, so that the
 * role logic, which drops them, counts them by reason as well.
 *
 * Out: from a given source (the fixed MAG link-local address, RFC 5213
 * section 6.8) on a given interface with hop limit 255, through
 * IPV6_PKTINFO; IPV6_FREEBIND lets that work before the address has
 * finished DAD.  A message from the unspecified address (the DAD-style
 * probe) cannot go through the ICMPv6 socket, whose kernel would pick a
 * source itself: it goes through a second raw socket with a header we
 * build (IPPROTO_RAW), so its checksum must already be filled in.
 */
#ifndef PMIPD_ICMP6SOCK_H
#define PMIPD_ICMP6SOCK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct ev;

typedef void (*icmp6sock_recv_cb)(void *arg, int ifindex,
				  const struct in6_addr *src,
				  const struct in6_addr *dst, int hoplimit,
				  const uint8_t *buf, size_t len);

struct icmp6sock {
	int fd;
	int raw_fd; /* IPPROTO_RAW, opened on first use */
	struct ev *ev;
	icmp6sock_recv_cb cb;
	void *arg;
	uint64_t rx, tx, rx_err, tx_err, rx_hoplimit;
};

/*
 * Open, install the filter, join ff02::2 (all-routers, where RSs go) on
 * each of the n ifindexes, register with the loop.  0 or negative errno.
 */
int icmp6sock_open(struct icmp6sock *s, struct ev *ev, const int *ifindexes,
		   unsigned n, icmp6sock_recv_cb cb, void *arg);
void icmp6sock_close(struct icmp6sock *s);
/* Join ff02::2 on one more interface. */
int icmp6sock_join(struct icmp6sock *s, int ifindex);
/* Send one ICMPv6 message.  0 or negative errno. */
int icmp6sock_send(struct icmp6sock *s, int ifindex, const struct in6_addr *src,
		   const struct in6_addr *dst, const uint8_t *buf, size_t len);

#endif
