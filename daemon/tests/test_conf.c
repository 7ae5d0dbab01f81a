/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Configuration tests.  Files live in daemon/tests/conf:
 *   good-*.conf   must load; conf_check_main output == good-*.golden
 *   bad-*.conf    must fail; the error line == bad-*.err, where the .err
 *                 file names the file without its directory
 *   etc-NAME.golden  the normalised output of etc/NAME.conf
 * PMIP_UPDATE_GOLDEN=1 rewrites the .golden files (never the .err ones:
 * those are the specification of each message).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"

/*
 * libconfig before 1.7.3 leaks a string token discarded by a syntax error
 * (hyperrealm/libconfig issue 142, fixed by pull request 155); Debian 12
 * has 1.5.  bad-unterminated-string.conf hits it.
 */
const char *__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\n";
}

static const char *
top(void)
{
	const char *t = getenv("TOP");
	return t != NULL && *t ? t : ".";
}

static char *
path_of(const char *rel)
{
	char *p;
	assert_true(asprintf(&p, "%s/%s", top(), rel) > 0);
	return p;
}

/* Whole file into a NUL-terminated buffer, or NULL. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (f == NULL)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	int ch;
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, m);
	fclose(f);
	fclose(m);
	return buf;
}

static void
spit(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(s, f);
	assert_int_equal(fclose(f), 0);
}

/* Run check mode; out and err receive what it printed. */
static int
check(const char *path, char **out, char **err)
{
	size_t ol, el;
	FILE *o = open_memstream(out, &ol);
	FILE *e = open_memstream(err, &el);
	assert_non_null(o);
	assert_non_null(e);
	int rc = conf_check_main(path, o, e);
	fclose(o);
	fclose(e);
	return rc;
}

static int
update_golden(void)
{
	const char *u = getenv("PMIP_UPDATE_GOLDEN");
	return u != NULL && strcmp(u, "1") == 0;
}

/* conf's normalised output against golden; update it when asked. */
static void
golden_one(const char *conf, const char *golden)
{
	char *out, *err;
	int rc = check(conf, &out, &err);

	if (rc != 0)
		fail_msg("%s: %s", conf, err);
	assert_string_equal(err, "");
	if (update_golden()) {
		spit(golden, out);
	} else {
		char *want = slurp(golden);
		if (want == NULL)
			fail_msg("%s missing (PMIP_UPDATE_GOLDEN=1 creates it)",
				 golden);
		if (strcmp(want, out) != 0)
			fail_msg("%s: output differs from %s:\n%s", conf,
				 golden, out);
		free(want);
	}
	free(out);
	free(err);
}

static void
test_etc_golden(void **state)
{
	static const char *const names[] = {"lma", "mag1", "mag2"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *conf, *golden;
		assert_true(asprintf(&conf, "%s/etc/%s.conf", top(), names[i]) >
			    0);
		assert_true(asprintf(&golden,
				     "%s/daemon/tests/conf/etc-%s.golden",
				     top(), names[i]) > 0);
		golden_one(conf, golden);
		free(conf);
		free(golden);
	}
}

static glob_t
conf_glob(const char *pattern)
{
	char *pat;
	glob_t g;

	assert_true(asprintf(&pat, "%s/daemon/tests/conf/%s", top(), pattern) >
		    0);
	assert_int_equal(glob(pat, 0, NULL, &g), 0);
	free(pat);
	return g;
}

/* path with its suffix ".conf" replaced by suffix. */
static char *
with_suffix(const char *path, const char *suffix)
{
	size_t n = strlen(path);
	char *p;

	assert_true(n > 5 && strcmp(path + n - 5, ".conf") == 0);
	assert_true(asprintf(&p, "%.*s%s", (int)(n - 5), path, suffix) > 0);
	return p;
}

static void
test_good_golden(void **state)
{
	glob_t g = conf_glob("good-*.conf");

	assert_true(g.gl_pathc >= 3);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *golden = with_suffix(g.gl_pathv[i], ".golden");
		golden_one(g.gl_pathv[i], golden);
		free(golden);
	}
	globfree(&g);
}

static void
test_bad_files(void **state)
{
	glob_t g = conf_glob("bad-*.conf");

	assert_true(g.gl_pathc >= 20);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *conf = g.gl_pathv[i];
		char *errfile = with_suffix(conf, ".err");
		char *want_rel = slurp(errfile);
		char *out, *err, *want;

		if (want_rel == NULL)
			fail_msg("%s: no %s", conf, errfile);
		/* The .err names the file relative to its directory. */
		const char *slash = strrchr(conf, '/');
		assert_true(asprintf(&want, "%.*s%s", (int)(slash + 1 - conf),
				     conf, want_rel) > 0);
		int rc = check(conf, &out, &err);
		if (rc != 1 || strcmp(err, want) != 0)
			fail_msg("%s: rc %d\nwant: %sgot:  %s", conf, rc, want,
				 err);
		assert_string_equal(out, "");

		/* conf_load reports the same, and leaves nothing allocated. */
		struct conf c;
		char e[CONF_ERRLEN];
		assert_true(conf_load(conf, &c, e, sizeof(e)) < 0);
		assert_int_equal(strncmp(want, e, strlen(e)), 0);
		assert_int_equal(want[strlen(e)], '\n');
		assert_null(c.mn);
		assert_null(c.mags);
		assert_null(c.access);
		free(errfile);
		free(want_rel);
		free(want);
		free(out);
		free(err);
	}
	globfree(&g);
}

/* load(print(load(x))) prints the same as load(x). */
static void
round_trip_one(const char *conf)
{
	char *out1, *out2, *err;
	char tmp[] = "/tmp/pmipd-conf-XXXXXX";

	assert_int_equal(check(conf, &out1, &err), 0);
	free(err);
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	close(fd);
	spit(tmp, out1);
	int rc = check(tmp, &out2, &err);
	if (rc != 0)
		fail_msg("%s: re-read failed: %s", conf, err);
	assert_string_equal(out1, out2);
	unlink(tmp);
	free(out1);
	free(out2);
	free(err);
}

static void
test_round_trip(void **state)
{
	static const char *const etc[] = {"etc/lma.conf", "etc/mag1.conf",
					  "etc/mag2.conf"};
	glob_t g = conf_glob("good-*.conf");

	for (size_t i = 0; i < sizeof(etc) / sizeof(etc[0]); i++) {
		char *p = path_of(etc[i]);
		round_trip_one(p);
		free(p);
	}
	for (size_t i = 0; i < g.gl_pathc; i++)
		round_trip_one(g.gl_pathv[i]);
	globfree(&g);
}

static void
test_defaults(void **state)
{
	struct conf c;
	struct in6_addr ll;
	static const uint8_t lla[6] = {0x00, 0x00, 0x5e, 0x00, 0x52, 0x13};

	memset(&c, 0xa5, sizeof(c));
	conf_defaults(&c);
	/* RFC 5213 section 9 */
	assert_int_equal(c.MinDelayBeforeBCEDelete, 10000);
	assert_int_equal(c.MaxDelayBeforeNewBCEAssign, 1500);
	assert_int_equal(c.TimestampValidityWindow, 300);
	assert_int_equal(c.TimestampBasedApproachInUse, 1);
	assert_int_equal(c.MobileNodeGeneratedTimestampInUse, 0);
	assert_int_equal(c.EnableMAGLocalRouting, 0);
	/* RFC 6543 */
	assert_int_equal(inet_pton(AF_INET6, "fe80::200:5eff:fe00:5213", &ll),
			 1);
	assert_memory_equal(&c.FixedMAGLinkLocalAddressOnAllAccessLinks, &ll,
			    sizeof(ll));
	assert_memory_equal(c.FixedMAGLinkLayerAddressOnAllAccessLinks, lla, 6);
	/* RFC 6275 sections 12 and 13 */
	assert_int_equal(c.InitialBindackTimeoutFirstReg, 1500);
	assert_int_equal(c.MaxBindackTimeout, 32000);
	/* ours */
	assert_int_equal(c.role, ROLE_LMA);
	assert_int_equal(c.log_level, LOG_LVL_INFO);
	assert_string_equal(c.ctl_socket, "/run/pmipd.sock");
	assert_string_equal(c.ifname, "");
	assert_int_equal(c.dataplane, DP_AUTO);
	assert_int_equal(c.tunnel_mode, TUNNEL_DYNAMIC);
	assert_int_equal(c.tunnel_linger_ms, 1000);
	assert_int_equal(c.mtu, 1460);
	assert_int_equal(c.lifetime_s, 3600);
	assert_int_equal(c.ra_interval_ms, 3000);
	assert_int_equal(c.detach_methods, DETACH_LINK | DETACH_NUD);
	assert_int_equal(c.buffering, 0);
	assert_int_equal(c.has_default_lma, 0);
	assert_int_equal(c.n_mn + c.n_mags + c.n_access, 0);
	assert_null(c.mn);
	assert_null(c.mags);
	assert_null(c.access);
	conf_free(&c);
}

/* A file that sets only what is required gets the defaults. */
static void
test_minimal_gets_defaults(void **state)
{
	char *p = path_of("daemon/tests/conf/good-lma-minimal.conf");
	struct conf c, d;
	char e[CONF_ERRLEN];

	assert_int_equal(conf_load(p, &c, e, sizeof(e)), 0);
	conf_defaults(&d);
	assert_int_equal(c.role, ROLE_LMA);
	assert_int_equal(c.MinDelayBeforeBCEDelete, d.MinDelayBeforeBCEDelete);
	assert_int_equal(c.MaxDelayBeforeNewBCEAssign,
			 d.MaxDelayBeforeNewBCEAssign);
	assert_int_equal(c.TimestampValidityWindow, d.TimestampValidityWindow);
	assert_int_equal(c.TimestampBasedApproachInUse, 1);
	assert_int_equal(c.lifetime_s, 3600);
	assert_string_equal(c.ctl_socket, "/run/pmipd.sock");
	assert_int_equal(c.n_mags, 1);
	assert_int_equal(c.n_mn, 1);
	/* An LMA's MN profile names the LMA itself unless told otherwise. */
	assert_memory_equal(&c.mn[0].lma, &c.addr, sizeof(c.addr));
	assert_int_equal(c.mn[0].buffering, 0);
	conf_free(&c);
	free(p);
}

static void
test_lookups(void **state)
{
	char *p = path_of("daemon/tests/conf/good-lma-multi.conf");
	struct conf c;
	char e[CONF_ERRLEN];
	struct in6_addr a;
	const struct conf_mn *mn;
	const struct conf_peer *mag;
	static const uint8_t mac2[6] = {0x02, 0, 0, 0, 0, 0x02};
	static const uint8_t mac_none[6] = {0x02, 0, 0, 0, 0, 0x99};

	if (conf_load(p, &c, e, sizeof(e)) != 0)
		fail_msg("%s", e);

	mn = conf_mn_by_nai(&c, "mn2@example.org");
	assert_non_null(mn);
	assert_string_equal(mn->nai, "mn2@example.org");
	assert_memory_equal(mn->lladdr, mac2, 6);
	assert_int_equal(mn->n_hnp, 2);
	assert_int_equal(mn->buffering, 0); /* explicit, overrides true */
	assert_null(conf_mn_by_nai(&c, "nobody@example.org"));
	assert_null(conf_mn_by_nai(&c, "MN2@example.org"));

	assert_ptr_equal(conf_mn_by_lladdr(&c, mac2), mn);
	assert_null(conf_mn_by_lladdr(&c, mac_none));

	/* The MAC was written in capitals; stored as bytes. */
	static const uint8_t mac3[6] = {0x0a, 0xbc, 0xde, 0xf0, 0x12, 0x34};
	mn = conf_mn_by_lladdr(&c, mac3);
	assert_non_null(mn);
	assert_string_equal(mn->nai, "mn3");
	assert_int_equal(mn->buffering, 1); /* inherited */

	assert_int_equal(inet_pton(AF_INET6, "2001:db8:ffff::12", &a), 1);
	mag = conf_mag_by_addr(&c, &a);
	assert_non_null(mag);
	assert_string_equal(mag->name, "mag2");
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:ffff::13", &a), 1);
	assert_null(conf_mag_by_addr(&c, &a));

	/* Address inside the second prefix of mn2. */
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:2:2::1234", &a), 1);
	mn = conf_mn_by_addr(&c, &a);
	assert_non_null(mn);
	assert_string_equal(mn->nai, "mn2@example.org");
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:9::1", &a), 1);
	assert_null(conf_mn_by_addr(&c, &a));
	conf_free(&c);
	free(p);

	p = path_of("etc/mag1.conf");
	if (conf_load(p, &c, e, sizeof(e)) != 0)
		fail_msg("%s", e);
	const struct conf_access *acc = conf_access_by_ifname(&c, "a1");
	assert_non_null(acc);
	assert_int_equal(acc->att, 4);
	assert_null(conf_access_by_ifname(&c, "core0"));
	mn = conf_mn_by_nai(&c, "mn1@example.org");
	assert_non_null(mn);
	/* From the top-level default lma. */
	assert_memory_equal(&mn->lma, &c.default_lma, sizeof(c.default_lma));
	conf_free(&c);
	free(p);
}

static void
test_missing_file(void **state)
{
	char *out, *err;

	assert_int_equal(check("/nonexistent/pmipd.conf", &out, &err), 1);
	assert_string_equal(err, "/nonexistent/pmipd.conf:0: No such file or "
				 "directory\n");
	assert_string_equal(out, "");
	free(out);
	free(err);
}

/* Every key in the file is honoured (not just accepted). */
static void
test_mag_full_values(void **state)
{
	char *p = path_of("daemon/tests/conf/good-mag-full.conf");
	struct conf c;
	char e[CONF_ERRLEN];

	if (conf_load(p, &c, e, sizeof(e)) != 0)
		fail_msg("%s", e);
	assert_int_equal(c.role, ROLE_MAG);
	assert_int_equal(c.log_level, LOG_LVL_DEBUG);
	assert_int_equal(c.dataplane, DP_USER);
	assert_int_equal(c.tunnel_mode, TUNNEL_STATIC);
	assert_int_equal(c.tunnel_linger_ms, 0);
	assert_int_equal(c.MinDelayBeforeBCEDelete, 5000);
	assert_int_equal(c.MaxDelayBeforeNewBCEAssign, 1000);
	assert_int_equal(c.TimestampValidityWindow, 500);
	assert_int_equal(c.TimestampBasedApproachInUse, 1);
	assert_int_equal(c.MobileNodeGeneratedTimestampInUse, 1);
	assert_int_equal(c.EnableMAGLocalRouting, 1);
	assert_int_equal(c.InitialBindackTimeoutFirstReg, 250);
	assert_int_equal(c.MaxBindackTimeout, 4000);
	assert_int_equal(c.lifetime_s, 262140);
	assert_int_equal(c.mtu, 1280);
	assert_int_equal(c.ra_interval_ms, 500);
	assert_int_equal(c.detach_methods, DETACH_NUD | DETACH_DAD);
	assert_int_equal(c.n_access, 2);
	assert_int_equal(c.access[1].att, 4);
	assert_int_equal(c.n_mn, 2);
	assert_int_equal(c.mn[0].att, 4);
	assert_int_equal(c.mn[0].n_hnp, 8);
	conf_free(&c);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_minimal_gets_defaults),
	    cmocka_unit_test(test_etc_golden),
	    cmocka_unit_test(test_good_golden),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_lookups),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_mag_full_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
