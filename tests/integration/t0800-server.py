#!/usr/bin/env python3
"""Misbehaving HTTPS servers for the t08xx fault tests (loopback only).

usage: t0800-server.py MODE CERT KEY PORTFILE
  silent   accept, complete TLS, read the request, never answer
  huge     answer every request 200 with a 100 MiB JSON body
  ok       answer every request 200 {"ok":true} (for certificate tests,
           where the client must refuse before sending anything)
Writes the port to PORTFILE once listening and appends one line per
request received to PORTFILE.requests; runs until killed.
"""
import socket
import ssl
import sys
import threading
import time

mode, cert, key, portfile = sys.argv[1:5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(16)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os
os.rename(portfile + ".tmp", portfile)
held = []


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return False
        data += chunk
    return True


def serve(raw):
    try:
        conn = ctx.wrap_socket(raw, server_side=True)
    except (ssl.SSLError, OSError):
        raw.close()
        return
    try:
        while read_request(conn):
            with open(portfile + ".requests", "a") as f:
                f.write("request\n")
            if mode == "silent":
                held.append(conn)
                while True:
                    time.sleep(60)
            if mode == "huge":
                size = 100 * 1024 * 1024
                head = b'{"customers":[],"meta":{"total_pages":1},"pad":"'
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n" % size)
                conn.sendall(head)
                left = size - len(head) - 2
                block = b"x" * 65536
                while left > 0:
                    n = min(left, len(block))
                    conn.sendall(block[:n])
                    left -= n
                conn.sendall(b'"}')
            else:
                body = b'{"ok":true}'
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    except (ssl.SSLError, OSError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
