/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kernel data plane: RFC 2473 IPv6-in-IPv6 tunnels set up through
 * rtnetlink (libnl-3, libnl-route-3) and the SEG6 generic netlink family.
 *
 * Two tunnel kinds, chosen once at open:
 *   ip6tnl  one ip6tnl device "pmip-<hash of peer>" per peer (the kernel
 *           needs ip6_tunnel); the device encapsulates and decapsulates.
 *   seg6    no device: routes carry a seg6 lightweight tunnel in reduced
 *           encapsulation mode with the peer as the only segment, which
 *           puts a plain IPv6-in-IPv6 packet (next header 41, no routing
 *           header) on the wire; the outer source is the SEG6 "tunsrc".
 *           Decapsulation: a rule sends next-header-41 packets to our
 *           address into DPK_TABLE_DECAP, where an End.DX6 route strips
 *           the outer header and forwards the inner packet.  The local
 *           rule moves from preference 0 to DPK_PREF_LOCAL so that the
 *           decapsulation rule is consulted before local delivery.
 *
 * Everything installed is marked so that a later instance can find it
 * after a crash: routes and rules with protocol DPK_PROTO, devices by
 * the "pmip-" name prefix (and kind ip6tnl).  close() and cleanup_stale()
 * both remove every marked entry of the network namespace.
 *
 * libnl 3.7 has no API for lightweight-tunnel encapsulation nor for the
 * rule ip_proto match, so route and rule messages are built here.  Every
 * request asks for an ACK; the kernel's errno is returned negated.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fib_rules.h>
#include <linux/if_tunnel.h>
#include <linux/ip6_tunnel.h>
#include <linux/lwtunnel.h>
#include <linux/rtnetlink.h>
#include <linux/seg6.h>
#include <linux/seg6_genl.h>
#include <linux/seg6_iptunnel.h>
#include <linux/seg6_local.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/ip6tnl.h>

#include "conf.h"
#include "dp.h"
#include "dp_sys.h"
#include "ev.h"
#include "log.h"
#include "naitab.h"
#include "neigh.h"

#define DPK_PROTO 213	      /* rtnetlink protocol of our routes, rules */
#define DPK_TABLE_DECAP 21300 /* seg6: End.DX6 route of our address */
#define DPK_TABLE_RET 21301   /* LMA: held prefixes -> returned-packet TUN */
#define DPK_TABLE_MN 21310    /* MAG: + peer slot: default into tunnel */
#define DPK_MAX_PEERS 64
#define DPK_PREF_RET 45	   /* iif CORE lookup RET (LMA, seg6, buffering) */
#define DPK_PREF_DECAP 50  /* to OWN/128 ipproto 41 lookup DECAP */
#define DPK_PREF_LOCAL 100 /* the moved local rule */
#define DPK_PREF_MN 200	   /* from HNP lookup DPK_TABLE_MN + slot */
#define DPK_LINK_PREFIX "pmip-"
#define DPK_IP6TNL_KIND "ip6tnl"
#define DPK_OUTER_HDR 40
#define DPK_SRH_TYPE 4 /* IPV6_SRCRT_TYPE_4, RFC 8754 */
#define DPK_HOLD_IFNAME "pmip-hold0"
/*
 * MAG, return_to_lma: each MN prefix also has a route to the hold device
 * at this metric; the access interfaces ignore routes with link down
 * (sysctl ignore_routes_with_linkdown), so the moment the kernel sees
 * the access link lose carrier, the MN's packets go to the hold device
 * instead of into a dead link, before the daemon has even heard of it.
 */
#define DPK_FALLBACK_METRIC 0x7ffffff0u
#define DPK_RET_IFNAME "pmip-hold1"
#define DPK_MAX_RET 64 /* held prefixes with a returned-packet route */
#define DPK_HOLD_MTU 1500
#define DPK_HOLD_TXQLEN 10000
#define DPK_HOLD_BUFSZ 65536
#define DPK_HOLD_BURST 64

enum dpk_mode { DPK_SEG6, DPK_IP6TNL };

struct dpk_peer {
	int used;
	struct in6_addr addr;
	int ifindex; /* ip6tnl device */
};

struct dpk {
	struct nl_sock *rt;
	struct nl_sock *genl;
	int seg6_family;
	enum dpk_mode mode;
	int core_ifindex;
	int tunsrc_set;
	struct in6_addr old_tunsrc;
	struct dpk_peer peers[DPK_MAX_PEERS];
	/* Handover buffering (LMA): held prefixes are routed to a TUN
	 * device that we read; released packets leave through a raw
	 * next-header-41 socket (the kernel adds the outer header). */
	int hold_fd;
	int hold_ifindex;
	int raw_fd;
	dp_hold_fn hold;
	void *hold_arg;
	uint8_t *hold_buf;
	/*
	 * LMA, seg6: packets a MAG returns arrive decapsulated on the core
	 * interface; a rule "iif CORE lookup DPK_TABLE_RET" sends those for
	 * held prefixes to a second TUN device, so that the buffer can put
	 * them ahead of what it holds from elsewhere.
	 */
	int ret_fd;
	int ret_ifindex;
	unsigned n_ret;
	struct mh_prefix ret[DPK_MAX_RET];
	struct ev *ev;
	uint64_t hold_dropped; /* read, not taken by the hook */
};

static void dpk_ret_forget(struct dpk *k, const struct dp_mn *mn);
static int dpk_hold_open(struct dp *dp, struct dpk *k);

static const char *
dpk_a(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* --- netlink request and acknowledgement ------------------------------ */

struct dpk_reply {
	int err; /* 1 while waiting, then 0 or -errno */
	nl_recvmsg_msg_cb_t valid;
	void *arg;
};

static int
dpk_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct dpk_reply *r = arg;

	r->err = e->error < 0 ? e->error : -EPROTO;
	return NL_STOP;
}

static int
dpk_done_cb(struct nl_msg *msg, void *arg)
{
	struct dpk_reply *r = arg;

	r->err = 0;
	return NL_STOP;
}

static int
dpk_valid_cb(struct nl_msg *msg, void *arg)
{
	struct dpk_reply *r = arg;

	return r->valid ? r->valid(msg, r->arg) : NL_OK;
}

/*
 * Send msg (freed here) with NLM_F_ACK and wait for the ACK, an error, or
 * the end of a dump; valid (if any) sees each reply message.  libnl checks
 * sequence numbers and our port id.  Returns 0 or a negative errno.
 */
static int
dpk_talk(struct nl_sock *sk, struct nl_msg *msg, nl_recvmsg_msg_cb_t valid,
	 void *arg)
{
	struct dpk_reply r = {1, valid, arg};
	struct nl_cb *cb, *sk_cb;
	int ret;

	nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ACK;
	ret = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (ret < 0)
		return -ECOMM;
	sk_cb = nl_socket_get_cb(sk); /* takes a reference */
	cb = nl_cb_clone(sk_cb);
	nl_cb_put(sk_cb);
	if (cb == NULL)
		return -ENOMEM;
	nl_cb_err(cb, NL_CB_CUSTOM, dpk_err_cb, &r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, dpk_done_cb, &r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, dpk_done_cb, &r);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, dpk_valid_cb, &r);
	while (r.err == 1)
		if (nl_recvmsgs(sk, cb) < 0 && r.err == 1)
			r.err = -EIO;
	nl_cb_put(cb);
	return r.err;
}

/* --- routes ------------------------------------------------------------ */

struct dpk_route {
	uint32_t table;
	const struct in6_addr *dst;
	unsigned plen;
	int oif;
	uint32_t prio;		    /* metric; 0: the kernel's default */
	int encap;		    /* 0 or LWTUNNEL_ENCAP_SEG6[_LOCAL] */
	const struct in6_addr *seg; /* seg6: the tunnel peer */
	int quiet;		    /* an expected -errno, not logged */
};

/* RTA_ENCAP for "encap seg6 mode encap.red segs SEG". */
static int
dpk_put_seg6(struct nl_msg *msg, const struct in6_addr *seg)
{
	/* struct seg6_iptunnel_encap, then an SRH with one segment */
	uint8_t e[sizeof(struct seg6_iptunnel_encap) +
		  sizeof(struct ipv6_sr_hdr) + sizeof(struct in6_addr)];
	struct seg6_iptunnel_encap tun = {.mode = SEG6_IPTUN_MODE_ENCAP_RED};
	struct ipv6_sr_hdr srh = {
	    /* 8-octet units after the first 8 (RFC 8754 section 2) */
	    .hdrlen = (sizeof(srh) + sizeof(*seg)) / 8 - 1,
	    .type = DPK_SRH_TYPE,
	    .segments_left = 0,
	    .first_segment = 0,
	};
	struct nlattr *nest;

	memcpy(e, &tun, sizeof(tun));
	memcpy(e + sizeof(tun), &srh, sizeof(srh));
	memcpy(e + sizeof(tun) + sizeof(srh), seg, sizeof(*seg));
	if (nla_put_u16(msg, RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_SEG6) < 0 ||
	    (nest = nla_nest_start(msg, RTA_ENCAP)) == NULL ||
	    nla_put(msg, SEG6_IPTUNNEL_SRH, sizeof(e), e) < 0)
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* RTA_ENCAP for "encap seg6local action End.DX6 nh6 ::". */
static int
dpk_put_dx6(struct nl_msg *msg)
{
	struct in6_addr any = IN6ADDR_ANY_INIT;
	struct nlattr *nest;

	if (nla_put_u16(msg, RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_SEG6_LOCAL) < 0 ||
	    (nest = nla_nest_start(msg, RTA_ENCAP)) == NULL ||
	    nla_put_u32(msg, SEG6_LOCAL_ACTION, SEG6_LOCAL_ACTION_END_DX6) <
		0 ||
	    nla_put(msg, SEG6_LOCAL_NH6, sizeof(any), &any) < 0)
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int
dpk_route(struct dpk *k, int cmd, int flags, const struct dpk_route *r,
	  const char *what)
{
	struct rtmsg rtm = {
	    .rtm_family = AF_INET6,
	    .rtm_dst_len = r->plen,
	    .rtm_table = r->table < 256 ? r->table : RT_TABLE_UNSPEC,
	    .rtm_protocol = DPK_PROTO,
	    .rtm_scope = RT_SCOPE_UNIVERSE,
	    .rtm_type = RTN_UNICAST,
	};
	char a[INET6_ADDRSTRLEN];
	struct nl_msg *msg;
	int err = -EMSGSIZE;

	if ((msg = nlmsg_alloc_simple(cmd, flags)) == NULL)
		return -ENOMEM;
	if (nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, RTA_TABLE, r->table) < 0 ||
	    nla_put(msg, RTA_DST, sizeof(*r->dst), r->dst) < 0 ||
	    (r->oif && nla_put_u32(msg, RTA_OIF, r->oif) < 0) ||
	    (r->prio && nla_put_u32(msg, RTA_PRIORITY, r->prio) < 0))
		goto fail;
	if (cmd == RTM_NEWROUTE && r->encap == LWTUNNEL_ENCAP_SEG6 &&
	    dpk_put_seg6(msg, r->seg) < 0)
		goto fail;
	if (cmd == RTM_NEWROUTE && r->encap == LWTUNNEL_ENCAP_SEG6_LOCAL &&
	    dpk_put_dx6(msg) < 0)
		goto fail;
	err = dpk_talk(k->rt, msg, NULL, NULL);
	if (err < 0 && err != r->quiet)
		log_warnx("dp kernel: %s: %s route %s/%u table %u: %s", what,
			  cmd == RTM_NEWROUTE ? "add" : "del", dpk_a(r->dst, a),
			  r->plen, r->table, strerror(-err));
	return err;
fail:
	nlmsg_free(msg);
	log_warnx("dp kernel: %s: message too big", what);
	return err;
}

/* --- rules ------------------------------------------------------------- */

struct dpk_rule {
	uint32_t pref;
	uint32_t table; /* 0: any (delete) */
	const struct in6_addr *src, *dst;
	unsigned plen;	 /* of src or dst */
	const char *iif; /* NULL: any */
	uint8_t ipproto; /* 0: any */
	uint8_t proto;	 /* FRA_PROTOCOL */
	int quiet;	 /* an expected -errno, not logged */
};

static int
dpk_rule(struct dpk *k, int cmd, int flags, const struct dpk_rule *r,
	 const char *what)
{
	struct fib_rule_hdr frh = {
	    .family = AF_INET6,
	    .src_len = r->src ? r->plen : 0,
	    .dst_len = r->dst ? r->plen : 0,
	    .table = r->table < 256 ? r->table : RT_TABLE_UNSPEC,
	    .action = FR_ACT_TO_TBL,
	};
	struct nl_msg *msg;
	int err;

	if ((msg = nlmsg_alloc_simple(cmd, flags)) == NULL)
		return -ENOMEM;
	if (nlmsg_append(msg, &frh, sizeof(frh), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, FRA_PRIORITY, r->pref) < 0 ||
	    (r->table && nla_put_u32(msg, FRA_TABLE, r->table) < 0) ||
	    (r->src && nla_put(msg, FRA_SRC, sizeof(*r->src), r->src) < 0) ||
	    (r->dst && nla_put(msg, FRA_DST, sizeof(*r->dst), r->dst) < 0) ||
	    (r->iif && nla_put_string(msg, FRA_IIFNAME, r->iif) < 0) ||
	    (r->ipproto && nla_put_u8(msg, FRA_IP_PROTO, r->ipproto) < 0) ||
	    nla_put_u8(msg, FRA_PROTOCOL, r->proto) < 0) {
		nlmsg_free(msg);
		log_warnx("dp kernel: %s: message too big", what);
		return -EMSGSIZE;
	}
	err = dpk_talk(k->rt, msg, NULL, NULL);
	if (err < 0 && err != r->quiet)
		log_warnx("dp kernel: %s: %s rule pref %u: %s", what,
			  cmd == RTM_NEWRULE ? "add" : "del", r->pref,
			  strerror(-err));
	return err;
}

/* --- SEG6 generic netlink: the outer source address ------------------- */

static int
dpk_tunsrc_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[SEG6_ATTR_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, SEG6_ATTR_MAX, NULL) == 0 &&
	    tb[SEG6_ATTR_DST] &&
	    nla_len(tb[SEG6_ATTR_DST]) == sizeof(struct in6_addr))
		memcpy(arg, nla_data(tb[SEG6_ATTR_DST]),
		       sizeof(struct in6_addr));
	return NL_OK;
}

static int
dpk_tunsrc(struct dpk *k, int cmd, struct in6_addr *a)
{
	char s[INET6_ADDRSTRLEN];
	struct nl_msg *msg;
	int err;

	if ((msg = nlmsg_alloc()) == NULL)
		return -ENOMEM;
	if (genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, k->seg6_family, 0, 0,
			cmd, SEG6_GENL_VERSION) == NULL ||
	    (cmd == SEG6_CMD_SET_TUNSRC &&
	     nla_put(msg, SEG6_ATTR_DST, sizeof(*a), a) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = dpk_talk(k->genl, msg,
		       cmd == SEG6_CMD_GET_TUNSRC ? dpk_tunsrc_cb : NULL, a);
	if (err < 0)
		log_warnx("dp kernel: seg6 tunsrc %s %s: %s",
			  cmd == SEG6_CMD_SET_TUNSRC ? "set" : "get",
			  dpk_a(a, s), strerror(-err));
	return err;
}

/* --- links ------------------------------------------------------------- */

static void
dpk_link_name(const struct in6_addr *peer, char name[IF_NAMESIZE])
{
	snprintf(name, IF_NAMESIZE, DPK_LINK_PREFIX "%08x",
		 naitab_hash(peer->s6_addr, sizeof(peer->s6_addr)));
}

static int
dpk_link_del(struct dpk *k, struct rtnl_link *link, const char *what)
{
	struct nl_msg *msg;
	int err;

	if (rtnl_link_build_delete_request(link, &msg) < 0)
		return -ENOMEM;
	if ((err = dpk_talk(k->rt, msg, NULL, NULL)) < 0)
		log_warnx("dp kernel: %s: delete link %s: %s", what,
			  rtnl_link_get_name(link), strerror(-err));
	return err;
}

static int
dpk_ip6tnl_add(struct dp *dp, const char *name, const struct in6_addr *peer,
	       int *ifindex)
{
	struct dpk *k = dp->priv;
	struct in6_addr local = dp->conf->addr, remote = *peer;
	struct rtnl_link *link, *got = NULL;
	struct nl_msg *msg = NULL;
	int err = -ENOMEM;

	if ((link = rtnl_link_ip6_tnl_alloc()) == NULL)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	if (k->core_ifindex)
		rtnl_link_ip6_tnl_set_link(link, k->core_ifindex);
	rtnl_link_ip6_tnl_set_local(link, &local);
	rtnl_link_ip6_tnl_set_remote(link, &remote);
	rtnl_link_ip6_tnl_set_proto(link, IPPROTO_IPV6);
	rtnl_link_ip6_tnl_set_ttl(link, 64);
	/* A bare 40-byte outer header: no Tunnel Encapsulation Limit. */
	rtnl_link_ip6_tnl_set_flags(link, IP6_TNL_F_IGN_ENCAP_LIMIT);
	rtnl_link_set_mtu(link,
			  dp->conf->mtu ? dp->conf->mtu : 1500 - DPK_OUTER_HDR);
	/*
	 * Created down and without IFLA_AF_SPEC: Linux (6.1 at least)
	 * refuses an inet6 addr_gen_mode in a create request with
	 * EAFNOSUPPORT, as "ip link add ... addrgenmode none" shows.
	 */
	if (rtnl_link_build_add_request(link, NLM_F_CREATE | NLM_F_EXCL, &msg) <
	    0)
		goto out;
	if ((err = dpk_talk(k->rt, msg, NULL, NULL)) < 0)
		goto out;
	if (rtnl_link_get_kernel(k->rt, 0, name, &got) < 0) {
		err = -ENODEV;
		goto out;
	}
	/* No link-local address, hence no MLD reports into the tunnel;
	 * set before the device goes up, when addrconf would add one. */
	if ((err = dp_link_setup("dp kernel", k->rt, rtnl_link_get_ifindex(got),
				 name, 0, 0)) < 0)
		goto del;
	if (ifindex && (*ifindex = rtnl_link_get_ifindex(got)) <= 0)
		err = -ENODEV;
del:
	if (err < 0)
		dpk_link_del(k, got, "ip6tnl setup");
	rtnl_link_put(got);
out:
	if (link)
		rtnl_link_put(link);
	return err;
}

/* Remove every "pmip-" ip6tnl device; returns how many, or -errno. */
static int
dpk_flush_links(struct dpk *k)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int n = 0, err = 0;

	if (rtnl_link_alloc_cache(k->rt, AF_UNSPEC, &cache) < 0) {
		log_warnx("dp kernel: cannot dump links");
		return -EIO;
	}
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *name = rtnl_link_get_name(l);
		const char *type = rtnl_link_get_type(l);

		if (name == NULL || type == NULL ||
		    strncmp(name, DPK_LINK_PREFIX, strlen(DPK_LINK_PREFIX)) ||
		    strcmp(type, DPK_IP6TNL_KIND))
			continue;
		if ((err = dpk_link_del(k, l, "flush")) == 0)
			n++;
	}
	nl_cache_free(cache);
	return err < 0 ? err : n;
}

/* --- finding and removing our entries ---------------------------------- */

struct dpk_dump {
	struct nlmsghdr **msgs;
	size_t n, cap;
	int other_local; /* rules: a local-table rule that is not ours */
	int err;
};

static int
dpk_dump_keep(struct dpk_dump *d, const struct nlmsghdr *h)
{
	struct nlmsghdr *c;

	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;
		struct nlmsghdr **m = realloc(d->msgs, cap * sizeof(*m));

		if (m == NULL)
			return -ENOMEM;
		d->msgs = m;
		d->cap = cap;
	}
	if ((c = malloc(h->nlmsg_len)) == NULL)
		return -ENOMEM;
	memcpy(c, h, h->nlmsg_len);
	d->msgs[d->n++] = c;
	return 0;
}

static int
dpk_route_dump_cb(struct nl_msg *msg, void *arg)
{
	struct dpk_dump *d = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct rtmsg *rtm = nlmsg_data(h);

	if (h->nlmsg_type != RTM_NEWROUTE ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
		return NL_OK;
	if (rtm->rtm_protocol == DPK_PROTO && (d->err = dpk_dump_keep(d, h)))
		return NL_STOP;
	return NL_OK;
}

static int
dpk_rule_dump_cb(struct nl_msg *msg, void *arg)
{
	struct dpk_dump *d = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct fib_rule_hdr *frh = nlmsg_data(h);
	struct nlattr *tb[FRA_MAX + 1];
	uint32_t table;
	int proto = 0;

	if (h->nlmsg_type != RTM_NEWRULE ||
	    nlmsg_parse(h, sizeof(*frh), tb, FRA_MAX, NULL) < 0)
		return NL_OK;
	table = tb[FRA_TABLE] ? nla_get_u32(tb[FRA_TABLE]) : frh->table;
	if (tb[FRA_PROTOCOL])
		proto = nla_get_u8(tb[FRA_PROTOCOL]);
	if (proto != DPK_PROTO) {
		if (table == RT_TABLE_LOCAL)
			d->other_local = 1;
		return NL_OK;
	}
	if ((d->err = dpk_dump_keep(d, h)))
		return NL_STOP;
	return NL_OK;
}

static void
dpk_dump_free(struct dpk_dump *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	memset(d, 0, sizeof(*d));
}

static int
dpk_dump(struct dpk *k, int type, size_t hdrlen, nl_recvmsg_msg_cb_t cb,
	 struct dpk_dump *d)
{
	struct rtgenmsg g = {.rtgen_family = AF_INET6};
	char hdr[sizeof(struct rtmsg) + sizeof(struct fib_rule_hdr)];
	struct nl_msg *msg;
	int err;

	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, &g, sizeof(g));
	if ((msg = nlmsg_alloc_simple(type, NLM_F_DUMP)) == NULL)
		return -ENOMEM;
	if (nlmsg_append(msg, hdr, hdrlen, NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = dpk_talk(k->rt, msg, cb, d);
	return err < 0 ? err : d->err;
}

/* Send each dumped message back as a delete (as "ip route flush" does). */
static int
dpk_dump_delete(struct dpk *k, struct dpk_dump *d, int type, const char *what)
{
	int n = 0, first = 0;

	for (size_t i = 0; i < d->n; i++) {
		struct nlmsghdr *h = d->msgs[i];
		struct nl_msg *msg = nlmsg_alloc_simple(type, 0);
		int err;

		if (msg == NULL)
			return -ENOMEM;
		if (nlmsg_append(msg, nlmsg_data(h), nlmsg_datalen(h),
				 NLMSG_ALIGNTO) < 0) {
			nlmsg_free(msg);
			return -EMSGSIZE;
		}
		err = dpk_talk(k->rt, msg, NULL, NULL);
		/* An ip6tnl device's routes go with it: ENOENT/ESRCH is fine */
		if (err == 0)
			n++;
		else if (err != -ENOENT && err != -ESRCH) {
			log_warnx("dp kernel: flush %s: %s", what,
				  strerror(-err));
			if (!first)
				first = err;
		}
	}
	return first < 0 ? first : n;
}

/*
 * Remove every route and rule with protocol DPK_PROTO and every "pmip-"
 * ip6tnl device; make sure a local rule remains (at preference 0, as the
 * kernel has it, if ours was the only one).  Returns how many entries
 * went, or a negative errno.
 */
static int
dpk_flush(struct dpk *k)
{
	struct dpk_dump d = {0};
	int err, n = 0, first = 0;

	err = dpk_dump(k, RTM_GETROUTE, sizeof(struct rtmsg), dpk_route_dump_cb,
		       &d);
	if (err == 0)
		err = dpk_dump_delete(k, &d, RTM_DELROUTE, "route");
	else
		log_warnx("dp kernel: dump routes: %s", strerror(-err));
	dpk_dump_free(&d);
	if (err < 0)
		first = err;
	else
		n += err;

	err = dpk_dump(k, RTM_GETRULE, sizeof(struct fib_rule_hdr),
		       dpk_rule_dump_cb, &d);
	if (err == 0 && !d.other_local) {
		struct dpk_rule lr = {
		    .pref = 0, .table = RT_TABLE_LOCAL, .proto = RTPROT_KERNEL};

		err = dpk_rule(k, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, &lr,
			       "restore local rule");
	} else if (err < 0) {
		log_warnx("dp kernel: dump rules: %s", strerror(-err));
	}
	/* Without a local rule besides ours, keep ours. */
	if (err == 0)
		err = dpk_dump_delete(k, &d, RTM_DELRULE, "rule");
	dpk_dump_free(&d);
	if (err < 0 && !first)
		first = err;
	else if (err > 0)
		n += err;

	if ((err = dpk_flush_links(k)) < 0 && !first)
		first = err;
	else if (err > 0)
		n += err;
	return first < 0 ? first : n;
}

/* --- open and close ---------------------------------------------------- */

/* Can this kernel create an ip6tnl device?  Create and delete a probe. */
static int
dpk_probe_ip6tnl(struct dp *dp)
{
	struct dpk *k = dp->priv;
	struct in6_addr probe = IN6ADDR_LOOPBACK_INIT;
	struct rtnl_link *link;
	const char *force = getenv("PMIPD_KERNEL_TUNNEL");
	int err;

	if (force && strcmp(force, "seg6") == 0)
		return 0;
	if ((err = dpk_ip6tnl_add(dp, DPK_LINK_PREFIX "probe", &probe, NULL)) <
	    0) {
		log_debug("dp kernel: no ip6tnl (%s), using seg6",
			  strerror(-err));
		return 0;
	}
	if ((link = rtnl_link_alloc()) == NULL)
		return -ENOMEM;
	rtnl_link_set_name(link, DPK_LINK_PREFIX "probe");
	dpk_link_del(k, link, "ip6tnl probe");
	rtnl_link_put(link);
	return 1;
}

/* seg6: decapsulation of next-header-41 packets to our address. */
static int
dpk_seg6_decap(struct dp *dp)
{
	struct dpk *k = dp->priv;
	const struct in6_addr *own = &dp->conf->addr;
	struct dpk_route dx6 = {.table = DPK_TABLE_DECAP,
				.dst = own,
				.plen = 128,
				.oif = k->core_ifindex,
				.encap = LWTUNNEL_ENCAP_SEG6_LOCAL};
	struct dpk_rule decap = {.pref = DPK_PREF_DECAP,
				 .table = DPK_TABLE_DECAP,
				 .dst = own,
				 .plen = 128,
				 .ipproto = IPPROTO_IPV6,
				 .proto = DPK_PROTO};
	struct dpk_rule local = {.pref = DPK_PREF_LOCAL,
				 .table = RT_TABLE_LOCAL,
				 .proto = DPK_PROTO};
	struct dpk_rule local0 = {.pref = 0,
				  .table = RT_TABLE_LOCAL,
				  .proto = RTPROT_KERNEL,
				  .quiet = -ENOENT};
	int err;

	if ((err = dpk_route(k, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &dx6,
			     "decap")) < 0 ||
	    (err = dpk_rule(k, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, &local,
			    "move local rule")) < 0 ||
	    (err = dpk_rule(k, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, &decap,
			    "decap")) < 0)
		return err;
	/* The kernel's own local rule at 0 goes; someone may have moved it. */
	err = dpk_rule(k, RTM_DELRULE, 0, &local0, "move local rule");
	return err == -ENOENT ? 0 : err;
}

static int
dpk_forwarding(void)
{
	FILE *f = fopen("/proc/sys/net/ipv6/conf/all/forwarding", "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void dpk_close(struct dp *dp);

static int
dpk_open(struct dp *dp)
{
	const struct conf *c = dp->conf;
	const char *ifname = c->ifname[0] ? c->ifname : "lo";
	char a[INET6_ADDRSTRLEN];
	struct dpk *k;
	int err;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return -ENOMEM;
	k->hold_fd = -1;
	k->ret_fd = -1;
	k->raw_fd = -1;
	k->ev = dp->ev;
	dp->priv = k;
	if ((k->core_ifindex = (int)if_nametoindex(ifname)) == 0) {
		err = -ENODEV;
		log_warnx("dp kernel: interface %s: not found", ifname);
		goto fail;
	}
	if ((k->rt = nl_socket_alloc()) == NULL ||
	    (k->genl = nl_socket_alloc()) == NULL) {
		err = -ENOMEM;
		goto fail;
	}
	if (nl_connect(k->rt, NETLINK_ROUTE) < 0 || genl_connect(k->genl) < 0) {
		err = -EPROTONOSUPPORT;
		log_warnx("dp kernel: cannot open netlink sockets");
		goto fail;
	}
	/* What a crashed instance left would make our requests fail. */
	if ((err = dpk_flush(k)) < 0)
		goto fail;
	if (err > 0)
		log_info("dp kernel: removed %d stale entries", err);

	if ((err = dpk_probe_ip6tnl(dp)) < 0)
		goto fail;
	k->mode = err ? DPK_IP6TNL : DPK_SEG6;
	if (k->mode == DPK_SEG6) {
		if ((k->seg6_family = genl_ctrl_resolve(k->genl, "SEG6")) < 0) {
			err = -EOPNOTSUPP;
			log_warnx("dp kernel: neither ip6tnl nor seg6 here");
			goto fail;
		}
		if ((err = dpk_tunsrc(k, SEG6_CMD_GET_TUNSRC, &k->old_tunsrc)) <
		    0)
			goto fail;
		struct in6_addr own = c->addr;
		if ((err = dpk_tunsrc(k, SEG6_CMD_SET_TUNSRC, &own)) < 0)
			goto fail;
		k->tunsrc_set = 1;
		if ((err = dpk_seg6_decap(dp)) < 0)
			goto fail;
	}
	if (dpk_forwarding() == 0)
		log_warnx("dp kernel: net.ipv6.conf.all.forwarding is 0");
	log_info("dp kernel: %s tunnels from %s via %s",
		 k->mode == DPK_SEG6 ? "seg6 reduced-encapsulation" : "ip6tnl",
		 dpk_a(&c->addr, a), ifname);
	return 0;
fail:
	dpk_close(dp);
	return err;
}

static void
dpk_close(struct dp *dp)
{
	struct dpk *k = dp->priv;

	if (k == NULL)
		return;
	if (k->rt && nl_socket_get_fd(k->rt) >= 0)
		dpk_flush(k);
	if (k->tunsrc_set)
		dpk_tunsrc(k, SEG6_CMD_SET_TUNSRC, &k->old_tunsrc);
	if (k->hold_fd >= 0) {
		if (k->ev)
			ev_fd_del(k->ev, k->hold_fd);
		close(k->hold_fd); /* the device and its routes go with it */
	}
	if (k->ret_fd >= 0) {
		if (k->ev)
			ev_fd_del(k->ev, k->ret_fd);
		close(k->ret_fd);
	}
	if (k->raw_fd >= 0)
		close(k->raw_fd);
	free(k->hold_buf);
	nl_socket_free(k->rt);
	nl_socket_free(k->genl);
	free(k);
	dp->priv = NULL;
}

static int
dpk_cleanup_stale(struct dp *dp)
{
	struct dpk *k = dp->priv;
	struct in6_addr src = IN6ADDR_ANY_INIT, any = IN6ADDR_ANY_INIT;
	int err;

	if ((err = dpk_flush(k)) < 0)
		return err;
	memset(k->peers, 0, sizeof(k->peers));
	/* The outer source is ours if it is our address: unset it. */
	if (k->seg6_family > 0 &&
	    dpk_tunsrc(k, SEG6_CMD_GET_TUNSRC, &src) == 0 &&
	    memcmp(&src, &dp->conf->addr, sizeof(src)) == 0) {
		dpk_tunsrc(k, SEG6_CMD_SET_TUNSRC, &any);
		k->tunsrc_set = 0;
	}
	return 0;
}

/* --- tunnels ------------------------------------------------------------ */

static struct dpk_peer *
dpk_peer_find(struct dpk *k, const struct in6_addr *a)
{
	for (int i = 0; i < DPK_MAX_PEERS; i++)
		if (k->peers[i].used &&
		    memcmp(&k->peers[i].addr, a, sizeof(*a)) == 0)
			return &k->peers[i];
	return NULL;
}

static uint32_t
dpk_peer_table(struct dpk *k, const struct dpk_peer *p)
{
	return DPK_TABLE_MN + (uint32_t)(p - k->peers);
}

/* The route into the tunnel to p: seg6 encap, or the ip6tnl device. */
static void
dpk_route_into(struct dpk *k, const struct dpk_peer *p, struct dpk_route *r)
{
	if (k->mode == DPK_SEG6) {
		r->oif = k->core_ifindex;
		r->encap = LWTUNNEL_ENCAP_SEG6;
		r->seg = &p->addr;
	} else {
		r->oif = p->ifindex;
	}
}

static int
dpk_tunnel_add(struct dp *dp, const struct in6_addr *peer)
{
	struct dpk *k = dp->priv;
	struct in6_addr any = IN6ADDR_ANY_INIT;
	char name[IF_NAMESIZE], a[INET6_ADDRSTRLEN];
	struct dpk_peer *p = NULL;
	int err;

	if (dpk_peer_find(k, peer))
		return 0;
	for (int i = 0; i < DPK_MAX_PEERS && p == NULL; i++)
		if (!k->peers[i].used)
			p = &k->peers[i];
	if (p == NULL) {
		log_warnx("dp kernel: tunnel to %s: more than %d peers",
			  dpk_a(peer, a), DPK_MAX_PEERS);
		return -ENOSPC;
	}
	memset(p, 0, sizeof(*p));
	p->addr = *peer;
	dpk_link_name(peer, name);
	if (k->mode == DPK_IP6TNL &&
	    (err = dpk_ip6tnl_add(dp, name, peer, &p->ifindex)) < 0) {
		log_warnx("dp kernel: tunnel to %s: create %s: %s",
			  dpk_a(peer, a), name, strerror(-err));
		return err;
	}
	p->used = 1;
	if (dp->conf->role == ROLE_MAG) {
		/* The reverse tunnel: MNs' source rules point here. */
		struct dpk_route def = {
		    .table = dpk_peer_table(k, p), .dst = &any, .plen = 0};

		dpk_route_into(k, p, &def);
		if ((err = dpk_route(k, RTM_NEWROUTE,
				     NLM_F_CREATE | NLM_F_REPLACE, &def,
				     "reverse tunnel")) < 0) {
			dp->ops->tunnel_del(dp, peer);
			return err;
		}
	}
	return 0;
}

static int
dpk_tunnel_del(struct dp *dp, const struct in6_addr *peer)
{
	struct dpk *k = dp->priv;
	struct in6_addr any = IN6ADDR_ANY_INIT;
	struct dpk_peer *p = dpk_peer_find(k, peer);
	struct rtnl_link *link;
	char name[IF_NAMESIZE];
	int err = 0, e;

	if (p == NULL)
		return -ENOENT;
	if (dp->conf->role == ROLE_MAG && k->mode == DPK_SEG6) {
		struct dpk_route def = {.table = dpk_peer_table(k, p),
					.dst = &any,
					.plen = 0,
					.quiet = -ESRCH};

		e = dpk_route(k, RTM_DELROUTE, 0, &def, "reverse tunnel");
		if (e < 0 && e != -ESRCH && e != -ENOENT)
			err = e;
	}
	if (k->mode == DPK_IP6TNL) {
		/* Routes through the device go with it. */
		if ((link = rtnl_link_alloc()) == NULL)
			return -ENOMEM;
		dpk_link_name(peer, name);
		rtnl_link_set_name(link, name);
		if ((e = dpk_link_del(k, link, "tunnel")) < 0)
			err = e;
		rtnl_link_put(link);
	}
	memset(p, 0, sizeof(*p));
	return err;
}

/* --- LMA and MAG forwarding -------------------------------------------- */

static int
dpk_lma_route_del(struct dp *dp, const struct dp_mn *mn)
{
	struct dpk *k = dp->priv;
	int err = 0, e;

	dpk_ret_forget(k, mn);
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		struct dpk_route r = {.table = RT_TABLE_MAIN,
				      .dst = &mn->hnp[i].prefix,
				      .plen = mn->hnp[i].len};

		if ((e = dpk_route(k, RTM_DELROUTE, 0, &r, "lma")) < 0 && !err)
			err = e;
	}
	return err;
}

static void dpk_hold_flush(struct dpk *k);

static int
dpk_lma_route_add(struct dp *dp, const struct dp_mn *mn)
{
	struct dpk *k = dp->priv;
	struct dpk_peer *p = dpk_peer_find(k, &mn->peer);
	int err;

	if (p == NULL)
		return -ENOENT;
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		struct dpk_route r = {.table = RT_TABLE_MAIN,
				      .dst = &mn->hnp[i].prefix,
				      .plen = mn->hnp[i].len};

		dpk_route_into(k, p, &r);
		/* Replace: a handover re-points the prefix with no gap. */
		if ((err = dpk_route(k, RTM_NEWROUTE,
				     NLM_F_CREATE | NLM_F_REPLACE, &r, "lma")) <
		    0) {
			struct dp_mn done = *mn;

			done.n_hnp = i;
			dpk_lma_route_del(dp, &done);
			return err;
		}
	}
	dpk_ret_forget(k, mn);
	/* Packets the hold device took before the route moved go out now,
	 * ahead of those the kernel forwards from here on. */
	dpk_hold_flush(k);
	return 0;
}

static int
dpk_mag_mn_del(struct dp *dp, const struct dp_mn *mn)
{
	struct dpk *k = dp->priv;
	int err = 0, e;

	for (unsigned i = 0; dp->conf->return_to_lma && i < mn->n_hnp; i++) {
		struct dpk_route fb = {.table = RT_TABLE_MAIN,
				       .dst = &mn->hnp[i].prefix,
				       .plen = mn->hnp[i].len,
				       .prio = DPK_FALLBACK_METRIC,
				       .quiet = -ESRCH};
		(void)dpk_route(k, RTM_DELROUTE, 0, &fb, "mag fallback");
	}
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		struct dpk_rule rule = {.pref = DPK_PREF_MN,
					.src = &mn->hnp[i].prefix,
					.plen = mn->hnp[i].len,
					.proto = DPK_PROTO};
		struct dpk_route r = {.table = RT_TABLE_MAIN,
				      .dst = &mn->hnp[i].prefix,
				      .plen = mn->hnp[i].len,
				      .oif = mn->access_ifindex};

		if ((e = dpk_rule(k, RTM_DELRULE, 0, &rule, "mag")) < 0 && !err)
			err = e;
		if ((e = dpk_route(k, RTM_DELROUTE, 0, &r, "mag")) < 0 && !err)
			err = e;
	}
	return err;
}

static int
dpk_mag_mn_add(struct dp *dp, const struct dp_mn *mn)
{
	struct dpk *k = dp->priv;
	struct dpk_peer *p = dpk_peer_find(k, &mn->peer);
	int err;

	if (p == NULL)
		return -ENOENT;
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		struct dpk_route r = {.table = RT_TABLE_MAIN,
				      .dst = &mn->hnp[i].prefix,
				      .plen = mn->hnp[i].len,
				      .oif = mn->access_ifindex};
		struct dpk_rule rule = {.pref = DPK_PREF_MN,
					.table = dpk_peer_table(k, p),
					.src = &mn->hnp[i].prefix,
					.plen = mn->hnp[i].len,
					.proto = DPK_PROTO,
					.quiet = -EEXIST};

		err = dpk_route(k, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
				&r, "mag on-link");
		if (err == 0) {
			err =
			    dpk_rule(k, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL,
				     &rule, "mag reverse");
			if (err == -EEXIST) /* a re-registration */
				err = 0;
		}
		if (err < 0) {
			struct dp_mn done = *mn;

			done.n_hnp = i + 1;
			dpk_mag_mn_del(dp, &done);
			return err;
		}
	}
	/* Where the access link may vanish under the MN's packets. */
	for (unsigned i = 0; dp->conf->return_to_lma && i < mn->n_hnp; i++) {
		struct dpk_route fb = {.table = RT_TABLE_MAIN,
				       .dst = &mn->hnp[i].prefix,
				       .plen = mn->hnp[i].len,
				       .prio = DPK_FALLBACK_METRIC};
		if (dpk_hold_open(dp, k) < 0)
			break;
		fb.oif = k->hold_ifindex;
		(void)dpk_route(k, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
				&fb, "mag fallback");
	}
	/* Stale INCOMPLETE entries would hold the downlink for a second. */
	(void)neigh_flush_dev(mn->access_ifindex);
	return 0;
}

/* --- handover buffering (LMA) and return to the LMA (MAG) ---------------- */

/* Up to max packets from a hold device fd to the hook. */
static void
dpk_hold_read(struct dpk *k, int fd, const char *name, int max, unsigned flags)
{
	for (int i = 0; i < max; i++) {
		ssize_t n = read(fd, k->hold_buf, DPK_HOLD_BUFSZ);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("dp kernel: read %s", name);
			return;
		}
		/* Only IPv6 to a held prefix is routed here; MLD and the
		 * like cannot appear (no link-local address). */
		if (n < 40 || (k->hold_buf[0] >> 4) != 6 || !k->hold ||
		    !k->hold(k->hold_arg, NULL, k->hold_buf, (size_t)n, flags))
			k->hold_dropped++;
	}
}

static void
dpk_hold_cb(struct ev *ev, int fd, unsigned events, void *arg)
{
	dpk_hold_read(arg, fd, DPK_HOLD_IFNAME, DPK_HOLD_BURST, 0);
}

static void
dpk_ret_cb(struct ev *ev, int fd, unsigned events, void *arg)
{
	dpk_hold_read(arg, fd, DPK_RET_IFNAME, DPK_HOLD_BURST,
		      DP_HOLD_RETURNED);
}

/* Everything queued on the hold devices, at once (bounded): returned
 * packets first, they are the older ones. */
static void
dpk_hold_flush(struct dpk *k)
{
	if (k->ret_fd >= 0)
		dpk_hold_read(k, k->ret_fd, DPK_RET_IFNAME, DPK_HOLD_TXQLEN,
			      DP_HOLD_RETURNED);
	if (k->hold_fd >= 0)
		dpk_hold_read(k, k->hold_fd, DPK_HOLD_IFNAME, DPK_HOLD_TXQLEN,
			      0);
}

/*
 * The raw socket only sends: a filter that accepts nothing keeps the
 * copies of tunnelled packets (ip6tnl mode) out of its receive queue.
 */
static int
dpk_raw_open(struct dp *dp, struct dpk *k)
{
	int fd =
	    dp_raw41_open("dp kernel", &dp->conf->addr, 4 * 1024 * 1024, 0);

	if (fd < 0)
		return fd;
	k->raw_fd = fd;
	return 0;
}

/* A hold TUN device: created, configured and read by cb. */
static int
dpk_tun_open(struct dpk *k, const char *name, int *fdp, int *ifindexp,
	     ev_fd_cb cb)
{
	int fd, err;

	if ((fd = dp_tun_create("dp kernel", name, ifindexp)) < 0)
		return fd;
	if ((err = dp_link_setup("dp kernel", k->rt, *ifindexp, name,
				 DPK_HOLD_MTU, DPK_HOLD_TXQLEN)) < 0 ||
	    (err = ev_fd_add(k->ev, fd, EV_READ, cb, k)) < 0) {
		close(fd);
		return err;
	}
	*fdp = fd;
	return 0;
}

/*
 * LMA, seg6: the returned-packet device and its rule.  Best effort:
 * without it returned packets are held like the others (at the tail).
 */
static void
dpk_ret_open(struct dp *dp, struct dpk *k)
{
	struct dpk_rule rule = {.pref = DPK_PREF_RET,
				.table = DPK_TABLE_RET,
				.iif = dp->conf->ifname,
				.proto = DPK_PROTO};

	if (dp->conf->role != ROLE_LMA || k->mode != DPK_SEG6 ||
	    !dp->conf->ifname[0])
		return;
	if (dpk_tun_open(k, DPK_RET_IFNAME, &k->ret_fd, &k->ret_ifindex,
			 dpk_ret_cb) < 0)
		return;
	if (dpk_rule(k, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, &rule,
		     "returned packets") < 0) {
		ev_fd_del(k->ev, k->ret_fd);
		close(k->ret_fd);
		k->ret_fd = -1;
		return;
	}
	log_info("dp kernel: %s takes packets returned by MAGs",
		 DPK_RET_IFNAME);
}

/* The hold device and the raw socket, made on first use. */
static int
dpk_hold_open(struct dp *dp, struct dpk *k)
{
	int err;

	if (k->hold_fd >= 0)
		return 0;
	if (k->ev == NULL)
		return -EOPNOTSUPP;
	if (k->raw_fd < 0 && (err = dpk_raw_open(dp, k)) < 0)
		return err;
	if (!k->hold_buf && (k->hold_buf = malloc(DPK_HOLD_BUFSZ)) == NULL)
		return -ENOMEM;
	if ((err = dpk_tun_open(k, DPK_HOLD_IFNAME, &k->hold_fd,
				&k->hold_ifindex, dpk_hold_cb)) < 0)
		return err;
	dpk_ret_open(dp, k);
	log_info("dp kernel: %s ready for handover buffering", DPK_HOLD_IFNAME);
	return 0;
}

static void
dpk_hold_poll(struct dp *dp)
{
	dpk_hold_flush(dp->priv);
}

/* Remove the returned-packet routes of mn's prefixes, if any. */
static void
dpk_ret_forget(struct dpk *k, const struct dp_mn *mn)
{
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		for (unsigned j = 0; j < k->n_ret; j++) {
			struct dpk_route r = {.table = DPK_TABLE_RET,
					      .dst = &k->ret[j].prefix,
					      .plen = k->ret[j].len,
					      .quiet = -ESRCH};
			if (k->ret[j].len != mn->hnp[i].len ||
			    !IN6_ARE_ADDR_EQUAL(&k->ret[j].prefix,
						&mn->hnp[i].prefix))
				continue;
			(void)dpk_route(k, RTM_DELROUTE, 0, &r, "returned");
			k->ret[j] = k->ret[--k->n_ret];
			break;
		}
	}
}

/* Route the MN's prefixes to the hold device (replacing the tunnel). */
static int
dpk_lma_route_hold(struct dp *dp, const struct dp_mn *mn)
{
	struct dpk *k = dp->priv;
	int err;

	if ((err = dpk_hold_open(dp, k)) < 0)
		return err;
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		struct dpk_route r = {.table = RT_TABLE_MAIN,
				      .dst = &mn->hnp[i].prefix,
				      .plen = mn->hnp[i].len,
				      .oif = k->hold_ifindex};

		if ((err = dpk_route(k, RTM_NEWROUTE,
				     NLM_F_CREATE | NLM_F_REPLACE, &r,
				     "lma hold")) < 0)
			return err;
	}
	for (unsigned i = 0; k->ret_fd >= 0 && i < mn->n_hnp; i++) {
		struct dpk_route r = {.table = DPK_TABLE_RET,
				      .dst = &mn->hnp[i].prefix,
				      .plen = mn->hnp[i].len,
				      .oif = k->ret_ifindex};
		unsigned j;

		for (j = 0; j < k->n_ret; j++)
			if (k->ret[j].len == mn->hnp[i].len &&
			    IN6_ARE_ADDR_EQUAL(&k->ret[j].prefix,
					       &mn->hnp[i].prefix))
				break;
		if (j == k->n_ret && k->n_ret == DPK_MAX_RET)
			break; /* full: held at the tail, not lost */
		if (dpk_route(k, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &r,
			      "returned") < 0)
			break;
		if (j == k->n_ret)
			k->ret[k->n_ret++] = mn->hnp[i];
	}
	return 0;
}

static void
dpk_set_hold(struct dp *dp, dp_hold_fn fn, void *arg)
{
	struct dpk *k = dp->priv;

	k->hold = fn;
	k->hold_arg = arg;
}

static int
dpk_send(struct dp *dp, const struct in6_addr *peer, const uint8_t *pkt,
	 size_t len)
{
	struct dpk *k = dp->priv;
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = *peer};
	int err;

	if (k->raw_fd < 0 && (err = dpk_raw_open(dp, k)) < 0)
		return err;
	if (sendto(k->raw_fd, pkt, len, 0, (struct sockaddr *)&sa, sizeof(sa)) <
	    0)
		return -errno;
	return 0;
}

/*
 * MAG: the MN left; its on-link route becomes a route into the tunnel
 * to the LMA (which holds the packets while the binding is DEREG); the
 * reverse-tunnel rule stays until dpk_mag_mn_del(), which removes both
 * (access_ifindex 0: the route whatever device it uses).
 */
static int
dpk_mag_mn_return(struct dp *dp, const struct dp_mn *mn)
{
	struct dpk *k = dp->priv;
	struct dpk_peer *p = dpk_peer_find(k, &mn->peer);
	int err = 0, e;

	if (p == NULL)
		return -ENOENT;
	for (unsigned i = 0; i < mn->n_hnp; i++) {
		struct dpk_route r = {.table = RT_TABLE_MAIN,
				      .dst = &mn->hnp[i].prefix,
				      .plen = mn->hnp[i].len};

		dpk_route_into(k, p, &r);
		if ((e = dpk_route(k, RTM_NEWROUTE,
				   NLM_F_CREATE | NLM_F_REPLACE, &r,
				   "mag return")) < 0 &&
		    !err)
			err = e;
	}
	return err;
}

const struct dp_ops dp_kernel_ops = {
    .name = "kernel",
    .open = dpk_open,
    .close = dpk_close,
    .cleanup_stale = dpk_cleanup_stale,
    .tunnel_add = dpk_tunnel_add,
    .tunnel_del = dpk_tunnel_del,
    .lma_route_add = dpk_lma_route_add,
    .lma_route_del = dpk_lma_route_del,
    .mag_mn_add = dpk_mag_mn_add,
    .mag_mn_del = dpk_mag_mn_del,
    .lma_route_hold = dpk_lma_route_hold,
    .mag_mn_return = dpk_mag_mn_return,
    .mag_mn_hold = dpk_lma_route_hold, /* the same: prefixes to the TUN */
    .hold_poll = dpk_hold_poll,
    .set_hold = dpk_set_hold,
    .send = dpk_send,
};
