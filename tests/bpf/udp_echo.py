"""UDP echo for the namespace tests (the hosts have no ping binary).

  udp_echo.py server PORT SECONDS      echo every datagram back until SECONDS pass
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


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]), float(sys.argv[3]))
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
               len(sys.argv) > 6)
