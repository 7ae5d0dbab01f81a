/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What both real data-plane backends need from the system: TUN devices,
 * their link settings, the raw next-header-41 socket, and libnl's error
 * codes as errno values.  All return 0 (or a descriptor) or a negative
 * errno, and log the cause with the caller's prefix ("dp user", ...).
 */
#ifndef PMIPD_DP_SYS_H
#define PMIPD_DP_SYS_H

#include <netinet/in.h>

struct nl_sock;

/* libnl's NLE_* (either sign) as a negative errno; 0 stays 0. */
int dp_nlerr(int err);

/* A non-blocking TUN device (IFF_TUN | IFF_NO_PI): its descriptor;
 * *ifindex gets its interface index. */
int dp_tun_create(const char *who, const char *name, int *ifindex);

/*
 * Interface ifindex (called name): MTU and transmit queue length (0:
 * as they are), no IPv6
 * link-local address (address generation mode "none", through /proc if
 * the kernel refuses it over netlink), then up.
 */
int dp_link_setup(const char *who, struct nl_sock *nl, int ifindex,
		  const char *name, unsigned mtu, unsigned txqlen);

/*
 * A raw IPv6 socket for next header 41, non-blocking, bound to local
 * (which may still be tentative: IPV6_FREEBIND).  With rcvbuf 0 it only
 * sends: a socket filter that accepts nothing keeps copies of tunnelled
 * packets out of its receive queue.
 */
int dp_raw41_open(const char *who, const struct in6_addr *local, int sndbuf,
		  int rcvbuf);

#endif
