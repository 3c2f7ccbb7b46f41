"""Byte builders for the golden captures: link layers, tunnels, IP, transports, pcap/pcapng.

Standard library only, deterministic output (no clock, no randomness without a seed).
"""
import struct

# ---------------------------------------------------------------- checksums

def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

# ---------------------------------------------------------------- addresses

def ip4(s: str) -> bytes:
    return bytes(int(x) for x in s.split("."))


def ip6(s: str) -> bytes:
    import ipaddress
    return ipaddress.IPv6Address(s).packed


def is6(addr: str) -> bool:
    return ":" in addr

# ---------------------------------------------------------------- transports

def udp(src_ip, dst_ip, sport, dport, payload):
    length = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    pseudo = _pseudo(src_ip, dst_ip, 17, length)
    c = csum(pseudo + hdr + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, c) + payload


def tcp(src_ip, dst_ip, sport, dport, seq, ack, flags, payload=b""):
    off = 5 << 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, off, flags, 65535, 0, 0)
    pseudo = _pseudo(src_ip, dst_ip, 6, len(hdr) + len(payload))
    c = csum(pseudo + hdr + payload)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload


def sctp(sport, dport, vtag, chunks: bytes):
    hdr = struct.pack("!HHII", sport, dport, vtag, 0)
    c = crc32c(hdr + chunks)
    return struct.pack("!HHI", sport, dport, vtag) + struct.pack("<I", c) + chunks


def sctp_data(tsn, stream, ssn, ppid, data, flags=0x03):
    length = 16 + len(data)
    pad = (-length) % 4
    return struct.pack("!BBHIHHI", 0, flags, length, tsn, stream, ssn, ppid) + data + b"\0" * pad


def sctp_sack(cum_tsn):
    return struct.pack("!BBHIIHH", 3, 0, 16, cum_tsn, 65535, 0, 0)


def _pseudo(src, dst, proto, length):
    if is6(src):
        return ip6(src) + ip6(dst) + struct.pack("!IxxxB", length, proto)
    return ip4(src) + ip4(dst) + struct.pack("!xBH", proto, length)

# ---------------------------------------------------------------- IP

def ipv4(src, dst, proto, payload, ident=1, ttl=64, frag_off=0, more=False, dont_frag=False):
    flags = (0x2000 if more else 0) | (0x4000 if dont_frag else 0)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags | (frag_off // 8), ttl, proto, 0, ip4(src), ip4(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def ipv4_fragments(src, dst, proto, payload, ident, size):
    """Splits a transport payload (already including its header) into IPv4 fragments."""
    out = []
    off = 0
    while off < len(payload):
        chunk = payload[off:off + size]
        more = off + size < len(payload)
        out.append(ipv4(src, dst, proto, chunk, ident=ident, frag_off=off, more=more))
        off += size
    return out


def ipv6(src, dst, nh, payload, hop=64, ext=b""):
    return struct.pack("!IHBB", 6 << 28, len(ext) + len(payload), nh, hop) + ip6(src) + ip6(dst) + ext + payload


def ipv6_ext(nh, body=b"\0" * 6):
    """Hop-by-hop / destination options header with PadN body (8 bytes total)."""
    return struct.pack("!BB", nh, 0) + body


def ipv6_fragments(src, dst, nh, payload, ident, size):
    out = []
    off = 0
    while off < len(payload):
        chunk = payload[off:off + size]
        more = off + size < len(payload)
        frag = struct.pack("!BBHI", nh, 0, off | (1 if more else 0), ident)
        out.append(ipv6(src, dst, 44, chunk, ext=frag))
        off += size
    return out


def ip(src, dst, proto, payload, **kw):
    return ipv6(src, dst, proto, payload) if is6(src) else ipv4(src, dst, proto, payload, **kw)


def udp_ip(src, dst, sport, dport, payload, **kw):
    return ip(src, dst, 17, udp(src, dst, sport, dport, payload), **kw)


def tcp_ip(src, dst, sport, dport, seq, ack, flags, payload=b""):
    return ip(src, dst, 6, tcp(src, dst, sport, dport, seq, ack, flags, payload))

# ---------------------------------------------------------------- link layers and tunnels

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")


def eth(payload, ethertype=None, src=MAC_A, dst=MAC_B):
    if ethertype is None:
        ethertype = 0x86DD if payload[0] >> 4 == 6 else 0x0800
    return dst + src + struct.pack("!H", ethertype) + payload


def vlan(tags, payload, inner_type=None):
    """802.1Q / QinQ: tags = [(tpid, vid), ...] outermost first."""
    if inner_type is None:
        inner_type = 0x86DD if payload[0] >> 4 == 6 else 0x0800
    out = b""
    types = [t for t, _ in tags[1:]] + [inner_type]
    for (tpid, vid), nxt in zip(tags, types):
        out += struct.pack("!HH", vid & 0xFFF, nxt)
    first_tpid = tags[0][0]
    return MAC_B + MAC_A + struct.pack("!H", first_tpid) + out + payload


def mpls(labels, payload):
    out = b""
    for i, label in enumerate(labels):
        bos = 1 if i == len(labels) - 1 else 0
        out += struct.pack("!I", (label << 12) | (bos << 8) | 64)
    return MAC_B + MAC_A + struct.pack("!H", 0x8847) + out + payload


def pppoe(session, ip_payload):
    ppp = struct.pack("!H", 0x0021 if ip_payload[0] >> 4 == 4 else 0x0057) + ip_payload
    return MAC_B + MAC_A + struct.pack("!H", 0x8864) + struct.pack("!BBHH", 0x11, 0, session, len(ppp)) + ppp


def gre(proto, payload, key=None, seq=None):
    flags = (0x2000 if key is not None else 0) | (0x1000 if seq is not None else 0)
    out = struct.pack("!HH", flags, proto)
    if key is not None:
        out += struct.pack("!I", key)
    if seq is not None:
        out += struct.pack("!I", seq)
    return out + payload


def erspan2(session, vlan_id, inner_frame):
    # ver=1 (type II), vlan, cos/en/t, session id; then index
    w1 = (1 << 28) | (vlan_id << 16) | session
    return struct.pack("!II", w1, 0) + inner_frame


def erspan3(session, vlan_id, inner_frame, timestamp=0x01020304):
    # ver=2 (type III): ver|vlan, cos/bso/t/session, timestamp, sgt/p/ft/hw/d/gra/o
    w1 = (2 << 28) | (vlan_id << 16) | session
    return struct.pack("!IIHH", w1, timestamp, 0, 0) + inner_frame


def vxlan(vni, inner_frame):
    return struct.pack("!II", 0x08000000, vni << 8) + inner_frame


def gtpu(teid, ip_payload):
    return struct.pack("!BBHI", 0x30, 0xFF, len(ip_payload), teid) + ip_payload


def sll2(ip_payload):
    proto = 0x86DD if ip_payload[0] >> 4 == 6 else 0x0800
    # protocol, reserved, ifindex, arphrd, pkttype, addr len, addr(8)
    return struct.pack("!HHIHBB", proto, 0, 2, 1, 0, 6) + MAC_A + b"\0\0" + ip_payload

# ---------------------------------------------------------------- capture files

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL2 = 276


def write_pcap(path, frames, linktype=LINKTYPE_ETHERNET, big_endian=False, nanos=False):
    """frames: list of (ts_ns, bytes)."""
    e = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    with open(path, "wb") as f:
        f.write(struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 262144, linktype))
        for ts, data in frames:
            sec, sub = divmod(ts, 1_000_000_000)
            if not nanos:
                sub //= 1000
            f.write(struct.pack(e + "IIII", sec, sub, len(data), len(data)) + data)


def write_pcapng(path, interfaces, frames):
    """interfaces: list of linktypes; frames: list of (ts_ns, iface, bytes). Microsecond ts
    on interface 0, nanosecond (if_tsresol=9) on the others."""
    def block(btype, body):
        pad = (-len(body)) % 4
        total = 12 + len(body) + pad
        return struct.pack("<II", btype, total) + body + b"\0" * pad + struct.pack("<I", total)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    res = []
    for i, lt in enumerate(interfaces):
        opts = b""
        if i > 0:
            opts = struct.pack("<HH", 9, 1) + b"\x09\0\0\0" + struct.pack("<HH", 0, 0)
            res.append(1_000_000_000)
        else:
            res.append(1_000_000)
        out += block(1, struct.pack("<HHI", lt, 0, 262144) + opts)
    for ts, iface, data in frames:
        units = ts * res[iface] // 1_000_000_000
        pad = (-len(data)) % 4
        out += block(6, struct.pack("<IIIII", iface, units >> 32, units & 0xFFFFFFFF, len(data), len(data)) + data + b"\0" * pad)
    with open(path, "wb") as f:
        f.write(out)
