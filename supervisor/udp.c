// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp.c - the supervisor's part of UDP forwards: telling the target side
 *
 * DOC: Theory of Operation
 *
 * A UDP forward is bound, sent to the relay and removed exactly like a
 * TCP one (fwdtab.c).  What differs: the agent of the side that does not
 * listen creates and connects the sockets that carry each flow to the
 * target (nsagent/udp.c), so it must know every UDP forward it serves.
 * It is sent the forward as UDP_TARGET before the FORWARD reaches the
 * relay (which then asks it for sockets), again whenever it starts
 * serving a relay afresh (restart, RELAY_CHAN) since a new agent knows
 * nothing, and UDP_TARGET_DEL when the forward is removed.  An agent not
 * up yet gets the whole set when it is (fwdtab_pool_allow()).
 *
 * No Landlock connect rule and no pool family is needed for UDP: the
 * relay never calls connect() on a UDP socket (udp_fwd_needs_relay_port()).
 */
#include "ipc/log.h"
#include "supervisor/supervisor.h"

/**
 * udp_other_agent() - the agent that connects a forward's flows
 * @m:		forward
 *
 * Return: CH_AGENT_TARGET for a host-side listener, else CH_AGENT_HOST
 */
static enum sup_child_id udp_other_agent(const struct msg_forward *m)
{
	return m->listen_side == SIDE_HOST ? CH_AGENT_TARGET : CH_AGENT_HOST;
}

/**
 * udp_agent_up() - can an agent be sent messages now
 * @s:		supervisor state
 * @id:		CH_AGENT_HOST or CH_AGENT_TARGET
 *
 * Return: true if it runs and said HELLO
 */
static bool udp_agent_up(const struct supervisor *s, enum sup_child_id id)
{
	return s->ch[id].pid > 0 && s->ch[id].hello;
}

/**
 * udp_target_send() - tell the connecting agent about a UDP forward
 * @s:		supervisor state
 * @m:		forward; nothing happens unless it is FWD_F_UDP
 */
void udp_target_send(struct supervisor *s, const struct msg_forward *m)
{
	enum sup_child_id id = udp_other_agent(m);

	if ((m->flags & FWD_F_UDP) && udp_agent_up(s, id))
		sup_send(s, id, MSG_UDP_TARGET, m, NULL, 0);
}

/**
 * udp_target_del() - the connecting agent stops serving a UDP forward
 * @s:		supervisor state
 * @m:		forward being removed; nothing happens unless FWD_F_UDP
 */
void udp_target_del(struct supervisor *s, const struct msg_forward *m)
{
	enum sup_child_id id = udp_other_agent(m);
	struct msg_id del = { m->id };

	if ((m->flags & FWD_F_UDP) && udp_agent_up(s, id))
		sup_send(s, id, MSG_UDP_TARGET_DEL, &del, NULL, 0);
}

/**
 * udp_targets_resend() - every UDP forward an agent connects for, again
 * @s:		supervisor state
 * @id:		agent just up, or just given a new relay's channel
 */
void udp_targets_resend(struct supervisor *s, enum sup_child_id id)
{
	uint32_t fid;

	for (fid = 0; fid < FWD_ID_MAX; fid++) {
		const struct sup_fwd *f = &s->ft[fid];

		if (f->state == FS_FREE || f->state == FS_UNBIND ||
		    f->state == FS_UNBINDING)
			continue;
		if ((f->e.m.flags & FWD_F_UDP) && udp_other_agent(&f->e.m) == id)
			udp_target_send(s, &f->e.m);
	}
}

/**
 * udp_fwd_needs_relay_port() - does a forward need a relay connect rule
 * @m:		forward
 *
 * Return: false for UDP forwards (their sockets come connected)
 */
bool udp_fwd_needs_relay_port(const struct msg_forward *m)
{
	return !(m->flags & FWD_F_UDP);
}
