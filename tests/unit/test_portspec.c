// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_portspec.c - unit test of the -t/-T port specification parser
 *
 * DOC: Theory of Operation
 *
 * Every accepted spec in the table is checked against the ports it must and
 * must not forward, and every refused spec against a piece of its message
 * and against a struct left all zeroes, so a half-applied spec is caught as
 * surely as a wrong one.  Every accepted spec must also survive a trip
 * through portspec_format() and back, and a fixed-seed fuzz loop feeds the
 * parser strings over the grammar's own alphabet, where the corner cases
 * are, checking the same round trip for everything it happens to accept.
 * The ephemeral range is fixed so results do not depend on the machine.
 *
 * Prints one line per failing case and a final "N passed, N failed" line;
 * the exit status is non-zero if anything failed.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/config/portspec.h"
#include "tests/unit/portspec_format.h"
#include "unit.h"

/* EPH_FIRST, EPH_LAST - the fixed ephemeral range of every case */
#define EPH_FIRST		32768
#define EPH_LAST		60999
/* PORTS_ALL - ports "all" forwards with that range: 65535 - 28232 */
#define PORTS_ALL		37303
/* PORT_MAX - highest TCP port */
#define PORT_MAX		65535
/* ARRAY_LEN - entries in an array */
#define ARRAY_LEN(a)		(sizeof(a) / sizeof((a)[0]))
/* CHECKS_MAX - port checks per valid case */
#define CHECKS_MAX		10
/* FMT_BUF - output buffer for portspec_format(), bytes */
#define FMT_BUF			65536
/* SPEC_SHOW_MAX - bytes of a spec printed in a failure line */
#define SPEC_SHOW_MAX		60
/* LONG_SPEC_LEN - digits in the "huge spec" case */
#define LONG_SPEC_LEN		10000
/* SMALL_ERR - a deliberately tiny message buffer */
#define SMALL_ERR		8
/* SMALL_FMT - a deliberately tiny format buffer */
#define SMALL_FMT		5
/* FUZZ_SEED, FUZZ_ITER, FUZZ_LEN_MAX - fuzz loop parameters */
#define FUZZ_SEED		0x6e73706cU
#define FUZZ_ITER		20000
#define FUZZ_LEN_MAX		40
/* FUZZ_ALPHABET - characters the grammar gives meaning to, and a few not */
#define FUZZ_ALPHABET		"0123456789-:,~/%*.[]abcdefx"
/* GRAMMAR_ITER - specs built from grammar pieces, mostly valid ones */
#define GRAMMAR_ITER		5000
/* GRAMMAR_ITEMS_MAX - list items in one such spec */
#define GRAMMAR_ITEMS_MAX	4
/* GRAMMAR_SPEC_MAX - room for one such spec */
#define GRAMMAR_SPEC_MAX	512
/* GRAMMAR_SPAN_MAX - longest range such a spec uses, in ports */
#define GRAMMAR_SPAN_MAX	40

/**
 * struct port_check - one map entry a valid case must have
 * @listen:	listen port
 * @target:	expected target port, 0 if @listen must not be forwarded
 * @taddr:	expected target address text, NULL for none
 */
struct port_check {
	unsigned listen;
	unsigned target;
	const char *taddr;
};

/**
 * struct valid_case - a spec that must parse, and what it must give
 * @spec:	the spec
 * @nports:	expected number of forwarded listen ports
 * @none:	expected "none" flag
 * @best_effort: expected best-effort flag
 * @auto_:	expected "auto" flag
 * @any_both:	expected addr_any_both
 * @addr_af:	expected listen address family
 * @laddr:	expected listen address text, NULL for none
 * @ifname:	expected interface, NULL for none
 * @port:	map entries to check, ended by a zero listen port
 */
struct valid_case {
	const char *spec;
	unsigned nports;
	bool none;
	bool best_effort;
	bool auto_;
	bool any_both;
	int addr_af;
	const char *laddr;
	const char *ifname;
	struct port_check port[CHECKS_MAX];
};

/**
 * struct invalid_case - a spec that must be refused
 * @spec:	the spec
 * @msg:	text the error message must contain
 */
struct invalid_case {
	const char *spec;
	const char *msg;
};

/**
 * struct format_case - exact canonical text of a spec
 * @spec:	the spec
 * @text:	what portspec_format() must print
 */
struct format_case {
	const char *spec;
	const char *text;
};

static const struct valid_case valid[] = {
	{ "22", 1, .port = { { 22, 22, NULL }, { 21, 0, NULL },
			     { 23, 0, NULL } } },
	{ "22:23", 1, .port = { { 22, 23, NULL }, { 23, 0, NULL } } },
	{ "22,25", 2, .port = { { 22, 22, NULL }, { 23, 0, NULL },
				{ 25, 25, NULL } } },
	{ "22-80", 59, .port = { { 21, 0, NULL }, { 22, 22, NULL },
				 { 80, 80, NULL }, { 81, 0, NULL } } },
	{ "22-80:32-90", 59, .port = { { 22, 32, NULL }, { 50, 60, NULL },
				       { 80, 90, NULL }, { 81, 0, NULL } } },
	{ "192.0.2.1/22", 1, .addr_af = AF_INET, .laddr = "192.0.2.1",
	  .port = { { 22, 22, NULL } } },
	{ "192.0.2.1%eth0/22", 1, .addr_af = AF_INET, .laddr = "192.0.2.1",
	  .ifname = "eth0", .port = { { 22, 22, NULL } } },
	{ "%eth0/22", 1, .any_both = true, .ifname = "eth0",
	  .port = { { 22, 22, NULL } } },
	{ "*/8080", 1, .any_both = true, .port = { { 8080, 8080, NULL } } },
	{ "0.0.0.0/80", 1, .addr_af = AF_INET, .laddr = "0.0.0.0",
	  .port = { { 80, 80, NULL } } },
	{ "::/80", 1, .addr_af = AF_INET6, .laddr = "::",
	  .port = { { 80, 80, NULL } } },
	{ "::1/80", 1, .addr_af = AF_INET6, .laddr = "::1",
	  .port = { { 80, 80, NULL } } },
	{ "[::1]/80", 1, .addr_af = AF_INET6, .laddr = "::1",
	  .port = { { 80, 80, NULL } } },
	{ "fe80::1%eth0.5/22", 1, .addr_af = AF_INET6, .laddr = "fe80::1",
	  .ifname = "eth0.5", .port = { { 22, 22, NULL } } },
	{ "[fe80::1]%eth0/22", 1, .addr_af = AF_INET6, .laddr = "fe80::1",
	  .ifname = "eth0", .port = { { 22, 22, NULL } } },
	{ "2000-5000,~3000-3010", 2990,
	  .port = { { 2000, 2000, NULL }, { 2999, 2999, NULL },
		    { 3000, 0, NULL }, { 3010, 0, NULL },
		    { 3011, 3011, NULL }, { 5000, 5000, NULL },
		    { 5001, 0, NULL } } },
	{ "192.0.2.1/20-30,~25", 10, .addr_af = AF_INET, .laddr = "192.0.2.1",
	  .port = { { 20, 20, NULL }, { 24, 24, NULL }, { 25, 0, NULL },
		    { 26, 26, NULL }, { 30, 30, NULL } } },
	{ "~20000-20010", PORTS_ALL - 11, .best_effort = true,
	  .port = { { 20000, 0, NULL }, { 20010, 0, NULL },
		    { 19999, 19999, NULL }, { 20011, 20011, NULL },
		    { EPH_FIRST, 0, NULL }, { EPH_LAST, 0, NULL },
		    { 61000, 61000, NULL }, { 65535, 65535, NULL },
		    { 1, 1, NULL } } },
	{ "~80", PORTS_ALL - 1, .best_effort = true,
	  .port = { { 80, 0, NULL }, { 81, 81, NULL } } },
	{ "all", PORTS_ALL, .best_effort = true,
	  .port = { { 1, 1, NULL }, { 32767, 32767, NULL },
		    { EPH_FIRST, 0, NULL }, { EPH_LAST, 0, NULL },
		    { 61000, 61000, NULL }, { 65535, 65535, NULL } } },
	{ "all,~22", PORTS_ALL - 1, .best_effort = true,
	  .port = { { 21, 21, NULL }, { 22, 0, NULL }, { 23, 23, NULL } } },
	/* Explicit items keep their mapping, even in the ephemeral range */
	{ "all,8080:80,32768", PORTS_ALL + 1, .best_effort = true,
	  .port = { { 8080, 80, NULL }, { 80, 80, NULL },
		    { EPH_FIRST, EPH_FIRST, NULL }, { 32769, 0, NULL } } },
	{ "8080:127.0.0.1/80", 1,
	  .port = { { 8080, 80, "127.0.0.1" }, { 80, 0, NULL } } },
	{ "8080-8081:10.0.0.2/80-81", 2,
	  .port = { { 8080, 80, "10.0.0.2" }, { 8081, 81, "10.0.0.2" } } },
	{ "8080:[fd00::2]/80", 1, .port = { { 8080, 80, "fd00::2" } } },
	/* "8080:fd00::2" is an address, so by the listen address rule ... */
	{ "8080:fd00::2/80", 1, .addr_af = AF_INET6, .laddr = "8080:fd00::2",
	  .port = { { 80, 80, NULL }, { 8080, 0, NULL } } },
	/* ... while an unbracketed target works where no address can form */
	{ "80-81:fd00::2/90-91", 2,
	  .port = { { 80, 90, "fd00::2" }, { 81, 91, "fd00::2" } } },
	{ "22,8080:fd00::2/80", 2,
	  .port = { { 22, 22, NULL }, { 8080, 80, "fd00::2" } } },
	{ "::1/8080:127.0.0.1/80", 1, .addr_af = AF_INET6, .laddr = "::1",
	  .port = { { 8080, 80, "127.0.0.1" } } },
	{ "none", 0, .none = true, .port = { { 22, 0, NULL } } },
	{ "65535", 1, .port = { { 65535, 65535, NULL } } },
	{ "1", 1, .port = { { 1, 1, NULL } } },
	{ "00080", 1, .port = { { 80, 80, NULL } } },
	{ "1-65535", 65535, .port = { { 1, 1, NULL }, { 65535, 65535, NULL } } },
	{ "~80,~70-90,~85", PORTS_ALL - 21, .best_effort = true,
	  .port = { { 69, 69, NULL }, { 70, 0, NULL }, { 91, 91, NULL } } },
	/* "auto": the ports it may forward, each to itself, ephemeral too */
	{ "auto", PORT_MAX, .best_effort = true, .auto_ = true,
	  .port = { { 1, 1, NULL }, { EPH_FIRST, EPH_FIRST, NULL },
		    { 65535, 65535, NULL } } },
	{ "auto,~22", PORT_MAX - 1, .best_effort = true, .auto_ = true,
	  .port = { { 21, 21, NULL }, { 22, 0, NULL }, { 23, 23, NULL } } },
	{ "8000-8100,auto", 101, .best_effort = true, .auto_ = true,
	  .port = { { 7999, 0, NULL }, { 8000, 8000, NULL },
		    { 8100, 8100, NULL }, { 8101, 0, NULL } } },
	{ "auto,8000-8100,~8050", 100, .best_effort = true, .auto_ = true,
	  .port = { { 8049, 8049, NULL }, { 8050, 0, NULL } } },
	{ "127.0.0.1/auto", PORT_MAX, .best_effort = true, .auto_ = true,
	  .addr_af = AF_INET, .laddr = "127.0.0.1",
	  .port = { { 80, 80, NULL } } },
	{ "*/auto,~1-1023", PORT_MAX - 1023, .best_effort = true,
	  .auto_ = true, .any_both = true,
	  .port = { { 1023, 0, NULL }, { 1024, 1024, NULL } } },
	{ "auto,80:80", 1, .best_effort = true, .auto_ = true,
	  .port = { { 80, 80, NULL }, { 81, 0, NULL } } },
	{ "auto,~1-65534", 1, .best_effort = true, .auto_ = true,
	  .port = { { 65534, 0, NULL }, { 65535, 65535, NULL } } },
};

static const struct invalid_case invalid[] = {
	{ "", "empty spec" },
	{ "0", "port \"0\" out of range: expected 1-65535" },
	{ "65536", "port \"65536\" out of range: expected 1-65535" },
	{ "70000", "port \"70000\" out of range: expected 1-65535" },
	{ "000080", "port \"000080\" is too long" },
	{ "-1", "\"-1\" is not a port, range, \"all\", \"auto\" or \"~EXCLUSION\"" },
	{ "+80", "\"+80\" is not a port" },
	{ "0x50", "\"0x50\" is not a port" },
	{ "80-", "\"80-\" is not a port" },
	{ "-80", "\"-80\" is not a port" },
	{ "1-2-3", "\"1-2-3\" is not a port" },
	{ "90-80", "range \"90-80\" is empty: expected FIRST-LAST with FIRST <= LAST" },
	{ "80,,81", "empty item in list" },
	{ "80,", "empty item in list" },
	{ ",80", "empty item in list" },
	{ "22-80:32-40", "mapped ranges \"22-80:32-40\" differ in length (59 vs 9 ports)" },
	{ "80:90-91", "differ in length (1 vs 2 ports)" },
	{ "80,80", "port 80 listed twice" },
	{ "80-90,85", "port 85 listed twice" },
	{ "all,all", "\"all\" listed twice" },
	{ "none,80", "\"none\" must be the whole spec" },
	{ "80,none", "\"none\" must be the whole spec" },
	{ "*/none", "\"none\" must be the whole spec" },
	{ "abc", "\"abc\" is not a port" },
	{ ":80", "\":80\" is not a port" },
	{ "1.2.3.400/80", "bad listen address \"1.2.3.400\"" },
	{ "1.2.3.400%eth0/80", "bad listen address \"1.2.3.400\"" },
	{ "[1.2.3.4]/80", "bad listen address \"[1.2.3.4]\"" },
	{ "*%eth0/80", "bad listen address \"*\"" },
	{ "80-81:fe80::1%eth0/80", "bad listen address \"80-81:fe80::1\"" },
	{ "*/", "no ports after listen address \"*\"" },
	{ "%/80", "bad interface name \"\"" },
	{ "%verylonginterfacename0/80",
	  "bad interface name \"verylonginterfacename0\": expected 1-15" },
	{ "%eth 0/80", "bad interface name \"eth 0\"" },
	{ "80:1.2.3.4/", "target \"\" in \"80:1.2.3.4/\" is not a port or range" },
	{ "80:1.2.3.4/90/91", "target \"90/91\"" },
	{ "80:", "target \"\" in \"80:\"" },
	{ "80:/90", "bad target address \"\" in \"80:/90\"" },
	{ "80:[1.2.3.4]/90", "bad target address \"[1.2.3.4]\"" },
	{ "80:1.2.3.4.5/90", "bad target address \"1.2.3.4.5\"" },
	{ "80:[::ffff:127.0.0.1]/90", "target address \"[::ffff:127.0.0.1]\" in \"80:[::ffff:127.0.0.1]/90\" is IPv4-mapped: write the IPv4 address (127.0.0.1)" },
	{ "80,~80", "spec \"80,~80\" forwards no port" },
	{ "~1-65535", "forwards no port" },
	{ "~", "exclusion \"~\" is not ~PORT or ~FIRST-LAST" },
	{ "~80:90", "exclusion \"~80:90\"" },
	{ "80 ", "\"80 \" is not a port" },
	{ " 80", "\" 80\" is not a port" },
	{ "80\n", "\"80?\" is not a port" },
	{ "8\"0", "\"8?0\" is not a port" },
	{ "auto,auto", "\"auto\" listed twice" },
	{ "none,auto", "\"none\" must be the whole spec" },
	{ "auto,none", "\"none\" must be the whole spec" },
	{ "auto,8080:80", "\"8080:80\" maps a port beside \"auto\": auto "
	  "forwards a port to the same port" },
	{ "8000-8001:9000-9001,auto", "\"8000-8001:9000-9001\" maps a port" },
	{ "auto,80:127.0.0.1/80", "\"80:127.0.0.1/80\" maps a port beside" },
	{ "all,auto", "\"all\" and \"auto\" together: expected one of them" },
	{ "auto,~1-65535", "spec \"auto,~1-65535\" forwards no port" },
	{ "Auto", "\"Auto\" is not a port, range" },
	{ "auto:80", "\"auto:80\" is not a port" },
	{ "~auto", "exclusion \"~auto\"" },
};

static const struct format_case formats[] = {
	{ "22-80:32-90", "22-80:32-90" },
	{ "none", "none" },
	{ "00080", "80" },
	{ "25,22,23,24", "22-25" },
	{ "80:81,81:82", "80-81:81-82" },
	{ "80:81,81:83", "80:81,81:83" },
	{ "*/8080", "*/8080" },
	{ "%eth0/22", "%eth0/22" },
	{ "::1/80", "[::1]/80" },
	{ "fe80::1%eth0/22", "[fe80::1]%eth0/22" },
	{ "192.0.2.1%eth0/22", "192.0.2.1%eth0/22" },
	{ "192.0.2.1/20-30,~25", "192.0.2.1/20-24,26-30" },
	{ "8080:fd00::2/80", "[8080:fd00::2]/80" },
	{ "80-81:fd00::2/90-91", "80-81:[fd00::2]/90-91" },
	{ "80:127.0.0.1/80,81", "80:127.0.0.1/80,81" },
	{ "80-81:10.0.0.2/80-81,82-83:10.0.0.3/82-83",
	  "80-81:10.0.0.2/80-81,82-83:10.0.0.3/82-83" },
	{ "all", "1-32767,61000-65535" },
	{ "all,~1,~65535", "2-32767,61000-65534" },
	{ "auto", "auto" },
	{ "auto,1-65535", "auto,1-65535" },
	{ "auto,~22", "auto,~22" },
	{ "~80,auto,~22", "auto,~22,~80" },
	{ "8000-8100,auto", "auto,8000-8100" },
	{ "auto,22,80", "auto,22,80" },
	{ "auto,~1-100,~200-65535", "auto,~1-100,~200-65535" },
	{ "127.0.0.1/auto", "127.0.0.1/auto" },
	{ "::1/auto,~1-1023", "[::1]/auto,~1-1023" },
	{ "%eth0/auto", "%eth0/auto" },
};

static const struct portspec_env env = {
	.ephemeral_first = EPH_FIRST,
	.ephemeral_last = EPH_LAST,
};

static struct portspec *ps, *ps2, *zero;
static char *fmtbuf;

/**
 * spec_report() - print why a case failed
 * @ok:		the check passed
 * @spec:	the spec, cut to SPEC_SHOW_MAX bytes when printed
 * @fmt:	printf() format saying what went wrong
 * @...:	arguments
 *
 * A case runs several checks and counts as one pass (n_pass++ at its end),
 * so only failures are counted here.
 *
 * Return: @ok, so callers can stop checking a case after its first failure
 */
__attribute__((format(printf, 3, 4)))
static bool spec_report(bool ok, const char *spec, const char *fmt, ...)
{
	char name[SPEC_SHOW_MAX + 3];
	va_list ap;

	if (ok)
		return true;
	snprintf(name, sizeof(name), "\"%.*s\"", SPEC_SHOW_MAX, spec);
	va_start(ap, fmt);
	vreport(false, name, fmt, ap);
	va_end(ap);
	return false;
}

/**
 * addr_is() - compare an address with its expected text
 * @af:		family found
 * @a:		address found
 * @text:	expected address, NULL for none (all zeroes, no family)
 *
 * Return: true if they match
 */
static bool addr_is(int af, const union inany *a, const char *text)
{
	union inany want;
	int want_af = AF_UNSPEC;

	memset(&want, 0, sizeof(want));
	if (text && inany_parse(text, &want_af, &want))
		return false;
	return af == want_af && !memcmp(a, &want, sizeof(want));
}

/**
 * check_port() - check one map entry of a parsed spec
 * @spec:	spec, for messages
 * @c:		expected entry
 *
 * Return: true if the entry matches
 */
static bool check_port(const char *spec, const struct port_check *c)
{
	const struct portspec_target *t = &ps->map[c->listen];

	if (!spec_report(t->port == c->target, spec, "port %u -> %u, expected %u",
		    c->listen, t->port, c->target))
		return false;
	if (!c->taddr && !t->port)
		return spec_report(!t->has_addr && !t->af, spec,
			      "port %u off but has an address", c->listen);
	return spec_report(t->has_addr == !!c->taddr &&
		      addr_is(t->af, &t->addr, c->taddr), spec,
		      "port %u: wrong target address, expected %s",
		      c->listen, c->taddr ? c->taddr : "none");
}

/**
 * check_header() - check the fields of a parsed spec other than the map
 * @c:		valid case
 *
 * Return: true if all match
 */
static bool check_header(const struct valid_case *c)
{
	const char *ifname = c->ifname ? c->ifname : "";

	if (!spec_report(ps->nports == c->nports, c->spec, "nports %u, expected %u",
		    ps->nports, c->nports) ||
	    !spec_report(ps->auto_ == c->auto_, c->spec, "auto_ %d, expected %d",
		    ps->auto_, c->auto_) ||
	    !spec_report(ps->none == c->none && ps->best_effort == c->best_effort,
		    c->spec, "none/best_effort %d/%d, expected %d/%d",
		    ps->none, ps->best_effort, c->none, c->best_effort) ||
	    !spec_report(ps->addr_any_both == c->any_both, c->spec,
		    "addr_any_both %d", ps->addr_any_both))
		return false;
	return spec_report(addr_is(ps->addr_af, &ps->addr, c->laddr), c->spec,
		      "listen address wrong, expected %s",
		      c->laddr ? c->laddr : "none") &&
	       spec_report(!strcmp(ps->ifname, ifname), c->spec,
		      "ifname \"%s\", expected \"%s\"", ps->ifname, ifname);
}

/**
 * count_ports() - count forwarded ports in the map, independently of nports
 * @p:		parsed spec
 *
 * Return: number of listen ports with a non-zero target
 */
static unsigned count_ports(const struct portspec *p)
{
	unsigned i, n = 0;

	for (i = 0; i < ARRAY_LEN(p->map); i++)
		n += !!p->map[i].port;
	return n;
}

/**
 * check_valid() - parse a valid case and check everything it must give
 * @c:		valid case
 */
static void check_valid(const struct valid_case *c)
{
	char err[PORTSPEC_ERR_MAX];
	bool ok;
	int i;

	if (!spec_report(!portspec_parse(c->spec, &env, ps, err, sizeof(err)),
		    c->spec, "refused: %s", err))
		return;
	ok = spec_report(!err[0], c->spec, "message on success: %s", err) &&
	     check_header(c) &&
	     spec_report(count_ports(ps) == ps->nports, c->spec,
		    "nports %u but %u ports in map", ps->nports,
		    count_ports(ps)) &&
	     spec_report(!ps->map[0].port, c->spec, "port 0 forwarded");
	for (i = 0; ok && i < CHECKS_MAX && c->port[i].listen; i++)
		ok = check_port(c->spec, &c->port[i]);
	if (ok)
		n_pass++;
}

/**
 * check_message() - check the form of an error message
 * @spec:	spec, for messages
 * @err:	the message
 * @want:	text it must contain
 *
 * Return: true if the message is one non-empty line containing @want
 */
static bool check_message(const char *spec, const char *err, const char *want)
{
	return spec_report(err[0] && !strchr(err, '\n'), spec,
		      "message empty or not one line: \"%s\"", err) &&
	       spec_report(strlen(err) < PORTSPEC_ERR_MAX, spec, "message too long") &&
	       spec_report(strstr(err, want) != NULL, spec,
		      "message \"%s\" lacks \"%s\"", err, want);
}

/**
 * check_invalid() - parse an invalid spec; check message and zeroed struct
 * @spec:	the spec
 * @want:	text the message must contain
 */
static void check_invalid(const char *spec, const char *want)
{
	char err[PORTSPEC_ERR_MAX] = "";

	/* Dirty the struct first: parse must clear it, not rely on calloc */
	memset(ps, 0xa5, sizeof(*ps));
	if (!spec_report(portspec_parse(spec, &env, ps, err, sizeof(err)) == -1,
		    spec, "accepted") ||
	    !spec_report(!memcmp(ps, zero, sizeof(*ps)), spec,
		    "struct not zeroed after failure") ||
	    !check_message(spec, err, want))
		return;
	n_pass++;
}

/**
 * check_long_spec() - a 10,000-digit spec is refused with a short message
 */
static void check_long_spec(void)
{
	char *spec = malloc(LONG_SPEC_LEN + 1);

	if (!spec) {
		spec_report(false, "(long)", "out of memory");
		return;
	}
	memset(spec, '1', LONG_SPEC_LEN);
	spec[LONG_SPEC_LEN] = '\0';
	check_invalid(spec, "...\" is too long");
	free(spec);
}

/**
 * check_small_buffers() - messages and text are cut, never overrun
 */
static void check_small_buffers(void)
{
	char err[SMALL_ERR + 1], buf[SMALL_FMT + 1];

	memset(err, 'X', sizeof(err));
	memset(buf, 'X', sizeof(buf));
	buf[0] = '\0';
	if (!spec_report(portspec_parse("70000", &env, ps, err, SMALL_ERR) == -1 &&
		    strlen(err) == SMALL_ERR - 1 && err[SMALL_ERR] == 'X',
		    "70000", "small message buffer mishandled") ||
	    !spec_report(portspec_parse("70000", &env, ps, NULL, 0) == -1,
		    "70000", "NULL message buffer mishandled") ||
	    !spec_report(portspec_parse(NULL, &env, ps, err, SMALL_ERR) == -1,
		    "(null)", "NULL spec accepted") ||
	    !spec_report(!portspec_parse("22", NULL, ps, NULL, 0), "22",
		    "NULL env refused") ||
	    !spec_report(!portspec_parse("22-80:32-90", &env, ps, NULL, 0) &&
		    portspec_format(ps, buf, SMALL_FMT) == -1 &&
		    !strcmp(buf, "22-8") && buf[SMALL_FMT] == 'X',
		    "22-80:32-90", "small format buffer mishandled: \"%s\"", buf))
		return;
	n_pass++;
}

/**
 * roundtrip() - parse, print and parse again; compare the two structs
 * @spec:	a spec that must parse
 * @why:	set to what went wrong
 *
 * best_effort is cleared on both sides: it is the one field that the
 * expanded text cannot carry.
 *
 * Return: true if the structs are equal
 */
static bool roundtrip(const char *spec, const char **why)
{
	char err[PORTSPEC_ERR_MAX];

	*why = "first parse failed";
	if (portspec_parse(spec, &env, ps, err, sizeof(err)))
		return false;
	*why = "format failed";
	if (portspec_format(ps, fmtbuf, FMT_BUF))
		return false;
	*why = "formatted text refused";
	if (portspec_parse(fmtbuf, &env, ps2, err, sizeof(err)))
		return false;
	ps->best_effort = ps2->best_effort = false;
	*why = "structs differ";
	return !memcmp(ps, ps2, sizeof(*ps));
}

/**
 * check_roundtrips() - every valid case survives format and parse
 */
static void check_roundtrips(void)
{
	const char *why;
	size_t i;

	for (i = 0; i < ARRAY_LEN(valid); i++) {
		/* Not inside spec_report(): its other arguments would be read first */
		bool ok = roundtrip(valid[i].spec, &why);

		if (spec_report(ok, valid[i].spec, "round trip: %s (\"%s\")", why,
			   fmtbuf))
			n_pass++;
	}
}

/**
 * check_format() - exact canonical text of one spec
 * @c:		format case
 */
static void check_format(const struct format_case *c)
{
	char err[PORTSPEC_ERR_MAX];

	if (!spec_report(!portspec_parse(c->spec, &env, ps, err, sizeof(err)),
		    c->spec, "refused: %s", err) ||
	    !spec_report(!portspec_format(ps, fmtbuf, FMT_BUF), c->spec,
		    "format failed") ||
	    !spec_report(!strcmp(fmtbuf, c->text), c->spec,
		    "formatted as \"%s\", expected \"%s\"", fmtbuf, c->text))
		return;
	n_pass++;
}

/**
 * fuzz_next() - xorshift32, so the fuzz sequence is the same everywhere
 * @state:	generator state, never zero
 *
 * Return: next pseudo-random value
 */
static uint32_t fuzz_next(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/**
 * fuzz() - random specs over the grammar's alphabet: no crash, and every
 *	    spec that is accepted round-trips; failures leave zeroes
 */
static void fuzz(void)
{
	static const char alphabet[] = FUZZ_ALPHABET;
	char spec[FUZZ_LEN_MAX + 1], err[PORTSPEC_ERR_MAX];
	unsigned accepted = 0, bad = 0, i;
	uint32_t seed = FUZZ_SEED;
	const char *why;
	bool ok;

	for (i = 0; i < FUZZ_ITER && bad < SPEC_SHOW_MAX; i++) {
		size_t len = fuzz_next(&seed) % (FUZZ_LEN_MAX + 1), j;

		for (j = 0; j < len; j++)
			spec[j] = alphabet[fuzz_next(&seed) %
					   (sizeof(alphabet) - 1)];
		spec[len] = '\0';
		if (portspec_parse(spec, &env, ps, err, sizeof(err))) {
			bad += !spec_report(!memcmp(ps, zero, sizeof(*ps)) && err[0],
				       spec, "fuzz: failure left state");
			continue;
		}
		accepted++;
		ok = roundtrip(spec, &why);
		bad += !spec_report(ok, spec, "fuzz round trip: %s (\"%s\")", why,
			       fmtbuf);
	}
	if (spec_report(!bad, "(fuzz)", "%u failures", bad))
		n_pass++;
	printf("fuzz: %u specs, %u accepted\n", i, accepted);
}

/**
 * grammar_port() - a port, often one at an edge the parser must get right
 * @seed:	generator state
 *
 * Return: a port in 1..65535
 */
static unsigned grammar_port(uint32_t *seed)
{
	static const unsigned edge[] = { 1, 2, 22, 80, EPH_FIRST - 1, EPH_FIRST,
					 EPH_LAST, EPH_LAST + 1, 65534, 65535 };
	uint32_t r = fuzz_next(seed);

	if (r % 2)
		return edge[(r >> 1) % ARRAY_LEN(edge)];
	return 1 + (r >> 1) % PORT_MAX;
}

/**
 * grammar_item() - append one random list item to a spec
 * @seed:	generator state
 * @sep:	separator to put first: "," or nothing
 * @out:	spec being built
 * @size:	size of @out
 */
static void grammar_item(uint32_t *seed, const char *sep, char *out,
			 size_t size)
{
	static const char *const taddr[] = { "", "", "127.0.0.1/",
					     "[fd00::2]/", "fd00::2/" };
	unsigned first = grammar_port(seed), span, target;
	size_t n = strlen(out);
	uint32_t r = fuzz_next(seed);

	span = r % 3 ? 0 : fuzz_next(seed) % GRAMMAR_SPAN_MAX;
	if (first + span > PORT_MAX)
		span = PORT_MAX - first;
	target = grammar_port(seed);
	if (target + span > PORT_MAX)
		target = PORT_MAX - span;
	if (r % 7 == 0)
		snprintf(out + n, size - n, "%sall", sep);
	else if (r % 11 == 0)
		snprintf(out + n, size - n, "%sauto", sep);
	else if (r % 5 == 0)
		snprintf(out + n, size - n, "%s~%u-%u", sep, first, first + span);
	else if (r % 2)
		snprintf(out + n, size - n, "%s%u-%u", sep, first, first + span);
	else
		snprintf(out + n, size - n, "%s%u-%u:%s%u-%u", sep, first,
			 first + span, taddr[(r >> 8) % ARRAY_LEN(taddr)], target,
			 target + span);
}

/**
 * fuzz_grammar() - random specs built from valid pieces: the random
 *		    alphabet rarely gets past the first item, these do
 */
static void fuzz_grammar(void)
{
	static const char *const laddr[] = { "", "", "*/", "%eth0/",
					     "192.0.2.1/", "[::1]/",
					     "fe80::1%lo/" };
	char spec[GRAMMAR_SPEC_MAX], err[PORTSPEC_ERR_MAX];
	unsigned accepted = 0, bad = 0, i, j;
	uint32_t seed = FUZZ_SEED;
	const char *why;
	bool ok;

	for (i = 0; i < GRAMMAR_ITER && bad < SPEC_SHOW_MAX; i++) {
		unsigned items;

		snprintf(spec, sizeof(spec), "%s",
			 laddr[fuzz_next(&seed) % ARRAY_LEN(laddr)]);
		items = 1 + fuzz_next(&seed) % GRAMMAR_ITEMS_MAX;
		for (j = 0; j < items; j++) {
			grammar_item(&seed, j ? "," : "", spec, sizeof(spec));
		}
		if (portspec_parse(spec, &env, ps, err, sizeof(err))) {
			bad += !spec_report(!memcmp(ps, zero, sizeof(*ps)) && err[0],
				       spec, "grammar: failure left state");
			continue;
		}
		accepted++;
		ok = roundtrip(spec, &why);
		bad += !spec_report(ok, spec, "grammar round trip: %s (\"%s\")", why,
			       fmtbuf);
	}
	if (spec_report(!bad, "(grammar)", "%u failures", bad))
		n_pass++;
	printf("grammar fuzz: %u specs, %u accepted\n", i, accepted);
}

/**
 * check_auto_unpriv() - bare "auto" leaves privileged ports out
 * @spec:	spec
 * @nports:	ports it must allow
 * @port:	a port it must allow
 * @text:	what it must print as
 *
 * With ip_unprivileged_port_start 1024, as on a default kernel: a port
 * below is one only a privileged agent could bind, so "auto" takes it
 * only where the spec names it.
 */
static void check_auto_unpriv(const char *spec, unsigned nports,
			      unsigned port, const char *text)
{
	static const struct portspec_env env1024 = {
		.ephemeral_first = EPH_FIRST,
		.ephemeral_last = EPH_LAST,
		.unpriv_first = 1024,
	};

	if (!spec_report(!portspec_parse(spec, &env1024, ps, NULL, 0), spec,
		    "refused"))
		return;
	spec_report(ps->nports == nports && ps->map[port].port == port, spec,
	       "%u ports, port %u -> %u", ps->nports, port,
	       ps->map[port].port);
	spec_report(!portspec_format(ps, fmtbuf, FMT_BUF) && !strcmp(fmtbuf, text),
	       spec, "prints as \"%s\", expected \"%s\"", fmtbuf, text);
	n_pass++;
}

/**
 * check_env_read() - the running kernel's range is read, or the default used
 */
static void check_env_read(void)
{
	struct portspec_env e;
	int ret = portspec_env_read(&e);

	if (!spec_report(e.ephemeral_first >= 1 &&
		    e.ephemeral_first <= e.ephemeral_last,
		    "(env)", "range %u-%u", e.ephemeral_first,
		    e.ephemeral_last) ||
	    !spec_report(!ret || (e.ephemeral_first == EPH_FIRST &&
			     e.ephemeral_last == EPH_LAST),
		    "(env)", "failure without the default range"))
		return;
	n_pass++;
}

/**
 * main() - run every table and the fuzz loop
 *
 * Return: 0 if everything passed, 1 otherwise
 */
int main(void)
{
	size_t i;

	ps = calloc(1, sizeof(*ps));
	ps2 = calloc(1, sizeof(*ps2));
	zero = calloc(1, sizeof(*zero));
	fmtbuf = calloc(1, FMT_BUF);
	if (!ps || !ps2 || !zero || !fmtbuf) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	for (i = 0; i < ARRAY_LEN(valid); i++)
		check_valid(&valid[i]);
	for (i = 0; i < ARRAY_LEN(invalid); i++)
		check_invalid(invalid[i].spec, invalid[i].msg);
	for (i = 0; i < ARRAY_LEN(formats); i++)
		check_format(&formats[i]);
	check_long_spec();
	check_small_buffers();
	check_roundtrips();
	check_env_read();
	check_auto_unpriv("auto", PORT_MAX - 1023, 1024, "auto");
	check_auto_unpriv("auto,~22", PORT_MAX - 1023, 65535, "auto");
	check_auto_unpriv("auto,~2000", PORT_MAX - 1024, 2001, "auto,~2000");
	check_auto_unpriv("auto,25", 1, 25, "auto,25");
	check_auto_unpriv("1-1023,auto", 1023, 1, "auto,1-1023");
	check_auto_unpriv("auto,1-65535", PORT_MAX, 80, "auto,1-65535");
	fuzz();
	fuzz_grammar();
	free(ps);
	free(ps2);
	free(zero);
	free(fmtbuf);
	return unit_summary(NULL);
}
