/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by model.c and keys.c only: the screen's callers use model.h. */
#ifndef SS_TUI_MODEL_INT_H
#define SS_TUI_MODEL_INT_H

#include "model.h"

/* Filters, sorts and reselects the shown table after any change to its rows or settings. */
int tui_refresh(struct tui_model *m);
/* Rebuilds the process rows from the last sample, one per process or one per name. */
int tui_regroup(struct tui_model *m);

#endif
