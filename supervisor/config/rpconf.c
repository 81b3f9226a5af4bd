// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rpconf.c - read podman's rootlessport configuration and reload requests
 *
 * DOC: Theory of Operation
 *
 * See rpconf.h for the format and what is refused.  The reader is a
 * recursive descent over a bounded buffer (struct jr): every step checks
 * the end before it reads, nesting is bounded by RP_DEPTH_MAX, and the
 * first error stops everything, so a refused configuration leaves only a
 * message.  Values of known keys go straight into struct rp_conf; their
 * checks (ranges, addresses, protocol words) run once the object is
 * complete, in rp_conf_check(), so each message can name the mapping.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ipc/log.h"
#include "supervisor/config/rpconf.h"

/* RP_WORD_MAX - bytes of a short string value (address, protocol list) */
#define RP_WORD_MAX		64

/* PORT_MAX - highest port number */
#define PORT_MAX		65535

/**
 * struct jr - a JSON reader over a bounded buffer
 * @start:	first byte, for positions in messages
 * @p:		next byte
 * @end:	one past the last byte
 * @err:	error buffer
 * @errlen:	its size
 */
struct jr {
	const char *start;
	const char *p;
	const char *end;
	char *err;
	size_t errlen;
};

/**
 * struct rp_raw_map - a mapping as read, checked afterwards
 * @host_ip:	"host_ip"
 * @protocol:	"protocol"
 * @host_port:	"host_port"
 * @cport:	"container_port"
 * @range:	"range"
 * @seen:	bit per key read, to refuse one given twice
 */
struct rp_raw_map {
	char host_ip[RP_WORD_MAX];
	char protocol[RP_WORD_MAX];
	long long host_port;
	long long cport;
	long long range;
	unsigned seen;
};

/**
 * ws() - skip JSON whitespace
 * @j:		reader
 */
static void ws(struct jr *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/**
 * jerr() - report a syntax error at the reader's position
 * @j:		reader
 * @what:	what was expected
 *
 * Return: -1
 */
static int jerr(struct jr *j, const char *what)
{
	return errfmt(j->err, j->errlen, "bad JSON at byte %td: expected %s",
		      j->p - j->start, what);
}

/**
 * take() - consume one expected byte after whitespace
 * @j:		reader
 * @c:		the byte
 *
 * Return: true if it was there
 */
static bool take(struct jr *j, char c)
{
	ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

/**
 * hex4() - read four hex digits of a \u escape
 * @j:		reader, after "\u"
 * @v:		set to the code unit
 *
 * Return: 0 or -1
 */
static int hex4(struct jr *j, unsigned *v)
{
	int i;

	*v = 0;
	if (j->end - j->p < 4)
		return jerr(j, "four hex digits after \\u");
	for (i = 0; i < 4; i++) {
		char c = *j->p++;

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			*v |= (unsigned)((c | 0x20) - 'a' + 10);
		else
			return jerr(j, "a hex digit after \\u");
	}
	return 0;
}

/**
 * unicode() - decode a \u escape (and its low surrogate) into UTF-8
 * @j:		reader, after "\u"
 * @buf:	output, at least 4 bytes
 *
 * Return: bytes written, or -1
 */
static int unicode(struct jr *j, char *buf)
{
	unsigned u, lo;

	if (hex4(j, &u))
		return -1;
	if (u >= 0xdc00 && u <= 0xdfff)
		return jerr(j, "a high surrogate before a low one");
	if (u >= 0xd800 && u <= 0xdbff) {
		if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
			return jerr(j, "a low surrogate after a high one");
		j->p += 2;
		if (hex4(j, &lo))
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return jerr(j, "a low surrogate after a high one");
		u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (!u)
		return jerr(j, "no NUL (\\u0000) in a string");
	if (u < 0x80) {
		buf[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		buf[0] = (char)(0xc0 | (u >> 6));
		buf[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		buf[0] = (char)(0xe0 | (u >> 12));
		buf[1] = (char)(0x80 | ((u >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (u & 0x3f));
		return 3;
	}
	buf[0] = (char)(0xf0 | (u >> 18));
	buf[1] = (char)(0x80 | ((u >> 12) & 0x3f));
	buf[2] = (char)(0x80 | ((u >> 6) & 0x3f));
	buf[3] = (char)(0x80 | (u & 0x3f));
	return 4;
}

/**
 * escape() - decode one escape sequence
 * @j:		reader, after the backslash
 * @buf:	output, at least 4 bytes
 *
 * Return: bytes written, or -1
 */
static int escape(struct jr *j, char *buf)
{
	static const char in[] = "\"\\/bfnrt", out[] = "\"\\/\b\f\n\r\t";
	const char *k;

	if (j->p >= j->end)
		return jerr(j, "an escape after '\\'");
	if (*j->p == 'u') {
		j->p++;
		return unicode(j, buf);
	}
	k = memchr(in, *j->p, sizeof(in) - 1);
	if (!k)
		return jerr(j, "one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
	j->p++;
	buf[0] = out[k - in];
	return 1;
}

/**
 * jstr() - read a string into a bounded buffer
 * @j:		reader
 * @out:	output, NUL-terminated; NULL to skip the value
 * @outlen:	its size
 * @what:	the key, for messages
 *
 * Return: 0 or -1
 */
static int jstr(struct jr *j, char *out, size_t outlen, const char *what)
{
	char tmp[4];
	size_t n = 0;
	int k;

	if (!take(j, '"'))
		return jerr(j, "a string");
	while (j->p < j->end && *j->p != '"') {
		if ((unsigned char)*j->p < 0x20)
			return jerr(j, "no control character in a string");
		if (*j->p == '\\') {
			j->p++;
			if ((k = escape(j, tmp)) < 0)
				return -1;
		} else {
			tmp[0] = *j->p++;
			k = 1;
		}
		if (out && n + (size_t)k >= outlen)
			return errfmt(j->err, j->errlen, "%s: longer than %zu "
				      "bytes", what, outlen - 1);
		if (out)
			memcpy(out + n, tmp, (size_t)k);
		n += (size_t)k;
	}
	if (j->p >= j->end)
		return jerr(j, "'\"' to end the string");
	j->p++;
	if (out)
		out[n] = '\0';
	return 0;
}

/* JNUM_SHOW_MAX - characters of a refused number shown in its message */
#define JNUM_SHOW_MAX		24

/**
 * jnum() - read a number; only integers are taken as values
 * @j:		reader
 * @v:		set to the integer; NULL to skip any number
 * @what:	the key, for messages
 *
 * Return: 0 or -1
 */
static int jnum(struct jr *j, long long *v, const char *what)
{
	const char *s;
	long long x = 0;
	bool neg;

	ws(j);
	s = j->p;
	neg = j->p < j->end && *j->p == '-';
	j->p += neg;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return jerr(j, "a number");
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		if (x < 1000000000LL)
			x = x * 10 + (*j->p - '0');
		j->p++;
	}
	if (j->p < j->end && (*j->p == '.' || (*j->p | 0x20) == 'e')) {
		while (j->p < j->end && strchr("0123456789.eE+-", *j->p))
			j->p++;
		/* the whole number as written, within reason */
		if (v)
			return errfmt(j->err, j->errlen, "%s: %.*s%s: expected "
				      "a whole number", what,
				      (int)(j->p - s > JNUM_SHOW_MAX ?
					    JNUM_SHOW_MAX : j->p - s), s,
				      j->p - s > JNUM_SHOW_MAX ? "..." : "");
	}
	if (v)
		*v = neg ? -x : x;
	return 0;
}

/**
 * word() - consume a literal (true, false, null)
 * @j:		reader
 * @w:		the literal
 *
 * Return: true if it was there
 */
static bool word(struct jr *j, const char *w)
{
	size_t n = strlen(w);

	ws(j);
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n))
		return false;
	j->p += n;
	return true;
}

/**
 * scalar() - skip a string, number or literal
 * @j:		reader, at the value
 *
 * Return: 0 or -1
 */
static int scalar(struct jr *j)
{
	ws(j);
	if (j->p >= j->end)
		return jerr(j, "a value");
	if (*j->p == '"')
		return jstr(j, NULL, 0, "string");
	if (word(j, "true") || word(j, "false") || word(j, "null"))
		return 0;
	return jnum(j, NULL, "number");
}

/**
 * member_key() - skip an object member's key and its ':'
 * @j:		reader
 *
 * Return: 0 or -1
 */
static int member_key(struct jr *j)
{
	if (jstr(j, NULL, 0, "key"))
		return -1;
	return take(j, ':') ? 0 : jerr(j, "':'");
}

/**
 * skip_open() - skip a scalar, or open an array or object
 * @j:		reader, at a value
 * @close:	stack of closing brackets, RP_DEPTH_MAX
 * @top:	its height
 *
 * Return: 1 if a value ended (a scalar, "[]", "{}"), 0 if a container was
 * opened and its first value comes next, -1 on error
 */
static int skip_open(struct jr *j, char *close, int *top)
{
	ws(j);
	if (j->p >= j->end || (*j->p != '[' && *j->p != '{'))
		return scalar(j) ? -1 : 1;
	if (*top == RP_DEPTH_MAX)
		return errfmt(j->err, j->errlen, "JSON nested deeper than %d",
			      RP_DEPTH_MAX);
	close[(*top)++] = *j->p == '[' ? ']' : '}';
	j->p++;
	if (take(j, close[*top - 1])) {
		(*top)--;
		return 1;
	}
	if (close[*top - 1] == '}' && member_key(j))
		return -1;
	return 0;
}

/**
 * skip_close() - after a value: close what ends with it, or go on
 * @j:		reader, after a value
 * @close:	stack of closing brackets
 * @top:	its height
 *
 * Return: 1 when the outermost value ended, 0 if the next value of an
 * open container comes next, -1 on error
 */
static int skip_close(struct jr *j, const char *close, int *top)
{
	while (*top) {
		if (take(j, ',')) {
			if (close[*top - 1] == '}' && member_key(j))
				return -1;
			return 0;
		}
		if (!take(j, close[*top - 1]))
			return jerr(j, close[*top - 1] == ']' ? "',' or ']'" :
				    "',' or '}'");
		(*top)--;
	}
	return 1;
}

/**
 * jskip() - skip any value, arrays and objects included
 * @j:		reader
 *
 * Iterative, with the closing brackets on a stack of RP_DEPTH_MAX: a
 * value nested deeper is refused, and no input can grow the C stack.
 *
 * Return: 0 or -1
 */
static int jskip(struct jr *j)
{
	char close[RP_DEPTH_MAX];
	int top = 0, rc;

	for (;;) {
		rc = skip_open(j, close, &top);
		if (rc < 0)
			return -1;
		if (!rc)
			continue;
		rc = skip_close(j, close, &top);
		if (rc)
			return rc < 0 ? -1 : 0;
	}
}

/**
 * seen_once() - note a key, refusing one given twice
 * @j:		reader
 * @seen:	bit set of keys read
 * @bit:	this key's bit
 * @key:	its name, for the message
 *
 * Return: 0 or -1
 */
static int seen_once(struct jr *j, unsigned *seen, unsigned bit,
		     const char *key)
{
	if (*seen & bit)
		return errfmt(j->err, j->errlen, "\"%s\" given twice", key);
	*seen |= bit;
	return 0;
}

/**
 * map_key() - read the value of one key of a mapping
 * @j:		reader, after the ':'
 * @m:		mapping being read
 * @key:	the key
 *
 * Return: 0 or -1
 */
static int map_key(struct jr *j, struct rp_raw_map *m, const char *key)
{
	static const char *const keys[] = { "host_ip", "protocol",
					    "host_port", "container_port",
					    "range" };
	unsigned i;

	for (i = 0; i < 5 && strcasecmp(key, keys[i]); i++)
		;
	if (i == 5)
		return jskip(j);
	if (seen_once(j, &m->seen, 1U << i, keys[i]))
		return -1;
	if (word(j, "null"))
		return 0;
	switch (i) {
	case 0:
		return jstr(j, m->host_ip, sizeof(m->host_ip), "host_ip");
	case 1:
		return jstr(j, m->protocol, sizeof(m->protocol), "protocol");
	case 2:
		return jnum(j, &m->host_port, "host_port");
	case 3:
		return jnum(j, &m->cport, "container_port");
	default:
		return jnum(j, &m->range, "range");
	}
}

/**
 * protocols() - read a "protocol" value: tcp, udp or a comma list
 * @m:		mapping being checked
 * @text:	the value
 * @n:		its index, for messages
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int protocols(struct rp_mapping *m, const char *text, unsigned n,
		     char *err, size_t errlen)
{
	char buf[RP_WORD_MAX], *w, *rest = buf;

	snprintf(buf, sizeof(buf), "%s", text);
	/* strsep(), not strtok(): "tcp," has an empty second protocol,
	 * which the real helper refuses too */
	while ((w = strsep(&rest, ","))) {
		if (!*w)
			return errfmt(err, errlen, "unknown proto: \"\"");
		if (!strcmp(w, "tcp") || !strcmp(w, "tcp4") ||
		    !strcmp(w, "tcp6"))
			m->tcp = true;
		else if (!strcmp(w, "udp") || !strcmp(w, "udp4") ||
			 !strcmp(w, "udp6"))
			m->udp = true;
		else
			return errfmt(err, errlen, "unsupported port protocol "
				      "%s", w);	/* the real helper's words */
	}
	if (!m->tcp && !m->udp)
		return errfmt(err, errlen, "Mappings[%u]: no protocol: expected"
			      " tcp, udp or both", n);
	return 0;
}

/**
 * port_range() - check a first port and a range length
 * @what:	"host_port" or "container_port"
 * @first:	first port
 * @range:	ports, at least 1
 * @n:		mapping index, for messages
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int port_range(const char *what, long long first, long long range,
		      unsigned n, char *err, size_t errlen)
{
	if (first < 1 || first > PORT_MAX)
		return errfmt(err, errlen, "Mappings[%u]: %s %lld: expected 1 "
			      "to %d", n, what, first, PORT_MAX);
	if (first + range - 1 > PORT_MAX)
		return errfmt(err, errlen, "Mappings[%u]: %s %lld with range "
			      "%lld runs past port %d", n, what, first, range,
			      PORT_MAX);
	return 0;
}

/**
 * map_check() - turn a mapping as read into a checked one
 * @raw:	as read
 * @m:		output
 * @n:		its index, for messages
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int map_check(const struct rp_raw_map *raw, struct rp_mapping *m,
		     unsigned n, char *err, size_t errlen)
{
	long long range = raw->range ? raw->range : 1;

	memset(m, 0, sizeof(*m));
	if (range < 1 || range > PORT_MAX)
		return errfmt(err, errlen, "Mappings[%u]: range %lld: expected "
			      "1 to %d (or 0 or none: one port, as podman "
			      "reads it)", n, raw->range, PORT_MAX);
	if (port_range("host_port", raw->host_port, range, n, err, errlen) ||
	    port_range("container_port", raw->cport, range, n, err, errlen) ||
	    protocols(m, raw->protocol[0] ? raw->protocol : "tcp", n, err,
		      errlen))
		return -1;
	m->host_af = AF_UNSPEC;
	if (raw->host_ip[0] && inany_parse(raw->host_ip, &m->host_af,
					   &m->host_addr))
		return errfmt(err, errlen, "Mappings[%u]: host_ip \"%s\": "
			      "expected an IPv4 or IPv6 address", n,
			      raw->host_ip);
	/* Go listens on a wildcard of either family with one dual-stack
	 * socket: "::" and "0.0.0.0" (podman sends both: -p [::]:P:80)
	 * reach IPv4 and IPv6 clients alike, as an empty host_ip does */
	if (m->host_af != AF_UNSPEC && inany_is_any(m->host_af, &m->host_addr))
		m->host_af = AF_UNSPEC;
	m->host_port = (uint16_t)raw->host_port;
	m->container_port = (uint16_t)raw->cport;
	m->range = (uint16_t)range;
	return 0;
}

/**
 * mapping() - read one element of "Mappings"
 * @j:		reader
 * @c:		configuration being read
 *
 * Return: 0 or -1
 */
static int mapping(struct jr *j, struct rp_conf *c)
{
	struct rp_raw_map raw;
	char key[RP_WORD_MAX];

	memset(&raw, 0, sizeof(raw));
	if (c->nmaps == RP_MAPPINGS_MAX)
		return errfmt(j->err, j->errlen, "more than %d Mappings",
			      RP_MAPPINGS_MAX);
	if (!take(j, '{'))
		return jerr(j, "'{' to start a mapping");
	if (!take(j, '}')) {
		do {
			if (jstr(j, key, sizeof(key), "key") ||
			    (!take(j, ':') && jerr(j, "':'")) ||
			    map_key(j, &raw, key))
				return -1;
		} while (take(j, ','));
		if (!take(j, '}'))
			return jerr(j, "',' or '}' in a mapping");
	}
	if (map_check(&raw, &c->map[c->nmaps], c->nmaps, j->err, j->errlen))
		return -1;
	c->nmaps++;
	return 0;
}

/**
 * mappings() - read the "Mappings" array
 * @j:		reader
 * @c:		configuration being read
 *
 * Return: 0 or -1
 */
static int mappings(struct jr *j, struct rp_conf *c)
{
	if (word(j, "null"))
		return 0;
	if (!take(j, '['))
		return jerr(j, "'[' to start Mappings");
	if (take(j, ']'))
		return 0;
	do {
		if (mapping(j, c))
			return -1;
	} while (take(j, ','));
	return take(j, ']') ? 0 : jerr(j, "',' or ']' after a mapping");
}

/**
 * fd_value() - read ExitFD or ReadyFD
 * @j:		reader
 * @fd:		output
 * @what:	the key
 *
 * Return: 0 or -1
 */
static int fd_value(struct jr *j, int *fd, const char *what)
{
	long long v = -1;

	if (jnum(j, &v, what))
		return -1;
	if (v < 0 || v > 65535)
		return errfmt(j->err, j->errlen, "%s %lld: expected a file "
			      "descriptor number", what, v);
	*fd = (int)v;
	return 0;
}

/**
 * child_ip() - read ChildIP: an address, or empty
 * @j:		reader
 * @c:		configuration being read
 *
 * Return: 0 or -1
 */
static int child_ip(struct jr *j, struct rp_conf *c)
{
	char ip[RP_WORD_MAX];

	if (jstr(j, ip, sizeof(ip), "ChildIP"))
		return -1;
	c->child_af = AF_UNSPEC;
	if (ip[0] && inany_parse(ip, &c->child_af, &c->child_addr))
		return errfmt(j->err, j->errlen, "ChildIP \"%s\": expected an "
			      "IPv4 or IPv6 address", ip);
	if (ip[0] && !inany_loopback_safe(c->child_af, &c->child_addr,
					  INANY_USE_TARGET))
		return errfmt(j->err, j->errlen, "ChildIP \"%s\": not an "
			      "address to connect to", ip);
	return 0;
}

/**
 * top_key() - read the value of one top-level key
 * @j:		reader, after the ':'
 * @c:		configuration being read
 * @seen:	bit set of keys read
 * @key:	the key
 *
 * Return: 0 or -1
 */
static int top_key(struct jr *j, struct rp_conf *c, unsigned *seen,
		   const char *key)
{
	static const char *const keys[] = { "Mappings", "NetNSPath",
		"ExitFD", "ReadyFD", "TmpDir", "ChildIP", "ContainerID",
		"RootlessCNI" };
	unsigned i;

	for (i = 0; i < 8 && strcasecmp(key, keys[i]); i++)
		;
	if (i == 8)
		return jskip(j);
	if (seen_once(j, seen, 1U << i, keys[i]))
		return -1;
	if (i && word(j, "null"))
		return 0;
	switch (i) {
	case 0:
		return mappings(j, c);
	case 1:
		return jstr(j, c->netns_path, sizeof(c->netns_path), keys[i]);
	case 2:
		return fd_value(j, &c->exit_fd, keys[i]);
	case 3:
		return fd_value(j, &c->ready_fd, keys[i]);
	case 4:
		return jstr(j, c->tmp_dir, sizeof(c->tmp_dir), keys[i]);
	case 5:
		return child_ip(j, c);
	case 6:
		return jstr(j, c->container_id, sizeof(c->container_id),
			    keys[i]);
	default:
		if (word(j, "true"))
			c->rootless_cni = true;
		else if (!word(j, "false"))
			return jerr(j, "true or false for RootlessCNI");
		return 0;
	}
}

/**
 * id_ok() - can a ContainerID name a file in TmpDir/rp
 * @id:		the id
 *
 * Return: true for 1..RP_ID_MAX-1 of [0-9A-Za-z_.-], not "." or ".."
 */
static bool id_ok(const char *id)
{
	size_t i;

	if (!strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	for (i = 0; id[i]; i++)
		if (!strchr("0123456789abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-", id[i]))
			return false;
	return i > 0;
}

/**
 * rp_hosts_meet() - can two mappings' host addresses take the same socket
 * @a:		mapping
 * @b:		mapping
 *
 * Return: true if either has none (every address) or both have the same
 * family and one is a wildcard or they are equal
 */
static bool rp_hosts_meet(const struct rp_mapping *a,
			  const struct rp_mapping *b)
{
	return a->host_af == AF_UNSPEC || b->host_af == AF_UNSPEC ||
	       inany_binds_meet(a->host_af, &a->host_addr, b->host_af,
				&b->host_addr);
}

/**
 * rp_ports_meet() - the first host port two mappings both publish
 * @a:		mapping
 * @b:		mapping
 *
 * Return: the port, or 0 if their ranges do not overlap
 */
static unsigned rp_ports_meet(const struct rp_mapping *a,
			      const struct rp_mapping *b)
{
	unsigned first = a->host_port > b->host_port ? a->host_port
						     : b->host_port;
	unsigned end_a = (unsigned)a->host_port + a->range;
	unsigned end_b = (unsigned)b->host_port + b->range;

	return first < (end_a < end_b ? end_a : end_b) ? first : 0;
}

/**
 * rp_overlap() - two mappings that publish one host port twice
 * @c:		configuration
 * @err:	error buffer
 * @errlen:	its size
 *
 * podman accepts `-p 8080:80 -p 127.0.0.1:8080:81`; its own helper binds
 * the mappings in order and reports the later one's failed bind, which
 * is what podman users know: "listen tcp 127.0.0.1:8080: bind: address
 * already in use".  nsplice's own overlap message named -t specs the
 * user never wrote (an engines review).
 *
 * Return: 0, or -1 with @err in the real helper's words
 */
static int rp_overlap(const struct rp_conf *c, char *err, size_t errlen)
{
	unsigned i, k, port;

	for (k = 1; k < c->nmaps; k++) {
		const struct rp_mapping *b = &c->map[k];
		bool v6 = b->host_af == AF_INET6;
		char ip[INANY_STRLEN] = "0.0.0.0";

		for (i = 0; i < k; i++) {
			const struct rp_mapping *a = &c->map[i];
			bool tcp = a->tcp && b->tcp;

			if ((!tcp && !(a->udp && b->udp)) ||
			    !rp_hosts_meet(a, b) || !(port = rp_ports_meet(a, b)))
				continue;
			if (b->host_af != AF_UNSPEC)
				inany_ntop(b->host_af, &b->host_addr, ip,
					   sizeof(ip));
			return errfmt(err, errlen, "listen %s %s%s%s:%u: bind: "
				      "address already in use", tcp ? "tcp"
				      : "udp", v6 ? "[" : "", ip, v6 ? "]" : "",
				      port);
		}
	}
	return 0;
}

/**
 * rp_conf_check() - what the whole configuration must hold
 * @c:		configuration read
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int rp_conf_check(const struct rp_conf *c, char *err, size_t errlen)
{
	if (c->netns_path[0] != '/')
		return errfmt(err, errlen, "NetNSPath \"%s\": expected an "
			      "absolute path", c->netns_path);
	if (c->container_id[0] && !id_ok(c->container_id))
		return errfmt(err, errlen, "ContainerID \"%s\": expected "
			      "letters, digits, '_', '.' and '-'",
			      c->container_id);
	if (c->rootless_cni && (!c->container_id[0] || c->tmp_dir[0] != '/'))
		return errfmt(err, errlen, "RootlessCNI needs a ContainerID and"
			      " an absolute TmpDir");
	if (c->exit_fd >= 0 && c->exit_fd == c->ready_fd)
		return errfmt(err, errlen, "ExitFD and ReadyFD are both %d",
			      c->exit_fd);
	return rp_overlap(c, err, errlen);
}

/**
 * rp_conf_parse() - read a whole rootlessport configuration
 * @text:	the bytes podman wrote, not NUL-terminated
 * @len:	their number
 * @c:		output; on error its contents are unspecified
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
int rp_conf_parse(const char *text, size_t len, struct rp_conf *c,
		  char *err, size_t errlen)
{
	struct jr j = { text, text, text + len, err, errlen };
	char key[RP_WORD_MAX];
	unsigned seen = 0;

	memset(c, 0, sizeof(*c));
	c->exit_fd = c->ready_fd = -1;
	c->child_af = AF_UNSPEC;
	if (!take(&j, '{'))
		return jerr(&j, "'{' to start the configuration");
	if (!take(&j, '}')) {
		do {
			if (jstr(&j, key, sizeof(key), "key") ||
			    (!take(&j, ':') && jerr(&j, "':'")) ||
			    top_key(&j, c, &seen, key))
				return -1;
		} while (take(&j, ','));
		if (!take(&j, '}'))
			return jerr(&j, "',' or '}'");
	}
	ws(&j);
	if (j.p != j.end)
		return jerr(&j, "nothing after the configuration");
	return rp_conf_check(c, err, errlen);
}

/**
 * rp_reload_parse() - read one reload request: a JSON string, an address
 * @msg:	the datagram
 * @len:	its length
 * @af:		set to the address family
 * @addr:	set to the address
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
int rp_reload_parse(const char *msg, size_t len, int *af, union inany *addr,
		    char *err, size_t errlen)
{
	struct jr j = { msg, msg, msg + len, err, errlen };
	char ip[RP_WORD_MAX];

	if (jstr(&j, ip, sizeof(ip), "child IP"))
		return -1;
	ws(&j);
	if (j.p != j.end)
		return jerr(&j, "nothing after the address");
	if (inany_parse(ip, af, addr) ||
	    !inany_loopback_safe(*af, addr, INANY_USE_TARGET))
		return errfmt(err, errlen, "child IP \"%s\": expected an IPv4 "
			      "or IPv6 address to connect to", ip);
	return 0;
}
