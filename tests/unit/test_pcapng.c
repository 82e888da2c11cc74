// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the pcapng writer. The block layout is checked by a walker written here from
 * the pcapng draft; the witness is tshark: it opens the capture with no error, reads back the
 * seq, ack, flags, window, length, checksum, direction, time and comment of every packet as
 * written, selects one process's packets by comment even when another's name forges
 * "pid=...", and reads a capture cut at any block boundary cleanly (and one cut mid-block
 * without crashing, up to its last whole block), including one cut by a full disk.
 */
#include "capture.h"
#include "pktgen.h"
#include "witness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "writers/pcapng.h"

#define WALL_NS 1700000000123456789ull

/* One packet to write: its bytes' recipe, its owner and its way. */
struct rec {
	struct gen g;
	uint32_t pid;
	const char *comm;
	size_t comm_len;
	enum pkt_dir dir;
	uint32_t ifindex;
	const char *comment; /* what its comment must read */
	uint32_t segs;
};

/* Names that try everything: spaces, '=', a forged pid, quotes, controls, bad UTF-8. */
static const char forger[16] = "pid=1111 \x1b[2J\xff\"\n"; /* 16 bytes, no NUL */
static const char bidi[] = "\xc3\xa9t\xe2\x80\xae\\";

static const struct rec recs[] = {
	{ { AF_INET, "10.0.2.15", "1.1.1.1", 48448, 80, 615672400, 0, PKT_SYN, 64240, true },
	  1111, "curl", 4, PKT_OUT, 1, "pid=1111 dir=out comm=curl" },
	{ { AF_INET, "1.1.1.1", "10.0.2.15", 80, 48448, 1810787200, 615672401, PKT_SYN | PKT_ACK,
	    65535, true },
	  1111, "curl", 4, PKT_IN, 1, "pid=1111 dir=in comm=curl" },
	{ { AF_INET, "10.0.2.15", "1.1.1.1", 48448, 80, 615672401, 1810787201, PKT_PSH | PKT_ACK,
	    502, false, "GET / HTTP/1.1\r\n\r\n", 18 },
	  2222, forger, sizeof(forger), PKT_OUT, 2,
	  "pid=2222 dir=out comm=pid\\x3d1111\\x20\\x1b[2J\\xff\"\\x0a" },
	{ { AF_INET6, "fd00::1", "2001:db8::2", 443, 50000, 0xfffffffe, 3,
	    PKT_FIN | PKT_ACK | PKT_ECE | PKT_CWR, 1024, false, "bye", 3 },
	  3333, bidi, sizeof(bidi) - 1, PKT_OUT, 2,
	  "pid=3333 dir=out segs=2 comm=\xc3\xa9t\\xe2\\x80\\xae\\\\", 2 },
	{ { AF_INET6, "2001:db8::2", "fd00::1", 50000, 443, 4, 0xfffffffe, PKT_RST, 0, false },
	  11110, "x", 1, PKT_IN, 3, "pid=11110 dir=in comm=x" },
	{ { AF_INET, "10.0.2.15", "1.1.1.1", 48448, 80, 615672419, 1810787201, PKT_ACK | PKT_URG,
	    502, false, "u", 1 },
	  1111, "curl", 4, PKT_OUT, 1, "pid=1111 dir=out comm=curl" },
};

#define N_RECS (sizeof(recs) / sizeof(recs[0]))

static uint8_t pkt[2048];

static char *tmp_path(void)
{
	static char path[64];

	strcpy(path, "/tmp/sockscope-pcapng-XXXXXX");
	close(mkstemp(path));
	return path;
}

static struct pkt_meta meta_of(const struct rec *r, size_t i)
{
	return (struct pkt_meta){ .wall_ns = WALL_NS + i * 1000000007ull, .dir = r->dir,
				  .pid = r->pid, .comm = r->comm, .comm_len = r->comm_len,
				  .ifindex = r->ifindex, .netns = 4026531840u, .segs = r->segs };
}

/* Writes recs[0..n) to path with snaplen, appl and the interface names of ifname. */
static void write_recs_as(const char *path, size_t n, uint32_t snaplen, const char *appl,
			  pcapng_ifname_fn ifname)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	struct pcapng_w *w = pcapng_open(fd, snaplen, appl, ifname, NULL);

	assert_non_null(w);
	for (size_t i = 0; i < n; i++) {
		struct pkt_meta m = meta_of(&recs[i], i);
		size_t len = gen_tcp(pkt, &recs[i].g);

		assert_int_equal(pcapng_packet(w, &m, pkt, (uint32_t)len, (uint32_t)len), 0);
	}
	assert_int_equal(pcapng_close(w), 0);
	close(fd);
}

/* Writes recs[0..n) to path with snaplen, as the tests of the file's structure want it. */
static void write_recs(const char *path, size_t n, uint32_t snaplen)
{
	write_recs_as(path, n, snaplen, "sockscope test", NULL);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	uint8_t *b = malloc(1 << 20);

	assert_non_null(f);
	*len = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

static uint32_t u32_at(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4);
	return v;
}

static uint16_t u16_at(const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, 2);
	return v;
}

/* Offsets where blocks end; checks each block's framing. Returns how many. */
static size_t block_ends(const uint8_t *b, size_t len, size_t *ends, uint32_t *types)
{
	size_t off = 0, n = 0;

	while (off < len) {
		uint32_t total = u32_at(b + off + 4);

		assert_true(total % 4 == 0 && total >= 12 && off + total <= len);
		assert_int_equal(u32_at(b + off + total - 4), total);
		types[n] = u32_at(b + off);
		off += total;
		ends[n++] = off;
	}
	return n;
}

/* The option value of code in the options between b and end, or NULL. */
static const uint8_t *option(const uint8_t *b, const uint8_t *end, uint16_t code, uint16_t *len)
{
	while (b + 4 <= end && u16_at(b)) {
		*len = u16_at(b + 2);
		if (u16_at(b) == code)
			return b + 4;
		b += 4 + ((*len + 3u) & ~3u);
	}
	return NULL;
}

static void check_idb(const uint8_t *b, uint32_t snaplen)
{
	uint16_t len;
	const uint8_t *res = option(b + 16, b + u32_at(b + 4) - 4, 9, &len);

	assert_int_equal(u16_at(b + 8), 276);
	assert_int_equal(u32_at(b + 12), 20 + snaplen);
	assert_non_null(res);
	assert_int_equal(len, 1);
	assert_int_equal(*res, 9);
}

static void check_epb(const uint8_t *b, size_t i, uint32_t snaplen, uint32_t idb)
{
	const struct rec *r = &recs[i];
	size_t len = gen_tcp(pkt, &r->g), cap = len < snaplen ? len : snaplen;
	uint64_t ts = (uint64_t)u32_at(b + 12) << 32 | u32_at(b + 16);
	const uint8_t *sll = b + 28, *opts = b + 28 + ((20 + cap + 3) & ~3u);
	uint16_t clen;
	const uint8_t *comment = option(opts, b + u32_at(b + 4) - 4, 1, &clen);

	assert_int_equal(u32_at(b + 8), idb);
	assert_int_equal(ts, WALL_NS + i * 1000000007ull);
	assert_int_equal(u32_at(b + 20), 20 + cap);
	assert_int_equal(u32_at(b + 24), 20 + len);
	assert_int_equal(sll[0] << 8 | sll[1], r->g.family == AF_INET ? 0x0800 : 0x86dd);
	assert_int_equal(sll[4] << 24 | sll[5] << 16 | sll[6] << 8 | sll[7], r->ifindex);
	assert_int_equal(sll[10], r->dir == PKT_OUT ? 4 : 0);
	assert_memory_equal(sll + 20, pkt, cap);
	assert_non_null(comment);
	assert_int_equal(clen, strlen(r->comment));
	assert_memory_equal(comment, r->comment, clen);
}

/* SHB first, one IDB per interface before its first packet, an EPB per packet, cut to snaplen. */
static void test_layout(void **state)
{
	char *path = tmp_path();
	size_t len, ends[64], n, start = 0, epb = 0;
	uint32_t types[64] = { 0 }, idbs = 0, ifs[8];
	uint8_t *b;

	(void)state;
	write_recs(path, N_RECS, 40);
	b = slurp(path, &len);
	n = block_ends(b, len, ends, types);
	assert_int_equal(types[0], 0x0A0D0D0A);
	assert_int_equal(u32_at(b + 8), 0x1A2B3C4D);
	assert_int_equal(u16_at(b + 12), 1);
	for (size_t k = 1; k < n; start = ends[k++]) {
		uint32_t id = 0;

		if (types[k] == 1) {
			check_idb(b + ends[k - 1], 40);
			ifs[idbs++] = recs[epb].ifindex; /* written for the packet after it */
			continue;
		}
		assert_int_equal(types[k], 6);
		while (ifs[id] != recs[epb].ifindex)
			assert_true(++id < idbs);
		check_epb(b + ends[k - 1], epb++, 40, id);
	}
	assert_int_equal(epb, N_RECS);
	assert_int_equal(idbs, 3);
	assert_int_equal(start, len);
	free(b);
	unlink(path);
}

static char *tshark(const char *path, const char *args, int *rc, char **err)
{
	char cmd[512], *out;

	snprintf(cmd, sizeof(cmd), "tshark -r %s %s", path, args);
	*rc = witness_run(cmd, &out, err);
	return out;
}

/* The packet's row of -e comment, seq_raw, ack_raw, flags, window, len, checksum, direction,
 * time, sll.ifindex, as tshark must print it. */
static void expected_row(char *row, size_t len, size_t i)
{
	const struct rec *r = &recs[i];
	uint64_t ns = WALL_NS + i * 1000000007ull;

	snprintf(row, len, "%s\t%u\t%u\t0x%04x\t%u\t%zu\t1\t0x%08x\t%llu.%09llu\t%u\n", r->comment,
		 r->g.seq, r->g.ack, r->g.flags, r->g.win, r->g.plen, r->dir == PKT_OUT ? 2 : 1,
		 (unsigned long long)(ns / 1000000000), (unsigned long long)(ns % 1000000000),
		 r->ifindex);
}

static void test_tshark_reads_every_field(void **state)
{
	char *path = tmp_path(), *out, *err, want[16384] = "", row[512];
	int rc;

	(void)state;
	if (!witness_have("tshark"))
		skip();
	write_recs(path, N_RECS, PCAPNG_SNAPLEN_MAX);
	out = tshark(path, "-o tcp.check_checksum:TRUE -T fields -e frame.comment -e tcp.seq_raw "
			   "-e tcp.ack_raw -e tcp.flags -e tcp.window_size_value -e tcp.len "
			   "-e tcp.checksum.status -e frame.packet_flags_direction "
			   "-e frame.time_epoch -e sll.ifindex", &rc, &err);
	assert_string_equal(err, "");
	assert_int_equal(rc, 0);
	for (size_t i = 0; i < N_RECS; i++) {
		expected_row(row, sizeof(row), i);
		strcat(want, row);
	}
	assert_string_equal(out, want);
	free(out);
	free(err);
	unlink(path);
}

/* The frame numbers tshark's filter selects, as "1 3 6 ". */
static void selected(const char *path, const char *needle, char *got, size_t len)
{
	char args[256], *out, *err, *l, *save;
	int rc;

	snprintf(args, sizeof(args), "-Y 'frame.comment contains \"%s\"' -T fields -e frame.number",
		 needle);
	out = tshark(path, args, &rc, &err);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
	got[0] = '\0';
	for (l = strtok_r(out, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		snprintf(got + strlen(got), len - strlen(got), "%s ", l);
	free(out);
	free(err);
}

/* pid=1111's packets, not 2222's whose name says "pid=1111 ", nor 11110's (with the space). */
static void test_tshark_selects_one_process(void **state)
{
	static const uint32_t pids[] = { 1111, 2222, 3333, 11110 };
	char *path = tmp_path(), got[128], want[128], needle[32];

	(void)state;
	if (!witness_have("tshark"))
		skip();
	write_recs(path, N_RECS, PCAPNG_SNAPLEN_MAX);
	for (size_t p = 0; p < sizeof(pids) / sizeof(pids[0]); p++) {
		want[0] = '\0';
		for (size_t i = 0; i < N_RECS; i++)
			if (recs[i].pid == pids[p])
				snprintf(want + strlen(want), sizeof(want) - strlen(want), "%zu ", i + 1);
		snprintf(needle, sizeof(needle), "pid=%u ", pids[p]);
		selected(path, needle, got, sizeof(got));
		assert_string_equal(got, want);
	}
	selected(path, "pid=2222", got, sizeof(got)); /* no later pid starts with 2222 */
	assert_string_equal(got, "3 ");
	unlink(path);
}

/* Writes the first len bytes of b to path. */
static void write_prefix(const char *path, const uint8_t *b, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
}

static size_t frames_read(const char *path, int *rc, char **err)
{
	char *out = tshark(path, "-T fields -e frame.number", rc, err);
	size_t n = 0;

	for (const char *c = out; *c; c++)
		n += *c == '\n';
	free(out);
	return n;
}

/*
 * A capture cut at a block boundary (what a writer that only writes whole blocks leaves) reads
 * cleanly with every packet before the cut; one cut mid-block, by anything else, still reads
 * without a crash up to its last whole block.
 */
static void test_tshark_reads_cut_captures(void **state)
{
	char *path = tmp_path(), cut[64];
	size_t len, ends[64], n, epbs = 0;
	uint32_t types[64] = { 0 };
	uint8_t *b;
	char *err;
	int rc;

	(void)state;
	if (!witness_have("tshark"))
		skip();
	write_recs(path, 4, PCAPNG_SNAPLEN_MAX);
	b = slurp(path, &len);
	n = block_ends(b, len, ends, types);
	snprintf(cut, sizeof(cut), "%s.cut", path);
	for (size_t k = 1; k < n; k++) {
		size_t mid = ends[k - 1] + (ends[k] - ends[k - 1]) / 2;

		write_prefix(cut, b, mid);
		assert_int_equal(frames_read(cut, &rc, &err), epbs);
		assert_true(rc < 128); /* an error, not a crash */
		free(err);
		epbs += types[k] == 6;
		write_prefix(cut, b, ends[k]);
		assert_int_equal(frames_read(cut, &rc, &err), epbs);
		assert_string_equal(err, "");
		assert_int_equal(rc, 0);
		free(err);
	}
	assert_int_equal(epbs, 4);
	unlink(cut);
	unlink(path);
	free(b);
}

/* In a child limited to limit bytes of file: writes recs, flushing after each, and exits 0
 * when the write that crossed the limit was reported as EFBIG. */
static void write_limited(const char *path, size_t limit)
{
	struct rlimit rl = { .rlim_cur = limit, .rlim_max = limit };
	int fd, err = 0;
	struct pcapng_w *w;

	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) || (fd = open(path, O_WRONLY | O_TRUNC)) < 0)
		_exit(2);
	w = pcapng_open(fd, PCAPNG_SNAPLEN_MAX, "sockscope test", NULL, NULL);
	for (size_t i = 0; w && i < N_RECS && !err; i++) {
		struct pkt_meta m = meta_of(&recs[i], i);
		size_t len = gen_tcp(pkt, &recs[i].g);

		err = pcapng_packet(w, &m, pkt, (uint32_t)len, (uint32_t)len);
		if (!err)
			err = pcapng_flush(w);
	}
	if (w && pcapng_packet(w, &(struct pkt_meta){ 0 }, pkt, 40, 40) != err)
		_exit(3); /* the error sticks */
	_exit(err == -EFBIG ? 0 : 1);
}

/* A disk that fills up mid-block: the file is cut back to its last whole block. */
static void test_full_disk_leaves_whole_blocks(void **state)
{
	char *path = tmp_path();
	size_t len, ends[64], n, whole = 0, frames = 0;
	uint32_t types[64] = { 0 };
	uint8_t *b;
	struct stat st;
	int status, rc;
	char *err;
	pid_t child;

	(void)state;
	write_recs(path, N_RECS, PCAPNG_SNAPLEN_MAX);
	b = slurp(path, &len);
	n = block_ends(b, len, ends, types);
	free(b);
	for (size_t k = 0; k < n && ends[k] <= ends[5] - 10; k++)
		if (types[k] != 1) /* an IDB goes out with its first packet */
			whole = ends[k], frames += types[k] == 6;
	child = fork();
	if (!child)
		write_limited(path, ends[5] - 10);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, whole);
	if (witness_have("tshark")) {
		assert_int_equal(frames_read(path, &rc, &err), frames);
		assert_string_equal(err, "");
		assert_int_equal(rc, 0);
		free(err);
	}
	unlink(path);
}

static void test_open_errors(void **state)
{
	int fd = open("/dev/full", O_WRONLY);

	(void)state;
	assert_null(pcapng_open(1, 0, NULL, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(pcapng_open(1, PCAPNG_SNAPLEN_MAX + 1, NULL, NULL, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(pcapng_open(fd, 96, NULL, NULL, NULL)); /* the SHB is written at once */
	assert_int_equal(errno, ENOSPC);
	close(fd);
}

/* Interface names come from the caller, and are escaped like any name. */
static const char *name_if(void *ctx, uint32_t netns, uint32_t ifindex, char *buf, size_t len)
{
	(void)ctx, (void)netns;
	snprintf(buf, len, "%s", ifindex == 1 ? "lo" : "ev il\x1b");
	return ifindex == 3 ? NULL : buf;
}

static void test_interface_names(void **state)
{
	char *path = tmp_path(), *out, *err;
	int rc;

	(void)state;
	write_recs_as(path, N_RECS, 128, NULL, name_if);
	if (!witness_have("tshark"))
		skip();
	out = tshark(path, "-T fields -e frame.interface_name", &rc, &err);
	assert_string_equal(err, "");
	assert_string_equal(out, "lo\nlo\nev\\x20il\\x1b\nev\\x20il\\x1b\n"
				 "ifindex 3 netns 4026531840\nlo\n");
	free(out);
	free(err);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_tshark_reads_every_field),
		cmocka_unit_test(test_tshark_selects_one_process),
		cmocka_unit_test(test_tshark_reads_cut_captures),
		cmocka_unit_test(test_full_disk_leaves_whole_blocks),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_interface_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
