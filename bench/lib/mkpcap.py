#!/usr/bin/env python3
"""Write a pcap of G.711 u-law RTP (payload type 0, 20 ms, 160 bytes a packet) for sipp's
play_pcap_audio. sipp rewrites the addresses and ports, so they are placeholders here.
  mkpcap.py OUT.pcap [SECONDS]     (default 2.0 s = 100 packets; a 1 kHz tone)
"""
import math
import struct
import sys


def ulaw(sample: int) -> int:
    """G.711 u-law encoding of one 16-bit linear sample."""
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    sample = min(abs(sample), clip) + bias
    exponent = 7
    mask = 0x4000
    while exponent > 0 and not sample & mask:
        exponent -= 1
        mask >>= 1
    mantissa = (sample >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def main() -> None:
    out = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    packets = max(1, round(seconds / 0.02))
    tone = bytes(ulaw(int(8000 * math.sin(2 * math.pi * 1000 * n / 8000))) for n in range(160))
    src, dst = bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # Ethernet link type
        for i in range(packets):
            rtp = struct.pack("!BBHII", 0x80, 0x80 if i == 0 else 0x00, i + 1, i * 160, 0x5EB0C4A1) + tone
            udp_len = 8 + len(rtp)
            udp = struct.pack("!HHHH", 6000, 6010, udp_len, 0) + rtp
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, i & 0xFFFF, 0x4000, 64, 17, 0, src, dst)
            ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
            frame = b"\0" * 6 + b"\0\1\2\3\4\5" + b"\x08\x00" + ip + udp
            ts = i * 20000  # microseconds
            f.write(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(frame), len(frame)))
            f.write(frame)


if __name__ == "__main__":
    main()
