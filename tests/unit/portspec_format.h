/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * portspec_format.h - print a parsed port spec back in pasta's syntax
 *
 * DOC: Theory of Operation
 *
 * See portspec_format.c: a test helper, not part of nsplice.
 */
#ifndef NSPLICE_TESTS_PORTSPEC_FORMAT_H
#define NSPLICE_TESTS_PORTSPEC_FORMAT_H

#include <stddef.h>

#include "supervisor/config/portspec.h"

int portspec_format(const struct portspec *ps, char *buf, size_t len);

#endif /* NSPLICE_TESTS_PORTSPEC_FORMAT_H */
