/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "ctl.h"
#include "ev.h"
#include "json.h"
#include "log.h"

/* --- JSON writer ----------------------------------------------------- */

struct sbuf {
	char b[4096];
	size_t n;
};

static void
sbuf_write(void *arg, const char *s, size_t n)
{
	struct sbuf *sb = arg;

	assert_true(sb->n + n < sizeof(sb->b));
	memcpy(sb->b + sb->n, s, n);
	sb->n += n;
	sb->b[sb->n] = '\0';
}

static const char *
escaped(const char *s, size_t n)
{
	static char buf[256];

	json_escape(buf, sizeof(buf), s, n);
	return buf;
}

static void
test_json_escape(void **state)
{
	char small[4];

	assert_string_equal(escaped("plain", 5), "plain");
	assert_string_equal(escaped("a\"b\\c", 5), "a\\\"b\\\\c");
	assert_string_equal(escaped("\n\r\t\b\f", 5), "\\n\\r\\t\\b\\f");
	assert_string_equal(escaped("\x01\x1f", 2), "\\u0001\\u001f");
	assert_string_equal(escaped("a\0b", 3), "a\\u0000b");
	/* DEL and '/' need no escape. */
	assert_string_equal(escaped("\x7f/", 2), "\x7f/");
	/* Valid UTF-8 passes through: é, €, U+1F600. */
	assert_string_equal(escaped("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9),
			    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* Invalid: lone continuation, overlong, surrogate, truncated, >max */
	assert_string_equal(escaped("\x80", 1), "\\ufffd");
	assert_string_equal(escaped("\xc0\xaf", 2), "\\ufffd\\ufffd");
	assert_string_equal(escaped("\xed\xa0\x80", 3),
			    "\\ufffd\\ufffd\\ufffd");
	assert_string_equal(escaped("\xe2\x82", 2), "\\ufffd\\ufffd");
	assert_string_equal(escaped("\xf4\x90\x80\x80", 4),
			    "\\ufffd\\ufffd\\ufffd\\ufffd");
	/* Truncation keeps a NUL and reports the needed length. */
	assert_int_equal(json_escape(small, sizeof(small), "\"\"\"", 3), 6);
	assert_string_equal(small, "\\\"\\");
}

static void
test_json_writer(void **state)
{
	struct sbuf sb = {.n = 0};
	struct json j;

	json_init(&j, sbuf_write, &sb);
	json_obj_begin(&j);
	json_kv_str(&j, "role", "lma");
	json_kv_int(&j, "neg", -42);
	json_kv_uint(&j, "big", UINT64_MAX);
	json_kv_bool(&j, "t", 1);
	json_kv_bool(&j, "f", 0);
	json_kv_null(&j, "n");
	json_kv_double(&j, "half", 0.5);
	json_kv_double(&j, "tenth", 0.1);
	json_kv_double(&j, "nan", 0.0 / 0.0);
	json_kv_strf(&j, "fmt", "%s-%d", "x", 7);
	json_kv_arr_begin(&j, "list");
	json_str(&j, "a\"b");
	json_int(&j, 1);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_begin(&j);
	json_arr_end(&j);
	json_arr_end(&j);
	json_kv_obj_begin(&j, "o");
	json_kv_str(&j, "k\n", NULL);
	json_obj_end(&j);
	json_obj_end(&j);
	assert_int_equal(j.err, 0);
	assert_int_equal(j.depth, 0);
	assert_string_equal(
	    sb.b, "{\"role\":\"lma\",\"neg\":-42,\"big\":18446744073709551615,"
		  "\"t\":true,\"f\":false,\"n\":null,\"half\":0.5,"
		  "\"tenth\":0.1,"
		  "\"nan\":null,\"fmt\":\"x-7\","
		  "\"list\":[\"a\\\"b\",1,{},[]],\"o\":{\"k\\n\":null}}");
}

static void
test_json_long_string(void **state)
{
	struct sbuf sb = {.n = 0};
	struct json j;
	char s[301];

	/* Long enough to be escaped in slices; a multi-byte character
	 * straddles every slice boundary. */
	for (size_t i = 0; i < sizeof(s) - 1; i += 3)
		memcpy(s + i, "\xe2\x82\xac", 3);
	s[sizeof(s) - 1] = '\0';
	json_init(&j, sbuf_write, &sb);
	json_str(&j, s);
	assert_int_equal(sb.n, strlen(s) + 2);
	assert_memory_equal(sb.b + 1, s, strlen(s));
	assert_null(strstr(sb.b, "\\ufffd"));

	/* Control bytes only: six output bytes for each. */
	memset(s, 1, sizeof(s) - 1);
	sb.n = 0;
	json_init(&j, sbuf_write, &sb);
	json_str(&j, s);
	assert_int_equal(sb.n, 6 * (sizeof(s) - 1) + 2);
}

static void
test_json_misuse(void **state)
{
	struct sbuf sb = {.n = 0};
	struct json j;

	/* A value in an object without a key. */
	json_init(&j, sbuf_write, &sb);
	json_obj_begin(&j);
	json_int(&j, 1);
	assert_int_not_equal(j.err, 0);

	/* Mismatched end. */
	sb.n = 0;
	json_init(&j, sbuf_write, &sb);
	json_arr_begin(&j);
	json_obj_end(&j);
	assert_int_not_equal(j.err, 0);

	/* A key in an array. */
	sb.n = 0;
	json_init(&j, sbuf_write, &sb);
	json_arr_begin(&j);
	json_key(&j, "k");
	assert_int_not_equal(j.err, 0);

	/* Too deep. */
	sb.n = 0;
	json_init(&j, sbuf_write, &sb);
	for (int i = 0; i < JSON_MAX_DEPTH + 1; i++)
		json_arr_begin(&j);
	assert_int_not_equal(j.err, 0);
}

/* --- dispatch without a socket ---------------------------------------- */

static char *
run(const char *line, size_t *n)
{
	char *ans = ctl_execute(NULL, line, strlen(line), n);

	assert_non_null(ans);
	return ans;
}

/* The status part after the NUL, without its newline. */
static const char *
status_of(const char *ans, size_t n, char *buf, size_t buflen)
{
	const char *nul = memchr(ans, '\0', n);

	assert_non_null(nul);
	assert_true(ans[n - 1] == '\n');
	snprintf(buf, buflen, "%.*s", (int)(ans + n - 1 - (nul + 1)), nul + 1);
	return buf;
}

static int
echo_cmd(struct ctl_req *req, void *arg)
{
	int *calls = arg;

	(*calls)++;
	if (req->json) {
		json_obj_begin(&req->js);
		json_kv_arr_begin(&req->js, "args");
		for (int i = 0; i < req->argc; i++)
			json_str(&req->js, req->argv[i]);
		json_arr_end(&req->js);
		json_obj_end(&req->js);
		return 0;
	}
	for (int i = 0; i < req->argc; i++)
		ctl_printf(req, "%s%s", i ? " " : "", req->argv[i]);
	ctl_printf(req, "\n");
	return 0;
}

static int
fail_cmd(struct ctl_req *req, void *arg)
{
	ctl_printf(req, "partial output that must not be sent\n");
	return ctl_error(req, "it failed\nbadly");
}

static int
errno_cmd(struct ctl_req *req, void *arg)
{
	return -ENOENT;
}

static int
badjson_cmd(struct ctl_req *req, void *arg)
{
	json_obj_begin(&req->js); /* never closed */
	return 0;
}

static int
file_cmd(struct ctl_req *req, void *arg)
{
	ctl_printf(req, "one\n");
	FILE *f = ctl_file(req);
	assert_non_null(f);
	fprintf(f, "two\n");
	ctl_printf(req, "three\n");
	return 0;
}

static int
big_cmd(struct ctl_req *req, void *arg)
{
	for (int i = 0; i < 1000; i++)
		ctl_printf(req, "%0999d\n", i);
	return 0;
}

static int
huge_cmd(struct ctl_req *req, void *arg)
{
	char line[4096];

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	for (unsigned i = 0; i < CTL_MAX_ANSWER / 4096 + 2; i++)
		ctl_printf(req, "%s", line);
	return 0;
}

static int echo_calls;

static int
setup_cmds(void **state)
{
	echo_calls = 0;
	assert_int_equal(
	    ctl_register("echo", "echo the arguments", echo_cmd, &echo_calls),
	    0);
	assert_int_equal(ctl_register("fail", "always fails", fail_cmd, NULL),
			 0);
	assert_int_equal(ctl_register("enoent", "", errno_cmd, NULL), 0);
	assert_int_equal(ctl_register("badjson", "", badjson_cmd, NULL), 0);
	assert_int_equal(ctl_register("file", "", file_cmd, NULL), 0);
	assert_int_equal(ctl_register("big", "", big_cmd, NULL), 0);
	assert_int_equal(ctl_register("huge", "", huge_cmd, NULL), 0);
	return 0;
}

static int
teardown_cmds(void **state)
{
	ctl_unregister_all();
	return 0;
}

static void
test_register(void **state)
{
	assert_int_equal(ctl_register("echo", "", echo_cmd, NULL), -EEXIST);
	assert_int_equal(ctl_register("help", "", echo_cmd, NULL), -EEXIST);
	assert_int_equal(ctl_register("", "", echo_cmd, NULL), -EINVAL);
	assert_int_equal(ctl_register("a b", "", echo_cmd, NULL), -EINVAL);
	assert_int_equal(ctl_register("-j", "", echo_cmd, NULL), -EINVAL);
	assert_int_equal(ctl_register("x", "", NULL, NULL), -EINVAL);
	assert_int_equal(ctl_register("tmp", "", echo_cmd, &echo_calls), 0);
	assert_int_equal(ctl_unregister("tmp"), 0);
	assert_int_equal(ctl_unregister("tmp"), -ENOENT);
}

static void
test_dispatch(void **state)
{
	char st[300];
	size_t n;
	char *a;

	a = run("echo  a\tb   c", &n);
	assert_int_equal(n, strlen("echo a b c\n") + 4);
	assert_memory_equal(a, "echo a b c\n\0ok\n", n);
	assert_int_equal(echo_calls, 1);
	free(a);

	/* CRLF line ends are accepted. */
	a = run("echo x\r", &n);
	assert_memory_equal(a, "echo x\n\0ok\n", n);
	free(a);

	a = run("-j echo \"q\" x", &n);
	const char *want = "{\"args\":[\"echo\",\"\\\"q\\\"\",\"x\"]}\n\0ok\n";
	assert_int_equal(n, strlen(want) + 4);
	assert_memory_equal(a, want, n);
	free(a);

	a = run("help", &n);
	assert_string_equal(status_of(a, n, st, sizeof(st)), "ok");
	assert_non_null(strstr(a, "echo the arguments"));
	assert_non_null(strstr(a, "log-level"));
	/* Sorted by name. */
	assert_true(strstr(a, "badjson") < strstr(a, "echo"));
	free(a);

	a = run("-j help", &n);
	assert_string_equal(status_of(a, n, st, sizeof(st)), "ok");
	assert_true(strncmp(a, "{\"commands\":[{\"name\":\"badjson\"", 30) ==
		    0);
	free(a);
}

static void
test_dispatch_errors(void **state)
{
	char st[300];
	size_t n;
	char *a;

	a = run("nosuch arg", &n);
	assert_int_equal(a[0], '\0'); /* no body on error */
	assert_string_equal(status_of(a, n, st, sizeof(st)),
			    "error: unknown command 'nosuch' (try 'help')");
	free(a);

	a = run("", &n);
	assert_string_equal(status_of(a, n, st, sizeof(st)),
			    "error: empty request (try 'help')");
	free(a);

	a = run("  -j  ", &n);
	assert_string_equal(status_of(a, n, st, sizeof(st)),
			    "error: empty request (try 'help')");
	free(a);

	a = run("-x help", &n);
	assert_string_equal(status_of(a, n, st, sizeof(st)),
			    "error: unknown option '-x'");
	free(a);

	/* Message made one line; partial body dropped. */
	a = run("fail", &n);
	assert_int_equal(a[0], '\0');
	assert_string_equal(status_of(a, n, st, sizeof(st)),
			    "error: it failed badly");
	free(a);

	a = run("enoent", &n);
	assert_string_equal(status_of(a, n, st, sizeof(st)),
			    "error: enoent failed: No such file or directory");
	free(a);

	a = run("-j badjson", &n);
	assert_string_equal(
	    status_of(a, n, st, sizeof(st)),
	    "error: badjson: internal error: malformed JSON answer");
	free(a);

	/* A JSON request whose handler wrote nothing is also an error. */
	a = run("-j fail", &n);
	assert_string_equal(status_of(a, n, st, sizeof(st)),
			    "error: it failed badly");
	free(a);

	char many[256] = "echo";
	for (int i = 0; i < CTL_MAX_ARGS; i++)
		strcat(many, " a");
	a = run(many, &n);
	assert_string_equal(status_of(a, n, st, sizeof(st)),
			    "error: too many arguments (at most 31)");
	free(a);

	a = ctl_execute(NULL, "echo\0x", 6, &n);
	assert_string_equal(status_of(a, n, st, sizeof(st)),
			    "error: malformed request (NUL byte)");
	free(a);

	a = run("huge", &n);
	assert_string_equal(status_of(a, n, st, sizeof(st)),
			    "error: answer too large or out of memory");
	free(a);
}

static void
test_ctl_file_order(void **state)
{
	size_t n;
	char *a = run("file", &n);

	assert_memory_equal(a, "one\ntwo\nthree\n\0ok\n", n);
	free(a);
}

static void
test_log_level(void **state)
{
	enum log_level old = log_get_level();
	char st[300];
	size_t n;
	char *a;

	log_set_level(LOG_LVL_INFO);
	a = run("log-level", &n);
	assert_memory_equal(a, "log level: info\n\0ok\n", n);
	free(a);
	a = run("log-level debug", &n);
	assert_memory_equal(a, "log level: debug (was info)\n\0ok\n", n);
	free(a);
	assert_int_equal(log_get_level(), LOG_LVL_DEBUG);
	a = run("-j log-level warning", &n);
	const char *want =
	    "{\"log_level\":\"warning\",\"previous\":\"debug\"}\n\0ok\n";
	assert_memory_equal(a, want, n);
	free(a);
	a = run("log-level loud", &n);
	assert_string_equal(status_of(a, n, st, sizeof(st)),
			    "error: unknown log level 'loud' (error, warning, "
			    "info, debug)");
	free(a);
	a = run("log-level a b", &n);
	assert_string_equal(status_of(a, n, st, sizeof(st)),
			    "error: usage: log-level [LEVEL]");
	free(a);
	assert_int_equal(log_get_level(), LOG_LVL_WARN);
	log_set_level(old);
}

/* --- a real socket in a temporary directory -------------------------- */

struct sockdir {
	char dir[64];
	char path[128];
};

static int
setup_sock(void **state)
{
	struct sockdir *sd = calloc(1, sizeof(*sd));

	snprintf(sd->dir, sizeof(sd->dir), "/tmp/test_ctl.XXXXXX");
	assert_non_null(mkdtemp(sd->dir));
	snprintf(sd->path, sizeof(sd->path), "%s/ctl.sock", sd->dir);
	*state = sd;
	return setup_cmds(state);
}

static int
teardown_sock(void **state)
{
	struct sockdir *sd = *state;

	unlink(sd->path);
	rmdir(sd->dir);
	free(sd);
	return teardown_cmds(state);
}

static int
client_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sun.sun_path, path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* Read one complete answer, running the loop while waiting. */
static size_t
client_answer(struct ev *ev, int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ev_time_t end = ev_now() + EV_S(5);

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (ev_now() < end) {
		const char *nul;
		ssize_t r;

		ev_run_once(ev, 10);
		r = read(fd, buf + n, cap - 1 - n);
		if (r > 0)
			n += (size_t)r;
		else if (r == 0)
			break;
		nul = memchr(buf, '\0', n);
		if (nul && memchr(nul, '\n', n - (size_t)(nul - buf)))
			break;
	}
	buf[n] = '\0';
	return n;
}

static void
test_socket_roundtrip(void **state)
{
	struct sockdir *sd = *state;
	struct ev *ev = ev_new();
	struct ctl *ctl;
	struct stat st;
	static char buf[1 << 21];
	int a, b;
	size_t n;

	assert_int_equal(ctl_open(&ctl, ev, sd->path), 0);
	assert_int_equal(stat(sd->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	/* Two clients at once, two requests in one write. */
	a = client_connect(sd->path);
	b = client_connect(sd->path);
	assert_int_equal(write(a, "echo 1\necho 2\n", 14), 14);
	assert_int_equal(write(b, "-j echo 3\n", 10), 10);
	n = client_answer(ev, b, buf, sizeof(buf));
	assert_memory_equal(buf, "{\"args\":[\"echo\",\"3\"]}\n\0ok\n", n);
	n = client_answer(ev, a, buf, sizeof(buf));
	if (n < 20) /* the second answer may come in a later read */
		n += client_answer(ev, a, buf + n, sizeof(buf) - n);
	assert_memory_equal(buf, "echo 1\n\0ok\necho 2\n\0ok\n", n);
	assert_int_equal(ctl_nclients(ctl), 2);

	/* A client closing after its request still gets the answer;
	 * then it is gone. */
	assert_int_equal(write(b, "echo last", 9), 9);
	shutdown(b, SHUT_WR);
	n = client_answer(ev, b, buf, sizeof(buf));
	assert_memory_equal(buf, "echo last\n\0ok\n", n);
	close(b);
	for (int i = 0; i < 20 && ctl_nclients(ctl) != 1; i++)
		ev_run_once(ev, 10);
	assert_int_equal(ctl_nclients(ctl), 1);

	/* A large answer goes out through EV_WRITE in pieces. */
	assert_int_equal(write(a, "big\n", 4), 4);
	n = 0;
	while (n < 1000 * 1000 + 4) {
		size_t m = client_answer(ev, a, buf + n, sizeof(buf) - n);
		assert_true(m > 0);
		n += m;
	}
	assert_int_equal(n, 1000 * 1000 + 4);
	assert_memory_equal(buf + n - 4, "\0ok\n", 4);

	/* An overlong line: error answer, then the server closes. */
	char *line = malloc(CTL_MAX_LINE + 10);
	memset(line, 'x', CTL_MAX_LINE + 10);
	assert_int_equal(write(a, line, CTL_MAX_LINE + 10), CTL_MAX_LINE + 10);
	free(line);
	n = client_answer(ev, a, buf, sizeof(buf));
	assert_memory_equal(buf, "\0error: request line too long\n", n);
	for (int i = 0; i < 20 && ctl_nclients(ctl) != 0; i++)
		ev_run_once(ev, 10);
	assert_int_equal(ctl_nclients(ctl), 0);
	close(a);

	assert_true(ctl_get_stats(ctl)->requests >= 5);
	assert_int_equal(ctl_get_stats(ctl)->accepted, 2);
	ctl_close(ctl);
	assert_int_equal(stat(sd->path, &st), -1);
	ev_free(ev);
}

static void
test_socket_stale_and_busy(void **state)
{
	struct sockdir *sd = *state;
	struct ev *ev = ev_new();
	struct ctl *ctl, *ctl2;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	/* A stale socket: bound, never listening, closed. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sun.sun_path, sd->path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	assert_int_equal(ctl_open(&ctl, ev, sd->path), 0);

	/* A live one: refused, and the file stays. */
	assert_int_equal(ctl_open(&ctl2, ev, sd->path), -EADDRINUSE);
	assert_null(ctl2);
	assert_int_equal(access(sd->path, F_OK), 0);
	ctl_close(ctl);
	assert_int_equal(access(sd->path, F_OK), -1);

	/* Not a socket: left alone. */
	fd = open(sd->path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ctl_open(&ctl, ev, sd->path), -EEXIST);
	assert_int_equal(access(sd->path, F_OK), 0);
	unlink(sd->path);

	/* Too long for sun_path. */
	char lng[200];
	memset(lng, 'a', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	assert_int_equal(ctl_open(&ctl, ev, lng), -ENAMETOOLONG);
	ev_free(ev);
}

static void
test_socket_replaced_not_removed(void **state)
{
	struct sockdir *sd = *state;
	struct ev *ev = ev_new();
	struct ctl *ctl;
	int fd;

	/* Someone replaced our socket file: ctl_close must not remove
	 * theirs. */
	assert_int_equal(ctl_open(&ctl, ev, sd->path), 0);
	unlink(sd->path);
	fd = open(sd->path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ctl_close(ctl);
	assert_int_equal(access(sd->path, F_OK), 0);
	unlink(sd->path);
	ev_free(ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_escape),
	    cmocka_unit_test(test_json_writer),
	    cmocka_unit_test(test_json_long_string),
	    cmocka_unit_test(test_json_misuse),
	    cmocka_unit_test_setup_teardown(test_register, setup_cmds,
					    teardown_cmds),
	    cmocka_unit_test_setup_teardown(test_dispatch, setup_cmds,
					    teardown_cmds),
	    cmocka_unit_test_setup_teardown(test_dispatch_errors, setup_cmds,
					    teardown_cmds),
	    cmocka_unit_test_setup_teardown(test_ctl_file_order, setup_cmds,
					    teardown_cmds),
	    cmocka_unit_test_setup_teardown(test_log_level, setup_cmds,
					    teardown_cmds),
	    cmocka_unit_test_setup_teardown(test_socket_roundtrip, setup_sock,
					    teardown_sock),
	    cmocka_unit_test_setup_teardown(test_socket_stale_and_busy,
					    setup_sock, teardown_sock),
	    cmocka_unit_test_setup_teardown(test_socket_replaced_not_removed,
					    setup_sock, teardown_sock),
	};

	log_init("test_ctl", 0, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
