// SPDX-License-Identifier: GPL-2.0
/*
 * trace: every socket call as an event, with the syscall that made it and, when asked, the
 * bytes it moved.
 *
 * The syscall and its user buffers come from the registers the thread saved on entering the
 * kernel (bpf_task_pt_regs), read at the socket hook itself. The alternative, syscall
 * tracepoints remembering per thread what is in flight, would make every read() and write()
 * on any file in the system pay for a classic tracepoint (~165 ns here) to learn what the
 * registers already say. Only sendmmsg/recvmmsg need help: one syscall makes several socket
 * calls, and a tracepoint on their entry resets the datagram index.
 *
 * Filters run before any ring buffer space is taken; a full buffer is counted, never silent.
 * Events never wake user space: a wakeup costs microseconds, and when the reader falls behind
 * a fill-level rule would wake it on every event just when it is busiest. User space polls
 * on a short timer instead (see POLL_MS in cmd/trace.c).
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 payload_max = 0; /* 0: no payload capture */

#define MAX_IOV	     32
#define PF_IO_WORKER 0x10

#if defined(__TARGET_ARCH_x86)
enum { NR_READ = 0, NR_WRITE = 1, NR_READV = 19, NR_WRITEV = 20, NR_SENDTO = 44,
       NR_RECVFROM = 45, NR_SENDMSG = 46, NR_RECVMSG = 47, NR_RECVMMSG = 299,
       NR_SENDMMSG = 307 };
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#elif defined(__TARGET_ARCH_arm64)
enum { NR_READ = 63, NR_WRITE = 64, NR_READV = 65, NR_WRITEV = 66, NR_SENDTO = 206,
       NR_RECVFROM = 207, NR_SENDMSG = 211, NR_RECVMSG = 212, NR_RECVMMSG = 243,
       NR_SENDMMSG = 269 };
#define SYSCALL_NR(regs) ((regs)->syscallno)
#endif

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* --buffer-size */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ss_trace_stats);
} trace_stats SEC(".maps");

/*
 * An event with room for the payload. Copies start below SS_PAYLOAD_MAX and are masked
 * below 2 * SS_PAYLOAD_MAX, so that the verifier can see that each one fits in three times.
 */
struct big_event {
	struct ss_event e;
	__u8 data[3 * SS_PAYLOAD_MAX];
};

/* The value, clamped to SS_PAYLOAD_MAX, with bounds the verifier cannot lose. */
static __always_inline __u64 bounded(__u64 n)
{
	if (n > SS_PAYLOAD_MAX)
		n = SS_PAYLOAD_MAX;
	asm volatile("%0 &= %1" : "+r"(n) : "i"(2 * SS_PAYLOAD_MAX - 1));
	return n;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set to the number of possible CPUs before load */
	__type(key, __u32);
	__type(value, struct big_event);
} scratch SEC(".maps");

/* Which datagram of the current sendmmsg/recvmmsg a socket call is. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u32);
} mmsg_index SEC(".maps");

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	struct ss_trace_stats *st = bpf_map_lookup_elem(&trace_stats, &zero);

	if (st)
		st->drops++;
}

/* Copies up to want bytes from user iovecs; returns how many were copied. */
static __always_inline __u32 copy_iovs(__u8 *dst, const struct iovec *uiov, __u64 niov,
				       __u32 want)
{
	__u32 off = 0;

	for (int i = 0; i < MAX_IOV && i < niov && off < want; i++) {
		struct iovec iov;
		__u64 n;

		if (bpf_probe_read_user(&iov, sizeof(iov), &uiov[i]))
			break;
		n = bounded(iov.iov_len < want - off ? iov.iov_len : want - off);
		off &= SS_PAYLOAD_MAX - 1;
		if (bpf_probe_read_user(dst + off, n, iov.iov_base))
			break;
		off += n;
	}
	return off;
}

static __always_inline __u32 copy_buf(__u8 *dst, const void *buf, __u32 want)
{
	__u64 n = bounded(want);

	return bpf_probe_read_user(dst, n, buf) ? 0 : n;
}

static __always_inline __u32 copy_msghdr(__u8 *dst, const struct user_msghdr *um, __u32 want,
					 struct ss_event *e)
{
	struct user_msghdr m;

	if (bpf_probe_read_user(&m, sizeof(m), um))
		return 0;
	if (m.msg_name)
		e->flags |= SS_EV_ADDR;
	return copy_iovs(dst, m.msg_iov, m.msg_iovlen, want);
}

static __always_inline const struct user_msghdr *nth_mmsg(const struct mmsghdr *vec)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u32 *k = bpf_map_lookup_elem(&mmsg_index, &tid);
	__u32 i = k ? (*k)++ : 0;

	return &vec[i & 1023].msg_hdr;
}

/* Fills the payload from the user buffers of the syscall in regs; returns its length. */
static __always_inline __u32 capture(struct pt_regs *regs, __u8 *dst, struct ss_event *e)
{
	__u32 want = (__u64)e->bytes < payload_max ? (__u32)e->bytes : payload_max;
	unsigned long a1 = PT_REGS_PARM2_SYSCALL(regs);
	unsigned long a3 = PT_REGS_PARM3_SYSCALL(regs);

	switch (e->syscall) {
	case NR_READ:
	case NR_WRITE:
		return copy_buf(dst, (void *)a1, want);
	case NR_SENDTO:
	case NR_RECVFROM:
		return copy_buf(dst, (void *)a1, want);
	case NR_READV:
	case NR_WRITEV:
		return copy_iovs(dst, (const struct iovec *)a1, a3, want);
	case NR_SENDMSG:
	case NR_RECVMSG:
		return copy_msghdr(dst, (const struct user_msghdr *)a1, want, e);
	case NR_SENDMMSG:
	case NR_RECVMMSG:
		return copy_msghdr(dst, nth_mmsg((const struct mmsghdr *)a1), want, e);
	}
	e->flags |= SS_EV_NO_PAYLOAD;
	return 0;
}

/*
 * An unconnected UDP socket has no peer of its own: a send names it in the call, so take it
 * from the caller's sockaddr (a receive's source is only written back after this hook).
 */
static __always_inline void peer_from_call(struct pt_regs *regs, struct ss_event *e)
{
	const void *uaddr = NULL;
	struct sockaddr_in6 sa = {};
	struct user_msghdr m;

	if (e->syscall == NR_SENDTO)
		uaddr = (const void *)PT_REGS_PARM5_SYSCALL(regs);
	else if (e->syscall == NR_SENDMSG &&
		 !bpf_probe_read_user(&m, sizeof(m), (void *)PT_REGS_PARM2_SYSCALL(regs)))
		uaddr = m.msg_name;
	if (!uaddr || bpf_probe_read_user(&sa, sizeof(sa), uaddr))
		return;
	e->a.rport = bpf_ntohs(sa.sin6_port); /* same place in sockaddr_in */
	if (sa.sin6_family == AF_INET) {
		__builtin_memcpy(e->a.raddr, &((struct sockaddr_in *)&sa)->sin_addr, 4);
	} else if (sa.sin6_family == AF_INET6) {
		__builtin_memcpy(e->a.raddr, &sa.sin6_addr, 16);
		if (is_v4_mapped(e->a.raddr)) {
			v4_from_mapped(e->a.raddr);
			if (is_v4_mapped(e->a.laddr) || !e->a.laddr[0])
				v4_from_mapped(e->a.laddr);
			e->a.family = AF_INET;
		}
	}
}

/* The event's header, or false when a filter rejects the call. */
static __always_inline bool describe(struct sock *sk, long ret, int dir, struct ss_event *e,
				     struct pt_regs **regs, bool typed)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	char pcomm[SS_COMM_LEN] = {};
	struct task_struct *task;

	e->pid = pid_tgid >> 32;
	if (!pid_selected(e->pid))
		return false;
	e->a.proto = sock_proto(sk, typed);
	if (!e->a.proto)
		return false;
	read_sock_addrs(sk, &e->a, typed);
	task = bpf_get_current_task_btf();
	*regs = (struct pt_regs *)bpf_task_pt_regs(task);
	e->syscall = (__u32)SYSCALL_NR(*regs);
	/* before the filters: -d must match the peer an unconnected send names */
	if (dir == SS_SEND && !e->a.rport && e->a.proto == IPPROTO_UDP)
		peer_from_call(*regs, e);
	/* an event names its thread (it shows the tid); -c matches the process, as in top */
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (filt.comm_on)
		process_comm(pcomm);
	if (!sock_selected(&e->a) || !task_selected(e->pid, pcomm))
		return false;
	e->ts_ns = bpf_ktime_get_ns();
	e->tid = (__u32)pid_tgid;
	e->bytes = ret;
	e->dir = dir;
	e->sock_id = sock_id(sk, typed);
	if ((e->syscall == NR_SENDTO || e->syscall == NR_RECVFROM) && PT_REGS_PARM5_SYSCALL(*regs))
		e->flags |= SS_EV_ADDR;
	if (task->flags & PF_IO_WORKER)
		e->flags |= SS_EV_IO_WORKER;
	return true;
}

static __always_inline int emit_with_payload(struct ss_event *hdr, struct pt_regs *regs)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct big_event *b = bpf_map_lookup_elem(&scratch, &cpu);
	__u32 len;

	if (!b)
		return 0;
	b->e = *hdr;
	len = capture(regs, b->data, &b->e);
	if (len > SS_PAYLOAD_MAX)
		len = SS_PAYLOAD_MAX;
	b->e.payload_len = len;
	if (bpf_ringbuf_output(&events, b, sizeof(b->e) + len, BPF_RB_NO_WAKEUP))
		count_drop();
	return 0;
}

static __always_inline int trace_call(struct sock *sk, long ret, int dir, int flags, bool typed)
{
	struct ss_event hdr = {}, *e;
	struct pt_regs *regs;

	if (!moved_data(ret, dir, flags) || !describe(sk, ret, dir, &hdr, &regs, typed))
		return 0;
	if (payload_max)
		return emit_with_payload(&hdr, regs);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return 0;
	}
	*e = hdr;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

static __always_inline int on_call_btf(struct sock *sk, long ret, int dir, int flags)
{
	return trace_call(sk, ret, dir, flags, true);
}

static __always_inline int on_call_untyped(struct sock *sk, long ret, int dir, int flags)
{
	return trace_call(sk, ret, dir, flags, false);
}

#include "sock_hooks.bpf.h"

static __always_inline int mmsg_enter(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;

	if (pid_selected(bpf_get_current_pid_tgid() >> 32))
		bpf_map_update_elem(&mmsg_index, &tid, &zero, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_sendmmsg")
int sendmmsg_enter_tp(void *ctx)
{
	return mmsg_enter();
}

SEC("tracepoint/syscalls/sys_enter_recvmmsg")
int recvmmsg_enter_tp(void *ctx)
{
	return mmsg_enter();
}
