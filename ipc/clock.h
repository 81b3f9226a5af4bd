/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * clock.h - the one monotonic clock of every role, in ms (and us)
 *
 * DOC: Theory of Operation
 *
 * Deadlines, timeouts, restart back-off, idle sweeps and stats ages are all
 * differences between two readings of CLOCK_MONOTONIC, never wall-clock
 * times: a clock that steps with settimeofday() or NTP would fire them
 * early or late.  Each role used to keep its own copy with its own return
 * type; clock_ms() is the one they share.  It is signed so that "deadline
 * minus now" is negative once the deadline has passed, and 64-bit so that
 * it cannot wrap in the lifetime of a machine.
 *
 * Syscalls: clock_gettime(CLOCK_MONOTONIC), which the vDSO usually answers
 * without entering the kernel; every seccomp filter allows it.
 */
#ifndef NSPLICE_CLOCK_H
#define NSPLICE_CLOCK_H

#include <stdint.h>

/* CLOCK_MS_PER_S, CLOCK_NS_PER_MS, CLOCK_US_PER_S, CLOCK_NS_PER_US -
 * time unit conversions */
#define CLOCK_MS_PER_S		1000
#define CLOCK_NS_PER_MS		1000000
#define CLOCK_US_PER_S		1000000
#define CLOCK_NS_PER_US		1000

int64_t clock_ms(void);
int64_t clock_us(void);

#endif /* NSPLICE_CLOCK_H */
