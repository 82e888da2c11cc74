// SPDX-License-Identifier: GPL-2.0
/* Run-loop helpers: see run.h. */
#include "run.h"

#include <errno.h>
#include <string.h>

volatile sig_atomic_t ss_stop;

static void on_signal(int sig)
{
	(void)sig;
	ss_stop = 1;
}

void run_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed pipe is noticed as EPIPE on write and ends the loop quietly */
	signal(SIGPIPE, SIG_IGN);
}

double run_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

void run_clock_start(struct run_clock *c, double interval, double duration)
{
	clock_gettime(CLOCK_MONOTONIC, &c->start);
	c->interval = interval;
	c->duration = duration;
	c->ticks = 0;
}

double run_clock_elapsed(const struct run_clock *c)
{
	return run_since(&c->start);
}

int run_clock_wait_ms(const struct run_clock *c)
{
	double next = (double)(c->ticks + 1) * c->interval, now = run_since(&c->start);

	if (c->duration > 0 && c->duration < next)
		next = c->duration;
	return next > now ? (int)((next - now) * 1000) + 1 : 0;
}

bool run_clock_due(struct run_clock *c)
{
	if (run_since(&c->start) < (double)(c->ticks + 1) * c->interval)
		return false;
	c->ticks++;
	return true;
}

bool run_clock_over(const struct run_clock *c)
{
	return c->duration > 0 && run_since(&c->start) >= c->duration;
}

bool run_pid_alive(uint32_t pid)
{
	char path[64], buf[512], *paren;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

bool run_pids_gone(const struct ss_opts *o)
{
	if (!o->npids)
		return false;
	for (size_t i = 0; i < o->npids; i++)
		if (run_pid_alive(o->pids[i]))
			return false;
	return true;
}

bool run_output_gone(FILE *f)
{
	if (fflush(f) == 0 && !ferror(f))
		return false;
	return errno == EPIPE;
}
