/* SPDX-License-Identifier: GPL-2.0 */
/*
 * version.h — flowmob's version string, shared by flowmobd, flowmobctl and the
 * control socket's "version" command.
 */
#ifndef FLOWMOB_VERSION_H
#define FLOWMOB_VERSION_H

#define FLOWMOB_VERSION "0.1.0"

#endif /* FLOWMOB_VERSION_H */
