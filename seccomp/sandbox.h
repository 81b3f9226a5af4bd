/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sandbox.h - isolation of each role, as a sequence of named stages
 *
 * DOC: Theory of Operation
 *
 * See sandbox.c for the relay's stages, and SECURITY.md for what each
 * layer promises.  The roles call in at fixed points:
 *
 *   cmd/role.c        sandbox_configure() with the role arguments, then
 *                     sandbox_relay_enter() right before relay_main();
 *   nsagent/agent.c   sandbox_agent_enter() once the agent has entered its
 *                     namespace, dropped capabilities and set up its timer;
 *   supervisor.c      sandbox_supervisor_enter() once COMMAND and the
 *                     spawner are forked, before the first child starts;
 *   spawner.c         sandbox_spawner_enter() in the spawner, before it
 *                     serves its first request;
 *   relay/relay.c     once the first FORWARD batch is complete:
 *                     sandbox_relay_connect_allow() for each target port,
 *                     then sandbox_relay_connect_lock(); and
 *                     sandbox_relay_tick() after every round of events
 *                     (does something in NSPLICE_TESTING builds only).
 */
#ifndef NSPLICE_SANDBOX_H
#define NSPLICE_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "seccomp/seccomp.h"

/* RELAY_NOFILE_RESERVE - descriptors beyond two per flow: channels,
 * pools, listeners and pipes (relay/relay.c computes the exact split) */
#define RELAY_NOFILE_RESERVE	16384U

/* RELAY_NOFILE_MAX - the relay's descriptor limit, soft and hard: two per
 * slot of the largest flow table (FLOW_SLOTS_MAX), plus the reserve */
#define RELAY_NOFILE_MAX	(2U * 65536U + RELAY_NOFILE_RESERVE)

/**
 * struct sandbox_cfg - what a child learns from its role arguments
 * @mode:	enum sandbox_mode
 * @parent:	the supervisor's pid, to re-arm PR_SET_PDEATHSIG after each
 *		credential change (the kernel clears it on a uid change)
 * @runas:	the relay changes to @uid/@gid first (nsplice runs as root)
 * @uid:	user id to run the relay as
 * @gid:	group id to run the relay as
 * @attempt:	NSPLICE_TESTING builds: forbidden operation the relay tries
 *		once serving (--test-attempt), or NULL
 */
struct sandbox_cfg {
	enum sandbox_mode mode;
	pid_t parent;
	bool runas;
	uid_t uid;
	gid_t gid;
	const char *attempt;
};

void sandbox_configure(const struct sandbox_cfg *c);
void sandbox_relay_enter(void);
void sandbox_agent_enter(void);
int sandbox_supervisor_enter(enum sandbox_mode mode, char *err,
			     size_t errlen);
int sandbox_spawner_enter(enum sandbox_mode mode, char *err, size_t errlen);

bool sandbox_relay_connect_pending(void);
void sandbox_relay_connect_allow(uint16_t port);
void sandbox_relay_connect_lock(void);

#ifdef NSPLICE_TESTING
void sandbox_relay_tick(void);
bool sandbox_attempt_known(const char *what);
bool sandbox_attempt_run(const char *what, const uint8_t *allowed);
#else
/**
 * sandbox_relay_tick() - nothing outside NSPLICE_TESTING builds
 */
static inline void sandbox_relay_tick(void)
{
}
#endif

#endif /* NSPLICE_SANDBOX_H */
