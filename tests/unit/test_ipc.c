// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ipc.c - every catalogue message, well formed and hostile, through the
 *		real send and receive path
 *
 * DOC: Theory of Operation
 *
 * ipc_validate() is the one place that decides whether bytes and descriptors
 * from another process are a message; every handler trusts it completely.
 * This test proves, for every type in msg.h, over real AF_UNIX
 * SOCK_SEQPACKET socketpairs:
 *
 * - a valid message sent with ipc_send() in each direction the type may
 *   travel comes out of ipc_recv() with the same payload bytes and the same
 *   number of descriptors, each one open, close-on-exec and the very file
 *   that was sent;
 * - a hostile peer, writing datagrams by hand with sendmsg(), cannot get past
 *   ipc_recv() with a payload one byte short or long, a lying header length,
 *   a datagram larger than the receive buffer, the wrong direction, too few
 *   or too many descriptors, a control message other than SCM_RIGHTS, an
 *   unknown type, a datagram shorter than a header, or a field value that a
 *   check of the catalogue refuses;
 * - on every rejection each descriptor the peer attached is closed: the
 *   number of entries in /proc/self/fd is the same before and after every
 *   case, the sender having closed its own copies;
 * - ipc_send() refuses a direction or a descriptor count the catalogue does
 *   not allow, so a local bug never reaches the wire;
 * - ipc_validate() called directly honours MSG_TRUNC and MSG_CTRUNC and out
 *   of range roles, and a deterministic random-bytes loop never crashes it,
 *   never gets a message of the wrong length, direction or descriptor count
 *   accepted, and never leaks a descriptor;
 * - ipc_chan_check(), which a receiver of RELAY_CHAN or AGENT_CHAN applies
 *   to the descriptor, passes an AF_UNIX SOCK_SEQPACKET socket and nothing
 *   else (a stream or datagram unix socket, TCP, UDP, a pipe, a regular
 *   file, a closed descriptor), and leaves the descriptor open either way.
 *
 * The expected catalogue (specs[]) is written here again from the comments in
 * msg.h instead of being read from ipc.c, so a wrong row in ipc_catalogue[]
 * shows up as a failure instead of being agreed with.  Each failing case
 * prints one line naming the type and the case; the last line is
 * "N passed, N failed" and the exit status is 0 only if nothing failed.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "ipc_samples.h"
#include "unit.h"

/* HDR_LEN - bytes of struct ipc_hdr on the wire */
#define HDR_LEN		sizeof(struct ipc_hdr)

/* RAW_FDS_MAX - most descriptors one hostile datagram carries, > IPC_FDS_MAX */
#define RAW_FDS_MAX	20

/* BIG_DGRAM - bytes of a datagram larger than ipc_recv()'s buffer */
#define BIG_DGRAM	4096

/* FUZZ_* - random-bytes loop: seed, iterations, bytes, descriptors */
#define FUZZ_SEED	0x6e73706cU
#define FUZZ_ITERS	50000
#define FUZZ_LEN_MAX	200
#define FUZZ_FDS_MAX	3

/* FUZZ_REPORT_MAX - failing iterations described before going quiet */
#define FUZZ_REPORT_MAX	5

/* PORTS_FIRST_TEST - first port P_PORTS writes, the next ones follow */
#define PORTS_FIRST_TEST	1000

/* WHAT_LEN - bytes of one case description */
#define WHAT_LEN	160

/* RECV_NOT_SENT - recv_one() result when sendmsg() itself failed */
#define RECV_NOT_SENT	(-100)

#define D(f, t)		IPC_DIR(ROLE_##f, ROLE_##t)
#define OFF(s, f)	offsetof(struct s, f)

/**
 * enum layout - payload struct of a type, to share field cases
 */
enum layout {
	L_HELLO, L_FORWARD, L_DONE, L_BOUND, L_LISTENER, L_POOL_REQ,
	L_POOL_FDS, L_NS_ADDRS, L_LIMITS, L_ID, L_CHAN, L_AGENT_CONF, L_PORTS,
	L_STATS_REQ, L_STATS, L_STATS_DONE, L_ALLOW, L_POOL_ALLOW,
	L_POOL_DENIED, L_UDP_REQ, L_UDP_FDS, L_UDP_TARGET,
};

/**
 * struct type_spec - what msg.h says about one type
 * @type:	enum ipc_type
 * @name:	name as ipc_type_name() gives it
 * @size:	exact payload size
 * @fds_min:	fewest descriptors
 * @fds_max:	most descriptors
 * @dirs:	IPC_DIR() bits it may travel
 * @nfds:	descriptors in the valid message of most cases
 * @layout:	payload struct
 */
struct type_spec {
	unsigned type;
	const char *name;
	size_t size;
	unsigned fds_min;
	unsigned fds_max;
	unsigned dirs;
	unsigned nfds;
	enum layout layout;
};

/**
 * enum fds_mode - how many descriptors a case attaches
 * @FDS_VALID:		the type's usual count
 * @FDS_MISSING:	one fewer than fds_min
 * @FDS_EXTRA:		one more than fds_max
 * @FDS_OVER_MAX:	IPC_FDS_MAX + 1
 * @FDS_MANY:		RAW_FDS_MAX
 */
enum fds_mode { FDS_VALID, FDS_MISSING, FDS_EXTRA, FDS_OVER_MAX, FDS_MANY };

/**
 * struct shape - a hostile variation of a valid message's framing
 * @what:	case description
 * @dlen:	payload bytes relative to the catalogue size
 * @hlen:	header length relative to the catalogue size
 * @big:	send BIG_DGRAM bytes instead
 * @fds:	descriptors to attach
 * @creds:	add an SCM_CREDENTIALS control message
 */
struct shape {
	const char *what;
	int dlen;
	int hlen;
	bool big;
	enum fds_mode fds;
	bool creds;
};

/**
 * enum patch_kind - how struct field_case writes its value
 * @P_U8:	one byte
 * @P_U16:	native uint16_t
 * @P_U32:	native uint32_t
 * @P_NAME:	IF_NAMESIZE bytes, all @value
 * @P_ADDR:	union inany parsed from @addr
 * @P_PORTS:	struct msg_ports' port[]: @value entries 1000, 1001, ...,
 *		the rest zero (@value at most PORTS_MAX)
 */
enum patch_kind { P_U8, P_U16, P_U32, P_NAME, P_ADDR, P_PORTS };

/**
 * struct field_case - one field value and whether a receiver accepts it
 * @layout:	payload struct, so FORWARD and BIND share their cases
 * @what:	case description
 * @off:	offset of the field in the payload
 * @kind:	how to write it
 * @value:	value for P_U8, P_U16, P_U32, P_NAME
 * @addr:	numeric address for P_ADDR
 * @expect:	1, IPC_ERR_PROTO, or AND: no message for this row, its value
 *		is kept and the next row (same @layout) adds its own, so a
 *		rule joining two fields can be tested
 */
struct field_case {
	enum layout layout;
	const char *what;
	size_t off;
	enum patch_kind kind;
	uint32_t value;
	const char *addr;
	int expect;
};

/**
 * struct dgram - a datagram built by hand
 * @buf:	header and payload
 * @len:	bytes of @buf to send
 * @nfds:	descriptors of /dev/null to attach with SCM_RIGHTS
 * @creds:	attach SCM_CREDENTIALS too, receiver has SO_PASSCRED
 */
struct dgram {
	uint8_t buf[BIG_DGRAM];
	size_t len;
	unsigned nfds;
	bool creds;
};

/**
 * struct raw_case - a datagram that is not a message of any type
 * @what:	case description
 * @type:	header type
 * @hdr_len:	header length
 * @len:	bytes sent, possibly fewer than a header
 * @nfds:	descriptors attached
 */
struct raw_case {
	const char *what;
	unsigned type;
	size_t hdr_len;
	size_t len;
	unsigned nfds;
};

/**
 * enum vroles - roles given to a direct ipc_validate() call
 * @V_OK:	an allowed direction
 * @V_SELF_BAD:	self is ROLE_COUNT
 * @V_PEER_BAD:	peer is ROLE_COUNT
 */
enum vroles { V_OK, V_SELF_BAD, V_PEER_BAD };

/**
 * struct vcase - a direct call of ipc_validate() on a valid message
 * @what:	case description
 * @flags:	msg_flags passed
 * @roles:	roles passed
 * @fds:	descriptors passed
 * @expect:	1 or IPC_ERR_PROTO
 */
struct vcase {
	const char *what;
	int flags;
	enum vroles roles;
	enum fds_mode fds;
	int expect;
};

/**
 * struct fuzz_in - one random input of the random-bytes loop
 * @buf:	bytes
 * @len:	bytes passed
 * @flags:	msg_flags passed
 * @nfds:	descriptors passed
 * @self:	role of the receiver
 * @peer:	role of the sender
 * @fds:	dup'd /dev/null descriptors
 */
struct fuzz_in {
	uint8_t buf[FUZZ_LEN_MAX];
	size_t len;
	int flags;
	unsigned nfds;
	unsigned self;
	unsigned peer;
	int fds[FUZZ_FDS_MAX];
};

static uint32_t rnd_state;


/**
 * open_fds() - open descriptors to pass
 * @fds:	output
 * @n:		how many
 * @sockets:	fresh TCP sockets instead of /dev/null
 *
 * Opened without O_CLOEXEC, so FD_CLOEXEC on a received copy can only come
 * from the receiver.
 */
static void open_fds(int *fds, unsigned n, bool sockets)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		fds[i] = sockets ? socket(AF_INET, SOCK_STREAM, 0) :
				   open("/dev/null", O_RDONLY);
		if (fds[i] < 0)
			die("open descriptor to pass");
	}
}

/**
 * close_fds() - close descriptors
 * @fds:	descriptors
 * @n:		how many
 */
static void close_fds(const int *fds, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/**
 * pair_open() - make a SOCK_SEQPACKET socketpair
 * @sv:		output: [0] sends, [1] receives
 * @passcred:	enable SO_PASSCRED on the receiving end
 */
static void pair_open(int sv[2], bool passcred)
{
	int one = 1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		die("socketpair");
	if (passcred &&
	    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)))
		die("SO_PASSCRED");
}

/**
 * pair_close() - close both ends of a socketpair
 * @sv:		socketpair
 */
static void pair_close(const int sv[2])
{
	close(sv[0]);
	close(sv[1]);
}

/**
 * role_name() - printable role
 * @role:	enum ipc_role
 *
 * Return: name
 */
static const char *role_name(unsigned role)
{
	static const char *const names[] = { "supervisor", "agent", "relay" };

	return role < ROLE_COUNT ? names[role] : "?";
}


/* specs - the catalogue as msg.h describes it, one row per type */
static const struct type_spec specs[] = {
	{ MSG_HELLO, "HELLO", sizeof(struct msg_hello), 0, 0,
	  D(AGENT, SUPERVISOR) | D(RELAY, SUPERVISOR), 0, L_HELLO },
	{ MSG_FORWARD, "FORWARD", sizeof(struct msg_forward), 0, 0,
	  D(SUPERVISOR, RELAY), 0, L_FORWARD },
	{ MSG_CONFIG_DONE, "CONFIG_DONE", sizeof(struct msg_config_done), 0, 0,
	  D(SUPERVISOR, RELAY) | D(SUPERVISOR, AGENT), 0, L_DONE },
	{ MSG_RELAY_READY, "RELAY_READY", sizeof(struct msg_config_done), 0, 0,
	  D(RELAY, SUPERVISOR), 0, L_DONE },
	{ MSG_BIND, "BIND", sizeof(struct msg_forward), 0, 1,
	  D(SUPERVISOR, AGENT), 1, L_FORWARD },
	{ MSG_BOUND, "BOUND", sizeof(struct msg_bound), 0, 0,
	  D(AGENT, SUPERVISOR), 0, L_BOUND },
	{ MSG_AGENT_READY, "AGENT_READY", sizeof(struct msg_config_done), 0, 0,
	  D(AGENT, SUPERVISOR), 0, L_DONE },
	{ MSG_LISTENER, "LISTENER", sizeof(struct msg_listener), 1, 1,
	  D(AGENT, RELAY), 1, L_LISTENER },
	{ MSG_POOL_REQ, "POOL_REQ", sizeof(struct msg_pool_req), 0, 0,
	  D(RELAY, AGENT), 0, L_POOL_REQ },
	{ MSG_POOL_FDS, "POOL_FDS", sizeof(struct msg_pool_fds), 1, IPC_FDS_MAX,
	  D(AGENT, RELAY), 2, L_POOL_FDS },
	{ MSG_NS_ADDRS, "NS_ADDRS", sizeof(struct msg_ns_addrs), 0, 0,
	  D(AGENT, RELAY), 0, L_NS_ADDRS },
	{ MSG_RELAY_LIMITS, "RELAY_LIMITS", sizeof(struct msg_relay_limits),
	  0, 0, D(SUPERVISOR, RELAY), 0, L_LIMITS },
	{ MSG_UNBIND, "UNBIND", sizeof(struct msg_id), 0, 0,
	  D(SUPERVISOR, AGENT), 0, L_ID },
	{ MSG_UNBOUND, "UNBOUND", sizeof(struct msg_id), 0, 0,
	  D(AGENT, SUPERVISOR), 0, L_ID },
	{ MSG_FORWARD_DEL, "FORWARD_DEL", sizeof(struct msg_id), 0, 0,
	  D(SUPERVISOR, RELAY), 0, L_ID },
	{ MSG_RELAY_CHAN, "RELAY_CHAN", sizeof(struct msg_chan), 1, 1,
	  D(SUPERVISOR, AGENT), 1, L_CHAN },
	{ MSG_AGENT_CHAN, "AGENT_CHAN", sizeof(struct msg_chan), 1, 1,
	  D(SUPERVISOR, RELAY), 1, L_CHAN },
	{ MSG_AGENT_CONF, "AGENT_CONF", sizeof(struct msg_agent_conf), 0, 0,
	  D(SUPERVISOR, AGENT), 0, L_AGENT_CONF },
	{ MSG_PORTS, "PORTS", sizeof(struct msg_ports), 0, 0,
	  D(AGENT, SUPERVISOR), 0, L_PORTS },
	{ MSG_STATS_REQ, "STATS_REQ", sizeof(struct msg_stats_req), 0, 0,
	  D(SUPERVISOR, RELAY), 0, L_STATS_REQ },
	{ MSG_STATS, "STATS", sizeof(struct msg_stats), 0, 0,
	  D(RELAY, SUPERVISOR), 0, L_STATS },
	{ MSG_STATS_DONE, "STATS_DONE", sizeof(struct msg_stats_done), 0, 0,
	  D(RELAY, SUPERVISOR), 0, L_STATS_DONE },
	{ MSG_DRAIN, "DRAIN", sizeof(struct msg_config_done), 0, 0,
	  D(SUPERVISOR, RELAY), 0, L_DONE },
	{ MSG_CONNECT_ALLOW, "CONNECT_ALLOW", sizeof(struct msg_connect_allow),
	  0, 0, D(SUPERVISOR, RELAY), 0, L_ALLOW },
	{ MSG_POOL_ALLOW, "POOL_ALLOW", sizeof(struct msg_pool_allow), 0, 0,
	  D(SUPERVISOR, AGENT), 0, L_POOL_ALLOW },
	{ MSG_POOL_DENIED, "POOL_DENIED", sizeof(struct msg_pool_denied), 0, 0,
	  D(AGENT, SUPERVISOR), 0, L_POOL_DENIED },
	{ MSG_AGENT_BAD, "AGENT_BAD", sizeof(struct msg_chan), 0, 0,
	  D(RELAY, SUPERVISOR), 0, L_CHAN },
	{ MSG_UDP_TARGET, "UDP_TARGET", sizeof(struct msg_forward), 0, 0,
	  D(SUPERVISOR, AGENT), 0, L_UDP_TARGET },
	{ MSG_UDP_TARGET_DEL, "UDP_TARGET_DEL", sizeof(struct msg_id), 0, 0,
	  D(SUPERVISOR, AGENT), 0, L_ID },
	{ MSG_UDP_POOL_REQ, "UDP_POOL_REQ", sizeof(struct msg_udp_pool_req),
	  0, 0, D(RELAY, AGENT), 0, L_UDP_REQ },
	{ MSG_UDP_POOL_FDS, "UDP_POOL_FDS", sizeof(struct msg_udp_pool_fds),
	  0, IPC_FDS_MAX, D(AGENT, RELAY), 2, L_UDP_FDS },
};

_Static_assert(sizeof(specs) / sizeof(specs[0]) == MSG_TYPE_MAX - 1,
	       "one row per message type");

#define NSPECS		(sizeof(specs) / sizeof(specs[0]))
#define BAD		IPC_ERR_PROTO
/* AND - field_case.expect of a row whose value the next row builds on */
#define AND		0
#define FWD(what, f, kind, v, expect)					\
	{ L_FORWARD, what, OFF(msg_forward, f), kind, v, NULL, expect }
/* F32() - a uint32_t field case of @layout whose struct is @s */
#define F32(layout, s, what, f, v, expect)				\
	{ layout, what, OFF(s, f), P_U32, v, NULL, expect }
/* KA(), PRT(), ALW() - field cases of AGENT_CONF, PORTS, CONNECT_ALLOW */
#define KA(what, f, v, expect)						\
	F32(L_AGENT_CONF, msg_agent_conf, what, f, v, expect)
#define PRT(what, f, kind, v, expect)					\
	{ L_PORTS, what, OFF(msg_ports, f), kind, v, NULL, expect }
#define ALW(what, f, v, expect)						\
	{ L_ALLOW, what, OFF(msg_connect_allow, f), P_U16, v, NULL, expect }

/* field_cases - one or more refused values per check branch, and edges */
static const struct field_case field_cases[] = {
	{ L_HELLO, "version 0", OFF(msg_hello, version), P_U32, 0, NULL, BAD },
	{ L_HELLO, "version IPC_PROTO_VERSION - 1", OFF(msg_hello, version),
	  P_U32, IPC_PROTO_VERSION - 1, NULL, BAD },
	{ L_HELLO, "version IPC_PROTO_VERSION + 1", OFF(msg_hello, version),
	  P_U32, IPC_PROTO_VERSION + 1, NULL, BAD },
	{ L_HELLO, "role supervisor", OFF(msg_hello, role), P_U32,
	  ROLE_SUPERVISOR, NULL, BAD },
	{ L_HELLO, "role 3", OFF(msg_hello, role), P_U32, 3, NULL, BAD },
	{ L_HELLO, "role relay", OFF(msg_hello, role), P_U32, ROLE_RELAY,
	  NULL, 1 },
	{ L_HELLO, "side 2", OFF(msg_hello, side), P_U32, 2, NULL, BAD },
	{ L_HELLO, "side target", OFF(msg_hello, side), P_U32, SIDE_TARGET,
	  NULL, 1 },
	FWD("id FWD_ID_MAX", id, P_U32, FWD_ID_MAX, BAD),
	FWD("id 0xffffffff", id, P_U32, 0xffffffffU, BAD),
	FWD("id FWD_ID_MAX - 1", id, P_U32, FWD_ID_MAX - 1, 1),
	FWD("listen_side 2", listen_side, P_U8, 2, BAD),
	FWD("family 0", family, P_U8, 0, BAD),
	FWD("family AF_UNIX", family, P_U8, AF_UNIX, BAD),
	FWD("family 255", family, P_U8, 255, BAD),
	FWD("family AF_INET6", family, P_U8, AF_INET6, 1),
	FWD("unknown flag 0x10", flags, P_U8, 0x10, BAD),
	FWD("FWD_F_PROXY on TCP", flags, P_U8,
	    FWD_F_TARGET_ADDR | FWD_F_PROXY, 1),
	FWD("FWD_F_PROXY on UDP", flags, P_U8,
	    FWD_F_TARGET_ADDR | FWD_F_PROXY | FWD_F_UDP, BAD),
	FWD("unknown flag 0x80", flags, P_U8, 0x80, BAD),
	FWD("target_family 0 with FWD_F_TARGET_ADDR", target_family, P_U8, 0,
	    BAD),
	FWD("listen_port 0", listen_port, P_U16, 0, BAD),
	FWD("target_port 0", target_port, P_U16, 0, BAD),
	FWD("ifname not NUL-terminated", ifname, P_NAME, 'A', BAD),
	FWD("ifname empty", ifname, P_NAME, 0, 1),
	{ L_BOUND, "id FWD_ID_MAX", OFF(msg_bound, id), P_U32, FWD_ID_MAX,
	  NULL, BAD },
	{ L_BOUND, "error -1", OFF(msg_bound, error), P_U32, 0xffffffffU,
	  NULL, BAD },
	{ L_BOUND, "error INT32_MIN", OFF(msg_bound, error), P_U32,
	  0x80000000U, NULL, BAD },
	{ L_BOUND, "error 4096", OFF(msg_bound, error), P_U32, 4096, NULL,
	  BAD },
	{ L_BOUND, "error 4095", OFF(msg_bound, error), P_U32, 4095, NULL, 1 },
	{ L_BOUND, "error 0", OFF(msg_bound, error), P_U32, 0, NULL, 1 },
	{ L_LISTENER, "id FWD_ID_MAX", OFF(msg_listener, id), P_U32,
	  FWD_ID_MAX, NULL, BAD },
	{ L_LISTENER, "id FWD_ID_MAX - 1", OFF(msg_listener, id), P_U32,
	  FWD_ID_MAX - 1, NULL, 1 },
	{ L_POOL_REQ, "family 0", OFF(msg_pool_req, family), P_U32, 0, NULL,
	  BAD },
	{ L_POOL_REQ, "family 0x10002", OFF(msg_pool_req, family), P_U32,
	  0x10000U | AF_INET, NULL, BAD },
	{ L_POOL_REQ, "count 0", OFF(msg_pool_req, count), P_U32, 0, NULL,
	  BAD },
	{ L_POOL_REQ, "count POOL_REQ_MAX + 1", OFF(msg_pool_req, count),
	  P_U32, POOL_REQ_MAX + 1, NULL, BAD },
	{ L_POOL_REQ, "count 0xffffffff", OFF(msg_pool_req, count), P_U32,
	  0xffffffffU, NULL, BAD },
	{ L_POOL_REQ, "count POOL_REQ_MAX", OFF(msg_pool_req, count), P_U32,
	  POOL_REQ_MAX, NULL, 1 },
	{ L_POOL_FDS, "family 0", OFF(msg_pool_fds, family), P_U32, 0, NULL,
	  BAD },
	{ L_POOL_FDS, "count 1 with 2 fds", OFF(msg_pool_fds, count), P_U32, 1,
	  NULL, BAD },
	{ L_POOL_FDS, "count 3 with 2 fds", OFF(msg_pool_fds, count), P_U32, 3,
	  NULL, BAD },
	{ L_POOL_FDS, "count 0 with 2 fds", OFF(msg_pool_fds, count), P_U32, 0,
	  NULL, BAD },
	{ L_NS_ADDRS, "unknown flag 0x04", OFF(msg_ns_addrs, flags), P_U8, 4,
	  NULL, BAD },
	{ L_NS_ADDRS, "unknown flag 0x80", OFF(msg_ns_addrs, flags), P_U8,
	  0x80, NULL, BAD },
	{ L_NS_ADDRS, "addr4 127.0.0.1", OFF(msg_ns_addrs, addr4), P_ADDR, 0,
	  "127.0.0.1", BAD },
	{ L_NS_ADDRS, "addr4 127.255.255.254", OFF(msg_ns_addrs, addr4),
	  P_ADDR, 0, "127.255.255.254", BAD },
	{ L_NS_ADDRS, "addr4 0.0.0.0 (connect() reaches loopback)",
	  OFF(msg_ns_addrs, addr4), P_ADDR, 0, "0.0.0.0", BAD },
	{ L_NS_ADDRS, "addr6 ::1", OFF(msg_ns_addrs, addr6), P_ADDR, 0, "::1",
	  BAD },
	{ L_NS_ADDRS, "addr6 ::ffff:127.0.0.1", OFF(msg_ns_addrs, addr6),
	  P_ADDR, 0, "::ffff:127.0.0.1", BAD },
	{ L_NS_ADDRS, "addr6 :: (connect() reaches loopback)",
	  OFF(msg_ns_addrs, addr6), P_ADDR, 0, "::", BAD },
	{ L_NS_ADDRS, "no flags", OFF(msg_ns_addrs, flags), P_U8, 0, NULL, 1 },
	{ L_LIMITS, "pipe_max_size 100", OFF(msg_relay_limits, pipe_max_size),
	  P_U32, 100, NULL, BAD },
	{ L_LIMITS, "pipe_max_size 0", OFF(msg_relay_limits, pipe_max_size),
	  P_U32, 0, NULL, BAD },
	{ L_LIMITS, "pipe_max_size 4095", OFF(msg_relay_limits, pipe_max_size),
	  P_U32, 4095, NULL, BAD },
	{ L_LIMITS, "pipe_max_size 4096", OFF(msg_relay_limits, pipe_max_size),
	  P_U32, 4096, NULL, 1 },
	{ L_LIMITS, "pipe_accounted 2", OFF(msg_relay_limits, pipe_accounted),
	  P_U32, 2, NULL, BAD },
	{ L_LIMITS, "pipe_accounted 0", OFF(msg_relay_limits, pipe_accounted),
	  P_U32, 0, NULL, 1 },
	F32(L_LIMITS, msg_relay_limits, "idle_timeout IDLE_TIMEOUT_MAX",
	    idle_timeout, IDLE_TIMEOUT_MAX, 1),
	F32(L_LIMITS, msg_relay_limits, "idle_timeout IDLE_TIMEOUT_MAX + 1",
	    idle_timeout, IDLE_TIMEOUT_MAX + 1, BAD),
	F32(L_LIMITS, msg_relay_limits, "idle_timeout 0xffffffff",
	    idle_timeout, 0xffffffffU, BAD),
	F32(L_LIMITS, msg_relay_limits, "idle_timeout 0 (never)",
	    idle_timeout, 0, 1),
	F32(L_ID, msg_id, "id FWD_ID_MAX", id, FWD_ID_MAX, BAD),
	F32(L_ID, msg_id, "id 0xffffffff", id, 0xffffffffU, BAD),
	F32(L_ID, msg_id, "id FWD_ID_MAX - 1", id, FWD_ID_MAX - 1, 1),
	F32(L_ID, msg_id, "id 0", id, 0, 1),
	F32(L_CHAN, msg_chan, "side 2", side, SIDE_COUNT, BAD),
	F32(L_CHAN, msg_chan, "side 0xffffffff", side, 0xffffffffU, BAD),
	F32(L_CHAN, msg_chan, "side host", side, SIDE_HOST, 1),
	KA("scan 2", scan, 2, BAD),
	KA("scan 0xffffffff", scan, 0xffffffffU, BAD),
	KA("scan 0", scan, 0, 1),
	KA("ka_idle 1", ka_idle, 1, 1),
	KA("ka_idle KEEPALIVE_MAX", ka_idle, KEEPALIVE_MAX, 1),
	KA("ka_idle KEEPALIVE_MAX + 1", ka_idle, KEEPALIVE_MAX + 1, BAD),
	KA("ka_idle 0xffffffff", ka_idle, 0xffffffffU, BAD),
	KA("ka_intvl 0 with ka_idle", ka_intvl, 0, BAD),
	KA("ka_intvl 1", ka_intvl, 1, 1),
	KA("ka_intvl KEEPALIVE_MAX", ka_intvl, KEEPALIVE_MAX, 1),
	KA("ka_intvl KEEPALIVE_MAX + 1", ka_intvl, KEEPALIVE_MAX + 1, BAD),
	KA("ka_cnt 0 with ka_idle", ka_cnt, 0, BAD),
	KA("ka_cnt 1", ka_cnt, 1, 1),
	KA("ka_cnt KEEPALIVE_CNT_MAX", ka_cnt, KEEPALIVE_CNT_MAX, 1),
	KA("ka_cnt KEEPALIVE_CNT_MAX + 1", ka_cnt, KEEPALIVE_CNT_MAX + 1, BAD),
	KA("ka_idle 0, ka_intvl and ka_cnt set (settings without "
	   "keepalive)", ka_idle, 0, BAD),
	KA(NULL, ka_idle, 0, AND),
	KA("ka_idle 0, ka_intvl set, ka_cnt 0", ka_cnt, 0, BAD),
	KA(NULL, ka_idle, 0, AND),
	KA("ka_idle 0, ka_cnt set, ka_intvl 0", ka_intvl, 0, BAD),
	KA(NULL, ka_idle, 0, AND),
	KA(NULL, ka_intvl, 0, AND),
	KA("keepalive all 0 (off)", ka_cnt, 0, 1),
	KA(NULL, ka_idle, 0, AND),
	KA(NULL, ka_intvl, 0, AND),
	KA(NULL, ka_cnt, 0, AND),
	KA("keepalive off, scan 0: all zero", scan, 0, 1),
	PRT("family 0", family, P_U8, 0, BAD),
	PRT("family AF_UNIX", family, P_U8, AF_UNIX, BAD),
	PRT("family AF_INET6", family, P_U8, AF_INET6, 1),
	PRT("flag PORTS_F_UDP", flags, P_U8, PORTS_F_UDP, 1),
	PRT("unknown flag 0x08", flags, P_U8, 0x08, BAD),
	PRT("unknown flag 0x80", flags, P_U8, 0x80, BAD),
	PRT("flags 0 (stopped listening)", flags, P_U8, 0, 1),
	PRT("flags LISTENING | LAST", flags, P_U8,
	    PORTS_F_LISTENING | PORTS_F_LAST, 1),
	PRT(NULL, port, P_PORTS, PORTS_MAX, AND),
	PRT("count PORTS_MAX, every port set", count, P_U16, PORTS_MAX, 1),
	PRT(NULL, port, P_PORTS, PORTS_MAX, AND),
	PRT("count PORTS_MAX + 1", count, P_U16, PORTS_MAX + 1, BAD),
	PRT(NULL, port, P_PORTS, PORTS_MAX, AND),
	PRT("count 0xffff", count, P_U16, 0xffff, BAD),
	PRT(NULL, port, P_PORTS, 0, AND),
	PRT("count 0 without PORTS_F_LAST", count, P_U16, 0, BAD),
	PRT(NULL, port, P_PORTS, 0, AND),
	PRT(NULL, count, P_U16, 0, AND),
	PRT("count 0 with PORTS_F_LAST (empty scan end)", flags, P_U8,
	    PORTS_F_LAST, 1),
	PRT(NULL, port, P_PORTS, 0, AND),
	PRT(NULL, count, P_U16, 0, AND),
	PRT("count 0 with LISTENING | LAST", flags, P_U8,
	    PORTS_F_LISTENING | PORTS_F_LAST, 1),
	PRT(NULL, port, P_PORTS, 1, AND),
	PRT(NULL, count, P_U16, 0, AND),
	PRT("count 0 with PORTS_F_LAST, port[0] not zero", flags, P_U8,
	    PORTS_F_LAST, BAD),
	PRT("port[0] 0 (used)", port[0], P_U16, 0, BAD),
	PRT("port[1] 0 (last used)", port[1], P_U16, 0, BAD),
	PRT("port[1] 65535", port[1], P_U16, 65535, 1),
	PRT("port[2] 1 (first unused)", port[2], P_U16, 1, BAD),
	PRT("port[PORTS_MAX - 1] 1 (last unused)", port[PORTS_MAX - 1], P_U16,
	    1, BAD),
	PRT("count 1, port[1] set (unused entry not zero)", count, P_U16, 1,
	    BAD),
	PRT("count 3, port[2] zero", count, P_U16, 3, BAD),
	F32(L_STATS_REQ, msg_stats_req, "flags 0 (watchdog)", flags, 0, 1),
	F32(L_STATS_REQ, msg_stats_req, "unknown flag 0x02", flags, 0x02, BAD),
	F32(L_STATS_REQ, msg_stats_req, "unknown flag 0x80000000", flags,
	    0x80000000U, BAD),
	F32(L_STATS_REQ, msg_stats_req, "seq 0xffffffff", seq, 0xffffffffU,
	    1),
	F32(L_STATS, msg_stats, "id FWD_ID_MAX", id, FWD_ID_MAX, BAD),
	F32(L_STATS, msg_stats, "id 0xffffffff", id, 0xffffffffU, BAD),
	F32(L_STATS, msg_stats, "id FWD_ID_MAX - 1", id, FWD_ID_MAX - 1, 1),
	F32(L_STATS, msg_stats, "open 0xffffffff (counter, no check)", open,
	    0xffffffffU, 1),
	F32(L_STATS_DONE, msg_stats_done, "flows above flow_limit (counters, "
	    "no check)", flows, 0xffffffffU, 1),
	ALW("first 0", first, 0, BAD),
	ALW(NULL, last, 0, AND),
	ALW("first 0, last 0", first, 0, BAD),
	ALW("last 0", last, 0, BAD),
	ALW("last first - 1", last, 999, BAD),
	ALW("last == first", last, 1000, 1),
	ALW(NULL, first, 1, AND),
	ALW("first 1, last 65535", last, 65535, 1),
	ALW(NULL, first, 65535, AND),
	ALW("first 65535, last 65535", last, 65535, 1),
	ALW("first 65535, last 2000", first, 65535, BAD),
	F32(L_POOL_ALLOW, msg_pool_allow, "families 0 (none)", families, 0, 1),
	F32(L_POOL_ALLOW, msg_pool_allow, "families IPv4 and IPv6", families,
	    POOL_ALLOW_ALL, 1),
	F32(L_POOL_ALLOW, msg_pool_allow, "unknown family bit 0x04", families,
	    0x04, BAD),
	F32(L_POOL_ALLOW, msg_pool_allow, "families 0xffffffff", families,
	    0xffffffffU, BAD),
	F32(L_POOL_DENIED, msg_pool_denied, "family 0", family, 0, BAD),
	F32(L_POOL_DENIED, msg_pool_denied, "family AF_UNIX", family, AF_UNIX,
	    BAD),
	F32(L_POOL_DENIED, msg_pool_denied, "family AF_INET", family, AF_INET,
	    1),
	F32(L_POOL_DENIED, msg_pool_denied, "count 0", count, 0, BAD),
	F32(L_POOL_DENIED, msg_pool_denied, "count POOL_REQ_MAX + 1", count,
	    POOL_REQ_MAX + 1, BAD),
	F32(L_POOL_DENIED, msg_pool_denied, "count POOL_REQ_MAX", count,
	    POOL_REQ_MAX, 1),
	{ L_UDP_TARGET, "UDP_TARGET of a TCP forward", OFF(msg_forward, flags),
	  P_U8, FWD_F_TARGET_ADDR, NULL, BAD },
	{ L_UDP_TARGET, "UDP_TARGET, port zero", OFF(msg_forward, target_port),
	  P_U16, 0, NULL, BAD },
	F32(L_UDP_REQ, msg_udp_pool_req, "id FWD_ID_MAX", id, FWD_ID_MAX, BAD),
	F32(L_UDP_REQ, msg_udp_pool_req, "kind UDP_KINDS", kind, UDP_KINDS,
	    BAD),
	F32(L_UDP_REQ, msg_udp_pool_req, "count 0", count, 0, BAD),
	F32(L_UDP_REQ, msg_udp_pool_req, "count POOL_REQ_MAX + 1", count,
	    POOL_REQ_MAX + 1, BAD),
	F32(L_UDP_FDS, msg_udp_pool_fds, "id FWD_ID_MAX", id, FWD_ID_MAX, BAD),
	F32(L_UDP_FDS, msg_udp_pool_fds, "kind 0xffffffff", kind,
	    0xffffffffU, BAD),
	F32(L_UDP_FDS, msg_udp_pool_fds, "count 3 with two fds", count, 3,
	    BAD),
	F32(L_LIMITS, msg_relay_limits, "udp_timeout UDP_TIMEOUT_MAX + 1",
	    udp_timeout, UDP_TIMEOUT_MAX + 1, BAD),
	F32(L_LIMITS, msg_relay_limits, "udp_timeout UDP_TIMEOUT_MAX",
	    udp_timeout, UDP_TIMEOUT_MAX, 1),
	F32(L_LIMITS, msg_relay_limits, "busy_poll_us BUSY_POLL_MAX + 1",
	    busy_poll_us, BUSY_POLL_MAX + 1, BAD),
	F32(L_LIMITS, msg_relay_limits, "busy_poll_us BUSY_POLL_MAX",
	    busy_poll_us, BUSY_POLL_MAX, 1),
};

/* shapes - hostile framings of every type's valid message */
static const struct shape shapes[] = {
	{ "payload one byte short, header len adjusted", -1, -1, false,
	  FDS_VALID, false },
	{ "payload one byte short, header len not adjusted", -1, 0, false,
	  FDS_VALID, false },
	{ "payload one byte long, header len adjusted", 1, 1, false,
	  FDS_VALID, false },
	{ "payload one byte long, header len not adjusted", 1, 0, false,
	  FDS_VALID, false },
	{ "header len one byte long, payload exact", 0, 1, false, FDS_VALID,
	  false },
	{ "header len one byte short, payload exact", 0, -1, false, FDS_VALID,
	  false },
	{ "4096-byte datagram (MSG_TRUNC)", 0, 0, true, FDS_VALID, false },
	{ "missing descriptor", 0, 0, false, FDS_MISSING, false },
	{ "one descriptor more than fds_max", 0, 0, false, FDS_EXTRA, false },
	{ "more descriptors than IPC_FDS_MAX", 0, 0, false, FDS_MANY, false },
	{ "SCM_CREDENTIALS beside the message", 0, 0, false, FDS_VALID, true },
};

/* raw_cases - datagrams of no known type, or shorter than a header */
static const struct raw_case raw_cases[] = {
	{ "type 0", 0, 0, HDR_LEN, 0 },
	{ "type 0, 16-byte payload, one fd", 0, 16, HDR_LEN + 16, 1 },
	{ "type MSG_TYPE_MAX", MSG_TYPE_MAX, 4, HDR_LEN + 4, 0 },
	{ "type MSG_TYPE_MAX, one fd", MSG_TYPE_MAX, 4, HDR_LEN + 4, 1 },
	{ "type 0xffff", 0xffff, 0, HDR_LEN, 0 },
	{ "type 0xffff, 16-byte payload, one fd", 0xffff, 16, HDR_LEN + 16, 1 },
	{ "1-byte datagram", MSG_HELLO, 16, 1, 0 },
	{ "1-byte datagram, one fd", MSG_HELLO, 16, 1, 1 },
	{ "3-byte datagram", MSG_HELLO, 16, 3, 0 },
	{ "3-byte datagram, one fd", MSG_HELLO, 16, 3, 1 },
	{ "empty datagram, one fd", MSG_HELLO, 16, 0, 1 },
};

/* vcases - direct ipc_validate() calls on each type's valid message */
static const struct vcase vcases[] = {
	{ "direct, no flags", 0, V_OK, FDS_VALID, 1 },
	{ "direct, MSG_TRUNC", MSG_TRUNC, V_OK, FDS_VALID, BAD },
	{ "direct, MSG_CTRUNC", MSG_CTRUNC, V_OK, FDS_VALID, BAD },
	{ "direct, MSG_TRUNC | MSG_CTRUNC", MSG_TRUNC | MSG_CTRUNC, V_OK,
	  FDS_VALID, BAD },
	{ "direct, self ROLE_COUNT", 0, V_SELF_BAD, FDS_VALID, BAD },
	{ "direct, peer ROLE_COUNT", 0, V_PEER_BAD, FDS_VALID, BAD },
	{ "direct, IPC_FDS_MAX + 1 descriptors", 0, V_OK, FDS_OVER_MAX, BAD },
};

/**
 * spec_of() - expected catalogue row of a type
 * @type:	enum ipc_type
 *
 * Return: row, NULL for an unknown type
 */
static const struct type_spec *spec_of(unsigned type)
{
	size_t i;

	for (i = 0; i < NSPECS; i++)
		if (specs[i].type == type)
			return &specs[i];
	return NULL;
}

/**
 * first_dir() - the first direction a type may travel
 * @t:		type
 * @from:	set to the sending role
 * @to:		set to the receiving role
 */
static void first_dir(const struct type_spec *t, unsigned *from,
		      unsigned *to)
{
	unsigned bit = (unsigned)__builtin_ctz(t->dirs);

	*from = bit / ROLE_COUNT;
	*to = bit % ROLE_COUNT;
}

/**
 * mode_nfds() - descriptors a case attaches
 * @t:		type
 * @mode:	enum fds_mode
 *
 * Return: count
 */
static unsigned mode_nfds(const struct type_spec *t, enum fds_mode mode)
{
	switch (mode) {
	case FDS_MISSING:
		return t->fds_min - 1;
	case FDS_EXTRA:
		return t->fds_max + 1;
	case FDS_OVER_MAX:
		return IPC_FDS_MAX + 1;
	case FDS_MANY:
		return RAW_FDS_MAX;
	default:
		return t->nfds;
	}
}

/**
 * payload_make() - valid payload of a type, 0xa5 after its end
 * @t:		type
 * @nfds:	descriptors the message will carry
 * @p:		output
 */
static void payload_make(const struct type_spec *t, unsigned nfds,
			 union ipc_sample *p)
{
	memset(p, 0xa5, sizeof(*p));
	memset(p, 0, t->size);
	if (!ipc_sample_fill(t->type, p, nfds))
		die("no sample of this type in ipc_samples.c");
}

/**
 * dgram_make() - header and payload, 0xa5 past the payload given
 * @d:		output
 * @type:	header type
 * @hdr_len:	header length
 * @p:		payload bytes, or NULL
 * @len:	payload bytes to send
 * @nfds:	descriptors to attach
 */
static void dgram_make(struct dgram *d, unsigned type, size_t hdr_len,
		       const union ipc_sample *p, size_t len, unsigned nfds)
{
	struct ipc_hdr h = { (uint16_t)type, (uint16_t)hdr_len };

	memset(d->buf, 0xa5, sizeof(d->buf));
	memcpy(d->buf, &h, sizeof(h));
	if (p)
		memcpy(d->buf + HDR_LEN, p,
		       len < sizeof(*p) ? len : sizeof(*p));
	d->len = HDR_LEN + len;
	d->nfds = nfds;
	d->creds = false;
}

/**
 * valid_dgram() - a type's valid message with @nfds descriptors
 * @t:		type
 * @nfds:	descriptors
 * @d:		output
 */
static void valid_dgram(const struct type_spec *t, unsigned nfds,
			struct dgram *d)
{
	union ipc_sample p;

	payload_make(t, nfds, &p);
	dgram_make(d, t->type, t->size, &p, t->size, nfds);
}

/**
 * ctl_put() - append one control message
 * @ctl:	control buffer, aligned
 * @off:	offset to write at, advanced past the message
 * @type:	SCM_RIGHTS or SCM_CREDENTIALS
 * @data:	data
 * @len:	bytes of @data
 */
static void ctl_put(char *ctl, size_t *off, int type, const void *data,
		    size_t len)
{
	struct cmsghdr cm = { 0 };

	cm.cmsg_len = CMSG_LEN(len);
	cm.cmsg_level = SOL_SOCKET;
	cm.cmsg_type = type;
	memcpy(ctl + *off, &cm, sizeof(cm));
	memcpy(ctl + *off + CMSG_LEN(0), data, len);
	*off += CMSG_SPACE(len);
}

/**
 * raw_send() - send a datagram by hand, then close the sender's copies
 * @sock:	sending end
 * @d:		datagram, descriptors and credentials to attach
 *
 * Return: sendmsg() result
 */
static ssize_t raw_send(int sock, struct dgram *d)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * RAW_FDS_MAX) +
			 CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct ucred cred = { getpid(), getuid(), getgid() };
	struct iovec iov = { d->buf, d->len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[RAW_FDS_MAX];
	size_t off = 0;
	ssize_t n;

	memset(&ctl, 0, sizeof(ctl));
	open_fds(fds, d->nfds, false);
	if (d->nfds)
		ctl_put(ctl.buf, &off, SCM_RIGHTS, fds, sizeof(int) * d->nfds);
	if (d->creds)
		ctl_put(ctl.buf, &off, SCM_CREDENTIALS, &cred, sizeof(cred));
	mh.msg_control = off ? ctl.buf : NULL;
	mh.msg_controllen = off;
	n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	close_fds(fds, d->nfds);
	return n;
}

/**
 * same_message() - an accepted message equals the datagram sent
 * @m:		received message
 * @d:		datagram
 *
 * Return: true if type, descriptor count and payload bytes match
 */
static bool same_message(const struct ipc_msg *m, const struct dgram *d)
{
	struct ipc_hdr h;

	memcpy(&h, d->buf, sizeof(h));
	return m->type == h.type && m->nfds == d->nfds &&
	       d->len >= HDR_LEN && d->len - HDR_LEN <= sizeof(m->u.raw) &&
	       !memcmp(m->u.raw, d->buf + HDR_LEN, d->len - HDR_LEN);
}

/**
 * recv_one() - send a datagram by hand and receive it with ipc_recv()
 * @self:	role of the receiving end
 * @peer:	role of the sending end, as the receiver's channel says
 * @d:		datagram
 * @why:	set to ipc_recv()'s reason
 * @same:	set to whether an accepted message equals @d
 *
 * Descriptors of an accepted message are closed here.
 *
 * Return: ipc_recv() result, RECV_NOT_SENT if sendmsg() failed
 */
static int recv_one(unsigned self, unsigned peer, struct dgram *d,
		    const char **why, bool *same)
{
	struct ipc_chan rx;
	struct ipc_msg m;
	int sv[2], rc = RECV_NOT_SENT;

	*why = "sendmsg failed";
	*same = false;
	pair_open(sv, d->creds);
	rx = (struct ipc_chan){ sv[1], self, peer, "test peer" };
	if (raw_send(sv[0], d) >= 0)
		rc = ipc_recv(&rx, &m, why);
	if (rc == 1) {
		*same = same_message(&m, d);
		ipc_close_fds(&m);
	}
	pair_close(sv);
	return rc;
}

/**
 * recv_case() - one hand-made datagram through ipc_recv(), checked
 * @name:	type name for the failure line
 * @what:	case description
 * @self:	role of the receiving end
 * @peer:	role of the sending end
 * @d:		datagram
 * @expect:	1 (accepted unchanged) or IPC_ERR_PROTO (rejected, with a
 *		reason, every descriptor closed)
 */
static void recv_case(const char *name, const char *what, unsigned self,
		      unsigned peer, struct dgram *d, int expect)
{
	int before = fd_count(), leaked, rc;
	const char *why;
	bool same, ok;

	rc = recv_one(self, peer, d, &why, &same);
	leaked = fd_count() - before;
	ok = rc == expect && !leaked && (rc == 1 ? same : why != NULL);
	report(ok, name,
	       "%s: ipc_recv %d (want %d), why \"%s\"%s, %d fd(s) leaked",
	       what, rc, expect, why ? why : "(null)",
	       rc == 1 && !same ? ", payload changed" : "", leaked);
}

/**
 * catalogue_case() - ipc_type_name() and ipc_payload_size() match msg.h
 * @t:		type
 */
static void catalogue_case(const struct type_spec *t)
{
	report(!strcmp(ipc_type_name(t->type), t->name) &&
	       ipc_payload_size(t->type) == t->size &&
	       t->size <= IPC_PAYLOAD_MAX, t->name,
	       "catalogue row: name \"%s\", size %zu (want %zu, at most "
	       "IPC_PAYLOAD_MAX %d)", ipc_type_name(t->type),
	       ipc_payload_size(t->type), t->size, IPC_PAYLOAD_MAX);
}

/**
 * stat_fds() - remember which files descriptors refer to
 * @fds:	descriptors
 * @n:		how many
 * @st:		output
 */
static void stat_fds(const int *fds, unsigned n, struct stat *st)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (fstat(fds[i], &st[i]))
			die("fstat");
}

/**
 * received_fds_diff() - received descriptors are open, close-on-exec and
 *			 the files that were sent
 * @m:		received message
 * @st:		files sent, in order
 *
 * Return: NULL if so, else what is wrong
 */
static const char *received_fds_diff(const struct ipc_msg *m,
				     const struct stat *st)
{
	struct stat got;
	unsigned i;
	int fl;

	for (i = 0; i < m->nfds; i++) {
		fl = fcntl(m->fds[i], F_GETFD);
		if (fl < 0)
			return "received descriptor not open";
		if (!(fl & FD_CLOEXEC))
			return "received descriptor without FD_CLOEXEC";
		if (fstat(m->fds[i], &got) || got.st_ino != st[i].st_ino ||
		    got.st_dev != st[i].st_dev)
			return "received descriptor is another file";
	}
	return NULL;
}

/**
 * roundtrip_diff() - what differs between a sent and a received message
 * @t:		type
 * @p:		payload sent
 * @nfds:	descriptors sent
 * @st:		files sent
 * @m:		received message
 * @rc:		ipc_recv() result
 *
 * Return: NULL if the message arrived unchanged, else what is wrong
 */
static const char *roundtrip_diff(const struct type_spec *t,
				  const union ipc_sample *p, unsigned nfds,
				  const struct stat *st,
				  const struct ipc_msg *m, int rc)
{
	if (rc != 1)
		return "not received";
	if (m->type != t->type)
		return "wrong type";
	if (m->nfds != nfds)
		return "wrong descriptor count";
	if (memcmp(m->u.raw, p, t->size))
		return "payload changed";
	return received_fds_diff(m, st);
}

/**
 * roundtrip_case() - a valid message through ipc_send() and ipc_recv()
 * @t:		type
 * @from:	sending role
 * @to:		receiving role
 * @nfds:	fresh sockets to attach
 */
static void roundtrip_case(const struct type_spec *t, unsigned from,
			   unsigned to, unsigned nfds)
{
	struct ipc_chan tx, rx;
	struct stat st[IPC_FDS_MAX];
	int fds[IPC_FDS_MAX], sv[2], before = fd_count(), sent, rc = 0;
	union ipc_sample p;
	const char *why = NULL, *bad;
	struct ipc_msg m;

	pair_open(sv, false);
	tx = (struct ipc_chan){ sv[0], from, to, "test peer" };
	rx = (struct ipc_chan){ sv[1], to, from, "test peer" };
	open_fds(fds, nfds, true);
	stat_fds(fds, nfds, st);
	payload_make(t, nfds, &p);
	sent = ipc_send(&tx, t->type, &p, fds, nfds);
	close_fds(fds, nfds);
	if (!sent)
		rc = ipc_recv(&rx, &m, &why);
	bad = sent ? "ipc_send failed" :
		     roundtrip_diff(t, &p, nfds, st, &m, rc);
	if (rc == 1)
		ipc_close_fds(&m);
	pair_close(sv);
	if (!bad && fd_count() != before)
		bad = "descriptor leak";
	report(!bad, t->name,
	       "round trip %s -> %s, %u fds: %s (ipc_recv %d, why \"%s\")",
	       role_name(from), role_name(to), nfds, bad ? bad : "",
	       rc, why ? why : "(null)");
}

/**
 * roundtrip_cases() - round trips in every allowed direction, with the
 *		       fewest, usual and most descriptors
 * @t:		type
 */
static void roundtrip_cases(const struct type_spec *t)
{
	unsigned counts[] = { t->fds_min, t->nfds, t->fds_max };
	unsigned from, to, i;

	for (from = 0; from < ROLE_COUNT; from++)
		for (to = 0; to < ROLE_COUNT; to++)
			for (i = 0; i < 3; i++)
				if ((t->dirs & IPC_DIR(from, to)) &&
				    (!i || counts[i] != counts[i - 1]))
					roundtrip_case(t, from, to, counts[i]);
}

/**
 * shape_case() - one hostile framing of a type's valid message
 * @t:		type
 * @s:		framing
 */
static void shape_case(const struct type_spec *t, const struct shape *s)
{
	unsigned nfds = mode_nfds(t, s->fds), from, to;
	size_t len = s->big ? BIG_DGRAM - HDR_LEN : t->size + (size_t)s->dlen;
	char what[WHAT_LEN];
	union ipc_sample p;
	struct dgram d;

	if (s->fds == FDS_MISSING && !t->fds_min)
		return;
	payload_make(t, nfds, &p);
	dgram_make(&d, t->type, t->size + (size_t)s->hlen, &p, len, nfds);
	d.creds = s->creds;
	first_dir(t, &from, &to);
	snprintf(what, sizeof(what), "%s, %u fds", s->what, nfds);
	recv_case(t->name, what, to, from, &d, IPC_ERR_PROTO);
}

/**
 * send_refused() - ipc_send() refuses a direction or descriptor count
 * @t:		type
 * @from:	sending role
 * @to:		receiving role
 * @nfds:	descriptors offered
 * @what:	case description
 *
 * Nothing may reach the peer, and nothing may stay open.
 */
static void send_refused(const struct type_spec *t, unsigned from,
			 unsigned to, unsigned nfds, const char *what)
{
	int fds[RAW_FDS_MAX], sv[2], before = fd_count(), rc, err, got;
	struct ipc_chan tx, rx;
	union ipc_sample p;
	const char *why;
	struct ipc_msg m;

	pair_open(sv, false);
	tx = (struct ipc_chan){ sv[0], from, to, "test peer" };
	rx = (struct ipc_chan){ sv[1], to, from, "test peer" };
	open_fds(fds, nfds, false);
	payload_make(t, nfds, &p);
	errno = 0;
	rc = ipc_send(&tx, t->type, &p, fds, nfds);
	err = errno;
	close_fds(fds, nfds);
	got = ipc_recv(&rx, &m, &why);
	if (got == 1)
		ipc_close_fds(&m);
	pair_close(sv);
	report(rc == -1 && err == EINVAL && got == IPC_AGAIN &&
	       fd_count() == before, t->name,
	       "ipc_send %s: returned %d errno %d, peer's ipc_recv %d",
	       what, rc, err, got);
}

/**
 * direction_cases() - every direction a type may not travel is refused by
 *		       the receiver and by ipc_send()
 * @t:		type
 */
static void direction_cases(const struct type_spec *t)
{
	char what[WHAT_LEN];
	unsigned from, to;
	struct dgram d;

	for (from = 0; from < ROLE_COUNT; from++) {
		for (to = 0; to < ROLE_COUNT; to++) {
			if (t->dirs & IPC_DIR(from, to))
				continue;
			snprintf(what, sizeof(what), "wrong direction %s -> %s",
				 role_name(from), role_name(to));
			valid_dgram(t, t->nfds, &d);
			recv_case(t->name, what, to, from, &d, IPC_ERR_PROTO);
			send_refused(t, from, to, t->nfds, what);
		}
	}
}

/**
 * send_count_cases() - ipc_send() refuses too few or too many descriptors
 * @t:		type
 */
static void send_count_cases(const struct type_spec *t)
{
	unsigned from, to;

	first_dir(t, &from, &to);
	if (t->fds_min)
		send_refused(t, from, to, t->fds_min - 1, "one fd too few");
	send_refused(t, from, to, t->fds_max + 1, "one fd too many");
}

/**
 * patch_ports() - write struct msg_ports' port[]: @n entries, rest zero
 * @f:		first byte of port[]
 * @n:		entries to set, 0..PORTS_MAX
 */
static void patch_ports(uint8_t *f, uint32_t n)
{
	uint16_t port[PORTS_MAX];
	unsigned i;

	for (i = 0; i < PORTS_MAX; i++)
		port[i] = i < n ? (uint16_t)(PORTS_FIRST_TEST + i) : 0;
	memcpy(f, port, sizeof(port));
}

/**
 * patch() - write one field value into a payload
 * @p:		payload
 * @fc:		field and value
 */
static void patch(union ipc_sample *p, const struct field_case *fc)
{
	uint8_t *f = p->raw + fc->off;
	uint16_t v16 = (uint16_t)fc->value;
	union inany a;

	switch (fc->kind) {
	case P_U8:
		*f = (uint8_t)fc->value;
		break;
	case P_U16:
		memcpy(f, &v16, sizeof(v16));
		break;
	case P_U32:
		memcpy(f, &fc->value, sizeof(fc->value));
		break;
	case P_NAME:
		memset(f, (int)fc->value, IF_NAMESIZE);
		break;
	case P_ADDR:
		ipc_sample_addr(&a, fc->addr);
		memcpy(f, &a, sizeof(a));
		break;
	case P_PORTS:
		patch_ports(f, fc->value);
		break;
	}
}

/**
 * field_cases_of() - every field case of a type's payload struct
 * @t:		type
 */
static void field_cases_of(const struct type_spec *t)
{
	const struct field_case *fc;
	union ipc_sample p;
	unsigned from, to;
	bool fresh = true;
	struct dgram d;

	first_dir(t, &from, &to);
	for (fc = field_cases; fc < field_cases + sizeof(field_cases) /
					       sizeof(field_cases[0]); fc++) {
		if (fc->layout != t->layout)
			continue;
		if (fresh)
			payload_make(t, t->nfds, &p);
		patch(&p, fc);
		/* An AND row's value stays for the next row to add to */
		fresh = fc->expect != AND;
		if (!fresh)
			continue;
		dgram_make(&d, t->type, t->size, &p, t->size, t->nfds);
		recv_case(t->name, fc->what, to, from, &d, fc->expect);
	}
}

/**
 * validate_case() - ipc_validate() called directly on a valid message
 * @t:		type
 * @v:		flags, roles and descriptors to pass
 */
static void validate_case(const struct type_spec *t, const struct vcase *v)
{
	unsigned nfds = mode_nfds(t, v->fds), from, to;
	int fds[RAW_FDS_MAX], before = fd_count(), rc, leaked;
	const char *why = NULL;
	struct ipc_msg m;
	struct dgram d;

	first_dir(t, &from, &to);
	to = v->roles == V_SELF_BAD ? ROLE_COUNT : to;
	from = v->roles == V_PEER_BAD ? ROLE_COUNT : from;
	valid_dgram(t, nfds, &d);
	open_fds(fds, nfds, false);
	rc = ipc_validate(d.buf, d.len, v->flags, fds, nfds, to, from, &m,
			  &why);
	if (rc == 1)
		ipc_close_fds(&m);
	leaked = fd_count() - before;
	report(rc == v->expect && !leaked && (rc == 1 || why), t->name,
	       "%s, %u fds: ipc_validate %d (want %d), why \"%s\", %d fd(s) leaked",
	       v->what, nfds, rc, v->expect, why ? why : "(null)", leaked);
}

/**
 * type_cases() - every case of one type
 * @t:		type
 */
static void type_cases(const struct type_spec *t)
{
	size_t i;

	catalogue_case(t);
	roundtrip_cases(t);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		shape_case(t, &shapes[i]);
	direction_cases(t);
	send_count_cases(t);
	field_cases_of(t);
	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++)
		validate_case(t, &vcases[i]);
}

/**
 * raw_cases_all() - unknown types and datagrams shorter than a header
 */
static void raw_cases_all(void)
{
	const struct raw_case *r;
	struct dgram d;

	for (r = raw_cases; r < raw_cases + sizeof(raw_cases) /
					    sizeof(raw_cases[0]); r++) {
		dgram_make(&d, r->type, r->hdr_len, NULL, 0, r->nfds);
		d.len = r->len;
		recv_case("unknown", r->what, ROLE_SUPERVISOR, ROLE_AGENT, &d,
			  IPC_ERR_PROTO);
	}
}

/**
 * send_unknown_cases() - ipc_send() refuses unknown types and a closed
 *			  channel
 */
static void send_unknown_cases(void)
{
	static const unsigned types[] = { 0, MSG_TYPE_MAX, 0xffff };
	struct ipc_chan c = { -1, ROLE_AGENT, ROLE_SUPERVISOR, "closed" };
	union ipc_sample p;
	int sv[2];
	size_t i;

	memset(&p, 0, sizeof(p));
	ipc_sample_fill(MSG_HELLO, &p, 0);
	pair_open(sv, false);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		c.fd = sv[0];
		errno = 0;
		report(ipc_send(&c, types[i], &p, NULL, 0) == -1 &&
		       errno == EINVAL, "unknown",
		       "ipc_send type %u not refused with EINVAL", types[i]);
	}
	pair_close(sv);
	c.fd = -1;
	errno = 0;
	report(ipc_send(&c, MSG_HELLO, &p, NULL, 0) == -1 && errno == EINVAL,
	       "HELLO", "ipc_send on a closed channel not refused with EINVAL");
}

/**
 * eof_again_cases() - an empty channel gives IPC_AGAIN, a closed peer
 *		       IPC_EOF
 */
static void eof_again_cases(void)
{
	struct ipc_chan rx;
	const char *why;
	struct ipc_msg m;
	int sv[2], rc;

	pair_open(sv, false);
	rx = (struct ipc_chan){ sv[1], ROLE_SUPERVISOR, ROLE_RELAY, "relay" };
	rc = ipc_recv(&rx, &m, &why);
	report(rc == IPC_AGAIN, "channel", "nothing to read: ipc_recv %d", rc);
	close(sv[0]);
	rc = ipc_recv(&rx, &m, &why);
	report(rc == IPC_EOF, "channel", "peer closed: ipc_recv %d", rc);
	close(sv[1]);
}

/**
 * chan_check_case() - ipc_chan_check() on one descriptor, which it must
 *		       leave open
 * @what:	what the descriptor is
 * @fd:		descriptor, closed here
 * @fit:	whether it is fit to be a channel
 */
static void chan_check_case(const char *what, int fd, bool fit)
{
	const char *why = ipc_chan_check(fd);
	bool open_after = fcntl(fd, F_GETFD) >= 0;

	report((fit ? !why : why && why[0]) && open_after, "chan_check",
	       "%s: ipc_chan_check \"%s\" (want %s)%s", what,
	       why ? why : "(null)", fit ? "NULL" : "a reason",
	       open_after ? "" : ", descriptor closed");
	close(fd);
}

/**
 * chan_check_pair() - ipc_chan_check() on both ends of a unix socketpair
 * @type:	SOCK_SEQPACKET, SOCK_STREAM or SOCK_DGRAM
 * @what:	name of the type
 */
static void chan_check_pair(int type, const char *what)
{
	char label[WHAT_LEN];
	int sv[2];

	if (socketpair(AF_UNIX, type, 0, sv))
		die("socketpair");
	snprintf(label, sizeof(label), "AF_UNIX %s, end 0", what);
	chan_check_case(label, sv[0], type == SOCK_SEQPACKET);
	snprintf(label, sizeof(label), "AF_UNIX %s, end 1", what);
	chan_check_case(label, sv[1], type == SOCK_SEQPACKET);
}

/**
 * chan_check_cases() - only an AF_UNIX SOCK_SEQPACKET socket is a channel
 */
static void chan_check_cases(void)
{
	char tmpl[] = "/tmp/test_ipc.XXXXXX";
	int before = fd_count(), fd, p[2];
	const char *why;

	chan_check_pair(SOCK_SEQPACKET, "SOCK_SEQPACKET");
	chan_check_pair(SOCK_STREAM, "SOCK_STREAM");
	chan_check_pair(SOCK_DGRAM, "SOCK_DGRAM");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket AF_INET SOCK_STREAM");
	chan_check_case("TCP socket", fd, false);
	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0)
		fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket SOCK_DGRAM");
	chan_check_case("UDP socket", fd, false);
	if (pipe(p))
		die("pipe");
	chan_check_case("pipe, read end", p[0], false);
	chan_check_case("pipe, write end", p[1], false);
	fd = mkstemp(tmpl);
	if (fd < 0)
		die("mkstemp");
	unlink(tmpl);
	chan_check_case("regular file", fd, false);
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		die("open /dev/null");
	chan_check_case("/dev/null", fd, false);
	why = ipc_chan_check(-1);
	report(why && why[0], "chan_check", "descriptor -1: no reason given");
	report(fd_count() == before, "chan_check",
	       "descriptor count %d before, %d after", before, fd_count());
}

/**
 * rnd() - next value of the fixed-seed xorshift32 sequence
 *
 * Return: pseudo-random value
 */
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/**
 * fuzz_bias() - half the time, a valid type; half of that, also the
 *		 type's exact header length and datagram length
 * @in:		input to change
 */
static void fuzz_bias(struct fuzz_in *in)
{
	const struct type_spec *t;
	struct ipc_hdr h;

	if (rnd() & 1)
		return;
	t = &specs[rnd() % NSPECS];
	memcpy(&h, in->buf, sizeof(h));
	h.type = (uint16_t)t->type;
	if (rnd() & 1) {
		h.len = (uint16_t)t->size;
		in->len = HDR_LEN + h.len;
	}
	memcpy(in->buf, &h, sizeof(h));
}

/**
 * fuzz_make() - one random input, with dup'd /dev/null descriptors
 * @in:		output
 * @null_fd:	/dev/null, to dup
 */
static void fuzz_make(struct fuzz_in *in, int null_fd)
{
	size_t i;

	in->len = rnd() % (FUZZ_LEN_MAX + 1);
	for (i = 0; i < sizeof(in->buf); i++)
		in->buf[i] = (uint8_t)rnd();
	in->nfds = rnd() % (FUZZ_FDS_MAX + 1);
	in->self = rnd() % ROLE_COUNT;
	in->peer = rnd() % ROLE_COUNT;
	in->flags = rnd() % 16 ? 0 : (rnd() & 1 ? MSG_TRUNC : MSG_CTRUNC);
	fuzz_bias(in);
	for (i = 0; i < in->nfds; i++) {
		in->fds[i] = dup(null_fd);
		if (in->fds[i] < 0)
			die("dup");
	}
}

/**
 * fuzz_accepted_diff() - an accepted random input really is a message
 * @in:		input
 * @m:		message ipc_validate() made of it
 *
 * Return: NULL if it is, else what is wrong
 */
static const char *fuzz_accepted_diff(const struct fuzz_in *in,
				      const struct ipc_msg *m)
{
	const struct type_spec *t = spec_of(m->type);
	struct ipc_hdr h;

	memcpy(&h, in->buf, sizeof(h));
	if (in->flags)
		return "accepted with MSG_TRUNC or MSG_CTRUNC";
	if (!t || in->len < HDR_LEN || m->type != h.type)
		return "accepted an unknown or different type";
	if (in->len != HDR_LEN + t->size ||
	    in->len != HDR_LEN + ipc_payload_size(m->type))
		return "accepted a wrong length";
	if (!(t->dirs & IPC_DIR(in->peer, in->self)))
		return "accepted a wrong direction";
	if (m->nfds != in->nfds || m->nfds < t->fds_min ||
	    m->nfds > t->fds_max)
		return "accepted a wrong descriptor count";
	if (memcmp(m->u.raw, in->buf + HDR_LEN, t->size))
		return "payload changed";
	return NULL;
}

/**
 * fuzz_rejected_diff() - a rejected random input was rejected properly
 * @in:		input
 * @rc:		ipc_validate() result
 * @why:	its reason
 *
 * A descriptor left open is closed here, so one leak does not exhaust the
 * descriptor table and hide every later iteration.
 *
 * Return: NULL if so, else what is wrong
 */
static const char *fuzz_rejected_diff(const struct fuzz_in *in, int rc,
				      const char *why)
{
	const char *bad = NULL;
	unsigned i;

	for (i = 0; i < in->nfds; i++) {
		if (fcntl(in->fds[i], F_GETFD) >= 0) {
			close(in->fds[i]);
			bad = "descriptor left open after rejection";
		}
	}
	if (rc != IPC_ERR_PROTO)
		return "neither 1 nor IPC_ERR_PROTO";
	if (!why)
		return "rejected without a reason";
	return bad;
}

/**
 * fuzz_one() - one iteration of the random-bytes loop
 * @null_fd:	/dev/null, to dup
 * @accepted:	incremented if the input was accepted
 *
 * Return: NULL if every invariant held, else which did not
 */
static const char *fuzz_one(int null_fd, unsigned *accepted)
{
	const char *why = NULL, *bad;
	struct fuzz_in in;
	struct ipc_msg m;
	int rc;

	fuzz_make(&in, null_fd);
	rc = ipc_validate(in.buf, in.len, in.flags, in.fds, in.nfds, in.self,
			  in.peer, &m, &why);
	if (rc != 1)
		return fuzz_rejected_diff(&in, rc, why);
	(*accepted)++;
	bad = fuzz_accepted_diff(&in, &m);
	ipc_close_fds(&m);
	return bad;
}

/**
 * fuzz_cases() - FUZZ_ITERS random inputs to ipc_validate(): no crash, no
 *		  message accepted wrongly, no descriptor leaked
 */
static void fuzz_cases(void)
{
	int before = fd_count(), null_fd, i, after;
	unsigned bad = 0, accepted = 0;
	const char *why;

	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0)
		die("open /dev/null");
	rnd_state = FUZZ_SEED;
	for (i = 0; i < FUZZ_ITERS; i++) {
		why = fuzz_one(null_fd, &accepted);
		if (why && ++bad <= FUZZ_REPORT_MAX)
			printf("  random iteration %d: %s\n", i, why);
	}
	close(null_fd);
	after = fd_count();
	report(!bad, "random", "%u of %d iterations broke an invariant", bad,
	       FUZZ_ITERS);
	report(accepted > 0, "random",
	       "no input accepted: accept path untested");
	report(after == before, "random",
	       "descriptor count %d before the loop, %d after", before, after);
}

/**
 * main() - run every case, print failures and the totals
 *
 * Return: 0 if every case passed, 1 otherwise
 */
/**
 * stats_cases() - stats_add() stops at UINT64_MAX, stats_rise() counts
 *		   only what rose above the highest yet
 *
 * The supervisor sums what relays report, and a compromised relay may
 * report anything: a total must never wrap round, and a draining relay's
 * counters must never be counted twice or taken back.
 */
static void stats_cases(void)
{
	struct msg_stats sum = { .id = 7, .open = 3, .accepted = 5 };
	struct msg_stats a = { .id = 9, .open = 9, .accepted = UINT64_MAX,
			       .drops = { [STATS_DROPS - 1] = 2 } };
	struct msg_stats last = { .bytes = { 100, 200 } }, now, rise;

	stats_add(&sum, &a);
	report(sum.accepted == UINT64_MAX && sum.id == 7 && sum.open == 3 &&
	       sum.drops[STATS_DROPS - 1] == 2, "stats",
	       "stats_add: UINT64_MAX + 5 is %llu, id %u, open %u",
	       (unsigned long long)sum.accepted, (unsigned)sum.id,
	       (unsigned)sum.open);
	now = (struct msg_stats){ .id = 1, .open = 1, .bytes = { 150, 50 } };
	stats_rise(&last, &now, &rise);
	report(rise.bytes[0] == 50 && rise.bytes[1] == 0 &&
	       last.bytes[0] == 150 && last.bytes[1] == 200, "stats",
	       "stats_rise: 100->150, 200->50 rose %llu, %llu",
	       (unsigned long long)rise.bytes[0],
	       (unsigned long long)rise.bytes[1]);
	now.bytes[1] = 250;
	stats_rise(&last, &now, &rise);
	report(rise.bytes[0] == 0 && rise.bytes[1] == 50, "stats",
	       "stats_rise: back up to 250 after 50 counts only 50, got %llu",
	       (unsigned long long)rise.bytes[1]);
}

int main(void)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < NSPECS; i++)
		type_cases(&specs[i]);
	raw_cases_all();
	send_unknown_cases();
	eof_again_cases();
	chan_check_cases();
	fuzz_cases();
	stats_cases();
	return unit_summary(NULL);
}
