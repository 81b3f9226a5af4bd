/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * localcc.h - a congestion control that does not pace, for local legs
 *
 * DOC: Theory of Operation
 *
 * See localcc.c.  Agents call local_cc_set() on listeners bound to a
 * loopback address (accepted sockets inherit the choice), the relay on a
 * pool socket before connect() when the target is in the other namespace
 * itself.
 */
#ifndef NSPLICE_LOCALCC_H
#define NSPLICE_LOCALCC_H

void local_cc_set(int fd);

#endif /* NSPLICE_LOCALCC_H */
