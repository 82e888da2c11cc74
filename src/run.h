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

#include "opts.h"

extern volatile sig_atomic_t ss_stop;

void run_signals(void);

struct run_clock {
	struct timespec start;
	double interval, duration;
	uint64_t ticks;
};

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
bool run_pids_gone(const struct ss_opts *o);
/* True when writing to f failed because the reader went away. */
bool run_output_gone(FILE *f);

#endif
