// SPDX-License-Identifier: GPL-2.0
/*
 * Small-message request/response load for the benchmark: a client and a server (forked) over
 * loopback bounce one fixed-size message back and forth, TCP or UDP, for a fixed time, and
 * the client prints round trips per second as one JSON line. Both ends are pinned to the same
 * CPU because a cross-CPU wakeup in the VMs we measure on costs ~30 us and makes an unpinned
 * ping-pong bimodal (BENCHMARKING.md); the monitor gets the other CPU.
 *
 * Each end also counts its own socket calls and the bytes they returned, so the benchmark can
 * check a monitor's per-process counts against ground truth. -r paces the client to a given
 * number of round trips per second (to measure a monitor's CPU at a known call rate).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_SIZE 65536
#define QUIT_LEN 1 /* a datagram of this length tells the UDP server to stop */

struct tally {
	uint64_t send_calls, recv_calls, send_bytes, recv_bytes;
};

struct cfg {
	int udp;
	double secs;
	size_t size;
	int cpu;
	int port;
	uint64_t max_rt;
	double rate;
};

/* Sends all of buf (TCP may in principle send less); returns 0 or -1. */
static int send_all(int fd, const char *buf, size_t len, struct tally *t)
{
	while (len) {
		ssize_t n = send(fd, buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		t->send_calls++;
		t->send_bytes += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Receives exactly len bytes on a stream; returns 0, or -1 at EOF or error. */
static int recv_all(int fd, char *buf, size_t len, struct tally *t)
{
	while (len) {
		ssize_t n = recv(fd, buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		t->recv_calls++;
		t->recv_bytes += n;
		buf += n;
		len -= n;
	}
	return 0;
}

static void report_child(int wfd, const struct tally *t)
{
	if (write(wfd, t, sizeof(*t)) != sizeof(*t))
		_exit(1);
	close(wfd);
	_exit(0);
}

static void serve_tcp(int lfd, int wfd, size_t size)
{
	static char buf[MAX_SIZE];
	struct tally t = {0};
	int one = 1, fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		die("accept");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (recv_all(fd, buf, size, &t) == 0 && send_all(fd, buf, size, &t) == 0)
		;
	close(fd);
	report_child(wfd, &t);
}

static void serve_udp(int fd, int wfd, size_t size)
{
	static char buf[MAX_SIZE];
	struct tally t = {0};
	struct sockaddr_in peer;

	for (;;) {
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(fd, buf, size, 0, (struct sockaddr *)&peer, &plen);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("recvfrom");
		t.recv_calls++;
		t.recv_bytes += n;
		if (n == QUIT_LEN)
			break;
		n = sendto(fd, buf, n, 0, (struct sockaddr *)&peer, plen);
		if (n < 0)
			die("sendto");
		t.send_calls++;
		t.send_bytes += n;
	}
	report_child(wfd, &t);
}

/* Binds the server socket on an ephemeral or given port; returns it, port filled in. */
static int server_socket(const struct cfg *c, struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int one = 1, fd = socket(AF_INET, c->udp ? SOCK_DGRAM : SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa->sin_port = htons(c->port);
	if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) ||
	    getsockname(fd, (struct sockaddr *)sa, &len))
		die("bind");
	if (!c->udp && listen(fd, 1))
		die("listen");
	return fd;
}

static int client_socket(const struct cfg *c, const struct sockaddr_in *sa)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	int one = 1, fd = socket(AF_INET, c->udp ? SOCK_DGRAM : SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
		die("connect");
	if (c->udp)
		/* a lost datagram must not stall the run: resend after a timeout */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	else
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* One round trip; returns 0, or -1 when the server is gone. Counts UDP resends in *lost. */
static int round_trip(int fd, const struct cfg *c, char *buf, struct tally *t, uint64_t *lost)
{
	if (!c->udp)
		return send_all(fd, buf, c->size, t) || recv_all(fd, buf, c->size, t) ? -1 : 0;
	for (;;) {
		ssize_t n = send(fd, buf, c->size, 0);

		if (n < 0)
			return -1;
		t->send_calls++;
		t->send_bytes += n;
		n = recv(fd, buf, c->size, 0);
		if (n > 0) {
			t->recv_calls++;
			t->recv_bytes += n;
			return 0;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			(*lost)++;
			continue;
		}
		return -1;
	}
}

/* Sleeps until the paced schedule allows round trip number i. */
static void pace(const struct cfg *c, double t0, uint64_t i)
{
	double due = t0 + i / c->rate, wait = due - now_s();
	struct timespec ts;

	if (wait <= 0)
		return;
	ts.tv_sec = (time_t)wait;
	ts.tv_nsec = (long)((wait - ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static void run_client(const struct cfg *c, const struct sockaddr_in *sa, pid_t server, int rfd)
{
	static char buf[MAX_SIZE];
	struct tally t = {0}, st = {0};
	uint64_t rt = 0, lost = 0;
	int fd = client_socket(c, sa), status = 0;
	double t0, t1;

	memset(buf, 'x', c->size);
	for (int i = 0; i < 100; i++) /* warm-up, not timed but counted */
		if (round_trip(fd, c, buf, &t, &lost))
			die("warm-up");
	t0 = t1 = now_s();
	while (rt < c->max_rt) {
		if (c->rate > 0)
			pace(c, t0, rt);
		if (round_trip(fd, c, buf, &t, &lost))
			die("round trip");
		rt++;
		if ((rt & 63) == 0 && (t1 = now_s()) - t0 >= c->secs)
			break;
	}
	t1 = now_s();
	if (c->udp) {
		if (send(fd, buf, QUIT_LEN, 0) == QUIT_LEN) {
			t.send_calls++;
			t.send_bytes += QUIT_LEN;
		}
	}
	close(fd);
	if (read(rfd, &st, sizeof(st)) != sizeof(st))
		fprintf(stderr, "pingpong: no tally from the server\n");
	waitpid(server, &status, 0);
	printf("{\"proto\":\"%s\",\"size\":%zu,\"cpu\":%d,\"seconds\":%.6f,\"round_trips\":%llu,"
	       "\"rt_per_sec\":%.1f,\"udp_resends\":%llu,"
	       "\"client_pid\":%d,\"client_sent_calls\":%llu,\"client_recv_calls\":%llu,"
	       "\"client_sent_bytes\":%llu,\"client_recv_bytes\":%llu,"
	       "\"server_pid\":%d,\"server_sent_calls\":%llu,\"server_recv_calls\":%llu,"
	       "\"server_sent_bytes\":%llu,\"server_recv_bytes\":%llu}\n",
	       c->udp ? "udp" : "tcp", c->size, c->cpu, t1 - t0, (unsigned long long)rt,
	       rt / (t1 - t0), (unsigned long long)lost, (int)getpid(),
	       (unsigned long long)t.send_calls, (unsigned long long)t.recv_calls,
	       (unsigned long long)t.send_bytes, (unsigned long long)t.recv_bytes, (int)server,
	       (unsigned long long)st.send_calls, (unsigned long long)st.recv_calls,
	       (unsigned long long)st.send_bytes, (unsigned long long)st.recv_bytes);
	exit(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1);
}

static void usage(FILE *f, int code)
{
	fputs("Usage: pingpong [-u] [-t SECS] [-s BYTES] [-C CPU] [-P PORT] [-n MAX] [-r RATE]\n"
	      "  -u        UDP instead of TCP\n"
	      "  -t SECS   timed duration (default 5)\n"
	      "  -s BYTES  message size (default 64)\n"
	      "  -C CPU    pin client and server to this CPU (default 0; -1: no pinning)\n"
	      "  -P PORT   server port (default: any free port)\n"
	      "  -n MAX    stop after MAX round trips at most (default 100000000)\n"
	      "  -r RATE   pace to RATE round trips per second (default: as fast as possible)\n",
	      f);
	exit(code);
}

static void parse(int argc, char **argv, struct cfg *c)
{
	int opt;

	while ((opt = getopt(argc, argv, "ut:s:C:P:n:r:h")) != -1) {
		if (load_option(opt, &c->secs, &c->size, &c->cpu))
			continue;
		switch (opt) {
		case 'u':
			c->udp = 1;
			break;
		case 'P':
			c->port = atoi(optarg);
			break;
		case 'n':
			c->max_rt = strtoull(optarg, NULL, 10);
			break;
		case 'r':
			c->rate = atof(optarg);
			break;
		case 'h':
			usage(stdout, 0);
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind != argc || c->secs <= 0 || c->size <= QUIT_LEN || c->size > MAX_SIZE ||
	    c->port < 0 || c->port > 65535 || !c->max_rt || c->rate < 0)
		usage(stderr, 2);
}

int main(int argc, char **argv)
{
	struct cfg c = {.secs = 5, .size = 64, .cpu = 0, .max_rt = 100000000};
	struct sockaddr_in sa;
	int lfd, pfd[2];
	pid_t pid;

	parse(argc, argv, &c);
	pin(c.cpu); /* inherited by the server */
	lfd = server_socket(&c, &sa);
	if (pipe(pfd))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(pfd[0]);
		if (c.udp)
			serve_udp(lfd, pfd[1], c.size);
		serve_tcp(lfd, pfd[1], c.size);
	}
	close(pfd[1]);
	close(lfd);
	run_client(&c, &sa, pid, pfd[0]);
	return 0;
}
