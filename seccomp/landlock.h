/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * landlock.h - Landlock layers of the sandbox, whatever the kernel offers
 *
 * DOC: Theory of Operation
 *
 * See landlock.c.  The constants below are the kernel's UAPI values; they
 * are spelled out here because the build system's <linux/landlock.h> may
 * predate the network and scope parts of the ABI, while the kernel nsplice
 * runs on may have them.  Everything is used only once the ABI version the
 * kernel reports says it exists.
 */
#ifndef NSPLICE_LANDLOCK_H
#define NSPLICE_LANDLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* LL_RULE_NET_PORT - rule type of a TCP port rule (ABI 4) */
#define LL_RULE_NET_PORT		2

/* LL_NET_BIND_TCP, LL_NET_CONNECT_TCP - network access rights (ABI 4) */
#define LL_NET_BIND_TCP			(1ULL << 0)
#define LL_NET_CONNECT_TCP		(1ULL << 1)

/* LL_SCOPE_* - IPC scoping (ABI 6) */
#define LL_SCOPE_ABSTRACT_UNIX		(1ULL << 0)
#define LL_SCOPE_SIGNAL			(1ULL << 1)

/* LL_ABI_NET, LL_ABI_SCOPE - first ABI versions with those parts */
#define LL_ABI_NET			4
#define LL_ABI_SCOPE			6

/**
 * struct ll_layers - what a Landlock layer restricts, for the log line
 * @abi:	ABI version of the kernel, 0 without Landlock
 * @fs:		every filesystem access denied
 * @bind:	TCP bind() denied
 * @scope:	signals and abstract unix sockets limited to the domain
 */
struct ll_layers {
	int abi;
	bool fs;
	bool bind;
	bool scope;
};

int landlock_abi(void);
int landlock_restrict_base(bool deny_bind, struct ll_layers *got);
int landlock_restrict_connect(const uint16_t *ports, unsigned n);

#endif /* NSPLICE_LANDLOCK_H */
