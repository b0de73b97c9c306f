/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mh_status.h — names of the status codes of acknowledgements, for logs and
 * metrics: PBA (RFC 5213 §8.9, RFC 6275), FMA and the Flow Identification
 * option's status (draft-ietf-netext-pmipv6-flowmob), BRA (RFC 5846), UPA
 * (RFC 7077). mh_status_text(MH_PBA, 154, ...) is "154 MAG not authorized".
 */
#ifndef FLOWMOB_MH_STATUS_H
#define FLOWMOB_MH_STATUS_H

#include <stddef.h>

#include "mh/mh.h"

/* The Flow Identification option's status has no message kind of its own. */
#define MH_STATUS_FID ((enum mh_kind)1000)

/* "MAG not authorized"; "accepted" for 0; NULL for a code without a name. */
const char *mh_status_name(enum mh_kind kind, unsigned status);
/* "154 MAG not authorized", or "200 unknown"; returns buf. */
const char *mh_status_text(enum mh_kind kind, unsigned status, char *buf, size_t len);

#endif /* FLOWMOB_MH_STATUS_H */
