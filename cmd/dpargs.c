// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpargs.c - parse docker-proxy's flags the way Go's flag package does
 *
 * DOC: Theory of Operation
 *
 * See dpargs.h for what is accepted.  The walk over argv is Go's
 * FlagSet.parseOne(): an argument shorter than two bytes or not starting
 * with '-' ends the flags, "--" ends them and is consumed, "---x", "-=x"
 * and "-" followed by nothing after the dashes are bad syntax.  The name
 * runs to the first '=' after its first byte.  Values are checked as
 * they are met (the first bad one is reported), the protocol and the
 * required ports once all flags are read, because Go's docker-proxy
 * checks those only when it builds the proxy.
 *
 * Numbers follow strconv.ParseInt(s, 0, 64) closely enough for a port:
 * an optional sign, then decimal, "0x" hexadecimal or "0" octal; Go's
 * "0o", "0b" and digit separators "_" are refused (no daemon writes
 * them).  The value is bounded as it grows, so any length is safe.
 *
 * argv comes from the daemon, or from whoever runs the binary by that
 * name: it is hostile text, quoted in messages only through errfmt(),
 * which makes it terminal-safe.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "cmd/dpargs.h"
#include "ipc/log.h"

/* DP_NUM_LIMIT - a number is refused as soon as it grows past this */
#define DP_NUM_LIMIT	(DP_PORT_MAX + 1L)

/**
 * enum dp_flag - the flags docker-proxy defines
 * @DP_PROTO:		-proto
 * @DP_HOST_IP:		-host-ip
 * @DP_HOST_PORT:	-host-port
 * @DP_CTR_IP:		-container-ip
 * @DP_CTR_PORT:	-container-port
 * @DP_LISTEN_FD:	-use-listen-fd (boolean)
 * @DP_VERSION:		-v, -version (boolean)
 */
enum dp_flag {
	DP_PROTO,
	DP_HOST_IP,
	DP_HOST_PORT,
	DP_CTR_IP,
	DP_CTR_PORT,
	DP_LISTEN_FD,
	DP_VERSION,
};

/**
 * struct dp_flag_def - one flag's name and kind
 * @name:	name without dashes
 * @id:		enum dp_flag
 * @boolean:	takes no separate value argument
 */
struct dp_flag_def {
	const char *name;
	enum dp_flag id;
	bool boolean;
};

static const struct dp_flag_def dp_flags[] = {
	{ "proto",		DP_PROTO,	false },
	{ "host-ip",		DP_HOST_IP,	false },
	{ "host-port",		DP_HOST_PORT,	false },
	{ "container-ip",	DP_CTR_IP,	false },
	{ "container-port",	DP_CTR_PORT,	false },
	{ "use-listen-fd",	DP_LISTEN_FD,	true },
	{ "v",			DP_VERSION,	true },
	{ "version",		DP_VERSION,	true },
};

/**
 * struct dp_parse - the state of one parse
 * @a:		result being filled
 * @proto:	last -proto value, checked at the end
 * @version:	-v or -version was true
 * @err:	error buffer
 * @errlen:	its size
 */
struct dp_parse {
	struct dp_args *a;
	const char *proto;
	bool version;
	char *err;
	size_t errlen;
};

/**
 * flag_find() - look a flag up by name
 * @name:	name, need not be terminated
 * @len:	its length
 *
 * Return: its definition, or NULL if docker-proxy has no such flag
 */
static const struct dp_flag_def *flag_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(dp_flags) / sizeof(dp_flags[0]); i++)
		if (strlen(dp_flags[i].name) == len &&
		    !memcmp(dp_flags[i].name, name, len))
			return &dp_flags[i];
	return NULL;
}

/**
 * parse_bool() - Go's strconv.ParseBool
 * @v:		text
 * @out:	set on success
 *
 * Return: 0, or -1 if @v is not one of Go's spellings
 */
static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true",
					   "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false",
					  "False" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(v, yes[i]) || !strcmp(v, no[i])) {
			*out = !strcmp(v, yes[i]);
			return 0;
		}
	}
	return -1;
}

/**
 * digit_val() - value of one digit in any base up to 16
 * @c:		character
 *
 * Return: 0..15, or 16 for anything that is not a digit
 */
static unsigned digit_val(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	return 16;
}

/**
 * parse_port() - a port number as Go's ParseInt(s, 0, 64) would read it
 * @v:		text
 * @out:	set on success
 *
 * Return: 0, or -1 if @v is not a whole number in 0..DP_PORT_MAX
 */
static int parse_port(const char *v, int *out)
{
	unsigned base = 10, d;
	bool neg = false;
	long n = 0;

	if (*v == '+' || *v == '-')
		neg = *v++ == '-';
	if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		base = 16;
		v += 2;
	} else if (v[0] == '0' && v[1]) {
		base = 8;
		v++;
	}
	if (!*v)
		return -1;
	for (; *v; v++) {
		d = digit_val(*v);
		if (d >= base)
			return -1;
		n = n * (long)base + (long)d;
		if (n > DP_NUM_LIMIT)
			return -1;
	}
	if (neg && n)
		return -1;
	if (n > DP_PORT_MAX)
		return -1;
	*out = (int)n;
	return 0;
}

/**
 * parse_ip() - an address as Go's net.ParseIP reads it
 * @v:		text
 * @af:		set to AF_INET or AF_INET6
 * @ip:		set to the address
 *
 * Go treats an IPv4-mapped IPv6 address as IPv4 (To4() is not nil), and
 * so picks an IPv4 socket for it: so does nsplice.
 *
 * Return: 0, or -1 if @v is not a numeric address
 */
static int parse_ip(const char *v, int *af, union inany *ip)
{
	struct in_addr a4;

	if (inany_parse(v, af, ip))
		return -1;
	if (*af == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&ip->a6)) {
		memcpy(&a4, &ip->a6.s6_addr[12], sizeof(a4));
		memset(ip, 0, sizeof(*ip));
		ip->a4 = a4;
		*af = AF_INET;
	}
	return 0;
}

/**
 * set_value() - store the value of one flag that takes one
 * @p:		parse state
 * @f:		the flag
 * @v:		its value
 *
 * Return: 0, or -1 with the error set, in Go's wording
 */
static int set_value(struct dp_parse *p, const struct dp_flag_def *f,
		     const char *v)
{
	struct dp_args *a = p->a;
	int ret = 0;

	switch (f->id) {
	case DP_PROTO:
		p->proto = v;
		return 0;
	case DP_HOST_IP:
		if (parse_ip(v, &a->host_af, &a->host_ip))
			return errfmt(p->err, p->errlen, "invalid value \"%s\" "
				      "for flag -%s: invalid IP address: %s", v,
				      f->name, v);
		a->host_ip_given = true;
		return 0;
	case DP_CTR_IP:
		if (parse_ip(v, &a->ctr_af, &a->ctr_ip))
			return errfmt(p->err, p->errlen, "invalid value \"%s\" "
				      "for flag -%s: invalid IP address: %s", v,
				      f->name, v);
		return 0;
	case DP_HOST_PORT:
		ret = parse_port(v, &a->host_port);
		break;
	case DP_CTR_PORT:
		ret = parse_port(v, &a->ctr_port);
		break;
	case DP_LISTEN_FD:
	case DP_VERSION:
		break;
	}
	if (ret)
		return errfmt(p->err, p->errlen, "invalid value \"%s\" for flag "
			      "-%s: expected a port number 0 to %d", v, f->name,
			      DP_PORT_MAX);
	return 0;
}

/**
 * set_bool() - store a boolean flag, given alone or as "-name=v"
 * @p:		parse state
 * @f:		the flag
 * @v:		its value, or NULL for "true"
 *
 * Return: 0, or -1 with the error set, in Go's wording
 */
static int set_bool(struct dp_parse *p, const struct dp_flag_def *f,
		    const char *v)
{
	bool b = true;

	if (v && parse_bool(v, &b))
		return errfmt(p->err, p->errlen, "invalid boolean value \"%s\" "
			      "for -%s: parse error", v, f->name);
	if (f->id == DP_LISTEN_FD)
		p->a->use_listen_fd = b;
	else
		p->version = b;
	return 0;
}

/**
 * parse_one() - Go's FlagSet.parseOne(): read the flag at argv[*i]
 * @p:		parse state
 * @argc:	argument count
 * @argv:	arguments
 * @i:		index of the argument, advanced past what was read
 *
 * Return: 1 if a flag was read, 0 at the end of the flags, -1 on error
 */
static int parse_one(struct dp_parse *p, int argc, char **argv, int *i)
{
	const struct dp_flag_def *f;
	const char *s = argv[*i], *name, *eq;
	size_t len;

	if (strlen(s) < 2 || s[0] != '-')
		return 0;
	name = s + 1;
	if (s[1] == '-') {
		name++;
		if (!s[2]) {
			(*i)++;	/* "--" ends the flags and is consumed */
			return 0;
		}
	}
	if (!*name || *name == '-' || *name == '=')
		return errfmt(p->err, p->errlen, "bad flag syntax: %s", s);
	(*i)++;
	eq = strchr(name + 1, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	f = flag_find(name, len);
	if (!f)
		return errfmt(p->err, p->errlen, "flag provided but not "
			      "defined: -%.*s", (int)len, name);
	if (f->boolean)
		return set_bool(p, f, eq ? eq + 1 : NULL) ? -1 : 1;
	if (!eq && *i >= argc)
		return errfmt(p->err, p->errlen, "flag needs an argument: -%s",
			      f->name);
	return set_value(p, f, eq ? eq + 1 : argv[(*i)++]) ? -1 : 1;
}

/**
 * check_done() - what Go's docker-proxy checks once the flags are read
 * @p:		parse state
 *
 * Return: 0, or -1 with the error set
 */
static int check_done(struct dp_parse *p)
{
	struct dp_args *a = p->a;

	if (!strcmp(p->proto, "udp"))
		a->udp = true;
	else if (strcmp(p->proto, "tcp"))
		return errfmt(p->err, p->errlen, "unsupported protocol %s",
			      p->proto);
	if (a->host_port == DP_PORT_UNSET)
		return errfmt(p->err, p->errlen, "flag -host-port: missing: "
			      "expected a port number 0 to %d", DP_PORT_MAX);
	if (a->ctr_port == DP_PORT_UNSET)
		return errfmt(p->err, p->errlen, "flag -container-port: "
			      "missing: expected a port number 0 to %d",
			      DP_PORT_MAX);
	return 0;
}

/**
 * dp_args_parse() - parse docker-proxy's command line
 * @argc:	argument count
 * @argv:	arguments, argv[0] the program
 * @a:		filled in; meaningful only on a return of 0
 * @err:	error buffer, one line on failure
 * @errlen:	its size
 *
 * Return: 0, DP_ARGS_VERSION if -v or -version asked for the version
 * (nothing else is checked then, as in Go), or -1 with @err set
 */
int dp_args_parse(int argc, char **argv, struct dp_args *a, char *err,
		  size_t errlen)
{
	struct dp_parse p = { a, "tcp", false, err, errlen };
	int i = 1, ret = 1;

	memset(a, 0, sizeof(*a));
	a->host_af = a->ctr_af = AF_INET;
	a->host_port = a->ctr_port = DP_PORT_UNSET;
	if (errlen)
		err[0] = '\0';
	while (i < argc && (ret = parse_one(&p, argc, argv, &i)) > 0)
		;
	if (ret < 0)
		return -1;
	if (p.version)
		return DP_ARGS_VERSION;
	if (i < argc)
		return errfmt(err, errlen, "unexpected argument \"%s\": "
			      "docker-proxy takes flags only", argv[i]);
	return check_done(&p);
}
