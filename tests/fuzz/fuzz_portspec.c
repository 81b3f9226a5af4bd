// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_portspec.c - fuzz target: the -t/-T port specification parser
 *
 * DOC: Theory of Operation
 *
 * The input is the text of one SPEC, exactly as the user would type it
 * after -t; it ends at the first NUL byte, as a command-line argument does.
 * It goes through portspec_parse() with Linux's default ephemeral range
 * (fixed, so a result does not depend on the machine), and then:
 *
 * - a refused spec leaves the struct all zeroes and one message: non-empty,
 *   shorter than PORTSPEC_ERR_MAX, printable ASCII only (the parser quotes
 *   the spec with anything unprintable replaced, so whatever was typed
 *   cannot forge a log line);
 * - an accepted spec gives no message and a consistent struct: nports is
 *   the number of forwarded ports in the map, port 0 is never forwarded,
 *   "none" forwards nothing and anything else forwards something, every
 *   family is AF_INET or AF_INET6, an entry that is off is all zeroes, the
 *   interface name is terminated;
 * - round trip: portspec_format() prints it, the text parses again, and
 *   the two structs are equal byte for byte once best_effort is cleared on
 *   both (the one field documented not to survive: "all" prints as its
 *   expansion);
 * - a short output buffer gets a NUL-terminated prefix of the full text
 *   and -1, never an overrun; its length is taken from the spec's length,
 *   so the fuzzer tries many.
 *
 * struct portspec is about 1.4 MB, so the two structs and the text buffer
 * are allocated once, statically.  The text buffer is big enough for any
 * struct at all (FORMAT_MAX), so a -1 from portspec_format() with it is a
 * bug and not a too-small buffer.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>

#include "ipc/text.h"
#include "supervisor/config/portspec.h"
#include "tests/fuzz/fuzz.h"
#include "tests/unit/portspec_format.h"

/* EPH_FIRST, EPH_LAST - Linux's default ephemeral range, fixed for repeats */
#define EPH_FIRST		32768
#define EPH_LAST		60999

/* SPEC_MAX - longest spec tried; longer inputs are cut here */
#define SPEC_MAX		65536

/*
 * RUN_TEXT_MAX - longest text of one run: ",65535-65535:[<45-byte IPv6>]/
 * 65535-65535" is 73 bytes; rounded up.  FORMAT_MAX: one run per port at
 * most, plus the listen address: enough for every possible struct.
 */
#define RUN_TEXT_MAX		96
#define FORMAT_MAX		(65536U * RUN_TEXT_MAX)

/* SHORT_FMT_MOD - short buffers tried are 1..SHORT_FMT_MOD bytes */
#define SHORT_FMT_MOD		64

static const struct portspec_env env = {
	.ephemeral_first = EPH_FIRST,
	.ephemeral_last = EPH_LAST,
};

static struct portspec ps, ps2;
static char spec[SPEC_MAX + 1];
static char text[FORMAT_MAX];

/**
 * all_zero() - tell whether a buffer is all zero bytes
 * @p:		buffer
 * @len:	its size, at least one
 *
 * Return: true if every byte is zero
 */
static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	return !b[0] && !memcmp(b, b + 1, len - 1);
}

/**
 * check_message() - a refusal's message is one short terminal-safe line
 * @err:	message buffer, PORTSPEC_ERR_MAX bytes
 *
 * It quotes the spec, so it may hold the spec's valid printable UTF-8;
 * cleaning it again (ipc/text.h) must change nothing: no control byte,
 * no C1 control, no broken sequence, no newline.
 */
static void check_message(const char *err)
{
	char safe[PORTSPEC_ERR_MAX];
	size_t len = strnlen(err, PORTSPEC_ERR_MAX);

	FUZZ_CHECK(len > 0, "refused spec without a message");
	FUZZ_CHECK(len < PORTSPEC_ERR_MAX, "message not terminated");
	FUZZ_CHECK(text_safe(safe, err, len, 0, NULL) == len &&
		   !memcmp(safe, err, len),
		   "message has a byte a terminal acts on");
}

/**
 * check_target() - one map entry is consistent
 * @port:	listen port of the entry
 * @t:		the entry
 *
 * Return: 1 if the port is forwarded, 0 if not
 */
static unsigned check_target(unsigned port, const struct portspec_target *t)
{
	if (!t->port) {
		FUZZ_CHECK(all_zero(t, sizeof(*t)),
			   "port that is off has target fields set");
		return 0;
	}
	FUZZ_CHECK(port != 0, "port 0 forwarded");
	if (t->has_addr)
		FUZZ_CHECK(t->af == AF_INET || t->af == AF_INET6,
			   "target address of unknown family");
	else
		FUZZ_CHECK(!t->af && all_zero(&t->addr, sizeof(t->addr)),
			   "target address fields without has_addr");
	return 1;
}

/**
 * check_struct() - an accepted spec gives a consistent struct
 * @p:		parsed spec
 */
static void check_struct(const struct portspec *p)
{
	unsigned port, n = 0;

	for (port = 0; port < sizeof(p->map) / sizeof(p->map[0]); port++)
		n += check_target(port, &p->map[port]);
	FUZZ_CHECK(n == p->nports, "nports differs from the map");
	FUZZ_CHECK(p->none ? !n : n > 0,
		   "\"none\" forwards ports, or a spec forwards none");
	FUZZ_CHECK(p->addr_af == AF_UNSPEC || p->addr_af == AF_INET ||
		   p->addr_af == AF_INET6, "listen address of unknown family");
	FUZZ_CHECK(!p->addr_any_both || p->addr_af == AF_UNSPEC,
		   "both \"*\" and a listen address");
	FUZZ_CHECK(memchr(p->ifname, '\0', sizeof(p->ifname)) != NULL,
		   "interface name not terminated");
}

/**
 * check_short_format() - a short buffer gets a clean prefix and -1
 * @p:		parsed spec
 * @full:	its text, as printed into a buffer big enough
 * @len:	size of the short buffer, at least one
 */
static void check_short_format(const struct portspec *p, const char *full,
			       size_t len)
{
	char buf[SHORT_FMT_MOD + 1];
	size_t full_len = strlen(full);
	int rc;

	memset(buf, 'X', sizeof(buf));
	rc = portspec_format(p, buf, len);
	FUZZ_CHECK(buf[len] == 'X', "format wrote past the buffer");
	FUZZ_CHECK(memchr(buf, '\0', len) != NULL, "short format unterminated");
	if (full_len < len) {
		FUZZ_CHECK(!rc && !strcmp(buf, full),
			   "format differs with a buffer just big enough");
		return;
	}
	FUZZ_CHECK(rc == -1, "format into a short buffer did not fail");
	FUZZ_CHECK(strlen(buf) == len - 1 && !memcmp(buf, full, len - 1),
		   "short format is not a prefix of the full text");
}

/**
 * check_roundtrip() - print an accepted spec, parse the text, compare
 * @len:	length of the spec, to pick a short buffer size
 */
static void check_roundtrip(size_t len)
{
	char err[PORTSPEC_ERR_MAX];

	FUZZ_CHECK(!portspec_format(&ps, text, sizeof(text)),
		   "format failed with a buffer big enough for any struct");
	FUZZ_CHECK(strlen(text) < sizeof(text), "format unterminated");
	check_short_format(&ps, text, 1 + len % SHORT_FMT_MOD);
	if (portspec_parse(text, &env, &ps2, err, sizeof(err))) {
		fprintf(stderr, "formatted text \"%.200s\" refused: %s\n",
			text, err);
		FUZZ_CHECK(0, "formatted text does not parse");
	}
	ps.best_effort = ps2.best_effort = false;
	FUZZ_CHECK(!memcmp(&ps, &ps2, sizeof(ps)),
		   "format then parse gives a different struct");
}

/**
 * LLVMFuzzerTestOneInput() - parse one spec and check every property
 * @data:	spec text, not terminated; cut at the first NUL
 * @size:	bytes in @data
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PORTSPEC_ERR_MAX];
	size_t len = size < SPEC_MAX ? size : SPEC_MAX;
	int rc;

	if (len)
		memcpy(spec, data, len);
	spec[len] = '\0';
	len = strlen(spec);
	memset(err, 'X', sizeof(err));
	rc = portspec_parse(spec, &env, &ps, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "parse returned neither 0 nor -1");
	if (rc) {
		FUZZ_CHECK(all_zero(&ps, sizeof(ps)),
			   "refused spec left the struct filled");
		check_message(err);
		return 0;
	}
	FUZZ_CHECK(!err[0], "accepted spec with a message");
	check_struct(&ps);
	check_roundtrip(len);
	return 0;
}
