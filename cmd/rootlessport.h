/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rootlessport.h - nsplice as podman's rootlessport helper
 *
 * DOC: Theory of Operation
 *
 * cmd/main.c calls rootlessport_main() when nsplice runs under the name
 * "rootlessport" (see rootlessport.c).
 */
#ifndef NSPLICE_ROOTLESSPORT_H
#define NSPLICE_ROOTLESSPORT_H

int rootlessport_main(int argc, char **argv);

#endif /* NSPLICE_ROOTLESSPORT_H */
