/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A tiny pcap file writer (the classic libpcap format, microsecond
 * timestamps) for tests and debugging dumps, so that packets we build
 * can be checked by an independent dissector such as tshark.
 */
#ifndef PMIPD_PCAPW_H
#define PMIPD_PCAPW_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

/* Link types (tcpdump.org/linktypes.html). */
#define PCAPW_LINKTYPE_ETHERNET 1
#define PCAPW_LINKTYPE_RAW 101 /* raw IPv4/IPv6, no link header */

struct pcapw {
	FILE *f;
};

/* Create path and write the file header.  0 or a negative errno. */
int pcapw_open(struct pcapw *w, const char *path, uint32_t linktype);

/* Append one packet; ts NULL means the current CLOCK_REALTIME time. */
int pcapw_write(struct pcapw *w, const struct timespec *ts, const void *pkt,
		size_t len);

/* Flush and close; 0 or a negative errno (e.g. a failed write). */
int pcapw_close(struct pcapw *w);

/*
 * Write an IPv6 header (RFC 8200 section 3) followed by payload into buf:
 * hop limit 64, no traffic class or flow label.  Returns the total
 * length or -ENOSPC.
 */
ssize_t pcapw_ipv6(uint8_t *buf, size_t cap, const struct in6_addr *src,
		   const struct in6_addr *dst, uint8_t next_header,
		   const void *payload, size_t len);

#endif
