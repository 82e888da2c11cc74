// SPDX-License-Identifier: GPL-2.0
/*
 * netio: the ground truth for sockscope's integration tests. A client sends exactly N bytes
 * to a server and reads back M, each side through the socket call the test names (write,
 * send, sendto, sendmsg, sendmmsg, writev, sendfile, splice, io_uring / read, recv, recvfrom,
 * recvmsg, recvmmsg, readv, io_uring, splice into a pipe, uring_splice, uring_splice_fixed,
 * zerocopy), over TCP or UDP, IPv4 or IPv6. Each side sums what its calls returned and prints
 * it with its PID and addresses as one JSON line, to compare with what sockscope reported.
 *
 * Both sides start, print a "ready" line (the server with its port), and wait for a byte on
 * stdin before moving any data, so that the test can start sockscope with their PIDs first.
 * With NETIO_HOLD set, each side keeps its connection open after reporting, until another
 * byte comes (the client then does not half-close first), for tests of live connections.
 *
 *   netio server tcp|udp ADDR PORT RECV_CALL SEND_CALL EXPECT_BYTES REPLY_BYTES
 *   netio client tcp|udp ADDR PORT SEND_CALL RECV_CALL BYTES REPLY_BYTES [CHUNK]
 */
#include <arpa/inet.h>
#include <liburing.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sockaddr.h"

#define MAX_CHUNK 65536
#define UDP_IDLE_MS 2000

struct side {
	int fd;
	int udp;
	size_t chunk;
	int tmpfd; /* sendfile's source */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	unsigned long long sent, received;
	unsigned long long send_calls, recv_calls; /* socket-level calls that moved data */
};

/* How an IORING_OP_SPLICE names its source: by descriptor, or registered with the ring. */
enum uring_src { URING_FD, URING_FIXED };

/*
 * One io_uring operation, submitted and waited for; returns its result like a syscall.
 * pipe_w >= 0: a splice from fd into that pipe (IORING_OP_SPLICE), instead of send/recv; with
 * URING_FIXED, fd is registered with the ring (once: each process splices from one socket)
 * and named by its index, as proxies with registered files do.
 */
static ssize_t uring_io(int fd, void *buf, size_t n, bool send, int pipe_w, enum uring_src src)
{
	static struct io_uring ring;
	static bool ready, registered;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int res;

	if (!ready && io_uring_queue_init(4, &ring, 0))
		return -1;
	ready = true;
	if (src == URING_FIXED && !registered && io_uring_register_files(&ring, &fd, 1))
		return -1;
	registered |= src == URING_FIXED;
	sqe = io_uring_get_sqe(&ring);
	if (pipe_w >= 0 && src == URING_FIXED)
		io_uring_prep_splice(sqe, 0, -1, pipe_w, -1, (unsigned)n, SPLICE_F_FD_IN_FIXED);
	else if (pipe_w >= 0)
		io_uring_prep_splice(sqe, fd, -1, pipe_w, -1, (unsigned)n, 0);
	else if (send)
		io_uring_prep_send(sqe, fd, buf, n, 0);
	else
		io_uring_prep_recv(sqe, fd, buf, n, 0);
	if (io_uring_submit_and_wait(&ring, 1) < 0 || io_uring_wait_cqe(&ring, &cqe))
		return -1;
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	if (res < 0) {
		errno = -res;
		return -1;
	}
	return res;
}

static ssize_t uring_op(int fd, void *buf, size_t n, bool send)
{
	return uring_io(fd, buf, n, send, -1, URING_FD);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "netio: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	va_end(ap);
	exit(1);
}

static socklen_t addr_of(const char *ip, int port, struct sockaddr_storage *ss)
{
	socklen_t n = make_addr(ip, port, ss);

	if (!n) {
		errno = EINVAL;
		die("bad address %s", ip);
	}
	return n;
}

static void addr_str(const struct sockaddr_storage *ss, char *ip, size_t len, int *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, ip, len);
		*port = ntohs(a->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, len);
		*port = ntohs(a->sin6_port);
	}
}

/*
 * Byte i of a stream is a function of i alone, so a test can tell what any call carried:
 * every 64-byte block starts with a terminal escape, a NUL and invalid UTF-8, then
 * pseudo-random bytes. tests/integration/payload.py computes the same.
 */
static const char prefix[] = "\x1b[2J\x00\xc3\x28\xff\xfe";

static void fill(char *buf, size_t n, unsigned long long off)
{
	for (size_t i = 0; i < n; i++) {
		unsigned long long k = off + i;

		buf[i] = k % 64 < sizeof(prefix) - 1 ? prefix[k % 64]
						      : (char)(((k * 2654435761ULL) & 0xffffffff) >> 24);
	}
}

/* Through a pipe: the bytes reach the socket by splice(2), never from our memory. */
static ssize_t splice_once(int fd, const char *buf, size_t n)
{
	static int p[2] = { -1, -1 };

	if (p[0] < 0 && pipe(p))
		die("pipe");
	if (n > 65536)
		n = 65536; /* what a pipe holds */
	if (write(p[1], buf, n) != (ssize_t)n)
		die("write to pipe");
	return splice(p[0], NULL, fd, NULL, n, 0);
}

/* One send call of the named kind; returns what the kernel returned. */
static ssize_t send_once(struct side *s, const char *call, const char *buf, size_t n)
{
	struct iovec iov[2] = { { (void *)buf, n / 2 }, { (void *)(buf + n / 2), n - n / 2 } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	if (!strcmp(call, "write"))
		return write(s->fd, buf, n);
	if (!strcmp(call, "send"))
		return send(s->fd, buf, n, 0);
	if (!strcmp(call, "sendto"))
		return sendto(s->fd, buf, n, 0, (void *)&s->peer, s->peerlen);
	if (!strcmp(call, "sendmsg"))
		return sendmsg(s->fd, &mh, 0);
	if (!strcmp(call, "writev"))
		return writev(s->fd, iov, 2);
	if (!strcmp(call, "sendfile")) {
		/* a fresh file range each time: sent pages are referenced, not copied, until they
		 * leave, so rewriting one would change data already "sent" */
		off_t off = (off_t)s->sent;

		if (pwrite(s->tmpfd, buf, n, off) != (ssize_t)n)
			die("pwrite");
		return sendfile(s->fd, s->tmpfd, &off, n);
	}
	if (!strcmp(call, "io_uring"))
		return uring_op(s->fd, (void *)buf, n, true);
	if (!strcmp(call, "splice"))
		return splice_once(s->fd, buf, n);
	if (!strcmp(call, "sendmmsg")) {
		/* two datagrams per call; the return is datagrams, the bytes are theirs */
		struct mmsghdr mm[2] = { { .msg_hdr = { .msg_iov = &iov[0], .msg_iovlen = 1 } },
					 { .msg_hdr = { .msg_iov = &iov[1], .msg_iovlen = 1 } } };
		int k = sendmmsg(s->fd, mm, 2, 0);

		s->send_calls += k > 1 ? 1 : 0; /* the second datagram; the first counts below */
		return k < 0 ? -1 : (ssize_t)(k == 2 ? n : n / 2);
	}
	errno = EINVAL;
	die("unknown send call %s", call);
	return -1;
}

static void send_all(struct side *s, const char *call, unsigned long long total)
{
	static char buf[MAX_CHUNK];

	while (s->sent < total) {
		size_t n = total - s->sent < s->chunk ? total - s->sent : s->chunk;
		ssize_t r;

		fill(buf, n, s->sent);
		r = send_once(s, call, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("%s", call);
		s->sent += (unsigned long long)r;
		s->send_calls += r > 0;
	}
}

/*
 * Into a pipe, as proxies do: the bytes leave the socket by splice(2), or io_uring's
 * IORING_OP_SPLICE, not by a read.
 */
static ssize_t splice_in(int fd, char *buf, size_t n, bool uring, enum uring_src src)
{
	static int p[2] = { -1, -1 };
	ssize_t r, got = 0;

	if (p[0] < 0 && pipe(p))
		die("pipe");
	if (n > 65536)
		n = 65536; /* what a pipe holds */
	r = uring ? uring_io(fd, NULL, n, false, p[1], src) : splice(fd, NULL, p[1], NULL, n, 0);
	while (r > 0 && got < r) {
		ssize_t k = read(p[0], buf + got, (size_t)(r - got));

		if (k <= 0)
			die("read from pipe");
		got += k;
	}
	return r;
}

#define ZC_MAP (1 << 20)

/*
 * getsockopt(TCP_ZEROCOPY_RECEIVE): whole pages of the receive queue are mapped at a mapping
 * of the socket, the rest is copied into a copybuf; no read call takes the data. Returns the
 * bytes it consumed; when it consumed none, a plain recv says whether the stream ended.
 */
static ssize_t zerocopy_in(int fd, char *buf, size_t n)
{
	static void *map;
	struct tcp_zerocopy_receive zc;
	socklen_t zl = sizeof(zc);
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (!map && (map = mmap(NULL, ZC_MAP, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
		die("mmap of the socket");
	if (poll(&p, 1, -1) < 0)
		return -1;
	memset(&zc, 0, sizeof(zc));
	zc.address = (uintptr_t)map;
	zc.length = ZC_MAP;
	zc.copybuf_address = (uintptr_t)buf;
	zc.copybuf_len = (int)n;
	if (getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &zc, &zl))
		return -1;
	if (zc.length && madvise(map, zc.length, MADV_DONTNEED))
		die("madvise");
	if (zc.length || zc.copybuf_len > 0)
		return (ssize_t)zc.length + (zc.copybuf_len > 0 ? zc.copybuf_len : 0);
	return recv(fd, buf, n, 0); /* readable, yet nothing to map or copy: the end? */
}

static ssize_t recv_once(struct side *s, const char *call, char *buf, size_t n)
{
	struct iovec iov[2] = { { buf, n / 2 }, { buf + n / 2, n - n / 2 } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);

	if (!strcmp(call, "read"))
		return read(s->fd, buf, n);
	if (!strcmp(call, "recv"))
		return recv(s->fd, buf, n, 0);
	if (!strcmp(call, "recvfrom"))
		return recvfrom(s->fd, buf, n, 0, (void *)&from, &flen);
	if (!strcmp(call, "recvmsg"))
		return recvmsg(s->fd, &mh, 0);
	if (!strcmp(call, "readv"))
		return readv(s->fd, iov, 2);
	if (!strcmp(call, "io_uring"))
		return uring_op(s->fd, buf, n, false);
	if (!strcmp(call, "splice"))
		return splice_in(s->fd, buf, n, false, URING_FD);
	if (!strcmp(call, "uring_splice"))
		return splice_in(s->fd, buf, n, true, URING_FD);
	if (!strcmp(call, "uring_splice_fixed"))
		return splice_in(s->fd, buf, n, true, URING_FIXED);
	if (!strcmp(call, "zerocopy"))
		return zerocopy_in(s->fd, buf, n);
	if (!strcmp(call, "recvmmsg")) {
		struct mmsghdr mm[2] = { { .msg_hdr = { .msg_iov = &iov[0], .msg_iovlen = 1 } },
					 { .msg_hdr = { .msg_iov = &iov[1], .msg_iovlen = 1 } } };
		struct timespec none = { 0, 0 };
		int k = recvmmsg(s->fd, mm, 2, MSG_WAITFORONE, &none);

		s->recv_calls += k > 1 && mm[1].msg_len > 0;
		return k < 0 ? -1 : (ssize_t)(mm[0].msg_len + (k == 2 ? mm[1].msg_len : 0));
	}
	errno = EINVAL;
	die("unknown receive call %s", call);
	return -1;
}

/* Reads until total bytes came, the peer closed, or (UDP) the peer went quiet. */
static void recv_all(struct side *s, const char *call, unsigned long long total)
{
	static char buf[2 * MAX_CHUNK];

	while (s->received < total) {
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		ssize_t r;

		if (s->udp && poll(&p, 1, UDP_IDLE_MS) == 0)
			break;
		r = recv_once(s, call, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("%s", call);
		if (r == 0 && !s->udp)
			break;
		s->received += (unsigned long long)r;
		s->recv_calls += r > 0;
	}
}

static void wait_go(void)
{
	char c;

	fflush(stdout);
	if (read(0, &c, 1) != 1)
		exit(3);
}

static void hold(void)
{
	if (getenv("NETIO_HOLD"))
		wait_go();
}

static void report(const char *role, struct side *s, const char *proto)
{
	struct sockaddr_storage l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);
	char lip[64], rip[64];
	int lport, rport;

	getsockname(s->fd, (void *)&l, &ll);
	if (getpeername(s->fd, (void *)&r, &rl))
		r = s->peer;
	addr_str(&l, lip, sizeof(lip), &lport);
	addr_str(&r, rip, sizeof(rip), &rport);
	printf("{\"role\":\"%s\",\"pid\":%d,\"proto\":\"%s\",\"laddr\":\"%s\",\"lport\":%d,"
	       "\"raddr\":\"%s\",\"rport\":%d,\"sent\":%llu,\"received\":%llu,"
	       "\"send_calls\":%llu,\"recv_calls\":%llu}\n",
	       role, getpid(), proto, lip, lport, rip, rport, s->sent, s->received, s->send_calls,
	       s->recv_calls);
}

static int open_tmp(void)
{
	char path[] = "/tmp/netio.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		die("mkstemp");
	unlink(path);
	return fd;
}

static int server(char **av)
{
	struct side s = { .udp = !strcmp(av[0], "udp"), .chunk = 1024, .tmpfd = open_tmp() };
	struct sockaddr_storage a;
	socklen_t alen = addr_of(av[1], atoi(av[2]), &a);
	int lfd = socket(a.ss_family, s.udp ? SOCK_DGRAM : SOCK_STREAM, 0), one = 1, big = 4 << 20;
	char ip[64];
	int port;

	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)) || bind(lfd, (void *)&a, alen))
		die("server socket");
	if (!s.udp && listen(lfd, 8))
		die("listen");
	alen = sizeof(a);
	getsockname(lfd, (void *)&a, &alen);
	addr_str(&a, ip, sizeof(ip), &port);
	printf("{\"ready\":\"server\",\"pid\":%d,\"port\":%d}\n", getpid(), port);
	wait_go();
	if (s.udp) {
		char c;

		/* a peek learns the client without consuming (and is not a counted call) */
		s.fd = lfd;
		s.peerlen = sizeof(s.peer);
		if (recvfrom(lfd, &c, 1, MSG_PEEK, (void *)&s.peer, &s.peerlen) < 0 ||
		    connect(lfd, (void *)&s.peer, s.peerlen))
			die("udp peer");
	} else {
		s.fd = accept(lfd, (void *)&s.peer, &s.peerlen);
		if (s.fd < 0)
			die("accept");
	}
	recv_all(&s, av[3], strtoull(av[5], NULL, 10));
	send_all(&s, av[4], strtoull(av[6], NULL, 10));
	report("server", &s, av[0]);
	hold();
	return 0;
}

static int client(char **av)
{
	struct side s = { .udp = !strcmp(av[0], "udp"), .tmpfd = open_tmp() };
	unsigned long long n = strtoull(av[5], NULL, 10), m = strtoull(av[6], NULL, 10);

	s.peerlen = addr_of(av[1], atoi(av[2]), &s.peer);
	s.chunk = av[7] ? strtoul(av[7], NULL, 10) : (s.udp ? 1000 : 16384);
	if (s.chunk == 0 || s.chunk > MAX_CHUNK)
		s.chunk = MAX_CHUNK;
	s.fd = socket(s.peer.ss_family, s.udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (s.fd < 0)
		die("client socket");
	printf("{\"ready\":\"client\",\"pid\":%d}\n", getpid());
	wait_go();
	if (connect(s.fd, (void *)&s.peer, s.peerlen))
		die("connect");
	send_all(&s, av[3], n);
	if (!s.udp && !getenv("NETIO_HOLD"))
		shutdown(s.fd, SHUT_WR);
	recv_all(&s, av[4], m);
	report("client", &s, av[0]);
	hold();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 9 && !strcmp(argv[1], "server"))
		return server(argv + 2);
	if (argc >= 9 && !strcmp(argv[1], "client"))
		return client(argv + 2);
	fprintf(stderr, "usage: netio server tcp|udp ADDR PORT RECV_CALL SEND_CALL EXPECT_BYTES "
			"REPLY_BYTES\n"
			"       netio client tcp|udp ADDR PORT SEND_CALL RECV_CALL BYTES REPLY_BYTES "
			"[CHUNK]\n");
	return 2;
}
