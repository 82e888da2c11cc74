// SPDX-License-Identifier: GPL-2.0
/*
 * churn: many short TCP connections, the ground truth for the tests of memory under
 * connection churn and of the summary's folded rows. A server (this process) and a client
 * (its child) make CONNS connections in WAVES equal waves: connection i sends BYTES + i * STEP
 * bytes, the server answers one byte and closes, the client reads it and resets the
 * connection (SO_LINGER 0), so that no TIME_WAIT socket is left to exhaust the ports.
 *
 * It prints {"type":"ready",...} with both PIDs, then before each wave waits for a byte on
 * stdin, and after it prints {"type":"wave",...} with each side's running totals of bytes
 * and calls as the calls returned them. Both processes exit when stdin closes.
 *
 *   churn ADDR CONNS WAVES BYTES [STEP]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sockaddr.h"

#define BUF 65536

struct tally {
	unsigned long long sent, received, send_calls, recv_calls;
};

/* The command line: connection i of wave w (from w * per) sends bytes + i * step bytes. */
struct plan {
	unsigned long waves, per;
	unsigned long long bytes, step;
};

static char buf[BUF];

static void die(const char *what)
{
	fprintf(stderr, "churn: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void send_all(int fd, unsigned long long n, struct tally *t)
{
	while (n) {
		ssize_t r = send(fd, buf, n < BUF ? n : BUF, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("send");
		t->sent += r;
		t->send_calls++;
		n -= r;
	}
}

static void recv_exactly(int fd, unsigned long long n, struct tally *t)
{
	while (n) {
		ssize_t r = recv(fd, buf, n < BUF ? n : BUF, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("recv");
		t->received += r;
		t->recv_calls++;
		n -= r;
	}
}

static void one_client(const struct sockaddr_storage *ss, socklen_t len, unsigned long long n,
		       struct tally *t)
{
	struct linger reset = { 1, 0 };
	int fd = socket(ss->ss_family, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)ss, len))
		die("connect");
	send_all(fd, n, t);
	recv_exactly(fd, 1, t);
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset)))
		die("SO_LINGER");
	close(fd);
}

static void one_server(int lfd, unsigned long long n, struct tally *t)
{
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		die("accept");
	recv_exactly(fd, n, t);
	send_all(fd, 1, t);
	close(fd);
}

static void print_tally(const char *side, const struct tally *t, int last)
{
	printf("\"%s\":{\"sent\":%llu,\"received\":%llu,\"send_calls\":%llu,\"recv_calls\":%llu}%s",
	       side, t->sent, t->received, t->send_calls, t->recv_calls, last ? "}\n" : ",");
}

/* The command line into *p, and its address into *ss; false after saying what is wrong. */
static bool parse(int argc, char **argv, struct plan *p, struct sockaddr_storage *ss,
		  socklen_t *len)
{
	unsigned long conns;

	if (argc < 5) {
		fprintf(stderr, "usage: churn ADDR CONNS WAVES BYTES [STEP]\n");
		return false;
	}
	conns = strtoul(argv[2], NULL, 10);
	p->waves = strtoul(argv[3], NULL, 10);
	p->bytes = strtoull(argv[4], NULL, 10);
	p->step = argc > 5 ? strtoull(argv[5], NULL, 10) : 0;
	if (!p->waves || conns % p->waves || !p->bytes) {
		fprintf(stderr, "churn: CONNS must be a multiple of WAVES, BYTES > 0\n");
		return false;
	}
	p->per = conns / p->waves;
	*len = make_addr(argv[1], 0, ss);
	if (!*len) {
		fprintf(stderr, "churn: bad address %s\n", argv[1]);
		return false;
	}
	return true;
}

/*
 * The listener (the port the kernel chose goes back into *ss) and the pipes to the client:
 * go starts its waves, done brings back its tally after each.
 */
static int setup(struct sockaddr_storage *ss, socklen_t *len, int go[2], int done[2])
{
	int lfd, one = 1;

	lfd = socket(ss->ss_family, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)ss, *len) || listen(lfd, 128) ||
	    getsockname(lfd, (struct sockaddr *)ss, len) || pipe(go) || pipe(done))
		die("listen");
	return lfd;
}

/* The child: one wave of connections per byte on go, its running tally on done after each. */
static int client(const struct plan *p, const struct sockaddr_storage *ss, socklen_t len, int go,
		  int done)
{
	struct tally cli = {0};
	char c;

	for (unsigned long w = 0; w < p->waves && read(go, &c, 1) == 1; w++) {
		for (unsigned long i = w * p->per; i < (w + 1) * p->per; i++)
			one_client(ss, len, p->bytes + i * p->step, &cli);
		if (write(done, &cli, sizeof(cli)) != sizeof(cli))
			die("write");
	}
	while (read(go, &c, 1) > 0) /* alive until the server ends: tests watch -p */
		;
	return 0;
}

/* The parent: a wave per byte on stdin, each answered with a wave line of both tallies. */
static int server(const struct plan *p, int lfd, pid_t kid, int go, int done)
{
	struct tally srv = {0}, cli = {0};
	char c;

	printf("{\"type\":\"ready\",\"server_pid\":%d,\"client_pid\":%d}\n", getpid(), kid);
	fflush(stdout);
	for (unsigned long w = 0; w < p->waves; w++) {
		if (read(0, &c, 1) != 1 || write(go, &c, 1) != 1)
			break;
		for (unsigned long i = w * p->per; i < (w + 1) * p->per; i++)
			one_server(lfd, p->bytes + i * p->step, &srv);
		if (read(done, &cli, sizeof(cli)) != sizeof(cli))
			die("read");
		printf("{\"type\":\"wave\",\"connections\":%lu,", (w + 1) * p->per);
		print_tally("server", &srv, 0);
		print_tally("client", &cli, 1);
		fflush(stdout);
	}
	while (read(0, &c, 1) > 0) /* both stay until stdin closes: tests watch them with -p */
		;
	close(go);
	waitpid(kid, NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct plan p;
	socklen_t len;
	int lfd, go[2], done[2];
	pid_t kid;

	if (!parse(argc, argv, &p, &ss, &len))
		return 2;
	lfd = setup(&ss, &len, go, done);
	kid = fork();
	if (kid < 0)
		die("fork");
	if (kid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(go[1]);
		close(done[0]);
		close(lfd);
		return client(&p, &ss, len, go[0], done[1]);
	}
	close(go[0]);
	close(done[1]);
	return server(&p, lfd, kid, go[1], done[0]);
}
