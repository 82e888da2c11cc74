/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every record type sockscope's commands write, as field tables (fields.h). The enums index
 * the tables; a command's getter switches on them. records[] lists them all for the test that
 * keeps docs/json.md in step.
 */
#ifndef SS_RECORDS_H
#define SS_RECORDS_H

#include "writers/fields.h"

/* top: one process (or process name, with --by comm) in an interval */
enum {
	TI_TIME, TI_PID, TI_PROCESSES, TI_COMM, TI_SENT_BYTES, TI_RECV_BYTES, TI_SENT_CALLS,
	TI_RECV_CALLS, TI_TOTAL_SENT, TI_TOTAL_RECV,
};
extern const struct record rec_interval;

/* The end summary: a process's totals, and its sockets. */
enum {
	SP_PID, SP_PROCESSES, SP_COMM, SP_SENT_BYTES, SP_RECV_BYTES, SP_SENT_CALLS, SP_RECV_CALLS,
};
extern const struct record rec_summary;

enum {
	SC_PID, SC_COMM, SC_PROTO, SC_FAMILY, SC_LADDR, SC_LPORT, SC_RADDR, SC_RPORT,
	SC_SENT_BYTES, SC_RECV_BYTES, SC_SENT_CALLS, SC_RECV_CALLS, SC_ENDS,
};
extern const struct record rec_connection;

enum {
	SF_PID, SF_COMM, SF_CONNECTIONS, SF_SENT_BYTES, SF_RECV_BYTES, SF_SENT_CALLS,
	SF_RECV_CALLS,
};
extern const struct record rec_folded;

enum {
	ST_SENT_BYTES, ST_RECV_BYTES, ST_SENT_CALLS, ST_RECV_CALLS, ST_CONNECTIONS, ST_LISTED,
	ST_MAX_CONNS, ST_LOST, ST_DURATION,
};
extern const struct record rec_total;

/* trace: one socket call */
enum {
	TE_TIME, TE_CLOCK, TE_TS_NS, TE_DIR, TE_DIR_UPPER, TE_PID, TE_TID, TE_COMM, TE_SYSCALL,
	TE_PROTO, TE_FAMILY, TE_LADDR, TE_LPORT, TE_RADDR, TE_RPORT, TE_BYTES, TE_PAYLOAD_B64,
	TE_PAYLOAD_LEN, TE_TRUNCATED, TE_CONNECTION,
};
extern const struct record rec_event;

/* Events that trace or conns could not print: how many since the last such record, and why. */
enum { LO_COUNT, LO_REASON };
extern const struct record rec_lost;

/* conns: one TCP socket */
enum {
	CN_TIME, CN_COMM, CN_PROTO, CN_FAMILY, CN_LADDR, CN_LPORT, CN_RADDR, CN_RPORT, CN_PID,
	CN_AGE_MS, CN_SENT_BYTES, CN_RECV_BYTES, CN_BYTES_ACKED, CN_BYTES_RECEIVED, CN_CWND,
	CN_SSTHRESH, CN_SRTT_US, CN_RTTVAR_US, CN_SND_WND, CN_RCV_WND, CN_PACKETS_OUT,
	CN_BYTES_IN_FLIGHT, CN_SNDBUF, CN_SNDBUF_USED, CN_SEND_QUEUE, CN_RECV_QUEUE,
	CN_RETRANS_TOTAL, CN_RETRANS_FAST, CN_RETRANS_TIMEOUT, CN_RETRANS_OTHER, CN_RESETS_SENT,
	CN_RESETS_RECEIVED, CN_BACKLOG, CN_MAX_BACKLOG, CN_ROLE, CN_STATE, CN_CA_STATE,
	CN_AGE_KNOWN, CN_CLOSED, CN_AGE, CN_ENDS,
};
extern const struct record rec_conn;
/* The values --sort accepts, in the order its error message lists them. */
extern const uint8_t conn_sort_fields[];
extern const size_t conn_nsort;

/* conns --events: what every event has, then each kind's own fields */
enum { CE_TIME, CE_CLOCK, CE_PID, CE_COMM, CE_PROTO, CE_FAMILY, CE_LADDR, CE_LPORT, CE_RADDR,
       CE_RPORT, CE_TYPE, CE_ENDS, CE_DETAIL };
extern const struct record rec_conn_event;
enum { EV_OLD_STATE, EV_NEW_STATE, EV_MS_IN_OLD };
extern const struct record rec_ev_state;
enum { EV_KIND, EV_SEQ, EV_LEN, EV_SEGMENTS };
extern const struct record rec_ev_retransmit;
enum { EV_RESET_DIR, EV_RESET_BY };
extern const struct record rec_ev_reset;
extern const struct record rec_ev_bad_csum;
enum { EV_DROP_REASON };
extern const struct record rec_ev_drop;
enum { EV_CA_STATE };
extern const struct record rec_ev_cong;

/* top --check-kernel: a TCP socket whose per-call sums disagree with the kernel's records */
enum {
	KC_PID, KC_LOCAL, KC_REMOTE, KC_RECV_BYTES, KC_KERNEL_RECV_BYTES, KC_SENT_BYTES,
	KC_KERNEL_SENT_BYTES,
};
extern const struct record rec_kernel_check;
/* and at the end, how many sockets were compared and how many disagreed */
enum { KT_CHECKED, KT_DISAGREE };
extern const struct record rec_kernel_check_total;

/* doctor: the machine; MA_CAP_* are consecutive, as doctor keeps the four in an array */
enum {
	MA_KERNEL, MA_ARCH, MA_BTF, MA_UID, MA_CAP_BPF, MA_CAP_PERFMON, MA_CAP_NET_ADMIN,
	MA_CAP_SYS_ADMIN, MA_TRACEFS, MA_BPFFS, MA_CGROUP2,
};
extern const struct record rec_machine;
/* doctor: one way to attach one hook; why only when it does not work */
enum { HK_COMMANDS, HK_HOOK, HK_MODE, HK_WORKS, HK_USED, HK_WHY };
extern const struct record rec_hook;
/* doctor: one BPF object, loaded as some subcommands load it; why only when refused */
enum { OB_OBJECT, OB_COMMANDS, OB_LOADS, OB_WHY };
extern const struct record rec_object;

/*
 * A socket's addresses, as every record with them writes them (ADDRS in records.c): i counts
 * from the record's *_PROTO field. Addresses are formatted in buf.
 */
enum { ADDR_PROTO, ADDR_FAMILY, ADDR_LADDR, ADDR_LPORT, ADDR_RADDR, ADDR_RPORT };
struct ss_addrs;
void addrs_value(char *buf, size_t len, const struct ss_addrs *a, int i, struct fval *v);

/* Every record type above, NULL-terminated. */
extern const struct record *const records[];

/* {"type":"lost","count":N,"reason":"..."}, as trace and conns both report lost events. */
void record_lost(FILE *f, uint64_t count, const char *reason);

#endif
