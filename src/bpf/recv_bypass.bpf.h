/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Receives that take data off a TCP socket's receive queue without passing sock_recvmsg, so
 * that neither sock:sock_recv_length nor tcp_recvmsg sees them (included by sock_hooks.bpf.h,
 * counted through the same on_call_untyped()):
 *
 * - splice(2) from a TCP socket to a pipe: sock_splice_read -> tcp_splice_read ->
 *   tcp_read_sock, which moves skbs to the pipe and advances copied_seq itself. The syscall's
 *   return value is exactly the bytes taken off the queue (a FIN advances copied_seq by one
 *   but is not returned). UDP has no splice_read of its own: its splice goes through
 *   read_iter -> sock_recvmsg and is counted there already, as are all sends (splice and
 *   sendfile to a socket reach sock_sendmsg since 6.5, ->sendpage before, hooked as such).
 *   splice is the only syscall that can read a socket this way: sendfile and copy_file_range
 *   refuse a socket as their source.
 * - getsockopt(TCP_ZEROCOPY_RECEIVE): pages of the queue mapped into the caller, plus the
 *   leftover bytes the kernel copies into the caller's copybuf (tcp_recvmsg_locked, called
 *   directly). The struct the kernel writes back says both: length and copybuf_len.
 *
 * Hooked at the syscalls' own tracepoints, entry and exit: classic tracepoints exist on every
 * kernel we support (6.1 to 6.18) and in every attach mode, kprobes and fentry do not (this
 * machine has neither), and no tracepoint inside tcp_read_sock says how much it read. Only
 * these two syscalls pay. The alternatives were worse: copied_seq deltas at
 * tcp:tcp_rcv_space_adjust would cost every TCP receive a per-socket lookup. The socket comes
 * from the calling task's file table by probe reads, so it is untyped here: cookies for such
 * sockets come from io's cgroup programs, which are attached whenever this hook is.
 *
 * - io_uring's IORING_OP_SPLICE from a TCP socket: the same do_splice, run by an io_uring
 *   worker of the process (or its submitting thread), which makes no syscall. Hooked at
 *   io_uring:io_uring_complete, whose fields are the same from 6.1 to 6.18 (the submit
 *   tracepoint was renamed in 6.4): the request still holds the splice's source descriptor
 *   there, and res is the splice's return value. A plain descriptor is looked up in the
 *   completing task's file table, which io_uring's threads share with the process; a
 *   registered one (SPLICE_F_FD_IN_FIXED) in the ring's own table, whose layout changed in
 *   6.13. Every other io_uring receive (IORING_OP_RECV, READ, RECVMSG) goes through
 *   sock_recvmsg and is counted there.
 *
 * Not covered: io_uring zero-copy receive (IORING_OP_RECV_ZC, 6.15+) maps a NIC queue's
 * pages into a ring registered with a hardware queue; loopback and veth cannot provide one,
 * so it cannot be tested here. top --check-kernel shows its bytes as a disagreement.
 */
#ifndef SOCKSCOPE_RECV_BYPASS_BPF_H
#define SOCKSCOPE_RECV_BYPASS_BPF_H

#define SOL_TCP	 6
#define TCP_ZEROCOPY_RECEIVE 35

enum bypass_kind { BYPASS_SPLICE, BYPASS_ZEROCOPY };

/* A call in flight, per thread: its socket, and for zerocopy where the result goes. */
struct bypass_call {
	__u64 sk;
	__u64 optval;
	__u64 optlen;
	__u32 kind;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct bypass_call);
} bypass_calls SEC(".maps");

/* The TCP socket behind the caller's descriptor fd, or NULL. */
static __always_inline struct sock *tcp_sock_of_fd(long fd)
{
	struct sock *sk = sock_of_fd(fd);

	return sk && sock_proto(sk, false) == IPPROTO_TCP ? sk : NULL;
}

static __always_inline int bypass_enter(long fd, enum bypass_kind kind, __u64 optval,
					__u64 optlen)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct bypass_call c = { .optval = optval, .optlen = optlen, .kind = kind };

	if (!pid_selected(pid_tgid >> 32))
		return 0;
	c.sk = (__u64)tcp_sock_of_fd(fd);
	if (c.sk)
		bpf_map_update_elem(&bypass_calls, &tid, &c, BPF_ANY);
	return 0;
}

/* Bytes a successful TCP_ZEROCOPY_RECEIVE consumed, as the kernel wrote them back. */
static __always_inline long zerocopy_bytes(const struct bypass_call *c)
{
	struct tcp_zerocopy_receive zc = {};
	int optlen = 0;
	long n;

	if (bpf_probe_read_user(&optlen, sizeof(optlen), (void *)c->optlen) ||
	    optlen < (int)offsetof(struct tcp_zerocopy_receive, recv_skip_hint) ||
	    bpf_probe_read_user(&zc, sizeof(zc.address) + sizeof(zc.length), (void *)c->optval))
		return 0;
	n = zc.length;
	/* the copybuf is used only by callers whose struct reaches copybuf_len */
	if (optlen >= (int)(offsetof(struct tcp_zerocopy_receive, copybuf_len) + sizeof(int)) &&
	    !bpf_probe_read_user(&zc.copybuf_len, sizeof(zc.copybuf_len),
				 (void *)(c->optval +
					  offsetof(struct tcp_zerocopy_receive, copybuf_len))) &&
	    zc.copybuf_len > 0)
		n += zc.copybuf_len;
	return n;
}

static __always_inline int bypass_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct bypass_call c;

	if (!take_entry(&bypass_calls, &tid, &c, sizeof(c)))
		return 0;
	if (c.kind == BYPASS_ZEROCOPY)
		ret = ret == 0 ? zerocopy_bytes(&c) : 0;
	return on_call_untyped((struct sock *)c.sk, ret, SS_RECV, 0);
}

SEC("tracepoint/syscalls/sys_enter_splice")
int splice_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	return bypass_enter(ctx->args[0], BYPASS_SPLICE, 0, 0);
}

SEC("tracepoint/syscalls/sys_exit_splice")
int splice_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return bypass_exit(ctx->ret);
}

#define IORING_OP_SPLICE     30
#define SPLICE_F_FD_IN_FIXED (1U << 31)
#define IO_FILE_PTR_FLAGS    7UL /* low bits of a fixed file's pointer carry its flags */

/* Before 6.13 the ring's registered files were an array of tagged file pointers. */
struct io_fixed_file___old {
	unsigned long file_ptr;
};

struct io_file_table___old {
	struct io_fixed_file___old *files;
};

struct io_ring_ctx___old {
	struct io_file_table___old file_table;
};

/*
 * The file a registered splice source stands for. Since 6.13 the request holds the node of
 * the ring's table it took a reference on; before, index the ring's array.
 */
static __always_inline struct file *uring_fixed_file(struct io_kiocb *req, struct io_splice *sp)
{
	unsigned long ptr = 0;

	if (bpf_core_field_exists(sp->rsrc_node)) {
		ptr = BPF_CORE_READ(sp, rsrc_node, file_ptr);
	} else {
		struct io_ring_ctx___old *ctx = (void *)BPF_CORE_READ(req, ctx);
		struct io_fixed_file___old *files = BPF_CORE_READ(ctx, file_table.files);
		__u32 idx = BPF_CORE_READ(sp, splice_fd_in);

		bpf_probe_read_kernel(&ptr, sizeof(ptr), &files[idx]);
	}
	return (struct file *)(ptr & ~IO_FILE_PTR_FLAGS);
}

SEC("tracepoint/io_uring/io_uring_complete")
int uring_complete_tp(struct trace_event_raw_io_uring_complete *ctx)
{
	struct io_kiocb *req = ctx->req;
	struct io_splice *sp = (void *)req; /* a request's command data comes first */
	long res = ctx->res;
	struct sock *sk;

	if (res <= 0 || BPF_CORE_READ(req, opcode) != IORING_OP_SPLICE ||
	    !pid_selected(bpf_get_current_pid_tgid() >> 32))
		return 0;
	if (BPF_CORE_READ(sp, flags) & SPLICE_F_FD_IN_FIXED)
		sk = sock_of_file(uring_fixed_file(req, sp));
	else
		sk = sock_of_fd(BPF_CORE_READ(sp, splice_fd_in));
	if (!sk || sock_proto(sk, false) != IPPROTO_TCP)
		return 0;
	return on_call_untyped(sk, res, SS_RECV, 0);
}

SEC("tracepoint/syscalls/sys_enter_getsockopt")
int getsockopt_enter_tp(struct trace_event_raw_sys_enter *ctx)
{
	if (ctx->args[1] != SOL_TCP || ctx->args[2] != TCP_ZEROCOPY_RECEIVE)
		return 0;
	return bypass_enter(ctx->args[0], BYPASS_ZEROCOPY, ctx->args[3], ctx->args[4]);
}

SEC("tracepoint/syscalls/sys_exit_getsockopt")
int getsockopt_exit_tp(struct trace_event_raw_sys_exit *ctx)
{
	return bypass_exit(ctx->ret);
}

#endif /* SOCKSCOPE_RECV_BYPASS_BPF_H */
