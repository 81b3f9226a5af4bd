// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udpecho.c - UDP echo server for the container image of the engine tests
 *
 * DOC: Theory of Operation
 *
 * Usage: udpecho PORT
 *
 * Built with `gcc -static` and copied into the busybox image: the static
 * busybox of Debian 12 has an `nc` without a UDP server mode that answers
 * every datagram, so the UDP mapping of rootlessport (`-p H:C/udp`) needs
 * this.  One dual-stack socket ([::], V6ONLY off) bound to PORT; every
 * datagram received is sent back to its source unchanged, so a client can
 * check both the payload and the source port of the answer (the host port
 * of the mapping, if the forwarder answers from its listening socket).
 * It runs until killed (the container stops).
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* DGRAM_MAX - largest datagram echoed, bytes (the UDP payload limit) */
#define DGRAM_MAX	65535

/* PORT_MAX - highest UDP port number */
#define PORT_MAX	65535

/**
 * open_socket() - bind the dual-stack echo socket
 * @port:	UDP port to bind on [::]
 *
 * Return: the socket, exits on error.
 */
static int open_socket(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)port),
				  .sin6_addr = IN6ADDR_ANY_INIT };
	int off = 0, fd;

	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("udpecho: socket");
		exit(1);
	}
	return fd;
}

/**
 * main() - echo every datagram back to its sender, forever
 * @argc:	argument count
 * @argv:	PORT
 *
 * Return: 1 on a usage or socket error (never returns otherwise).
 */
int main(int argc, char **argv)
{
	static char buf[DGRAM_MAX];
	struct sockaddr_storage src;
	socklen_t sl;
	ssize_t n;
	int port, fd;

	port = argc == 2 ? atoi(argv[1]) : 0;
	if (port < 1 || port > PORT_MAX) {
		fprintf(stderr, "usage: udpecho PORT\n");
		return 1;
	}
	fd = open_socket(port);
	for (;;) {
		sl = sizeof(src);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src, &sl);
		if (n < 0)
			continue;
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&src, sl);
	}
}
