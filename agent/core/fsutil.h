/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fsutil.h — file-system helpers shared by the state store, the control socket
 * and the data-plane pins.
 */
#ifndef FLOWMOB_FSUTIL_H
#define FLOWMOB_FSUTIL_H

#include <sys/types.h>

/* mkdir -p: creates path and its missing parents with mode (existing ones are
 * kept as they are). Returns 0, or -errno of the first failure; the caller logs it. */
int fm_mkdir_p(const char *path, mode_t mode);

#endif /* FLOWMOB_FSUTIL_H */
