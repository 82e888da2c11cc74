/* SPDX-License-Identifier: GPL-2.0 */
/* Drawing a tui_model with curses: used by screen.c only. */
#ifndef SS_TUI_DRAW_H
#define SS_TUI_DRAW_H

#include <stdbool.h>

#include "tui/model.h"
#include "tui/screen.h"

/* Whether colour may be used (a colour terminal, and no NO_COLOR). */
void draw_colors(bool on);
/* The whole screen: header, column titles, rows or help, status line. */
void draw_screen(struct tui_model *m, const struct tui_status *st, bool lost_rising);

#endif
