/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The raw Mobility Header socket both roles use (IPv6 next header 135).
 * The kernel computes and verifies the MH checksum (IPV6_CHECKSUM at
 * offset 4); we learn the destination address of each received message
 * from IPV6_PKTINFO and send from our own address.
 */
#ifndef PMIPD_MHSOCK_H
#define PMIPD_MHSOCK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ev;

typedef void (*mhsock_recv_cb)(void *arg, const struct in6_addr *src,
			       const struct in6_addr *dst, const uint8_t *buf,
			       size_t len);

struct mhsock {
	int fd;
	struct in6_addr local;
	struct ev *ev;
	mhsock_recv_cb cb;
	void *arg;
	uint64_t rx, tx, rx_err, tx_err;
};

/* Open, bind to local, register with the loop.  0 or negative errno. */
int mhsock_open(struct mhsock *s, struct ev *ev, const struct in6_addr *local,
		mhsock_recv_cb cb, void *arg);
void mhsock_close(struct mhsock *s);
/* Send one Mobility Header to dst from s->local.  0 or negative errno. */
int mhsock_send(struct mhsock *s, const struct in6_addr *dst,
		const uint8_t *buf, size_t len);

#endif
