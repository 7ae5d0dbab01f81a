/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <linux/neighbour.h>
#include <netlink/netlink.h>
#include <netlink/route/neighbour.h>
#include <sys/socket.h>

#include "log.h"
#include "neigh.h"

int
neigh_flush_dev(int ifindex)
{
	struct nl_sock *sk;
	struct nl_cache *cache = NULL;
	int n = 0, err;

	if (ifindex <= 0)
		return -EINVAL;
	if (!(sk = nl_socket_alloc()))
		return -ENOMEM;
	if ((err = nl_connect(sk, NETLINK_ROUTE)) < 0 ||
	    (err = rtnl_neigh_alloc_cache(sk, &cache)) < 0) {
		log_warnx("neigh: cannot read the neighbour table: %s",
			  nl_geterror(err));
		nl_socket_free(sk);
		return -EIO;
	}
	for (struct nl_object *o = nl_cache_get_first(cache); o;
	     o = nl_cache_get_next(o)) {
		struct rtnl_neigh *nb = (struct rtnl_neigh *)o;
		int state = rtnl_neigh_get_state(nb);
		/* Only unresolved entries: deleting a REACHABLE or STALE
		 * one makes some kernels (6.1) report it FAILED, which the
		 * MAG's NUD detection would take for the MN leaving. */
		if (rtnl_neigh_get_ifindex(nb) != ifindex ||
		    rtnl_neigh_get_family(nb) != AF_INET6 ||
		    !(state & (NUD_INCOMPLETE | NUD_FAILED)))
			continue;
		/* rtnl_neigh_delete waits for the kernel's ACK. */
		if ((err = rtnl_neigh_delete(sk, nb, 0)) < 0 &&
		    err != -NLE_OBJ_NOTFOUND)
			log_warnx("neigh: cannot delete an entry on ifindex "
				  "%d: %s",
				  ifindex, nl_geterror(err));
		else
			n++;
	}
	nl_cache_free(cache);
	nl_socket_free(sk);
	return n;
}
