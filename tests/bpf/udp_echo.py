# SPDX-License-Identifier: GPL-2.0
"""UDP echo for the namespace tests (the hosts have no ping binary).

  udp_echo.py server PORT SECONDS      echo every datagram back until SECONDS pass
  udp_echo.py tcpserver PORT SECONDS / tcpclient ADDR PORT BYTES
                                       one TCP transfer, the server answers the count
                                       (the servers print "ready" once bound)
  udp_echo.py client ADDR PORT COUNT SIZE [dontfrag]
                                       send COUNT datagrams of SIZE octets, one at a
                                       time, print "received N" (and "emsgsize N")
"""
import socket
import sys
import time


def server(port, seconds):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::", port))
    print("ready", flush=True)
    end = time.time() + seconds
    while time.time() < end:
        s.settimeout(max(0.05, end - time.time()))
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            continue
        s.sendto(data, peer)


def client(addr, port, count, size, dontfrag):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    if dontfrag:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DONTFRAG, 1)
        s.setsockopt(socket.IPPROTO_IPV6, 23, 2)  # IPV6_MTU_DISCOVER = IPV6_PMTUDISC_DO
    s.settimeout(0.5)
    got = emsg = 0
    for i in range(count):
        payload = (b"%08d" % i) * (size // 8 + 1)
        try:
            s.sendto(payload[:size], (addr, port))
        except OSError as e:
            if e.errno == 90:  # EMSGSIZE: the path MTU learned from a PTB
                emsg += 1
                continue
            raise
        try:
            data, _ = s.recvfrom(65535)
            if data == payload[:size]:
                got += 1
        except socket.timeout:
            pass
    print(f"received {got}")
    print(f"emsgsize {emsg}")


def tcp_server(port, seconds):
    """Accept one connection, count its bytes, answer the count."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(1)
    print("ready", flush=True)
    s.settimeout(seconds)
    c, _ = s.accept()
    c.settimeout(seconds)
    n = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        n += len(d)
    c.sendall(str(n).encode())
    c.close()


def tcp_client(addr, port, nbytes):
    c = socket.create_connection((addr, port), timeout=20)
    buf = bytes(range(256)) * 256
    sent = 0
    while sent < nbytes:
        sent += c.send(buf[:min(len(buf), nbytes - sent)])
    c.shutdown(socket.SHUT_WR)
    print("server got", c.recv(64).decode())


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]), float(sys.argv[3]))
    elif sys.argv[1] == "tcpserver":
        tcp_server(int(sys.argv[2]), float(sys.argv[3]))
    elif sys.argv[1] == "tcpclient":
        tcp_client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
               len(sys.argv) > 6)
