/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * relay.h - entry point of the relay role
 *
 * DOC: Theory of Operation
 *
 * See relay.c.  relay_main() is called from cmd/role.c once the common
 * child set-up is done: descriptor 2 is the log pipe, 3 the channel to the
 * supervisor, 4 and 5 the channels to agent[host] and agent[target].
 */
#ifndef NSPLICE_RELAY_H
#define NSPLICE_RELAY_H

int relay_main(void);

#endif /* NSPLICE_RELAY_H */
