// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * replay.c - run a fuzz target over saved inputs, without libFuzzer
 *
 * DOC: Theory of Operation
 *
 * libFuzzer needs clang; the corpus should be checked by every build.  This
 * is the smallest driver that does it: every argument is a file or a
 * directory, every regular file in a directory (not recursing, in name
 * order, so runs are repeatable) is read into a buffer of exactly its size,
 * as libFuzzer does, so a sanitizer build catches a read past the end, and
 * handed to LLVMFuzzerTestOneInput().  LLVMFuzzerInitialize() runs first if
 * the target defines one.
 *
 * A broken property aborts inside the target; a handler for the fatal
 * signals names the input that was running before the process dies with
 * the same signal (through any sanitizer's handler that was there first),
 * so the test log says which file to look at.  Anything
 * else that goes wrong (a path that cannot be read, a target that returns
 * something other than 0 or -1, no input at all) also makes the exit
 * status non-zero: an empty or missing corpus must not pass as "nothing
 * failed".  The last line is "N inputs replayed".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"

/* Optional in the target: a null address if it is not defined */
extern int LLVMFuzzerInitialize(int *argc, char ***argv)
	__attribute__((weak));

/* REPLAY_INPUT_MAX - largest input read, bytes; libFuzzer's default is 4 KiB */
#define REPLAY_INPUT_MAX	(16U * 1024U * 1024U)

/* REPLAY_PATH_MAX - longest path of one input, bytes */
#define REPLAY_PATH_MAX		4096

/* fatal_sigs - signals a failing input ends in */
static const int fatal_sigs[] = { SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };

/* current - input being run, for the fatal signal handler */
static const char *current;

/* prev - dispositions in place before catch_fatal(), by signal number */
static struct sigaction prev[NSIG];

/**
 * say() - write a string to stderr from a signal handler
 * @s:		NUL-terminated text
 */
static void say(const char *s)
{
	if (write(STDERR_FILENO, s, strlen(s)) < 0) {
		/* Nowhere left to report it */
	}
}

/**
 * on_fatal() - name the input that was running, then let the signal go on
 * @sig:	one of fatal_sigs[]
 *
 * The previous disposition is put back and the handler returns: a fault
 * happens again at the same instruction and reaches the sanitizer's
 * handler (or the default action), and abort() raises SIGABRT again with
 * the default action after a handler returns.  So a sanitizer build still
 * prints its own report, after the input's name.
 */
static void on_fatal(int sig)
{
	say("replay: input failed: ");
	say(current ? current : "(none)");
	say("\n");
	sigaction(sig, &prev[sig], NULL);
}

/**
 * catch_fatal() - install on_fatal() for the signals a failure ends in
 */
static void catch_fatal(void)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++)
		sigaction(fatal_sigs[i], &sa, &prev[fatal_sigs[i]]);
}

/**
 * read_input() - read a whole file into a buffer of exactly its size
 * @path:	file
 * @size:	set to its size
 *
 * Return: the buffer (malloc(), at least one byte), or NULL on error
 */
static uint8_t *read_input(const char *path, size_t *size)
{
	uint8_t *buf = NULL;
	struct stat st;
	size_t n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || st.st_size < 0 ||
	    (size_t)st.st_size > REPLAY_INPUT_MAX)
		goto out;
	/* An empty input is a valid input: keep a non-NULL pointer */
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	while (buf && n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			buf = NULL;
			break;
		}
		n += (size_t)r;
	}
	*size = n;
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

/**
 * replay_file() - run the target over one file
 * @path:	file
 *
 * Return: 0 if the target accepted it (returned 0 or -1), -1 otherwise
 */
static int replay_file(const char *path)
{
	uint8_t *buf;
	size_t size;
	int rc;

	buf = read_input(path, &size);
	if (!buf) {
		fprintf(stderr, "replay: cannot read %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	current = path;
	rc = LLVMFuzzerTestOneInput(buf, size);
	current = NULL;
	free(buf);
	if (rc != 0 && rc != -1) {
		fprintf(stderr, "replay: %s: target returned %d\n", path, rc);
		return -1;
	}
	return 0;
}

/**
 * is_input() - tell whether a directory entry may be an input
 * @d:		entry
 *
 * Return: false for ".", "..", hidden files and editor leftovers ("~")
 */
static int is_input(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len && d->d_name[len - 1] != '~';
}

/**
 * replay_dir() - run the target over every regular file of a directory
 * @dir:	directory
 * @count:	incremented for every input run
 *
 * Return: number of failures (an unreadable directory is one)
 */
static unsigned replay_dir(const char *dir, unsigned *count)
{
	struct dirent **names;
	unsigned failed = 0;
	int n, i;

	n = scandir(dir, &names, is_input, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: cannot list %s: %s\n", dir,
			strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		char path[REPLAY_PATH_MAX];
		struct stat st;

		if (snprintf(path, sizeof(path), "%s/%s", dir,
			     names[i]->d_name) >= (int)sizeof(path)) {
			fprintf(stderr, "replay: path too long in %s\n", dir);
			failed++;
		} else if (!stat(path, &st) && S_ISREG(st.st_mode)) {
			failed += replay_file(path) ? 1 : 0;
			(*count)++;
		}
		free(names[i]);
	}
	free(names);
	return failed;
}

/**
 * main() - replay every file and directory named on the command line
 * @argc:	argument count
 * @argv:	files and directories of inputs
 *
 * Return: 0 if at least one input ran and none failed, 1 otherwise
 */
int main(int argc, char **argv)
{
	unsigned count = 0, failed = 0;
	struct stat st;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 1;
	}
	catch_fatal();
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st)) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
				strerror(errno));
			failed++;
		} else if (S_ISDIR(st.st_mode)) {
			failed += replay_dir(argv[i], &count);
		} else {
			failed += replay_file(argv[i]) ? 1 : 0;
			count++;
		}
	}
	printf("%u inputs replayed\n", count);
	if (!count)
		fprintf(stderr, "replay: no inputs found\n");
	if (failed)
		fprintf(stderr, "replay: %u failures\n", failed);
	return count && !failed ? 0 : 1;
}
