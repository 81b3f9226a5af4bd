/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz.h - what every fuzz target and the replay driver share
 *
 * DOC: Theory of Operation
 *
 * A fuzz target is one file, fuzz_NAME.c, that defines the libFuzzer entry
 * point LLVMFuzzerTestOneInput() and, if it needs set-up done once per
 * process, LLVMFuzzerInitialize().  The same file links either with
 * libFuzzer (clang -fsanitize=fuzzer, see run-fuzzer.sh) or with replay.c
 * (any compiler, see CMakeLists.txt), so the committed corpus is replayed
 * by every ordinary build and the fuzzer itself only runs where clang is.
 *
 * A target reports a broken property by calling abort() through
 * FUZZ_CHECK(): libFuzzer turns that into a crash report and a reproducer
 * file, and the replay driver into a non-zero exit naming the input.
 * Targets never print anything for an input that passes, so a fuzzer can
 * run at full speed.
 */
#ifndef NSPLICE_FUZZ_H
#define NSPLICE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/**
 * fuzz_violation() - report a broken property and abort
 * @file:	source file of the check
 * @line:	line of the check
 * @cond:	the condition that was false, as text
 * @what:	the property, in words
 */
__attribute__((noreturn))
static inline void fuzz_violation(const char *file, int line,
				  const char *cond, const char *what)
{
	fprintf(stderr, "%s:%d: property violated: %s (%s)\n", file, line,
		what, cond);
	fflush(stderr);
	abort();
}

/* FUZZ_CHECK() - abort with a message naming @what unless @cond holds */
#define FUZZ_CHECK(cond, what)						\
	do {								\
		if (!(cond))						\
			fuzz_violation(__FILE__, __LINE__, #cond, what);\
	} while (0)

#endif /* NSPLICE_FUZZ_H */
