/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * text.h - make text from another process safe to show on a terminal
 *
 * DOC: Theory of Operation
 *
 * Log lines, error messages and control answers quote text nsplice does
 * not control: a child's log bytes, a config file's value, a request from
 * the control socket, a port spec typed by a user.  Shown on a terminal,
 * some bytes are commands: C0 controls (ESC starts a sequence), DEL, and
 * the C1 controls U+0080..U+009F, which a terminal acts on both as raw
 * bytes 0x80..0x9F (CSI is 0x9B, OSC 0x9D) and, in UTF-8 mode, as their
 * two-byte encodings C2 80..C2 9F.  text_safe() is the one function every
 * role uses to remove them all:
 *
 * - C0 controls (0x00..0x1F) and DEL (0x7F) become '?', except a newline
 *   and a tab when the caller keeps them (TEXT_KEEP_NL, TEXT_KEEP_TAB);
 * - a C1 control encoded in UTF-8 (C2 80..C2 9F) becomes one '?';
 * - every other byte that does not start a complete, valid UTF-8
 *   sequence (RFC 3629: no overlong forms, no surrogates, nothing above
 *   U+10FFFF) becomes '?', one per byte; raw 0x80..0x9F are among them;
 * - valid UTF-8 of U+00A0 and above ("é", "→") is kept as it is.
 *
 * The output is never longer than the input, so the text may be cleaned
 * in place.  It is valid UTF-8 without any control but the kept ones, and
 * cleaning it again changes nothing.  What is not removed: printable
 * characters that mislead a reader rather than the terminal (bidirectional
 * overrides, look-alike letters); nsplice quotes such text between marks
 * and names where it came from instead.
 *
 * A stream cut into reads may end inside a valid sequence: with @held the
 * caller learns how many trailing bytes were left unprocessed because they
 * may still complete, and passes them again in front of the next read.
 */
#ifndef NSPLICE_TEXT_H
#define NSPLICE_TEXT_H

#include <stddef.h>

/* TEXT_KEEP_* - controls text_safe() leaves alone, flags */
#define TEXT_KEEP_NL	0x1U	/* '\n': the text is a sequence of lines */
#define TEXT_KEEP_TAB	0x2U	/* '\t': only moves the cursor right */

/* TEXT_BAD_CHAR - what a removed byte or sequence is shown as */
#define TEXT_BAD_CHAR	'?'

/* TEXT_SEQ_MAX - longest UTF-8 sequence, bytes */
#define TEXT_SEQ_MAX	4

size_t text_safe(char *dst, const char *src, size_t len, unsigned keep,
		 size_t *held);
void text_safe_str(char *s);

#endif /* NSPLICE_TEXT_H */
