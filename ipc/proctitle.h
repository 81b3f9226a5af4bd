/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proctitle.h - the process title every nsplice process shows in ps
 *
 * DOC: Theory of Operation
 *
 * See proctitle.c.
 */
#ifndef NSPLICE_PROCTITLE_H
#define NSPLICE_PROCTITLE_H

void proctitle_init(int argc, char **argv, char **envp);
void proctitle_set(const char *title);

#endif /* NSPLICE_PROCTITLE_H */
