// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * clock.c - the one monotonic millisecond clock of every role
 *
 * DOC: Theory of Operation
 *
 * See clock.h.  clock_gettime() cannot fail for CLOCK_MONOTONIC with a
 * valid pointer, so there is no error to report.
 *
 * Syscalls: clock_gettime(CLOCK_MONOTONIC).
 */
#include <time.h>

#include "ipc/clock.h"

/**
 * clock_ms() - CLOCK_MONOTONIC in milliseconds
 *
 * Return: milliseconds since an arbitrary start, never going back
 */
int64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * CLOCK_MS_PER_S +
	       ts.tv_nsec / CLOCK_NS_PER_MS;
}
