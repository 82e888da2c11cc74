/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interactive screen's state, with no terminal and no kernel in it: the rows of the
 * process and connection tables, their order, filter, units, selection, drill-down, pause,
 * interval and help, what each key does to them, and which columns fit a terminal's width.
 * model.c holds the rows, keys.c the keys, cols.c the columns; screen.c draws it all, and the
 * unit tests drive it key by key.
 *
 * Data: each interval the caller hands the model plain arrays of totals since start
 * (tui_feed_procs, tui_feed_conns) with the monotonic time they were read at. The model, not
 * the caller, turns consecutive totals into rates, so that every command gets the same
 * per-second numbers whatever its interval, pause or drill-down. A row seen for the first time
 * has no rate yet ("-"): the screen shows totals from the first moment, rates from the second.
 */
#ifndef SS_TUI_MODEL_H
#define SS_TUI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TUI_COMM_LEN	 16
#define TUI_USER_LEN	 16
#define TUI_FILTER_LEN	 64
#define TUI_MIN_COLS	 60
#define TUI_MIN_ROWS	 10
#define TUI_MIN_INTERVAL 100 /* ms: shorter would redraw faster than anyone reads */
#define TUI_MAX_INTERVAL 60000

/* One process (or, when the caller groups, one name), totals since start. */
struct tui_proc_in {
	uint32_t pid; /* 0 when the caller grouped by name */
	uint32_t nprocs;
	char user[TUI_USER_LEN]; /* may be unterminated; escaped before display */
	char comm[TUI_COMM_LEN]; /* untrusted, may be unterminated */
	uint64_t sent, recv, calls;
};

/* One socket of one process, totals since start and, for TCP, the kernel's view of it. */
struct tui_conn_in {
	uint64_t id; /* stable across intervals (the socket's cookie) */
	uint32_t pid;
	char comm[TUI_COMM_LEN]; /* untrusted */
	uint8_t proto;		 /* IPPROTO_TCP / IPPROTO_UDP */
	uint16_t family;	 /* AF_INET / AF_INET6 */
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
	const char *role, *state; /* static names (role_name, tcp_state_name), or NULL */
	uint64_t sent, recv;
	bool has_tcp; /* cwnd, srtt and retransmits below are known */
	uint32_t cwnd, srtt_us, retrans;
};

enum tui_view { TUI_PROCS, TUI_CONNS };
enum tui_unit { TUI_UNIT_BYTES, TUI_UNIT_BITS, TUI_UNIT_TOTAL, TUI_NUNITS };
enum tui_group { TUI_BY_PID, TUI_BY_COMM };

/* Keys the screen translates from curses; printable keys are their ASCII code. */
enum {
	TUI_KEY_UP = 0x100,
	TUI_KEY_DOWN,
	TUI_KEY_PGUP,
	TUI_KEY_PGDN,
	TUI_KEY_HOME,
	TUI_KEY_END,
	TUI_KEY_ENTER,
	TUI_KEY_ESC,
	TUI_KEY_BACKSPACE,
	TUI_KEY_F1,
	TUI_KEY_F6,
};

/* What tui_key asks of the caller, as a bit mask. */
enum {
	TUI_REDRAW = 1,	  /* the screen changed */
	TUI_RESAMPLE = 2, /* the data wanted changed (drill-down, grouping): sample now */
	TUI_RETIME = 4,	  /* the interval changed */
	TUI_QUIT = 8,
};

/* A column: fixed by the view; which are shown and how wide is tui_layout's business. */
struct tui_col {
	const char *title; /* header */
	const char *name;  /* for --sort: the JSON name where there is one */
	int min, max;	   /* display columns */
	int drop;	   /* 0 is never dropped; higher goes first when space runs out */
	bool left;
};

/* A row after rates, grouping and escaping: what the screen shows. */
struct tui_row {
	uint64_t key;	      /* what the selection and rates follow across intervals */
	size_t seq;	      /* place in the caller's array */
	struct tui_proc_in p; /* procs: the input; conns: pid and comm only */
	struct tui_conn_in c; /* conns only */
	double rate_sent, rate_recv, rate_calls; /* per second; < 0: not known yet */
	char name[4 * TUI_COMM_LEN + 1];	 /* comm, escaped */
	char local[56], remote[56];		 /* conns: endpoints */
};

#define TUI_SORT_TOTAL (-1) /* sent + received rate: top's default order */
#define TUI_SORT_FED   (-3) /* the order the caller fed the rows in */

struct tui_table {
	struct tui_row *rows;
	size_t n, cap;
	size_t *order; /* shown rows (filtered, sorted), indices into rows */
	size_t nshown, ordercap;
	struct tui_row *prev; /* the previous sample, by key, for rates */
	size_t nprev, prevcap;
	uint64_t prev_ns;
	int sort; /* column index in this view's columns, TUI_SORT_TOTAL or TUI_SORT_FED */
	bool ascending;
	size_t sel, top; /* selection and first shown row, in order[] */
	size_t body;	 /* rows the screen showed last (for page keys) */
	uint64_t sel_key;
	bool sel_valid;
};

struct tui_layout {
	bool too_small;
	int ncols;
	int col[16];   /* column indices shown, left to right */
	int width[16]; /* their widths */
	int body;      /* table rows that fit */
};

struct tui_model {
	enum tui_view root, view; /* top starts in TUI_PROCS, conns in TUI_CONNS */
	enum tui_unit unit;
	enum tui_group group;
	struct tui_table procs, conns;
	uint32_t drill_pid; /* the process whose connections are shown (0: by name) */
	char drill_comm[TUI_COMM_LEN];
	char filter[TUI_FILTER_LEN];
	bool filtering; /* keys go to the filter line */
	bool paused, help, utf8;
	int interval_ms;
};

void tui_model_init(struct tui_model *m, enum tui_view root, int interval_ms, bool utf8);
void tui_model_free(struct tui_model *m);

/* Takes this interval's totals (read at now_ns, monotonic); -1 on allocation failure. */
int tui_feed_procs(struct tui_model *m, const struct tui_proc_in *in, size_t n, uint64_t now_ns);
int tui_feed_conns(struct tui_model *m, const struct tui_conn_in *in, size_t n, uint64_t now_ns);

/* Whether the caller must read connections this interval (conns, or top drilled down). */
bool tui_wants_conns(const struct tui_model *m);

/* Applies one key; returns TUI_REDRAW | TUI_RESAMPLE | TUI_RETIME | TUI_QUIT. */
int tui_key(struct tui_model *m, int key);

/* Sorts the current view by a column named as --sort names it; -1 if there is none. */
int tui_sort_by(struct tui_model *m, const char *name);
/*
 * Keeps the rows in the order they are fed: for a --sort column the screen does not show
 * (conns sorts its views with conn_views_sort, then feeds them). Any sort key leaves it.
 */
void tui_sort_fed(struct tui_model *m);

/* The table now shown, and its columns. */
struct tui_table *tui_table_of(struct tui_model *m);
const struct tui_col *tui_columns(const struct tui_model *m, int *n);

/* Which columns fit width x height (header and status lines included). */
void tui_layout(const struct tui_model *m, int width, int height, struct tui_layout *l);

/* Column helpers that model.c's keys and sorting use (cols.c). */
#define TUI_SORT_NONE (-2)
/* The column a sort key ('s', 'r', 't', 'p', 'n') stands for in this view, or TUI_SORT_NONE. */
int tui_key_column(const struct tui_model *m, int key);
/* The column named name (its --sort name, title or alias), or TUI_SORT_NONE. */
int tui_col_named(const struct tui_model *m, const char *name);
/* Names and PIDs sort up by default, amounts down (the biggest first). */
bool tui_col_ascending(const struct tui_model *m, int col);
/* Ascending order of rows a and b on column col (TUI_SORT_TOTAL: sent + received). */
int tui_row_cmp(const struct tui_model *m, const struct tui_row *a, const struct tui_row *b,
		int col);

/* Column col's header for the current view and unit ("SENT/s", "SENT", "PROCS"). */
const char *tui_title(const struct tui_model *m, int col);
/* Whether column col can be shown now (USER needs per-process rows, totals a rate unit). */
bool tui_col_avail(const struct tui_model *m, int col);
/* Scrolls so the selection is among body shown rows; returns the first row to draw. */
size_t tui_scroll(struct tui_model *m, size_t body);

/* The text of one cell (shown row i, column col), escaped; "" past the end. */
const char *tui_cell(const struct tui_model *m, size_t i, int col, char *buf, size_t len);
/* Whether a cell deserves attention (retransmits, a rising count). */
bool tui_cell_alert(const struct tui_model *m, size_t i, int col);

/*
 * Writes s into dst cut or padded to exactly width display columns; a cut string ends in an
 * ellipsis ("…" in UTF-8, "~" otherwise). Returns dst.
 */
char *tui_fit(char *dst, size_t len, const char *s, int width, bool left, bool utf8);

/* Sum of every row's totals and rates (all rows, filter or not). */
void tui_sums(const struct tui_model *m, double rate[2], uint64_t total[2]);

/* A rate for the header and cells, in the model's unit: "15.0 KiB/s", "1.2 Mbit/s". */
char *tui_fmt_rate(char *buf, size_t len, double bytes_per_s, enum tui_unit unit);

#endif
