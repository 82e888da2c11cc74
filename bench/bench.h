/* SPDX-License-Identifier: GPL-2.0 */
/* What the load generators under bench/ (pingpong, flood, fleet) share. */
#ifndef SOCKSCOPE_BENCH_H
#define SOCKSCOPE_BENCH_H

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, strerror(errno));
	exit(1);
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Both ends of a ping-pong on one CPU: a cross-CPU wakeup in this VM costs ~30 µs. */
static inline void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static inline void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };

	nanosleep(&ts, NULL);
}

/* -t SECS, -s BYTES and -C CPU, which every load generator takes; false for other options. */
static inline bool load_option(int opt, double *secs, size_t *size, int *cpu)
{
	switch (opt) {
	case 't':
		*secs = atof(optarg);
		return true;
	case 's':
		*size = strtoul(optarg, NULL, 10);
		return true;
	case 'C':
		*cpu = atoi(optarg);
		return true;
	}
	return false;
}

#endif
