/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * msg.h - the one catalogue of messages between nsplice's processes
 *
 * DOC: Theory of Operation
 *
 * Processes talk over AF_UNIX SOCK_SEQPACKET socketpairs, so one send is
 * one message and a receiver sees message boundaries.  A message is a
 * struct ipc_hdr followed by a payload whose size is fixed per type, plus
 * zero or more descriptors in one SCM_RIGHTS control message.
 *
 * Channels (fixed descriptor numbers in each child, see IPC_FD_*):
 *
 *   supervisor <-> agent[host]     supervisor <-> agent[target]
 *   supervisor <-> relay
 *   agent[host] <-> relay          agent[target] <-> relay
 *
 * The agent-relay channels carry sockets straight from the process that
 * created them to the one that uses them: the supervisor never holds a
 * connection.  The relay only ever receives descriptors; it never sends one
 * (issue "sandbox" removes sendmsg() from its filter).
 *
 * Every type has a row in ipc_catalogue[] (ipc.c) giving its exact payload
 * size, the most descriptors it may carry, the directions it may travel and
 * a check of its fields.  ipc_recv() applies all of it before any handler
 * sees the message; see ipc.h.
 *
 * Start-up, in order:
 *   1. every child sends HELLO to the supervisor;
 *   2. supervisor -> relay: RELAY_LIMITS, FORWARD for every listener, then
 *      CONFIG_DONE;
 *      relay -> supervisor: RELAY_READY;
 *   3. supervisor -> agent: BIND for every listener of its side, then
 *      CONFIG_DONE; agent -> relay: LISTENER + fd for each success; agent ->
 *      supervisor: BOUND (with the error, if any) for each, then
 *      AGENT_READY.
 * Steady state: relay -> agent POOL_REQ, agent -> relay POOL_FDS + fds;
 * agent -> relay NS_ADDRS whenever its namespace's addresses change.
 */
#ifndef NSPLICE_MSG_H
#define NSPLICE_MSG_H

#include <net/if.h>
#include <stdint.h>

#include "inany.h"

/* IPC_PROTO_VERSION - bumped on any change to a payload or to the table */
#define IPC_PROTO_VERSION	1

/* IPC_FDS_MAX - most descriptors in one message (SCM_MAX_FD is 253) */
#define IPC_FDS_MAX		16

/* IPC_PAYLOAD_MAX - largest payload of any type, bytes */
#define IPC_PAYLOAD_MAX		128

/* Fixed descriptor numbers in children, set up before fexecve() */
#define IPC_FD_LOG		2	/* write end of the supervisor's log pipe */
#define IPC_FD_SUPERVISOR	3	/* channel to the supervisor */
#define IPC_FD_PEER		4	/* agent: channel to the relay */
#define IPC_FD_AGENT_HOST	4	/* relay: channel to agent[host] */
#define IPC_FD_AGENT_TARGET	5	/* relay: channel to agent[target] */
#define IPC_FD_NETNS		5	/* agent[target]: netns to enter */
#define IPC_FD_USERNS		6	/* agent[target]: userns, if any */

/**
 * enum ipc_role - who is at an end of a channel
 * @ROLE_SUPERVISOR:	the supervisor
 * @ROLE_AGENT:		either agent; the side is known from the channel
 * @ROLE_RELAY:		the relay
 */
enum ipc_role {
	ROLE_SUPERVISOR = 0,
	ROLE_AGENT = 1,
	ROLE_RELAY = 2,
	ROLE_COUNT
};

/* IPC_DIR() - direction bit for a message sent by @from to @to */
#define IPC_DIR(from, to)	(1U << ((from) * ROLE_COUNT + (to)))

/**
 * enum nsp_side - the two network namespaces a forward joins
 * @SIDE_HOST:		where nsplice was started
 * @SIDE_TARGET:	the container's namespace
 */
enum nsp_side {
	SIDE_HOST = 0,
	SIDE_TARGET = 1,
	SIDE_COUNT
};

/**
 * enum ipc_type - message types; values are part of the protocol
 */
enum ipc_type {
	MSG_HELLO		= 1,
	MSG_FORWARD		= 2,
	MSG_CONFIG_DONE		= 3,
	MSG_RELAY_READY		= 4,
	MSG_BIND		= 5,
	MSG_BOUND		= 6,
	MSG_AGENT_READY		= 7,
	MSG_LISTENER		= 8,
	MSG_POOL_REQ		= 9,
	MSG_POOL_FDS		= 10,
	MSG_NS_ADDRS		= 11,
	MSG_RELAY_LIMITS	= 12,
	MSG_TYPE_MAX		= 13,	/* one past the last type */
};

/**
 * struct ipc_hdr - header of every message
 * @type:	enum ipc_type
 * @len:	payload bytes after the header; must equal the type's size
 */
struct ipc_hdr {
	uint16_t type;
	uint16_t len;
};

/**
 * struct msg_hello - child to supervisor, first message on its channel
 * @version:	IPC_PROTO_VERSION the child was built with
 * @role:	enum ipc_role of the child
 * @side:	enum nsp_side for an agent, 0 for the relay
 * @pid:	the child's pid as it sees itself, for log lines only
 */
struct msg_hello {
	uint32_t version;
	uint32_t role;
	uint32_t side;
	uint32_t pid;
};

/* FWD_F_* - flags of struct msg_forward */
#define FWD_F_TARGET_ADDR	0x01	/* connect to @target_addr, always */
#define FWD_F_OPTIONAL		0x02	/* bind failure is not an error */
#define FWD_F_ALL		(FWD_F_TARGET_ADDR | FWD_F_OPTIONAL)

/**
 * struct msg_forward - one listener and where its connections go
 * @id:			listener id, unique, < FWD_ID_MAX
 * @listen_side:	enum nsp_side that listens; the other side connects
 * @family:		AF_INET or AF_INET6 of the listener
 * @target_family:	family of @target_addr (FWD_F_TARGET_ADDR only)
 * @flags:		FWD_F_*
 * @listen_port:	port listened on, host byte order, non-zero
 * @target_port:	port connected to, host byte order, non-zero
 * @ifname:		interface to bind to (SO_BINDTODEVICE), "" for none
 * @listen_addr:	address listened on
 * @target_addr:	explicit target address (FWD_F_TARGET_ADDR only)
 *
 * Sent by the supervisor to the relay (which decides targets) and, as the
 * same struct, to the agent of @listen_side in MSG_BIND (which binds).
 */
struct msg_forward {
	uint32_t id;
	uint8_t listen_side;
	uint8_t family;
	uint8_t target_family;
	uint8_t flags;
	uint16_t listen_port;
	uint16_t target_port;
	char ifname[IF_NAMESIZE];
	union inany listen_addr;
	union inany target_addr;
};

/* FWD_ID_MAX - listener ids are below this: 65535 ports, two families */
#define FWD_ID_MAX		(2U * 65536U)

/**
 * struct msg_config_done - end of a batch of FORWARD or BIND messages
 * @count:	how many were sent in the batch, for a cross-check
 */
struct msg_config_done {
	uint32_t count;
};

/**
 * struct msg_bound - agent to supervisor: result of one BIND
 * @id:		listener id from the BIND
 * @error:	0, or the errno that bind() or listen() failed with
 */
struct msg_bound {
	uint32_t id;
	int32_t error;
};

/**
 * struct msg_listener - agent to relay: a listening socket (one fd)
 * @id:		listener id from the BIND
 */
struct msg_listener {
	uint32_t id;
};

/* POOL_REQ_MAX - most sockets one POOL_REQ may ask for */
#define POOL_REQ_MAX		64

/**
 * struct msg_pool_req - relay to agent: send me @count fresh sockets
 * @family:	AF_INET or AF_INET6
 * @count:	1..POOL_REQ_MAX
 */
struct msg_pool_req {
	uint32_t family;
	uint32_t count;
};

/**
 * struct msg_pool_fds - agent to relay: unconnected sockets (1..16 fds)
 * @family:	AF_INET or AF_INET6, the family of every attached socket
 * @count:	number of attached descriptors, checked against the real count
 */
struct msg_pool_fds {
	uint32_t family;
	uint32_t count;
};

/* NS_ADDR_F_* - which fields of struct msg_ns_addrs are valid */
#define NS_ADDR_F_V4		0x01
#define NS_ADDR_F_V6		0x02

/**
 * struct msg_ns_addrs - agent to relay: its namespace's external addresses
 * @flags:	NS_ADDR_F_*
 * @pad:	zero
 * @addr4:	first global IPv4 address that is not loopback
 * @addr6:	first global IPv6 address that is not loopback or link-local
 *
 * Connections from clients that are not on the listening side's loopback go
 * here instead of to the other side's loopback (see DESIGN.md, loopback
 * safety).
 */
struct msg_ns_addrs {
	uint8_t flags;
	uint8_t pad[3];
	union inany addr4;
	union inany addr6;
};

/**
 * struct msg_relay_limits - supervisor to relay: limits read from /proc
 * @pipe_max_size:	fs.pipe-max-size, bytes
 * @pipe_pages_soft:	fs.pipe-user-pages-soft, pages; 0 means no limit
 * @pipe_accounted:	1 if the relay's uid is subject to pipe accounting
 *			(not root, no CAP_SYS_RESOURCE)
 * @max_conns:		most concurrent connections, 0 for the default
 *
 * The relay cannot open files, so the supervisor reads these for it.
 */
struct msg_relay_limits {
	uint32_t pipe_max_size;
	uint32_t pipe_pages_soft;
	uint32_t pipe_accounted;
	uint32_t max_conns;
};

/**
 * struct ipc_msg - a received, validated message
 * @type:	enum ipc_type
 * @nfds:	descriptors in @fds, already checked against the catalogue
 * @fds:	received descriptors, owned by the handler
 * @u:		payload, view chosen by @type
 */
struct ipc_msg {
	unsigned type;
	unsigned nfds;
	int fds[IPC_FDS_MAX];
	union {
		struct msg_hello hello;
		struct msg_forward forward;
		struct msg_config_done done;
		struct msg_bound bound;
		struct msg_listener listener;
		struct msg_pool_req pool_req;
		struct msg_pool_fds pool_fds;
		struct msg_ns_addrs ns_addrs;
		struct msg_relay_limits limits;
		uint8_t raw[IPC_PAYLOAD_MAX];
	} u;
};

#endif /* NSPLICE_MSG_H */
