// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * text.c - make text from another process safe to show on a terminal
 *
 * DOC: Theory of Operation
 *
 * See text.h for what is removed and why.  One pass, no allocation, no
 * locale (isprint() and mbrtowc() depend on it, and the relay has no
 * locale files): the UTF-8 rules are the table of RFC 3629, section 4,
 * where the second byte of a sequence has a range that depends on the
 * first (that is what excludes overlong forms, surrogates and code points
 * above U+10FFFF) and every later byte is 0x80..0xBF.
 *
 * Syscalls: none.
 */
#include <stdbool.h>
#include <string.h>

#include "ipc/text.h"

/* C1_LEAD, C1_SECOND_END - U+0080..U+009F are C2 80..C2 9F in UTF-8 */
#define C1_LEAD		0xc2
#define C1_SECOND_END	0xa0

/* ASCII_DEL - the one control above the C0 range */
#define ASCII_DEL	0x7f

/**
 * enum seq_state - what a byte at some position starts
 * @SEQ_VALID:	a complete, valid UTF-8 sequence
 * @SEQ_BAD:	nothing valid: the byte is replaced
 * @SEQ_SHORT:	a valid start that the text ends before completing
 */
enum seq_state {
	SEQ_VALID,
	SEQ_BAD,
	SEQ_SHORT,
};

/**
 * seq_lead() - length and second-byte range of a sequence's first byte
 * @c:		first byte, 0x80 or above
 * @lo:		set to the lowest second byte allowed
 * @hi:		set to the highest second byte allowed
 *
 * Return: 2, 3 or 4, or 0 for a byte no sequence starts with
 */
static unsigned seq_lead(unsigned char c, unsigned char *lo,
			 unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			*lo = 0xa0;	/* shorter forms are overlong */
		if (c == 0xed)
			*hi = 0x9f;	/* U+D800.. are surrogates */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			*lo = 0x90;	/* overlong */
		if (c == 0xf4)
			*hi = 0x8f;	/* above U+10FFFF */
		return 4;
	}
	return 0;
}

/**
 * seq_check() - what the bytes at @p start
 * @p:		first byte, 0x80 or above
 * @avail:	bytes from @p to the end of the text, at least one
 * @n:		set to the sequence's length if it is valid
 *
 * Return: enum seq_state
 */
static enum seq_state seq_check(const unsigned char *p, size_t avail,
				unsigned *n)
{
	unsigned char lo, hi;
	unsigned i;

	*n = seq_lead(p[0], &lo, &hi);
	if (!*n)
		return SEQ_BAD;
	for (i = 1; i < *n; i++) {
		if (i == avail)
			return SEQ_SHORT;
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			return SEQ_BAD;
	}
	return SEQ_VALID;
}

/**
 * ascii_safe() - the byte to show for an ASCII byte
 * @c:		byte below 0x80
 * @keep:	TEXT_KEEP_* flags
 *
 * Return: @c, or TEXT_BAD_CHAR for a control the caller does not keep
 */
static char ascii_safe(unsigned char c, unsigned keep)
{
	if (c == '\n' && (keep & TEXT_KEEP_NL))
		return '\n';
	if (c == '\t' && (keep & TEXT_KEEP_TAB))
		return '\t';
	if (c < 0x20 || c == ASCII_DEL)
		return TEXT_BAD_CHAR;
	return (char)c;
}

/**
 * text_safe() - copy text, replacing what a terminal would act on
 * @dst:	output, room for @len bytes; may be @src (never ahead of it)
 * @src:	text, need not be terminated
 * @len:	its length
 * @keep:	TEXT_KEEP_* flags
 * @held:	NULL: a sequence cut by the end of @src is replaced like any
 *		invalid bytes; else set to the number of bytes at the end of
 *		@src left out because they may start a valid sequence (at
 *		most TEXT_SEQ_MAX - 1), 0 if none
 *
 * See text.h.  Nothing is terminated: the caller knows the length.
 *
 * Return: bytes written to @dst, at most @len
 */
size_t text_safe(char *dst, const char *src, size_t len, unsigned keep,
		 size_t *held)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0;
	unsigned n;

	if (held)
		*held = 0;
	while (i < len) {
		enum seq_state st;

		if (s[i] < 0x80) {
			dst[o++] = ascii_safe(s[i++], keep);
			continue;
		}
		st = seq_check(s + i, len - i, &n);
		if (st == SEQ_SHORT && held) {
			*held = len - i;
			break;
		}
		if (st != SEQ_VALID)
			n = 1;
		if (st != SEQ_VALID ||
		    (s[i] == C1_LEAD && s[i + 1] < C1_SECOND_END)) {
			dst[o++] = TEXT_BAD_CHAR;
			i += n;
			continue;
		}
		memmove(dst + o, s + i, n);
		o += n;
		i += n;
	}
	return o;
}

/**
 * text_safe_str() - clean a terminated string in place, one line
 * @s:		string; newlines and tabs become '?' too
 */
void text_safe_str(char *s)
{
	size_t n = text_safe(s, s, strlen(s), 0, NULL);

	s[n] = '\0';
}
