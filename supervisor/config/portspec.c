// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * portspec.c - parse and print pasta-compatible TCP port specifications
 *
 * DOC: Theory of Operation
 *
 * A spec is read once, left to right, and never modified: every piece of it
 * is handled as a span (pointer and length) into the caller's string, so an
 * arbitrarily long spec costs no copies and no allocation.  Only an address
 * is copied out, into a buffer sized for the longest numeric address, because
 * inet_pton() wants a terminated string; anything longer cannot be one.
 *
 * The listen address is settled first, from the text before the first '/'
 * alone.  That text can only be a listen address or the start of an item
 * with a target address, and an item with a target address always has a ':'
 * before its '/', so text without ':' that is not an address is reported as
 * a bad listen address: that is what the user meant to write.  Text that
 * parses as an address wins over a mapping, as in pasta, which means
 * "8080:fd00::2/80" listens on 8080:fd00::2; "8080:[fd00::2]/80" is the way
 * to spell that target.
 *
 * Inclusions are written straight into the caller's map as they are met;
 * the map doubles as the record of taken listen ports, so a port listed twice
 * is caught when it is written.  Exclusions may come before the inclusions
 * they cancel, so they are only collected, in a bitmap, and applied in one
 * sweep after the list; the same sweep adds the implicit "all" and counts the
 * result.  Any error wipes the whole struct, so the caller never sees, and
 * never has to undo, a half-applied spec.
 *
 * "auto" is one more item.  The first item that maps a port elsewhere is
 * remembered, because "auto" may come after it and only the end of the
 * list knows whether both were given; the final sweep then fills the map
 * with every port (ephemeral ones too) when nothing was listed, so an auto
 * spec's map is the set of ports it may forward, each to itself.
 *
 * Messages quote the spec, but at most QUOTE_MAX bytes of it and with
 * anything unprintable replaced, so one message stays one line of bounded
 * length whatever was typed.
 *
 * The ephemeral range comes from procfs, which is read with a fixed-size
 * buffer and parsed as strictly as a spec: a kernel that prints something
 * unexpected gets Linux's default range rather than a guess.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ipc/portset.h"
#include "ipc/text.h"
#include "supervisor/config/portspec.h"

/* PORT_FIRST, PORT_LAST - valid TCP ports; port 0 in the map means "off" */
#define PORT_FIRST		1
#define PORT_LAST		UINT16_MAX
/* PORT_DIGITS_MAX - longest decimal port we read, leading zeros included */
#define PORT_DIGITS_MAX		5
/* DECIMAL_BASE - ports are decimal only, never octal or hexadecimal */
#define DECIMAL_BASE		10

/* QUOTE_MAX - bytes of the spec copied into one quoted excerpt */
#define QUOTE_MAX		40
/* QUOTE_ELLIPSIS - marks an excerpt cut at QUOTE_MAX bytes */
#define QUOTE_ELLIPSIS		"..."
/* QUOTE_BUF - one excerpt: QUOTE_MAX bytes, ellipsis and NUL */
#define QUOTE_BUF		(QUOTE_MAX + sizeof(QUOTE_ELLIPSIS))

/* ADDR_TEXT_MAX - longest numeric address in a spec, plus NUL */
#define ADDR_TEXT_MAX		INET6_ADDRSTRLEN

/* LADDR_EXPECTED - the listen address forms, for messages (printf text) */
#define LADDR_EXPECTED		"expected ADDR, [IPv6], ADDR%%IFACE, %%IFACE or *"

/* EPHEMERAL_FIRST_DEFAULT, EPHEMERAL_LAST_DEFAULT - Linux's defaults */
#define EPHEMERAL_FIRST_DEFAULT	32768
#define EPHEMERAL_LAST_DEFAULT	60999
/* PORT_RANGE_PATH - where the kernel publishes its ephemeral range */
#define PORT_RANGE_PATH		"/proc/sys/net/ipv4/ip_local_port_range"
/* PORT_RANGE_READ_MAX - bytes read from it; "65535\t65535\n" is twelve */
#define PORT_RANGE_READ_MAX	32
/* UNPRIV_FIRST_DEFAULT - Linux's first port bindable without privilege */
#define UNPRIV_FIRST_DEFAULT	1024
/* UNPRIV_PATH - where the kernel publishes it (net.ipv4, per namespace) */
#define UNPRIV_PATH		"/proc/sys/net/ipv4/ip_unprivileged_port_start"

_Static_assert(sizeof(((struct portspec *)0)->map) ==
	       PORTSET_PORTS * sizeof(struct portspec_target),
	       "struct portspec.map must have one entry per 16-bit port");

/**
 * struct span - a piece of the spec, not NUL-terminated
 * @p:		first byte
 * @len:	length in bytes
 */
struct span {
	const char *p;
	size_t len;
};

/**
 * struct quote - storage for one quoted excerpt in an error message
 * @s:		sanitised, possibly cut text, NUL-terminated
 */
struct quote {
	char s[QUOTE_BUF];
};

/**
 * struct range - an inclusive range of ports
 * @first:	first port
 * @last:	last port, >= @first
 */
struct range {
	uint16_t first;
	uint16_t last;
};

/**
 * enum range_role - what a range stands for, so a syntax error says so
 * @ROLE_LISTEN:	listen ports of an inclusion
 * @ROLE_EXCLUDE:	listen ports after '~'
 * @ROLE_TARGET:	target ports after ':'
 */
enum range_role {
	ROLE_LISTEN,
	ROLE_EXCLUDE,
	ROLE_TARGET,
};

/**
 * struct parse - state of one portspec_parse() call
 * @ps:		output, zeroed before parsing starts
 * @env:	ephemeral range, for the implicit "all"
 * @spec:	the whole spec, for messages
 * @excluded:	bitmap of excluded listen ports, applied after the list
 * @all:	"all" was given
 * @included:	at least one explicit inclusion was given
 * @mapped:	first item mapping a port elsewhere, empty if none: refused
 *		beside "auto"
 * @lo:		lowest listen port an inclusion named, 0 if none
 * @hi:		highest, 0 if none: spec_finish() walks only @lo..@hi when
 *		nothing fills the rest of the map
 * @err:	message buffer, may be NULL
 * @errlen:	size of @err
 */
struct parse {
	struct portspec *ps;
	const struct portspec_env *env;
	struct span spec;
	uint8_t excluded[PORTSET_BYTES];
	bool all;
	bool included;
	struct span mapped;
	unsigned lo;
	unsigned hi;
	char *err;
	size_t errlen;
};

unsigned long portspec_work;

/**
 * span_of() - make a span
 * @p:		first byte
 * @len:	length
 *
 * Return: the span
 */
static struct span span_of(const char *p, size_t len)
{
	struct span sp = { .p = p, .len = len };

	return sp;
}

/**
 * span_is() - compare a span with a literal
 * @sp:		span
 * @lit:	NUL-terminated literal
 *
 * Return: true if they are the same text
 */
static bool span_is(struct span sp, const char *lit)
{
	return sp.len == strlen(lit) && !memcmp(sp.p, lit, sp.len);
}

/**
 * span_cut() - split a span at its first occurrence of a character
 * @sp:		span to split
 * @c:		separator
 * @head:	text before @c, or all of @sp if @c is absent
 * @tail:	text after @c, or empty if @c is absent
 *
 * @head or @tail may alias the storage @sp was passed from: @sp is a copy.
 *
 * Return: true if @c was found
 */
static bool span_cut(struct span sp, char c, struct span *head,
		     struct span *tail)
{
	const char *at = memchr(sp.p, c, sp.len);

	if (!at) {
		*head = sp;
		*tail = span_of(sp.p + sp.len, 0);
		return false;
	}
	*head = span_of(sp.p, (size_t)(at - sp.p));
	*tail = span_of(at + 1, sp.len - (size_t)(at - sp.p) - 1);
	return true;
}

/**
 * span_digits() - tell whether a span is a non-empty run of decimal digits
 * @sp:		span
 *
 * isdigit() is not used: it depends on the locale.
 *
 * Return: true if every byte is '0'..'9' and there is at least one
 */
static bool span_digits(struct span sp)
{
	size_t i;

	for (i = 0; i < sp.len; i++) {
		if (sp.p[i] < '0' || sp.p[i] > '9')
			return false;
	}
	return sp.len > 0;
}

/**
 * quote() - excerpt a span for an error message
 * @q:		storage for the excerpt
 * @sp:		text to quote
 *
 * What a terminal would act on is replaced by text_safe() (a UTF-8
 * sequence cut at QUOTE_MAX included), and '"' too, so that the message
 * stays one unambiguous line in a terminal or a log.
 *
 * Return: @q->s
 */
static const char *quote(struct quote *q, struct span sp)
{
	size_t i, n = sp.len < QUOTE_MAX ? sp.len : QUOTE_MAX;

	n = text_safe(q->s, sp.p, n, 0, NULL);
	for (i = 0; i < n; i++)
		if (q->s[i] == '"')
			q->s[i] = TEXT_BAD_CHAR;
	q->s[n] = '\0';
	if (sp.len > QUOTE_MAX)
		memcpy(q->s + n, QUOTE_ELLIPSIS, sizeof(QUOTE_ELLIPSIS));
	return q->s;
}

/**
 * fail() - record the one error message of a parse
 * @st:		parser state
 * @fmt:	printf() format
 * @...:	arguments
 *
 * Every error path returns at once, so the first message is the only one.
 *
 * Return: -1, for "return fail(...)"
 */
__attribute__((format(printf, 2, 3)))
static int fail(struct parse *st, const char *fmt, ...)
{
	va_list ap;

	if (!st->err || !st->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(st->err, st->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/**
 * port_value() - convert a run of digits to a port, without messages
 * @sp:		span of digits
 * @port:	set on success
 *
 * The digit count is bounded first, so the value cannot overflow however
 * long the span is.
 *
 * Return: 0, or -1 if @sp is not 1..PORT_DIGITS_MAX digits for 1..65535
 */
static int port_value(struct span sp, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (!span_digits(sp) || sp.len > PORT_DIGITS_MAX)
		return -1;
	for (i = 0; i < sp.len; i++)
		v = v * DECIMAL_BASE + (unsigned long)(sp.p[i] - '0');
	if (v < PORT_FIRST || v > PORT_LAST)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/**
 * port_parse() - read one port of a spec
 * @st:		parser state, for the message
 * @sp:		span of digits, as checked by range_parse()
 * @port:	set on success
 *
 * Return: 0, or -1 with a message
 */
static int port_parse(struct parse *st, struct span sp, uint16_t *port)
{
	struct quote q;

	if (!port_value(sp, port))
		return 0;
	if (sp.len > PORT_DIGITS_MAX)
		return fail(st, "port \"%s\" is too long: expected at most %d digits",
			    quote(&q, sp), PORT_DIGITS_MAX);
	return fail(st, "port \"%s\" out of range: expected %d-%d",
		    quote(&q, sp), PORT_FIRST, PORT_LAST);
}

/**
 * range_syntax_fail() - report a range that is not digits or digits-digits
 * @st:		parser state
 * @sp:		the range text
 * @item:	the list item it came from
 * @role:	what the range stands for
 *
 * Return: -1
 */
static int range_syntax_fail(struct parse *st, struct span sp,
			     struct span item, enum range_role role)
{
	struct quote q1, q2;

	switch (role) {
	case ROLE_EXCLUDE:
		return fail(st, "exclusion \"%s\" is not ~PORT or ~FIRST-LAST",
			    quote(&q1, item));
	case ROLE_TARGET:
		return fail(st, "target \"%s\" in \"%s\" is not a port or range",
			    quote(&q1, sp), quote(&q2, item));
	case ROLE_LISTEN:
	default:
		break;
	}
	/* The whole item: a bad listen part often means a misplaced ':',
	 * and an address in it a Docker habit (-p 127.0.0.1:8080:80) */
	if (memchr(item.p, '.', item.len) || memchr(item.p, '[', item.len))
		return fail(st, "\"%s\" is not a port, range, \"all\", "
			    "\"auto\" or \"~EXCLUSION\": a listen address goes "
			    "before a '/', as in 127.0.0.1/8080:80",
			    quote(&q1, item));
	return fail(st, "\"%s\" is not a port, range, \"all\", \"auto\" or "
		    "\"~EXCLUSION\"", quote(&q1, item));
}

/**
 * range_parse() - read PORT or FIRST-LAST
 * @st:		parser state
 * @sp:		the range text
 * @item:	the list item it came from, for messages
 * @role:	what the range stands for, for messages
 * @r:		set on success
 *
 * Signs, spaces and anything but digits are refused before any conversion,
 * which is why "+80", "0x50" and "80 " fail here rather than half-parse.
 *
 * Return: 0, or -1 with a message
 */
static int range_parse(struct parse *st, struct span sp, struct span item,
		       enum range_role role, struct range *r)
{
	struct span a, b;
	bool dash = span_cut(sp, '-', &a, &b);
	struct quote q;

	if (!span_digits(a) || (dash && !span_digits(b)))
		return range_syntax_fail(st, sp, item, role);
	if (port_parse(st, a, &r->first))
		return -1;
	r->last = r->first;
	if (dash && port_parse(st, b, &r->last))
		return -1;
	if (r->last < r->first)
		return fail(st, "range \"%s\" is empty: expected FIRST-LAST with FIRST <= LAST",
			    quote(&q, sp));
	return 0;
}

/**
 * addr_parse() - read a numeric address, IPv6 optionally in brackets
 * @sp:		address text
 * @af:		set to AF_INET or AF_INET6
 * @a:		set to the address
 *
 * Brackets exist to separate an IPv6 address from what follows, so they are
 * refused around IPv4, where they would only hide a typo.
 *
 * Return: 0, or -1 if @sp is not an address
 */
static int addr_parse(struct span sp, int *af, union inany *a)
{
	bool bracket = sp.len >= 2 && sp.p[0] == '[' && sp.p[sp.len - 1] == ']';
	char text[ADDR_TEXT_MAX];

	if (bracket)
		sp = span_of(sp.p + 1, sp.len - 2);
	if (sp.len >= sizeof(text))
		return -1;
	memcpy(text, sp.p, sp.len);
	text[sp.len] = '\0';
	if (inany_parse(text, af, a))
		return -1;
	return bracket && *af != AF_INET6 ? -1 : 0;
}

/**
 * ifname_parse() - read the IFACE of "%IFACE" into the listen address
 * @st:		parser state
 * @sp:		interface name, without '%'
 *
 * Only a conservative character set is accepted: the name ends up in log
 * lines and in SO_BINDTODEVICE, and no real interface needs more.
 *
 * Return: 0, or -1 with a message
 */
static int ifname_parse(struct parse *st, struct span sp)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-";
	struct quote q;
	size_t i;

	for (i = 0; i < sp.len; i++) {
		if (!sp.p[i] || !strchr(ok, sp.p[i]))
			break;
	}
	if (!sp.len || sp.len >= IF_NAMESIZE || i < sp.len)
		return fail(st, "bad interface name \"%s\": expected 1-%d characters of A-Z a-z 0-9 _ . : -",
			    quote(&q, sp), IF_NAMESIZE - 1);
	memcpy(st->ps->ifname, sp.p, sp.len);
	return 0;
}

/**
 * laddr_looks() - tell whether the text before the first '/' is a LADDR
 * @head:	text before the first '/'
 *
 * A leading '[' counts even if what follows is broken: no list item can
 * start with it, so the user was writing an address.
 *
 * Return: true if @head is to be parsed as a listen address
 */
static bool laddr_looks(struct span head)
{
	union inany a;
	int af;

	if (span_is(head, "*") || memchr(head.p, '%', head.len))
		return true;
	if (head.len && head.p[0] == '[')
		return true;
	return !addr_parse(head, &af, &a);
}

/**
 * laddr_parse() - read "*", "%IFACE", "ADDR" or "ADDR%IFACE"
 * @st:		parser state
 * @head:	text before the first '/'
 *
 * Return: 0, or -1 with a message
 */
static int laddr_parse(struct parse *st, struct span head)
{
	struct portspec *ps = st->ps;
	struct span asp, isp;
	bool has_if;
	struct quote q;

	if (span_is(head, "*")) {
		ps->addr_any_both = true;
		return 0;
	}
	has_if = span_cut(head, '%', &asp, &isp);
	if (has_if && !asp.len) {
		/* An interface alone binds both families, as "*" does */
		ps->addr_any_both = true;
	} else if (addr_parse(asp, &ps->addr_af, &ps->addr)) {
		return fail(st, "bad listen address \"%s\": " LADDR_EXPECTED,
			    quote(&q, asp));
	}
	return has_if ? ifname_parse(st, isp) : 0;
}

/**
 * spec_split() - separate an optional listen address from the port list
 * @st:		parser state
 * @list:	set to the port list
 *
 * Return: 0, or -1 with a message
 */
static int spec_split(struct parse *st, struct span *list)
{
	struct span head, tail;
	struct quote q;

	*list = st->spec;
	if (!span_cut(st->spec, '/', &head, &tail))
		return 0;
	if (!laddr_looks(head)) {
		/* A list reaches '/' only via "N:TADDR/", never without ':' */
		if (!memchr(head.p, ':', head.len))
			return fail(st, "bad listen address \"%s\": " LADDR_EXPECTED,
				    quote(&q, head));
		return 0;
	}
	if (laddr_parse(st, head))
		return -1;
	if (!tail.len)
		return fail(st, "no ports after listen address \"%s\"",
			    quote(&q, head));
	*list = tail;
	return 0;
}

/**
 * include_range() - map listen ports to target ports
 * @st:		parser state
 * @l:		listen ports
 * @t:		target ports, as many as @l
 * @tmpl:	target address fields for every port, port ignored
 *
 * Return: 0, or -1 with a message if a listen port is already taken
 */
static int include_range(struct parse *st, struct range l, struct range t,
			 const struct portspec_target *tmpl)
{
	unsigned p;

	for (p = l.first; p <= l.last; p++) {
		struct portspec_target *m = &st->ps->map[p];

		if (m->port)
			return fail(st, "port %u listed twice", p);
		*m = *tmpl;
		m->port = (uint16_t)(t.first + (p - l.first));
	}
	portspec_work += (unsigned long)l.last - l.first + 1;
	if (!st->lo || l.first < st->lo)
		st->lo = l.first;
	if (l.last > st->hi)
		st->hi = l.last;
	st->included = true;
	return 0;
}

/**
 * target_parse() - read the part of an item after ':'
 * @st:		parser state
 * @tsp:	"[TADDR/]RANGE"
 * @item:	the whole item, for messages
 * @t:		set to the target ports
 * @tmpl:	set to the target address, if any
 *
 * Return: 0, or -1 with a message
 */
static int target_parse(struct parse *st, struct span tsp, struct span item,
			struct range *t, struct portspec_target *tmpl)
{
	struct span asp, psp;
	struct quote q1, q2;
	int af;

	if (!span_cut(tsp, '/', &asp, &psp)) {
		psp = tsp;
	} else {
		if (addr_parse(asp, &af, &tmpl->addr))
			return fail(st, "bad target address \"%s\" in \"%s\": expected IPv4, IPv6 or [IPv6]",
				    quote(&q1, asp), quote(&q2, item));
		/* A socket for a loopback target is bound to ::1 first,
		 * which cannot reach ::ffff:127.0.0.1: every flow failed */
		if (af == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&tmpl->addr.a6))
			return fail(st, "target address \"%s\" in \"%s\" is IPv4-mapped: write the IPv4 address (%u.%u.%u.%u)",
				    quote(&q1, asp), quote(&q2, item),
				    tmpl->addr.b[12], tmpl->addr.b[13],
				    tmpl->addr.b[14], tmpl->addr.b[15]);
		tmpl->has_addr = true;
		tmpl->af = (uint8_t)af;
	}
	return range_parse(st, psp, item, ROLE_TARGET, t);
}

/**
 * item_map() - read "RANGE" or "RANGE:[TADDR/]RANGE"
 * @st:		parser state
 * @item:	list item
 *
 * Return: 0, or -1 with a message
 */
static int item_map(struct parse *st, struct span item)
{
	struct portspec_target tmpl;
	struct span lsp, tsp;
	struct range l, t;
	struct quote q;

	memset(&tmpl, 0, sizeof(tmpl));
	if (!span_cut(item, ':', &lsp, &tsp)) {
		if (range_parse(st, lsp, item, ROLE_LISTEN, &l))
			return -1;
		return include_range(st, l, l, &tmpl);
	}
	if (range_parse(st, lsp, item, ROLE_LISTEN, &l) ||
	    target_parse(st, tsp, item, &t, &tmpl))
		return -1;
	if (l.last - l.first != t.last - t.first)
		return fail(st, "mapped ranges \"%s\" differ in length (%d vs %d ports)",
			    quote(&q, item), l.last - l.first + 1,
			    t.last - t.first + 1);
	if ((tmpl.has_addr || t.first != l.first) && !st->mapped.len)
		st->mapped = item;
	return include_range(st, l, t, &tmpl);
}

/**
 * item_exclude() - read "~RANGE" into the exclusion bitmap
 * @st:		parser state
 * @item:	list item, starting with '~'
 *
 * Return: 0, or -1 with a message
 */
static int item_exclude(struct parse *st, struct span item)
{
	struct range r;
	unsigned p;

	if (range_parse(st, span_of(item.p + 1, item.len - 1), item,
			ROLE_EXCLUDE, &r))
		return -1;
	/* whole bytes at once: a list of "~1-65535" items costs 8 KiB of
	 * bitmap each, not 65535 steps */
	for (p = r.first; p <= r.last && p % CHAR_BIT; p++)
		portset_add(st->excluded, (uint16_t)p);
	if (p + CHAR_BIT - 1 <= r.last) {
		memset(&st->excluded[p / CHAR_BIT], 0xff,
		       (r.last + 1 - p) / CHAR_BIT);
		portspec_work += (r.last + 1 - p) / CHAR_BIT;
		p += (r.last + 1 - p) / CHAR_BIT * CHAR_BIT;
	}
	for (; p <= r.last; p++)
		portset_add(st->excluded, (uint16_t)p);
	return 0;
}

/**
 * item_parse() - read one item of the list
 * @st:		parser state
 * @item:	text between commas
 *
 * Return: 0, or -1 with a message
 */
static int item_parse(struct parse *st, struct span item)
{
	struct quote q;

	if (!item.len)
		return fail(st, "empty item in list \"%s\"",
			    quote(&q, st->spec));
	if (span_is(item, "none"))
		return fail(st, "\"none\" must be the whole spec");
	if (span_is(item, "all")) {
		if (st->all)
			return fail(st, "\"all\" listed twice");
		st->all = true;
		return 0;
	}
	if (span_is(item, "auto")) {
		if (st->ps->auto_)
			return fail(st, "\"auto\" listed twice");
		st->ps->auto_ = true;
		return 0;
	}
	if (item.p[0] == '~')
		return item_exclude(st, item);
	return item_map(st, item);
}

/**
 * list_parse() - read every comma-separated item
 * @st:		parser state
 * @list:	the list, after any listen address
 *
 * Return: 0, or -1 with a message
 */
static int list_parse(struct parse *st, struct span list)
{
	struct span item;
	bool more;

	do {
		more = span_cut(list, ',', &item, &list);
		if (item_parse(st, item))
			return -1;
	} while (more);
	return 0;
}

/**
 * port_excluded() - tell whether a listen port was excluded
 * @st:		parser state
 * @p:		port
 *
 * Return: true if some "~" item covered @p
 */
static bool port_excluded(const struct parse *st, unsigned p)
{
	return portset_has(st->excluded, (uint16_t)p);
}

/**
 * port_ephemeral() - tell whether a port is in the ephemeral range
 * @env:	ephemeral range
 * @p:		port
 *
 * The implicit "all" skips these: outgoing connections need them, and a
 * listener there would collide with the kernel's own choices.
 *
 * Return: true if @p is between the first and last ephemeral port
 */
static bool port_ephemeral(const struct portspec_env *env, unsigned p)
{
	return p >= env->ephemeral_first && p <= env->ephemeral_last;
}

/**
 * auto_check() - refuse what cannot go with "auto"
 * @st:		parser state, after the whole list was read
 *
 * Return: 0, or -1 with a message
 */
static int auto_check(struct parse *st)
{
	struct quote q;

	if (!st->ps->auto_)
		return 0;
	if (st->all)
		return fail(st, "\"all\" and \"auto\" together: expected one "
			    "of them");
	if (st->mapped.len)
		return fail(st, "\"%s\" maps a port beside \"auto\": auto "
			    "forwards a port to the same port",
			    quote(&q, st->mapped));
	return 0;
}

/**
 * port_fills() - tell whether the final sweep adds a port not listed
 * @st:		parser state
 * @p:		port, not excluded and not listed
 *
 * Return: true for "all" and lists of only exclusions (ephemeral ports
 * left out), and for "auto" without listed ports (every port from the
 * unprivileged start on)
 */
static bool port_fills(const struct parse *st, unsigned p)
{
	/* A port below the unprivileged start is one only a privileged
	 * agent could bind: auto takes it only where the spec names it */
	if (st->ps->auto_)
		return !st->included && p >= st->env->unpriv_first;
	return (st->all || !st->included) && !port_ephemeral(st->env, p);
}

/**
 * spec_finish() - apply exclusions and the implicit "all", count ports
 * @st:		parser state, after the whole list was read
 *
 * Return: 0, or -1 with a message if no port is left
 */
static int spec_finish(struct parse *st)
{
	struct portspec *ps = st->ps;
	bool fills = ps->auto_ ? !st->included : st->all || !st->included;
	unsigned p, first = PORT_FIRST, last = PORT_LAST;
	struct quote q;

	if (auto_check(st))
		return -1;
	/* Nothing fills: ports outside what the list named stay zero */
	if (!fills) {
		first = st->lo;
		last = st->hi;
	}
	for (p = first; p && p <= last; p++) {
		struct portspec_target *m = &ps->map[p];

		if (port_excluded(st, p))
			memset(m, 0, sizeof(*m));
		else if (!m->port && port_fills(st, p))
			m->port = (uint16_t)p;
		if (!m->port)
			continue;
		ps->nports++;
		ps->lo = ps->lo ? ps->lo : (uint16_t)p;
		ps->hi = (uint16_t)p;
	}
	portspec_work += first ? last - first + 1 : 0;
	ps->best_effort = st->all || !st->included || ps->auto_;
	if (ps->auto_ && !st->included) {
		ps->auto_first = st->env->unpriv_first > PORT_FIRST ?
				 st->env->unpriv_first : PORT_FIRST;
		ps->eph_first = st->env->ephemeral_first;
		ps->eph_last = st->env->ephemeral_last;
	}
	if (!ps->nports)
		return fail(st, "spec \"%s\" forwards no port",
			    quote(&q, st->spec));
	return 0;
}

/**
 * spec_parse() - read a whole spec into the zeroed struct
 * @st:		parser state
 *
 * Return: 0, or -1 with a message
 */
static int spec_parse(struct parse *st)
{
	struct span list;

	if (!st->spec.len)
		return fail(st, "empty spec");
	if (span_is(st->spec, "none")) {
		st->ps->none = true;
		return 0;
	}
	if (spec_split(st, &list) || list_parse(st, list))
		return -1;
	return spec_finish(st);
}

/**
 * portspec_parse() - parse one -t/-T SPEC
 * @spec:	the option's value
 * @env:	ephemeral range; NULL means Linux's default
 * @ps:		output, fully overwritten
 * @err:	on failure, one line naming the offending text; may be NULL
 * @errlen:	size of @err, PORTSPEC_ERR_MAX is enough
 *
 * Return: 0 on success, -1 with @ps all zeroes on failure
 */
int portspec_parse(const char *spec, const struct portspec_env *env,
		   struct portspec *ps, char *err, size_t errlen)
{
	static const struct portspec_env env_default = {
		.ephemeral_first = EPHEMERAL_FIRST_DEFAULT,
		.ephemeral_last = EPHEMERAL_LAST_DEFAULT,
		.unpriv_first = UNPRIV_FIRST_DEFAULT,
	};
	struct parse st;

	memset(ps, 0, sizeof(*ps));
	memset(&st, 0, sizeof(st));
	st.ps = ps;
	st.env = env ? env : &env_default;
	st.spec = span_of(spec ? spec : "", spec ? strlen(spec) : 0);
	st.err = err;
	st.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	if (!spec_parse(&st))
		return 0;
	memset(ps, 0, sizeof(*ps));
	return -1;
}

/**
 * range_text_read() - read a small /proc/sys file into a buffer
 * @path:	the file
 * @buf:	output, not NUL-terminated
 * @size:	size of @buf
 *
 * A file that fills @buf is refused: it is longer than any range can be,
 * and parsing its head alone could accept a value that was cut short.
 *
 * Return: bytes read, or -1 on error or if the file is too long
 */
static ssize_t range_text_read(const char *path, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	while (n < size) {
		r = read(fd, buf + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	return r < 0 || n >= size ? -1 : (ssize_t)n;
}

/**
 * span_take_digits() - take the leading digits off a span
 * @sp:		span, advanced past the digits
 *
 * Return: the digits, possibly empty
 */
static struct span span_take_digits(struct span *sp)
{
	size_t n = 0;

	while (n < sp->len && sp->p[n] >= '0' && sp->p[n] <= '9')
		n++;
	*sp = span_of(sp->p + n, sp->len - n);
	return span_of(sp->p - n, n);
}

/**
 * range_text_parse() - parse "FIRST<blanks>LAST[\n]" and nothing else
 * @sp:		file content
 * @env:	set on success
 *
 * Return: 0, or -1 if the text is anything else or the range is empty
 */
static int range_text_parse(struct span sp, struct portspec_env *env)
{
	struct span first, last;
	size_t blanks = 0;

	first = span_take_digits(&sp);
	while (blanks < sp.len &&
	       (sp.p[blanks] == ' ' || sp.p[blanks] == '\t'))
		blanks++;
	sp = span_of(sp.p + blanks, sp.len - blanks);
	last = span_take_digits(&sp);
	if (!blanks || (sp.len && !span_is(sp, "\n")))
		return -1;
	if (port_value(first, &env->ephemeral_first) ||
	    port_value(last, &env->ephemeral_last))
		return -1;
	return env->ephemeral_first <= env->ephemeral_last ? 0 : -1;
}

/**
 * unpriv_text_parse() - parse "N[\n]", N in 0..65535, and nothing else
 * @sp:		file content
 *
 * Return: N, or UNPRIV_FIRST_DEFAULT for anything else
 */
static uint16_t unpriv_text_parse(struct span sp)
{
	struct span digits = span_take_digits(&sp);
	unsigned long v = 0;
	size_t i;

	if (!digits.len || digits.len > PORT_DIGITS_MAX ||
	    (sp.len && !span_is(sp, "\n")))
		return UNPRIV_FIRST_DEFAULT;
	for (i = 0; i < digits.len; i++)
		v = v * DECIMAL_BASE + (unsigned long)(digits.p[i] - '0');
	return v > PORT_LAST ? UNPRIV_FIRST_DEFAULT : (uint16_t)v;
}

/**
 * portspec_env_read() - learn the port ranges of this namespace
 * @env:	set to the kernel's ephemeral range, or to Linux's default on
 *		failure, and to its first unprivileged port (Linux's default,
 *		1024, on failure)
 *
 * Return: 0 if the kernel's ephemeral range was read, -1 if the default
 * is used
 */
int portspec_env_read(struct portspec_env *env)
{
	char buf[PORT_RANGE_READ_MAX];
	ssize_t n;

	n = range_text_read(UNPRIV_PATH, buf, sizeof(buf));
	env->unpriv_first = n >= 0 ? unpriv_text_parse(span_of(buf, (size_t)n))
				   : UNPRIV_FIRST_DEFAULT;
	n = range_text_read(PORT_RANGE_PATH, buf, sizeof(buf));
	if (n >= 0 && !range_text_parse(span_of(buf, (size_t)n), env))
		return 0;
	env->ephemeral_first = EPHEMERAL_FIRST_DEFAULT;
	env->ephemeral_last = EPHEMERAL_LAST_DEFAULT;
	return -1;
}
