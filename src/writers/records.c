// SPDX-License-Identifier: GPL-2.0
/* The field tables of every record type: see records.h and fields.h. */
#include "writers/records.h"
#include "writers/fmt.h"
#include "writers/json.h"
#include "sockscope.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define RECORD(type, cmds, base, fields, table)                                                   \
	{ type, cmds, base, fields, N(fields), table, sizeof(table) }
#define JSON_ONLY(type, cmds, base, fields) { type, cmds, base, fields, N(fields), NULL, 0 }

/* key, header, type, unit, width, table format, gap */
static const struct field interval_fields[] = {
	[TI_TIME] = { "time", NULL, FT_STR, FU_NONE, 0, FF_PLAIN, 0 },
	[TI_PID] = { "pid", "PID", FT_U64, FU_ID, 7, FF_PLAIN, 0 },
	[TI_PROCESSES] = { "processes", "PROCS", FT_U64, FU_NONE, 7, FF_PLAIN, 0 },
	[TI_COMM] = { "comm", "COMM", FT_NAME, FU_NONE, -15, FF_PLAIN, 0 },
	[TI_SENT_BYTES] = { "sent_bytes", "SENT", FT_U64, FU_BYTES, 10, FF_BYTES, 0 },
	[TI_RECV_BYTES] = { "recv_bytes", "RECV", FT_U64, FU_BYTES, 10, FF_BYTES, 0 },
	[TI_SENT_CALLS] = { "sent_calls", "SEND#", FT_U64, FU_CALLS, 5, FF_COUNT, 0 },
	[TI_RECV_CALLS] = { "recv_calls", "RECV#", FT_U64, FU_CALLS, 5, FF_COUNT, 0 },
	[TI_TOTAL_SENT] = { "total_sent_bytes", "TOTAL SENT", FT_U64, FU_BYTES, 10, FF_BYTES, 0 },
	[TI_TOTAL_RECV] = { "total_recv_bytes", "TOTAL RECV", FT_U64, FU_BYTES, 10, FF_BYTES, 0 },
};
static const uint8_t interval_table[] = { TI_PID,	 TI_PROCESSES,	TI_COMM,
					  TI_SENT_BYTES, TI_RECV_BYTES, TI_SENT_CALLS,
					  TI_RECV_CALLS, TI_TOTAL_SENT, TI_TOTAL_RECV };
const struct record rec_interval = RECORD("interval", "top", NULL, interval_fields,
					  interval_table);

/* The summary's exact counts, in the order every record of it writes them. */
#define COUNTS(prefix, width)                                                                     \
	[prefix##_SENT_BYTES] = { "sent_bytes", "SENT BYTES", FT_U64, FU_BYTES, width,            \
				  FF_THOUSANDS, 0 },                                              \
	[prefix##_RECV_BYTES] = { "recv_bytes", "RECV BYTES", FT_U64, FU_BYTES, width,            \
				  FF_THOUSANDS, 0 },                                              \
	[prefix##_SENT_CALLS] = { "sent_calls", "CALLS", FT_U64, FU_CALLS, 9, FF_THOUSANDS, 0 },  \
	[prefix##_RECV_CALLS] = { "recv_calls", "CALLS", FT_U64, FU_CALLS, 9, FF_THOUSANDS, 0 }

static const struct field summary_fields[] = {
	[SP_PID] = { "pid", "PID", FT_U64, FU_ID, 7, FF_PLAIN, 0 },
	[SP_PROCESSES] = { "processes", "PROCS", FT_U64, FU_NONE, 7, FF_PLAIN, 0 },
	[SP_COMM] = { "comm", "COMM", FT_NAME, FU_NONE, -15, FF_PLAIN, 0 },
	COUNTS(SP, 15),
};
/* bytes and calls side by side, per direction */
static const uint8_t summary_table[] = { SP_PID,	SP_PROCESSES,  SP_COMM,	      SP_SENT_BYTES,
					 SP_SENT_CALLS, SP_RECV_BYTES, SP_RECV_CALLS };
const struct record rec_summary = RECORD("summary", "top, trace", NULL, summary_fields,
					 summary_table);

#define ADDRS(prefix)                                                                             \
	[prefix##_PROTO] = { "proto", "PROTO", FT_STR, FU_NONE, -5, FF_PLAIN, 0 },                \
	[prefix##_FAMILY] = { "family", NULL, FT_STR, FU_NONE, 0, FF_PLAIN, 0 },                  \
	[prefix##_LADDR] = { "laddr", NULL, FT_STR, FU_NONE, 0, FF_PLAIN, 0 },                    \
	[prefix##_LPORT] = { "lport", NULL, FT_U64, FU_ID, 0, FF_PLAIN, 0 },                      \
	[prefix##_RADDR] = { "raddr", NULL, FT_STR, FU_NONE, 0, FF_PLAIN, 0 },                    \
	[prefix##_RPORT] = { "rport", NULL, FT_U64, FU_ID, 0, FF_PLAIN, 0 }

/* addrs_value() counts from *_PROTO: each record keeps the six in this order. */
#define ADDRS_IN_ORDER(prefix)                                                                    \
	_Static_assert(prefix##_RPORT - prefix##_PROTO == ADDR_RPORT &&                           \
			       prefix##_LPORT - prefix##_PROTO == ADDR_LPORT,                     \
		       #prefix ": addresses in addrs_value() order")
ADDRS_IN_ORDER(SC);
ADDRS_IN_ORDER(TE);
ADDRS_IN_ORDER(CN);
ADDRS_IN_ORDER(CE);

static const struct field connection_fields[] = {
	[SC_PID] = { "pid", "PID", FT_U64, FU_ID, 7, FF_PLAIN, 0 },
	[SC_COMM] = { "comm", "COMM", FT_NAME, FU_NONE, -15, FF_PLAIN, 0 },
	ADDRS(SC),
	COUNTS(SC, 13),
	[SC_ENDS] = { NULL, "LOCAL -> REMOTE", FT_STR, FU_NONE, -47, FF_PLAIN, 0 },
};
static const uint8_t connection_table[] = { SC_PID,  SC_COMM,	    SC_PROTO,
					    SC_ENDS, SC_SENT_BYTES, SC_RECV_BYTES };
const struct record rec_connection = RECORD("connection", "top, trace", NULL, connection_fields,
					    connection_table);

/* In the table, a process's other connections are one row of the connections' table. */
static const struct field folded_fields[] = {
	[SF_PID] = { "pid", NULL, FT_U64, FU_ID, 0, FF_PLAIN, 0 },
	[SF_COMM] = { "comm", NULL, FT_NAME, FU_NONE, 0, FF_PLAIN, 0 },
	[SF_CONNECTIONS] = { "connections", NULL, FT_U64, FU_NONE, 0, FF_PLAIN, 0 },
	COUNTS(SF, 0),
};
const struct record rec_folded = JSON_ONLY("connections_folded", "top, trace", NULL,
					   folded_fields);

static const struct field total_fields[] = {
	COUNTS(ST, 0),
	[ST_CONNECTIONS] = { "connections", NULL, FT_U64, FU_NONE, 0, FF_PLAIN, 0 },
	[ST_LISTED] = { "connections_listed", NULL, FT_U64, FU_NONE, 0, FF_PLAIN, 0 },
	[ST_MAX_CONNS] = { "max_conns", NULL, FT_U64, FU_NONE, 0, FF_PLAIN, 0 },
	[ST_LOST] = { "lost_events", NULL, FT_U64, FU_NONE, 0, FF_PLAIN, 0 },
	[ST_DURATION] = { "duration_seconds", NULL, FT_DOUBLE, FU_S, 0, FF_PLAIN, 0 },
};
const struct record rec_total = JSON_ONLY("total", "top, trace", NULL, total_fields);

static const struct field event_fields[] = {
	[TE_TIME] = { "time", NULL, FT_STR, FU_NONE, 0, FF_PLAIN, 0 },
	[TE_CLOCK] = { NULL, "TIME", FT_STR, FU_NONE, -12, FF_PLAIN, 0 },
	[TE_TS_NS] = { "ts_ns", "TIME", FT_U64, FU_NS, -16, FF_PLAIN, 0 },
	[TE_DIR] = { "dir", NULL, FT_STR, FU_NONE, 0, FF_PLAIN, 0 },
	[TE_DIR_UPPER] = { NULL, "DIR", FT_STR, FU_NONE, -4, FF_PLAIN, 0 },
	[TE_PID] = { "pid", "PID", FT_U64, FU_ID, -7, FF_PLAIN, 0 },
	[TE_TID] = { "tid", NULL, FT_U64, FU_ID, 0, FF_PLAIN, 0 },
	[TE_COMM] = { "comm", "COMM", FT_NAME, FU_NONE, -15, FF_PLAIN, 0 },
	[TE_SYSCALL] = { "syscall", "SYSCALL", FT_STR, FU_NONE, -9, FF_PLAIN, 0 },
	ADDRS(TE),
	[TE_BYTES] = { "bytes", "BYTES", FT_I64, FU_BYTES, 7, FF_PLAIN, 0 },
	[TE_PAYLOAD_B64] = { "payload_b64", NULL, FT_B64, FU_NONE, 0, FF_PLAIN, 0 },
	[TE_PAYLOAD_LEN] = { "payload_len", NULL, FT_U64, FU_BYTES, 0, FF_PLAIN, 0 },
	[TE_TRUNCATED] = { "truncated", NULL, FT_BOOL, FU_NONE, 0, FF_PLAIN, 0 },
	[TE_CONNECTION] = { NULL, "CONNECTION", FT_STR, FU_NONE, 0, FF_PLAIN, 2 },
};
/* the time is the wall clock's or, with --timestamp ns, the kernel's: one of the two shows */
static const uint8_t event_table[] = { TE_CLOCK, TE_TS_NS,   TE_DIR_UPPER, TE_PID,
				       TE_COMM,	 TE_SYSCALL, TE_BYTES,	   TE_CONNECTION };
const struct record rec_event = RECORD("event", "trace", NULL, event_fields, event_table);

static const struct field lost_fields[] = {
	[LO_COUNT] = { "count", NULL, FT_U64, FU_NONE, 0, FF_PLAIN, 0 },
	[LO_REASON] = { "reason", NULL, FT_STR, FU_NONE, 0, FF_PLAIN, 0 },
};
const struct record rec_lost = JSON_ONLY("lost", "trace, conns", NULL, lost_fields);

#define U64(key, unit) { key, NULL, FT_U64, unit, 0, FF_PLAIN, 0 }

static const struct field conn_fields[] = {
	[CN_TIME] = { "time", NULL, FT_STR, FU_NONE, 0, FF_PLAIN, 0 },
	[CN_COMM] = { "comm", "COMM", FT_NAME, FU_NONE, -15, FF_PLAIN, 0 },
	ADDRS(CN),
	[CN_PID] = { "pid", "PID", FT_U64, FU_ID, 7, FF_PLAIN, 0 },
	[CN_AGE_MS] = U64("age_ms", FU_MS),
	[CN_SENT_BYTES] = U64("sent_bytes", FU_BYTES),
	[CN_RECV_BYTES] = U64("recv_bytes", FU_BYTES),
	[CN_BYTES_ACKED] = { "bytes_acked", "ACKED", FT_U64, FU_BYTES, 10, FF_BYTES, 0 },
	[CN_BYTES_RECEIVED] = { "bytes_received", "RECEIVED", FT_U64, FU_BYTES, 10, FF_BYTES, 0 },
	[CN_CWND] = U64("cwnd", FU_PACKETS),
	[CN_SSTHRESH] = U64("ssthresh", FU_PACKETS),
	[CN_SRTT_US] = U64("srtt_us", FU_US),
	[CN_RTTVAR_US] = U64("rttvar_us", FU_US),
	[CN_SND_WND] = U64("snd_wnd", FU_BYTES),
	[CN_RCV_WND] = U64("rcv_wnd", FU_BYTES),
	[CN_PACKETS_OUT] = U64("packets_out", FU_PACKETS),
	[CN_BYTES_IN_FLIGHT] = U64("bytes_in_flight", FU_BYTES),
	[CN_SNDBUF] = U64("sndbuf", FU_BYTES),
	[CN_SNDBUF_USED] = U64("sndbuf_used", FU_BYTES),
	[CN_SEND_QUEUE] = U64("send_queue", FU_BYTES),
	[CN_RECV_QUEUE] = U64("recv_queue", FU_BYTES),
	[CN_RETRANS_TOTAL] = U64("retrans_total", FU_PACKETS),
	[CN_RETRANS_FAST] = U64("retrans_fast", FU_PACKETS),
	[CN_RETRANS_TIMEOUT] = U64("retrans_timeout", FU_PACKETS),
	[CN_RETRANS_OTHER] = U64("retrans_other", FU_PACKETS),
	[CN_RESETS_SENT] = U64("resets_sent", FU_NONE),
	[CN_RESETS_RECEIVED] = U64("resets_received", FU_NONE),
	[CN_BACKLOG] = U64("backlog", FU_NONE),
	[CN_MAX_BACKLOG] = U64("max_backlog", FU_NONE),
	[CN_ROLE] = { "role", "ROLE", FT_STR, FU_NONE, -6, FF_PLAIN, 0 },
	[CN_STATE] = { "state", "STATE", FT_STR, FU_NONE, -11, FF_PLAIN, 0 },
	[CN_CA_STATE] = { "ca_state", NULL, FT_STR, FU_NONE, 0, FF_PLAIN, 0 },
	[CN_AGE_KNOWN] = { "age_known", NULL, FT_BOOL, FU_NONE, 0, FF_PLAIN, 0 },
	[CN_CLOSED] = { "closed", NULL, FT_BOOL, FU_NONE, 0, FF_PLAIN, 0 },
	[CN_AGE] = { NULL, "AGE", FT_STR, FU_NONE, 7, FF_PLAIN, 0 },
	[CN_ENDS] = { NULL, "LOCAL -> REMOTE", FT_STR, FU_NONE, -45, FF_PLAIN, 0 },
};
static const uint8_t conn_table[] = { CN_PID, CN_COMM, CN_ROLE,	       CN_STATE,
				      CN_AGE, CN_ENDS, CN_BYTES_ACKED, CN_BYTES_RECEIVED };
const struct record rec_conn = RECORD("conn", "conns", NULL, conn_fields, conn_table);

const uint8_t conn_sort_fields[] = {
	CN_PID,		   CN_LPORT,	      CN_RPORT,		  CN_AGE_MS,	    CN_SENT_BYTES,
	CN_RECV_BYTES,	   CN_BYTES_ACKED,    CN_BYTES_RECEIVED,  CN_CWND,	    CN_SSTHRESH,
	CN_SRTT_US,	   CN_RTTVAR_US,      CN_SND_WND,	  CN_RCV_WND,	    CN_PACKETS_OUT,
	CN_BYTES_IN_FLIGHT, CN_SNDBUF,	      CN_SNDBUF_USED,	  CN_SEND_QUEUE,    CN_RECV_QUEUE,
	CN_RETRANS_TOTAL,  CN_RETRANS_FAST,   CN_RETRANS_TIMEOUT, CN_RETRANS_OTHER, CN_RESETS_SENT,
	CN_RESETS_RECEIVED, CN_BACKLOG,	      CN_MAX_BACKLOG,	  CN_COMM,	    CN_ROLE,
	CN_STATE,	   CN_CA_STATE,
};
const size_t conn_nsort = sizeof(conn_sort_fields);

static const struct field conn_event_fields[] = {
	[CE_TIME] = { "time", NULL, FT_STR, FU_NONE, 0, FF_PLAIN, 0 },
	[CE_CLOCK] = { NULL, "TIME", FT_STR, FU_NONE, -12, FF_PLAIN, 0 },
	[CE_PID] = { "pid", "PID", FT_U64, FU_ID, -7, FF_PLAIN, 0 },
	[CE_COMM] = { "comm", "COMM", FT_NAME, FU_NONE, -15, FF_PLAIN, 0 },
	ADDRS(CE),
	[CE_TYPE] = { NULL, "TYPE", FT_STR, FU_NONE, -10, FF_PLAIN, 0 },
	[CE_ENDS] = { NULL, "CONNECTION", FT_STR, FU_NONE, 0, FF_PLAIN, 0 },
	[CE_DETAIL] = { NULL, "DETAIL", FT_STR, FU_NONE, 0, FF_PLAIN, 2 },
};
static const uint8_t conn_event_table[] = { CE_CLOCK, CE_PID, CE_COMM,
					    CE_TYPE,  CE_ENDS, CE_DETAIL };
const struct record rec_conn_event = RECORD(NULL, "conns --events", NULL, conn_event_fields,
					    conn_event_table);

#define STR(key) { key, NULL, FT_STR, FU_NONE, 0, FF_PLAIN, 0 }
#define EVENT(name, fields) JSON_ONLY(name, "conns --events", &rec_conn_event, fields)

static const struct field ev_state_fields[] = {
	[EV_OLD_STATE] = STR("old_state"),
	[EV_NEW_STATE] = STR("new_state"),
	[EV_MS_IN_OLD] = { "ms_in_old_state", NULL, FT_DOUBLE, FU_MS, 0, FF_PLAIN, 0 },
};
const struct record rec_ev_state = EVENT("state", ev_state_fields);

static const struct field ev_retransmit_fields[] = {
	[EV_KIND] = STR("kind"),
	[EV_SEQ] = U64("seq", FU_NONE),
	[EV_LEN] = U64("len", FU_BYTES),
	[EV_SEGMENTS] = U64("segments", FU_PACKETS),
};
const struct record rec_ev_retransmit = EVENT("retransmit", ev_retransmit_fields);

static const struct field ev_reset_fields[] = {
	[EV_RESET_DIR] = STR("dir"),
	[EV_RESET_BY] = STR("by"),
};
const struct record rec_ev_reset = EVENT("reset", ev_reset_fields);

const struct record rec_ev_bad_csum = { "bad_csum", "conns --events", &rec_conn_event, NULL, 0,
					NULL, 0 };

static const struct field ev_drop_fields[] = { [EV_DROP_REASON] = STR("reason") };
const struct record rec_ev_drop = EVENT("drop", ev_drop_fields);

static const struct field ev_cong_fields[] = { [EV_CA_STATE] = STR("ca_state") };
const struct record rec_ev_cong = EVENT("cong", ev_cong_fields);

/* What the kernel says the application read and wrote, next to what the calls summed to. */
static const struct field kernel_check_fields[] = {
	[KC_PID] = U64("pid", FU_ID),
	[KC_LOCAL] = STR("local"),
	[KC_REMOTE] = STR("remote"),
	[KC_RECV_BYTES] = U64("recv_bytes", FU_BYTES),
	[KC_KERNEL_RECV_BYTES] = U64("kernel_recv_bytes", FU_BYTES),
	[KC_SENT_BYTES] = U64("sent_bytes", FU_BYTES),
	[KC_KERNEL_SENT_BYTES] = U64("kernel_sent_bytes", FU_BYTES),
};
const struct record rec_kernel_check = JSON_ONLY("kernel_check", "top --check-kernel", NULL,
						 kernel_check_fields);

static const struct field kernel_check_total_fields[] = {
	[KT_CHECKED] = U64("checked", FU_NONE),
	[KT_DISAGREE] = U64("disagree", FU_NONE),
};
const struct record rec_kernel_check_total = JSON_ONLY("kernel_check_total",
						       "top --check-kernel", NULL,
						       kernel_check_total_fields);

/*
 * doctor's text is a report laid out by hand (a block on the machine, hooks grouped under
 * their commands with notes between them): its records are JSON only.
 */
#define BOOL(key) { key, NULL, FT_BOOL, FU_NONE, 0, FF_PLAIN, 0 }

static const struct field machine_fields[] = {
	[MA_KERNEL] = STR("kernel"),
	[MA_ARCH] = STR("arch"),
	[MA_BTF] = BOOL("btf"),
	[MA_UID] = U64("uid", FU_ID),
	[MA_CAP_BPF] = BOOL("cap_bpf"),
	[MA_CAP_PERFMON] = BOOL("cap_perfmon"),
	[MA_CAP_NET_ADMIN] = BOOL("cap_net_admin"),
	[MA_CAP_SYS_ADMIN] = BOOL("cap_sys_admin"),
	[MA_TRACEFS] = STR("tracefs"),
	[MA_BPFFS] = STR("bpffs"),
	[MA_CGROUP2] = STR("cgroup2"),
};
const struct record rec_machine = JSON_ONLY("machine", "doctor", NULL, machine_fields);

static const struct field hook_fields[] = {
	[HK_COMMANDS] = STR("commands"),
	[HK_HOOK] = STR("hook"),
	[HK_MODE] = STR("mode"),
	[HK_WORKS] = BOOL("works"),
	[HK_USED] = BOOL("used"),
	[HK_WHY] = STR("why"),
};
const struct record rec_hook = JSON_ONLY("hook", "doctor", NULL, hook_fields);

static const struct field object_fields[] = {
	[OB_OBJECT] = STR("object"),
	[OB_COMMANDS] = STR("commands"),
	[OB_LOADS] = BOOL("loads"),
	[OB_WHY] = STR("why"),
};
const struct record rec_object = JSON_ONLY("object", "doctor", NULL, object_fields);

const struct record *const records[] = {
	&rec_interval, &rec_summary, &rec_connection, &rec_folded, &rec_total,
	&rec_event, &rec_lost,
	&rec_conn, &rec_ev_state, &rec_ev_retransmit, &rec_ev_reset, &rec_ev_bad_csum,
	&rec_ev_drop, &rec_ev_cong,
	&rec_kernel_check, &rec_kernel_check_total,
	&rec_machine, &rec_hook, &rec_object,
	NULL,
};

void addrs_value(char *buf, size_t len, const struct ss_addrs *a, int i, struct fval *v)
{
	switch (i) {
	case ADDR_PROTO:
		v->s = proto_name(a->proto);
		break;
	case ADDR_FAMILY:
		v->s = family_name(a->family);
		break;
	case ADDR_LADDR:
	case ADDR_RADDR:
		v->s = fmt_ip(buf, len, a->family, i == ADDR_LADDR ? a->laddr : a->raddr);
		break;
	default:
		v->u = i == ADDR_LPORT ? a->lport : a->rport;
	}
}

static void lost_value(void *row, int field, struct fval *v)
{
	const struct fval *given = row;

	*v = given[field];
}

void record_lost(FILE *f, uint64_t count, const char *reason)
{
	struct fval given[] = { [LO_COUNT] = { .u = count }, [LO_REASON] = { .s = reason } };
	struct jw w;

	fields_begin(&w, f, &rec_lost);
	fields_json(&w, &rec_lost, 0, lost_value, given);
	jw_end(&w);
}
