#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# demo-server.py - the service inside the demo's namespace (demo.sh)
#
# One process serves the current directory over HTTP on 127.0.0.1:PORT
# (TCP) and echoes datagrams on 127.0.0.1:PORT (UDP), so that nsplice's
# COMMAND is a single process: when nsplice stops it, nothing is left in
# the namespace.  Both servers bind the namespace's loopback only; the
# host reaches them through nsplice's -t and -u forwards alone.
import http.server
import signal
import socket
import sys
import threading


def udp_echo(sock):
    """Send every datagram back to where it came from, unchanged."""
    while True:
        data, peer = sock.recvfrom(65535)
        sock.sendto(data, peer)


def main():
    port = int(sys.argv[1])
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    threading.Thread(target=udp_echo, args=(udp,), daemon=True).start()
    # SIGTERM from nsplice: end at once, quietly (exit status 0).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), http.server.SimpleHTTPRequestHandler
    ).serve_forever()


if __name__ == "__main__":
    main()
