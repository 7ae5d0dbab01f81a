/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A compact event loop: file-descriptor events (epoll), one-shot timers
 * on CLOCK_MONOTONIC, and signals delivered through the loop (signalfd).
 * Timers live in a binary min-heap: add, cancel and re-arm are
 * O(log n) in the number of armed timers; the loop never sleeps except
 * in epoll_wait.
 */
#ifndef PMIPD_EV_H
#define PMIPD_EV_H

#include <stdint.h>

/* Monotonic time in nanoseconds; never jumps with the wall clock. */
typedef int64_t ev_time_t;
#define EV_MS(x) ((ev_time_t)(x)*1000000LL)
#define EV_S(x) ((ev_time_t)(x)*1000000000LL)
ev_time_t ev_now(void);

struct ev;

#define EV_READ 0x1
#define EV_WRITE 0x2

typedef void (*ev_fd_cb)(struct ev *ev, int fd, unsigned events, void *arg);
typedef void (*ev_timer_cb)(struct ev *ev, void *arg);
typedef void (*ev_signal_cb)(struct ev *ev, int signo, void *arg);

/*
 * A timer is embedded in its owner (a binding cache entry, ...) so that
 * arming never allocates.  Initialise once with ev_timer_init.
 */
struct ev_timer {
	ev_time_t when;
	ev_timer_cb cb;
	void *arg;
	int heap_idx; /* -1 when not armed */
};

struct ev *ev_new(void);
void ev_free(struct ev *ev);

int ev_fd_add(struct ev *ev, int fd, unsigned events, ev_fd_cb cb, void *arg);
int ev_fd_mod(struct ev *ev, int fd, unsigned events);
int ev_fd_del(struct ev *ev, int fd);

void ev_timer_init(struct ev_timer *t, ev_timer_cb cb, void *arg);
/* Arm (or re-arm) at an absolute monotonic time / after a delay. */
int ev_timer_at(struct ev *ev, struct ev_timer *t, ev_time_t when);
int ev_timer_after(struct ev *ev, struct ev_timer *t, ev_time_t delay);
void ev_timer_cancel(struct ev *ev, struct ev_timer *t);
int ev_timer_armed(const struct ev_timer *t);

/* Block the signal and deliver it through the loop. */
int ev_signal_add(struct ev *ev, int signo, ev_signal_cb cb, void *arg);

/* Run until ev_break(); returns 0 or a negative errno. */
int ev_run(struct ev *ev);
/* One iteration, waiting at most timeout_ms (-1: until something). */
int ev_run_once(struct ev *ev, int timeout_ms);
void ev_break(struct ev *ev);

#endif
