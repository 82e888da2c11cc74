/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conns' table: the iterator that reads every TCP socket held by a process, and the final
 * record of each socket as it is destroyed (for -a, and for one last refresh otherwise).
 * Included by conns.bpf.c.
 */


static __always_inline void fill_row(struct sock *sk, __u64 id, struct ss_conn_row *r)
{
	struct ss_tcp_info *i = bpf_map_lookup_elem(&infos, &id);

	r->sock_id = id;
	read_tcp_internals(sk, r);
	addrs_of(sk, i, &r->a);
	if (!i)
		return;
	r->first_ns = i->first_ns;
	r->role = i->role;
	r->age_known = i->age_known;
	r->retrans[0] = i->retrans[0];
	r->retrans[1] = i->retrans[1];
	r->retrans[2] = i->retrans[2];
	r->resets_sent = i->resets_sent;
	r->resets_received = i->resets_received;
}

static __always_inline bool row_selected(const struct ss_conn_row *r)
{
	return pid_selected(r->pid) && sock_selected(&r->a) && task_selected(r->pid, (char *)r->comm);
}

/* Every open file of every process: TCP sockets become rows, and their owner is learnt. */
SEC("iter/task_file")
int conn_iter(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct ss_conn_row r = {};
	struct ss_tcp_info *i;
	struct socket *sock;
	struct sock *sk;

	/* threads share their leader's files: visit each process once */
	if (!task || !file || task->pid != task->tgid)
		return 0;
	sock = bpf_sock_from_file(file);
	sk = sock ? sock->sk : NULL;
	if (!sk || !is_tcp(sk))
		return 0;
	r.pid = task->tgid;
	BPF_CORE_READ_STR_INTO(&r.comm, task, comm);
	/*
	 * sock->sk is a pointer walked from a helper's result, which the verifier need not trust:
	 * 6.18 marks it untrusted and refuses it to any helper that takes a socket (such as
	 * bpf_get_socket_cookie). Loads through it are allowed on every kernel, so the iterator
	 * only reads: the cookie when one exists, else the address, as untyped hooks do.
	 */
	r.sock_id = sock_id(sk, false);
	i = info_of(r.sock_id, true);
	if (i && !i->owner) {
		i->owner = r.pid;
		__builtin_memcpy(i->comm, r.comm, sizeof(i->comm));
	}
	fill_row(sk, r.sock_id, &r);
	if (i && r.a.lport)
		i->a = r.a;
	if (i)
		note_owner(i);
	if (row_selected(&r))
		bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}

/* A connection's smoothed RTT when it closes, into its owner's histogram. */
static __always_inline void observe_srtt(__u32 owner, __u32 srtt_us)
{
	static const __u32 bounds[SS_SRTT_BUCKETS] = SS_SRTT_BOUNDS_US;
	__u16 b = SS_SRTT_BUCKETS;

	for (int k = 0; k < SS_SRTT_BUCKETS; k++) {
		if (srtt_us <= bounds[k]) {
			b = k;
			break;
		}
	}
	bump(owner, SS_TT_SRTT, b, 1);
	bump(owner, SS_TT_SRTT_SUM, 0, srtt_us);
}

/* The socket's last moment: its final numbers, then its info is forgotten. */
static __always_inline int on_destroy(struct sock *sk, bool typed)
{
	struct ss_conn_row r = {};
	struct ss_tcp_info *i;
	struct ss_conn_stats *st;

	if (!is_tcp(sk))
		return 0;
	r.sock_id = sock_id(sk, typed);
	i = bpf_map_lookup_elem(&infos, &r.sock_id);
	if (i && want_totals)
		bpf_map_delete_elem(&owners, &i->a);
	if (!i || !i->owner)
		goto out; /* never owned by a process we could name */
	r.pid = i->owner;
	__builtin_memcpy(r.comm, i->comm, sizeof(r.comm));
	fill_row(sk, r.sock_id, &r);
	r.closed = 1;
	if (i->role == SS_ROLE_CLIENT || i->role == SS_ROLE_SERVER) {
		bump(i->owner, SS_TT_CLOSED, 0, 1);
		observe_srtt(i->owner, r.srtt_us);
	}
	if (row_selected(&r) && bpf_ringbuf_output(&finals, &r, sizeof(r), 0) && (st = stats()))
		__sync_fetch_and_add(&st->final_drops, 1);
out:
	bpf_map_delete_elem(&infos, &r.sock_id);
	/* the iterator may have known it by address before a hook gave it a cookie */
	r.sock_id = (__u64)sk;
	bpf_map_delete_elem(&infos, &r.sock_id);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(conn_destroy_btf, struct sock *sk)
{
	return on_destroy(sk, true);
}

SEC("raw_tp/tcp_destroy_sock")
int BPF_PROG(conn_destroy_raw, struct sock *sk)
{
	return on_destroy(sk, false);
}
