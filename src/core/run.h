/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shape every long-running subcommand shares: signals that end it cleanly, a drift-free
 * interval clock, --count/--duration limits, -p processes that have all exited, and output
 * that went away (a closed pipe ends the program quietly).
 */
#ifndef SS_RUN_H
#define SS_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/opts.h"

extern volatile sig_atomic_t run_stop;

void run_signals(void);

struct run_clock {
	struct timespec start;
	double interval, duration;
	uint64_t ticks;
};

/*
 * CLOCK_MONOTONIC in nanoseconds: the clock of the run loop and of the kernel's event times
 * (bpf_ktime_get_ns), so that deadlines, ages and event times compare with one another.
 */
uint64_t run_now_ns(void);
/* Seconds since t0 on CLOCK_MONOTONIC. */
double run_since(const struct timespec *t0);
void run_clock_start(struct run_clock *c, double interval, double duration);
/* Milliseconds until the next tick (or the end of --duration), at least 0. */
int run_clock_wait_ms(const struct run_clock *c);
/* True once the next tick is due; then counts it. */
bool run_clock_due(struct run_clock *c);
bool run_clock_over(const struct run_clock *c);
double run_clock_elapsed(const struct run_clock *c);

/* Running, and not a zombie (which has closed its sockets and will send nothing more). */
bool run_pid_alive(uint32_t pid);
/* True when every process named with -p is gone. */
bool run_pids_gone(const struct opts *o);
/* True when writing to f failed because the reader went away. */
bool run_output_gone(FILE *f);

/* How long one drain of a ring buffer may go on before the loop looks at its limits. */
#define RUN_SLICE_MS 50
/* From a stop on, how long a stalled reader of stdout may hold the program. */
#define RUN_GRACE_S 1.0

/*
 * Replaces stdout with a stream whose writes cannot hold the program past a stop: while the
 * reader does not read, a write waits, and RUN_GRACE_S after SIGINT/SIGTERM or the end of
 * run_output_until's --duration it gives up (the stream's error flag set, errno ETIMEDOUT).
 * Returns -1 if the stream cannot be made (stdout is then left as it was).
 */
int run_output_init(void);
/* The stdout that was replaced, to ask the terminal its size. */
FILE *run_terminal(void);
/* The stop at the end of the clock's --duration, if any, starts the grace too. */
void run_output_until(const struct run_clock *c);
/*
 * The end of a run, whatever stopped it: starts the grace if no stop did, and from now on
 * only the time ends a slice (a last drain and the summary share what is left of the grace).
 */
void run_output_finish(void);
/* Flushes stdout; if the grace ran out first, says on stderr that the end was not written. */
void run_output_end(const char *cmd);
/* True when the reader of stdout is gone (a pipe's read end closed, a hangup), found
 * without writing: what a program that writes once an interval polls for in between. */
bool run_output_closed(void);

/* A drain of a ring buffer, bounded in time: its callback asks run_slice_over after each
 * record and, when true, returns a negative value, on which libbpf stops consuming (it
 * ignores a positive one before 1.4). */
struct run_slice {
	struct timespec start;
	unsigned n;
};

void run_slice_start(struct run_slice *s);
/* True at a stop signal (before run_output_finish), or once RUN_SLICE_MS have passed. */
bool run_slice_over(struct run_slice *s);

#endif
