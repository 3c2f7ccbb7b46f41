#!/usr/bin/env python3
"""Generates callscope's golden captures in pcaps/ and, beside each, the truth it was built
with (`<name>.expected.json`). Deterministic: run it again and the files are byte-identical.

    python3 pcaps/gen/make_pcaps.py        # writes pcaps/*.pcap[ng] and *.expected.json

Each capture covers cases the public corpus lacks (see ../README.md in shared/corpus):
encapsulations (QinQ, MPLS, PPPoE, GRE, ERSPAN II/III, VXLAN, GTP-U, IP-in-IP, outer and
inner fragments), several SIP messages in one TCP segment, one message over out-of-order and
retransmitted segments, forking with two 200 OK, SIP over masked/fragmented WebSocket and
SCTP, and B2BUA chains linked by Session-ID and X-CID with RTP on every leg.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from netbytes import *  # noqa: E402,F401,F403
from sipmsg import Dialog, rtp, sdp  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
T0 = 1_700_000_000 * 1_000_000_000
MS = 1_000_000


class Truth:
    def __init__(self):
        self.messages = []
        self.calls = []
        self.other = []
        self.streams = []

    def msg(self, data, transport="udp"):
        first = data.split(b"\r\n", 1)[0].decode()
        call_id = [l for l in data.split(b"\r\n") if l.lower().startswith(b"call-id:")][0].split(b":", 1)[1].strip().decode()
        if first.startswith("SIP/2.0"):
            label = first.split()[1]
        else:
            label = first.split()[0]
        self.messages.append([label, call_id, transport])
        return data

    def dump(self, name):
        doc = {
            "summary": {"sip_messages": len(self.messages), "calls": len(self.calls), "malformed": 0},
            "calls": self.calls,
            "other": self.other,
            "messages": self.messages,
            "streams": self.streams,
        }
        with open(os.path.join(OUT, name + ".expected.json"), "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")

# --------------------------------------------------------------------------------------------


def encap_zoo():
    """One SIP message per encapsulation, three interfaces with different link types."""
    t = Truth()
    frames = []
    ts = T0

    def add(iface, data, step=10):
        nonlocal ts
        ts += step * MS
        frames.append((ts, iface, data))

    A, B = "192.0.2.10", "198.51.100.20"
    d = Dialog("zoo-call-1@192.0.2.10", "Alice", "Bob", A, B)
    m = lambda data: t.msg(data)  # noqa: E731
    add(0, eth(udp_ip(A, B, 5060, 5060, m(d.request("INVITE", 1, body=sdp(A, 40000))))))
    inv_branch = d.last_branch
    add(0, vlan([(0x8100, 100)], udp_ip(B, A, 5060, 5060, m(d.response(100, "Trying", "INVITE", 1, branch=inv_branch)))))
    add(0, vlan([(0x88A8, 10), (0x8100, 20)], udp_ip(B, A, 5060, 5060, m(d.response(180, "Ringing", "INVITE", 1, "tt1", branch=inv_branch)))))
    add(0, mpls([1000, 2000], udp_ip(B, A, 5060, 5060, m(d.response(200, "OK", "INVITE", 1, "tt1", body=sdp(B, 50000), branch=inv_branch)))))
    add(0, pppoe(0x1234, udp_ip(A, B, 5060, 5060, m(d.request("ACK", 1, "tt1")))))
    add(0, eth(ipv4("10.0.0.1", "10.0.0.2", 47, gre(0x0800, udp_ip(A, B, 5060, 5060, m(d.request("BYE", 2, "tt1"))), key=7))), step=2000)
    bye_branch = d.last_branch
    inner = eth(udp_ip(B, A, 5060, 5060, m(d.response(200, "OK", "BYE", 2, "tt1", branch=bye_branch))))
    add(0, eth(ipv4("10.0.0.3", "10.0.0.4", 47, gre(0x88BE, erspan2(5, 30, inner), seq=1))))
    t.calls.append({"call_ids": [d.call_id], "state": "completed", "final_status": 200, "legs": 1, "forks": [1]})

    A6, B6 = "2001:db8::10", "2001:db8::20"
    d2 = Dialog("zoo-call-2@2001:db8::10", "Carol", "Dave", "[2001:db8::10]", "[2001:db8::20]")
    inner = eth(udp_ip(A6, B6, 5060, 5060, m(d2.request("INVITE", 1, body=sdp(A6, 40002)))))
    add(0, eth(ipv4("10.0.0.5", "10.0.0.6", 47, gre(0x22EB, erspan3(9, 40, inner)))))
    inv2 = d2.last_branch
    inner = eth(udp_ip(B6, A6, 5060, 5060, m(d2.response(486, "Busy Here", "INVITE", 1, "tt2", branch=inv2))))
    add(0, eth(udp_ip("10.0.0.7", "10.0.0.8", 49152, 4789, vxlan(42, inner))))
    add(0, eth(udp_ip("10.0.0.9", "10.0.0.10", 2152, 2152, gtpu(0xABCD, udp_ip(A6, B6, 5060, 5060, m(d2.request("ACK", 1, "tt2", branch=inv2)))))))
    t.calls.append({"call_ids": [d2.call_id], "state": "failed", "final_status": 486, "legs": 1, "forks": [1]})

    d3 = Dialog("zoo-options-1", "Probe", "Server", "192.0.2.30", "2001:db8::30")
    add(1, ipv4("10.1.1.1", "10.1.1.2", 4, udp_ip("192.0.2.30", "192.0.2.31", 5060, 5060, m(d3.request("OPTIONS", 1)))))
    add(2, sll2(ipv4("10.1.1.2", "10.1.1.1", 41, udp_ip("2001:db8::31", "2001:db8::30", 5060, 5060, m(d3.response(200, "OK", "OPTIONS", 1, "tt3"))))))
    t.other.append(d3.call_id)

    # Outer IPv4 fragments, delivered last-first; the answer in IPv6 fragments inside GRE.
    d4 = Dialog("zoo-frag-1@192.0.2.40", "Erin", "Frank", "192.0.2.40", "192.0.2.41",
                extra=[f"X-Padding-{i}: " + "x" * 70 for i in range(40)])
    big = m(d4.request("INVITE", 1, body=sdp("192.0.2.40", 40004)))
    assert len(big) > 3000
    frags = ipv4_fragments("192.0.2.40", "192.0.2.41", 17, udp("192.0.2.40", "192.0.2.41", 5060, 5060, big), ident=0x4242, size=1480)
    for f in reversed(frags):
        add(0, eth(f), step=1)
    inv4 = d4.last_branch
    dec = m(d4.response(603, "Decline", "INVITE", 1, "tt4", branch=inv4))
    frags6 = ipv6_fragments("2001:db8::41", "2001:db8::40", 17, udp("2001:db8::41", "2001:db8::40", 5060, 5060, dec), ident=77, size=1232)
    for f in frags6:
        add(0, eth(ipv4("10.0.0.11", "10.0.0.12", 47, gre(0x86DD, f))), step=1)
    add(0, eth(udp_ip("192.0.2.40", "192.0.2.41", 5060, 5060, m(d4.request("ACK", 1, "tt4", branch=inv4)))))
    t.calls.append({"call_ids": [d4.call_id], "state": "failed", "final_status": 603, "legs": 1, "forks": [1]})

    write_pcapng(os.path.join(OUT, "encap_zoo.pcapng"), [LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL2], frames)
    t.dump("encap_zoo.pcapng")


def tcp_framing():
    """TCP: one message over out-of-order and retransmitted segments, several messages in one
    segment, a CRLF keep-alive; then forking over UDP with two 200 OK. Big-endian pcap."""
    t = Truth()
    frames = []
    ts = T0

    def add(data, step=5):
        nonlocal ts
        ts += step * MS
        frames.append((ts, eth(data)))

    C, S = "203.0.113.1", "203.0.113.2"
    cp, sp = 40000, 5060
    cseq, sseq = 1000, 5000
    add(tcp_ip(C, S, cp, sp, cseq, 0, 0x02))
    add(tcp_ip(S, C, sp, cp, sseq, cseq + 1, 0x12))
    cseq += 1
    sseq += 1
    add(tcp_ip(C, S, cp, sp, cseq, sseq, 0x10))
    d = Dialog("tcp-call-1@203.0.113.1", "Alice", "Bob", C, S, transport="TCP")
    inv = t.msg(d.request("INVITE", 1, body=sdp(C, 40010)), "tcp")
    br = d.last_branch
    k = len(inv) // 3
    p1, p2, p3 = inv[:k], inv[k:2 * k], inv[2 * k:]
    add(tcp_ip(C, S, cp, sp, cseq, sseq, 0x18, p1))
    add(tcp_ip(C, S, cp, sp, cseq + 2 * k, sseq, 0x18, p3))  # out of order
    add(tcp_ip(C, S, cp, sp, cseq + k, sseq, 0x18, p2))  # fills the gap: INVITE complete
    add(tcp_ip(C, S, cp, sp, cseq, sseq, 0x18, p1))  # retransmission of the first part
    cseq += len(inv)
    two = t.msg(d.response(100, "Trying", "INVITE", 1, branch=br), "tcp") + t.msg(d.response(180, "Ringing", "INVITE", 1, "tt", branch=br), "tcp")
    add(tcp_ip(S, C, sp, cp, sseq, cseq, 0x18, two))
    sseq += len(two)
    ok = t.msg(d.response(200, "OK", "INVITE", 1, "tt", body=sdp(S, 50010), branch=br), "tcp")
    add(tcp_ip(S, C, sp, cp, sseq, cseq, 0x18, ok), step=1000)
    sseq += len(ok)
    add(tcp_ip(C, S, cp, sp, cseq, sseq, 0x18, b"\r\n\r\n"))  # RFC 5626 keep-alive ping
    cseq += 4
    add(tcp_ip(S, C, sp, cp, sseq, cseq, 0x18, b"\r\n"))  # pong
    sseq += 2
    ack_bye = t.msg(d.request("ACK", 1, "tt"), "tcp") + t.msg(d.request("BYE", 2, "tt"), "tcp")
    bye_br = d.last_branch
    add(tcp_ip(C, S, cp, sp, cseq, sseq, 0x18, ack_bye), step=3000)
    cseq += len(ack_bye)
    bye_ok = t.msg(d.response(200, "OK", "BYE", 2, "tt", branch=bye_br), "tcp")
    add(tcp_ip(S, C, sp, cp, sseq, cseq, 0x18, bye_ok))
    sseq += len(bye_ok)
    add(tcp_ip(C, S, cp, sp, cseq, sseq, 0x11))
    add(tcp_ip(S, C, sp, cp, sseq, cseq + 1, 0x11))
    t.calls.append({"call_ids": [d.call_id], "state": "completed", "final_status": 200, "legs": 1, "forks": [1]})

    # Forking: a proxy P relays two 180s and two 200 OKs (different To-tags) to the caller.
    A, P = "203.0.113.10", "203.0.113.11"
    f = Dialog("fork-call-1@203.0.113.10", "Alice", "Group", A, P)
    add(udp_ip(A, P, 5060, 5060, t.msg(f.request("INVITE", 1, body=sdp(A, 40012)))), step=1000)
    br = f.last_branch
    add(udp_ip(P, A, 5060, 5060, t.msg(f.response(100, "Trying", "INVITE", 1, branch=br))))
    add(udp_ip(P, A, 5060, 5060, t.msg(f.response(180, "Ringing", "INVITE", 1, "fork-a", branch=br))))
    add(udp_ip(P, A, 5060, 5060, t.msg(f.response(180, "Ringing", "INVITE", 1, "fork-b", branch=br))))
    add(udp_ip(P, A, 5060, 5060, t.msg(f.response(200, "OK", "INVITE", 1, "fork-a", body=sdp("203.0.113.20", 50012), branch=br))), step=2000)
    add(udp_ip(P, A, 5060, 5060, t.msg(f.response(200, "OK", "INVITE", 1, "fork-b", body=sdp("203.0.113.21", 50014), branch=br))))
    add(udp_ip(A, P, 5060, 5060, t.msg(f.request("ACK", 1, "fork-a"))))
    add(udp_ip(A, P, 5060, 5060, t.msg(f.request("ACK", 1, "fork-b"))))
    add(udp_ip(A, P, 5060, 5060, t.msg(f.request("BYE", 2, "fork-b"))))
    add(udp_ip(P, A, 5060, 5060, t.msg(f.response(200, "OK", "BYE", 2, "fork-b", branch=f.last_branch))))
    t.calls.append({"call_ids": [f.call_id], "state": "completed", "final_status": 200, "legs": 1, "forks": [2]})

    write_pcap(os.path.join(OUT, "tcp_framing.pcap"), frames, big_endian=True)
    t.dump("tcp_framing.pcap")


def ws_frame(payload, opcode=1, fin=True, mask=None):
    import struct as st
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        hdr = st.pack("!BB", b0, mbit | n)
    elif n < 65536:
        hdr = st.pack("!BBH", b0, mbit | 126, n)
    else:
        hdr = st.pack("!BBQ", b0, mbit | 127, n)
    if mask:
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return hdr + mask + masked
    return hdr + payload


def ws_sctp():
    """SIP over WebSocket (masked, fragmented, control frame interleaved) on a non-SIP port, and
    SIP over SCTP with a SACK bundled. Nanosecond pcap."""
    t = Truth()
    frames = []
    ts = T0

    def add(data, step=7):
        nonlocal ts
        ts += step * MS + 123  # sub-microsecond part: only a nanosecond capture keeps it
        frames.append((ts, eth(data)))

    C, S = "192.0.2.50", "192.0.2.60"
    cp, sp = 51000, 8080
    cs, ss = 7000, 9000
    add(tcp_ip(C, S, cp, sp, cs, 0, 0x02))
    add(tcp_ip(S, C, sp, cp, ss, cs + 1, 0x12))
    cs += 1
    ss += 1
    up = (b"GET /sip HTTP/1.1\r\nHost: 192.0.2.60:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n")
    add(tcp_ip(C, S, cp, sp, cs, ss, 0x18, up))
    cs += len(up)
    resp = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n")
    add(tcp_ip(S, C, sp, cp, ss, cs, 0x18, resp))
    ss += len(resp)
    d = Dialog("ws-call-1@df7jal23ls0d.invalid", "Web", "Bob", "df7jal23ls0d.invalid", S, transport="WS")
    inv = t.msg(d.request("INVITE", 1, body=sdp(C, 40020)), "ws")
    br = d.last_branch
    half = len(inv) // 2
    seg = ws_frame(inv[:half], 1, False, b"\x11\x22\x33\x44") + ws_frame(b"ping", 9, True, b"\x01\x02\x03\x04") + ws_frame(inv[half:], 0, True, b"\x55\x66\x77\x88")
    add(tcp_ip(C, S, cp, sp, cs, ss, 0x18, seg))
    cs += len(seg)
    two = ws_frame(t.msg(d.response(100, "Trying", "INVITE", 1, branch=br), "ws")) + ws_frame(t.msg(d.response(200, "OK", "INVITE", 1, "wt", body=sdp(S, 50020), branch=br), "ws"))
    add(tcp_ip(S, C, sp, cp, ss, cs, 0x18, two))
    ss += len(two)
    ack = ws_frame(t.msg(d.request("ACK", 1, "wt"), "ws"), 1, True, b"\xa1\xb2\xc3\xd4")
    add(tcp_ip(C, S, cp, sp, cs, ss, 0x18, ack))
    cs += len(ack)
    bye = ws_frame(t.msg(d.request("BYE", 2, "wt"), "ws"), 1, True, b"\x0f\x0e\x0d\x0c")
    bye_br = d.last_branch
    add(tcp_ip(C, S, cp, sp, cs, ss, 0x18, bye), step=2000)
    cs += len(bye)
    ok = ws_frame(t.msg(d.response(200, "OK", "BYE", 2, "wt", branch=bye_br), "ws"))
    add(tcp_ip(S, C, sp, cp, ss, cs, 0x18, ok))
    ss += len(ok)
    close = ws_frame(b"\x03\xe8", 8, True, b"\x01\x01\x01\x01")
    add(tcp_ip(C, S, cp, sp, cs, ss, 0x18, close))
    t.calls.append({"call_ids": [d.call_id], "state": "completed", "final_status": 200, "legs": 1, "forks": [1]})

    A, B = "192.0.2.70", "192.0.2.71"
    s = Dialog("sctp-call-1@192.0.2.70", "Alice", "Bob", A, B, transport="SCTP")
    inv = t.msg(s.request("INVITE", 1, body=sdp(A, 40030)), "sctp")
    add(ip(A, B, 132, sctp(5060, 5060, 0xC0FFEE, sctp_data(1, 0, 0, 0, inv))), step=1000)
    forbidden = t.msg(s.response(403, "Forbidden", "INVITE", 1, "st", branch=s.last_branch), "sctp")
    add(ip(B, A, 132, sctp(5060, 5060, 0xBEEF, sctp_sack(1) + sctp_data(100, 0, 0, 0, forbidden))))
    add(ip(A, B, 132, sctp(5060, 5060, 0xC0FFEE, sctp_sack(100) + sctp_data(2, 0, 1, 0, t.msg(s.request("ACK", 1, "st", branch=s.last_branch), "sctp")))))
    t.calls.append({"call_ids": [s.call_id], "state": "failed", "final_status": 403, "legs": 1, "forks": [1]})

    write_pcap(os.path.join(OUT, "ws_sctp.pcap"), frames, nanos=True)
    t.dump("ws_sctp.pcap")


def b2bua():
    """A three-leg B2BUA chain linked by Session-ID (RFC 7989) with RTP on every leg and loss
    only on the last leg, and a two-leg B2BUA linked by X-CID."""
    t = Truth()
    frames = []
    ts = T0

    def add(data, at=None, step=1):
        nonlocal ts
        ts = at if at is not None else ts + step * MS
        frames.append((ts, eth(data)))

    hosts = ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4"]
    u1, u2 = "ab30317f1a784dc48ff824d0d3715d86", "47755a9de7794ba387653f2099600ef2"
    null = "0" * 32
    legs = []
    for i in range(3):
        a, b = hosts[i], hosts[i + 1]
        d = Dialog(f"b2b-leg-{i + 1}@{a}", "Alice", "Bob", a, b, extra=[f"Session-ID: {u1};remote={null}"], to_user="+442071234567")
        legs.append(d)
    rtp_ports = [(20000 + 2 * i, 30000 + 2 * i) for i in range(3)]
    for i, d in enumerate(legs):
        a, b = hosts[i], hosts[i + 1]
        add(udp_ip(a, b, 5060, 5060, t.msg(d.request("INVITE", 1, body=sdp(a, rtp_ports[i][0])))), step=20)
        d.inv_branch = d.last_branch
    for i in reversed(range(3)):
        d = legs[i]
        a, b = hosts[i], hosts[i + 1]
        add(udp_ip(b, a, 5060, 5060, t.msg(d.response(180, "Ringing", "INVITE", 1, f"t{i}", branch=d.inv_branch))), step=5)
    for i in reversed(range(3)):
        d = legs[i]
        a, b = hosts[i], hosts[i + 1]
        d.extra = [f"Session-ID: {u2};remote={u1}"]
        add(udp_ip(b, a, 5060, 5060, t.msg(d.response(200, "OK", "INVITE", 1, f"t{i}", body=sdp(b, rtp_ports[i][1]), branch=d.inv_branch))), step=500)
    for i, d in enumerate(legs):
        d.extra = [f"Session-ID: {u1};remote={u2}"]
        add(udp_ip(hosts[i], hosts[i + 1], 5060, 5060, t.msg(d.request("ACK", 1, f"t{i}"))), step=2)
    # 3 s of PCMA both ways on each leg, 20 ms packets; on leg 3 the callee's stream loses
    # seq 50..54 (5 packets) and arrives with +-2 ms jitter on odd packets.
    start = ts + 10 * MS
    rtp_frames = []
    for i in range(3):
        a, b = hosts[i], hosts[i + 1]
        pa, pb = rtp_ports[i]
        for direction in (0, 1):
            src, dst, sport, dport = (a, b, pa, pb) if direction == 0 else (b, a, pb, pa)
            ssrc = 0x1000 * (i + 1) + direction
            lost = set(range(50, 55)) if (i == 2 and direction == 1) else set()
            for n in range(150):
                if n in lost:
                    continue
                jitter = (2 * MS if n % 2 else 0) if (i == 2 and direction == 1) else 0
                at = start + n * 20 * MS + jitter + i * 100_000 + direction * 10_000
                rtp_frames.append((at, udp_ip(src, dst, sport, dport, rtp(1000 + n, 8000 + n * 160, ssrc))))
            t.streams.append({"src": f"{src}:{sport}", "dst": f"{dst}:{dport}", "ssrc": f"0x{ssrc:08X}",
                              "call_id": legs[i].call_id, "packets": 150 - len(lost), "lost": len(lost)})
    for at, data in sorted(rtp_frames, key=lambda x: x[0]):
        add(data, at=at)
    for i, d in enumerate(legs):
        reason = ['Reason: Q.850;cause=16;text="Normal call clearing"']
        add(udp_ip(hosts[i], hosts[i + 1], 5060, 5060, t.msg(d.request("BYE", 2, f"t{i}", extra=reason))), step=3)
        add(udp_ip(hosts[i + 1], hosts[i], 5060, 5060, t.msg(d.response(200, "OK", "BYE", 2, f"t{i}", branch=d.last_branch))), step=1)
    t.calls.append({"call_ids": [d.call_id for d in legs], "state": "completed", "final_status": 200, "legs": 3, "forks": [1, 1, 1]})

    xin = Dialog("x-in-1@10.2.0.1", "Carol", "Dave", "10.2.0.1", "10.2.0.2", to_user="2000")
    xout = Dialog("x-out-1@10.2.0.2", "Carol", "Dave", "10.2.0.2", "10.2.0.3", extra=["X-CID: x-in-1@10.2.0.1"], to_user="2000")
    add(udp_ip("10.2.0.1", "10.2.0.2", 5060, 5060, t.msg(xin.request("INVITE", 1, body=sdp("10.2.0.1", 22000)))), step=1000)
    bi = xin.last_branch
    add(udp_ip("10.2.0.2", "10.2.0.3", 5060, 5060, t.msg(xout.request("INVITE", 1, body=sdp("10.2.0.2", 24000)))), step=3000)
    bo = xout.last_branch
    add(udp_ip("10.2.0.3", "10.2.0.2", 5060, 5060, t.msg(xout.response(480, "Temporarily Unavailable", "INVITE", 1, "xo", branch=bo))))
    add(udp_ip("10.2.0.2", "10.2.0.3", 5060, 5060, t.msg(xout.request("ACK", 1, "xo", branch=bo))))
    add(udp_ip("10.2.0.2", "10.2.0.1", 5060, 5060, t.msg(xin.response(480, "Temporarily Unavailable", "INVITE", 1, "xi", branch=bi))))
    add(udp_ip("10.2.0.1", "10.2.0.2", 5060, 5060, t.msg(xin.request("ACK", 1, "xi", branch=bi))))
    t.calls.append({"call_ids": [xin.call_id, xout.call_id], "state": "failed", "final_status": 480, "legs": 2, "forks": [1, 1]})

    write_pcap(os.path.join(OUT, "b2bua_chain.pcap"), frames)
    t.dump("b2bua_chain.pcap")


def rtcp_sr(ssrc, ntp_s, rtp_ts, pkts, octets, about, frac, cum, ext_seq, jitter, lsr=0, dlsr=0):
    import struct as st
    body = st.pack("!IIIIII", ssrc, ntp_s, 0, rtp_ts, pkts, octets)
    block = st.pack("!IIIIII", about, (frac << 24) | (cum & 0xFFFFFF), ext_seq, jitter, lsr, dlsr)
    words = (4 + len(body) + len(block)) // 4 - 1
    return st.pack("!BBH", 0x81, 200, words) + body + block


def rtcp_rr(ssrc, about, frac, cum, ext_seq, jitter, lsr, dlsr):
    import struct as st
    block = st.pack("!IIIIII", about, (frac << 24) | (cum & 0xFFFFFF), ext_seq, jitter, lsr, dlsr)
    return st.pack("!BBHI", 0x81, 201, 7, ssrc) + block


def rtcp_xr_voip(ssrc, about, loss_rate, discard_rate, rtd, r, mos_lq, mos_cq):
    """RTCP XR (RFC 3611) with one VoIP Metrics block (BT=7)."""
    import struct as st
    block = st.pack("!BBH", 7, 0, 8) + st.pack(
        "!IBBBBHHHHbbBBBBBBBBHHH", about, loss_rate, discard_rate, 10, 0, 60, 1000, rtd, 25,
        -20, -60, 127, 16, r, 127, mos_lq, mos_cq, 0x40, 0, 60, 120, 240)
    return st.pack("!BBHI", 0x80, 207, (8 + len(block)) // 4 - 1, ssrc) + block


def vq_xr():
    """A call with RTP both ways, RTCP SR/RR with round-trip figures, an RTCP-XR VoIP Metrics
    block from the callee, and the callee's SIP PUBLISH vq-rtcpxr report (RFC 6035) naming the
    call: the endpoints' view of the call beside ours."""
    t = Truth()
    frames = []
    ts = T0

    def add(data, at=None, step=1):
        nonlocal ts
        ts = at if at is not None else ts + step * MS
        frames.append((ts, eth(data)))

    A, B = "198.51.100.1", "198.51.100.2"
    d = Dialog("vq-call-1@198.51.100.1", "Alice", "Bob", A, B)
    add(udp_ip(A, B, 5060, 5060, t.msg(d.request("INVITE", 1, body=sdp(A, 16000)))))
    br = d.last_branch
    add(udp_ip(B, A, 5060, 5060, t.msg(d.response(200, "OK", "INVITE", 1, "vt", body=sdp(B, 17000), branch=br))), step=800)
    add(udp_ip(A, B, 5060, 5060, t.msg(d.request("ACK", 1, "vt"))))
    start = ts + 20 * MS
    events = []
    lost = {30, 31, 90}
    for n in range(250):
        at = start + n * 20 * MS
        events.append((at, udp_ip(A, B, 16000, 17000, rtp(n, n * 160, 0xA1A1A1A1))))
        if n not in lost:
            events.append((at + 3 * MS, udp_ip(B, A, 17000, 16000, rtp(n, n * 160, 0xB2B2B2B2))))
    # At 2.5 s the caller sends an SR; the callee answers with an RR about the caller's stream
    # 40 ms later (DLSR 10 ms -> RTT 30 ms), and an XR VoIP Metrics block about it.
    sr_at = start + 2500 * MS
    events.append((sr_at, udp_ip(A, B, 16001, 17001, rtcp_sr(0xA1A1A1A1, 0x00001234, 0x56780000, 125, 20000, 0xB2B2B2B2, 5, 2, 124, 12))))
    # LSR = middle 32 bits of the SR's NTP time (0x00001234.00000000); DLSR 655/65536 s = 10 ms.
    rr = rtcp_rr(0xB2B2B2B2, 0xA1A1A1A1, 0, 0, 125, 8, 0x12340000, 655)
    events.append((sr_at + 40 * MS, udp_ip(B, A, 17001, 16001, rr + rtcp_xr_voip(0xB2B2B2B2, 0xA1A1A1A1, 3, 1, 30, 90, 43, 42))))
    for at, data in sorted(events, key=lambda e: e[0]):
        add(data, at=at)
    add(udp_ip(A, B, 5060, 5060, t.msg(d.request("BYE", 2, "vt"))), step=100)
    add(udp_ip(B, A, 5060, 5060, t.msg(d.response(200, "OK", "BYE", 2, "vt", branch=d.last_branch))))
    t.calls.append({"call_ids": [d.call_id], "state": "completed", "final_status": 200, "legs": 1, "forks": [1]})
    t.streams.append({"src": f"{A}:16000", "dst": f"{B}:17000", "ssrc": "0xA1A1A1A1", "call_id": d.call_id, "packets": 250, "lost": 0})
    t.streams.append({"src": f"{B}:17000", "dst": f"{A}:16000", "ssrc": "0xB2B2B2B2", "call_id": d.call_id, "packets": 247, "lost": 3})

    report = (
        "VQSessionReport: CallTerm\r\n"
        f"CallID: {d.call_id}\r\n"
        f"LocalID: <sip:bob@{B}>\r\n"
        f"RemoteID: <sip:alice@{A}>\r\n"
        f"OrigID: <sip:alice@{A}>\r\n"
        f"LocalAddr: IP={B} PORT=17000 SSRC=0xB2B2B2B2\r\n"
        f"RemoteAddr: IP={A} PORT=16000 SSRC=0xA1A1A1A1\r\n"
        "LocalMetrics:\r\n"
        "Timestamps: START=2023-11-14T22:13:20Z STOP=2023-11-14T22:13:26Z\r\n"
        "SessionDesc: PT=8 PD=PCMA SR=8000 FD=20 FO=160 FPP=1 PPS=50 PLC=3 SSUP=off\r\n"
        "JitterBuffer: JBA=3 JBR=2 JBN=60 JBM=120 JBX=240\r\n"
        "PacketLoss: NLR=1.2 JDR=0.4\r\n"
        "BurstGapLoss: BLD=0 BD=0 GLD=1.6 GD=5000 GMIN=16\r\n"
        "Delay: RTD=30 ESD=25 IAJ=2 MAJ=8\r\n"
        "QualityEst: RLQ=90 MOSLQ=4.3 MOSCQ=4.2\r\n"
    ).encode()
    pub = Dialog("vq-publish-1@198.51.100.2", "Bob", "Collector", B, "198.51.100.9")
    body = pub.request("PUBLISH", 1, body=report, ctype="application/vq-rtcpxr", extra=["Event: vq-rtcpxr"])
    add(udp_ip(B, "198.51.100.9", 5060, 5060, t.msg(body)), step=10)
    add(udp_ip("198.51.100.9", B, 5060, 5060, t.msg(pub.response(200, "OK", "PUBLISH", 1, "pt", branch=pub.last_branch))))
    t.other.append(pub.call_id)
    write_pcap(os.path.join(OUT, "vq_xr.pcap"), frames)
    t.dump("vq_xr.pcap")


if __name__ == "__main__":
    vq_xr()
    encap_zoo()
    tcp_framing()
    ws_sctp()
    b2bua()
    print("wrote", ", ".join(sorted(f for f in os.listdir(OUT) if f.endswith((".pcap", ".pcapng")))))
