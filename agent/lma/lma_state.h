/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lma_state.h — the LMA's persistence layer (lma_state.c): the state file and the
 * reconciliation with the data plane at start. Above registration and lma_base.c;
 * called by lma.c (lma_state_save itself is public: lma.h).
 */
#ifndef FLOWMOB_LMA_STATE_H
#define FLOWMOB_LMA_STATE_H

#include "lma/lma_int.h"

/* Timer callback for l->save_timer: writes the state file. */
void lma_state_save_timeout(struct fm_timer *t, uint64_t now);
/* Loads the state file (restart counter, MNs, bindings, flows); <0: none or unreadable. */
int lma_state_load(struct lma *l, uint64_t now);
/* Makes the data plane match the loaded state: adopts newer bindings, removes strays. */
void lma_reconcile(struct lma *l, uint64_t now);

#endif /* FLOWMOB_LMA_STATE_H */
