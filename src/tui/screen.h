/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interactive screen of `top` and `conns` on a terminal (ncurses): draws a tui_model on
 * the alternate screen, reads keys with a timeout of what is left of the interval, redraws on
 * resize, and gives the terminal back as it found it on every way out, the fatal ones
 * included. The command brings the data through a sample callback; everything the screen
 * decides (order, filter, columns, keys) is in model.h.
 */
#ifndef SS_TUI_SCREEN_H
#define SS_TUI_SCREEN_H

#include <stdbool.h>
#include <stdint.h>

#include "tui/model.h"

/* What the header shows beside the model's sums; the sample callback fills it. */
struct tui_status {
	const char *command; /* "top", "conns" */
	const char *hooks;   /* the hooks in use, e.g. "tp_btf"; NULL: not shown */
	uint64_t lost;	     /* events or records lost so far (rising: shown in colour) */
};

struct tui_source {
	void *ctx;
	/*
	 * Reads this interval's totals into m: tui_feed_procs, and tui_feed_conns when
	 * tui_wants_conns(m). now_ns is CLOCK_MONOTONIC. Non-zero ends the screen and is returned.
	 */
	int (*sample)(void *ctx, struct tui_model *m, struct tui_status *st, uint64_t now_ns);
	/* Optional: true when the run is over (--count, --duration, -p processes gone). */
	bool (*done)(void *ctx);
	/*
	 * Optional: called whenever fd is readable between samples, as the line output polls
	 * its ring buffer while it waits (ring_buffer__epoll_fd, then ring_buffer__consume).
	 * fd is looked at only when ready is set.
	 */
	void (*ready)(void *ctx);
	int fd;
};

/*
 * Opens the screen, samples at once and then every m->interval_ms, waits for keys (and
 * src->fd) in between, and runs until `q`,
 * Ctrl-C, SIGTERM/SIGHUP or src->done. Signals reach the handlers installed before (so a
 * command's stop flag is still set) after the screen has noted them. Returns 0, the sample's
 * non-zero value, or -1 when the terminal cannot be opened (then nothing was drawn).
 */
int tui_run(struct tui_model *m, const struct tui_source *src);

/*
 * Puts the terminal back (normal screen, cursor, attributes, tty modes) if the screen is
 * open; does nothing otherwise. Async-signal-safe: tui_run also calls it from atexit and from
 * fatal signals (SIGSEGV, SIGABRT, ...), and error paths may call it at any time.
 */
void tui_restore(void);

#endif
