// SPDX-License-Identifier: GPL-2.0
/*
 * The interactive screen's terminal side: opening and restoring the terminal, and the loop of
 * samples and keys. Drawing is in draw.c. See screen.h.
 */
#include "tui/screen.h"
#include "tui/draw.h"
#include "core/run.h"

#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#define POLL_MS 200 /* longest wait: how soon a stop signal or done() is seen */

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
#define NSTOP  (int)(sizeof(stop_signals) / sizeof(stop_signals[0]))
#define NFATAL (int)(sizeof(fatal_signals) / sizeof(fatal_signals[0]))

static volatile sig_atomic_t is_open, stopped;
static struct termios saved_tio;
static char restore_seq[256]; /* terminfo's way back: normal screen, cursor, attributes */
static size_t restore_len;
static struct sigaction old_stop[NSTOP], old_fatal[NFATAL];
static SCREEN *scr;

void tui_restore(void)
{
	if (!is_open)
		return;
	is_open = 0;
	/* a failed write leaves nothing more to try: the tty modes are restored anyway */
	if (restore_len && write(STDOUT_FILENO, restore_seq, restore_len) < 0)
		is_open = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

static void on_stop(int sig)
{
	int i = 0;

	stopped = 1;
	while (i < NSTOP && stop_signals[i] != sig)
		i++;
	/* the command's own handler (its stop flag) still runs */
	if (i < NSTOP && !(old_stop[i].sa_flags & SA_SIGINFO) &&
	    old_stop[i].sa_handler != SIG_DFL && old_stop[i].sa_handler != SIG_IGN)
		old_stop[i].sa_handler(sig);
}

static void on_fatal(int sig)
{
	tui_restore();
	raise(sig); /* SA_RESETHAND: the default action now, a core dump if asked for */
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	for (int i = 0; i < NSTOP; i++)
		sigaction(stop_signals[i], &sa, &old_stop[i]);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (int i = 0; i < NFATAL; i++)
		sigaction(fatal_signals[i], &sa, &old_fatal[i]);
}

static void release_signals(void)
{
	for (int i = 0; i < NSTOP; i++)
		sigaction(stop_signals[i], &old_stop[i], NULL);
	for (int i = 0; i < NFATAL; i++)
		sigaction(fatal_signals[i], &old_fatal[i], NULL);
}

static void add_cap(const char *name)
{
	char *s = tigetstr(name);
	size_t n;

	if (!s || s == (char *)-1)
		return;
	n = strlen(s);
	if (restore_len + n < sizeof(restore_seq)) {
		memcpy(restore_seq + restore_len, s, n);
		restore_len += n;
	}
}

/* Computed while the terminal is open, so that a signal handler only has to write it. */
static void prepare_restore(void)
{
	restore_len = 0;
	add_cap("sgr0");
	add_cap("cnorm");
	add_cap("rmkx");
	add_cap("rmcup");
}

static void restore_at_exit(void)
{
	tui_restore();
}

static int screen_open(void)
{
	static bool registered;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio))
		return -1;
	catch_signals(); /* before newterm, so that ncurses keeps ours */
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		release_signals();
		return -1;
	}
	is_open = 1;
	stopped = 0;
	prepare_restore();
	if (!registered)
		registered = !atexit(restore_at_exit);
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	draw_colors(getenv("NO_COLOR") && *getenv("NO_COLOR") ? false : has_colors());
	return 0;
}

static void screen_close(void)
{
	flushinp(); /* keys typed meanwhile are the screen's, not the shell's */
	endwin();
	delscreen(scr);
	scr = NULL;
	is_open = 0;
	release_signals();
}

/* curses' key codes in the model's terms. */
static const struct {
	int curses, model;
} keymap[] = {
	{ KEY_UP, TUI_KEY_UP },
	{ KEY_DOWN, TUI_KEY_DOWN },
	{ KEY_PPAGE, TUI_KEY_PGUP },
	{ KEY_NPAGE, TUI_KEY_PGDN },
	{ KEY_HOME, TUI_KEY_HOME },
	{ KEY_END, TUI_KEY_END },
	{ KEY_ENTER, TUI_KEY_ENTER },
	{ '\n', TUI_KEY_ENTER },
	{ '\r', TUI_KEY_ENTER },
	{ 27, TUI_KEY_ESC },
	{ KEY_BACKSPACE, TUI_KEY_BACKSPACE },
	{ 127, TUI_KEY_BACKSPACE },
	{ 8, TUI_KEY_BACKSPACE },
	{ KEY_F(1), TUI_KEY_F1 },
	{ KEY_F(6), TUI_KEY_F6 },
};

static int model_key(int c)
{
	for (size_t i = 0; i < sizeof(keymap) / sizeof(keymap[0]); i++)
		if (keymap[i].curses == c)
			return keymap[i].model;
	return c >= 0 && c < 0x100 ? c : 0;
}

struct loop {
	struct tui_model *m;
	const struct tui_source *src;
	struct tui_status st;
	uint64_t next_ns; /* when the next sample is due */
	uint64_t lost_before;
};

static int sample(struct loop *l)
{
	uint64_t now = run_now_ns();
	int rc;

	l->lost_before = l->st.lost;
	rc = l->src->sample(l->src->ctx, l->m, &l->st, now);
	l->next_ns = now + (uint64_t)l->m->interval_ms * 1000000ULL;
	return rc;
}

/* Milliseconds to wait for a key: what is left of the interval, at most POLL_MS. */
static int wait_ms(const struct loop *l)
{
	uint64_t now = run_now_ns();
	uint64_t left = l->next_ns > now ? (l->next_ns - now) / 1000000 : 0;

	return left > POLL_MS ? POLL_MS : (int)left;
}

static void redraw(struct loop *l)
{
	draw_screen(l->m, &l->st, l->st.lost > l->lost_before);
}

/* One key; returns 1 to quit. */
static int handle_key(struct loop *l, int c)
{
	int act;

	if (c == KEY_RESIZE) {
		redraw(l);
		return 0;
	}
	act = tui_key(l->m, model_key(c));
	if (act & TUI_QUIT)
		return 1;
	if (act & TUI_RETIME)
		l->next_ns = run_now_ns() + (uint64_t)l->m->interval_ms * 1000000ULL;
	if (act & TUI_RESAMPLE)
		l->next_ns = 0;
	if (act & TUI_REDRAW)
		redraw(l);
	return 0;
}

/* Waits for a key, the source's fd or the next sample; serves the fd. */
static void wait_input(struct loop *l)
{
	struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
			       { .fd = l->src->fd, .events = POLLIN } };
	int n = poll(p, l->src->ready ? 2 : 1, wait_ms(l));

	if (n > 0 && l->src->ready && (p[1].revents & POLLIN))
		l->src->ready(l->src->ctx);
}

static int run_loop(struct loop *l)
{
	int rc, c;

	timeout(0); /* poll() waits; getch only takes what has come (KEY_RESIZE included) */
	for (;;) {
		if (run_now_ns() >= l->next_ns) {
			if ((rc = sample(l)))
				return rc;
			redraw(l);
		}
		if (stopped || (l->src->done && l->src->done(l->src->ctx)))
			return 0;
		wait_input(l);
		while ((c = getch()) != ERR)
			if (handle_key(l, c))
				return 0;
	}
}

int tui_run(struct tui_model *m, const struct tui_source *src)
{
	struct loop l = { .m = m, .src = src };
	int rc;

	if (screen_open())
		return -1;
	rc = run_loop(&l);
	screen_close();
	return rc;
}
