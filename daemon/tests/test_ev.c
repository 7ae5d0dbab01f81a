/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "ev.h"

struct order {
	int seen[16];
	int n;
};

struct tagged {
	struct ev_timer t;
	struct order *o;
	int tag;
};

static void
record_cb(struct ev *ev, void *arg)
{
	struct tagged *x = arg;

	x->o->seen[x->o->n++] = x->tag;
}

static void
run_until_idle(struct ev *ev, int max_ms)
{
	ev_time_t end = ev_now() + EV_MS(max_ms);

	while (ev_now() < end)
		ev_run_once(ev, 5);
}

static void
test_timers_fire_in_order(void **state)
{
	struct ev *ev = ev_new();
	struct order o = {.n = 0};
	struct tagged x[4];
	const int delay_ms[4] = {30, 10, 40, 20};

	assert_non_null(ev);
	for (int i = 0; i < 4; i++) {
		x[i].o = &o;
		x[i].tag = i;
		ev_timer_init(&x[i].t, record_cb, &x[i]);
		assert_int_equal(
		    ev_timer_after(ev, &x[i].t, EV_MS(delay_ms[i])), 0);
		assert_true(ev_timer_armed(&x[i].t));
	}
	run_until_idle(ev, 80);
	assert_int_equal(o.n, 4);
	assert_int_equal(o.seen[0], 1);
	assert_int_equal(o.seen[1], 3);
	assert_int_equal(o.seen[2], 0);
	assert_int_equal(o.seen[3], 2);
	for (int i = 0; i < 4; i++)
		assert_false(ev_timer_armed(&x[i].t));
	ev_free(ev);
}

static void
test_timer_cancel_and_rearm(void **state)
{
	struct ev *ev = ev_new();
	struct order o = {.n = 0};
	struct tagged a = {.o = &o, .tag = 1}, b = {.o = &o, .tag = 2},
		      c = {.o = &o, .tag = 3};

	ev_timer_init(&a.t, record_cb, &a);
	ev_timer_init(&b.t, record_cb, &b);
	ev_timer_init(&c.t, record_cb, &c);
	ev_timer_after(ev, &a.t, EV_MS(10));
	ev_timer_after(ev, &b.t, EV_MS(20));
	ev_timer_after(ev, &c.t, EV_MS(30));
	/* Cancel b, push a behind c, cancel twice is harmless. */
	ev_timer_cancel(ev, &b.t);
	ev_timer_cancel(ev, &b.t);
	assert_false(ev_timer_armed(&b.t));
	ev_timer_after(ev, &a.t, EV_MS(45));
	run_until_idle(ev, 80);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.seen[0], 3);
	assert_int_equal(o.seen[1], 1);

	/* A fired timer can be armed again. */
	ev_timer_after(ev, &b.t, 0);
	assert_true(ev_run_once(ev, 50) >= 1);
	assert_int_equal(o.n, 3);
	assert_int_equal(o.seen[2], 2);
	ev_free(ev);
}

struct many {
	struct ev_timer t;
	ev_time_t *last;
	int *fired;
	int cancelled;
};

static void
many_cb(struct ev *ev, void *arg)
{
	struct many *m = arg;

	assert_false(m->cancelled);
	/* Never earlier than a timer that already fired. */
	assert_true(m->t.when >= *m->last);
	*m->last = m->t.when;
	(*m->fired)++;
}

static void
test_many_random_timers(void **state)
{
	enum { N = 10000 };
	struct ev *ev = ev_new();
	struct many *m = calloc(N, sizeof(*m));
	ev_time_t last = 0, base = ev_now() - EV_S(1);
	int fired = 0, cancelled = 0;

	assert_non_null(m);
	srand(42);
	/* All in the past, so one pass fires them: order is the check. */
	for (int i = 0; i < N; i++) {
		m[i].last = &last;
		m[i].fired = &fired;
		ev_timer_init(&m[i].t, many_cb, &m[i]);
		ev_timer_at(ev, &m[i].t, base + rand() % 1000000);
	}
	/* Re-arm a third at random, cancel a tenth. */
	for (int i = 0; i < N; i += 3)
		ev_timer_at(ev, &m[i].t, base + rand() % 1000000);
	for (int i = 0; i < N; i += 10) {
		ev_timer_cancel(ev, &m[i].t);
		m[i].cancelled = 1;
		cancelled++;
	}
	while (fired < N - cancelled)
		assert_true(ev_run_once(ev, 0) > 0);
	assert_int_equal(fired, N - cancelled);
	assert_int_equal(ev_run_once(ev, 0), 0);
	ev_free(ev);
	free(m);
}

struct pipe_state {
	int reads;
	char byte;
};

static void
pipe_cb(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct pipe_state *ps = arg;

	assert_true(events & EV_READ);
	assert_int_equal(read(fd, &ps->byte, 1), 1);
	ps->reads++;
	ev_break(ev);
}

static void
test_fd_readiness(void **state)
{
	struct ev *ev = ev_new();
	struct pipe_state ps = {0, 0};
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(ev_fd_add(ev, p[0], EV_READ, pipe_cb, &ps), 0);
	assert_int_equal(ev_fd_add(ev, p[0], EV_READ, pipe_cb, &ps), -EEXIST);
	/* Nothing readable: times out with nothing dispatched. */
	assert_int_equal(ev_run_once(ev, 10), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(ev_run(ev), 0);
	assert_int_equal(ps.reads, 1);
	assert_int_equal(ps.byte, 'x');
	/* Removed: no longer dispatched. */
	assert_int_equal(ev_fd_del(ev, p[0]), 0);
	assert_int_equal(ev_fd_del(ev, p[0]), -ENOENT);
	assert_int_equal(write(p[1], "y", 1), 1);
	assert_int_equal(ev_run_once(ev, 10), 0);
	assert_int_equal(ps.reads, 1);
	close(p[0]);
	close(p[1]);
	ev_free(ev);
}

static void
write_cb(struct ev *ev, int fd, unsigned events, void *arg)
{
	int *n = arg;

	assert_true(events & EV_WRITE);
	(*n)++;
	ev_fd_mod(ev, fd, 0);
}

static void
test_fd_write_and_mod(void **state)
{
	struct ev *ev = ev_new();
	int p[2], n = 0;

	assert_int_equal(pipe(p), 0);
	assert_int_equal(ev_fd_add(ev, p[1], EV_WRITE, write_cb, &n), 0);
	assert_int_equal(ev_run_once(ev, 100), 1);
	assert_int_equal(n, 1);
	/* Interest dropped to nothing: no more callbacks. */
	assert_int_equal(ev_run_once(ev, 10), 0);
	assert_int_equal(ev_fd_mod(ev, p[1], EV_WRITE), 0);
	assert_int_equal(ev_run_once(ev, 100), 1);
	assert_int_equal(n, 2);
	assert_int_equal(ev_fd_mod(ev, 999, EV_READ), -ENOENT);
	ev_fd_del(ev, p[1]);
	close(p[0]);
	close(p[1]);
	ev_free(ev);
}

/* A callback removing another descriptor of the same batch. */
struct pair {
	int fds[2];
	int calls;
};

static void
del_other_cb(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct pair *pr = arg;

	pr->calls++;
	ev_fd_del(ev, fd == pr->fds[0] ? pr->fds[1] : pr->fds[0]);
	ev_fd_del(ev, fd);
}

static void
test_fd_del_in_batch(void **state)
{
	struct ev *ev = ev_new();
	struct pair pr = {.calls = 0};
	int a[2], b[2];

	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	pr.fds[0] = a[0];
	pr.fds[1] = b[0];
	ev_fd_add(ev, a[0], EV_READ, del_other_cb, &pr);
	ev_fd_add(ev, b[0], EV_READ, del_other_cb, &pr);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	ev_run_once(ev, 100);
	assert_int_equal(pr.calls, 1);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	ev_free(ev);
}

static void
sig_cb(struct ev *ev, int signo, void *arg)
{
	int *got = arg;

	*got = signo;
	ev_break(ev);
}

static void
test_signal_through_loop(void **state)
{
	struct ev *ev = ev_new();
	int got = 0;

	assert_int_equal(ev_signal_add(ev, SIGUSR1, sig_cb, &got), 0);
	assert_int_equal(ev_signal_add(ev, SIGUSR2, sig_cb, &got), 0);
	/* Blocked: raise() leaves it pending for the signalfd. */
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(ev_run(ev), 0);
	assert_int_equal(got, SIGUSR1);
	assert_int_equal(raise(SIGUSR2), 0);
	assert_int_equal(ev_run(ev), 0);
	assert_int_equal(got, SIGUSR2);
	assert_int_equal(ev_signal_add(ev, 0, sig_cb, NULL), -EINVAL);
	ev_free(ev);
}

static void
test_run_once_timeout(void **state)
{
	struct ev *ev = ev_new();
	ev_time_t t0 = ev_now(), dt;

	assert_int_equal(ev_run_once(ev, 50), 0);
	dt = ev_now() - t0;
	assert_true(dt >= EV_MS(45));
	assert_true(dt < EV_MS(1000));

	/* A timer earlier than the timeout cuts the wait short. */
	struct order o = {.n = 0};
	struct tagged x = {.o = &o, .tag = 7};
	ev_timer_init(&x.t, record_cb, &x);
	ev_timer_after(ev, &x.t, EV_MS(20));
	t0 = ev_now();
	while (o.n == 0)
		ev_run_once(ev, 1000);
	dt = ev_now() - t0;
	assert_true(dt >= EV_MS(20));
	assert_true(dt < EV_MS(500));
	ev_free(ev);
}

static void
rearm_now_cb(struct ev *ev, void *arg)
{
	struct tagged *x = arg;

	x->o->n++;
	if (x->o->n < 3)
		ev_timer_at(ev, &x->t, 0);
}

static void
test_rearm_in_callback_no_spin(void **state)
{
	struct ev *ev = ev_new();
	struct order o = {.n = 0};
	struct tagged x = {.o = &o, .tag = 0};

	ev_timer_init(&x.t, rearm_now_cb, &x);
	ev_timer_at(ev, &x.t, 0);
	/* One firing per iteration, even when re-armed in the past. */
	assert_int_equal(ev_run_once(ev, 0), 1);
	assert_int_equal(o.n, 1);
	assert_int_equal(ev_run_once(ev, 0), 1);
	assert_int_equal(ev_run_once(ev, 0), 1);
	assert_int_equal(o.n, 3);
	assert_int_equal(ev_run_once(ev, 0), 0);
	ev_free(ev);
}

static void
test_monotonic_now(void **state)
{
	ev_time_t a = ev_now(), b = ev_now();

	assert_true(a > 0);
	assert_true(b >= a);
	assert_int_equal(EV_MS(3), 3000000);
	assert_true(EV_S(3) == 3000000000LL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timers_fire_in_order),
	    cmocka_unit_test(test_timer_cancel_and_rearm),
	    cmocka_unit_test(test_many_random_timers),
	    cmocka_unit_test(test_fd_readiness),
	    cmocka_unit_test(test_fd_write_and_mod),
	    cmocka_unit_test(test_fd_del_in_batch),
	    cmocka_unit_test(test_signal_through_loop),
	    cmocka_unit_test(test_run_once_timeout),
	    cmocka_unit_test(test_rearm_in_callback_no_spin),
	    cmocka_unit_test(test_monotonic_now),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
