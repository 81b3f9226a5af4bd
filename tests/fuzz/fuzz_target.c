// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_target.c - fuzz target: where the relay connects an accepted client
 *
 * DOC: Theory of Operation
 *
 * target_select() is where nsplice keeps its loopback-safety promise: a
 * client that is not on the listening side's loopback never reaches the
 * other side's loopback.  Its inputs come from three places, and the
 * fuzzer controls all of them:
 *
 * - the forward, from the supervisor: built from the input's rule byte and
 *   passed through ipc_validate() as a FORWARD from the supervisor to the
 *   relay, exactly as the relay receives it; a forward the catalogue
 *   refuses never reaches target_select(), so the input is dropped;
 * - the client address, from accept4(): any family value and any 16 bytes,
 *   not only what sockaddr_to_inany() would produce;
 * - the other side's NS_ADDRS, from its agent: raw, not validated, because
 *   target.c promises to refuse a loopback or unspecified report itself
 *   (defence in depth: the agent is the least trusted process).
 *
 * Input layout (68 bytes; a shorter input is padded with zero bytes, bytes
 * past the end are ignored):
 *
 *   0		rule: bit 0 listener family IPv6, bit 1 FWD_F_TARGET_ADDR,
 *		bit 2 explicit target family IPv6, bit 3 FWD_F_OPTIONAL,
 *		bit 4 listening side is the target side
 *   1		client family: bits 0-1 pick AF_INET, AF_INET6, AF_UNSPEC,
 *		AF_UNIX
 *   2		NS_ADDRS flags, all eight bits as sent
 *   3		NS_ADDRS pad[0], as sent
 *   4..19	client address
 *   20..35	NS_ADDRS addr4 (all 16 bytes, as sent)
 *   36..51	NS_ADDRS addr6
 *   52..67	explicit target address
 *
 * Properties, with "reaches loopback" decided here independently of
 * inany.c (IPv4 127/8 and 0.0.0.0; IPv6 ::1, :: and their IPv4-mapped
 * forms ::ffff:127/104 and ::ffff:0.0.0.0, which connect() on an IPv6
 * socket treats the same way):
 *
 * - the rule is one of enum target_how and has a name, the port is the
 *   forward's target port, the family is target_family() and is AF_INET
 *   or AF_INET6;
 * - the explicit rule is used exactly when the forward has an explicit
 *   address, and then the target is that address: naming a loopback
 *   target is the user's documented opt-in, so only this rule may reach
 *   loopback for any client;
 * - otherwise a loopback client goes to the loopback address of the
 *   listener's family, and any other client (including one whose family
 *   accept4() gave as something else) either is refused or goes to the
 *   external address that NS_ADDRS reported for that family, never to an
 *   address that reaches loopback, whatever NS_ADDRS says.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#include "ipc/ipc.h"
#include "relay/target.h"
#include "tests/fuzz/fuzz.h"

/* Offsets and size of the input layout */
#define IN_RULE			0
#define IN_CLIENT_AF		1
#define IN_NS_FLAGS		2
#define IN_NS_PAD		3
#define IN_CLIENT		4
#define IN_NS_ADDR4		20
#define IN_NS_ADDR6		36
#define IN_TARGET		52
#define IN_LEN			68

/* Bits of the rule byte */
#define RULE_LISTEN_V6		0x01U
#define RULE_EXPLICIT		0x02U
#define RULE_TARGET_V6		0x04U
#define RULE_OPTIONAL		0x08U
#define RULE_SIDE_TARGET	0x10U

/* FWD_LISTEN_PORT, FWD_TARGET_PORT - ports of every forward tried */
#define FWD_LISTEN_PORT		8080
#define FWD_TARGET_PORT		80

/* V4MAPPED_PREFIX - bytes of ::ffff:0:0/96 before the IPv4 address */
#define V4MAPPED_PREFIX		12

/**
 * v4_reaches_local() - tell whether an IPv4 address reaches this host
 * @b:		four address bytes, network order
 *
 * Return: true for 127/8 and for 0.0.0.0
 */
static bool v4_reaches_local(const uint8_t *b)
{
	return b[0] == 127 || !(b[0] | b[1] | b[2] | b[3]);
}

/**
 * v6_reaches_local() - tell whether an IPv6 address reaches this host
 * @b:		sixteen address bytes
 *
 * Return: true for ::1, ::, and IPv4-mapped 127/8 or 0.0.0.0
 */
static bool v6_reaches_local(const uint8_t *b)
{
	static const uint8_t mapped[V4MAPPED_PREFIX] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t zero[15];

	if (!memcmp(b, mapped, sizeof(mapped)))
		return v4_reaches_local(b + V4MAPPED_PREFIX);
	return !memcmp(b, zero, sizeof(zero)) && b[15] <= 1;
}

/**
 * reaches_local() - tell whether connect() to an address stays local
 * @af:		AF_INET or AF_INET6
 * @a:		address
 *
 * Return: true if the address is loopback or unspecified
 */
static bool reaches_local(int af, const union inany *a)
{
	return af == AF_INET ? v4_reaches_local(a->b) : v6_reaches_local(a->b);
}

/**
 * client_is_loopback() - tell whether a client address is on loopback
 * @af:		family as accept4() gave it, possibly anything
 * @a:		address
 *
 * Only 127/8, ::1 and IPv4-mapped 127/8 count; a family that is neither
 * AF_INET nor AF_INET6 never does.
 *
 * Return: true if the client is local
 */
static bool client_is_loopback(int af, const union inany *a)
{
	static const uint8_t mapped[V4MAPPED_PREFIX] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t zero[15];

	if (af == AF_INET)
		return a->b[0] == 127;
	if (af != AF_INET6)
		return false;
	if (!memcmp(a->b, mapped, sizeof(mapped)))
		return a->b[V4MAPPED_PREFIX] == 127;
	return !memcmp(a->b, zero, sizeof(zero)) && a->b[15] == 1;
}

/**
 * forward_from() - build a FORWARD and have the catalogue validate it
 * @in:		input, IN_LEN bytes
 * @fwd:	set to the forward as the relay would see it
 *
 * Return: true if ipc_validate() accepted it
 */
static bool forward_from(const uint8_t *in, struct msg_forward *fwd)
{
	uint8_t buf[sizeof(struct ipc_hdr) + sizeof(*fwd)];
	struct ipc_hdr h = { MSG_FORWARD, sizeof(*fwd) };
	uint8_t rule = in[IN_RULE];
	struct msg_forward f;
	const char *why;
	struct ipc_msg m;

	memset(&f, 0, sizeof(f));
	f.id = 1;
	f.listen_side = rule & RULE_SIDE_TARGET ? SIDE_TARGET : SIDE_HOST;
	f.family = rule & RULE_LISTEN_V6 ? AF_INET6 : AF_INET;
	f.flags = rule & RULE_OPTIONAL ? FWD_F_OPTIONAL : 0;
	f.listen_port = FWD_LISTEN_PORT;
	f.target_port = FWD_TARGET_PORT;
	if (rule & RULE_EXPLICIT) {
		f.flags |= FWD_F_TARGET_ADDR;
		f.target_family = rule & RULE_TARGET_V6 ? AF_INET6 : AF_INET;
		memcpy(&f.target_addr, in + IN_TARGET, sizeof(f.target_addr));
	}
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), &f, sizeof(f));
	if (ipc_validate(buf, sizeof(buf), 0, NULL, 0, ROLE_RELAY,
			 ROLE_SUPERVISOR, &m, &why) != 1)
		return false;
	*fwd = m.u.forward;
	return true;
}

/**
 * client_family() - client family chosen by the input
 * @b:		input byte IN_CLIENT_AF
 *
 * Return: AF_INET, AF_INET6, AF_UNSPEC or AF_UNIX
 */
static int client_family(uint8_t b)
{
	static const int af[] = { AF_INET, AF_INET6, AF_UNSPEC, AF_UNIX };

	return af[b % (sizeof(af) / sizeof(af[0]))];
}

/**
 * check_common() - properties of every selection
 * @fwd:	forward
 * @how:	return value of target_select()
 * @t:		target it filled
 */
static void check_common(const struct msg_forward *fwd, unsigned how,
			 const struct flow_target *t)
{
	FUZZ_CHECK(how == t->how, "return value differs from t->how");
	FUZZ_CHECK(how <= TARGET_EXTERNAL && strcmp(target_how_str(how), "?"),
		   "rule out of range");
	FUZZ_CHECK(t->port == fwd->target_port, "target port changed");
	FUZZ_CHECK(t->af == target_family(fwd), "family not target_family()");
	FUZZ_CHECK(t->af == AF_INET || t->af == AF_INET6, "family unknown");
	FUZZ_CHECK((how == TARGET_EXPLICIT) ==
		   !!(fwd->flags & FWD_F_TARGET_ADDR),
		   "explicit rule used without an explicit address, or not "
		   "used with one");
	if (how == TARGET_EXPLICIT)
		FUZZ_CHECK(!memcmp(&t->addr, &fwd->target_addr,
				   sizeof(t->addr)),
			   "explicit target is not the forward's address");
}

/**
 * check_external() - an external target is the one NS_ADDRS reported
 * @fwd:	forward
 * @other:	NS_ADDRS of the connecting side
 * @t:		target, rule TARGET_EXTERNAL
 */
static void check_external(const struct msg_forward *fwd,
			   const struct msg_ns_addrs *other,
			   const struct flow_target *t)
{
	bool v4 = fwd->family == AF_INET;

	FUZZ_CHECK(other->flags & (v4 ? NS_ADDR_F_V4 : NS_ADDR_F_V6),
		   "external target of a family NS_ADDRS did not report");
	FUZZ_CHECK(!memcmp(&t->addr, v4 ? &other->addr4 : &other->addr6,
			   sizeof(t->addr)),
		   "external target is not the reported address");
}

/**
 * LLVMFuzzerTestOneInput() - select one target and check every property
 * @data:	input, layout in the theory of operation above
 * @size:	bytes in @data
 *
 * Return: 0, or -1 for a forward the catalogue refuses (not a useful input)
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t in[IN_LEN] = { 0 };
	struct msg_ns_addrs other;
	struct msg_forward fwd;
	struct flow_target t;
	union inany client;
	int caf;
	unsigned how;

	if (size)
		memcpy(in, data, size < IN_LEN ? size : IN_LEN);
	if (!forward_from(in, &fwd))
		return -1;
	caf = client_family(in[IN_CLIENT_AF]);
	memcpy(&client, in + IN_CLIENT, sizeof(client));
	memset(&other, 0, sizeof(other));
	other.flags = in[IN_NS_FLAGS];
	other.pad[0] = in[IN_NS_PAD];
	memcpy(&other.addr4, in + IN_NS_ADDR4, sizeof(other.addr4));
	memcpy(&other.addr6, in + IN_NS_ADDR6, sizeof(other.addr6));

	memset(&t, 0xa5, sizeof(t));
	how = target_select(&fwd, caf, &client, &other, &t);
	check_common(&fwd, how, &t);
	if (how == TARGET_EXPLICIT)
		return 0;
	if (client_is_loopback(caf, &client)) {
		union inany lo;

		inany_loopback(fwd.family, &lo);
		FUZZ_CHECK(how == TARGET_LOOPBACK && !memcmp(&t.addr, &lo,
							     sizeof(lo)),
			   "loopback client not sent to loopback");
		return 0;
	}
	FUZZ_CHECK(how == TARGET_EXTERNAL || how == TARGET_REFUSE,
		   "client not on loopback given the loopback rule");
	if (how == TARGET_REFUSE)
		return 0;
	check_external(&fwd, &other, &t);
	FUZZ_CHECK(!reaches_local(t.af, &t.addr),
		   "client not on loopback sent to an address that reaches "
		   "loopback");
	return 0;
}
