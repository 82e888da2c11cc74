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

/* One member: K/2 connections out, K/2 accepted, then traffic until the deadline. */
static void member(int idx, int lfd, const struct sockaddr_in *sa, const struct cfg *c,
		   int ready_fd, int go_fd, int tally_fd)
{
	struct pollfd pfd[MAX_SOCKS];
	struct tally t = {0};
	char buf[1], msg[MSG];
	int n = 0, next = 0;
	double when, deadline;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	memset(msg, 'f', sizeof(msg));
	for (int i = 0; i < c->socks / 2; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
			die("connect");
		pfd[n++] = (struct pollfd){fd, POLLIN, 0};
	}
	for (int i = 0; i < c->socks / 2; i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			die("accept");
		pfd[n++] = (struct pollfd){fd, POLLIN, 0};
	}
	close(lfd);
	if (write(ready_fd, "r", 1) != 1)
		_exit(1);
	close(ready_fd);
	/* all start together: the parent closes the other end once every member is ready */
	while (read(go_fd, buf, 1) < 0 && errno == EINTR)
		;
	close(go_fd);
	deadline = now_s() + c->secs;
	/* spread the members' writes over the period, so that the load is smooth */
	srand(getpid());
	when = now_s() + c->every * (idx % 1000) / 1000.0;
	while (now_s() < deadline) {
		int wait_ms = (int)((when - now_s()) * 1000);

		if (wait_ms < 0)
			wait_ms = 0;
		if (wait_ms > (int)((deadline - now_s()) * 1000))
			wait_ms = (int)((deadline - now_s()) * 1000) + 1;
		if (poll(pfd, n, wait_ms) < 0 && errno != EINTR)
			die("poll");
		drain(pfd, n, &t);
		if (now_s() >= when) {
			ssize_t w = write(pfd[next].fd, msg, sizeof(msg));

			if (w > 0) {
				t.send_calls++;
				t.send_bytes += w;
			}
			next = (next + 1) % n;
			/* uniform jitter of +-50% around the period */
			when += c->every * (0.5 + (double)rand() / RAND_MAX);
		}
	}
	/* wait a little for the last bytes of the others before closing */
	for (double end = now_s() + 0.5; now_s() < end;) {
		if (poll(pfd, n, 50) <= 0)
			continue;
		drain(pfd, n, &t);
	}
	if (write(tally_fd, &t, sizeof(t)) != sizeof(t)) /* < PIPE_BUF: atomic */
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

int main(int argc, char **argv)
{
	struct cfg c = {.nproc = 1000, .socks = 10, .secs = 90, .every = 1};
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sigaction act = {.sa_handler = on_signal};
	struct tally sum = {0}, t;
	socklen_t len = sizeof(sa);
	int opt, lfd, ready[2], go[2], tally[2], got = 0, failed, reported = 0;
	double t0;
	char ch;

	while ((opt = getopt(argc, argv, "n:k:t:e:h")) != -1) {
		switch (opt) {
		case 'n':
			c.nproc = atoi(optarg);
			break;
		case 'k':
			c.socks = atoi(optarg);
			break;
		case 't':
			c.secs = atof(optarg);
			break;
		case 'e':
			c.every = atof(optarg);
			break;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc || c.nproc < 1 || c.nproc > 20000 || c.socks < 2 || c.socks % 2 ||
	    c.socks > MAX_SOCKS || c.secs <= 0 || c.secs > 3600 || c.every <= 0)
		usage(stderr, 2);
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	kids = calloc(c.nproc, sizeof(*kids));
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (!kids || lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) || listen(lfd, 4096))
		die("listen");
	if (pipe(ready) || pipe(go) || pipe(tally))
		die("pipe");
	t0 = now_s();
	for (int i = 0; i < c.nproc && !stop; i++) {
		pid_t p = fork();

		if (p < 0) {
			fprintf(stderr, "fleet: fork: %s\n", strerror(errno));
			stop = 1;
			break;
		}
		if (p == 0) {
			close(ready[0]);
			close(go[1]);
			close(tally[0]);
			member(i, lfd, &sa, &c, ready[1], go[0], tally[1]);
		}
		kids[nkids++] = p;
	}
	close(ready[1]);
	close(go[0]);
	close(tally[1]);
	while (got < nkids && !stop) {
		ssize_t r = read(ready[0], &ch, 1);

		if (r == 1)
			got++;
		else if (r == 0 || errno != EINTR)
			break;
	}
	close(go[1]); /* go: every member now lives c.secs more */
	if (got == c.nproc && !stop) {
		printf("{\"type\":\"ready\",\"procs\":%d,\"sockets\":%d,\"setup_seconds\":%.3f}\n",
		       nkids, nkids * c.socks, now_s() - t0);
		fflush(stdout);
	} else {
		fprintf(stderr, "fleet: only %d of %d members got ready\n", got, c.nproc);
		stop = 1;
	}
	if (stop)
		kill_all(SIGKILL);
	while (!stop) {
		ssize_t r = read(tally[0], &t, sizeof(t));

		if (r == sizeof(t)) {
			sum.send_calls += t.send_calls;
			sum.recv_calls += t.recv_calls;
			sum.send_bytes += t.send_bytes;
			sum.recv_bytes += t.recv_bytes;
			if (++reported == nkids)
				break;
		} else if (r == 0 || (r < 0 && errno != EINTR)) {
			break;
		}
	}
	if (stop)
		kill_all(SIGKILL);
	failed = reap_all(30);
	printf("{\"type\":\"done\",\"procs\":%d,\"reported\":%d,\"failed\":%d,\"interrupted\":%s,"
	       "\"send_calls\":%llu,\"recv_calls\":%llu,\"send_bytes\":%llu,\"recv_bytes\":%llu}\n",
	       nkids, reported, failed, stop ? "true" : "false", (unsigned long long)sum.send_calls,
	       (unsigned long long)sum.recv_calls, (unsigned long long)sum.send_bytes,
	       (unsigned long long)sum.recv_bytes);
	return stop || failed || reported != nkids ? 1 : 0;
}
