// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * clock.c - the one monotonic clock of every role, in ms (and us)
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

/**
 * clock_us() - CLOCK_MONOTONIC in microseconds
 *
 * For the relay's --busy-poll window, which a millisecond cannot measure.
 *
 * Return: microseconds since the same start as clock_ms(), never going back
 */
int64_t clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * CLOCK_US_PER_S +
	       ts.tv_nsec / CLOCK_NS_PER_US;
}
