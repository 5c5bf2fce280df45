#!/usr/bin/env python3
"""edge.py - hostile clients for tests/e2e/edge.bats, over real sockets.

  edge.py trickle PORT N SRC SECONDS
      N connections from source address SRC, each sending a request's
      headers one byte a second for SECONDS; prints how many the server
      still held open at the end (a slowloris).
  edge.py silent PORT
      one connection that sends half a request line and goes quiet;
      prints the seconds until the server closed it.
  edge.py bodies PORT N TOKEN BYTES PID
      N connections each declaring a BYTES body to POST /v1/applications
      and sending all of it but its last byte, held open; prints
      "held=H refused503=R rss_kb=K" with the server's VmRSS (pid PID)
      while they are held.
  edge.py raw PORT HEX
      sends the bytes HEX, prints the answer's status and whether the
      server closed the connection ("400 closed").
"""
import socket
import sys
import time


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def connect(port, src=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def is_open(s):
    """True while the server has not closed s (no EOF, no reset)."""
    s.setblocking(False)
    try:
        data = s.recv(4096)
        return data != b"" and not data.startswith(b"HTTP/")
    except BlockingIOError:
        return True
    except OSError:
        return False


def trickle(port, n, src, seconds):
    head = b"GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 400
    conns = []
    for _ in range(n):
        try:
            conns.append(connect(port, src))
        except OSError:
            pass
    t0 = time.time()
    i = 0
    while time.time() - t0 < seconds:
        for s in conns:
            try:
                s.send(head[i:i + 1])
            except OSError:
                pass
        i += 1
        time.sleep(1)
    print(sum(1 for s in conns if is_open(s)))


def silent(port):
    s = connect(port)
    s.sendall(b"GET /v1/me HT")
    t0 = time.time()
    s.settimeout(60)
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    print(f"{time.time() - t0:.1f}")


def bodies(port, n, token, size, pid):
    head = (f"POST /v1/applications HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    chunk = b" " * 65536
    conns = []
    for _ in range(n):
        s = connect(port)
        s.sendall(head)
        conns.append(s)
    held = refused = 0
    for s in conns:
        left = size - 1
        s.settimeout(5)
        try:
            while left > 0:
                k = min(left, len(chunk))
                s.sendall(chunk[:k])
                left -= k
        except OSError:
            pass
    time.sleep(1)
    for s in conns:
        s.setblocking(False)
        try:
            data = s.recv(4096)
        except BlockingIOError:
            held += 1
            continue
        except OSError:
            data = b""
        if data.startswith(b"HTTP/1.1 503"):
            refused += 1
    print(f"held={held} refused503={refused} rss_kb={rss_kb(pid)}")
    for s in conns:
        s.close()


def raw(port, hexbytes):
    s = connect(port)
    s.sendall(bytes.fromhex(hexbytes))
    s.settimeout(5)
    data = b""
    closed = False
    try:
        while True:
            d = s.recv(65536)
            if not d:
                closed = True
                break
            data += d
    except socket.timeout:
        pass
    except OSError:
        closed = True
    status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "none"
    print(status, "closed" if closed else "open")


def main():
    a = sys.argv[1:]
    if a[0] == "trickle":
        trickle(int(a[1]), int(a[2]), a[3], float(a[4]))
    elif a[0] == "silent":
        silent(int(a[1]))
    elif a[0] == "bodies":
        bodies(int(a[1]), int(a[2]), a[3], int(a[4]), int(a[5]))
    elif a[0] == "raw":
        raw(int(a[1]), a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
