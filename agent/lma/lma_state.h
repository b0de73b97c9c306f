/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lma_state.h — the LMA's persistence layer (lma_state.c): the state store, export/import, and the
 * reconciliation with the data plane at start. Above registration and lma_base.c;
 * called by lma.c (lma_state_save itself is public: lma.h).
 */
#ifndef FLOWMOB_LMA_STATE_H
#define FLOWMOB_LMA_STATE_H

#include "lma/lma_int.h"

/* Opens the state store (cfg->state_dir/lma.mdb) and restores it: from import when
 * given (an export document; it replaces what the store held), else from the store,
 * else, once, from today's state file (lma.json, then renamed lma.json.migrated).
 * -ENOENT: nothing to restore (a first start); another <0: the store is unusable. */
int lma_state_open(struct lma *l, const json_t *import, uint64_t now);
void lma_state_close(struct lma *l);
/* Makes the data plane match the loaded state: adopts newer bindings, removes strays. */
void lma_reconcile(struct lma *l, uint64_t now);

#endif /* FLOWMOB_LMA_STATE_H */
