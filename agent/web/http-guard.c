// SPDX-License-Identifier: MIT
/*
 * The HTTP server's connection guard: a table of open connections with the
 * time their current phase began, a thread that closes the ones past their
 * deadline, and eviction of the oldest unfinished request when the table
 * is nearly full. Closing is shutdown(2) on the socket, under the table's
 * lock: libmicrohttpd then sees the connection end and cleans it up itself,
 * and since it reports the close (http_guard_closed, which takes the same
 * lock) before it closes the descriptor, the guard never touches a
 * descriptor number that was reused.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "web/http-guard.h"
#include "base/util.h"

/* How often the thread looks for connections past their deadline. */
#define GUARD_TICK_MS 250

enum phase {
	PHASE_FREE = 0,
	PHASE_REQUEST, /* reading a request (or idle between requests) */
	PHASE_REPLY,   /* request read, reply being made and sent */
	PHASE_CLOSING, /* shut down by the guard, waiting for the close */
};

struct slot {
	enum phase phase;
	int fd;
	int64_t since_ms; /* when the phase began */
};

struct http_guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running, stop;
	struct slot *slots;
	size_t n_slots, n_open, evict_above;
	int64_t request_ms, reply_ms;
};

/* Under the lock. */
static void close_slot(struct http_guard *g, struct slot *s)
{
	shutdown(s->fd, SHUT_RDWR);
	s->phase = PHASE_CLOSING;
}

static void *reaper(void *arg)
{
	struct http_guard *g = arg;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		struct timespec ts;
		int64_t now = util_mono_ms();

		for (size_t i = 0; i < g->n_slots; i++) {
			struct slot *s = &g->slots[i];

			if ((s->phase == PHASE_REQUEST && now - s->since_ms > g->request_ms) ||
			    (s->phase == PHASE_REPLY && now - s->since_ms > g->reply_ms))
				close_slot(g, s);
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += GUARD_TICK_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&g->wake, &g->lock, &ts);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int http_guard_create(size_t slots, int64_t request_ms, int64_t reply_ms, size_t evict_above,
                      struct http_guard **out)
{
	struct http_guard *g = calloc(1, sizeof(*g));
	pthread_condattr_t ca;
	int r = -ENOMEM;

	if (!g)
		return r;

	pthread_mutex_init(&g->lock, NULL);
	/* The ticks follow the monotonic clock: a step of the wall clock changes nothing. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	g->n_slots = slots;
	g->request_ms = request_ms;
	g->reply_ms = reply_ms;
	g->evict_above = evict_above;
	g->slots = calloc(slots, sizeof(*g->slots));
	if (!g->slots)
		goto out;
	r = -pthread_create(&g->thread, NULL, reaper, g);
	if (r < 0)
		goto out;
	g->running = true;
	*out = g;
	g = NULL;
out:
	http_guard_destroy(g);
	return r;
}

void http_guard_destroy(struct http_guard *g)
{
	if (!g)
		return;
	if (g->running) {
		pthread_mutex_lock(&g->lock);
		g->stop = true;
		pthread_cond_signal(&g->wake);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->thread, NULL);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g->slots);
	free(g);
}

void http_guard_opened(struct http_guard *g, int fd, void **ctx)
{
	struct slot *free_slot = NULL, *oldest = NULL;
	int64_t now = util_mono_ms();

	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->n_slots; i++) {
		struct slot *s = &g->slots[i];

		if (s->phase == PHASE_FREE && !free_slot)
			free_slot = s;
		else if (s->phase == PHASE_REQUEST && (!oldest || s->since_ms < oldest->since_ms))
			oldest = s;
	}
	/* Room for the newcomer first: the oldest unfinished request goes. */
	if (g->n_open >= g->evict_above && oldest)
		close_slot(g, oldest);
	if (free_slot) {
		*free_slot = (struct slot){.phase = PHASE_REQUEST, .fd = fd, .since_ms = now};
		g->n_open++;
		*ctx = free_slot;
	} else {
		shutdown(fd, SHUT_RDWR);
		*ctx = NULL;
	}
	pthread_mutex_unlock(&g->lock);
}

void http_guard_closed(struct http_guard *g, void **ctx)
{
	struct slot *s = *ctx;

	if (!s)
		return;
	pthread_mutex_lock(&g->lock);
	s->phase = PHASE_FREE;
	s->fd = -1;
	g->n_open--;
	pthread_mutex_unlock(&g->lock);
	*ctx = NULL;
}

static void set_phase(struct http_guard *g, struct slot *s, enum phase p)
{
	if (!s)
		return;
	pthread_mutex_lock(&g->lock);
	if (s->phase != PHASE_FREE && s->phase != PHASE_CLOSING) {
		s->phase = p;
		s->since_ms = util_mono_ms();
	}
	pthread_mutex_unlock(&g->lock);
}

void http_guard_request_read(struct http_guard *g, void *ctx)
{
	set_phase(g, ctx, PHASE_REPLY);
}

void http_guard_reply_done(struct http_guard *g, void *ctx)
{
	set_phase(g, ctx, PHASE_REQUEST);
}
