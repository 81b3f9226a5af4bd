// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_text.c - unit tests of text_safe(), the one terminal-safe cleaner
 *
 * DOC: Theory of Operation
 *
 * text_safe() (ipc/text.c) stands between every piece of text nsplice did
 * not write itself and the user's terminal: children's log lines, config
 * values in errors, control requests and answers.  These cases pin down
 * its contract (ipc/text.h): valid printable UTF-8 passes unchanged; C0
 * controls, DEL, C1 controls in both their raw (0x80..0x9F) and UTF-8
 * (C2 80..C2 9F) forms, and invalid UTF-8 become '?'; a sequence cut by
 * the end of the text is either replaced or, on request, held back for
 * the next piece of a stream.  A pseudo-random sweep checks that the
 * output is always a fixed point (cleaning it again changes nothing) and
 * holds no control byte.  Last, the two users in ipc/log.c that cannot be
 * driven from outside cheaply are checked here: errfmt() and the plain
 * log sink with a sequence cut between two reads of the log pipe.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/log.h"
#include "ipc/text.h"
#include "unit.h"

/* SWEEP_ROUNDS, SWEEP_LEN - random texts checked, and their length */
#define SWEEP_ROUNDS	20000
#define SWEEP_LEN	64

/* OUT_MAX - largest cleaned text a case compares, bytes */
#define OUT_MAX		256

/**
 * struct text_case - one input and what text_safe() must make of it
 * @in:		input
 * @inlen:	its length (inputs may hold NUL)
 * @keep:	TEXT_KEEP_* flags
 * @out:	expected output, terminated
 * @what:	name of the case
 */
struct text_case {
	const char *in;
	size_t inlen;
	unsigned keep;
	const char *out;
	const char *what;
};

#define CASE(i, k, o, w)	{ i, sizeof(i) - 1, k, o, w }

static const struct text_case cases[] = {
	CASE("plain ASCII ~", 0, "plain ASCII ~", "printable ASCII"),
	CASE("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80", 0,
	     "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80", "valid UTF-8 kept"),
	CASE("\xc2\xa0\xc2\xbf\xdf\xbf", 0, "\xc2\xa0\xc2\xbf\xdf\xbf",
	     "U+00A0 and above kept"),
	CASE("a\x1b[31mb", 0, "a?[31mb", "ESC"),
	CASE("a\x00" "b\x07\x7f", 0, "a?b??", "NUL, BEL, DEL"),
	CASE("\n\t\r", 0, "???", "newline and tab replaced"),
	CASE("\n\t\r", TEXT_KEEP_NL | TEXT_KEEP_TAB, "\n\t?", "kept"),
	CASE("x\xc2\x9b" "31m", 0, "x?31m", "UTF-8 CSI, one '?'"),
	CASE("\xc2\x9d" "0;t\xc2\x9c", 0, "?0;t?", "UTF-8 OSC and ST"),
	CASE("\xc2\x80\xc2\x9f", 0, "??", "UTF-8 C1 bounds"),
	CASE("x\x9b" "31m\x9d\x80\x9f", 0, "x?31m???", "raw C1 bytes"),
	CASE("\xff\xfe\xc0\xaf\xc1\xbf", 0, "??????", "never valid bytes"),
	CASE("\xe0\x80\xaf", 0, "???", "overlong 3 bytes"),
	CASE("\xf0\x80\x80\xaf", 0, "????", "overlong 4 bytes"),
	CASE("\xed\xa0\x80", 0, "???", "surrogate"),
	CASE("\xf4\x90\x80\x80", 0, "????", "above U+10FFFF"),
	CASE("\xc3(", 0, "?(", "lead without continuation"),
	CASE("\xe2\x86(", 0, "?" "?(", "3-byte lead cut mid-text"),
	CASE("ab\xe2\x86", 0, "ab??", "sequence cut at the end"),
	CASE("ab\xc2", 0, "ab?", "C2 alone at the end"),
	CASE("ab\xf0\x9f\x98", 0, "ab???", "4-byte cut at the end"),
};

/**
 * check_case() - one row of cases[], into a copy and in place
 * @c:		the case
 */
static void check_case(const struct text_case *c)
{
	char out[OUT_MAX], inplace[OUT_MAX];
	size_t n, m;

	n = text_safe(out, c->in, c->inlen, c->keep, NULL);
	report(n == strlen(c->out) && !memcmp(out, c->out, n), "text_safe",
	       "%s: got %zu bytes \"%.*s\"", c->what, n, (int)n, out);
	memcpy(inplace, c->in, c->inlen);
	m = text_safe(inplace, inplace, c->inlen, c->keep, NULL);
	report(m == n && !memcmp(inplace, out, n), "text_safe",
	       "%s: in place differs", c->what);
}

/**
 * check_held() - a stream cut inside a sequence keeps it for later
 */
static void check_held(void)
{
	char out[OUT_MAX];
	size_t n, held;

	n = text_safe(out, "ab\xe2\x86", 4, 0, &held);
	report(n == 2 && held == 2, "held", "cut arrow: %zu out, %zu held",
	       n, held);
	n = text_safe(out, "\xe2\x86\x92" "c", 4, 0, &held);
	report(n == 4 && !held && !memcmp(out, "\xe2\x86\x92" "c", 4),
	       "held", "completed arrow: %zu out, %zu held", n, held);
	n = text_safe(out, "x\xc2", 2, 0, &held);
	report(n == 1 && held == 1, "held", "cut C2: %zu out, %zu held", n,
	       held);
	n = text_safe(out, "\xc2\x9b", 2, 0, &held);
	report(n == 1 && out[0] == '?' && !held, "held",
	       "C1 completed after a cut must still be replaced");
	n = text_safe(out, "x\x9b", 2, 0, &held);
	report(n == 2 && !held && out[1] == '?', "held",
	       "raw 0x9b at the end is never held");
	n = text_safe(out, "x\xe2\x28", 3, 0, &held);
	report(n == 3 && !held, "held", "a cut that is already invalid");
}

/**
 * safe_byte_run() - is cleaned text free of everything text.h removes
 * @s:		cleaned text
 * @n:		its length
 *
 * Return: true if no C0 but newline, no DEL and no C2 80..C2 9F is left
 */
static bool safe_byte_run(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((s[i] < 0x20 && s[i] != '\n') || s[i] == 0x7f)
			return false;
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] < 0xa0)
			return false;
	}
	return true;
}

/**
 * check_sweep() - random bytes: output safe, and a fixed point
 *
 * Bytes are drawn mostly from the interesting ranges (C0, C1, leads,
 * continuations) so that valid and broken sequences both occur often.
 */
static void check_sweep(void)
{
	static const unsigned char pick[] = { 0x1b, '\n', 'a', 0x7f, 0x80,
					      0x9b, 0xa9, 0xbf, 0xc2, 0xc3,
					      0xe2, 0x86, 0x92, 0xed, 0xf0,
					      0x9f, 0xf4, 0xff };
	unsigned char in[SWEEP_LEN], once[SWEEP_LEN], twice[SWEEP_LEN];
	uint32_t seed = 12345;
	unsigned r, bad = 0;
	size_t i, n, m;

	for (r = 0; r < SWEEP_ROUNDS; r++) {
		for (i = 0; i < SWEEP_LEN; i++) {
			seed = seed * 1103515245U + 12345U;
			in[i] = pick[(seed >> 16) % sizeof(pick)];
		}
		n = text_safe((char *)once, (char *)in, SWEEP_LEN,
			      TEXT_KEEP_NL, NULL);
		m = text_safe((char *)twice, (char *)once, n, TEXT_KEEP_NL,
			      NULL);
		if (m != n || memcmp(once, twice, n) ||
		    !safe_byte_run(once, n))
			bad++;
	}
	report(!bad, "sweep", "%u of %u random texts not safe or not a "
	       "fixed point", bad, SWEEP_ROUNDS);
}

/**
 * check_errfmt() - every error message is made terminal-safe
 */
static void check_errfmt(void)
{
	char err[OUT_MAX];

	errfmt(err, sizeof(err), "--netns \"%s\": bad",
	       "a\x1b]0;x\x07\xc2\x9b" "b\x9d\n");
	report(!strcmp(err, "--netns \"a?]0;x??b??\": bad"), "errfmt",
	       "got \"%s\"", err);
}

/**
 * sink_capture() - run the plain log sink with stderr on a pipe
 * @a:		first read of the log pipe
 * @b:		second read
 * @out:	what reached stderr, terminated
 * @len:	size of @out
 */
static void sink_capture(const char *a, const char *b, char *out, size_t len)
{
	int p[2], saved;
	ssize_t n;

	if (pipe(p) || (saved = dup(STDERR_FILENO)) < 0 ||
	    dup2(p[1], STDERR_FILENO) < 0)
		die("pipe for stderr");
	log_set_mode(LOG_MODE_PLAIN);
	log_sink_child(a, strlen(a));
	log_sink_child(b, strlen(b));
	log_sink_flush();
	if (dup2(saved, STDERR_FILENO) < 0)
		die("restoring stderr");
	close(saved);
	close(p[1]);
	n = read(p[0], out, len - 1);
	close(p[0]);
	out[n > 0 ? n : 0] = '\0';
}

/**
 * check_sink() - a sequence cut between two reads of the log pipe
 */
static void check_sink(void)
{
	char out[OUT_MAX];

	sink_capture("[relay] \xe2\x86", "\x92 ok\n", out, sizeof(out));
	report(!strcmp(out, "[relay] \xe2\x86\x92 ok\n"), "sink",
	       "cut arrow: got \"%s\"", out);
	sink_capture("[relay] x\xc2", "\x9b" "2J\x1b[H\n", out, sizeof(out));
	report(!strcmp(out, "[relay] x?2J?[H\n"), "sink",
	       "cut CSI: got \"%s\"", out);
	sink_capture("[relay] end\n\xe2", "", out, sizeof(out));
	report(!strcmp(out, "[relay] end\n?\n"), "sink",
	       "cut at exit: got \"%s\"", out);
}

/**
 * main() - run every case
 *
 * Return: 0 if all passed
 */
int main(void)
{
	size_t i;
	int fds;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
	check_held();
	check_sweep();
	check_errfmt();
	fds = fd_count();
	check_sink();
	report(fd_count() == fds, "sink", "descriptors leaked");
	return unit_summary(NULL);
}
