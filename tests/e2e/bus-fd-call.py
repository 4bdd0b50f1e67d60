#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Calls org.agentvisor1.Manager.ListAgents with an fd attached (signature
# "h"), speaking D-Bus on the socket itself: busctl cannot attach fds to a
# call, and the test machines have no python D-Bus binding.
#
# usage: bus-fd-call.py ADDRESS reply   attaches /dev/null, prints the reply:
#                                       "error NAME MESSAGE" or "return"
#        bus-fd-call.py ADDRESS pipe    attaches the write end of a pipe to a
#                                       call that expects no reply, drops its
#                                       own copy and prints "dropped" once no
#                                       copy is left anywhere (within 3 s),
#                                       else "held"
import array
import os
import re
import select
import socket
import struct
import sys


def align(buf, n):
    return buf + b"\0" * (-len(buf) % n)


def header_field(buf, code, sig, value):
    buf = align(buf, 8) + bytes([code, 1]) + sig.encode() + b"\0"
    if sig in "so":
        data = value.encode()
        return align(buf, 4) + struct.pack("<I", len(data)) + data + b"\0"
    if sig == "g":
        return buf + bytes([len(value)]) + value.encode() + b"\0"
    return align(buf, 4) + struct.pack("<I", value)


def message(serial, flags, dest, path, iface, member, sig="", body=b"", nfds=0):
    fields = b""
    fields = header_field(fields, 1, "o", path)
    fields = header_field(fields, 2, "s", iface)
    fields = header_field(fields, 3, "s", member)
    fields = header_field(fields, 6, "s", dest)
    if sig:
        fields = header_field(fields, 8, "g", sig)
    if nfds:
        fields = header_field(fields, 9, "u", nfds)
    head = struct.pack("<cBBBIII", b"l", 1, flags, 1, len(body), serial, len(fields)) + fields
    return align(head, 8) + body


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise SystemExit("the bus closed the connection")
        data += chunk
    return data


def read_message(sock):
    fixed = read_exact(sock, 16)
    _, mtype, _, _, body_len, _, fields_len = struct.unpack("<cBBBIII", fixed)
    rest = read_exact(sock, fields_len + (-(16 + fields_len) % 8) + body_len)
    return mtype, fixed + rest


def connect(address):
    m = re.search(r"unix:path=([^,;]+)", address)
    if not m:
        raise SystemExit(f"not a unix:path= address: {address}")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(m.group(1))
    sock.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
    if not sock.recv(4096).startswith(b"OK "):
        raise SystemExit("the bus refused EXTERNAL authentication")
    sock.sendall(b"NEGOTIATE_UNIX_FD\r\n")
    if not sock.recv(4096).startswith(b"AGREE_UNIX_FD"):
        raise SystemExit("the bus does not pass fds")
    sock.sendall(b"BEGIN\r\n")
    sock.sendall(message(1, 0, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello"))
    while read_message(sock)[0] not in (2, 3):
        pass
    return sock


def send_with_fd(sock, fd, flags):
    msg = message(2, flags, "org.agentvisor1", "/org/agentvisor1", "org.agentvisor1.Manager", "ListAgents",
                  "h", struct.pack("<I", 0), 1)
    sock.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("reply", "pipe"):
        raise SystemExit(__doc__ or "usage: bus-fd-call.py ADDRESS reply|pipe")
    sock = connect(sys.argv[1])
    if sys.argv[2] == "reply":
        fd = os.open("/dev/null", os.O_RDONLY)
        send_with_fd(sock, fd, 0)
        os.close(fd)
        for _ in range(100):
            mtype, data = read_message(sock)
            if mtype == 2:
                print("return")
                return
            if mtype == 3:
                names = re.findall(rb"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+){2,}", data)
                text = re.findall(rb"[ -~]{12,}", data)
                print("error", names[0].decode() if names else "?", text[-1].decode() if text else "")
                return
        raise SystemExit("no reply among 100 messages")
    r, w = os.pipe()
    send_with_fd(sock, w, 1)  # NO_REPLY_EXPECTED
    os.close(w)
    p = select.poll()
    p.register(r, select.POLLIN)
    print("dropped" if p.poll(3000) else "held")


main()
