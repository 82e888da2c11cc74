// SPDX-License-Identifier: GPL-2.0
/*
 * A fleet of processes for the serve benchmark: N processes (default 1000), each holding K TCP
 * sockets over loopback (default 10: K/2 connections it opened to a shared listener and K/2 it
 * accepted from it), each now and then writing a few bytes on one of its sockets and reading
 * whatever arrives on the others. That is N active processes and N*K sockets for an exporter to
 * export, with little traffic.
 *
 * Bounded: every child stops on its own after -t seconds (and is killed by the kernel if the
 * parent dies first: PR_SET_PDEATHSIG); the parent kills them all on SIGINT/SIGTERM and
 * reaps every one before it exits. Once every child holds its sockets, the parent prints one
 * JSON line {"type":"ready",...}; at the end, one {"type":"done",...} line with the fleet's
 * own tally of bytes and calls (ground truth for the exporter's counters).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_SOCKS 64
#define MSG	  16 /* bytes per write */

struct tally {
	uint64_t send_calls, recv_calls, send_bytes, recv_bytes;
};

struct cfg {
	int nproc, socks;
	double secs, every; /* each process writes once per `every` seconds, on average */
};

/* The listener and the pipes that the parent shares with every member. */
struct fleet {
	struct sockaddr_in sa; /* the listener's address, which members connect to */
	int lfd;
	int ready[2]; /* a byte from each member once it holds its sockets */
	int go[2];    /* closed by the parent once every member is ready: all start together */
	int tally[2]; /* each member's struct tally, when it ends */
};

static volatile sig_atomic_t stop;
static pid_t *kids;
static int nkids;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Reads what arrived on every readable socket, counting it; a peer gone is polled no more. */
static void drain(struct pollfd *pfd, int n, struct tally *t)
{
	char buf[4096];

	for (int i = 0; i < n; i++) {
		ssize_t got;

		if (!(pfd[i].revents & POLLIN))
			continue;
		got = read(pfd[i].fd, buf, sizeof(buf));
		if (got > 0) {
			t->recv_calls++;
			t->recv_bytes += got;
		} else {
			pfd[i].events = 0;
		}
	}
}

/*
 * A member dies with the parent, and says so if the parent died before it could ask (the
 * member is then an orphan). SIGINT and SIGTERM kill it outright: the parent's handler, which
 * it inherited, is for the parent.
 */
static void member_init(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
}

/*
 * Connects `half` sockets to the shared listener, then accepts `half` from it (any member's,
 * not necessarily its own: they all add up); the number of sockets now in pfd.
 */
static int open_sockets(struct pollfd *pfd, int lfd, const struct sockaddr_in *sa, int half)
{
	int n = 0;

	for (int i = 0; i < half; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
			die("connect");
		pfd[n++] = (struct pollfd){fd, POLLIN, 0};
	}
	for (int i = 0; i < half; i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			die("accept");
		pfd[n++] = (struct pollfd){fd, POLLIN, 0};
	}
	return n;
}

/* Tells the parent this member is ready, then waits for the go. */
static void await_go(int ready_fd, int go_fd)
{
	char buf[1];

	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	close(ready_fd);
	/* all start together: the parent closes the other end once every member is ready */
	while (read(go_fd, buf, 1) < 0 && errno == EINTR)
		;
	close(go_fd);
}

/*
 * How long to poll: until the next write is due, but not past the deadline (+1 ms there, so
 * that the last poll ends after it rather than spinning on 0 ms polls up to it).
 */
static int poll_ms(double when, double deadline)
{
	int wait_ms = (int)((when - now_s()) * 1000);

	if (wait_ms < 0)
		wait_ms = 0;
	if (wait_ms > (int)((deadline - now_s()) * 1000))
		wait_ms = (int)((deadline - now_s()) * 1000) + 1;
	return wait_ms;
}

static void send_msg(int fd, const char *msg, struct tally *t)
{
	ssize_t w = write(fd, msg, MSG);

	if (w > 0) {
		t->send_calls++;
		t->send_bytes += w;
	}
}

/*
 * The member's traffic, for c->secs: reads whatever arrives, and writes a message once per
 * c->every seconds on average, on each of its sockets in turn.
 */
static void traffic(struct pollfd *pfd, int n, int idx, const struct cfg *c, struct tally *t)
{
	char msg[MSG];
	int next = 0;
	double when, deadline;

	memset(msg, 'f', sizeof(msg));
	deadline = now_s() + c->secs;
	/* spread the members' writes over the period, so that the load is smooth */
	srand(getpid());
	when = now_s() + c->every * (idx % 1000) / 1000.0;
	while (now_s() < deadline) {
		if (poll(pfd, n, poll_ms(when, deadline)) < 0 && errno != EINTR)
			die("poll");
		drain(pfd, n, t);
		if (now_s() >= when) {
			send_msg(pfd[next].fd, msg, t);
			next = (next + 1) % n;
			/* uniform jitter of +-50% around the period */
			when += c->every * (0.5 + (double)rand() / RAND_MAX);
		}
	}
}

/* One member: K/2 connections out, K/2 accepted, then traffic until the deadline. */
static void member(int idx, const struct fleet *f, const struct cfg *c)
{
	struct pollfd pfd[MAX_SOCKS];
	struct tally t = {0};
	int n;

	member_init();
	n = open_sockets(pfd, f->lfd, &f->sa, c->socks / 2);
	close(f->lfd);
	await_go(f->ready[1], f->go[0]);
	traffic(pfd, n, idx, c, &t);
	/* wait a little for the last bytes of the others before closing */
	for (double end = now_s() + 0.5; now_s() < end;) {
		if (poll(pfd, n, 50) <= 0)
			continue;
		drain(pfd, n, &t);
	}
	if (write(f->tally[1], &t, sizeof(t)) != sizeof(t)) /* < PIPE_BUF: atomic */
		_exit(1);
	_exit(0);
}

static void kill_all(int sig)
{
	for (int i = 0; i < nkids; i++)
		if (kids[i] > 0)
			kill(kids[i], sig);
}

static int reap_all(double timeout)
{
	double end = now_s() + timeout;
	int left = nkids, failed = 0;

	while (left > 0) {
		int status;
		pid_t p = waitpid(-1, &status, now_s() < end ? 0 : WNOHANG);

		if (p > 0) {
			left--;
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				failed++;
			continue;
		}
		if (p < 0 && errno == ECHILD)
			break;
		if (p < 0 && errno == EINTR && !stop)
			continue;
		kill_all(SIGKILL);
		end = now_s();
	}
	return failed;
}

static void usage(FILE *f, int code)
{
	fputs("Usage: fleet [-n PROCS] [-k SOCKETS] [-t SECS] [-e SECS]\n"
	      "  -n PROCS    processes (default 1000)\n"
	      "  -k SOCKETS  TCP sockets per process, even, at most 64 (default 10)\n"
	      "  -t SECS     how long the fleet lives once ready (default 90, at most 3600)\n"
	      "  -e SECS     each process writes 16 bytes once per SECS on average (default 1)\n",
	      f);
	exit(code);
}

static void parse(int argc, char **argv, struct cfg *c)
{
	int opt;

	while ((opt = getopt(argc, argv, "n:k:t:e:h")) != -1) {
		switch (opt) {
		case 'n':
			c->nproc = atoi(optarg);
			break;
		case 'k':
			c->socks = atoi(optarg);
			break;
		case 't':
			c->secs = atof(optarg);
			break;
		case 'e':
			c->every = atof(optarg);
			break;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc || c->nproc < 1 || c->nproc > 20000 || c->socks < 2 || c->socks % 2 ||
	    c->socks > MAX_SOCKS || c->secs <= 0 || c->secs > 3600 || c->every <= 0)
		usage(stderr, 2);
}

/* What the members share: the table of their PIDs, the listener and the pipes. */
static void open_fleet(struct fleet *f, int nproc)
{
	socklen_t len = sizeof(f->sa);

	f->sa =
	    (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	kids = calloc(nproc, sizeof(*kids));
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (!kids || f->lfd < 0 || bind(f->lfd, (struct sockaddr *)&f->sa, sizeof(f->sa)) ||
	    getsockname(f->lfd, (struct sockaddr *)&f->sa, &len) || listen(f->lfd, 4096))
		die("listen");
	if (pipe(f->ready) || pipe(f->go) || pipe(f->tally))
		die("pipe");
}

/*
 * Forks the members, fewer if a fork fails or a signal comes. The parent then closes the
 * members' ends of the pipes, so that its reads see the end once every member is gone.
 */
static void spawn(const struct fleet *f, const struct cfg *c)
{
	for (int i = 0; i < c->nproc && !stop; i++) {
		pid_t p = fork();

		if (p < 0) {
			fprintf(stderr, "fleet: fork: %s\n", strerror(errno));
			stop = 1;
			break;
		}
		if (p == 0) {
			close(f->ready[0]);
			close(f->go[1]);
			close(f->tally[0]);
			member(i, f, c);
		}
		kids[nkids++] = p;
	}
	close(f->ready[1]);
	close(f->go[0]);
	close(f->tally[1]);
}

/* How many members said they were ready: all of them, unless one died or a signal came. */
static int count_ready(int fd)
{
	int got = 0;
	char ch;

	while (got < nkids && !stop) {
		ssize_t r = read(fd, &ch, 1);

		if (r == 1)
			got++;
		else if (r == 0 || errno != EINTR)
			break;
	}
	return got;
}

/* The ready line when every member asked for is ready; otherwise the fleet stops. */
static void announce_ready(int got, const struct cfg *c, double t0)
{
	if (got == c->nproc && !stop) {
		printf("{\"type\":\"ready\",\"procs\":%d,\"sockets\":%d,\"setup_seconds\":%.3f}\n",
		       nkids, nkids * c->socks, now_s() - t0);
		fflush(stdout);
	} else {
		fprintf(stderr, "fleet: only %d of %d members got ready\n", got, c->nproc);
		stop = 1;
	}
}

/* Adds up the members' tallies as they end; how many members reported one. */
static int collect(int fd, struct tally *sum)
{
	struct tally t;
	int reported = 0;

	while (!stop) {
		ssize_t r = read(fd, &t, sizeof(t));

		if (r == sizeof(t)) {
			sum->send_calls += t.send_calls;
			sum->recv_calls += t.recv_calls;
			sum->send_bytes += t.send_bytes;
			sum->recv_bytes += t.recv_bytes;
			if (++reported == nkids)
				break;
		} else if (r == 0 || (r < 0 && errno != EINTR)) {
			break;
		}
	}
	return reported;
}

static void print_done(int reported, int failed, const struct tally *sum)
{
	printf("{\"type\":\"done\",\"procs\":%d,\"reported\":%d,\"failed\":%d,\"interrupted\":%s,"
	       "\"send_calls\":%llu,\"recv_calls\":%llu,\"send_bytes\":%llu,\"recv_bytes\":%llu}\n",
	       nkids, reported, failed, stop ? "true" : "false",
	       (unsigned long long)sum->send_calls, (unsigned long long)sum->recv_calls,
	       (unsigned long long)sum->send_bytes, (unsigned long long)sum->recv_bytes);
}

int main(int argc, char **argv)
{
	struct cfg c = {.nproc = 1000, .socks = 10, .secs = 90, .every = 1};
	struct sigaction act = {.sa_handler = on_signal};
	struct tally sum = {0};
	struct fleet f;
	int got, failed, reported;
	double t0;

	parse(argc, argv, &c);
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	open_fleet(&f, c.nproc);
	t0 = now_s();
	spawn(&f, &c);
	got = count_ready(f.ready[0]);
	close(f.go[1]); /* go: every member now lives c.secs more */
	announce_ready(got, &c, t0);
	if (stop)
		kill_all(SIGKILL);
	reported = collect(f.tally[0], &sum);
	if (stop)
		kill_all(SIGKILL);
	failed = reap_all(30);
	print_done(reported, failed, &sum);
	return stop || failed || reported != nkids ? 1 : 0;
}
