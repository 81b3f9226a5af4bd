// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * scan.c - find the TCP ports listening in this namespace, for "auto"
 *
 * DOC: Theory of Operation
 *
 * An "auto" forward follows the ports that listen on the other side: the
 * agent of that side scans its namespace once a second (agent_scan_tick(),
 * from the agent's timer) and tells the supervisor what changed (PORTS).
 *
 * Sources, both bound to this namespace and opened by agent_scan_open()
 * before the sandbox (Landlock and the agents' seccomp filter allow no
 * open and no new netlink socket afterwards):
 *  - a NETLINK_SOCK_DIAG socket: one inet_diag dump per family, TCP
 *    sockets in TCP_LISTEN only, answered from the kernel's socket tables
 *    without formatting text.  It is probed once at open; a kernel without
 *    inet_diag (a module that is not there) answers with an error, and the
 *    socket is closed;
 *  - /proc/net/tcp and /proc/net/tcp6 (per network namespace: opened after
 *    agent[target] entered its namespace), re-read with pread() from
 *    offset 0 on every scan, used for a family whose dump failed.
 * The dump is non-blocking: the kernel builds each part of a dump while
 * the previous one is received, so a part that is not there means the
 * dump is broken, never that the agent should wait.  Leftovers of an
 * earlier broken dump are drained before a new request.
 *
 * A scan is all or nothing: if a family cannot be read by either source,
 * nothing is reported for that tick (and a warning says so, once per
 * failing spell), so a failed read never looks like ports that stopped
 * listening.  IPv6 when the kernel has none (sock_diag answers ENOENT for
 * it and there is no /proc/net/tcp6) has no ports.
 *
 * UDP: the same tick dumps the bound UDP sockets without a peer (state
 * TCP_CLOSE: what a UDP server is; flows' connected sockets are not) of
 * each family through sock_diag only, and reports their changes in the
 * same messages' sequence with PORTS_F_UDP.  Without sock_diag no UDP
 * port is ever reported (there is no /proc fallback for UDP).
 *
 * Ports where this agent holds a listener itself are removed, in both
 * families (a port it listens on in one family is its port in both), so
 * nsplice never forwards to its own listeners.  The result is compared
 * with what was last reported (a->scan.sent): ports that appeared go out
 * with PORTS_F_LISTENING, ports that went away without it, at most
 * PORTS_MAX per message, PORTS_F_LAST on the last message of the tick.
 * The first report after AGENT_CONF is always sent, even when empty (one
 * message, no ports, PORTS_F_LAST), so the supervisor knows the scan
 * runs; later ticks send nothing if nothing changed.
 *
 * Syscalls: socket (before the sandbox), sendto, recvmsg, pread64, close,
 * clock_gettime (rate-limited log), mmap/mremap/munmap (the /proc buffer).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc/log.h"
#include "nsagent/agent.h"
#include "nsagent/scan_parse.h"

/* SCAN_DIAG_RECV_MAX - most recv() calls for one dump, or to discard
 * leftovers (16 MiB of 32 KiB parts, far more listeners than ports) */
#define SCAN_DIAG_RECV_MAX	512

/* SCAN_PROC_START - first size of the /proc read buffer, bytes */
#define SCAN_PROC_START		(64U * 1024U)

/* scan_families - address family of each bitmap index: [0] TCP v4, [1]
 * TCP v6, [2] UDP v4, [3] UDP v6 (SCAN_SETS) */
static const int scan_families[SCAN_SETS] = { AF_INET, AF_INET6, AF_INET,
					      AF_INET6 };

/* SCAN_UDP - first UDP index of scan_families[] */
#define SCAN_UDP		2

/* scan_proc_paths - the /proc fallback of each family */
static const char *const scan_proc_paths[2] = { "/proc/net/tcp",
						"/proc/net/tcp6" };

/* diag_buf - one part of a dump; the parser copies, alignment is a nicety */
static uint8_t diag_buf[SCAN_DIAG_BUF] __attribute__((aligned(8)));

/* diag_seq - sequence number of the last dump request */
static uint32_t diag_seq;

/* proc_buf, proc_cap - /proc read buffer, grown up to SCAN_PROC_MAX */
static char *proc_buf;
static size_t proc_cap;

/* scan_failing - the last scan failed and that was said */
static bool scan_failing;

static struct log_ratelimit scan_fail_rl;

/**
 * diag_recv() - receive one part of a dump, from the kernel only
 * @fd:		NETLINK_SOCK_DIAG socket
 *
 * Return: bytes in diag_buf, or a negative errno (-EAGAIN: nothing there)
 */
static ssize_t diag_recv(int fd)
{
	struct sockaddr_nl from;
	struct iovec iov = { diag_buf, sizeof(diag_buf) };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from),
			     .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	/* Another process may unicast to our port id: drop, not parse */
	if (mh.msg_namelen != sizeof(from) || from.nl_family != AF_NETLINK ||
	    from.nl_pid)
		return -EPERM;
	return n;
}

/**
 * diag_discard() - throw away what an earlier, broken dump left
 * @fd:		NETLINK_SOCK_DIAG socket
 *
 * Return: 0, or -EBUSY if the socket never ran dry
 */
static int diag_discard(int fd)
{
	unsigned i;

	for (i = 0; i < SCAN_DIAG_RECV_MAX; i++)
		if (diag_recv(fd) == -EAGAIN)
			return 0;
	return -EBUSY;
}

/**
 * diag_request() - ask for the TCP listeners or bound UDP sockets
 * @fd:		NETLINK_SOCK_DIAG socket
 * @af:		AF_INET or AF_INET6
 * @udp:	UDP sockets without a peer instead of TCP listeners
 *
 * Return: 0 or a negative errno
 */
static int diag_request(int fd, int af, bool udp)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = ++diag_seq;
	req.r.sdiag_family = (uint8_t)af;
	req.r.sdiag_protocol = udp ? IPPROTO_UDP : IPPROTO_TCP;
	req.r.idiag_states = 1U << (udp ? TCP_CLOSE : TCP_LISTEN);
	n = send(fd, &req, sizeof(req), 0);
	if (n < 0)
		return -errno;
	return n == (ssize_t)sizeof(req) ? 0 : -EIO;
}

/**
 * diag_scan() - one dump: the listening ports of one family
 * @fd:		NETLINK_SOCK_DIAG socket
 * @af:		AF_INET or AF_INET6
 * @udp:	bound UDP sockets instead of TCP listeners
 * @bitmap:	PORTSET_BYTES, bits set for the ports found
 *
 * Return: 0, or a negative errno (the bitmap may hold part of the dump)
 */
static int diag_scan(int fd, int af, bool udp, uint8_t *bitmap)
{
	bool done = false;
	unsigned i;
	ssize_t n;
	int rc;

	rc = diag_discard(fd);
	if (!rc)
		rc = diag_request(fd, af, udp);
	for (i = 0; !rc && !done && i < SCAN_DIAG_RECV_MAX; i++) {
		n = diag_recv(fd);
		if (n <= 0)
			return n ? (int)n : -EBADMSG;
		rc = scan_parse_diag_state(diag_buf, (size_t)n, af,
					   udp ? TCP_CLOSE : TCP_LISTEN,
					   bitmap, &done);
		if (rc > 0)
			rc = 0;		/* a count of sockets */
	}
	if (rc < 0)
		return rc;
	return done ? 0 : -E2BIG;
}

/**
 * proc_grow() - double the /proc buffer, up to SCAN_PROC_MAX
 *
 * Return: 0, or -EFBIG at the limit, -ENOMEM
 */
static int proc_grow(void)
{
	size_t cap = proc_cap ? proc_cap * 2U : SCAN_PROC_START;
	char *p;

	if (proc_cap >= SCAN_PROC_MAX)
		return -EFBIG;
	if (cap > SCAN_PROC_MAX)
		cap = SCAN_PROC_MAX;
	p = realloc(proc_buf, cap);
	if (!p)
		return -ENOMEM;
	proc_buf = p;
	proc_cap = cap;
	return 0;
}

/**
 * proc_scan() - the listening ports of one family from /proc
 * @fd:		/proc/net/tcp or tcp6, open
 * @bitmap:	PORTSET_BYTES, bits set for the ports found
 *
 * The file is read from offset 0 to its end, which must come before
 * SCAN_PROC_MAX bytes: a cut text would lose ports.  seq_file hands out
 * about a page per call, so pread() is called until it returns 0.
 *
 * Return: 0 or a negative errno
 */
static int proc_scan(int fd, uint8_t *bitmap)
{
	size_t len = 0;
	ssize_t n;
	int rc;

	for (;;) {
		rc = len == proc_cap ? proc_grow() : 0;
		if (rc)
			return rc;
		n = pread(fd, proc_buf + len, proc_cap - len, (off_t)len);
		if (n < 0)
			return -errno;
		if (!n)
			break;
		len += (size_t)n;
	}
	rc = scan_parse_proc(proc_buf, len, bitmap);
	return rc < 0 ? rc : 0;
}

/**
 * scan_udp() - the bound UDP ports of one family, from sock_diag only
 * @a:		agent state
 * @i:		SCAN_UDP or SCAN_UDP + 1
 * @bitmap:	PORTSET_BYTES, zeroed, bits set for the ports found
 *
 * A kernel without sock_diag, or without UDP or IPv6 in it, has no UDP
 * ports to report: that is not a failure of the whole scan.
 *
 * Return: 0 or a negative errno
 */
static int scan_udp(const struct agent *a, unsigned i, uint8_t *bitmap)
{
	int rc;

	if (a->scan.diag_fd < 0)
		return 0;
	rc = diag_scan(a->scan.diag_fd, scan_families[i], true, bitmap);
	if (rc == -ENOENT) {
		memset(bitmap, 0, PORTSET_BYTES);
		return 0;
	}
	return rc;
}

/**
 * scan_family() - the listening ports of one family, from either source
 * @a:		agent state
 * @i:		index in scan_families[]
 * @bitmap:	PORTSET_BYTES, zeroed, bits set for the ports found
 *
 * Return: 0 or a negative errno (of the last source tried)
 */
static int scan_family(const struct agent *a, unsigned i, uint8_t *bitmap)
{
	int rc = -ENOENT;

	if (i >= SCAN_UDP)
		return scan_udp(a, i, bitmap);
	if (a->scan.diag_fd >= 0) {
		rc = diag_scan(a->scan.diag_fd, scan_families[i], false,
			       bitmap);
		if (!rc)
			return 0;
		memset(bitmap, 0, PORTSET_BYTES);
		/* No IPv6 handler and no tcp6 file: the kernel has no IPv6 */
		if (rc == -ENOENT && scan_families[i] == AF_INET6 &&
		    a->scan.proc_fd[i] < 0)
			return 0;
	}
	if (a->scan.proc_fd[i] >= 0)
		rc = proc_scan(a->scan.proc_fd[i], bitmap);
	return rc;
}

/**
 * drop_own() - remove the ports this agent listens on, both families
 * @a:		agent state
 * @cur:	bitmaps of the scan
 */
static void drop_own(const struct agent *a,
		     uint8_t cur[SCAN_SETS][PORTSET_BYTES])
{
	unsigned i, k;

	/* Both protocols: the listener list does not say which */
	for (i = 0; i < a->nlisteners; i++)
		for (k = 0; k < SCAN_SETS; k++)
			portset_del(cur[k], a->listeners[i].port);
}

/**
 * struct ports_out - PORTS messages of one tick, built one at a time
 * @m:		message being filled
 * @sent:	messages sent so far this tick
 */
struct ports_out {
	struct msg_ports m;
	unsigned sent;
};

/**
 * out_flush() - send the message being filled, if it holds anything
 * @a:		agent state
 * @o:		output state
 * @last:	this is the tick's last message
 */
static void out_flush(struct agent *a, struct ports_out *o, bool last)
{
	if (!o->m.count && !(last && !o->sent && !a->scan.reported))
		return;
	if (last)
		o->m.flags |= PORTS_F_LAST;
	if (!o->m.family)
		o->m.family = AF_INET;	/* the empty first report */
	agent_send(&a->sup, MSG_PORTS, &o->m, NULL, 0);
	o->sent++;
	memset(&o->m, 0, sizeof(o->m));
}

/**
 * out_add() - queue one change; a full message is sent, not the last
 * @a:		agent state
 * @o:		output state
 * @af:		family
 * @flags:	PORTS_F_LISTENING or 0
 * @port:	port
 */
static void out_add(struct agent *a, struct ports_out *o, int af,
		    uint8_t flags, uint16_t port)
{
	if (o->m.count && (o->m.family != af || o->m.flags != flags ||
			   o->m.count == PORTS_MAX))
		out_flush(a, o, false);
	o->m.family = (uint8_t)af;
	o->m.flags = flags;
	o->m.port[o->m.count++] = port;
}

/**
 * report_family() - queue the changes of one family
 * @a:		agent state
 * @o:		output state
 * @i:		family index
 * @cur:	ports listening now
 * @flags:	PORTS_F_LISTENING: report the new ones; 0: the gone ones
 */
static void report_family(struct agent *a, struct ports_out *o, unsigned i,
			  const uint8_t *cur, uint8_t flags)
{
	const uint8_t *old = a->scan.sent[i];
	unsigned b, bit;
	uint8_t diff;

	for (b = 0; b < PORTSET_BYTES; b++) {
		diff = flags ? cur[b] & (uint8_t)~old[b]
			     : old[b] & (uint8_t)~cur[b];
		for (bit = 0; diff && bit < 8; bit++)
			if (diff & (1U << bit))
				out_add(a, o, scan_families[i],
					(uint8_t)(flags | (i >= SCAN_UDP ?
							   PORTS_F_UDP : 0)),
					(uint16_t)(b * 8U + bit));
	}
}

/**
 * scan_report() - send what changed since the last report, and remember it
 * @a:		agent state
 * @cur:	ports listening now, own listeners removed
 */
static void scan_report(struct agent *a,
			uint8_t cur[SCAN_SETS][PORTSET_BYTES])
{
	struct ports_out o;
	unsigned i;

	memset(&o, 0, sizeof(o));
	for (i = 0; i < SCAN_SETS; i++) {
		report_family(a, &o, i, cur[i], PORTS_F_LISTENING);
		report_family(a, &o, i, cur[i], 0);
	}
	out_flush(a, &o, true);
	if (o.sent)
		ndebug("listening ports changed: %u PORTS message%s", o.sent,
		       o.sent == 1 ? "" : "s");
	memcpy(a->scan.sent, cur, sizeof(a->scan.sent));
	a->scan.reported = true;
}

/**
 * scan_failed() - say once per failing spell that the scan does not work
 * @af:		family that could not be read
 * @rc:		negative errno
 */
static void scan_failed(int af, int rc)
{
	if (scan_failing)
		return;
	scan_failing = true;
	log_ratelimited(&scan_fail_rl, LOG_LVL_WARN,
			"cannot list listening %s ports (sock_diag and "
			"/proc/net): %s; auto forwards keep their ports",
			af == AF_INET ? "IPv4" : "IPv6", strerror(-rc));
}

/**
 * agent_scan_tick() - scan, and report changes to the supervisor
 * @a:		agent state
 */
void agent_scan_tick(struct agent *a)
{
	uint8_t cur[SCAN_SETS][PORTSET_BYTES];
	unsigned i;
	int rc;

	if (!a->scan.on)
		return;
	memset(cur, 0, sizeof(cur));
	for (i = 0; i < SCAN_SETS; i++) {
		rc = scan_family(a, i, cur[i]);
		if (rc) {
			scan_failed(scan_families[i], rc);
			return;
		}
	}
	if (scan_failing)
		nnotice("listening ports can be listed again");
	scan_failing = false;
	drop_own(a, cur);
	scan_report(a, cur);
}

/**
 * diag_open() - a NETLINK_SOCK_DIAG socket that answers a dump
 *
 * Return: the socket, or -1 (logged at debug level)
 */
static int diag_open(void)
{
	static uint8_t probe[PORTSET_BYTES];
	int fd, rc;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		ndebug("no sock_diag socket: %s", strerror(errno));
		return -1;
	}
	rc = diag_scan(fd, AF_INET, false, probe);
	if (rc) {
		ndebug("sock_diag cannot list TCP sockets: %s", strerror(-rc));
		close(fd);
		return -1;
	}
	return fd;
}

/**
 * agent_scan_open() - open the scan's sources, before the sandbox
 * @a:		agent state; @a->scan.on is left as it is
 *
 * Nothing here is fatal: a source that cannot be opened stays -1, and a
 * scan without any source fails (and says so) only if "auto" asks for it.
 */
void agent_scan_open(struct agent *a)
{
	unsigned i;

	a->scan.diag_fd = diag_open();
	for (i = 0; i < 2; i++) {
		a->scan.proc_fd[i] = open(scan_proc_paths[i],
					  O_RDONLY | O_CLOEXEC);
		if (a->scan.proc_fd[i] < 0)
			ndebug("cannot open %s: %s", scan_proc_paths[i],
			       strerror(errno));
	}
	memset(a->scan.sent, 0, sizeof(a->scan.sent));
	a->scan.reported = false;
}
