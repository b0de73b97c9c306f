// SPDX-License-Identifier: GPL-2.0
/*
 * mh_status.c — status code names (mh_status.h), one table per acknowledgement,
 * from the enums in mh.h.
 */
#include <stdio.h>

#include "mh/mh_status.h"

struct status_name {
	unsigned code;
	const char *name;
};

static const struct status_name pba[] = {
    {PBA_ACCEPTED, "accepted"},
    {PBA_UNSPECIFIED, "reason unspecified"},
    {PBA_ADMIN_PROHIBITED, "administratively prohibited"},
    {PBA_INSUFFICIENT_RESOURCES, "insufficient resources"},
    {PBA_SEQ_OUT_OF_WINDOW, "sequence number out of window"},
    {PBA_PROXY_REG_NOT_ENABLED, "proxy registration not enabled"},
    {PBA_NOT_LMA_FOR_MN, "not LMA for this mobile node"},
    {PBA_MAG_NOT_AUTHORIZED, "MAG not authorized"},
    {PBA_NOT_AUTHORIZED_FOR_HNP, "not authorized for home network prefix"},
    {PBA_TIMESTAMP_MISMATCH, "timestamp mismatch"},
    {PBA_TIMESTAMP_LOWER, "timestamp lower than previously accepted"},
    {PBA_MISSING_HNP, "missing home network prefix option"},
    {PBA_BCE_PBU_PREFIX_MISMATCH, "BCE and PBU prefixes do not match"},
    {PBA_MISSING_MN_ID, "missing mobile node identifier option"},
    {PBA_MISSING_HI, "missing handoff indicator option"},
    {PBA_MISSING_ATT, "missing access technology type option"},
};

static const struct status_name fma[] = {
    {FMA_SUCCESS, "success"},
    {FMA_UNSPECIFIED, "reason unspecified"},
    {FMA_MN_NOT_ATTACHED, "mobile node not attached"},
    {FMA_SEQ_OUT_OF_WINDOW, "sequence number out of window"},
    {FMA_TS_FORMAT_UNSUPPORTED, "traffic selector format not supported"},
    {FMA_NO_ENTRY, "no flow entry"},
    {FMA_ENTRY_EXISTS, "flow entry exists"},
};

static const struct status_name fid[] = {
    {FID_SUCCESS, "success"},
    {FID_ADMIN_PROHIBITED, "administratively prohibited"},
    {FID_REJECTED, "flow binding rejected"},
    {FID_MALFORMED, "flow identification malformed"},
    {FID_BID_NOT_FOUND, "BID not found"},
    {FID_NOT_FOUND, "FID not found"},
    {FID_TS_FORMAT_UNSUPPORTED, "traffic selector format not supported"},
};

static const struct status_name bra[] = {
    {BRA_SUCCESS, "success"},
    {BRA_PARTIAL, "partial success"},
    {BRA_NO_BINDING, "no binding"},
    {BRA_GLOBAL_NOT_AUTHORIZED, "global revocation not authorized"},
    {BRA_FAILED_MN_ATTACHED, "revocation failed, mobile node attached"},
    {BRA_TRIGGER_UNSUPPORTED, "revocation trigger not supported"},
};

static const struct status_name upa[] = {
    {UPA_SUCCESS, "success"},
    {UPA_UNSPECIFIED, "reason unspecified"},
    {UPA_MN_NOT_ATTACHED, "mobile node not attached"},
};

#define LOOKUP(t)                                                                                  \
	do {                                                                                       \
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)                              \
			if (t[i].code == status)                                                   \
				return t[i].name;                                                  \
		return NULL;                                                                       \
	} while (0)

const char *mh_status_name(enum mh_kind kind, unsigned status)
{
	switch ((int)kind) {
	case MH_PBA:
		LOOKUP(pba);
	case MH_FMA:
		LOOKUP(fma);
	case MH_BRA:
		LOOKUP(bra);
	case MH_UPA:
		LOOKUP(upa);
	case MH_STATUS_FID:
		LOOKUP(fid);
	default:
		return NULL;
	}
}

const char *mh_status_text(enum mh_kind kind, unsigned status, char *buf, size_t len)
{
	const char *n = mh_status_name(kind, status);

	snprintf(buf, len, "%u %s", status, n ? n : "unknown");
	return buf;
}
