/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rtnetlink monitor for the MAG (RFC 5213 section 6.9.1.1 and 6.9.1.2:
 * attachment and detachment detection from link-layer events): a libnl
 * socket subscribed to RTNLGRP_LINK and RTNLGRP_NEIGH, read from the
 * event loop.
 *
 * Reported: carrier changes of every link (RTM_NEWLINK with the
 * IFF_LOWER_UP bit, RTM_DELLINK as carrier down), only when the state
 * differs from the last one seen for that ifindex; IPv6 neighbour
 * entries (RTM_NEWNEIGH) with a 6-octet link-layer address when they are
 * new, i.e. not already reported with the same address since they were
 * created (the kernel also notifies when an entry merely ages from
 * REACHABLE to STALE, which says nothing about the node being there);
 * and entries that have gone NUD_FAILED.  RTM_DELNEIGH and NUD_FAILED
 * make the entry new again.  The caller filters by interface.
 */
#ifndef PMIPD_NLMON_H
#define PMIPD_NLMON_H

#include <netinet/in.h>
#include <stdint.h>

struct ev;
struct nl_sock;

typedef void (*nlmon_link_cb)(void *arg, int ifindex, int carrier_up);
/* lladdr is all zero when the kernel gave none (e.g. NUD_FAILED). */
typedef void (*nlmon_neigh_cb)(void *arg, int ifindex, const uint8_t lladdr[6],
			       const struct in6_addr *ip, int state);

#define NLMON_MAX_LINKS 256  /* carrier states remembered */
#define NLMON_MAX_NEIGH 1024 /* neighbour entries remembered (linear) */

struct nlmon_neigh {
	int ifindex;
	struct in6_addr ip;
	uint8_t lladdr[6];
};

struct nlmon {
	struct nl_sock *sk;
	struct ev *ev;
	int fd;
	nlmon_link_cb link_cb;
	nlmon_neigh_cb neigh_cb;
	void *arg;
	unsigned n_links;
	struct {
		int ifindex;
		int up;
	} links[NLMON_MAX_LINKS];
	unsigned n_neigh;
	struct nlmon_neigh neigh[NLMON_MAX_NEIGH];
	uint64_t rx, overruns;
};

int nlmon_open(struct nlmon *m, struct ev *ev, nlmon_link_cb link_cb,
	       nlmon_neigh_cb neigh_cb, void *arg);
void nlmon_close(struct nlmon *m);

#endif
