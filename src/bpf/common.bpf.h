/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers every kernel-side capability shares: the filter tunables and how they are tested,
 * and how a socket's addresses are read: with plain loads from BTF-typed contexts, with
 * BPF_CORE_READ's probe reads from raw tracepoint and kprobe ones (SK_READ).
 */
#ifndef SOCKSCOPE_COMMON_BPF_H
#define SOCKSCOPE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "../sockscope.h"

#define AF_INET	    2
#define AF_INET6    10
#define MSG_PEEK    0x2
#define MSG_ERRQUEUE 0x2000

#ifndef barrier
#define barrier() asm volatile("" ::: "memory")
#endif

const volatile struct ss_filter filt = {};

/* One bit per PID, set by user space after load: a filter test is one load, no lookup. */
__u64 pid_bits[SS_PID_WORDS];

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

static __always_inline bool pid_selected(__u32 tgid)
{
	if (!filt.pids)
		return true;
	return pid_bits[(tgid >> 6) & (SS_PID_WORDS - 1)] & (1ULL << (tgid & 63));
}

/*
 * The current process's name: its thread group leader's comm, as ps and top show it, not the
 * calling thread's (a worker thread may have renamed itself, as libmicrohttpd's do). Two probe
 * reads: callers take it only when they fill a record, never per call.
 */
static __always_inline void process_comm(char comm[SS_COMM_LEN])
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	if (bpf_core_read_str(comm, SS_COMM_LEN, &leader->comm) < 0)
		bpf_get_current_comm(comm, SS_COMM_LEN);
}

/*
 * Filters that depend on the current task but not on the socket: tested once per slot fill.
 * comm is the process's name (process_comm).
 */
static __always_inline bool task_selected(__u32 tgid, char comm[SS_COMM_LEN])
{
	if (tgid == filt.self_tgid)
		return false;
	if (filt.comm_on) {
		for (int i = 0; i < SS_COMM_LEN; i++) {
			if (comm[i] != filt.comm[i])
				return false;
			if (!comm[i])
				break;
		}
	}
	if (filt.cgroup_on && bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return false;
	return true;
}

/*
 * Takes what an entry hook left for its exit hook: copies the value out, then deletes it, so
 * that the thread's next call starts clean. The copy comes first because a deleted hash element
 * may be reused by another CPU's insert while we still read it. Both maps' values are 8-byte
 * aligned; saying so keeps the copy to word loads. size is a constant at every call site.
 */
static __always_inline bool take_entry(void *map, const void *key, void *out, __u32 size)
{
	void *e = bpf_map_lookup_elem(map, key);

	if (!e)
		return false;
	__builtin_memcpy(out, __builtin_assume_aligned(e, 8), size);
	bpf_map_delete_elem(map, key);
	return true;
}

static __always_inline bool is_v4_mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0xffff);
}

static __always_inline void v4_from_mapped(__u8 *a)
{
	__u32 *w = (__u32 *)a;

	w[0] = w[3];
	w[1] = w[2] = w[3] = 0;
}

/*
 * A field of a socket: a plain load when the pointer is typed (tp_btf and fentry arguments,
 * which the verifier turns into fault-safe loads), a probe read otherwise (raw_tp, kprobe).
 * A probe read is a helper call, about 15 ns here, and trace makes some ten per event.
 * `typed` is a constant at every call site, so only one branch is compiled.
 */
#define SK_READ(typed, sk, field) ((typed) ? (sk)->field : BPF_CORE_READ(sk, field))

/*
 * Which socket, for every capability alike: its cookie, created when nobody has yet where
 * the pointer is typed. Untyped contexts cannot create one; sockets made after start-up got
 * one from io's cgroup programs, older ones are known by their address (kernel addresses
 * have the top bit set, cookies never do, so the two cannot collide).
 */
static __always_inline __u64 sock_id(struct sock *sk, bool typed)
{
	__u64 id = SK_READ(typed, sk, __sk_common.skc_cookie.counter);

	if (id)
		return id;
	return typed ? bpf_get_socket_cookie(sk) : (__u64)sk;
}

/*
 * Reads family, ports and addresses of a socket into the record layout. An IPv6 socket whose
 * peer (or, unconnected, whose local address) is IPv4-mapped carries IPv4 on the wire, so it
 * is stored and filtered as IPv4.
 */
static __always_inline void read_sock_addrs(struct sock *sk, struct ss_addrs *r, bool typed)
{
	struct sock_common *c = &sk->__sk_common;
	__u16 family = SK_READ(typed, c, skc_family);

	r->lport = SK_READ(typed, c, skc_num);
	r->rport = bpf_ntohs(SK_READ(typed, c, skc_dport));
	r->family = family;
	if (family == AF_INET) {
		*(__u32 *)r->laddr = SK_READ(typed, c, skc_rcv_saddr);
		*(__u32 *)r->raddr = SK_READ(typed, c, skc_daddr);
		return;
	}
	if (typed) {
		__builtin_memcpy(r->laddr, &c->skc_v6_rcv_saddr, sizeof(r->laddr));
		__builtin_memcpy(r->raddr, &c->skc_v6_daddr, sizeof(r->raddr));
	} else {
		BPF_CORE_READ_INTO(&r->laddr, c, skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&r->raddr, c, skc_v6_daddr);
	}
	if (is_v4_mapped(r->raddr) || (is_v4_mapped(r->laddr) && !r->rport)) {
		v4_from_mapped(r->laddr);
		v4_from_mapped(r->raddr);
		r->family = AF_INET;
	}
}

static __always_inline bool sock_selected(const struct ss_addrs *r)
{
	if (filt.family && r->family != filt.family)
		return false;
	if (filt.proto && r->proto != filt.proto)
		return false;
	if (filt.sport && r->lport != filt.sport)
		return false;
	if (filt.dport && r->rport != filt.dport)
		return false;
	return true;
}

#define S_IFMT	 00170000
#define S_IFSOCK 0140000

/*
 * The socket behind file f, by probe reads (so untyped), or NULL when f is not a socket: a
 * socket file's private data is its socket.
 */
static __always_inline struct sock *sock_of_file(struct file *f)
{
	struct socket *sock;

	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(sock, sk);
}

/* The socket behind the current task's descriptor fd, or NULL (out of the table, no socket). */
static __always_inline struct sock *sock_of_fd(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd < 0 || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return sock_of_file(f);
}

/* A user socket of a protocol we account: TCP or UDP over IPv4 or IPv6. */
static __always_inline __u8 sock_proto(struct sock *sk, bool typed)
{
	__u16 family = SK_READ(typed, sk, __sk_common.skc_family);
	__u16 proto;

	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (typed ? BPF_CORE_READ_BITFIELD(sk, sk_kern_sock) :
		    BPF_CORE_READ_BITFIELD_PROBED(sk, sk_kern_sock))
		return 0;
	proto = typed ? BPF_CORE_READ_BITFIELD(sk, sk_protocol) :
			BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ? proto : 0;
}

/*
 * A call counts when it moved data: a positive return value, and for receives neither a peek
 * (the bytes stay queued and will be counted when read) nor an error-queue read.
 */
static __always_inline bool moved_data(long ret, int dir, int flags)
{
	return ret > 0 && !(dir == SS_RECV && (flags & (MSG_PEEK | MSG_ERRQUEUE)));
}

#endif /* SOCKSCOPE_COMMON_BPF_H */
