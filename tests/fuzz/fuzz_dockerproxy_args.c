// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_dockerproxy_args.c - fuzz target: docker-proxy's flag parser
 *
 * DOC: Theory of Operation
 *
 * The input is a command line after the program name, its arguments
 * separated by NUL bytes, as execve() would deliver them ("-proto\0tcp\0
 * -host-port=80"); a trailing NUL ends the last argument, an empty piece
 * is an empty argument.  It goes through dp_args_parse() and then:
 *
 * - success: the protocol is tcp or udp, both ports are in 0..65535, both
 *   families are AF_INET or AF_INET6 and no message is left;
 * - -v/-version: DP_ARGS_VERSION, nothing else is promised;
 * - refusal: -1 and one message, non-empty, terminated within the buffer,
 *   on one line and terminal-safe (cleaning it with text_safe() changes
 *   nothing): the message quotes argv, which the caller controls;
 * - the parser reads argv only: the arguments are the same bytes after.
 */
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "cmd/dpargs.h"
#include "ipc/text.h"
#include "tests/fuzz/fuzz.h"

/* ARGS_MAX - arguments tried at most; the rest of the input is ignored */
#define ARGS_MAX	64

/* INPUT_MAX - bytes of input used at most */
#define INPUT_MAX	4096

/* ERR_LEN - the message buffer dockerproxy.c gives (CONFIG_ERR_MAX) */
#define ERR_LEN		512

static char buf[INPUT_MAX + 1], copy[INPUT_MAX + 1];

/**
 * split() - cut the input into NUL-terminated arguments after "docker-proxy"
 * @data:	input
 * @size:	its size, at most INPUT_MAX
 * @argv:	output, ARGS_MAX + 2 entries, NULL-terminated
 *
 * Return: argc, the program name included
 */
static int split(const uint8_t *data, size_t size, char **argv)
{
	static char prog[] = "docker-proxy";
	size_t i, start = 0;
	int argc = 1;

	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = prog;
	for (i = 0; i <= size && argc <= ARGS_MAX; i++) {
		if (buf[i])
			continue;
		if (i == size && start == size && size)
			break;	/* a trailing NUL ends the last argument */
		argv[argc++] = buf + start;
		start = i + 1;
	}
	argv[argc] = NULL;
	return argc;
}

/**
 * check_message() - a refusal's message is one terminal-safe line
 * @err:	message buffer, ERR_LEN bytes
 */
static void check_message(const char *err)
{
	char safe[ERR_LEN];
	size_t len = strnlen(err, ERR_LEN);

	FUZZ_CHECK(len > 0, "refused without a message");
	FUZZ_CHECK(len < ERR_LEN, "message not terminated");
	FUZZ_CHECK(text_safe(safe, err, len, 0, NULL) == len &&
		   !memcmp(safe, err, len),
		   "message has a byte a terminal acts on");
}

/**
 * check_args() - an accepted command line gives consistent fields
 * @a:		the result
 * @err:	message buffer
 */
static void check_args(const struct dp_args *a, const char *err)
{
	FUZZ_CHECK(!err[0], "message left after success");
	FUZZ_CHECK(a->host_port >= 0 && a->host_port <= DP_PORT_MAX,
		   "host port out of range");
	FUZZ_CHECK(a->ctr_port >= 0 && a->ctr_port <= DP_PORT_MAX,
		   "container port out of range");
	FUZZ_CHECK(a->host_af == AF_INET || a->host_af == AF_INET6,
		   "host address of unknown family");
	FUZZ_CHECK(a->ctr_af == AF_INET || a->ctr_af == AF_INET6,
		   "container address of unknown family");
}

/**
 * LLVMFuzzerTestOneInput() - run one command line through dp_args_parse()
 * @data:	input
 * @size:	its size
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[ARGS_MAX + 2], err[ERR_LEN];
	struct dp_args a;
	int argc, ret;

	if (size > INPUT_MAX)
		size = INPUT_MAX;
	argc = split(data, size, argv);
	memcpy(copy, buf, size + 1);
	memset(err, 'x', sizeof(err));
	ret = dp_args_parse(argc, argv, &a, err, sizeof(err));
	FUZZ_CHECK(!memcmp(copy, buf, size + 1), "parser wrote into argv");
	FUZZ_CHECK(ret == 0 || ret == -1 || ret == DP_ARGS_VERSION,
		   "unknown return value");
	if (ret < 0)
		check_message(err);
	else if (!ret)
		check_args(&a, err);
	return 0;
}
