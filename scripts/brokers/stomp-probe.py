#!/usr/bin/env python3
"""Send one STOMP CONNECT frame and check the first frame that comes back.

Usage:
  stomp-probe.py [options] ADDR
    ADDR                 host:port, or ws://host:port/path, or wss://host:port/path
    --tls                wrap the (proxied) TCP connection in TLS
    --ca FILE            CA bundle to verify the server with (TLS/wss)
    --cert FILE --key FILE   client certificate (TLS/wss)
    --socks5 H:P | --socks4 H:P | --http-proxy H:P   tunnel through a proxy
    --login L --passcode P --vhost V   (defaults: guest guest /)
    --expect CMD         frame command expected back (default CONNECTED)
    --timeout SECONDS    (default 5)
    -q                   quiet: print nothing on success

Exit status 0 when the expected frame arrived, 1 otherwise (reason on stderr).
Only the Python standard library is used.
"""
import argparse
import base64
import os
import socket
import ssl
import struct
import sys
import urllib.parse


def split_hostport(s):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by peer")
        buf += chunk
    return buf


def recv_until(sock, marker, limit=65536):
    buf = b""
    while marker not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("connection closed by peer after %r" % buf[:200])
        buf += chunk
        if len(buf) > limit:
            raise ConnectionError("no %r within %d bytes" % (marker, limit))
    return buf


def socks5_connect(sock, host, port):
    sock.sendall(b"\x05\x01\x00")
    ver, method = recv_exact(sock, 2)
    if ver != 5 or method != 0:
        raise ConnectionError("SOCKS5 server refused no-auth method (%d)" % method)
    try:
        addr = b"\x01" + socket.inet_aton(host)
    except OSError:
        addr = b"\x03" + bytes([len(host)]) + host.encode()
    sock.sendall(b"\x05\x01\x00" + addr + struct.pack(">H", port))
    head = recv_exact(sock, 4)
    if head[1] != 0:
        raise ConnectionError("SOCKS5 CONNECT failed, reply code %d" % head[1])
    atyp = head[3]
    if atyp == 1:
        recv_exact(sock, 4 + 2)
    elif atyp == 4:
        recv_exact(sock, 16 + 2)
    else:
        recv_exact(sock, recv_exact(sock, 1)[0] + 2)


def socks4_connect(sock, host, port):
    ip = socket.inet_aton(socket.gethostbyname(host))
    sock.sendall(b"\x04\x01" + struct.pack(">H", port) + ip + b"probe\x00")
    reply = recv_exact(sock, 8)
    if reply[1] != 0x5A:
        raise ConnectionError("SOCKS4 CONNECT failed, reply code 0x%02x" % reply[1])


def http_connect(sock, host, port):
    target = "%s:%d" % (host, port)
    sock.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode())
    head = recv_until(sock, b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    if b" 200 " not in status + b" ":
        raise ConnectionError("HTTP CONNECT refused: %s" % status.decode(errors="replace"))


def open_stream(args, host, port, use_tls, server_name):
    if args.socks5 or args.socks4 or args.http_proxy:
        proxy = split_hostport(args.socks5 or args.socks4 or args.http_proxy)
        sock = socket.create_connection(proxy, timeout=args.timeout)
        if args.socks5:
            socks5_connect(sock, host, port)
        elif args.socks4:
            socks4_connect(sock, host, port)
        else:
            http_connect(sock, host, port)
    else:
        sock = socket.create_connection((host, port), timeout=args.timeout)
    if use_tls:
        ctx = ssl.create_default_context(cafile=args.ca) if args.ca else ssl.create_default_context()
        if args.cert:
            ctx.load_cert_chain(args.cert, args.key)
        sock = ctx.wrap_socket(sock, server_hostname=server_name)
    return sock


def ws_handshake(sock, hostport, path):
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((
        "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: v12.stomp, v11.stomp, v10.stomp\r\n\r\n" % (path, hostport, key)
    ).encode())
    head = recv_until(sock, b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    if b" 101 " not in status:
        raise ConnectionError("WebSocket upgrade refused: %s" % status.decode(errors="replace"))
    return head.split(b"\r\n\r\n", 1)[1]


def ws_send(sock, payload):
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = struct.pack(">BB", 0x81, 0x80 | n)
    elif n < 65536:
        head = struct.pack(">BBH", 0x81, 0x80 | 126, n)
    else:
        head = struct.pack(">BBQ", 0x81, 0x80 | 127, n)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(head + mask + body)


class Prefixed:
    """A socket whose first bytes were already read."""

    def __init__(self, sock, prefix):
        self.sock, self.prefix = sock, prefix

    def recv(self, n):
        if self.prefix:
            out, self.prefix = self.prefix[:n], self.prefix[n:]
            return out
        return self.sock.recv(n)


def ws_recv(sock):
    b1, b2 = recv_exact(sock, 2)
    n = b2 & 0x7F
    if n == 126:
        n = struct.unpack(">H", recv_exact(sock, 2))[0]
    elif n == 127:
        n = struct.unpack(">Q", recv_exact(sock, 8))[0]
    mask = recv_exact(sock, 4) if b2 & 0x80 else None
    data = recv_exact(sock, n)
    if mask:
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    if b1 & 0x0F == 0x8:
        raise ConnectionError("WebSocket closed by server: %r" % data)
    return data


def main():
    p = argparse.ArgumentParser(description="STOMP CONNECT probe")
    p.add_argument("addr")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--ca")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--server-name", default="localhost")
    proxy = p.add_mutually_exclusive_group()
    proxy.add_argument("--socks5")
    proxy.add_argument("--socks4")
    proxy.add_argument("--http-proxy")
    p.add_argument("--login", default="guest")
    p.add_argument("--passcode", default="guest")
    p.add_argument("--vhost", default="/")
    p.add_argument("--expect", default="CONNECTED")
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("-q", action="store_true")
    args = p.parse_args()

    frame = "CONNECT\naccept-version:1.2\nhost:%s\n" % args.vhost
    if args.login:
        frame += "login:%s\npasscode:%s\n" % (args.login, args.passcode)
    frame = (frame + "\n").encode() + b"\0"

    try:
        if "://" in args.addr:
            url = urllib.parse.urlsplit(args.addr)
            use_tls = url.scheme == "wss"
            sock = open_stream(args, url.hostname, url.port, use_tls, args.server_name)
            rest = ws_handshake(sock, url.netloc, url.path or "/")
            sock = Prefixed(sock, rest)
            ws_send(sock.sock, frame)
            reply = ws_recv(sock)
            while reply in (b"\n", b"\r\n", b""):  # heart-beats
                reply = ws_recv(sock)
        else:
            host, port = split_hostport(args.addr)
            sock = open_stream(args, host, port, args.tls, args.server_name)
            sock.sendall(frame)
            reply = recv_until(sock, b"\0").lstrip(b"\r\n")
    except (OSError, ConnectionError, ValueError) as e:
        print("stomp-probe %s: %s" % (args.addr, e), file=sys.stderr)
        return 1

    command = reply.split(b"\n", 1)[0].strip().decode(errors="replace")
    if command != args.expect:
        print("stomp-probe %s: got %r, want %s" % (args.addr, reply[:300], args.expect), file=sys.stderr)
        return 1
    if not args.q:
        print("stomp-probe %s: %s" % (args.addr, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
