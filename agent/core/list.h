/* SPDX-License-Identifier: GPL-2.0 */
/*
 * list.h — the agent's lists are <sys/queue.h> (LIST_*, TAILQ_*), embedded in
 * their owners; this header adds what <sys/queue.h> lacks: a safe-to-remove
 * iteration and container_of, to get from an embedded member (a list entry, a
 * timer) back to its owner.
 */
#ifndef FLOWMOB_LIST_H
#define FLOWMOB_LIST_H

#include <stddef.h>
#include <sys/queue.h>

#define fm_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* glibc's <sys/queue.h> has no *_FOREACH_SAFE: iterate while var may be removed. */
#ifndef LIST_FOREACH_SAFE
#define LIST_FOREACH_SAFE(var, head, field, tvar)                                                  \
	for ((var) = LIST_FIRST(head); (var) && ((tvar) = LIST_NEXT(var, field), 1); (var) = (tvar))
#endif
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                                 \
	for ((var) = TAILQ_FIRST(head); (var) && ((tvar) = TAILQ_NEXT(var, field), 1);             \
	     (var) = (tvar))
#endif

#endif /* FLOWMOB_LIST_H */
