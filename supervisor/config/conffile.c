// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conffile.c - the config file, and configurations made from a running one
 *
 * DOC: Theory of Operation
 *
 * A config file (-c FILE) holds one option a line, "key = value", the keys
 * being the long option names without their dashes; a flag (quiet, debug,
 * trace, syslog) stands alone or takes yes/no/true/false.  '#' starts a
 * comment at the start of a line or after a blank, so a value can still
 * hold a '#' ("/run/a#b").  A value may be quoted whole, "..." or '...':
 * the quotes are removed and what is between is taken as written, blanks
 * and '#' included, with no escapes; a quote that is not closed, or text
 * after the closing one, is refused (the shell habit of quoting must not
 * end up as a quote inside a port spec or a path).  The file is written
 * by an administrator but is still input from outside: it is opened
 * without following into a FIFO or a device (O_NONBLOCK, then fstat()
 * must say regular file, owned by nsplice's user or root and writable by
 * nobody else: file_trusted(); the directories and symlinks on its path
 * are the supervisor's to check, file_path_check(), at start in
 * cmd/main.c and before every reload in supervisor/live.c, this layer
 * being below it), read whole up to CONFIG_FILE_MAX, and parsed
 * with every line bounded; NUL bytes and control characters are refused,
 * so a value can never smuggle a second line into a message.  Every refusal names FILE:LINE and says what was
 * expected.
 *
 * A refusal never shows what a file that is not a config file holds: -c
 * may name (or a symlink lead to) any file the caller can read, and root
 * can read /etc/shadow.  So a message quotes an unknown key only if it is
 * shaped like a key (KEY_SHOW_MAX bytes of a-z, 0-9, '-'), and a value
 * only after a known key, and only if it is printable ASCII of at most
 * VALUE_SHOW_MAX bytes; otherwise it says what was wrong without the
 * text.  A line that reaches a value is "KNOWN-KEY = ...", which is what a
 * config file holds.  Everything shown is made terminal-safe as well
 * (errfmt(), text_safe()).
 *
 * A file is parsed into a configuration of its own (a "layer") through the
 * same config_apply() as the command line, and its forwards are checked
 * for overlap among themselves.  Then it is merged:
 *
 * - at start, under the command line, which wins key by key: a
 *   single-valued setting ("slot") given on the command line replaces the
 *   file's (a target replaces the file's target and the userns written
 *   with it), and an option the command line gives at all (-t) replaces
 *   every line of that key in the file (tcp-ports): a list is one value.
 *   So `-c FILE --netns NAME` runs in NAME whatever netns the file
 *   names;
 * - on reload, into a copy of the running configuration, with the same
 *   rule: the file's forwards replace the previous file's, the command
 *   line's and the control socket's stay; slots are checked but not
 *   applied (the running processes were set up with them), and each that
 *   differs is logged as taking effect at the next start.
 *
 * A result of config_reload() or config_change() must survive the running
 * configuration being freed, so config_clone() copies every string into
 * the result's own storage, a list of blocks freed by config_free().  A
 * spec text shared by thousands of listeners is copied once: the distinct
 * pointers are sorted and each is copied and looked up by bsearch().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc/log.h"
#include "ipc/text.h"
#include "supervisor/config/conffile.h"
#include "supervisor/config/config.h"

/* LABEL_MAX - "FILE:LINE: KEY" of one message, bytes; longer is cut */
#define LABEL_MAX	CONFIG_ERR_MAX

/* KEY_SHOW_MAX - longest unknown key quoted back in a message, bytes */
#define KEY_SHOW_MAX	32

/* VALUE_SHOW_MAX - longest value quoted back in a message, bytes */
#define VALUE_SHOW_MAX	128

/* SRC_ANY - append_entries() filter that keeps every source */
#define SRC_ANY		(-1)

/**
 * struct config_strings - one block of string storage
 * @next:	next block, or NULL
 * @s:		the string, NUL-terminated
 */
struct config_strings {
	struct config_strings *next;
	char s[];
};

/**
 * struct line - one line of a config file, split
 * @no:		line number, from 1
 * @key:	key, not terminated
 * @keylen:	its length
 * @val:	value, not terminated, NULL if no '=' was given
 * @vallen:	its length
 * @stray:	text after the key that is not "= VALUE": missing '='
 */
struct line {
	unsigned no;
	const char *key;
	size_t keylen;
	const char *val;
	size_t vallen;
	bool stray;
};

/**
 * struct spec_map - where each spec text of one configuration was copied
 * @from:	distinct source pointers, sorted
 * @to:		copy of each, in the destination's storage
 * @n:		entries
 */
struct spec_map {
	const char **from;
	const char **to;
	size_t n;
};

/* cmdline_only - keys a file may not hold, and what they would do */
static const char *const cmdline_only[] = {
	"config", "help", "version", "command", "test-relay-attempt",
};

/* slot_names - how a reload names a slot the new file does not set */
static const char *const slot_names[SLOT_COUNT] = {
	[SLOT_TARGET]		= "target (netns or pid)",
	[SLOT_USERNS]		= "userns",
	[SLOT_PID_FILE]		= "pid-file",
	[SLOT_RUNAS]		= "runas",
	[SLOT_SANDBOX]		= "sandbox",
	[SLOT_CONTROL]		= "control",
	[SLOT_MAX_CONNS]	= "max-conns",
	[SLOT_IDLE_TIMEOUT]	= "idle-timeout",
	[SLOT_UDP_TIMEOUT]	= "udp-timeout",
	[SLOT_BUSY_POLL]	= "busy-poll",
	[SLOT_KEEPALIVE]	= "keepalive",
	[SLOT_LOG_LEVEL]	= "log level (quiet, debug, trace)",
	[SLOT_SYSLOG]		= "syslog",
};

/**
 * strings_add() - copy text into a configuration's own storage
 * @cfg:	owner of the copy
 * @s:		text, need not be terminated
 * @len:	its length
 *
 * Return: the terminated copy, or NULL if out of memory
 */
static const char *strings_add(struct nsp_config *cfg, const char *s,
			       size_t len)
{
	struct config_strings *b = malloc(sizeof(*b) + len + 1);

	if (!b)
		return NULL;
	memcpy(b->s, s, len);
	b->s[len] = '\0';
	b->next = cfg->strings;
	cfg->strings = b;
	return b->s;
}

/**
 * config_strdup() - copy a string into a configuration's own storage
 * @cfg:	owner of the copy, which config_free() releases
 * @s:		string
 *
 * Return: the copy, or NULL if out of memory
 */
const char *config_strdup(struct nsp_config *cfg, const char *s)
{
	return strings_add(cfg, s, strlen(s));
}

/**
 * config_strings_free() - release a configuration's string storage
 * @cfg:	configuration; its strings are gone afterwards
 */
void config_strings_free(struct nsp_config *cfg)
{
	struct config_strings *b, *next;

	for (b = cfg->strings; b; b = next) {
		next = b->next;
		free(b);
	}
	cfg->strings = NULL;
}

/**
 * file_trusted() - may this process take orders from a file
 * @path:	file name, for the message
 * @st:		its status
 * @err:	error buffer
 * @errlen:	its size
 *
 * Whoever can write the config file decides what nsplice exposes, which
 * log mode it runs in (sandbox = log), and which file it writes its pid
 * to: as root, that is root's power.  So, as sshd does with its own
 * files, a file must belong to the user nsplice runs as or to root, and
 * must not be writable by its group or by others.  In a user namespace
 * every owner it does not map shows as the overflow uid (65534), root's
 * and any other user's alike: such a file is refused too, and a rootless
 * user keeps the file under its own uid.
 *
 * Return: 0, or -1 with @err set
 */
static int file_trusted(const char *path, const struct stat *st, char *err,
			size_t errlen)
{
	uid_t me = geteuid();

	if (st->st_uid != me && st->st_uid != 0)
		return errfmt(err, errlen, "%s: owned by uid %u: expected a "
			      "config file owned by %s%.0u%s; another user "
			      "could change what nsplice does", path,
			      (unsigned)st->st_uid, me ? "uid " : "root",
			      (unsigned)me, me ? " (nsplice's user) or root" :
			      "");
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return errfmt(err, errlen, "%s: writable by %s (mode %04o): "
			      "expected a config file only its owner can "
			      "change (chmod go-w)", path,
			      st->st_mode & S_IWOTH ? "everyone" : "its group",
			      (unsigned)(st->st_mode & 07777));
	return 0;
}

/**
 * file_open() - open a config file that must be a regular file
 * @path:	file name
 * @err:	error buffer
 * @errlen:	its size
 *
 * O_NONBLOCK keeps open() from hanging on a FIFO; it changes nothing for
 * a regular file, the only kind read.
 *
 * Return: descriptor, or -1
 */
static int file_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;

		/* Root without CAP_DAC_OVERRIDE (the supervisor keeps none
		 * after start: a reload) cannot read another user's 0600
		 * file: the owner is the cause to name, if it is wrong */
		if (e == EACCES && !stat(path, &st) &&
		    file_trusted(path, &st, err, errlen))
			return -1;
		return errfmt(err, errlen, "%s: cannot open: %s: expected a "
			      "config file readable by uid %u", path,
			      strerror(e), (unsigned)geteuid());
	}
	if (fstat(fd, &st)) {
		errfmt(err, errlen, "%s: cannot stat: %s: expected a readable "
		       "config file", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		errfmt(err, errlen, "%s: not a regular file: expected a config "
		       "file", path);
	} else if (st.st_size > (off_t)CONFIG_FILE_MAX) {
		errfmt(err, errlen, "%s: %lld bytes: expected a config file of "
		       "at most %u bytes", path, (long long)st.st_size,
		       CONFIG_FILE_MAX);
	} else if (!file_trusted(path, &st, err, errlen)) {
		return fd;
	}
	close(fd);
	return -1;
}

/**
 * file_read() - read a whole config file, bounded
 * @path:	file name
 * @len:	set to the length read
 * @err:	error buffer
 * @errlen:	its size
 *
 * One byte more than the limit is asked for, so a file that grew after
 * fstat() is still caught.
 *
 * Return: the content (free() it), or NULL
 */
static char *file_read(const char *path, size_t *len, char *err,
		       size_t errlen)
{
	size_t n = 0, cap = CONFIG_FILE_MAX + 1;
	char *buf;
	ssize_t r;
	int fd;

	fd = file_open(path, err, errlen);
	if (fd < 0)
		return NULL;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		errfmt(err, errlen, "out of memory");
		return NULL;
	}
	while (n < cap) {
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			errfmt(err, errlen, "%s: cannot read: %s: expected a "
			       "readable config file", path, strerror(errno));
			break;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > CONFIG_FILE_MAX)
		errfmt(err, errlen, "%s: more than %u bytes: expected a config "
		       "file of at most %u bytes", path, CONFIG_FILE_MAX,
		       CONFIG_FILE_MAX);
	if (n > CONFIG_FILE_MAX || (n < cap && r < 0)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/**
 * is_blank() - space or tab
 * @c:		character
 *
 * Return: true for ' ' and '\t'
 */
static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/**
 * line_bytes_check() - refuse NUL bytes and control characters
 * @name:	file name, for messages
 * @no:		line number
 * @p:		line, without its newline
 * @len:	its length
 * @err:	error buffer
 * @errlen:	its size
 *
 * Tab is the one control character allowed, as a blank.  Bytes from 0x80
 * on are left alone: paths may be UTF-8.
 *
 * Return: 0 or -1
 */
static int line_bytes_check(const char *name, unsigned no, const char *p,
			    size_t len, char *err, size_t errlen)
{
	size_t i;

	if (len > CONFIG_LINE_MAX)
		return errfmt(err, errlen, "%s:%u: line of %zu bytes: expected "
			      "at most %u bytes a line", name, no, len,
			      CONFIG_LINE_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!c)
			return errfmt(err, errlen, "%s:%u: NUL byte at column "
				      "%zu: expected text", name, no, i + 1);
		if ((c < ' ' && c != '\t') || c == 0x7f)
			return errfmt(err, errlen, "%s:%u: control character "
				      "0x%02x at column %zu: expected "
				      "printable text, one setting a line",
				      name, no, c, i + 1);
	}
	return 0;
}

/**
 * is_quote() - a character that may open a quoted value
 * @c:		character
 *
 * Return: true for '"' and '\''
 */
static bool is_quote(char c)
{
	return c == '"' || c == '\'';
}

/**
 * comment_start() - where the comment of a line begins
 * @p:		line, leading blanks removed
 * @n:		its length
 *
 * '#' at the start or after a blank begins a comment, except inside a
 * quoted value: a quote opens only as the first character after '=' and
 * its blanks, so "pid-file = /run/it's" holds a plain apostrophe.  An
 * unclosed quote runs to the end of the line, where value_unquote()
 * refuses it rather than this function guessing.
 *
 * Return: offset of the '#', or @n if the line has no comment
 */
static size_t comment_start(const char *p, size_t n)
{
	bool seen_eq = false, vstart = false;
	char quote = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (quote) {
			if (p[i] == quote)
				quote = 0;
			continue;
		}
		if (p[i] == '#' && (!i || is_blank(p[i - 1])))
			return i;
		if (vstart && is_quote(p[i]))
			quote = p[i];
		if (!seen_eq && p[i] == '=') {
			seen_eq = vstart = true;
			continue;
		}
		if (!is_blank(p[i]))
			vstart = false;
	}
	return n;
}

/**
 * line_trim() - drop blanks around a line and a trailing comment
 * @p:		line
 * @len:	its length, updated
 *
 * Return: the first byte that is not blank
 */
static const char *line_trim(const char *p, size_t *len)
{
	size_t n = *len;

	while (n && is_blank(*p)) {
		p++;
		n--;
	}
	n = comment_start(p, n);
	while (n && is_blank(p[n - 1]))
		n--;
	*len = n;
	return p;
}

/**
 * line_split() - split a trimmed, non-empty line into key and value
 * @p:		line
 * @len:	its length
 * @l:		filled (@l->no is left alone)
 */
static void line_split(const char *p, size_t len, struct line *l)
{
	size_t i = 0;

	while (i < len && !is_blank(p[i]) && p[i] != '=')
		i++;
	l->key = p;
	l->keylen = i;
	l->val = NULL;
	l->vallen = 0;
	l->stray = false;
	while (i < len && is_blank(p[i]))
		i++;
	if (i == len)
		return;
	if (p[i] != '=') {
		l->stray = true;
		return;
	}
	for (i++; i < len && is_blank(p[i]); i++)
		;
	l->val = p + i;
	l->vallen = len - i;
}

/**
 * key_showable() - may an unknown key be quoted back
 * @key:	the key
 * @len:	its length
 *
 * Return: true for 1..KEY_SHOW_MAX bytes of a-z, 0-9 and '-'
 */
static bool key_showable(const char *key, size_t len)
{
	size_t i;

	if (!len || len > KEY_SHOW_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') ||
		      (key[i] >= '0' && key[i] <= '9') || key[i] == '-'))
			return false;
	return true;
}

/**
 * value_showable() - may the value of a known key be quoted back
 * @l:		split line
 *
 * Return: true for a value of at most VALUE_SHOW_MAX bytes of printable
 * ASCII
 */
static bool value_showable(const struct line *l)
{
	size_t i;

	if (!l->val || l->vallen > VALUE_SHOW_MAX)
		return false;
	for (i = 0; i < l->vallen; i++)
		if (l->val[i] < ' ' || l->val[i] > '~')
			return false;
	return true;
}

/**
 * key_find() - the option a key names, if a file may hold it
 * @name:	file name, for messages
 * @l:		split line
 * @key:	terminated copy of the key
 * @c:		set to the option's getopt_long() value
 * @takes_value: set if it needs a value
 * @skey:	set to the key's spelling in static storage
 * @err:	error buffer
 * @errlen:	its size
 *
 * Only a key shaped like one is quoted back: see the DOC comment.
 *
 * Return: 0 or -1
 */
static int key_find(const char *name, const struct line *l, const char *key,
		    int *c, bool *takes_value, const char **skey, char *err,
		    size_t errlen)
{
	size_t i;

	if (!l->keylen)
		return errfmt(err, errlen, "%s:%u: no key before '=': expected "
			      "\"key = value\"", name, l->no);
	for (i = 0; i < sizeof(cmdline_only) / sizeof(cmdline_only[0]); i++)
		if (!strcmp(key, cmdline_only[i]))
			return errfmt(err, errlen, "%s:%u: %s: not allowed in "
				      "a config file: expected it on the "
				      "command line", name, l->no, key);
	if (!config_key_lookup(key, c, takes_value, skey))
		return 0;
	if (key_showable(key, l->keylen))
		return errfmt(err, errlen, "%s:%u: \"%s\": unknown key: "
			      "expected a long option name without its dashes "
			      "(see --help)", name, l->no, key);
	return errfmt(err, errlen, "%s:%u: not a setting (text not shown): "
		      "expected \"key = value\", the key a long option name "
		      "without its dashes (see --help)", name, l->no);
}

/**
 * flag_value() - read the value of a flag: none, yes/true or no/false
 * @name:	file name, for messages
 * @l:		split line
 * @key:	the key
 * @on:		set to the flag's state
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int flag_value(const char *name, const struct line *l, const char *key,
		      bool *on, char *err, size_t errlen)
{
	static const char *const yes[] = { "yes", "true" };
	static const char *const no[] = { "no", "false" };
	unsigned i;

	*on = true;
	if (!l->val)
		return 0;
	for (i = 0; i < 2; i++) {
		if (l->vallen == strlen(yes[i]) &&
		    !memcmp(l->val, yes[i], l->vallen))
			return 0;
		if (l->vallen == strlen(no[i]) &&
		    !memcmp(l->val, no[i], l->vallen)) {
			*on = false;
			return 0;
		}
	}
	if (!value_showable(l))
		return errfmt(err, errlen, "%s:%u: %s: not a yes/no value "
			      "(not shown): expected %s alone, or = yes, no, "
			      "true or false", name, l->no, key, key);
	return errfmt(err, errlen, "%s:%u: %s \"%.*s\": not a yes/no value: "
		      "expected %s alone, or = yes, no, true or false", name,
		      l->no, key, (int)l->vallen, l->val, key);
}

/**
 * value_unquote() - take the quotes off a quoted value
 * @name:	file name, for messages
 * @l:		split line; @l->val and @l->vallen are narrowed to the text
 *		between the quotes
 * @key:	the key
 * @err:	error buffer
 * @errlen:	its size
 *
 * A value that starts with '"' or '\'' must end with the same quote and
 * not hold it anywhere else: everything between is the value as written,
 * blanks and '#' included, with no escapes ('\\' is a backslash).  A quote
 * inside an unquoted value is an ordinary character.
 *
 * Return: 0 or -1
 */
static int value_unquote(const char *name, struct line *l, const char *key,
			 char *err, size_t errlen)
{
	const char *close;
	char q;

	if (!l->val || !l->vallen || !is_quote(l->val[0]))
		return 0;
	q = l->val[0];
	close = memchr(l->val + 1, q, l->vallen - 1);
	if (!close)
		return errfmt(err, errlen, "%s:%u: %s: quote %c not closed: "
			      "expected the value between two %c on its line",
			      name, l->no, key, q, q);
	if (close != l->val + l->vallen - 1)
		return errfmt(err, errlen, "%s:%u: %s: text after the closing "
			      "quote %c: expected the whole value quoted, then "
			      "at most a comment (\" #...\")", name, l->no, key,
			      q);
	l->val++;
	l->vallen -= 2;
	return 0;
}

/**
 * slot_take() - refuse a slot the file already set, else record it
 * @fl:		the file's layer
 * @c:		option
 * @l:		split line
 * @key:	static spelling of the key
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int slot_take(struct config_layer *fl, int c, const struct line *l,
		     const char *key, char *err, size_t errlen)
{
	enum config_slot slot = config_opt_slot(c);
	bool show = value_showable(l);

	if (slot == SLOT_NONE)
		return 0;
	if (fl->line[slot])
		return errfmt(err, errlen, "%s:%u: %s%s%.*s%s: already set by "
			      "%s on line %u: expected each setting once in a "
			      "file", fl->name, l->no, key, show ? " \"" : "",
			      show ? (int)l->vallen : 0, show ? l->val : "",
			      show ? "\"" : "", fl->key[slot], fl->line[slot]);
	fl->line[slot] = l->no;
	fl->key[slot] = key;
	return 0;
}

/**
 * line_apply() - apply one split line to the file's configuration
 * @cfg:	the file's configuration
 * @fl:		the file's layer
 * @env:	ephemeral port range
 * @l:		split line; a quoted value is unquoted here
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int line_apply(struct nsp_config *cfg, struct config_layer *fl,
		      const struct portspec_env *env, struct line *l,
		      char *err, size_t errlen)
{
	struct config_ctx ctx = { .env = env, .src = fl->src, .line = l->no };
	char label[LABEL_MAX], key[CONFIG_LINE_MAX + 1];
	const char *skey, *v;
	bool takes_value, on = true;
	int c;

	memcpy(key, l->key, l->keylen);
	key[l->keylen] = '\0';
	if (key_find(fl->name, l, key, &c, &takes_value, &skey, err, errlen))
		return -1;
	if (l->stray)
		return errfmt(err, errlen, "%s:%u: %s: missing '=' after the "
			      "key: expected \"%s = VALUE\"", fl->name, l->no,
			      skey, skey);
	if (value_unquote(fl->name, l, skey, err, errlen))
		return -1;
	if (takes_value && (!l->val || !l->vallen))
		return errfmt(err, errlen, "%s:%u: %s: value missing: expected "
			      "\"%s = VALUE\"", fl->name, l->no, skey, skey);
	if (!takes_value && flag_value(fl->name, l, skey, &on, err, errlen))
		return -1;
	if (slot_take(fl, c, l, skey, err, errlen))
		return -1;
	if (!takes_value)
		return on ? config_apply(cfg, c, NULL, &ctx, err, errlen) : 0;
	v = strings_add(cfg, l->val, l->vallen);
	if (!v)
		return errfmt(err, errlen, "out of memory");
	snprintf(label, sizeof(label), "%s:%u: %s", fl->name, l->no, skey);
	ctx.label = label;
	if (!config_apply(cfg, c, v, &ctx, err, errlen))
		return 0;
	if (!value_showable(l))
		return errfmt(err, errlen, "%s:%u: %s: invalid value (not shown: "
			      "only printable ASCII of at most %u bytes is "
			      "quoted): expected a value as for --%s", fl->name,
			      l->no, skey, VALUE_SHOW_MAX, skey);
	return -1;
}

/**
 * line_parse() - check, split and apply one line
 * @cfg:	the file's configuration
 * @fl:		the file's layer
 * @env:	ephemeral port range
 * @no:		line number
 * @p:		line, without its newline
 * @len:	its length
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int line_parse(struct nsp_config *cfg, struct config_layer *fl,
		      const struct portspec_env *env, unsigned no,
		      const char *p, size_t len, char *err, size_t errlen)
{
	struct line l;

	if (line_bytes_check(fl->name, no, p, len, err, errlen))
		return -1;
	p = line_trim(p, &len);
	if (!len)
		return 0;
	l.no = no;
	line_split(p, len, &l);
	return line_apply(cfg, fl, env, &l, err, errlen);
}

/**
 * err_defang() - make an error line terminal-safe, whoever formatted it
 * @err:	error line, quoting pieces of the file
 * @errlen:	its size
 *
 * errfmt() already does; this holds for a message that was not made with
 * it too.  Lines may hold tabs (whitespace between a key and its value):
 * they become '?', like every control, C1 included (text_safe()).
 */
static void err_defang(char *err, size_t errlen)
{
	if (!errlen)
		return;
	err[errlen - 1] = '\0';
	text_safe_str(err);
}

/**
 * config_parse_text() - parse a whole file's text into a configuration of
 *			 its own
 * @cfg:	overwritten (not freed first) with the defaults and the file's
 *		settings; on failure left empty
 * @fl:		overwritten with what the file set, or NULL
 * @name:	file name, for messages
 * @text:	content, need not be terminated; NUL bytes are refused
 * @len:	its length
 * @src:	CONFIG_SRC_* for its forwards
 * @env:	ephemeral port range, or NULL to read it now
 * @err:	error line on failure, "NAME:LINE: ..."
 * @errlen:	its size
 *
 * What -c FILE does with the file's content (config_layer_read() reads
 * the file and calls this), and the fuzz target's entry point: the file's
 * own forwards must not overlap; other checks need the whole
 * configuration and are left to the merge.
 *
 * Return: 0, or -1 with @cfg empty
 */
int config_parse_text(struct nsp_config *cfg, struct config_layer *fl,
		      const char *name, const char *text, size_t len, int src,
		      const struct portspec_env *env, char *err, size_t errlen)
{
	struct config_layer own;
	struct portspec_env now;
	size_t pos = 0;
	unsigned no = 0;
	int ret = 0;

	if (!fl)
		fl = &own;
	if (!env) {
		portspec_env_read(&now);	/* defaults if unreadable */
		env = &now;
	}
	config_defaults(cfg);
	memset(fl, 0, sizeof(*fl));
	fl->name = name;
	fl->src = src;
	while (pos < len && !ret) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;

		ret = line_parse(cfg, fl, env, ++no, text + pos, end - pos,
				 err, errlen);
		pos = end + 1;
	}
	cfg->layer_name = src == CONFIG_SRC_FILE ? name : NULL;
	if (!ret)
		ret = config_check(cfg, err, errlen);
	cfg->layer_name = NULL;		/* @name is the caller's */
	if (ret) {
		config_free(cfg);
		err_defang(err, errlen);
	}
	return ret;
}

/**
 * config_layer_read() - read and parse a config file into its own layer
 * @path:	file name
 * @env:	ephemeral port range
 * @cfg:	overwritten with the file's settings; empty on failure
 * @fl:		overwritten with what the file set
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
int config_layer_read(const char *path, const struct portspec_env *env,
		      struct nsp_config *cfg, struct config_layer *fl,
		      char *err, size_t errlen)
{
	size_t len;
	char *text;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	text = file_read(path, &len, err, errlen);
	if (!text)
		return -1;
	ret = config_parse_text(cfg, fl, path, text, len, CONFIG_SRC_FILE, env,
				err, errlen);
	free(text);
	return ret;
}

/**
 * str_copy() - copy an optional string into another configuration
 * @dst:	owner of the copy
 * @s:		string, or NULL
 * @out:	set to the copy, or NULL
 *
 * Return: 0, or -1 if out of memory
 */
static int str_copy(struct nsp_config *dst, const char *s, const char **out)
{
	*out = s ? config_strdup(dst, s) : NULL;
	return s && !*out ? -1 : 0;
}

/**
 * slot_copy_target() - copy the target from one configuration to another
 * @dst:	destination
 * @src:	source
 *
 * A NAME given to --netns lives in @src's netns_buf, which is copied too.
 * COMMAND stays in argv, which outlives every configuration.
 *
 * Return: 0, or -1 if out of memory
 */
static int slot_copy_target(struct nsp_config *dst,
			    const struct nsp_config *src)
{
	dst->target = src->target;
	dst->pid = src->pid;
	dst->command = src->command;
	if (src->netns_path == src->netns_buf) {
		memcpy(dst->netns_buf, src->netns_buf, sizeof(dst->netns_buf));
		dst->netns_path = dst->netns_buf;
		return 0;
	}
	return str_copy(dst, src->netns_path, &dst->netns_path);
}

/**
 * slot_copy_runas() - copy --runas and what it resolved to
 * @dst:	destination
 * @src:	source
 */
static void slot_copy_runas(struct nsp_config *dst,
			    const struct nsp_config *src)
{
	dst->runas_given = src->runas_given;
	dst->runas_uid = src->runas_uid;
	dst->runas_gid = src->runas_gid;
	memcpy(dst->runas_buf, src->runas_buf, sizeof(dst->runas_buf));
	dst->runas_name = src->runas_name ? dst->runas_buf : NULL;
}

/**
 * slot_copy() - copy one single-valued setting between configurations
 * @dst:	destination
 * @src:	source
 * @slot:	enum config_slot
 *
 * Return: 0, or -1 if out of memory
 */
static int slot_copy(struct nsp_config *dst, const struct nsp_config *src,
		     enum config_slot slot)
{
	switch (slot) {
	case SLOT_TARGET:
		return slot_copy_target(dst, src);
	case SLOT_USERNS:
		return str_copy(dst, src->userns_path, &dst->userns_path);
	case SLOT_PID_FILE:
		return str_copy(dst, src->pid_file, &dst->pid_file);
	case SLOT_CONTROL:
		return str_copy(dst, src->control_path, &dst->control_path);
	case SLOT_RUNAS:
		slot_copy_runas(dst, src);
		break;
	case SLOT_SANDBOX:
		dst->sandbox = src->sandbox;
		break;
	case SLOT_MAX_CONNS:
		dst->max_conns = src->max_conns;
		break;
	case SLOT_IDLE_TIMEOUT:
		dst->idle_timeout = src->idle_timeout;
		break;
	case SLOT_UDP_TIMEOUT:
		dst->udp_timeout = src->udp_timeout;
		break;
	case SLOT_BUSY_POLL:
		dst->busy_poll_us = src->busy_poll_us;
		break;
	case SLOT_KEEPALIVE:
		dst->ka_idle = src->ka_idle;
		dst->ka_intvl = src->ka_intvl;
		dst->ka_cnt = src->ka_cnt;
		break;
	case SLOT_LOG_LEVEL:
		dst->log_level = src->log_level;
		break;
	case SLOT_SYSLOG:
		dst->use_syslog = src->use_syslog;
		break;
	case SLOT_NONE:
	case SLOT_COUNT:
		break;
	}
	return 0;
}

/**
 * ptr_cmp() - order pointers by address, for qsort() and bsearch()
 * @a:		const char *const *
 * @b:		const char *const *
 *
 * Return: <0, 0, >0
 */
static int ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const char *const *)a;
	uintptr_t y = (uintptr_t)*(const char *const *)b;

	return x < y ? -1 : x > y;
}

/**
 * struct entry_filter - which forwards and auto rules a copy leaves out
 * @skip:	CONFIG_SRC_* to leave out, or SRC_ANY
 * @drop_opts:	config_list_bit() of each option whose entries are left
 *		out: the file's lists the command line replaces
 */
struct entry_filter {
	int skip;
	uint64_t drop_opts;
};

/**
 * keep_entry() - does an entry go through a filter
 * @f:		filter
 * @src:	CONFIG_SRC_* of the entry
 * @opt:	option it came from
 *
 * Return: true to copy the entry
 */
static bool keep_entry(const struct entry_filter *f, int src, char opt)
{
	if (f->drop_opts & config_list_bit(opt))
		return false;
	return f->skip == SRC_ANY || src != f->skip;
}

/**
 * spec_map_build() - copy each distinct spec text of @src into @dst once
 * @map:	filled; spec_map_free() it
 * @dst:	owner of the copies
 * @src:	configuration whose entries are copied
 * @f:		which entries are left out
 *
 * Return: 0, or -1 if out of memory
 */
static int spec_map_build(struct spec_map *map, struct nsp_config *dst,
			  const struct nsp_config *src,
			  const struct entry_filter *f)
{
	size_t i, n = 0, max = (size_t)src->nfwd + src->nautos;

	memset(map, 0, sizeof(*map));
	map->from = calloc(max + 1, sizeof(*map->from));
	map->to = calloc(max + 1, sizeof(*map->to));
	if (!map->from || !map->to)
		return -1;
	for (i = 0; i < src->nfwd; i++)
		if (keep_entry(f, src->fwd[i].src, src->fwd[i].opt))
			map->from[n++] = src->fwd[i].spec;
	for (i = 0; i < src->nautos; i++)
		if (keep_entry(f, src->autos[i].src, src->autos[i].opt))
			map->from[n++] = src->autos[i].spec;
	qsort(map->from, n, sizeof(*map->from), ptr_cmp);
	for (i = 0; i < n; i++) {
		if (map->n && map->from[map->n - 1] == map->from[i])
			continue;
		map->from[map->n] = map->from[i];
		if (str_copy(dst, map->from[i], &map->to[map->n]))
			return -1;
		map->n++;
	}
	return 0;
}

/**
 * spec_map_find() - the copy of a spec text
 * @map:	built map
 * @spec:	a pointer that went into it
 *
 * Return: the copy
 */
static const char *spec_map_find(const struct spec_map *map, const char *spec)
{
	const char **at = bsearch(&spec, map->from, map->n, sizeof(*at),
				  ptr_cmp);

	return at ? map->to[at - map->from] : NULL;
}

/**
 * spec_map_free() - release a map (not the copies, which @dst owns)
 * @map:	map
 */
static void spec_map_free(struct spec_map *map)
{
	free(map->from);
	free(map->to);
}

/**
 * append_entries() - copy forwards and auto rules into another config
 * @dst:	destination; owns the copied spec texts
 * @src:	source
 * @f:		which entries are left out
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0 or -1
 */
static int append_entries(struct nsp_config *dst, const struct nsp_config *src,
			  const struct entry_filter *f, char *err,
			  size_t errlen)
{
	struct spec_map map;
	unsigned i;
	int ret = 0;

	if (spec_map_build(&map, dst, src, f))
		ret = errfmt(err, errlen, "out of memory");
	for (i = 0; !ret && i < src->nfwd; i++) {
		struct fwd_entry e = src->fwd[i];

		if (!keep_entry(f, e.src, e.opt))
			continue;
		e.spec = spec_map_find(&map, e.spec);
		ret = config_fwd_append(dst, &e, err, errlen);
	}
	for (i = 0; !ret && i < src->nautos; i++) {
		const struct auto_rule *r = &src->autos[i];

		if (!keep_entry(f, r->src, r->opt))
			continue;
		ret = config_auto_append(dst, r, err, errlen);
		if (!ret)
			dst->autos[dst->nautos - 1].spec =
				spec_map_find(&map, r->spec);
	}
	spec_map_free(&map);
	return ret;
}

/**
 * file_has_spec() - does a file's layer hold a SPEC, spelled the same
 * @file:	the file's configuration
 * @opt:	option letter
 * @spec:	SPEC text
 *
 * Return: true if a forward or auto rule of @file came from -@opt @spec
 */
static bool file_has_spec(const struct nsp_config *file, char opt,
			  const char *spec)
{
	unsigned i;

	for (i = 0; i < file->nfwd; i++)
		if (file->fwd[i].opt == opt && !strcmp(file->fwd[i].spec, spec))
			return true;
	for (i = 0; i < file->nautos; i++)
		if (file->autos[i].opt == opt &&
		    !strcmp(file->autos[i].spec, spec))
			return true;
	return false;
}

/**
 * struct pp_lost - a ctl forward's PROXY header the file does not keep
 * @spec:	its SPEC text (in the reloaded configuration's storage), or
 *		NULL if no header is lost
 * @opt:	its option letter
 * @port:	the first port whose header goes
 */
struct pp_lost {
	const char *spec;
	char opt;
	unsigned port;
};

/**
 * drop_ctl_twins() - let the file take over what ctl added, spelled alike
 * @fresh:	reloaded configuration before the file's entries go in
 * @file:	the file's configuration
 * @lost:	set to the first forward taken over whose PROXY header the
 *		file turns off; spec NULL if none
 *
 * "Try it with nsplice ctl add, then write it into the file" is the
 * natural way to make a change permanent; the reload then met the same
 * forward twice and refused the whole file as an overlap, until a ctl
 * remove took the port away.  A ctl forward or auto rule whose option and
 * SPEC text the file has too is left out here, so the file's copy
 * replaces it: the forward table keeps its listener (the same socket, a
 * new source), and from then on the file owns it.  Only the same text
 * counts: two spellings of one forward still meet as an overlap, whose
 * message names "nsplice ctl" (config_fwd_origin()).  Its PROXY header is the
 * file's to say from then on; one that ctl turned on and the file does
 * not is worth a warning (config_reload(), once the reload holds), or a
 * backend that needs it breaks silently.
 */
static void drop_ctl_twins(struct nsp_config *fresh,
			   const struct nsp_config *file, struct pp_lost *lost)
{
	const uint8_t *pp = fresh->pp_args ? fresh->pp : file->pp;
	unsigned i, n;

	memset(lost, 0, sizeof(*lost));

	for (i = n = 0; i < fresh->nfwd; i++) {
		const struct fwd_entry *e = &fresh->fwd[i];

		if (e->src != CONFIG_SRC_CTL ||
		    !file_has_spec(file, e->opt, e->spec)) {
			fresh->fwd[n++] = *e;
			continue;
		}
		if (e->pp && !lost->spec &&
		    !(pp && portset_has(pp, e->m.listen_port))) {
			lost->spec = e->spec;
			lost->opt = e->opt;
			lost->port = e->m.listen_port;
		}
	}
	fresh->nfwd = n;
	for (i = n = 0; i < fresh->nautos; i++)
		if (fresh->autos[i].src != CONFIG_SRC_CTL ||
		    !file_has_spec(file, fresh->autos[i].opt,
				   fresh->autos[i].spec))
			fresh->autos[n++] = fresh->autos[i];
	fresh->nautos = n;
}

/**
 * config_clone() - copy a running configuration that it can outlive
 * @fresh:	overwritten; owns every string it points to but COMMAND
 * @running:	source, not modified
 * @keep_file:	also copy forwards and rules that came from the file
 * @err:	error buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @fresh empty
 */
int config_clone(struct nsp_config *fresh, const struct nsp_config *running,
		 bool keep_file, char *err, size_t errlen)
{
	struct entry_filter f = {
		.skip = keep_file ? SRC_ANY : CONFIG_SRC_FILE,
	};
	int slot, ret = 0;

	config_defaults(fresh);
	for (slot = 0; slot < SLOT_COUNT && !ret; slot++)
		ret = slot_copy(fresh, running, (enum config_slot)slot);
	if (!ret)
		ret = str_copy(fresh, running->config_path,
			       &fresh->config_path);
	if (!ret)
		ret = str_copy(fresh, running->test_attempt,
			       &fresh->test_attempt);
	if (ret)
		errfmt(err, errlen, "out of memory");
	fresh->args_given = running->args_given;
	fresh->args_lists = running->args_lists;
	if (!ret)
		ret = append_entries(fresh, running, &f, err, errlen);
	if (!ret && config_pp_copy(fresh, running))
		ret = errfmt(err, errlen, "out of memory");
	if (ret)
		config_free(fresh);
	return ret;
}

/**
 * slots_won() - the slots where the command line overrides a file
 * @cfg:	configuration with args_given set
 * @fl:		the file's layer
 *
 * Each slot the command line set, and the file's userns along with the
 * file's target when the command line names a target: a user namespace
 * belongs to the network namespace it was written next to.  A userns in
 * a file without a target goes with the command line's target.
 *
 * Return: bit (1 << slot) per slot whose file value is not used
 */
static uint32_t slots_won(const struct nsp_config *cfg,
			  const struct config_layer *fl)
{
	uint32_t won = cfg->args_given;

	if ((won & (1U << SLOT_TARGET)) && fl->line[SLOT_TARGET])
		won |= 1U << SLOT_USERNS;
	return won;
}

/**
 * config_where() - how a message names where a setting came from
 * @cfg:	configuration
 * @w:		the setting
 * @buf:	output
 * @len:	its size
 *
 * An error found after parsing (a namespace that cannot be opened, a pid
 * file that cannot be written) must point at what the user wrote: the
 * -c file's line ("FILE:LINE: netns"), the engine's own word
 * ("NetNSPath"), else the command-line option ("--netns").
 *
 * Return: @buf
 */
const char *config_where(const struct nsp_config *cfg, enum config_where w,
			 char *buf, size_t len)
{
	static const char *const opt[WHERE_COUNT] = { "--netns", "--userns",
						      "--pid-file" };
	static const char *const key[WHERE_COUNT] = { "netns", "userns",
						      "pid-file" };
	bool pid = w == WHERE_TARGET && cfg->target == TARGET_PID;

	if (cfg->file_line[w] && cfg->config_path)
		snprintf(buf, len, "%s:%u: %s", cfg->config_path,
			 (unsigned)cfg->file_line[w], pid ? "pid" : key[w]);
	else if (w == WHERE_TARGET && cfg->target_label)
		snprintf(buf, len, "%s", cfg->target_label);
	else
		snprintf(buf, len, "%s", pid ? "--pid" : opt[w]);
	return buf;
}

/**
 * config_merge_file() - read -c FILE and merge it under the command line
 * @cfg:	configuration from the command line, config_path, args_given
 *		and args_lists set
 * @env:	ephemeral port range
 * @err:	error buffer
 * @errlen:	its size
 *
 * The command line wins key by key: a slot it set keeps its value
 * (slots_won()), and the file's forwards of an option the command line
 * gave at all are left out, so "-t 9000" replaces every tcp-ports line
 * and "-t none" leaves none.  The file is still read and checked whole.
 *
 * Return: 0 or -1
 */
int config_merge_file(struct nsp_config *cfg, const struct portspec_env *env,
		      char *err, size_t errlen)
{
	struct entry_filter f = { .skip = SRC_ANY };
	struct nsp_config file;
	struct config_layer fl;
	uint32_t won;
	int slot, ret = 0;

	if (config_layer_read(cfg->config_path, env, &file, &fl, err, errlen))
		return -1;
	won = slots_won(cfg, &fl);
	for (slot = 0; slot < SLOT_COUNT && !ret; slot++) {
		if (!fl.line[slot] || (won & (1U << slot)))
			continue;
		if (slot_copy(cfg, &file, (enum config_slot)slot))
			ret = errfmt(err, errlen, "out of memory");
		_Static_assert((int)SLOT_TARGET == (int)WHERE_TARGET &&
			       (int)SLOT_USERNS == (int)WHERE_USERNS &&
			       (int)SLOT_PID_FILE == (int)WHERE_PID_FILE,
			       "config_where() reads slots by their number");
		if (slot < WHERE_COUNT)
			cfg->file_line[slot] = fl.line[slot];
	}
	f.drop_opts = cfg->args_lists;
	if (!ret)
		ret = append_entries(cfg, &file, &f, err, errlen);
	config_pp_take(cfg, &file);
	config_free(&file);
	return ret;
}

/**
 * str_differs() - compare two optional strings
 * @a:		string or NULL
 * @b:		string or NULL
 *
 * Return: true unless both are NULL or both are the same text
 */
static bool str_differs(const char *a, const char *b)
{
	if (!a || !b)
		return a != b;
	return strcmp(a, b) != 0;
}

/**
 * slot_differs() - does a setting differ between two configurations
 * @a:		configuration
 * @b:		configuration
 * @slot:	enum config_slot
 *
 * Return: true if the value differs
 */
static bool slot_differs(const struct nsp_config *a,
			 const struct nsp_config *b, enum config_slot slot)
{
	switch (slot) {
	case SLOT_TARGET:
		return a->target != b->target || a->pid != b->pid ||
		       str_differs(a->netns_path, b->netns_path);
	case SLOT_USERNS:
		return str_differs(a->userns_path, b->userns_path);
	case SLOT_PID_FILE:
		return str_differs(a->pid_file, b->pid_file);
	case SLOT_CONTROL:
		return str_differs(a->control_path, b->control_path);
	case SLOT_RUNAS:
		return a->runas_given != b->runas_given ||
		       (a->runas_given &&
			str_differs(a->runas_name, b->runas_name));
	case SLOT_SANDBOX:
		return a->sandbox != b->sandbox;
	case SLOT_MAX_CONNS:
		return a->max_conns != b->max_conns;
	case SLOT_IDLE_TIMEOUT:
		return a->idle_timeout != b->idle_timeout;
	case SLOT_UDP_TIMEOUT:
		return a->udp_timeout != b->udp_timeout;
	case SLOT_BUSY_POLL:
		return a->busy_poll_us != b->busy_poll_us;
	case SLOT_KEEPALIVE:
		return a->ka_idle != b->ka_idle || a->ka_intvl != b->ka_intvl ||
		       a->ka_cnt != b->ka_cnt;
	case SLOT_LOG_LEVEL:
		return a->log_level != b->log_level;
	case SLOT_SYSLOG:
		return a->use_syslog != b->use_syslog;
	case SLOT_NONE:
	case SLOT_COUNT:
		break;
	}
	return false;
}

/**
 * reload_check() - would the file still start nsplice with this command line
 * @running:	configuration in use
 * @file:	the new file's layer configuration
 * @fl:		what the new file set
 * @err:	error buffer
 * @errlen:	its size
 *
 * Settings are not applied by a reload, but a file that the next start
 * would refuse is refused now: no target at all, or userns without netns,
 * after the command line has won its slots as at start.
 *
 * Return: 0 or -1
 */
static int reload_check(const struct nsp_config *running,
			const struct nsp_config *file,
			const struct config_layer *fl, char *err,
			size_t errlen)
{
	bool args_target = running->args_given & (1U << SLOT_TARGET);
	bool args_userns = running->args_given & (1U << SLOT_USERNS);
	uint32_t won = slots_won(running, fl);
	const char *userns = file->userns_path;
	int target;

	if (!args_target && !fl->line[SLOT_TARGET])
		return errfmt(err, errlen, "%s: missing target: expected netns "
			      "or pid in the file, as when nsplice started",
			      fl->name);
	target = args_target ? (int)running->target : (int)file->target;
	if (won & (1U << SLOT_USERNS))
		userns = args_userns ? running->userns_path : NULL;
	if (userns && target != TARGET_NETNS)
		return errfmt(err, errlen, "%s: userns \"%s\": only valid with "
			      "netns", fl->name, userns);
	return 0;
}

/**
 * reload_warn() - log each setting the new file changes, not applied
 * @running:	configuration in use
 * @file:	the new file's layer configuration, its control default set
 * @fl:		what the new file set
 *
 * A setting the command line holds is not the file's to change.  One the
 * new file leaves out goes back to its default, which is a change too.
 */
static void reload_warn(const struct nsp_config *running,
			const struct nsp_config *file,
			const struct config_layer *fl)
{
	uint32_t won = slots_won(running, fl);
	int slot;

	for (slot = 0; slot < SLOT_COUNT; slot++) {
		if ((won & (1U << slot)) ||
		    !slot_differs(running, file, (enum config_slot)slot))
			continue;
		if (fl->line[slot])
			nwarn("%s:%u: %s changed: takes effect at the next "
			      "start", fl->name, fl->line[slot], fl->key[slot]);
		else
			nwarn("%s: %s changed: takes effect at the next start",
			      fl->name, slot_names[slot]);
	}
}

/**
 * config_reload() - the running configuration with the file read again
 * @running:	configuration in use; not modified
 * @fresh:	filled on success, owning all its memory; empty on failure
 * @err:	error line on failure
 * @errlen:	its size
 *
 * Forwards and auto rules of the command line and the control socket are
 * kept, those of the previous file replaced by the file's, leaving out as
 * at start the file's lines for an option the command line gave; every
 * other setting is the running one (see reload_warn()).
 *
 * Return: 0 or -1
 */
int config_reload(const struct nsp_config *running, struct nsp_config *fresh,
		  char *err, size_t errlen)
{
	struct entry_filter f = {
		.skip = SRC_ANY, .drop_opts = running->args_lists,
	};
	struct portspec_env env;
	struct config_layer fl;
	struct nsp_config file;
	struct pp_lost lost = { 0 };
	int ret;

	memset(fresh, 0, sizeof(*fresh));
	if (!running->config_path)
		return errfmt(err, errlen, "reload: no config file: expected "
			      "nsplice started with -c FILE");
	portspec_env_read(&env);
	if (config_layer_read(running->config_path, &env, &file, &fl, err,
			      errlen))
		return -1;
	ret = reload_check(running, &file, &fl, err, errlen);
	if (!ret)
		ret = config_control_default(&file, running->config_path, err,
					     errlen);
	if (!ret)
		ret = config_clone(fresh, running, false, err, errlen);
	if (!ret) {
		drop_ctl_twins(fresh, &file, &lost);
		ret = append_entries(fresh, &file, &f, err, errlen);
	}
	if (!ret) {
		config_pp_take(fresh, &file);
		ret = config_check(fresh, err, errlen);
	}
	if (!ret && !fresh->pp_args)
		ret = config_pp_check(fresh, err, errlen);
	if (!ret)
		reload_warn(running, &file, &fl);
	if (!ret && lost.spec)
		nwarn("%s: -%c \"%s\", added by nsplice ctl with "
		      "--proxy-protocol, is now the file's, which sends no "
		      "PROXY header on port %u: list it in proxy-protocol to "
		      "keep the header", running->config_path, lost.opt,
		      lost.spec, lost.port);
	config_free(&file);
	if (ret)
		config_free(fresh);
	return ret;
}
