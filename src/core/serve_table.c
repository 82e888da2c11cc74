// SPDX-License-Identifier: GPL-2.0
/* serve's metrics, declared once (see serve_table.h). Names are part of the interface. */
#include "core/serve_table.h"
#include "sockscope.h"

#include <stdlib.h>
#include <string.h>

static const unsigned srtt_bounds_us[SS_SRTT_BUCKETS] = SS_SRTT_BOUNDS_US;
_Static_assert(SS_SRTT_BUCKETS <= SERVE_MAX_BOUNDS, "the renderer's buckets hold the RTT's");

#define PROC(cap, label) .capability = cap, .per_process = true, .labels = { label }
#define SELF(...)	 .capability = SERVE_SELF, .labels = { __VA_ARGS__ }

const struct serve_metric_def serve_metrics[M_NMETRICS] = {
	[M_SENT_BYTES] = { "sockscope_sent_bytes_total", "counter",
			   "Bytes sent by the process's socket calls.", PROC("io", "proto") },
	[M_RECEIVED_BYTES] = { "sockscope_received_bytes_total", "counter",
			       "Bytes received by the process's socket calls.",
			       PROC("io", "proto") },
	[M_SEND_CALLS] = { "sockscope_send_calls_total", "counter",
			   "Socket send calls that moved data.", PROC("io", "proto") },
	[M_RECEIVE_CALLS] = { "sockscope_receive_calls_total", "counter",
			      "Socket receive calls that moved data.", PROC("io", "proto") },
	[M_TCP_OPENED] = { "sockscope_tcp_connections_opened_total", "counter",
			   "TCP connections established, by role.", PROC("conns", "role") },
	[M_TCP_CLOSED] = { "sockscope_tcp_connections_closed_total", "counter",
			   "Established TCP connections destroyed.", PROC("conns", NULL) },
	[M_TCP_RETRANSMITS] = { "sockscope_tcp_retransmits_total", "counter",
				"TCP segments retransmitted: fast (in recovery), timeout (after an "
				"RTO), other.",
				PROC("conns", "kind") },
	[M_TCP_RESETS] = { "sockscope_tcp_resets_total", "counter", "TCP resets, by direction.",
			   PROC("conns", "dir") },
	[M_TCP_DROPS] = { "sockscope_tcp_drops_total", "counter",
			  "TCP packets dropped by the kernel, by its reason.",
			  PROC("conns", "reason") },
	/* per process only with --srtt-per-process (serve_render_view.hist_per_process) */
	[M_TCP_SRTT] = { "sockscope_tcp_srtt_seconds", "histogram",
			 "Smoothed RTT of TCP connections, observed when each closes.",
			 PROC("conns", NULL), .bounds = srtt_bounds_us,
			 .nbounds = SS_SRTT_BUCKETS, .scale = 1e6 },
	[M_LOST_EVENTS] = { "sockscope_lost_events_total", "counter",
			    "Calls, notices and events that could not be accounted.", SELF(NULL) },
	[M_ATTACH_INFO] = { "sockscope_attach_info", "info", "How each kernel hook is attached.",
			    SELF("hook", "mode") },
	[M_CAPABILITY_UP] = { "sockscope_capability_up", "gauge",
			      "1 if the capability's BPF programs loaded and attached, else 0.",
			      SELF("capability") },
	[M_SCRAPE_DURATION] = { "sockscope_scrape_duration_seconds", "gauge",
				"Time the last reading and rendering of the counters took.",
				SELF(NULL), .real = true },
	[M_HTTP_EVICTED] = { "sockscope_http_connections_evicted_total", "counter",
			     "HTTP connections closed for holding a place without sending a "
			     "request.",
			     SELF(NULL) },
	[M_SERIES] = { "sockscope_series", "gauge",
		       "Per-process series exported, bounded by --max-series.", SELF(NULL) },
	[M_SERIES_PROCESSES] = { "sockscope_series_processes", "gauge",
				 "Processes whose series are exported.", SELF(NULL) },
	[M_SERIES_REFUSED] = { "sockscope_series_refused_total", "counter",
			       "Processes not exported because their series did not fit in "
			       "--max-series.",
			       SELF(NULL) },
	[M_BUILD_INFO] = { "sockscope_build_info", "info", "sockscope's version.",
			   SELF("version") },
};

void serve_rows_add(struct serve_rows *rows, const struct serve_row *r)
{
	if (rows->n == rows->cap) {
		size_t cap = rows->cap ? 2 * rows->cap : 256;
		struct serve_row *v = realloc(rows->v, cap * sizeof(*v));

		if (!v) {
			rows->oom = true;
			return;
		}
		rows->v = v;
		rows->cap = cap;
	}
	rows->v[rows->n++] = *r;
}

void serve_rows_clear(struct serve_rows *rows)
{
	rows->n = 0;
	rows->oom = false;
}

void serve_rows_free(struct serve_rows *rows)
{
	free(rows->v);
	memset(rows, 0, sizeof(*rows));
}

int serve_metric_find(const char *name)
{
	for (int m = 0; m < M_NMETRICS; m++)
		if (!strcmp(serve_metrics[m].name, name))
			return m;
	return -1;
}
