// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the packet line and JSON object of `sockscope packets`: tcpdump's flag letters
 * and order, -S relative numbers, window scaling, hostile process names, and the witness: for
 * the same packets written to a capture, `tcpdump -r -nn -tt -S` prints the same endpoints,
 * flags, seq, ack, window and length as our line.
 */
#include "capture.h"
#include "pktgen.h"
#include "witness.h"

#include <fcntl.h>
#include <time.h>

#include "core/isn.h"
#include "writers/pcapng.h"
#include "writers/pktfmt.h"

static uint8_t buf[2048];
static char line[PF_LINE_MAX];
static const struct pf_opts abs_opts = { .relative = false, .utf8 = true };

/* 2023-11-14T12:11:28.114216999Z: main() runs the tests in UTC. */
#define WALL_NS (((uint64_t)1700000000 / 86400 * 86400 + 12 * 3600 + 11 * 60 + 28) *              \
		 1000000000ull + 114216999)

static const struct gen curl_get = { AF_INET, "10.0.2.15", "1.1.1.1", 48448, 80, 615672475,
				     1810787294, PKT_PSH | PKT_ACK, 64240, false,
				     "GET / HTTP/1.1\r\nHost: one.one.one.one\r\nAccept: */*\r\n\r\n"
				     "xxxxxxxxxxxxxxxx", 70 };

static struct pkt_meta meta(enum pkt_dir dir, uint32_t pid, const char *comm)
{
	return (struct pkt_meta){ .ts_ns = 42, .wall_ns = WALL_NS, .dir = dir, .pid = pid,
				  .comm = comm, .comm_len = strlen(comm), .ifindex = 1 };
}

static struct pkt_tcp decoded(const struct gen *g)
{
	size_t n = gen_tcp(buf, g);
	struct pkt_tcp p;

	assert_int_equal(pkt_decode(buf, n, n, &p), PKT_OK);
	return p;
}

static void test_flags(void **state)
{
	char f[PF_FLAGS_MAX];

	(void)state;
	assert_string_equal(pf_flags(f, 0), "none");
	assert_string_equal(pf_flags(f, PKT_SYN), "S");
	assert_string_equal(pf_flags(f, PKT_SYN | PKT_ACK), "S.");
	assert_string_equal(pf_flags(f, PKT_FIN | PKT_PSH | PKT_ACK), "FP.");
	assert_string_equal(pf_flags(f, PKT_RST | PKT_ACK), "R.");
	assert_string_equal(pf_flags(f, 0xff), "FSRP.UEW");
}

/* The issue's own example line, byte for byte. */
static void test_line(void **state)
{
	struct pkt_tcp p = decoded(&curl_get);
	struct pkt_meta m = meta(PKT_OUT, 402475, "curl");
	size_t n;

	(void)state;
	n = pf_text(line, sizeof(line), &p, &m, &abs_opts);
	assert_string_equal(line, "12:11:28.114216 OUT curl 402475 tcp 10.0.2.15:48448 > 1.1.1.1:80 "
				  "[P.] seq 615672475:615672545 ack 1810787294 win 64240 len 70\n");
	assert_int_equal(n, strlen(line));
	n = pf_text(line, 20, &p, &m, &abs_opts); /* a short buffer: cut, still a string */
	assert_int_equal(n, 19);
	assert_string_equal(line, "12:11:28.114216 OUT");
}

/* -S: numbers from the ISNs, the sender's for seq and the receiver's for ack, both ways. */
static void test_relative(void **state)
{
	struct pf_opts rel = { .relative = true };
	struct pkt_tcp p = decoded(&curl_get);
	struct pkt_meta m = meta(PKT_OUT, 1, "curl");
	uint32_t seq, ack;

	(void)state;
	m.isn_known = true;
	m.isn_local = 615672475 - 1;
	m.isn_remote = 1810787294 - 1;
	pf_seq_ack(&p, &m, true, &seq, &ack);
	assert_int_equal(seq, 1);
	assert_int_equal(ack, 1);
	pf_text(line, sizeof(line), &p, &m, &rel);
	assert_non_null(strstr(line, " seq 1:71 ack 1 win"));
	m.dir = PKT_IN; /* the same header seen inbound: the peer is the sender */
	m.isn_local = 1810787294 - 5;
	m.isn_remote = 615672475 + 10; /* past the seq: wraps like the 32-bit numbers */
	pf_seq_ack(&p, &m, true, &seq, &ack);
	assert_int_equal(seq, (uint32_t)-10);
	assert_int_equal(ack, 5);
	m.isn_known = false; /* not known: absolute, rather than numbers from nowhere */
	pf_seq_ack(&p, &m, true, &seq, &ack);
	assert_int_equal(seq, 615672475);
}

static void test_window_and_segs(void **state)
{
	struct gen syn = curl_get;
	struct pkt_tcp p = decoded(&curl_get);
	struct pkt_meta m = meta(PKT_OUT, 1, "curl");

	(void)state;
	m.wscale = 7;
	assert_int_equal(pf_window(&p, &m), 64240u << 7);
	syn.flags = PKT_SYN, syn.plen = 0;
	p = decoded(&syn);
	assert_int_equal(pf_window(&p, &m), 64240); /* RFC 7323: a SYN's window is unscaled */
	m.segs = 3;
	pf_text(line, sizeof(line), &p, &m, &abs_opts);
	assert_non_null(strstr(line, "[S] seq 615672475 win 64240 len 0 segs 3\n"));
	assert_null(strstr(line, " ack "));
}

/* A name with spaces, '=', controls, escapes and bad UTF-8 stays one printable token. */
static void test_hostile_comm(void **state)
{
	static const char comm[16] = "a b=\x1b[2J\xff\"\n\t\\zzz"; /* no NUL */
	struct pkt_tcp p = decoded(&curl_get);
	struct pkt_meta m = meta(PKT_IN, 7, "");
	int spaces = 0;

	(void)state;
	m.comm = comm, m.comm_len = sizeof(comm);
	pf_text(line, sizeof(line), &p, &m, &abs_opts);
	for (const char *c = line; *c != '\n'; c++) {
		assert_true((unsigned char)*c >= 0x20 && *c != 0x7f);
		spaces += *c == ' ';
	}
	assert_int_equal(spaces, 16); /* as many as the example line has */
	m.comm = NULL; /* no owner known */
	pf_text(line + 256, sizeof(line) - 256, &p, &m, &abs_opts);
	assert_non_null(strstr(line + 256, " IN - 7 tcp "));
	assert_non_null(strstr(line, " IN a\\x20b\\x3d\\x1b[2J\\xff\"\\x0a\\x09\\\\zzz 7 tcp "));
}

static void test_json(void **state)
{
	struct pkt_tcp p = decoded(&curl_get);
	struct pkt_meta m = meta(PKT_IN, 402475, "cu\"rl");
	struct capture c;
	char *text;

	(void)state;
	m.segs = 2, m.wscale = 1;
	pf_json(capture_begin(&c), &p, &m, &abs_opts);
	text = capture_end(&c);
	assert_string_equal(text, "{\"type\":\"packet\",\"time\":\"2023-11-14T12:11:28.114Z\","
				  "\"ts_ns\":42,\"dir\":\"in\",\"pid\":402475,\"comm\":\"cu\\\"rl\","
				  "\"family\":\"ipv4\",\"laddr\":\"1.1.1.1\",\"lport\":80,"
				  "\"raddr\":\"10.0.2.15\",\"rport\":48448,\"seq\":615672475,"
				  "\"ack\":1810787294,\"flags\":\"P.\",\"win\":128480,\"len\":70,"
				  "\"segs\":2,\"ifindex\":1}\n");
	free(text);
}

/* The fields both tools print, in one spelling: "addr port" endpoints, seq "" when absent. */
struct fields {
	char src[80], dst[80], flags[16], seq[32], ack[16];
	unsigned win, len;
	char clock[24]; /* HH:MM:SS.uuuuuu, UTC */
};

/* "10.0.0.1.80" or "fd00::1.80" (tcpdump) and "1.2.3.4:80" or "[fd00::1]:80" (ours). */
static void endpoint(char *dst, const char *s, size_t n, char sep)
{
	char tmp[80];
	char *cut;

	snprintf(tmp, sizeof(tmp), "%.*s", (int)n, s);
	cut = strrchr(tmp, sep);
	assert_non_null(cut);
	*cut = '\0';
	snprintf(dst, 80, "%s %s", tmp + (tmp[0] == '['), cut + 1);
	if ((cut = strchr(dst, ']')))
		memmove(cut, cut + 1, strlen(cut));
}

static void after(const char *l, const char *key, const char *fmt, void *val)
{
	const char *at = strstr(l, key);

	if (at)
		assert_int_equal(sscanf(at + strlen(key), fmt, val), 1);
}

/* 1699963888.114216 lo Out IP 10.0.0.1.48448 > 10.0.0.2.80: Flags [P.], seq 1:71, ack 5,
 *   win 512, length 70 */
static void parse_tcpdump(const char *l, struct fields *f)
{
	const char *ip = strstr(l, " IP6 ") ? strstr(l, " IP6 ") + 5 : strstr(l, " IP ") + 4;
	const char *gt = strstr(ip, " > "), *colon = strstr(ip, ": Flags [");
	unsigned long sec, usec;

	memset(f, 0, sizeof(*f));
	assert_true(gt && colon && gt < colon);
	assert_int_equal(sscanf(l, "%lu.%lu", &sec, &usec), 2);
	snprintf(f->clock, sizeof(f->clock), "%02lu:%02lu:%02lu.%06lu", sec / 3600 % 24,
		 sec / 60 % 60, sec % 60, usec);
	endpoint(f->src, ip, (size_t)(gt - ip), '.');
	endpoint(f->dst, gt + 3, (size_t)(colon - gt - 3), '.');
	assert_int_equal(sscanf(colon, ": Flags [%15[^]]]", f->flags), 1);
	after(colon, ", seq ", "%31[0-9:]", f->seq);
	after(colon, ", ack ", "%15[0-9]", f->ack);
	after(colon, ", win ", "%u", &f->win);
	after(colon, ", length ", "%u", &f->len);
}

/* 12:11:28.114216 OUT curl 402475 tcp 10.0.2.15:48448 > 1.1.1.1:80 [P.] seq A:B ack C win W
 *   len L */
static void parse_ours(const char *l, struct fields *f)
{
	const char *tcp = strstr(l, " tcp "), *gt = strstr(l, " > "), *br;

	memset(f, 0, sizeof(*f));
	assert_true(tcp && gt);
	br = strstr(gt + 4, " ["); /* past the '[' of an IPv6 destination */
	assert_non_null(br);
	snprintf(f->clock, sizeof(f->clock), "%.15s", l);
	endpoint(f->src, tcp + 5, (size_t)(gt - tcp - 5), ':');
	endpoint(f->dst, gt + 3, (size_t)(br - gt - 3), ':');
	assert_int_equal(sscanf(br, " [%15[^]]]", f->flags), 1);
	after(br, "] seq ", "%31[0-9:]", f->seq);
	after(br, " ack ", "%15[0-9]", f->ack);
	after(br, " win ", "%u", &f->win);
	after(br, " len ", "%u", &f->len);
}

static const struct gen witness_pkts[] = {
	{ AF_INET, "10.0.2.15", "1.1.1.1", 48448, 80, 615672400, 0, PKT_SYN, 64240, true, NULL, 0 },
	{ AF_INET, "1.1.1.1", "10.0.2.15", 80, 48448, 1810787200, 615672401, PKT_SYN | PKT_ACK, 65535,
	  true, NULL, 0 },
	{ AF_INET, "10.0.2.15", "1.1.1.1", 48448, 80, 615672401, 1810787201, PKT_ACK, 502, false,
	  NULL, 0 },
	{ AF_INET, "10.0.2.15", "1.1.1.1", 48448, 80, 615672401, 1810787201, PKT_PSH | PKT_ACK, 502,
	  false, "hello, world", 12 },
	{ AF_INET, "10.0.2.15", "1.1.1.1", 48448, 80, 615672413, 1810787201, PKT_FIN | PKT_ACK, 502,
	  false, NULL, 0 },
	{ AF_INET, "1.1.1.1", "10.0.2.15", 80, 48448, 1810787201, 0, PKT_RST, 0, false, NULL, 0 },
	{ AF_INET, "1.1.1.1", "10.0.2.15", 80, 48448, 7, 9, 0, 1, false, "x", 1 }, /* no flags */
	{ AF_INET6, "fd00::1", "2001:db8::2", 443, 50000, 0xfffffffe, 3, PKT_SYN | PKT_ECE | PKT_CWR,
	  1024, true, NULL, 0 },
	{ AF_INET6, "2001:db8::2", "fd00::1", 50000, 443, 0xffffffff, 4, PKT_PSH | PKT_ACK, 8,
	  false, "wraps past 2^32", 15 }, /* seq range wraps: tcpdump prints 4294967295:14 */
	{ AF_INET6, "::1", "::1", 1, 65535, 1, 2, PKT_RST | PKT_ACK | PKT_URG, 9, false, NULL, 0 },
};

#define N_WITNESS (sizeof(witness_pkts) / sizeof(witness_pkts[0]))

/* Writes the witness packets; lines[i] gets packet i's line, absolute or with -S. */
static void write_witness_capture(const char *path, char lines[][PF_LINE_MAX], bool relative)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	struct pcapng_w *w = pcapng_open(fd, PCAPNG_SNAPLEN_MAX, "test_pktfmt", NULL, NULL);
	struct pf_opts o = { .relative = relative };
	struct isn_table isns;

	assert_non_null(w);
	assert_int_equal(isn_init(&isns, 16), 0);
	for (size_t i = 0; i < N_WITNESS; i++) {
		size_t n = gen_tcp(buf, &witness_pkts[i]);
		struct pkt_meta m = meta(i % 2 ? PKT_IN : PKT_OUT, 100 + (uint32_t)i, "witness");
		struct pkt_tcp p;

		m.wall_ns += i * 1000003999ull;
		assert_int_equal(pkt_decode(buf, n, n, &p), PKT_OK);
		isn_learn(&isns, &p, &m);
		pf_text(lines[i], PF_LINE_MAX, &p, &m, &o);
		assert_int_equal(pcapng_packet(w, &m, buf, (uint32_t)n, (uint32_t)n), 0);
	}
	isn_free(&isns);
	assert_int_equal(pcapng_close(w), 0);
	close(fd);
}

static void test_same_as_tcpdump(void **state)
{
	char path[] = "/tmp/sockscope-pktfmt-XXXXXX", cmd[128], *out, *err, *l, *save;
	static char lines[N_WITNESS][PF_LINE_MAX];
	size_t i = 0;

	(void)state;
	if (!witness_have("tcpdump"))
		skip();
	close(mkstemp(path));
	write_witness_capture(path, lines, false);
	snprintf(cmd, sizeof(cmd), "tcpdump -r %s -nn -tt -S", path);
	assert_int_equal(witness_run(cmd, &out, &err), 0);
	assert_string_equal(err, "");
	for (l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save), i++) {
		struct fields theirs, ours;

		assert_true(i < N_WITNESS);
		parse_tcpdump(l, &theirs);
		parse_ours(lines[i], &ours);
		assert_string_equal(ours.clock, theirs.clock);
		assert_string_equal(ours.src, theirs.src);
		assert_string_equal(ours.dst, theirs.dst);
		assert_string_equal(ours.flags, theirs.flags);
		if (theirs.seq[0]) /* tcpdump leaves seq out of a bare ACK; we always print it */
			assert_string_equal(ours.seq, theirs.seq);
		assert_string_equal(ours.ack, theirs.ack);
		assert_int_equal(ours.win, theirs.win);
		assert_int_equal(ours.len, theirs.len);
	}
	assert_int_equal(i, N_WITNESS);
	unlink(path);
	free(out);
	free(err);
}

/* The conversation of a witness packet: its two ports. */
static uint32_t conv(const struct gen *g)
{
	return g->sport < g->dport ? (uint32_t)g->sport << 16 | g->dport
				   : (uint32_t)g->dport << 16 | g->sport;
}

/*
 * -S against tcpdump's default relative numbers. tcpdump makes an ACK-carrying packet relative
 * to the first ACK-carrying packet of its conversation, which it prints absolute, and leaves
 * packets without ACK absolute; where it does go relative, after a handshake, so must we.
 */
static void test_relative_same_as_tcpdump(void **state)
{
	char path[] = "/tmp/sockscope-pktfmt-XXXXXX", cmd[128], *out, *err, *l, *save;
	static char lines[N_WITNESS][PF_LINE_MAX];
	uint32_t seen[N_WITNESS];
	size_t i = 0, n_seen = 0, compared = 0;

	(void)state;
	if (!witness_have("tcpdump"))
		skip();
	close(mkstemp(path));
	write_witness_capture(path, lines, true);
	snprintf(cmd, sizeof(cmd), "tcpdump -r %s -nn -tt", path);
	assert_int_equal(witness_run(cmd, &out, &err), 0);
	assert_string_equal(err, "");
	for (l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save), i++) {
		const struct gen *g = &witness_pkts[i];
		bool known = false;
		struct fields theirs, ours;

		for (size_t k = 0; k < n_seen; k++)
			known |= seen[k] == conv(g);
		if (!(g->flags & PKT_ACK))
			continue;
		if (!known)
			seen[n_seen++] = conv(g);
		if (!known || g->flags & PKT_SYN)
			continue;
		parse_tcpdump(l, &theirs);
		parse_ours(lines[i], &ours);
		if (theirs.seq[0])
			assert_string_equal(ours.seq, theirs.seq);
		assert_string_equal(ours.ack, theirs.ack);
		compared++;
	}
	assert_int_equal(i, N_WITNESS);
	assert_int_equal(compared, 3);
	unlink(path);
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_window_and_segs),
		cmocka_unit_test(test_hostile_comm),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_same_as_tcpdump),
		cmocka_unit_test(test_relative_same_as_tcpdump),
	};

	setenv("TZ", "UTC", 1); /* lines print local time */
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
