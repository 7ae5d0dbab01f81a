/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Neighbour-cache housekeeping for the MAG's access links.
 *
 * When an MN returns to an access link, the kernel may still hold an
 * INCOMPLETE or FAILED IPv6 neighbour entry for its address, created by
 * packets that arrived while the link was down.  The next solicitation of
 * such an entry waits for its retransmission timer (1 s by default), and
 * only three packets queue behind it: the downlink stalls for up to a
 * second after a perfectly fast registration.  Flushing the link's
 * unresolved entries when the MN's routes are installed makes the first
 * downlink packet solicit at once.
 */
#ifndef PMIPD_NEIGH_H
#define PMIPD_NEIGH_H

/* Delete the unresolved (INCOMPLETE or FAILED) IPv6 neighbour entries
 * on ifindex.  Returns the number deleted or a negative errno. */
int neigh_flush_dev(int ifindex);

#endif
