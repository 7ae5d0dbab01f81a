/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <string.h>

#include "ev.h"
#include "log.h"
#include "nlmon.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h; clashes with net/if.h */
#endif

/* Report a carrier state only when it changed for that ifindex. */
static void
nlmon_link(struct nlmon *m, int ifindex, int up)
{
	unsigned i;

	for (i = 0; i < m->n_links; i++)
		if (m->links[i].ifindex == ifindex)
			break;
	if (i < m->n_links) {
		if (m->links[i].up == up)
			return;
		m->links[i].up = up;
	} else if (m->n_links < NLMON_MAX_LINKS) {
		m->links[m->n_links].ifindex = ifindex;
		m->links[m->n_links].up = up;
		m->n_links++;
	}
	if (m->link_cb)
		m->link_cb(m->arg, ifindex, up);
}

static int
nlmon_neigh_find(const struct nlmon *m, int ifindex, const struct in6_addr *ip)
{
	for (unsigned i = 0; i < m->n_neigh; i++)
		if (m->neigh[i].ifindex == ifindex &&
		    memcmp(&m->neigh[i].ip, ip, sizeof(*ip)) == 0)
			return (int)i;
	return -1;
}

static void
nlmon_neigh_forget(struct nlmon *m, int ifindex, const struct in6_addr *ip)
{
	int i = nlmon_neigh_find(m, ifindex, ip);

	if (i >= 0)
		m->neigh[i] = m->neigh[--m->n_neigh];
}

/* 1 if (ifindex, ip, lladdr) is news; remembers it. */
static int
nlmon_neigh_new(struct nlmon *m, int ifindex, const struct in6_addr *ip,
		const uint8_t lladdr[6])
{
	int i = nlmon_neigh_find(m, ifindex, ip);

	if (i >= 0) {
		if (memcmp(m->neigh[i].lladdr, lladdr, 6) == 0)
			return 0;
		memcpy(m->neigh[i].lladdr, lladdr, 6);
		return 1;
	}
	if (m->n_neigh == NLMON_MAX_NEIGH)
		m->n_neigh--; /* forget the most recent one: still report */
	m->neigh[m->n_neigh].ifindex = ifindex;
	m->neigh[m->n_neigh].ip = *ip;
	memcpy(m->neigh[m->n_neigh].lladdr, lladdr, 6);
	m->n_neigh++;
	return 1;
}

static int
nlmon_valid(struct nl_msg *msg, void *arg)
{
	struct nlmon *m = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	m->rx++;
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK: {
		if (!nlmsg_valid_hdr(nlh, sizeof(struct ifinfomsg)))
			return NL_SKIP;
		const struct ifinfomsg *ifi = nlmsg_data(nlh);
		int up = nlh->nlmsg_type == RTM_NEWLINK &&
			 (ifi->ifi_flags & IFF_LOWER_UP) != 0;
		nlmon_link(m, ifi->ifi_index, up);
		break;
	}
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH: {
		struct nlattr *tb[NDA_MAX + 1];
		uint8_t lladdr[6] = {0};
		struct in6_addr ip;

		if (nlmsg_parse(nlh, sizeof(struct ndmsg), tb, NDA_MAX, NULL) <
		    0)
			return NL_SKIP;
		const struct ndmsg *nd = nlmsg_data(nlh);
		if (nd->ndm_family != AF_INET6 || !tb[NDA_DST] ||
		    nla_len(tb[NDA_DST]) != (int)sizeof(ip))
			return NL_SKIP;
		memcpy(&ip, nla_data(tb[NDA_DST]), sizeof(ip));
		if (nlh->nlmsg_type == RTM_DELNEIGH) {
			nlmon_neigh_forget(m, nd->ndm_ifindex, &ip);
			return NL_OK;
		}
		if (nd->ndm_state & NUD_FAILED) {
			nlmon_neigh_forget(m, nd->ndm_ifindex, &ip);
		} else {
			if (!tb[NDA_LLADDR] || nla_len(tb[NDA_LLADDR]) != 6)
				return NL_SKIP;
			memcpy(lladdr, nla_data(tb[NDA_LLADDR]), 6);
			if (!(nd->ndm_state &
			      (NUD_REACHABLE | NUD_STALE | NUD_DELAY |
			       NUD_PROBE | NUD_PERMANENT)) ||
			    !nlmon_neigh_new(m, nd->ndm_ifindex, &ip, lladdr))
				return NL_OK;
		}
		if (m->neigh_cb)
			m->neigh_cb(m->arg, nd->ndm_ifindex, lladdr, &ip,
				    nd->ndm_state);
		break;
	}
	default:
		break;
	}
	return NL_OK;
}

static void
nlmon_read(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct nlmon *m = arg;

	for (int i = 0; i < 64; i++) {
		int err = nl_recvmsgs_default(m->sk);
		if (err == -NLE_AGAIN || err == 0)
			return;
		if (err == -NLE_NOMEM || err == -NLE_DUMP_INTR) {
			/* Socket overrun: events were lost. */
			m->overruns++;
			log_warnx("nlmon: receive overrun, events lost");
			continue;
		}
		if (err < 0) {
			log_warnx("nlmon: %s", nl_geterror(err));
			return;
		}
	}
}

int
nlmon_open(struct nlmon *m, struct ev *ev, nlmon_link_cb link_cb,
	   nlmon_neigh_cb neigh_cb, void *arg)
{
	int err;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->ev = ev;
	m->link_cb = link_cb;
	m->neigh_cb = neigh_cb;
	m->arg = arg;
	m->sk = nl_socket_alloc();
	if (!m->sk)
		return -ENOMEM;
	nl_socket_disable_seq_check(m->sk);
	nl_socket_modify_cb(m->sk, NL_CB_VALID, NL_CB_CUSTOM, nlmon_valid, m);
	if ((err = nl_connect(m->sk, NETLINK_ROUTE)) < 0) {
		log_warnx("nlmon: connect: %s", nl_geterror(err));
		nlmon_close(m);
		return -EIO;
	}
	if ((err = nl_socket_add_memberships(m->sk, RTNLGRP_LINK, RTNLGRP_NEIGH,
					     0)) < 0 ||
	    (err = nl_socket_set_nonblocking(m->sk)) < 0) {
		log_warnx("nlmon: %s", nl_geterror(err));
		nlmon_close(m);
		return -EIO;
	}
	(void)nl_socket_set_buffer_size(m->sk, 1 << 20, 0);
	m->fd = nl_socket_get_fd(m->sk);
	if (ev && (err = ev_fd_add(ev, m->fd, EV_READ, nlmon_read, m)) < 0) {
		nlmon_close(m);
		return err;
	}
	return 0;
}

void
nlmon_close(struct nlmon *m)
{
	if (m->sk) {
		if (m->ev && m->fd >= 0)
			ev_fd_del(m->ev, m->fd);
		nl_socket_free(m->sk);
	}
	m->sk = NULL;
	m->fd = -1;
}
