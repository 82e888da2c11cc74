// SPDX-License-Identifier: GPL-2.0
/* pcapng writer: see pcapng.h and the IETF draft draft-ietf-opsawg-pcapng. */
#include "writers/pcapng.h"
#include "writers/escape.h"
#include "core/htab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BT_SHB 0x0A0D0D0A
#define BT_IDB 0x00000001
#define BT_EPB 0x00000006

#define OPT_END	       0
#define OPT_COMMENT    1
#define SHB_USERAPPL   4
#define IF_NAME	       2
#define IF_DESCRIPTION 3
#define IF_TSRESOL     9
#define EPB_FLAGS      2

#define EPB_FLAG_IN  0x1
#define EPB_FLAG_OUT 0x2

#define SLL2_HLEN    20
#define ARPHRD_NONE  0xfffe /* no link-layer header: what cgroup_skb sees */
#define PACKET_HOST  0
#define PACKET_OUTGOING 4

#define PAD4(n)	     (((n) + 3u) & ~3u)
#define COMMENT_MAX  128 /* "pid=4294967295 dir=out segs=4294967295 comm=", 16 bytes escaped */
#define EPB_MAX(cap) (28 + PAD4(SLL2_HLEN + (cap)) + 4 + COMMENT_MAX + 8 + 4 + 4)
#define IDB_MAX      (16 + 4 + 68 + 4 + 64 + 8 + 4 + 4) /* name and description at most 64 */
#define BUF_MIN	     (64 * 1024)

struct if_key {
	uint32_t netns, ifindex;
};

struct if_ent {
	struct if_key key;
	uint32_t id;
};

struct pcapng_w {
	int fd;
	int err;	 /* sticky: the first write error, negative */
	uint32_t snaplen;
	uint8_t *buf;	 /* whole blocks not yet written */
	size_t len, cap;
	off_t written;	 /* bytes in the file: always a block boundary */
	struct htab ifs; /* (netns, ifindex) -> IDB number */
	uint32_t n_ifs;
	struct if_ent last; /* most packets come on the interface before them */
	pcapng_ifname_fn ifname;
	void *ctx;
};

static const uint8_t zeros[4];

static void put(struct pcapng_w *w, const void *p, size_t n)
{
	if (!n) /* opt_endofopt has no value, and memcpy from NULL is undefined even for 0 */
		return;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void put32(struct pcapng_w *w, uint32_t v)
{
	put(w, &v, 4);
}

static void put16(struct pcapng_w *w, uint16_t v)
{
	put(w, &v, 2);
}

/* An option: code, length, value padded with zeros to 4 bytes. */
static void put_opt(struct pcapng_w *w, uint16_t code, const void *val, size_t n)
{
	put16(w, code);
	put16(w, (uint16_t)n);
	put(w, val, n);
	put(w, zeros, PAD4(n) - n);
}

static size_t begin_block(struct pcapng_w *w, uint32_t type)
{
	size_t start = w->len;

	put32(w, type);
	put32(w, 0); /* the length, known at the end */
	return start;
}

/* Closes options and the block: the length goes at both ends, so readers can walk back. */
static void end_block(struct pcapng_w *w, size_t start)
{
	uint32_t total;

	put_opt(w, OPT_END, NULL, 0);
	total = (uint32_t)(w->len - start + 4);
	memcpy(w->buf + start + 4, &total, 4);
	put32(w, total);
}

static int write_all(int fd, const uint8_t *b, size_t n, size_t *done)
{
	*done = 0;
	while (*done < n) {
		ssize_t r = write(fd, b + *done, n - *done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		*done += (size_t)r;
	}
	return 0;
}

int pcapng_flush(struct pcapng_w *w)
{
	size_t done;
	int err;

	if (w->err || !w->len)
		return w->err;
	err = write_all(w->fd, w->buf, w->len, &done);
	if (err) {
		w->err = err;
		/* a disk that filled up mid-block: cut the file back to its last whole block */
		if (done && w->written >= 0 && ftruncate(w->fd, w->written) == 0)
			lseek(w->fd, w->written, SEEK_SET);
		return err;
	}
	if (w->written >= 0)
		w->written += (off_t)done;
	w->len = 0;
	return 0;
}

/* Makes room for a block of up to n bytes; the buffer always holds the largest block. */
static int room(struct pcapng_w *w, size_t n)
{
	return w->len + n > w->cap ? pcapng_flush(w) : w->err;
}

static void write_shb(struct pcapng_w *w, const char *appl)
{
	size_t start = begin_block(w, BT_SHB);
	int64_t unknown_length = -1; /* the section's length: not known while writing */

	put32(w, 0x1A2B3C4D); /* byte-order magic: readers learn our endianness from it */
	put16(w, 1);
	put16(w, 0);
	put(w, &unknown_length, 8);
	if (appl)
		put_opt(w, SHB_USERAPPL, appl, strnlen(appl, 256));
	end_block(w, start);
}

static void write_idb(struct pcapng_w *w, const struct if_key *k)
{
	char name[64], esc[64], desc[64];
	const char *nm = w->ifname ? w->ifname(w->ctx, k->netns, k->ifindex, name, sizeof(name)) : NULL;
	uint8_t tsresol = 9; /* 10^-9 s: the kernel's nanoseconds, kept whole */
	size_t start = begin_block(w, BT_IDB);

	put16(w, PCAPNG_LINKTYPE);
	put16(w, 0);
	put32(w, SLL2_HLEN + w->snaplen);
	if (nm) { /* names from another namespace are someone else's: UTF-8 and escaped */
		esc_token(esc, sizeof(esc), nm, strnlen(nm, sizeof(name)), true);
		put_opt(w, IF_NAME, esc, strlen(esc));
	}
	snprintf(desc, sizeof(desc), "ifindex %u netns %u", k->ifindex, k->netns);
	put_opt(w, IF_DESCRIPTION, desc, strlen(desc));
	put_opt(w, IF_TSRESOL, &tsresol, 1);
	end_block(w, start);
}

/* The IDB number of m's interface, writing the IDB on its first packet. */
static int if_id(struct pcapng_w *w, const struct pkt_meta *m, uint32_t *id)
{
	struct if_key k = { .netns = m->netns, .ifindex = m->ifindex };
	struct if_ent *e;
	bool created;
	int err;

	if (w->n_ifs && !memcmp(&k, &w->last.key, sizeof(k))) {
		*id = w->last.id;
		return 0;
	}
	if ((err = room(w, IDB_MAX)))
		return err;
	e = htab_get(&w->ifs, &k, &created);
	if (!e)
		return -ENOMEM;
	if (created) {
		e->id = w->n_ifs++;
		write_idb(w, &k);
	}
	w->last = *e;
	*id = e->id;
	return 0;
}

static void put_be16(struct pcapng_w *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(w, b, 2);
}

/* The pseudo link-layer header tcpdump -i any writes: protocol, ifindex, direction. */
static void put_sll2(struct pcapng_w *w, const struct pkt_meta *m, const uint8_t *ip, size_t len)
{
	uint8_t version = len ? ip[0] >> 4 : 0;

	put_be16(w, version == 4 ? 0x0800 : version == 6 ? 0x86dd : 0);
	put_be16(w, 0);
	put_be16(w, (uint16_t)(m->ifindex >> 16));
	put_be16(w, (uint16_t)m->ifindex);
	put_be16(w, ARPHRD_NONE);
	put(w, (uint8_t[]){ m->dir == PKT_OUT ? PACKET_OUTGOING : PACKET_HOST, 0 }, 2);
	put(w, zeros, 4);
	put(w, zeros, 4); /* no link-layer address */
}

static size_t comment_of(char *buf, size_t len, const struct pkt_meta *m)
{
	char name[4 * 16 + 1], segs[24] = "";
	int n;

	esc_token(name, sizeof(name), m->comm, m->comm ? name_len(m->comm, m->comm_len) : 0, true);
	if (m->segs > 1) /* a GSO/GRO super-packet: Wireshark shows it as one frame */
		snprintf(segs, sizeof(segs), " segs=%u", m->segs);
	n = snprintf(buf, len, "pid=%u dir=%s%s comm=%s", m->pid, m->dir == PKT_OUT ? "out" : "in",
		     segs, name);
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

int pcapng_packet(struct pcapng_w *w, const struct pkt_meta *m, const void *data, uint32_t caplen,
		  uint32_t wirelen)
{
	uint32_t id, flags = m->dir == PKT_OUT ? EPB_FLAG_OUT : EPB_FLAG_IN;
	char comment[COMMENT_MAX];
	size_t start, clen;
	int err;

	if (w->err)
		return w->err;
	if (caplen > w->snaplen)
		caplen = w->snaplen;
	if (wirelen < caplen)
		wirelen = caplen;
	if ((err = if_id(w, m, &id)) || (err = room(w, EPB_MAX(caplen))))
		return err;
	clen = comment_of(comment, sizeof(comment), m);
	start = begin_block(w, BT_EPB);
	put32(w, id);
	put32(w, (uint32_t)(m->wall_ns >> 32));
	put32(w, (uint32_t)m->wall_ns);
	put32(w, SLL2_HLEN + caplen);
	put32(w, SLL2_HLEN + wirelen);
	put_sll2(w, m, data, caplen);
	put(w, data, caplen);
	put(w, zeros, PAD4(caplen) - caplen); /* SLL2_HLEN is a multiple of 4 */
	put_opt(w, OPT_COMMENT, comment, clen);
	put_opt(w, EPB_FLAGS, &flags, 4);
	end_block(w, start);
	return 0;
}

static void destroy(struct pcapng_w *w)
{
	htab_free(&w->ifs);
	free(w->buf);
	free(w);
}

struct pcapng_w *pcapng_open(int fd, uint32_t snaplen, const char *appl, pcapng_ifname_fn ifname,
			     void *ctx)
{
	struct pcapng_w *w;
	int err;

	if (!snaplen || snaplen > PCAPNG_SNAPLEN_MAX) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->cap = BUF_MIN + EPB_MAX(snaplen) + IDB_MAX;
	w->buf = malloc(w->cap);
	if (!w->buf || htab_init(&w->ifs, sizeof(struct if_key), sizeof(struct if_ent))) {
		free(w->buf);
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	w->fd = fd;
	w->snaplen = snaplen;
	w->ifname = ifname;
	w->ctx = ctx;
	w->written = lseek(fd, 0, SEEK_CUR); /* -1 on a pipe: nothing to cut back there */
	write_shb(w, appl);
	if ((err = pcapng_flush(w))) {
		destroy(w);
		errno = -err;
		return NULL;
	}
	return w;
}

int pcapng_close(struct pcapng_w *w)
{
	int err;

	if (!w)
		return 0;
	err = pcapng_flush(w);
	destroy(w);
	return err;
}
