"""Ports for the servers tests start in a thread: bound before the server starts.

A port probed free and then closed can be taken by another test worker before the server
binds it; a socket bound here and handed to uvicorn (`server.run(sockets=[...])`) cannot.
"""

from __future__ import annotations

import socket


def listening_socket() -> socket.socket:
    """A TCP socket on 127.0.0.1, on a port the kernel chose free, already bound."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def port_of(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])
