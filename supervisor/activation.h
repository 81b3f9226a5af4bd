/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * activation.h - systemd socket activation: inherited host-side listeners
 *
 * DOC: Theory of Operation
 *
 * With a .socket unit, systemd creates the listening sockets and starts
 * nsplice with them open on descriptors 3, 4, ... and LISTEN_PID (our
 * pid), LISTEN_FDS (how many) and LISTEN_FDNAMES (their FileDescriptorName=
 * values, colon-separated) in the environment (sd_listen_fds(3)).  nsplice
 * uses each as the host-side listener of the -t forward with the same
 * address and port, instead of binding one itself: the port is open
 * before nsplice starts, and nsplice needs no privilege for low ports.
 *
 * activation_collect() runs first thing in the supervisor, before
 * anything opens a descriptor: nsplice puts its channels on fixed low
 * numbers, so the inherited sockets are moved to CLOEXEC descriptors at
 * ACTIVATION_FD_MIN or above and the originals closed.  Every inherited
 * descriptor must be a listening TCP socket of IPv4 or IPv6, and every
 * one must be used by some forward (activation_check_all_taken()): a
 * socket nobody accepts on would leave clients hanging without a word.
 *
 * activation_adopt() takes a listener passed by another convention
 * (dockerd's "-use-listen-fd": fd 4) the same way, before the supervisor
 * starts; activation_collect() keeps it.
 *
 * Inherited sockets belong to systemd, which keeps them across restarts
 * of the service: nsplice closes its copies but never shutdown()s them.
 */
#ifndef NSPLICE_ACTIVATION_H
#define NSPLICE_ACTIVATION_H

#include <stddef.h>
#include <stdint.h>

#include "ipc/inany.h"

/* ACTIVATION_FDS_START - first inherited descriptor (SD_LISTEN_FDS_START) */
#define ACTIVATION_FDS_START	3

/* ACTIVATION_FDS_MAX - inherited sockets accepted at most */
#define ACTIVATION_FDS_MAX	64

/* ACTIVATION_FD_MIN - inherited sockets are moved to this number or above */
#define ACTIVATION_FD_MIN	100

/* ACTIVATION_NAME_MAX - bytes of one FileDescriptorName=, NUL included */
#define ACTIVATION_NAME_MAX	256

int activation_adopt(int fd, const char *name, char *err, size_t errlen);
int activation_collect(char *err, size_t errlen);
int activation_take(int family, const union inany *addr, uint16_t port,
		    bool udp);
int activation_check_all_taken(char *err, size_t errlen);
int activation_untaken_on(uint16_t port, bool udp, int family, char *err,
			  size_t errlen);
unsigned activation_count(void);

#endif /* NSPLICE_ACTIVATION_H */
