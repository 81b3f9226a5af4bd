// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctlfmt.c - the control socket's status report, as text or JSON
 *
 * DOC: Theory of Operation
 *
 * ctl_format() turns a struct ctl_status into the report for people, or
 * into one JSON object for programs: the forwards (listeners) with their
 * counters, then the "auto" rules - listed even while they forward
 * nothing, so that a rule in force is always visible and ctl remove can
 * be given its SPEC as shown - then the processes.  Strings in the report (the target
 * description, process names) come from configuration and from children,
 * so they go through an escaper: text through text_safe() (controls, C1
 * and invalid UTF-8 become '?'), so a namespace path cannot move a
 * terminal's cursor; JSON escapes what it must and keeps valid UTF-8,
 * replacing invalid bytes with U+FFFD, so any JSON parser accepts the
 * output.  The report grows in one buffer, bounded by CTL_ANSWER_MAX.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/inany.h"
#include "ipc/text.h"
#include "supervisor/config/config.h"
#include "supervisor/ctlproto.h"

/* CTL_BUF_MIN - first allocation of a report buffer, bytes */
#define CTL_BUF_MIN		4096

/**
 * struct ctl_buf - a growing output buffer
 * @p:		text, NUL-terminated while @failed is false
 * @len:	bytes in @p without the NUL
 * @cap:	bytes allocated
 * @failed:	an allocation failed or CTL_ANSWER_MAX was reached: the
 *		text is incomplete
 */
struct ctl_buf {
	char *p;
	size_t len;
	size_t cap;
	bool failed;
};

/**
 * buf_reserve() - make room for more bytes
 * @b:		buffer
 * @more:	bytes needed after @b->len, the NUL included
 *
 * Return: 0, or -1 (and @b->failed set) if memory or CTL_ANSWER_MAX runs
 * out
 */
static int buf_reserve(struct ctl_buf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : CTL_BUF_MIN;
	char *p;

	if (b->failed || more > CTL_ANSWER_MAX - b->len)
		goto fail;
	if (b->len + more <= b->cap)
		return 0;
	while (cap < b->len + more)
		cap *= 2;
	if (!(p = realloc(b->p, cap)))
		goto fail;
	b->p = p;
	b->cap = cap;
	return 0;
fail:
	b->failed = true;
	return -1;
}

/**
 * buf_printf() - append formatted text
 * @b:		buffer
 * @fmt:	printf format
 */
static void __attribute__((format(printf, 2, 3)))
buf_printf(struct ctl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/**
 * buf_putc() - append one byte
 * @b:		buffer
 * @c:		byte
 */
static void buf_putc(struct ctl_buf *b, char c)
{
	if (buf_reserve(b, 2))
		return;
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

/**
 * utf8_seq_len() - length of a valid UTF-8 sequence starting a string
 * @s:		NUL-terminated string, @s[0] >= 0x80
 *
 * Overlong forms, surrogates and code points above U+10FFFF are invalid
 * (RFC 3629).  Stops at the first byte out of range, so it never reads
 * past the NUL.
 *
 * Return: 2, 3 or 4, or 0 if the bytes are not valid UTF-8
 */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		lo = c == 0xe0 ? 0xa0 : lo;
		hi = c == 0xed ? 0x9f : hi;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		lo = c == 0xf0 ? 0x90 : lo;
		hi = c == 0xf4 ? 0x8f : hi;
	} else {
		return 0;
	}
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/**
 * json_str() - append a string as a JSON string literal
 * @b:		buffer
 * @s:		string, or NULL for a JSON null
 */
static void json_str(struct ctl_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (!s) {
		buf_printf(b, "null");
		return;
	}
	buf_putc(b, '"');
	while (*p) {
		if (*p == '"' || *p == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)*p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_printf(b, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			buf_putc(b, (char)*p++);
		} else if ((n = utf8_seq_len(p))) {
			while (n--)
				buf_putc(b, (char)*p++);
		} else {
			buf_printf(b, "\\ufffd");
			p++;
		}
	}
	buf_putc(b, '"');
}

/**
 * text_str() - append a string for a terminal
 * @b:		buffer
 * @s:		string, or NULL, shown as "-"
 */
static void text_str(struct ctl_buf *b, const char *s)
{
	size_t len;

	if (!s)
		s = "-";
	len = strlen(s);
	if (buf_reserve(b, len + 1))
		return;
	/* text_safe() never writes more than it reads */
	b->len += text_safe(b->p + b->len, s, len, 0, NULL);
	b->p[b->len] = '\0';
}

/**
 * src_name() - name of a CONFIG_SRC_* value
 * @src:	CONFIG_SRC_*
 *
 * Return: "args", "file", "ctl", "auto" or "unknown"
 */
static const char *src_name(int src)
{
	switch (src) {
	case CONFIG_SRC_ARGS:	return "args";
	case CONFIG_SRC_FILE:	return "file";
	case CONFIG_SRC_CTL:	return "ctl";
	case CONFIG_SRC_AUTO:	return "auto";
	default:		return "unknown";
	}
}

/**
 * side_name() - name of the listening side
 * @side:	enum nsp_side
 *
 * Return: "host", "namespace" or "unknown"
 */
static const char *side_name(unsigned side)
{
	if (side == SIDE_HOST)
		return "host";
	return side == SIDE_TARGET ? "namespace" : "unknown";
}

/**
 * opt_char() - the option letter of a forward, safe to print
 * @opt:	't', 'T', 'u' or 'U'
 *
 * Return: @opt, or '?' for anything else
 */
static char opt_char(char opt)
{
	return (char)(opt == 't' || opt == 'T' || opt == 'u' || opt == 'U' ?
		      opt : '?');
}

/**
 * fwd_ifname() - the interface name of a forward, terminated
 * @m:		forward
 * @buf:	output, IF_NAMESIZE + 1 bytes
 *
 * Return: @buf
 */
static const char *fwd_ifname(const struct msg_forward *m, char *buf)
{
	size_t n = strnlen(m->ifname, IF_NAMESIZE);

	memcpy(buf, m->ifname, n);
	buf[n] = '\0';
	return buf;
}

/**
 * text_addr() - append "ADDR[%IF]", IPv6 in brackets
 * @b:		buffer
 * @af:		AF_INET or AF_INET6
 * @a:		address
 * @ifname:	interface, "" for none
 */
static void text_addr(struct ctl_buf *b, int af, const union inany *a,
		      const char *ifname)
{
	char addr[INANY_STRLEN];
	bool v6 = af == AF_INET6;

	inany_ntop(af, a, addr, sizeof(addr));
	buf_printf(b, "%s%s", v6 ? "[" : "", addr);
	if (*ifname) {
		buf_putc(b, '%');
		text_str(b, ifname);
	}
	if (v6)
		buf_putc(b, ']');
}

/**
 * text_addr_port() - append "ADDR[%IF]:PORT", IPv6 in brackets
 * @b:		buffer
 * @af:		AF_INET or AF_INET6
 * @a:		address
 * @ifname:	interface, "" for none
 * @port:	port
 */
static void text_addr_port(struct ctl_buf *b, int af, const union inany *a,
			   const char *ifname, unsigned port)
{
	text_addr(b, af, a, ifname);
	buf_printf(b, ":%u", port);
}

/* udp_drop_names - enum stats_drop, as status reports name them */
static const char *const udp_drop_names[STATS_DROPS] = {
	"no_socket", "flow_limit", "buffer_full", "refused", "truncated",
	"bad_source",
};

/**
 * text_udp() - append a UDP forward's datagram counters, indented
 * @b:		buffer
 * @f:		forward, FWD_F_UDP
 *
 * For UDP, "accepted" counts flows, "refused" dropped datagrams and
 * "errors" ICMP errors; this line adds datagrams and drops by reason.
 */
static void text_udp(struct ctl_buf *b, const struct ctl_fwd_status *f)
{
	unsigned i;

	buf_printf(b, "      udp  datagrams c->s %" PRIu64 " s->c %" PRIu64
		   "  drops", f->c.dgrams[0], f->c.dgrams[1]);
	for (i = 0; i < STATS_DROPS; i++)
		buf_printf(b, " %s %" PRIu64, udp_drop_names[i], f->c.drops[i]);
	buf_printf(b, "\n");
}

/**
 * json_protocol() - append a forward's protocol, and a UDP one's counters
 * @b:		buffer
 * @f:		forward; a TCP one gets "protocol":"tcp" only
 */
static void json_protocol(struct ctl_buf *b, const struct ctl_fwd_status *f)
{
	unsigned i;

	if (!(f->m.flags & FWD_F_UDP)) {
		buf_printf(b, ",\"protocol\":\"tcp\"");
		return;
	}
	buf_printf(b, ",\"protocol\":\"udp\",\"datagrams_to_server\":%" PRIu64
		   ",\"datagrams_to_client\":%" PRIu64 ",\"drops\":{",
		   f->c.dgrams[0], f->c.dgrams[1]);
	for (i = 0; i < STATS_DROPS; i++)
		buf_printf(b, "%s\"%s\":%" PRIu64, i ? "," : "",
			   udp_drop_names[i], f->c.drops[i]);
	buf_printf(b, "}");
}

/**
 * text_fwd() - append one forward's line of the text report
 * @b:		buffer
 * @f:		forward
 */
static void text_fwd(struct ctl_buf *b, const struct ctl_fwd_status *f)
{
	const struct msg_forward *m = &f->m;
	char ifname[IF_NAMESIZE + 1];

	buf_printf(b, "  -%c ", opt_char(f->opt));
	text_addr_port(b, m->family, &m->listen_addr, fwd_ifname(m, ifname),
		       m->listen_port);
	buf_printf(b, " -> ");
	if (m->flags & FWD_F_TARGET_ADDR)
		text_addr_port(b, m->target_family, &m->target_addr, "",
			       m->target_port);
	else
		buf_printf(b, "%u", m->target_port);
	buf_printf(b, "  side %s  source %s  bound %s  open %" PRIu32
		   "  accepted %" PRIu64 "  refused %" PRIu64 "  errors %"
		   PRIu64 "  bytes c->s %" PRIu64 " s->c %" PRIu64 "%s\n",
		   side_name(m->listen_side), src_name(f->src),
		   f->bound ? "yes" : "no", f->c.open, f->c.accepted, f->c.refused,
		   f->c.errors, f->c.bytes[0], f->c.bytes[1],
		   m->flags & FWD_F_PROXY ? "  proxy-protocol v2" : "");
	if (m->flags & FWD_F_UDP)
		text_udp(b, f);
}

/**
 * udp_flows() - UDP flows open, over every UDP forward of a report
 * @st:		report
 *
 * The header's "flows N of M" is the relay's TCP flow table; UDP flows
 * live in a table of their own, and each UDP forward reports its open
 * ones, which is all the header needs.
 *
 * Return: the sum
 */
static uint64_t udp_flows(const struct ctl_status *st)
{
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < st->nfwd; i++)
		if (st->fwd[i].opt == 'u' || st->fwd[i].opt == 'U')
			n += st->fwd[i].c.open;
	return n;
}

/**
 * buf_ranges() - append a port set as "P,FIRST-LAST,...", "none" if empty
 * @b:		buffer
 * @set:	port set, PORTSET_BYTES
 *
 * The SPEC text says what the user wrote; this is what it came to (a bare
 * "auto" starts at the unprivileged ports, a UDP one leaves the ephemeral
 * range out), the same in text and JSON: digits, '-' and ',' only.
 */
static void buf_ranges(struct ctl_buf *b, const uint8_t *set)
{
	unsigned p = 1, q;
	bool first = true;

	for (; p < PORTSET_PORTS; p = q + 1) {
		q = p;
		if (!portset_has(set, (uint16_t)p))
			continue;
		while (q + 1 < PORTSET_PORTS && portset_has(set, (uint16_t)(q + 1)))
			q++;
		buf_printf(b, "%s%u", first ? "" : ",", p);
		if (q > p)
			buf_printf(b, "-%u", q);
		first = false;
	}
	if (first)
		buf_printf(b, "none");
}

/**
 * auto_proto() - the protocol of an auto rule
 * @r:		rule
 *
 * Return: "udp" or "tcp"
 */
static const char *auto_proto(const struct auto_rule *r)
{
	return r->tmpl[0].m.flags & FWD_F_UDP ? "udp" : "tcp";
}

/**
 * text_auto() - append one auto rule's line of the text report
 * @b:		buffer
 * @a:		rule and its count
 *
 * "-t SPEC" as it was given, which is also how ctl remove names it.
 */
static void text_auto(struct ctl_buf *b, const struct ctl_auto_status *a)
{
	const struct auto_rule *r = a->r;
	char ifname[IF_NAMESIZE + 1];
	unsigned i;

	buf_printf(b, "  -%c ", opt_char(r->opt));
	text_str(b, r->spec);
	buf_printf(b, "  side %s  source %s  listen ",
		   side_name(r->tmpl[0].m.listen_side), src_name(r->src));
	for (i = 0; i < r->ntmpl; i++) {
		const struct msg_forward *m = &r->tmpl[i].m;

		if (i)
			buf_putc(b, ',');
		text_addr(b, m->family, &m->listen_addr, fwd_ifname(m, ifname));
	}
	buf_printf(b, "  allowed ");
	buf_ranges(b, r->allowed);
	buf_printf(b, "  forwarding %u\n", a->ports);
}

/**
 * text_report() - the whole report as text
 * @b:		buffer
 * @st:		report
 */
static void text_report(struct ctl_buf *b, const struct ctl_status *st)
{
	const struct ctl_proc_status *p;
	unsigned i;

	buf_printf(b, "nsplice ");
	text_str(b, st->version);
	buf_printf(b, "  target ");
	text_str(b, st->target);
	buf_printf(b, "\nflows %" PRIu32 " of %" PRIu32 " (TCP)  udp flows %"
		   PRIu64 "  listeners waiting %" PRIu32, st->flows,
		   st->flow_limit, udp_flows(st), st->waiting);
	if (st->stats_age_ms == UINT64_MAX)
		buf_printf(b, "  counters never reported");
	else
		buf_printf(b, "  counters %" PRIu64 " ms old",
			   st->stats_age_ms);
	buf_printf(b, "\nforwards %u\n", st->nfwd);
	for (i = 0; i < st->nfwd; i++)
		text_fwd(b, &st->fwd[i]);
	buf_printf(b, "auto rules %u\n", st->nautos);
	for (i = 0; i < st->nautos; i++)
		text_auto(b, &st->autos[i]);
	buf_printf(b, "processes %u\n", st->nproc);
	for (i = 0; i < st->nproc && i < CTL_PROCS_MAX; i++) {
		p = &st->proc[i];
		buf_printf(b, "  ");
		text_str(b, p->name);
		buf_printf(b, "  pid %ld  ", (long)p->pid);
		text_str(b, p->state);
		buf_printf(b, "  restarts %u\n", p->restarts);
	}
}

/**
 * json_addr() - append an address as a JSON string
 * @b:		buffer
 * @af:		AF_INET or AF_INET6
 * @a:		address
 */
static void json_addr(struct ctl_buf *b, int af, const union inany *a)
{
	char addr[INANY_STRLEN];

	json_str(b, inany_ntop(af, a, addr, sizeof(addr)));
}

/**
 * json_family() - the JSON name of an address family
 * @af:		AF_INET or AF_INET6
 *
 * Return: "ipv4", "ipv6" or "unknown"
 */
static const char *json_family(int af)
{
	return af == AF_INET ? "ipv4" : af == AF_INET6 ? "ipv6" : "unknown";
}

/**
 * json_fwd() - append one forward as a JSON object
 * @b:		buffer
 * @f:		forward
 */
static void json_fwd(struct ctl_buf *b, const struct ctl_fwd_status *f)
{
	const struct msg_forward *m = &f->m;
	char ifname[IF_NAMESIZE + 1];
	char opt[2] = { opt_char(f->opt), '\0' };

	buf_printf(b, "{\"opt\":");
	json_str(b, opt);
	buf_printf(b, ",\"side\":\"%s\",\"family\":\"%s\",\"listen_address\":",
		   side_name(m->listen_side), json_family(m->family));
	json_addr(b, m->family, &m->listen_addr);
	buf_printf(b, ",\"listen_port\":%u,\"interface\":", m->listen_port);
	json_str(b, fwd_ifname(m, ifname));
	buf_printf(b, ",\"target_address\":");
	if (m->flags & FWD_F_TARGET_ADDR)
		json_addr(b, m->target_family, &m->target_addr);
	else
		json_str(b, NULL);
	buf_printf(b, ",\"target_port\":%u,\"source\":\"%s\",\"bound\":%s,"
		   "\"open\":%" PRIu32 ",\"accepted\":%" PRIu64 ",\"refused\":%"
		   PRIu64 ",\"errors\":%" PRIu64 ",\"bytes_to_server\":%" PRIu64
		   ",\"bytes_to_client\":%" PRIu64, m->target_port,
		   src_name(f->src), f->bound ? "true" : "false", f->c.open,
		   f->c.accepted, f->c.refused, f->c.errors, f->c.bytes[0],
		   f->c.bytes[1]);
	json_protocol(b, f);
	buf_printf(b, ",\"proxy_protocol\":%s}",
		   m->flags & FWD_F_PROXY ? "true" : "false");
}

/**
 * json_auto() - append one auto rule as a JSON object
 * @b:		buffer
 * @a:		rule and its count
 */
static void json_auto(struct ctl_buf *b, const struct ctl_auto_status *a)
{
	const struct auto_rule *r = a->r;
	char ifname[IF_NAMESIZE + 1];
	char opt[2] = { opt_char(r->opt), '\0' };
	unsigned i;

	buf_printf(b, "{\"opt\":");
	json_str(b, opt);
	buf_printf(b, ",\"side\":\"%s\",\"protocol\":\"%s\",\"spec\":",
		   side_name(r->tmpl[0].m.listen_side), auto_proto(r));
	json_str(b, r->spec);
	buf_printf(b, ",\"source\":\"%s\",\"listen\":[", src_name(r->src));
	for (i = 0; i < r->ntmpl; i++) {
		const struct msg_forward *m = &r->tmpl[i].m;

		buf_printf(b, "%s{\"family\":\"%s\",\"address\":", i ? "," : "",
			   json_family(m->family));
		json_addr(b, m->family, &m->listen_addr);
		buf_printf(b, ",\"interface\":");
		json_str(b, fwd_ifname(m, ifname));
		buf_putc(b, '}');
	}
	buf_printf(b, "],\"allowed\":\"");
	buf_ranges(b, r->allowed);
	buf_printf(b, "\",\"forwarding\":%u}", a->ports);
}

/**
 * json_proc() - append one process as a JSON object
 * @b:		buffer
 * @p:		process
 */
static void json_proc(struct ctl_buf *b, const struct ctl_proc_status *p)
{
	buf_printf(b, "{\"name\":");
	json_str(b, p->name);
	buf_printf(b, ",\"pid\":%ld,\"state\":", (long)p->pid);
	json_str(b, p->state);
	buf_printf(b, ",\"restarts\":%u}", p->restarts);
}

/**
 * json_report() - the whole report as one JSON object and a newline
 * @b:		buffer
 * @st:		report
 */
static void json_report(struct ctl_buf *b, const struct ctl_status *st)
{
	unsigned i;

	buf_printf(b, "{\"version\":");
	json_str(b, st->version);
	buf_printf(b, ",\"target\":");
	json_str(b, st->target);
	buf_printf(b, ",\"flows\":%" PRIu32 ",\"flow_limit\":%" PRIu32
		   ",\"udp_flows\":%" PRIu64 ",\"waiting\":%" PRIu32
		   ",\"stats_age_ms\":", st->flows, st->flow_limit,
		   udp_flows(st), st->waiting);
	if (st->stats_age_ms == UINT64_MAX)
		buf_printf(b, "null");	/* never reported */
	else
		buf_printf(b, "%" PRIu64, st->stats_age_ms);
	buf_printf(b, ",\"forwards\":[");
	for (i = 0; i < st->nfwd; i++) {
		if (i)
			buf_putc(b, ',');
		json_fwd(b, &st->fwd[i]);
	}
	buf_printf(b, "],\"auto_rules\":[");
	for (i = 0; i < st->nautos; i++) {
		if (i)
			buf_putc(b, ',');
		json_auto(b, &st->autos[i]);
	}
	buf_printf(b, "],\"processes\":[");
	for (i = 0; i < st->nproc && i < CTL_PROCS_MAX; i++) {
		if (i)
			buf_putc(b, ',');
		json_proc(b, &st->proc[i]);
	}
	buf_printf(b, "]}\n");
}

/**
 * ctl_format() - format a status report
 * @st:		report
 * @json:	one JSON object instead of text
 * @out:	set to the report, NUL-terminated, malloc'd: the caller frees
 *		it; NULL on failure
 * @len:	set to its length without the NUL
 *
 * Return: 0, or -1 if memory ran out or the report would be longer than
 * CTL_ANSWER_MAX
 */
int ctl_format(const struct ctl_status *st, bool json, char **out,
	       size_t *len)
{
	struct ctl_buf b = { 0 };

	*out = NULL;
	*len = 0;
	if (buf_reserve(&b, 1))
		return -1;
	b.p[0] = '\0';
	if (json)
		json_report(&b, st);
	else
		text_report(&b, st);
	if (b.failed) {
		free(b.p);
		return -1;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
