// SPDX-License-Identifier: GPL-2.0
/*
 * Paced socket-call generator for the trace benchmark: a sender and a receiver (forked) over
 * loopback move small messages at a fixed rate of socket calls, for a fixed time, so that the
 * benchmark can find the highest rate of events `sockscope trace` delivers without loss.
 *
 * UDP (default): the sender sends datagrams with sendmmsg, in batches, paced to the rate; the
 * receiver takes them with recvmmsg. Every datagram is two socket calls (one send, one
 * receive), so two trace events. TCP (-T): the sender sends messages on one connection with
 * sendmmsg (Nagle on, so most calls only append to a queued segment: cheap calls, many events
 * per CPU second); the receiver reads in 64 KiB chunks, so almost every event is a send.
 *
 * Both ends are pinned to one CPU (-C, default 0) and count their own calls that moved data,
 * which is what trace reports one event each for; the result is one JSON line. -r is the
 * target rate of socket calls per second, sends and receives together (UDP: half of it in
 * datagrams); 0 means as fast as possible.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
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

#define BATCH	 64    /* messages per sendmmsg/recvmmsg */
#define MAX_SIZE 16384 /* --payload's maximum: enough for any capture size */
#define RCVBUF	 (32 << 20)

struct tally {
	uint64_t send_calls, recv_calls, send_bytes, recv_bytes;
};

struct cfg {
	int tcp;
	double secs;
	size_t size;
	int cpu;
	double rate; /* socket calls per second, 0 = unpaced */
};

/* The receive side: counts every call that returned data, until told to stop. */
static void receive(int fd, const struct cfg *c, int wfd)
{
	static char buf[BATCH][MAX_SIZE];
	static char big[1 << 16];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct tally t = {0};

	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){buf[i], c->size};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	for (;;) {
		if (c->tcp) {
			ssize_t n = read(fd, big, sizeof(big));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* the sender closed: done */
			t.recv_calls++;
			t.recv_bytes += n;
			continue;
		}
		int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);
		bool quit = false;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("recvmmsg");
		for (int i = 0; i < n; i++) {
			if (!msgs[i].msg_len) { /* an empty datagram: the sender is done */
				quit = true;
				continue;
			}
			t.recv_calls++;
			t.recv_bytes += msgs[i].msg_len;
		}
		if (quit)
			break;
	}
	if (write(wfd, &t, sizeof(t)) != sizeof(t))
		_exit(1);
	_exit(0);
}

/* Sends n messages; returns how many went (a TCP socket may take fewer). */
static int send_batch(int fd, struct mmsghdr *msgs, int n, struct tally *t)
{
	int sent = sendmmsg(fd, msgs, n, 0);

	if (sent < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS)
			return 0;
		die("sendmmsg");
	}
	for (int i = 0; i < sent; i++) {
		t->send_calls++;
		t->send_bytes += msgs[i].msg_len;
	}
	return sent;
}

static void sockets(const struct cfg *c, int *sfd, int *rfd)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int big = RCVBUF, lfd;

	lfd = socket(AF_INET, c->tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (lfd < 0)
		die("socket");
	/* room for a burst while the receiver is scheduled out (FORCE: above rmem_max) */
	if (setsockopt(lfd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len))
		die("bind");
	if (c->tcp && listen(lfd, 1))
		die("listen");
	*sfd = socket(AF_INET, c->tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (*sfd < 0)
		die("socket");
	if (setsockopt(*sfd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)))
		setsockopt(*sfd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (connect(*sfd, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect");
	if (c->tcp) {
		*rfd = accept(lfd, NULL, NULL);
		if (*rfd < 0)
			die("accept");
		close(lfd);
	} else {
		*rfd = lfd;
	}
}

static void usage(FILE *f, int code)
{
	fputs("Usage: flood [-T] [-t SECS] [-s BYTES] [-C CPU] [-r CALLS_PER_SEC]\n"
	      "  -T        TCP (1 connection, sendmmsg, Nagle on) instead of UDP\n"
	      "  -t SECS   timed duration (default 5)\n"
	      "  -s BYTES  message size (default 1, at most 16384)\n"
	      "  -C CPU    pin sender and receiver to this CPU (default 0; -1: no pinning)\n"
	      "  -r RATE   socket calls per second, sends and receives together (default 0:\n"
	      "            as fast as possible)\n",
	      f);
	exit(code);
}

static void parse(int argc, char **argv, struct cfg *c)
{
	int opt;

	while ((opt = getopt(argc, argv, "Tt:s:C:r:h")) != -1) {
		if (load_option(opt, &c->secs, &c->size, &c->cpu))
			continue;
		switch (opt) {
		case 'T':
			c->tcp = 1;
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
	if (optind != argc || c->secs <= 0 || c->secs > 3600 || c->size < 1 || c->size > MAX_SIZE ||
	    c->rate < 0)
		usage(stderr, 2);
}

/* Forks the receiver on rfd; the parent keeps the read end of the pipe its tally comes on. */
static pid_t start_receiver(const struct cfg *c, int sfd, int rfd, int *tally_fd)
{
	int pfd[2];
	pid_t pid;

	if (pipe(pfd))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(pfd[0]);
		close(sfd);
		receive(rfd, c, pfd[1]);
	}
	close(pfd[1]);
	close(rfd);
	*tally_fd = pfd[0];
	return pid;
}

/* How many messages are due after `elapsed` seconds, at most a batch; 0 after a sleep. */
static int due_now(double elapsed, double send_rate, uint64_t sent)
{
	double due = elapsed * send_rate - (double)sent;

	if (due < 1) {
		/* sleep until a batch is due (at most 1 ms, so bursts stay small) */
		double wait = (BATCH - due) / send_rate;

		sleep_s(wait < 1e-3 ? wait : 1e-3);
		return 0;
	}
	return due < BATCH ? (int)due : BATCH;
}

/* Sends for `secs` seconds, send_rate messages a second (0: unpaced); the seconds it took. */
static double send_for(int sfd, struct mmsghdr *msgs, double send_rate, double secs,
		       struct tally *t)
{
	double t0, t1;
	uint64_t sent = 0;

	t0 = t1 = now_s();
	while (t1 - t0 < secs) {
		int n = send_rate > 0 ? due_now(t1 - t0, send_rate, sent) : BATCH;

		if (n > 0)
			sent += send_batch(sfd, msgs, n, t);
		t1 = now_s();
	}
	return t1 - t0;
}

/*
 * Tells the receiver the sending is over, takes its tally into *rt and reaps it; its wait
 * status (0 if it was never reaped).
 */
static int end_receiver(const struct cfg *c, int sfd, const char *buf, pid_t pid, int tally_fd,
			struct tally *rt)
{
	int status = 0;

	if (c->tcp) {
		close(sfd);
	} else {
		/* empty datagrams (no event: nothing moved) until the receiver is gone */
		for (int i = 0; i < 400 && waitpid(pid, &status, WNOHANG) == 0; i++) {
			if (send(sfd, buf, 0, 0) < 0 && errno != ENOBUFS && errno != EAGAIN)
				break;
			sleep_s(0.005);
		}
	}
	if (read(tally_fd, rt, sizeof(*rt)) != sizeof(*rt)) {
		fprintf(stderr, "flood: no tally from the receiver\n");
		kill(pid, SIGKILL);
	}
	waitpid(pid, &status, 0);
	return status;
}

static void print_result(const struct cfg *c, double secs, const struct tally *t,
			 const struct tally *rt, pid_t pid)
{
	printf("{\"proto\":\"%s\",\"size\":%zu,\"cpu\":%d,\"target_rate\":%.0f,\"seconds\":%.6f,"
	       "\"send_calls\":%llu,\"recv_calls\":%llu,\"send_bytes\":%llu,\"recv_bytes\":%llu,"
	       "\"events\":%llu,\"events_per_sec\":%.1f,\"sender_pid\":%d,\"receiver_pid\":%d}\n",
	       c->tcp ? "tcp" : "udp", c->size, c->cpu, c->rate, secs,
	       (unsigned long long)t->send_calls, (unsigned long long)rt->recv_calls,
	       (unsigned long long)t->send_bytes, (unsigned long long)rt->recv_bytes,
	       (unsigned long long)(t->send_calls + rt->recv_calls),
	       (t->send_calls + rt->recv_calls) / secs, (int)getpid(), (int)pid);
}

int main(int argc, char **argv)
{
	static char buf[MAX_SIZE];
	struct cfg c = {.secs = 5, .size = 1, .cpu = 0};
	struct mmsghdr msgs[BATCH];
	struct iovec iov = {buf, 0};
	struct tally t = {0}, rt = {0};
	int sfd, rfd, tally_fd, status;
	double secs;
	pid_t pid;

	parse(argc, argv, &c);
	iov.iov_len = c.size;
	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < BATCH; i++)
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1}};
	pin(c.cpu);
	prctl(PR_SET_TIMERSLACK, 1000UL); /* 1 us: pacing sleeps are short */
	sockets(&c, &sfd, &rfd);
	pid = start_receiver(&c, sfd, rfd, &tally_fd);
	/* UDP: every datagram sent is also received; TCP: (almost) every event is a send */
	secs = send_for(sfd, msgs, c.tcp ? c.rate : c.rate / 2, c.secs, &t);
	status = end_receiver(&c, sfd, buf, pid, tally_fd, &rt);
	print_result(&c, secs, &t, &rt, pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
