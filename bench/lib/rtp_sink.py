#!/usr/bin/env python3
"""The caller's RTP port in bench/media-load.sh: sipp sends RTP (play_pcap_audio) but binds
no socket on its media port unless it echoes, so the PBX's audio would hit a closed port.
This receives it there, as a phone would, and counts it.

  rtp_sink.py PORT      (binds 127.0.0.1:PORT; on SIGTERM prints "rtp_received=N bytes=B")
"""
import signal
import socket
import sys


def main() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(("127.0.0.1", int(sys.argv[1])))
    packets = 0
    octets = 0

    def report(_signum, _frame):
        print(f"rtp_received={packets} bytes={octets}", flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, report)
    buf = bytearray(2048)
    while True:
        n = sock.recv_into(buf)
        packets += 1
        octets += n


if __name__ == "__main__":
    main()
