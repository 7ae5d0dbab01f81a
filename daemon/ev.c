/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Event loop: epoll for file descriptors, a binary min-heap of embedded
 * timers on CLOCK_MONOTONIC (the epoll_wait timeout is the time to the
 * earliest one), and a signalfd registered like any other descriptor.
 *
 * File descriptors are kept in a table indexed by the descriptor, each
 * slot with a generation number that also travels in the epoll cookie:
 * a descriptor removed (and perhaps reused) by a callback earlier in the
 * same batch of events is never dispatched with stale state.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"
#include "log.h"

#define EV_MAX_EVENTS 64

struct ev_fd {
	ev_fd_cb cb;
	void *arg;
	unsigned events;
	uint32_t gen;
	int used;
};

struct ev_sig {
	ev_signal_cb cb;
	void *arg;
};

struct ev {
	int epfd;
	int sigfd;
	sigset_t sigmask;
	struct ev_sig sigs[_NSIG];

	struct ev_fd *fds; /* indexed by descriptor */
	int nfds;	   /* size of fds */

	struct ev_timer **heap;
	size_t heap_len;
	size_t heap_cap;

	int stop;
};

ev_time_t
ev_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ev_time_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct ev *
ev_new(void)
{
	struct ev *ev = calloc(1, sizeof(*ev));

	if (ev == NULL)
		return NULL;
	ev->sigfd = -1;
	sigemptyset(&ev->sigmask);
	ev->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ev->epfd < 0) {
		free(ev);
		return NULL;
	}
	return ev;
}

/*
 * Signals stay blocked after ev_free: unblocking would deliver a pending
 * SIGTERM with its default action in the middle of a clean shutdown.
 */
void
ev_free(struct ev *ev)
{
	if (ev == NULL)
		return;
	for (size_t i = 0; i < ev->heap_len; i++)
		ev->heap[i]->heap_idx = -1;
	if (ev->sigfd >= 0)
		close(ev->sigfd);
	close(ev->epfd);
	free(ev->fds);
	free(ev->heap);
	free(ev);
}

/* --- file descriptors ------------------------------------------------ */

static uint32_t
ev_epoll_events(unsigned events)
{
	uint32_t e = 0;

	if (events & EV_READ)
		e |= EPOLLIN | EPOLLRDHUP;
	if (events & EV_WRITE)
		e |= EPOLLOUT;
	return e;
}

static int
ev_fd_grow(struct ev *ev, int fd)
{
	int n = ev->nfds ? ev->nfds : 64;
	struct ev_fd *fds;

	while (n <= fd)
		n *= 2;
	fds = realloc(ev->fds, (size_t)n * sizeof(*fds));
	if (fds == NULL)
		return -ENOMEM;
	memset(fds + ev->nfds, 0, (size_t)(n - ev->nfds) * sizeof(*fds));
	ev->fds = fds;
	ev->nfds = n;
	return 0;
}

int
ev_fd_add(struct ev *ev, int fd, unsigned events, ev_fd_cb cb, void *arg)
{
	struct epoll_event ee;
	struct ev_fd *f;
	int rc;

	if (fd < 0 || cb == NULL)
		return -EINVAL;
	if (fd >= ev->nfds && (rc = ev_fd_grow(ev, fd)) < 0)
		return rc;
	f = &ev->fds[fd];
	if (f->used)
		return -EEXIST;
	memset(&ee, 0, sizeof(ee));
	ee.events = ev_epoll_events(events);
	ee.data.u64 = ((uint64_t)(f->gen + 1) << 32) | (uint32_t)fd;
	if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, fd, &ee) < 0)
		return -errno;
	f->gen++;
	f->cb = cb;
	f->arg = arg;
	f->events = events;
	f->used = 1;
	return 0;
}

int
ev_fd_mod(struct ev *ev, int fd, unsigned events)
{
	struct epoll_event ee;
	struct ev_fd *f;

	if (fd < 0 || fd >= ev->nfds || !ev->fds[fd].used)
		return -ENOENT;
	f = &ev->fds[fd];
	if (f->events == events)
		return 0;
	memset(&ee, 0, sizeof(ee));
	ee.events = ev_epoll_events(events);
	ee.data.u64 = ((uint64_t)f->gen << 32) | (uint32_t)fd;
	if (epoll_ctl(ev->epfd, EPOLL_CTL_MOD, fd, &ee) < 0)
		return -errno;
	f->events = events;
	return 0;
}

int
ev_fd_del(struct ev *ev, int fd)
{
	if (fd < 0 || fd >= ev->nfds || !ev->fds[fd].used)
		return -ENOENT;
	ev->fds[fd].used = 0;
	ev->fds[fd].cb = NULL;
	ev->fds[fd].arg = NULL;
	/* Fails harmlessly if the caller already closed the descriptor. */
	epoll_ctl(ev->epfd, EPOLL_CTL_DEL, fd, NULL);
	return 0;
}

/* --- timers: binary min-heap ----------------------------------------- */

static void
ev_heap_set(struct ev *ev, size_t i, struct ev_timer *t)
{
	ev->heap[i] = t;
	t->heap_idx = (int)i;
}

static void
ev_heap_up(struct ev *ev, size_t i)
{
	struct ev_timer *t = ev->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (ev->heap[parent]->when <= t->when)
			break;
		ev_heap_set(ev, i, ev->heap[parent]);
		i = parent;
	}
	ev_heap_set(ev, i, t);
}

static void
ev_heap_down(struct ev *ev, size_t i)
{
	struct ev_timer *t = ev->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = l;
		if (l >= ev->heap_len)
			break;
		if (r < ev->heap_len && ev->heap[r]->when < ev->heap[l]->when)
			min = r;
		if (t->when <= ev->heap[min]->when)
			break;
		ev_heap_set(ev, i, ev->heap[min]);
		i = min;
	}
	ev_heap_set(ev, i, t);
}

static void
ev_heap_remove(struct ev *ev, size_t i)
{
	struct ev_timer *last = ev->heap[--ev->heap_len];

	ev->heap[i]->heap_idx = -1;
	if (i == ev->heap_len)
		return;
	ev_heap_set(ev, i, last);
	ev_heap_up(ev, i);
	ev_heap_down(ev, (size_t)last->heap_idx);
}

void
ev_timer_init(struct ev_timer *t, ev_timer_cb cb, void *arg)
{
	t->when = 0;
	t->cb = cb;
	t->arg = arg;
	t->heap_idx = -1;
}

int
ev_timer_at(struct ev *ev, struct ev_timer *t, ev_time_t when)
{
	if (t->heap_idx >= 0) {
		size_t i = (size_t)t->heap_idx;
		t->when = when;
		ev_heap_up(ev, i);
		ev_heap_down(ev, (size_t)t->heap_idx);
		return 0;
	}
	if (ev->heap_len == ev->heap_cap) {
		size_t cap = ev->heap_cap ? ev->heap_cap * 2 : 64;
		struct ev_timer **h = realloc(ev->heap, cap * sizeof(*h));
		if (h == NULL)
			return -ENOMEM;
		ev->heap = h;
		ev->heap_cap = cap;
	}
	t->when = when;
	ev_heap_set(ev, ev->heap_len++, t);
	ev_heap_up(ev, ev->heap_len - 1);
	return 0;
}

int
ev_timer_after(struct ev *ev, struct ev_timer *t, ev_time_t delay)
{
	return ev_timer_at(ev, t, ev_now() + delay);
}

void
ev_timer_cancel(struct ev *ev, struct ev_timer *t)
{
	if (t->heap_idx < 0)
		return;
	ev_heap_remove(ev, (size_t)t->heap_idx);
}

int
ev_timer_armed(const struct ev_timer *t)
{
	return t->heap_idx >= 0;
}

/*
 * Fire every timer due at the start of this pass.  A callback that
 * re-arms its timer for "now" runs again in the next iteration, not in
 * an endless loop here.
 */
static int
ev_timers_run(struct ev *ev)
{
	ev_time_t now = ev_now();
	size_t budget = ev->heap_len;
	int n = 0;

	while (budget-- > 0 && ev->heap_len > 0 && ev->heap[0]->when <= now) {
		struct ev_timer *t = ev->heap[0];
		ev_heap_remove(ev, 0);
		t->cb(ev, t->arg);
		n++;
	}
	return n;
}

/* --- signals --------------------------------------------------------- */

static void
ev_signal_read(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct signalfd_siginfo si[8];
	ssize_t n;

	while ((n = read(fd, si, sizeof(si))) > 0) {
		for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++) {
			int signo = (int)si[i].ssi_signo;
			if (signo > 0 && signo < _NSIG && ev->sigs[signo].cb)
				ev->sigs[signo].cb(ev, signo,
						   ev->sigs[signo].arg);
		}
	}
}

int
ev_signal_add(struct ev *ev, int signo, ev_signal_cb cb, void *arg)
{
	sigset_t one;
	int fd, rc;

	if (signo <= 0 || signo >= _NSIG || cb == NULL)
		return -EINVAL;
	sigemptyset(&one);
	sigaddset(&one, signo);
	if (sigprocmask(SIG_BLOCK, &one, NULL) < 0)
		return -errno;
	sigaddset(&ev->sigmask, signo);
	fd = signalfd(ev->sigfd, &ev->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ev->sigfd < 0) {
		ev->sigfd = fd;
		rc = ev_fd_add(ev, fd, EV_READ, ev_signal_read, NULL);
		if (rc < 0) {
			close(fd);
			ev->sigfd = -1;
			return rc;
		}
	}
	ev->sigs[signo].cb = cb;
	ev->sigs[signo].arg = arg;
	return 0;
}

/* --- the loop -------------------------------------------------------- */

/* Milliseconds to the earliest timer, rounded up so we never spin. */
static int
ev_timeout(struct ev *ev, int timeout_ms)
{
	ev_time_t d;
	int64_t ms;

	if (ev->heap_len == 0)
		return timeout_ms;
	d = ev->heap[0]->when - ev_now();
	if (d <= 0)
		return 0;
	ms = (d + EV_MS(1) - 1) / EV_MS(1);
	if (ms > 0x7fffffff)
		ms = 0x7fffffff;
	if (timeout_ms >= 0 && timeout_ms < ms)
		return timeout_ms;
	return (int)ms;
}

int
ev_run_once(struct ev *ev, int timeout_ms)
{
	struct epoll_event ee[EV_MAX_EVENTS];
	int n, dispatched = 0;

	n = epoll_wait(ev->epfd, ee, EV_MAX_EVENTS, ev_timeout(ev, timeout_ms));
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)ee[i].data.u64;
		uint32_t gen = (uint32_t)(ee[i].data.u64 >> 32);
		unsigned events = 0;
		struct ev_fd *f;

		if (fd < 0 || fd >= ev->nfds)
			continue;
		f = &ev->fds[fd];
		if (!f->used || f->gen != gen)
			continue; /* removed earlier in this batch */
		if (ee[i].events & (EPOLLIN | EPOLLRDHUP))
			events |= EV_READ;
		if (ee[i].events & EPOLLOUT)
			events |= EV_WRITE;
		/* Errors and hang-ups show as whatever the owner waits for. */
		if (ee[i].events & (EPOLLERR | EPOLLHUP))
			events |= f->events;
		events &= f->events;
		if (events == 0)
			continue;
		f->cb(ev, fd, events, f->arg);
		dispatched++;
	}
	dispatched += ev_timers_run(ev);
	return dispatched;
}

int
ev_run(struct ev *ev)
{
	ev->stop = 0;
	while (!ev->stop) {
		int rc = ev_run_once(ev, -1);
		if (rc < 0) {
			log_warnx("event loop: %s", strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void
ev_break(struct ev *ev)
{
	ev->stop = 1;
}
