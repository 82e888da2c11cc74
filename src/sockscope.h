/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by the kernel side (src/bpf) and the user side. Only fixed-width __u8..__u64
 * fields, largest first, explicit padding, and a size assertion each, so that both compilers
 * agree on every offset.
 */
#ifndef SOCKSCOPE_H
#define SOCKSCOPE_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define SS_COMM_LEN  16
#define SS_PID_MAX   (1u << 22) /* PID_MAX_LIMIT on 64-bit kernels */
#define SS_PID_WORDS (SS_PID_MAX / 64)

/*
 * Per-CPU counting cache: a direct-mapped table of (socket, process) slots. A call that hits
 * its slot costs two plain adds; only a miss touches the shared record map. 512 slots of 48
 * bytes fill one 24 KiB value, one per CPU.
 */
#define SS_SLOT_BITS 9
#define SS_SLOTS     (1u << SS_SLOT_BITS)

enum ss_dir {
	SS_SEND = 0,
	SS_RECV = 1,
};

enum ss_slot_state {
	SS_SLOT_EMPTY = 0,
	SS_SLOT_COUNT = 1,     /* counting into the record (sock_id, tgid) */
	SS_SLOT_IGNORE = 2,    /* filtered out: kernel socket, other family or protocol, ... */
	SS_SLOT_UNTRACKED = 3, /* record map full: calls are counted as lost */
};

struct ss_counts {
	__u64 bytes[2]; /* indexed by enum ss_dir */
	__u64 calls[2];
};

struct ss_slot {
	__u64 sock_id; /* socket cookie, or the socket's address when it has no cookie */
	__u32 tgid;
	__u16 gen;   /* odd while the kernel rewrites the slot: readers retry */
	__u16 state; /* enum ss_slot_state */
	struct ss_counts n;
};

struct ss_slot_block {
	struct ss_slot slot[SS_SLOTS];
};

/* Kernel-side filters, set between skeleton open and load (one copy per BPF object). */
struct ss_filter {
	__u8 comm[SS_COMM_LEN]; /* exact process name when comm_on */
	__u16 family;           /* 0 = any, AF_INET, AF_INET6 (IPv4-mapped counts as AF_INET) */
	__u16 sport;            /* local port, 0 = any */
	__u16 dport;            /* remote port, 0 = any */
	__u8 proto;             /* 0 = any, IPPROTO_TCP, IPPROTO_UDP */
	__u8 pids;              /* only processes whose bit is set in the PID bitmap */
	__u8 comm_on;
	__u8 cgroup_on; /* only tasks under the cgroup in the cgroup filter map */
	__u8 pad[2];
	__u32 self_tgid; /* sockscope itself, never counted (its output may be a socket) */
};

struct ss_sock_key {
	__u64 sock_id;
	__u32 tgid;
	__u32 pad;
};

/* Where a socket's traffic goes. */
struct ss_addrs {
	__u8 laddr[16]; /* IPv4 in the first 4 bytes; IPv4-mapped IPv6 is stored as IPv4 */
	__u8 raddr[16];
	__u16 lport; /* host byte order */
	__u16 rport;
	__u16 family; /* AF_INET or AF_INET6, as seen on the wire */
	__u8 proto;   /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};

/* One (socket, process) pair: flushed counts plus what identifies the connection. */
struct ss_sock_rec {
	struct ss_counts n;
	__u64 first_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) of the first counted call */
	struct ss_addrs a;
	char comm[SS_COMM_LEN];
};

/* Kernel-side self-observation, one copy per CPU (summed by user space). */
struct ss_io_stats {
	__u64 untracked_calls;   /* calls on sockets that found the record map full */
	__u64 untracked_sockets; /* record creations refused because the map was full */
	__u64 flush_misses;      /* slot counts that found no record to flush into */
	__u64 notice_drops;      /* release notices the ring buffer had no room for */
};

/* Ring buffer notice: the socket was released by its last user (close or exit). */
struct ss_release {
	__u64 sock_id;
};

/* trace: one socket call. Captured payload bytes, if any, follow the header. */
#define SS_PAYLOAD_MAX 16384

enum ss_event_flags {
	SS_EV_ADDR = 1 << 0,	   /* the call named an address (sendto/recvfrom with one) */
	SS_EV_IO_WORKER = 1 << 1,  /* made by an io_uring worker thread */
	SS_EV_NO_PAYLOAD = 1 << 2, /* payload asked for but not in user memory (sendfile...) */
};

struct ss_event {
	__u64 ts_ns; /* CLOCK_MONOTONIC */
	__u64 sock_id;
	__s64 bytes; /* the call's return value */
	__u32 pid;
	__u32 tid;
	__u32 syscall;	   /* the syscall the thread was in, or SS_NO_SYSCALL */
	__u32 payload_len; /* bytes captured after the header */
	struct ss_addrs a;
	__u8 dir;
	__u8 flags; /* enum ss_event_flags */
	__u8 pad[6];
	char comm[SS_COMM_LEN];
};

#define SS_NO_SYSCALL 0xffffffffu

struct ss_trace_stats {
	__u64 drops; /* events the ring buffer had no room for */
};

/* conns: what the hooks learn about a TCP socket, from first sight to destruction. */
enum ss_role {
	SS_ROLE_UNKNOWN = 0,
	SS_ROLE_CLIENT = 1, /* active open: connect() */
	SS_ROLE_SERVER = 2, /* passive open: accepted */
	SS_ROLE_LISTEN = 3,
};

enum ss_retrans_kind {
	SS_RETRANS_FAST = 0,	/* in fast recovery (TCP_CA_Recovery) */
	SS_RETRANS_TIMEOUT = 1, /* after an RTO (TCP_CA_Loss), or of a SYN */
	SS_RETRANS_OTHER = 2,	/* loss probes and the like, in other states */
};

struct ss_tcp_info {
	__u64 first_ns; /* when its owner connected, accepted or listened (or first seen) */
	__u64 since_ns; /* when it entered its current state; 0 if not seen */
	__u32 owner;	/* thread group that owns it, 0 if not known */
	__u32 retrans[3]; /* segments, by enum ss_retrans_kind */
	__u32 resets_sent;
	__u32 resets_received;
	__u8 role;	/* enum ss_role */
	__u8 age_known; /* first_ns is the socket's birth, not sockscope's first sight */
	__u8 pad[2];
	char comm[SS_COMM_LEN];
	struct ss_addrs a; /* last known: a closing socket gives its local port back early */
};

/* conns: one TCP socket as the table shows it, read from tcp_sock by an iterator. */
struct ss_conn_row {
	__u64 sock_id;
	__u64 bytes_acked;
	__u64 bytes_received;
	__u64 first_ns;
	__u32 pid; /* the process holding it (or its last owner, for a closed one) */
	__u32 cwnd;
	__u32 ssthresh;
	__u32 srtt_us;
	__u32 rttvar_us;
	__u32 snd_wnd;
	__u32 rcv_wnd;
	__u32 packets_out;
	__u32 bytes_in_flight;
	__u32 sndbuf;
	__u32 sndbuf_used;
	__u32 sendq;
	__u32 recvq;
	__u32 retrans_total; /* the kernel's own count */
	__u32 retrans[3];    /* ours, by enum ss_retrans_kind */
	__u32 resets_sent;
	__u32 resets_received;
	__u32 backlog;
	__u32 max_backlog;
	__u8 state;
	__u8 ca_state;
	__u8 role;
	__u8 closed; /* a final record, from the socket's destruction */
	__u8 age_known;
	__u8 pad[7];
	struct ss_addrs a;
	char comm[SS_COMM_LEN];
};

enum ss_conn_event_kind {
	SS_CEV_STATE = 0,   /* arg1 old state, arg2 new state, arg3 ns in the old state */
	SS_CEV_RETRANS = 1, /* arg1 seq, arg2 length, arg3 segments, arg4 enum ss_retrans_kind */
	SS_CEV_RESET_TX = 2,
	SS_CEV_RESET_RX = 3,
	SS_CEV_BAD_CSUM = 4,
	SS_CEV_DROP = 5, /* arg1 enum skb_drop_reason */
	SS_CEV_CONG = 6, /* arg1 new congestion state */
};

struct ss_conn_event {
	__u64 ts_ns;
	__u64 sock_id; /* 0 when no socket is known (attributed by address in user space) */
	__u64 arg3;
	__u32 pid;
	__u32 kind;
	__u32 arg1;
	__u32 arg2;
	__u32 arg4;
	__u32 pad;
	struct ss_addrs a;
	char comm[SS_COMM_LEN];
};

struct ss_conn_stats {
	__u64 event_drops; /* events the ring buffer had no room for */
	__u64 final_drops; /* closed-socket records the ring buffer had no room for */
	__u64 info_full;   /* sockets not tracked: the info map was full */
};

/* serve: per-process TCP counters kept in the kernel, so they never depend on events. */
enum ss_tcp_total_kind {
	SS_TT_OPENED = 0,  /* sub: enum ss_role (client = active, server = passive) */
	SS_TT_CLOSED = 1,  /* connections that were established, at destruction */
	SS_TT_RETRANS = 2, /* sub: enum ss_retrans_kind; counts segments */
	SS_TT_RESET = 3,   /* sub: 0 sent, 1 received */
	SS_TT_DROP = 4,	   /* sub: enum skb_drop_reason */
	SS_TT_SRTT = 5,	   /* sub: bucket of the smoothed RTT at close, SS_SRTT_BUCKETS = +Inf */
	SS_TT_SRTT_SUM = 6, /* microseconds */
};

#define SS_SRTT_BOUNDS_US                                                                          \
	{ 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,        \
	  1000000, 2500000, 5000000 }
#define SS_SRTT_BUCKETS 16

struct ss_tcp_total_key {
	__u32 tgid; /* 0 when no owner is known */
	__u16 kind; /* enum ss_tcp_total_kind */
	__u16 sub;
};

#ifndef __bpf__
_Static_assert(sizeof(struct ss_counts) == 32, "ss_counts layout");
_Static_assert(sizeof(struct ss_slot) == 48, "ss_slot layout");
_Static_assert(sizeof(struct ss_slot_block) == 48 * SS_SLOTS, "ss_slot_block layout");
_Static_assert(sizeof(struct ss_filter) == 32, "ss_filter layout");
_Static_assert(sizeof(struct ss_sock_key) == 16, "ss_sock_key layout");
_Static_assert(sizeof(struct ss_addrs) == 40, "ss_addrs layout");
_Static_assert(sizeof(struct ss_sock_rec) == 96, "ss_sock_rec layout");
_Static_assert(sizeof(struct ss_io_stats) == 32, "ss_io_stats layout");
_Static_assert(sizeof(struct ss_event) == 104, "ss_event layout");
_Static_assert(sizeof(struct ss_tcp_info) == 104, "ss_tcp_info layout");
_Static_assert(sizeof(struct ss_conn_row) == 184, "ss_conn_row layout");
_Static_assert(sizeof(struct ss_conn_event) == 104, "ss_conn_event layout");
#endif

#endif /* SOCKSCOPE_H */
