/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * portspec.h - pasta-compatible TCP port specifications (-t / -T)
 *
 * DOC: Theory of Operation
 *
 * A SPEC is parsed in one pass into a struct portspec: an optional listen
 * address (and interface), and for every listen port 1..65535 the target
 * port and optional target address.  Nothing is bound or started while
 * parsing; a bad SPEC gives one message naming the offending part and what
 * was expected, and leaves nothing half-filled for the caller to undo.
 *
 * Grammar (pasta's -t/-T, plus an explicit target address):
 *
 *   SPEC     := "none" | [LADDR "/"] LIST
 *   LADDR    := ADDR ["%" IFACE] | "[" IPv6 "]" ["%" IFACE] | "%" IFACE | "*"
 *   LIST     := ITEM ("," ITEM)*
 *   ITEM     := "all" | "auto" | "~" RANGE | RANGE [":" [TADDR "/"] RANGE]
 *   RANGE    := PORT | PORT "-" PORT
 *   TADDR    := IPv4 | IPv6 | "[" IPv6 "]"
 *
 * The text before the first '/' is a listen address only if it is "*",
 * contains '%', is bracketed, or parses as a numeric address; otherwise the
 * whole SPEC is a LIST ("8080:127.0.0.1/80" maps 8080 to 127.0.0.1 port
 * 80).  Because "8080:fd00::2" is itself an IPv6 address, an IPv6 target
 * must be bracketed: "8080:[fd00::2]/80".  "*" and "%IFACE" alone leave
 * @addr_af AF_UNSPEC and set @addr_any_both.  A mapped
 * range must have the same length on both sides.  Exclusions ("~N[-M]")
 * win over any inclusion, wherever they appear in the list.  A LIST of only
 * exclusions, or "all", means every port except the excluded ones and the
 * ephemeral range; such ports are "best effort" (FWD_F_OPTIONAL: a port
 * that cannot be bound is skipped).  Ports are 1..65535; a port listed
 * twice, or inclusion ranges that overlap, are an error ("all" beside
 * explicit ports, and overlapping exclusions, are fine).
 *
 * "auto" (as in pasta) forwards, at run time, exactly the ports that
 * listen on the other side; the spec only says which ports may be: the
 * ones listed if any (ports below 1024 too), else every port from
 * net.ipv4.ip_unprivileged_port_start (@unpriv_first, normally 1024) to
 * 65535 (the ephemeral range included: a service found listening there is
 * meant to be reached), minus the exclusions.  A privileged port is
 * forwarded only when the spec names it ("auto,25", "auto,1-65535"): a
 * process in the namespace must not make the host listen there.  @map then holds those ports, each mapped to itself: auto
 * never maps a port elsewhere, so "N:M" with M != N or a target address
 * beside it is an error, as are "auto" twice and "all" beside it.  An auto
 * spec is best effort.
 */
#ifndef NSPLICE_PORTSPEC_H
#define NSPLICE_PORTSPEC_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc/inany.h"
#include "ipc/portset.h"

/* PORT_FIRST, PORT_LAST - valid TCP ports; port 0 in the map means "off" */
#define PORT_FIRST		1
#define PORT_LAST		UINT16_MAX

/* PORTSPEC_ERR_MAX - size of the buffer for one error message */
#define PORTSPEC_ERR_MAX 256

/**
 * struct portspec_target - where one listen port goes
 * @port:	target port, 0 if the listen port is not forwarded
 * @has_addr:	true if an explicit target address was given
 * @af:		family of @addr
 * @addr:	explicit target address
 */
struct portspec_target {
	uint16_t port;
	bool has_addr;
	uint8_t af;
	union inany addr;
};

/**
 * struct portspec - one parsed -t/-T SPEC
 * @none:	"none" was given: forward nothing
 * @auto_:	"auto" was given: @map holds the ports that may be forwarded,
 *		each to itself, once something listens on them
 * @best_effort: only exclusions or "all": ports that fail to bind are
 *		skipped (FWD_F_OPTIONAL)
 * @auto_first:	"auto" without listed ports: the first port it may take
 *		(the unprivileged start, at least 1), 0 otherwise; lower
 *		ports are left out without an exclusion
 * @eph_first:	with @auto_first, the ephemeral range the parse saw (UDP
 *		auto leaves it out, options.c)
 * @eph_last:	its last port
 * @addr_af:	AF_UNSPEC if no listen address was given (caller applies
 *		the default), AF_INET or AF_INET6 for an address
 * @addr_any_both: "*" (or "%IFACE" alone): both 0.0.0.0 and ::
 * @addr:	listen address when @addr_af is set
 * @ifname:	interface from "%IFACE", empty if none
 * @nports:	number of listen ports with a non-zero target
 * @lo:		lowest listen port with a non-zero target, 0 if none
 * @hi:		highest, 0 if none: @map is all zeroes outside @lo..@hi, so
 *		a user walks that much of it, not 65536 entries per spec
 * @map:	indexed by listen port, 65536 entries
 */
struct portspec {
	bool none;
	bool auto_;
	bool best_effort;
	uint16_t auto_first;
	uint16_t eph_first;
	uint16_t eph_last;
	int addr_af;
	bool addr_any_both;
	union inany addr;
	char ifname[IF_NAMESIZE];
	unsigned nports;
	uint16_t lo;
	uint16_t hi;
	struct portspec_target map[PORTSET_PORTS];
};

/**
 * struct portspec_env - facts about the system the parser needs
 * @ephemeral_first:	first port of the ephemeral range
 * @ephemeral_last:	last port of the ephemeral range
 * @unpriv_first:	first port bindable without CAP_NET_BIND_SERVICE
 *			(net.ipv4.ip_unprivileged_port_start)
 */
struct portspec_env {
	uint16_t ephemeral_first;
	uint16_t ephemeral_last;
	uint16_t unpriv_first;
};

/* portspec_work - entries of struct portspec.map and bytes of exclusion
 * bitmap that parsing and expanding visited, summed since start: tests
 * check that it follows the size of the specs, not 65536 per spec */
extern unsigned long portspec_work;

int portspec_parse(const char *spec, const struct portspec_env *env,
		   struct portspec *ps, char *err, size_t errlen);
int portspec_env_read(struct portspec_env *env);

#endif /* NSPLICE_PORTSPEC_H */
