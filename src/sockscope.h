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
#endif

#endif /* SOCKSCOPE_H */
