// SPDX-License-Identifier: GPL-2.0
/* Per-connection initial sequence numbers for relative seq and ack: see isn.h. */
#include "core/isn.h"

#include <errno.h>
#include <string.h>

struct isn_key {
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
	uint32_t family;
};

struct isn_ent {
	struct isn_key key;
	uint32_t local, remote;
	bool have_local, have_remote;
};

int isn_init(struct isn_table *t, size_t max)
{
	t->max = max ? max : 1;
	return htab_init(&t->conns, sizeof(struct isn_key), sizeof(struct isn_ent)) ? -ENOMEM : 0;
}

void isn_free(struct isn_table *t)
{
	htab_free(&t->conns);
}

static void key_of(struct isn_key *k, const struct pkt_tcp *p, enum pkt_dir dir)
{
	bool out = dir == PKT_OUT;

	memset(k, 0, sizeof(*k));
	memcpy(k->laddr, out ? p->saddr : p->daddr, 16);
	memcpy(k->raddr, out ? p->daddr : p->saddr, 16);
	k->lport = out ? p->sport : p->dport;
	k->rport = out ? p->dport : p->sport;
	k->family = (uint32_t)p->family;
}

/* The sender's ISN from its SYN, or from its first packet; the receiver's from its first ACK. */
static void learn(struct isn_ent *e, const struct pkt_tcp *p, enum pkt_dir dir)
{
	bool out = dir == PKT_OUT;
	uint32_t *sender = out ? &e->local : &e->remote, *receiver = out ? &e->remote : &e->local;
	bool *have_sender = out ? &e->have_local : &e->have_remote;
	bool *have_receiver = out ? &e->have_remote : &e->have_local;

	if ((p->flags & (PKT_SYN | PKT_ACK)) == PKT_SYN) { /* maybe a new connection, old 4-tuple */
		*receiver = 0;
		*have_receiver = false;
	}
	if (p->flags & PKT_SYN || !*have_sender) {
		*sender = p->flags & PKT_SYN ? p->seq : p->seq - 1;
		*have_sender = true;
	}
	if (p->flags & PKT_ACK && !*have_receiver) {
		*receiver = p->ack - 1;
		*have_receiver = true;
	}
}

void isn_learn(struct isn_table *t, const struct pkt_tcp *p, struct pkt_meta *m)
{
	struct isn_key k;
	struct isn_ent *e;
	bool created;

	key_of(&k, p, m->dir);
	if (t->conns.len >= t->max && !htab_find(&t->conns, &k))
		htab_clear(&t->conns);
	e = htab_get(&t->conns, &k, &created);
	m->isn_known = e != NULL;
	if (!e)
		return;
	learn(e, p, m->dir);
	m->isn_local = e->local; /* 0 while unknown: a SYN's ack, meaningless, shows as is */
	m->isn_remote = e->remote;
}
