// SPDX-License-Identifier: GPL-2.0
/* Run-loop helpers: see run.h. */
#include "core/run.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

volatile sig_atomic_t run_stop;
static bool finishing; /* after run_output_finish: only time ends a slice */

/*
 * Everything written to stdout goes through out_write, so that a reader that stops reading
 * (a full pipe, a relay that stalls) cannot hold the program past a stop: a write waits in
 * poll, which a signal interrupts (no SA_RESTART), and from the stop on (a signal or the end
 * of --duration) it has RUN_GRACE_S more to go through; then it gives up.
 */
static struct {
	FILE *term; /* the original stdout, for the terminal's size */
	int fd;
	bool sock;
	bool never_blocks; /* a file, /dev/null: written straight, no poll first */
	bool gone;		 /* the reader went away (EPIPE) */
	struct timespec end;	 /* of --duration; zero: none */
	struct timespec give_up; /* a stop's grace runs out; zero: no stop yet */
} out = { .fd = STDOUT_FILENO };

static void on_signal(int sig)
{
	(void)sig;
	run_stop = 1;
}

void run_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a blocked poll or write returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed pipe is noticed as EPIPE on write and ends the loop quietly */
	signal(SIGPIPE, SIG_IGN);
}

uint64_t run_now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
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

bool run_pids_gone(const struct opts *o)
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
	return errno == EPIPE || out.gone;
}

static bool ts_set(const struct timespec *t)
{
	return t->tv_sec || t->tv_nsec;
}

static bool ts_reached(const struct timespec *now, const struct timespec *t)
{
	return now->tv_sec > t->tv_sec || (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

static void ts_add(struct timespec *t, double seconds)
{
	long ns = t->tv_nsec + (long)((seconds - (double)(time_t)seconds) * 1e9);

	t->tv_sec += (time_t)seconds + ns / 1000000000;
	t->tv_nsec = ns % 1000000000;
}

/* The grace starts at the first stop this notices; a program may also start it itself. */
static void start_grace(const struct timespec *now)
{
	if (ts_set(&out.give_up))
		return;
	out.give_up = *now;
	ts_add(&out.give_up, RUN_GRACE_S);
}

static bool out_give_up(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (run_stop || (ts_set(&out.end) && ts_reached(&now, &out.end)))
		start_grace(&now);
	return ts_set(&out.give_up) && ts_reached(&now, &out.give_up);
}

/* One write that cannot block: a socket is told so, anything else gets at most PIPE_BUF
 * bytes, which a pipe that poll found writable takes whole. */
static ssize_t out_write_some(const char *buf, size_t n)
{
	struct pollfd p = { .fd = out.fd, .events = POLLOUT };

	if (out.never_blocks)
		return write(out.fd, buf, n);
	if (poll(&p, 1, RUN_SLICE_MS) <= 0)
		return 0;
	if (out.sock)
		return send(out.fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	return write(out.fd, buf, n < PIPE_BUF ? n : PIPE_BUF);
}

static ssize_t out_write(void *cookie, const char *buf, size_t n)
{
	size_t done = 0;

	(void)cookie;
	while (done < n) {
		ssize_t w;

		if (out_give_up()) {
			errno = ETIMEDOUT;
			break;
		}
		w = out_write_some(buf + done, n - done);
		if (w > 0)
			done += (size_t)w;
		else if (w < 0 && errno != EAGAIN && errno != EINTR)
			break;
	}
	if (done < n && errno == EPIPE)
		out.gone = true;
	return (ssize_t)done;
}

int run_output_init(void)
{
	cookie_io_functions_t io = { .write = out_write };
	struct stat st;
	FILE *f;

	if (!fstat(out.fd, &st)) {
		out.sock = S_ISSOCK(st.st_mode);
		out.never_blocks = S_ISREG(st.st_mode) || (S_ISCHR(st.st_mode) && !isatty(out.fd));
	}
	f = fopencookie(NULL, "w", io);
	if (!f)
		return -1;
	/* as stdio does it for a terminal, and whole buffers otherwise */
	setvbuf(f, NULL, isatty(out.fd) ? _IOLBF : _IOFBF, BUFSIZ);
	out.term = stdout;
	stdout = f; /* glibc's stdout is a variable, made to be reassigned */
	return 0;
}

FILE *run_terminal(void)
{
	return out.term ? out.term : stdout;
}

void run_output_until(const struct run_clock *c)
{
	if (c->duration <= 0)
		return;
	out.end = c->start;
	ts_add(&out.end, c->duration);
}

void run_output_finish(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	start_grace(&now);
	finishing = true;
}

void run_output_end(const char *cmd)
{
	if ((!fflush(stdout) && !ferror(stdout)) || out.gone)
		return;
	fprintf(stderr, "sockscope %s: the output stalled: the end of it (the summary) was not "
			"written\n", cmd);
}

bool run_output_closed(void)
{
	struct pollfd p = { .fd = out.fd };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

void run_slice_start(struct run_slice *s)
{
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	s->n = 0;
}

bool run_slice_over(struct run_slice *s)
{
	/* the clock is read once every 64 events: it is most of a cheap event's cost */
	return (run_stop && !finishing) ||
	       (++s->n % 64 == 0 && run_since(&s->start) * 1000 >= RUN_SLICE_MS);
}
