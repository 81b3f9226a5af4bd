// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * portspec_format.c - print a parsed port spec back in pasta's syntax
 *
 * DOC: Theory of Operation
 *
 * The tests' half of the port spec parser (supervisor/config/portspec.c):
 * test_portspec and fuzz_portspec check that every spec the parser takes
 * prints as text that parses back to the same struct.  nsplice itself
 * never prints a parsed spec, so this is not in its binary.
 *
 * portspec_format() walks the map once and merges runs of ports that move by
 * the same offset to the same target address.  The text parses back to the
 * same struct except for one field: a best-effort spec ("all", "~N") prints
 * as its expansion, and an explicit list is not best effort, so best_effort
 * does not survive a round trip.  An auto spec prints as it was written:
 * "auto" followed by its listed ports, or by its exclusions from the first
 * port a bare "auto" takes (the unprivileged start, @auto_first), so
 * "auto,~22" stays that and not 65534 ports in two ranges, and "auto,1-99"
 * never turns into exclusions that a bare "auto" would read differently.
 *
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ipc/inany.h"
#include "tests/unit/portspec_format.h"

/**
 * struct writer - bounded output for portspec_format()
 * @buf:	output, always NUL-terminated
 * @len:	size of @buf, at least one
 * @pos:	length written so far
 * @full:	something did not fit; nothing more is written
 */
struct writer {
	char *buf;
	size_t len;
	size_t pos;
	bool full;
};

/**
 * put() - append formatted text, or mark the writer full
 * @w:		writer
 * @fmt:	printf() format
 * @...:	arguments
 *
 * After the first piece that does not fit nothing more is written, so the
 * buffer holds a clean prefix of the text rather than a spliced one.
 */
__attribute__((format(printf, 2, 3)))
static void put(struct writer *w, const char *fmt, ...)
{
	size_t room = w->len - w->pos;
	va_list ap;
	int n;

	if (w->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->pos, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		w->buf[w->pos] = '\0';
		w->full = true;
	} else if ((size_t)n >= room) {
		w->pos = w->len - 1;
		w->full = true;
	} else {
		w->pos += (size_t)n;
	}
}

/**
 * put_addr() - append an address, IPv6 in brackets
 * @w:		writer
 * @af:		AF_INET or AF_INET6
 * @a:		address
 *
 * Brackets keep an IPv6 address from being read back as part of a port
 * mapping, or a listen address from swallowing the list.
 */
static void put_addr(struct writer *w, int af, const union inany *a)
{
	char text[INANY_STRLEN];

	inany_ntop(af, a, text, sizeof(text));
	if (af == AF_INET6)
		put(w, "[%s]", text);
	else
		put(w, "%s", text);
}

/**
 * put_laddr() - append the listen address prefix, if there is one
 * @w:		writer
 * @ps:		parsed spec
 */
static void put_laddr(struct writer *w, const struct portspec *ps)
{
	if (ps->addr_af != AF_UNSPEC)
		put_addr(w, ps->addr_af, &ps->addr);
	else if (!ps->addr_any_both)
		return;
	else if (!ps->ifname[0])
		put(w, "*");
	if (ps->ifname[0])
		put(w, "%%%.*s", IF_NAMESIZE - 1, ps->ifname);
	put(w, "/");
}

/**
 * run_continues() - tell whether the next listen port extends a run
 * @a:		target of a listen port
 * @b:		target of the listen port after it
 *
 * Return: true if @b is forwarded to the port after @a's, same address
 */
static bool run_continues(const struct portspec_target *a,
			  const struct portspec_target *b)
{
	if (!b->port || b->port != a->port + 1)
		return false;
	if (a->has_addr != b->has_addr || a->af != b->af)
		return false;
	return inany_equal(a->af, &a->addr, &b->addr);
}

/**
 * run_last() - find the end of the run of ports starting at a port
 * @ps:		parsed spec
 * @first:	forwarded listen port
 *
 * Return: last listen port of the run, >= @first
 */
static unsigned run_last(const struct portspec *ps, unsigned first)
{
	unsigned p = first;

	while (p < PORT_LAST && run_continues(&ps->map[p], &ps->map[p + 1]))
		p++;
	return p;
}

/**
 * put_run() - append one run as "N", "N-M", "N:P" or "N-M:[TADDR/]P-Q"
 * @w:		writer
 * @ps:		parsed spec
 * @first:	first listen port of the run
 * @last:	last listen port of the run
 */
static void put_run(struct writer *w, const struct portspec *ps,
		    unsigned first, unsigned last)
{
	const struct portspec_target *t = &ps->map[first];

	put(w, "%u", first);
	if (last > first)
		put(w, "-%u", last);
	if (!t->has_addr && t->port == first)
		return;
	put(w, ":");
	if (t->has_addr) {
		put_addr(w, t->af, &t->addr);
		put(w, "/");
	}
	put(w, "%u", (unsigned)t->port);
	if (last > first)
		put(w, "-%u", t->port + (last - first));
}

/**
 * port_on() - tell whether a listen port is forwarded
 * @ps:		parsed spec
 * @p:		port, 0 counts as off
 *
 * Return: true if @p has a target
 */
static bool port_on(const struct portspec *ps, unsigned p)
{
	return p >= PORT_FIRST && ps->map[p].port;
}

/**
 * put_auto_gaps() - append ",~N" or ",~N-M" for every run of ports left out
 * @w:		writer
 * @ps:		parsed auto spec without listed ports (@auto_first set)
 */
static void put_auto_gaps(struct writer *w, const struct portspec *ps)
{
	unsigned p, last;

	/* Ports below the first a bare "auto" takes are left out without
	 * an exclusion: they print as nothing and parse back the same */
	for (p = ps->auto_first; p <= PORT_LAST; p = last + 1) {
		last = p;
		if (port_on(ps, p))
			continue;
		while (last < PORT_LAST && !port_on(ps, last + 1))
			last++;
		put(w, ",~%u", p);
		if (last > p)
			put(w, "-%u", last);
	}
}

/**
 * put_runs() - append every run of forwarded ports, comma-separated
 * @w:		writer
 * @ps:		parsed spec
 * @sep:	separator before the first run: "" or ","
 */
static void put_runs(struct writer *w, const struct portspec *ps,
		     const char *sep)
{
	unsigned p, last;

	for (p = PORT_FIRST; p <= PORT_LAST; p = last + 1) {
		last = p;
		if (!ps->map[p].port)
			continue;
		last = run_last(ps, p);
		put(w, "%s", sep);
		put_run(w, ps, p, last);
		sep = ",";
	}
}

/**
 * portspec_format() - print a parsed spec as text that parses back to it
 * @ps:		parsed spec
 * @buf:	output
 * @len:	size of @buf
 *
 * A best-effort spec prints as its expansion, which parses back with
 * best_effort false: that one field does not round-trip.  A struct that
 * forwards nothing prints as "none", the only spelling of that.  An auto
 * spec prints as "auto" and its listed ports or its exclusions, and stays
 * one (best effort included) when parsed with the same environment.
 *
 * Return: 0, or -1 if @len is too small (@buf then holds a truncated,
 * NUL-terminated prefix, if @len is at least one)
 */
int portspec_format(const struct portspec *ps, char *buf, size_t len)
{
	struct writer w = { .buf = buf, .len = len };

	if (!buf || !len)
		return -1;
	buf[0] = '\0';
	if (ps->none || !ps->nports) {
		put(&w, "none");
		return w.full ? -1 : 0;
	}
	put_laddr(&w, ps);
	if (!ps->auto_) {
		put_runs(&w, ps, "");
	} else {
		put(&w, "auto");
		if (ps->auto_first)
			put_auto_gaps(&w, ps);
		else
			put_runs(&w, ps, ",");
	}
	return w.full ? -1 : 0;
}
