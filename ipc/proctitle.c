// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * proctitle.c - the process title every nsplice process shows in ps
 *
 * DOC: Theory of Operation
 *
 * Every role names itself ("nsplice: relay") so that ps and the tests
 * can tell the processes of one binary apart.  main() calls
 * proctitle_init() once, before libbsd's setproctitle_init() moves the
 * environment away, to note the memory the kernel reports as the
 * command line; proctitle_set() then writes a title there.  It lives here
 * because the supervisor, the spawner and every child use it.
 */
#include <string.h>

#include "ipc/proctitle.h"

/*
 * title_base, title_argend, title_end - the process title's memory: the
 * original argument strings, from argv[0] to the end of the last argument
 * (the kernel's arg_end), followed by the environment strings that
 * setproctitle_init() has copied elsewhere, up to @title_end
 */
static char *title_base, *title_argend, *title_end;

/**
 * proctitle_init() - find the memory the process title may use
 * @argc:	argument count
 * @argv:	the original arguments, before setproctitle_init()
 * @envp:	the original environment, before setproctitle_init()
 *
 * Only strings that follow each other without a gap are used: that is
 * how the kernel lays them out, and anything else is not ours to write.
 */
void proctitle_init(int argc, char **argv, char **envp)
{
	char *end;
	int i;

	if (argc < 1 || !argv[0])
		return;
	end = argv[0] + strlen(argv[0]) + 1;
	for (i = 1; i < argc && argv[i] == end; i++)
		end += strlen(argv[i]) + 1;
	if (i < argc)
		return;		/* not laid out as the kernel does */
	title_base = argv[0];
	title_argend = end;
	for (i = 0; envp && envp[i] == end; i++)
		end += strlen(envp[i]) + 1;
	title_end = end;
}

/**
 * proctitle_set() - show @title as the whole command line in ps and
 *		     /proc/PID/cmdline
 * @title:	title, e.g. "nsplice: relay"
 *
 * libbsd's setproctitle() marks the end of the old argv[0] with a '.' so
 * that the kernel reports a title longer than the arguments, and that dot
 * shows after a shorter title ("nsplice: supervisor     .").  Instead the
 * title and NULs fill the whole area, and the last byte of the arguments
 * (the kernel's arg_end - 1) is made non-NUL whenever the title ends
 * before it: the kernel then reports the arguments only up to their first
 * NUL (get_mm_proctitle()), which is exactly the title.  A title longer
 * than the arguments runs into the environment's area and covers that
 * byte itself; one longer than both is cut.
 */
void proctitle_set(const char *title)
{
	size_t room, n;

	if (!title_base)
		return;
	room = (size_t)(title_end - title_base);
	n = strnlen(title, room - 1);
	memcpy(title_base, title, n);
	memset(title_base + n, 0, room - n);
	if (title_base + n < title_argend - 1)
		title_argend[-1] = ' ';
}
