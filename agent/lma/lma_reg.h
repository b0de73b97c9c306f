/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lma_reg.h — the LMA's registration layer (lma_reg.c): a PBU turned into binding
 * cache changes and its PBA (RFC 5213 §5.3 with several bindings per MN), held
 * HI-4 PBUs, binding lifetimes. Above flow mobility (lma_flow.c) and lma_base.c;
 * called by lma.c (receive dispatch, reload) and lma_state.c (binding timers).
 */
#ifndef FLOWMOB_LMA_REG_H
#define FLOWMOB_LMA_REG_H

#include "lma/lma_int.h"

/* Rx: a PBU from src; always answered with a PBA (or held, for HI 4). */
void lma_handle_pbu(struct lma *l, const struct mh_msg *m, const struct in6_addr *src,
		    uint64_t now);
/* Removes a binding: its prefixes (unless shared or held by another binding), its
 * flows re-placed, the MN itself when nothing is left. */
void lma_binding_delete(struct lma *l, struct bce_binding *b, uint64_t now);
/* Binds a binding's timer (lifetime expiry, deferred delete) to this layer. */
void lma_binding_timer_init(struct lma *l, struct bce_binding *b);
/* Stops and frees the held PBUs (lma_free). */
void lma_reg_fini(struct lma *l);

#endif /* FLOWMOB_LMA_REG_H */
