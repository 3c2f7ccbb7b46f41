#!/usr/bin/env python3
"""Builds callscope's own small RTP test captures (Ethernet/IPv4/UDP, pcap, microseconds).

Run from this directory: python3 gen_rtp_pcaps.py
Then for each F.pcap the expected output is
    tshark -r F.pcap -o rtp.heuristic_rtp:TRUE -q -z rtp,streams > F.tshark.txt
(tshark 4.0.17, Debian 12). The Rust tests in shared/src/rtp/tests_pcap.rs compare every column.
"""
import struct

def ip_checksum(h):
    s = 0
    for i in range(0, len(h), 2):
        s += (h[i] << 8) + h[i + 1]
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def udp_frame(src, dst, sport, dport, payload):
    udp = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    iph = struct.pack('!BBHHHBBH4s4s', 0x45, 0xb8, 20 + len(udp), 0, 0, 64, 17, 0, bytes(src), bytes(dst))
    iph = iph[:10] + struct.pack('!H', ip_checksum(iph)) + iph[12:]
    eth = b'\x00\x11\x22\x33\x44\x55' + b'\x00\x66\x77\x88\x99\xaa' + b'\x08\x00'
    return eth + iph + udp

def rtp(pt, seq, ts, ssrc, marker=False, plen=160):
    b1 = (0x80 if marker else 0) | pt
    return struct.pack('!BBHII', 0x80, b1, seq & 0xffff, ts & 0xffffffff, ssrc) + bytes([0xd5]) * plen

def write(path, pkts):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for t, fr in sorted(pkts, key=lambda x: x[0]):
            us_total = int(round(t * 1e6))
            sec, usec = divmod(us_total, 1000000)
            f.write(struct.pack('<IIII', sec, usec, len(fr), len(fr)))
            f.write(fr)

A = [10, 0, 0, 1]
B = [10, 0, 0, 2]
T0 = 1000.0

def scenario():
    """Three streams: wrap + loss + dup + swap; clean PCMA; duplicates only (negative loss)."""
    pkts = []
    arr = {i: T0 + 0.040 + i * 0.020 + ((i * 7) % 11 - 5) * 0.001 for i in range(50)}
    arr[40], arr[41] = arr[41], arr[40]
    for i in range(50):
        if i in (10, 11, 30):
            continue
        fr = udp_frame(A, B, 40000, 50000, rtp(0, 65530 + i, 1000 + 160 * i, 0x11111111, marker=(i == 0)))
        pkts.append((arr[i], fr))
        if i == 20:
            pkts.append((arr[i] + 0.001, fr))
    for i in range(50):
        fr = udp_frame(B, A, 50002, 40002, rtp(8, 100 + i, 5000 + 160 * i, 0x22222222, marker=(i == 0)))
        pkts.append((T0 + 0.030 + i * 0.020, fr))
    for i in range(10):
        fr = udp_frame(A, B, 40004, 50004, rtp(0, 7 + i, 160 * i, 0x33333333))
        pkts.append((T0 + 0.050 + i * 0.020, fr))
        if i in (2, 5, 8):
            pkts.append((T0 + 0.050 + i * 0.020 + 0.002, fr))
    write('scenario.pcap', pkts)

def marker_and_jump():
    """Talkspurt gap with marker (M); +80000 ts jump without marker (T)."""
    pk = []
    t, ts, seq = T0, 0, 200
    for i in range(40):
        if i == 20:
            t += 1.0
            ts += 8000
        pk.append((t, udp_frame(A, B, 40010, 50010, rtp(0, seq, ts, 0x44444444, marker=(i == 20)))))
        t += 0.020; ts += 160; seq += 1
    t, ts, seq = T0, 0, 300
    for i in range(40):
        if i == 20:
            ts += 80000
        pk.append((t + 0.001, udp_frame(A, B, 40012, 50012, rtp(0, seq, ts, 0x55555555))))
        t += 0.020; ts += 160; seq += 1
    write('marker_jump.pcap', pk)

def impairments():
    """SSRC change on one 5-tuple, CN packets, an old-timestamp packet, a dynamic PT without SDP,
    a large forward sequence jump, G.722 and a late packet at the very end."""
    pk = []
    # SSRC change: 30 packets of 0x66666661 then 30 of 0x66666662 on the same ports.
    for i in range(30):
        pk.append((T0 + i * 0.020 + (i % 3) * 0.0007,
                   udp_frame(A, B, 40020, 50020, rtp(8, 1000 + i, 80 * 160 + 160 * i, 0x66666661))))
    for i in range(30):
        pk.append((T0 + 0.600 + i * 0.020 + (i % 4) * 0.0005,
                   udp_frame(A, B, 40020, 50020, rtp(8, 7 + i, 999 + 160 * i, 0x66666662, marker=(i == 0)))))
    # CN: PCMU with two comfort-noise packets (PT 13) in the middle, then a timestamp
    # older than the first packet (WRONG_TIMESTAMP), then normal packets.
    ts0 = 50000
    for i in range(40):
        pt = 13 if i in (15, 16) else 0
        ts = ts0 + 160 * i
        if i == 25:
            ts = ts0 - 1600
        pk.append((T0 + 0.005 + i * 0.020 + ((i * 5) % 7) * 0.0003,
                   udp_frame(A, B, 40022, 50022, rtp(pt, 500 + i, ts, 0x77777777, plen=(1 if pt == 13 else 160)))))
    # Dynamic PT 96 without SDP: unknown clock rate.
    for i in range(25):
        pk.append((T0 + 0.007 + i * 0.020 + (i % 2) * 0.001,
                   udp_frame(A, B, 40024, 50024, rtp(96, 40000 + i, 320 * i, 0x88888888, plen=80))))
    # Large forward jump (5000) and G.722 (PT 9, clock 8000); last packet is late.
    seqs = list(range(60000, 60020)) + list(range(65000, 65020))
    for k, s in enumerate(seqs):
        pk.append((T0 + 0.009 + k * 0.020 + ((k * 3) % 5) * 0.0004,
                   udp_frame(A, B, 40026, 50026, rtp(9, s, 1000 + 160 * k, 0x99999999))))
    pk.append((T0 + 0.009 + 40 * 0.020, udp_frame(A, B, 40026, 50026, rtp(9, 65010, 1000 + 160 * 30, 0x99999999))))
    write('impairments.pcap', pk)

def wrap_loss():
    """Sequence wrap with a loss burst across 65535 -> 0, and bursty loss later (G.729, PT 18)."""
    pk = []
    drop = {8, 9, 10, 11, 40, 41, 42, 43, 44, 45, 70}
    for i in range(120):
        if i in drop:
            continue
        pk.append((T0 + i * 0.020 + ((i * 11) % 13) * 0.0002,
                   udp_frame(B, A, 50030, 40030, rtp(18, 65526 + i, 7 + 160 * i, 0xAAAAAAAA, plen=20))))
    write('wrap_loss.pcap', pk)

def sip_invite_sdp():
    sdp = ("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
           "m=audio 40040 RTP/AVP 96 97 101 11\r\n"
           "a=rtpmap:96 opus/48000/2\r\na=rtpmap:97 AMR-WB/16000\r\n"
           "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n")
    msg = ("INVITE sip:bob@10.0.0.2 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:alice@10.0.0.1>;tag=1\r\nTo: <sip:bob@10.0.0.2>\r\n"
           "Call-ID: sdp-dynamic-1@10.0.0.1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@10.0.0.1>\r\n"
           "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s") % (len(sdp), sdp)
    return udp_frame(A, B, 5060, 5060, msg.encode())

def sdp_dynamic():
    """SDP-mapped dynamic PTs: opus/48000 with telephone-event, AMR-WB/16000 with a 32-bit
    timestamp wrap, and static L16 (PT 11, 44100 Hz: Wireshark's integer-kHz quirk)."""
    pk = [(T0, sip_invite_sdp())]
    # opus with an RFC 4733 event (3 packets, same timestamp) in the middle.
    seq, ts = 100, 48000
    for i in range(60):
        t = T0 + 0.1 + i * 0.020 + ((i * 7) % 5) * 0.0006
        if 30 <= i < 33:
            pk.append((t + 0.005, udp_frame(B, A, 50040, 40040,
                       rtp(101, seq, ts, 0xB0B0B0B0, marker=(i == 30), plen=4))))
            seq += 1
        pk.append((t, udp_frame(B, A, 50040, 40040, rtp(96, seq, ts, 0xB0B0B0B0, plen=60))))
        seq += 1; ts += 960
    # AMR-WB crossing the 32-bit timestamp wrap.
    ts = 0xFFFFFFFF - 320 * 20
    for i in range(50):
        t = T0 + 0.105 + i * 0.020 + ((i * 3) % 7) * 0.0005
        pk.append((t, udp_frame(B, A, 50040, 40040, rtp(97, 9000 + i, ts, 0xC0C0C0C0, plen=33))))
        ts = (ts + 320) & 0xffffffff
    # L16 mono at 44100 Hz: 882 samples per 20 ms.
    for i in range(40):
        t = T0 + 0.107 + i * 0.020 + ((i * 5) % 3) * 0.0004
        pk.append((t, udp_frame(B, A, 50040, 40040, rtp(11, 300 + i, 882 * i, 0xD0D0D0D0, plen=100))))
    write('sdp_dynamic.pcap', pk)

def rtcp_sr(ssrc, ntp_sec, ntp_frac, rtp_ts, pc, oc, blocks=b'', rc=0):
    words = (24 + len(blocks)) // 4
    return struct.pack('!BBHIIIIII', 0x80 | rc, 200, words, ssrc, ntp_sec, ntp_frac, rtp_ts, pc, oc) + blocks

def rtcp_rr(ssrc, blocks, rc):
    return struct.pack('!BBHI', 0x80 | rc, 201, (4 + len(blocks)) // 4, ssrc) + blocks

def report_block(src, frac, cum, ext_hi, jitter, lsr, dlsr):
    return struct.pack('!IIIIII', src, (frac << 24) | (cum & 0xffffff), ext_hi, jitter, lsr, dlsr)

def rtcp_sdes(ssrc, cname):
    item = bytes([1, len(cname)]) + cname + b'\x00'
    chunk = struct.pack('!I', ssrc) + item
    chunk += b'\x00' * ((4 - len(chunk) % 4) % 4)
    return struct.pack('!BBH', 0x81, 202, len(chunk) // 4) + chunk

def rtcp_xr_voip(ssrc, src):
    body = struct.pack('!IBBBBHHHHbbBBBBBBBBHHH', src, 12, 3, 200, 5, 60, 5000, 120, 45,
                       -20, 127, 55, 16, 88, 127, 42, 41, 0xF2, 0, 40, 80, 120)
    blk = struct.pack('!BBH', 7, 0, 8) + body
    return struct.pack('!BBHI', 0x80, 207, (4 + len(blk)) // 4, ssrc) + blk

def rtcp_bye(ssrc):
    return struct.pack('!BBHI', 0x81, 203, 1, ssrc)

def rtcp_session():
    """SR/RR exchange with LSR/DLSR (tshark computes the round trip when
    rtcp.show_roundtrip_calculation is on), SDES, XR VoIP Metrics and BYE."""
    pk = []
    a, b = 0x11111111, 0x22222222
    ntp_sec = 3900000000
    for k in range(3):
        t = T0 + k * 5.0
        ntp_frac = (k * 0x20000000) & 0xffffffff
        lsr = ((ntp_sec + k * 5) & 0xffff) << 16 | (ntp_frac >> 16)
        sr = rtcp_sr(a, ntp_sec + k * 5, ntp_frac, 160000 + k * 40000, 500 + 250 * k, 80000 + 40000 * k)
        pk.append((t, udp_frame(A, B, 40001, 50001, sr + rtcp_sdes(a, b'alice@10.0.0.1'))))
        dlsr = int((0.150 + 0.05 * k) * 65536)
        rtt = 0.040 + 0.010 * k
        blk = report_block(a, 3 * k, k - 1, 65580 + 250 * k, 54 + k, lsr, dlsr)
        rr = rtcp_rr(b, blk, 1)
        comp = rr + rtcp_sdes(b, b'bob@10.0.0.2')
        if k == 2:
            comp += rtcp_xr_voip(b, a) + rtcp_bye(b)
        pk.append((t + rtt + (0.150 + 0.05 * k), udp_frame(B, A, 50001, 40001, comp)))
    write('rtcp_session.pcap', pk)

def randomized():
    """Differential test: seeded random impairments (loss, duplicates, reordering, sequence
    jumps back and forth, timestamp jumps and old timestamps, markers, PT changes incl. CN and
    unknown dynamic PTs, 16-bit sequence wrap) on 6 streams."""
    import random
    rng = random.Random(20261123)
    pk = []
    pts = [0, 0, 0, 8, 8, 18, 13, 3, 9, 96]
    for k in range(6):
        ssrc = 0x5EED0000 + k
        seq = rng.randrange(65536) if k % 2 else 65400 + k
        ts = rng.randrange(1 << 32)
        t = T0 + k * 0.003
        pt = rng.choice([0, 8, 18])
        held = None
        for i in range(220):
            r = rng.random()
            t += 0.020 + rng.uniform(-0.006, 0.006) * (k + 1) / 3
            seq = (seq + 1) & 0xffff
            ts = (ts + 160) & 0xffffffff
            marker = False
            if r < 0.04:
                seq = (seq + rng.randrange(1, 6)) & 0xffff  # loss burst
            elif r < 0.05:
                seq = (seq - rng.randrange(1, 4)) & 0xffff  # sequence goes back
            elif r < 0.06:
                ts = (ts + rng.randrange(160, 80000)) & 0xffffffff
                marker = rng.random() < 0.5
            elif r < 0.065:
                ts = (ts - rng.randrange(160, 3200)) & 0xffffffff
            elif r < 0.08:
                pt = rng.choice(pts)
            elif r < 0.085:
                seq = (seq + rng.randrange(100, 40000)) & 0xffff
            fr = udp_frame(A, B, 41000 + 2 * k, 51000 + 2 * k, rtp(pt, seq, ts, ssrc, marker=marker, plen=20))
            if held is not None:
                pk.append((t, held))
                held = None
                t += 0.0001
            if rng.random() < 0.03:
                held = fr  # sent after the next packet (reordering)
                continue
            pk.append((t, fr))
            if rng.random() < 0.02:
                pk.append((t + 0.0005, fr))  # duplicate
    write('randomized.pcap', pk)

scenario()
marker_and_jump()
impairments()
wrap_loss()
sdp_dynamic()
rtcp_session()
randomized()
