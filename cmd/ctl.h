/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl.h - `nsplice ctl`: the control socket's command-line client
 *
 * DOC: Theory of Operation
 *
 * main() hands argv here, shifted so that argv[0] is "ctl", when the first
 * argument is "ctl".  The client turns its arguments into one request line
 * of the protocol in supervisor/ctlproto.h, checks it with the server's own
 * parser, sends it and prints the answer: the report or nothing on
 * stdout for "ok", the message on stderr for "error: ...".
 */
#ifndef NSPLICE_CTL_H
#define NSPLICE_CTL_H

int ctl_main(int argc, char **argv);

#endif /* NSPLICE_CTL_H */
