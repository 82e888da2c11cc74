/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the files of src/tui only: the commands use model.h and screen.h. */
#ifndef SS_TUI_MODEL_INT_H
#define SS_TUI_MODEL_INT_H

#include "tui/model.h"

/* The table the view shows. */
static inline const struct tui_table *tui_shown(const struct tui_model *m)
{
	return m->view == TUI_PROCS ? &m->procs : &m->conns;
}

/* Filters, sorts and reselects the shown table after any change to its rows or settings. */
int tui_refresh(struct tui_model *m);
/* Rebuilds the process rows from the last sample, one per process or one per name. */
int tui_regroup(struct tui_model *m);

#endif
