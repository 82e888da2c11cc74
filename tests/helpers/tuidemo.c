// SPDX-License-Identifier: GPL-2.0
/*
 * tuidemo: the interactive screen (src/tui) fed with synthetic rows, so that tests can drive
 * the real ncurses screen in tmux without root or BPF.
 *
 *   tuidemo [-i MS] [-c] [-f FIFO] FILE
 *
 * FILE is read again at every sample; each line is one row of totals, multiplied by the
 * number of the sample, and the model's clock moves one interval per sample, so that every
 * row has a steady rate of exactly its numbers per interval:
 *   P PID USER COMM SENT RECV CALLS
 *   C ID PID tcp|udp LADDR LPORT RADDR RPORT ROLE STATE SENT RECV CWND SRTT_US RETRANS COMM
 *   L LOST HOOKS
 * COMM and USER take %XX escapes, for hostile names; USER "-" asks tui_user_name, and PID
 * "self" is tuidemo's own. -c opens the connection table (conns) instead
 * of the process table (top). -f serves FIFO as a command serves its ring buffer (the
 * screen's fd and ready callback): the header's hooks then say how many bytes it read. On exit it
 * prints "tuidemo: done after N samples" to the normal screen, as top prints its summary.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "writers/table.h"
#include "tui/model.h"
#include "tui/screen.h"
#include "tui/user.h"

#define MAX_ROWS 256

struct demo {
	const char *path, *command;
	unsigned samples;
	int fd;
	uint64_t clock_ns; /* one interval per sample, so rates are the file's numbers exactly */
	char hooks[64], fifo_note[32];
	unsigned long long fifo_bytes;
	struct tui_proc_in procs[MAX_ROWS];
	struct tui_conn_in conns[MAX_ROWS];
	size_t nprocs, nconns;
};

/* %XX escapes into raw bytes, at most n (no NUL needed, as the kernel's comm). */
static void decode(char *dst, size_t n, const char *s)
{
	size_t o = 0;
	unsigned v;

	memset(dst, 0, n);
	for (; *s && o < n; o++) {
		if (s[0] == '%' && sscanf(s + 1, "%2x", &v) == 1) {
			dst[o] = (char)v;
			s += 3;
		} else {
			dst[o] = *s++;
		}
	}
}

static int addr(struct tui_conn_in *c, const char *l, const char *r)
{
	c->family = strchr(l, ':') ? AF_INET6 : AF_INET;
	return inet_pton(c->family, l, c->laddr) == 1 && inet_pton(c->family, r, c->raddr) == 1
		   ? 0
		   : -1;
}

static void proc_line(struct demo *d, const char *line, uint64_t k)
{
	struct tui_proc_in *p = &d->procs[d->nprocs];
	char pid[16], user[64], comm[256];
	unsigned long long s, r, c;

	memset(p, 0, sizeof(*p));
	if (d->nprocs == MAX_ROWS ||
	    sscanf(line, "P %15s %63s %255s %llu %llu %llu", pid, user, comm, &s, &r, &c) != 6)
		return;
	p->pid = strcmp(pid, "self") ? (uint32_t)atoi(pid) : (uint32_t)getpid();
	if (!strcmp(user, "-"))
		tui_user_name(p->pid, user, sizeof(user));
	decode(p->user, sizeof(p->user), user);
	decode(p->comm, sizeof(p->comm), comm);
	p->nprocs = 1;
	p->sent = s * k;
	p->recv = r * k;
	p->calls = c * k;
	d->nprocs++;
}

static void conn_line(struct demo *d, const char *line, uint64_t k)
{
	static char roles[MAX_ROWS][16], states[MAX_ROWS][16];
	struct tui_conn_in *c = &d->conns[d->nconns];
	char proto[8], l[64], r[64], comm[256];
	unsigned long long id, s, rv;
	unsigned lp, rp;

	memset(c, 0, sizeof(*c));
	if (d->nconns == MAX_ROWS ||
	    sscanf(line, "C %llu %u %7s %63s %u %63s %u %15s %15s %llu %llu %u %u %u %255s", &id,
		   &c->pid, proto, l, &lp, r, &rp, roles[d->nconns], states[d->nconns], &s, &rv,
		   &c->cwnd, &c->srtt_us, &c->retrans, comm) != 15 ||
	    addr(c, l, r))
		return;
	c->id = id;
	c->proto = strcmp(proto, "udp") ? IPPROTO_TCP : IPPROTO_UDP;
	c->has_tcp = c->proto == IPPROTO_TCP;
	c->lport = (uint16_t)lp;
	c->rport = (uint16_t)rp;
	c->role = roles[d->nconns];
	c->state = states[d->nconns];
	c->sent = s * k;
	c->recv = rv * k;
	decode(c->comm, sizeof(c->comm), comm);
	d->nconns++;
}

static int read_rows(struct demo *d, struct tui_status *st)
{
	FILE *f = fopen(d->path, "r");
	char line[1024];

	if (!f)
		return 1;
	d->nprocs = d->nconns = 0;
	d->samples++;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lost;

		if (line[0] == 'P')
			proc_line(d, line, d->samples);
		else if (line[0] == 'C')
			conn_line(d, line, d->samples);
		else if (sscanf(line, "L %llu %63s", &lost, d->hooks) == 2)
			st->lost = lost;
	}
	fclose(f);
	st->hooks = d->fifo_note[0] ? d->fifo_note : d->hooks[0] ? d->hooks : NULL;
	st->command = d->command;
	return 0;
}

static int sample(void *ctx, struct tui_model *m, struct tui_status *st, uint64_t now_ns)
{
	struct demo *d = ctx;

	(void)now_ns;
	if (read_rows(d, st))
		return 1;
	d->clock_ns += (uint64_t)m->interval_ms * 1000000;
	if (tui_feed_procs(m, d->procs, d->nprocs, d->clock_ns))
		return 1;
	if (tui_wants_conns(m) && tui_feed_conns(m, d->conns, d->nconns, d->clock_ns))
		return 1;
	return 0;
}

/* Takes what was written to the FIFO, as a command consumes its ring buffer. */
static void fifo_ready(void *ctx)
{
	struct demo *d = ctx;
	char buf[256];
	ssize_t n;

	while ((n = read(d->fd, buf, sizeof(buf))) > 0)
		d->fifo_bytes += (unsigned long long)n;
	snprintf(d->fifo_note, sizeof(d->fifo_note), "fifo:%llu", d->fifo_bytes);
}

static int open_fifo(struct demo *d, struct tui_source *src, const char *path)
{
	d->fd = open(path, O_RDWR | O_NONBLOCK); /* RDWR: no end of file when a writer leaves */
	if (d->fd < 0)
		return -1;
	snprintf(d->fifo_note, sizeof(d->fifo_note), "fifo:0");
	src->fd = d->fd;
	src->ready = fifo_ready;
	return 0;
}

int main(int argc, char **argv)
{
	static struct demo d;
	struct tui_source src = { .ctx = &d, .sample = sample };
	struct tui_model m;
	int opt, interval = 1000, rc;
	bool conns = false;

	while ((opt = getopt(argc, argv, "i:cf:")) != -1) {
		if (opt == 'i')
			interval = atoi(optarg);
		else if (opt == 'c')
			conns = true;
		else if (opt != 'f' || open_fifo(&d, &src, optarg))
			return 2;
	}
	if (optind != argc - 1)
		return 2;
	d.path = argv[optind];
	d.command = conns ? "conns" : "top";
	table_init_locale();
	tui_model_init(&m, conns ? TUI_CONNS : TUI_PROCS, interval, table_utf8());
	rc = tui_run(&m, &src);
	tui_model_free(&m);
	printf("tuidemo: done after %u samples (rc %d)\n", d.samples, rc);
	return rc ? 1 : 0;
}
