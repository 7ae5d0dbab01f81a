/* SPDX-License-Identifier: BSD-2-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>

#include "dp_sys.h"
#include "log.h"

#define DP_ADDR_GEN_NONE 1 /* IN6_ADDR_GEN_MODE_NONE */

int
dp_nlerr(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return 0;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	default:
		return -EIO;
	}
}

int
dp_tun_create(const char *who, const char *name, int *ifindex)
{
	struct ifreq ifr;
	int fd, err;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		log_warn("%s: open /dev/net/tun", who);
		return err;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 ||
	    (*ifindex = (int)if_nametoindex(name)) == 0) {
		err = -errno;
		log_warn("%s: create %s", who, name);
		close(fd);
		return err;
	}
	return fd;
}

static int
dp_addr_gen_proc(const char *ifname)
{
	char path[128];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/addr_gen_mode",
		 ifname);
	if ((f = fopen(path, "w")) == NULL)
		return -errno;
	if (fprintf(f, "%d\n", DP_ADDR_GEN_NONE) < 0)
		err = -EIO;
	if (fclose(f) != 0 && err == 0)
		err = -errno;
	return err;
}

/* One change of ifindex's settings: chg filled in by set(). */
static int
dp_link_change(struct nl_sock *nl, struct rtnl_link *orig,
	       void (*set)(struct rtnl_link *chg, unsigned mtu, unsigned txq),
	       unsigned mtu, unsigned txq)
{
	struct rtnl_link *chg = rtnl_link_alloc();
	int err;

	if (chg == NULL)
		return -ENOMEM;
	set(chg, mtu, txq);
	err = dp_nlerr(rtnl_link_change(nl, orig, chg, 0));
	rtnl_link_put(chg);
	return err;
}

static void
dp_set_sizes(struct rtnl_link *chg, unsigned mtu, unsigned txq)
{
	if (mtu)
		rtnl_link_set_mtu(chg, mtu);
	if (txq)
		rtnl_link_set_txqlen(chg, txq);
}

static void
dp_set_all(struct rtnl_link *chg, unsigned mtu, unsigned txq)
{
	dp_set_sizes(chg, mtu, txq);
	rtnl_link_inet6_set_addr_gen_mode(chg, DP_ADDR_GEN_NONE);
}

static void
dp_set_up(struct rtnl_link *chg, unsigned mtu, unsigned txq)
{
	(void)mtu;
	(void)txq;
	rtnl_link_set_flags(chg, IFF_UP);
}

int
dp_link_setup(const char *who, struct nl_sock *nl, int ifindex,
	      const char *name, unsigned mtu, unsigned txqlen)
{
	struct rtnl_link *orig = rtnl_link_alloc();
	int err;

	if (orig == NULL)
		return -ENOMEM;
	rtnl_link_set_ifindex(orig, ifindex);
	err = dp_link_change(nl, orig, dp_set_all, mtu, txqlen);
	if (err != 0) {
		/* Without the inet6 part, and that through /proc. */
		err = dp_link_change(nl, orig, dp_set_sizes, mtu, txqlen);
		if (err == 0)
			err = dp_addr_gen_proc(name);
	}
	if (err != 0) {
		errno = -err;
		log_warn("%s: configure %s", who, name);
	} else if ((err = dp_link_change(nl, orig, dp_set_up, 0, 0)) != 0) {
		errno = -err;
		log_warn("%s: set %s up", who, name);
	}
	rtnl_link_put(orig);
	return err;
}

int
dp_raw41_open(const char *who, const struct in6_addr *local, int sndbuf,
	      int rcvbuf)
{
	struct sock_filter none[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
	struct sock_fprog prog = {.len = 1, .filter = none};
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = *local};
	char a[INET6_ADDRSTRLEN];
	int one = 1, fd, err;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_IPV6);
	if (fd < 0) {
		err = -errno;
		log_warn("%s: raw socket for next header 41", who);
		return err;
	}
	if (rcvbuf == 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
				 sizeof(prog));
	else
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf));
	/* The address may still be tentative (DAD) when we start. */
	(void)setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		log_warn("%s: bind raw socket to %s", who,
			 inet_ntop(AF_INET6, local, a, sizeof(a)));
		close(fd);
		return err;
	}
	return fd;
}
