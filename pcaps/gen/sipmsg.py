"""SIP message and RTP builders for the golden captures."""
import struct


def sdp(ip, port, codecs=((8, "PCMA/8000"), (101, "telephone-event/8000")), direction="sendrecv", sess=1):
    fam = "IP6" if ":" in ip else "IP4"
    pts = " ".join(str(p) for p, _ in codecs)
    lines = [
        "v=0",
        f"o=- {sess} 1 IN {fam} {ip}",
        "s=callscope",
        f"c=IN {fam} {ip}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {pts}",
    ]
    for p, name in codecs:
        lines.append(f"a=rtpmap:{p} {name}")
    lines.append(f"a={direction}")
    return ("\r\n".join(lines) + "\r\n").encode()


class Dialog:
    """Builds the messages of one INVITE dialog between two user agents."""

    def __init__(self, call_id, caller, callee, a_host, b_host, transport="UDP", extra=None, from_user="alice", to_user="bob"):
        self.call_id = call_id
        self.a, self.b = a_host, b_host
        self.from_hdr = f'"{caller}" <sip:{from_user}@{a_host}>;tag=ft-{call_id[:6]}'
        self.to_uri = f"sip:{to_user}@{b_host}"
        self.transport = transport
        self.extra = extra or []
        self.branch_n = 0

    def _branch(self):
        self.branch_n += 1
        return f"z9hG4bK-{self.call_id[:8]}-{self.branch_n}"

    def request(self, method, cseq, to_tag=None, body=b"", ctype="application/sdp", branch=None, extra=()):
        to = f"<{self.to_uri}>" + (f";tag={to_tag}" if to_tag else "")
        self.last_branch = branch or self._branch()
        hdrs = [
            f"{method} {self.to_uri} SIP/2.0",
            f"Via: SIP/2.0/{self.transport} {self.a};branch={self.last_branch}",
            "Max-Forwards: 70",
            f"From: {self.from_hdr}",
            f"To: {to}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:alice@{self.a}>",
            *self.extra,
            *extra,
        ]
        if body:
            hdrs.append(f"Content-Type: {ctype}")
        hdrs.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(hdrs) + "\r\n\r\n").encode() + body

    def response(self, status, reason, method, cseq, to_tag=None, body=b"", branch=None, extra=()):
        to = f"<{self.to_uri}>" + (f";tag={to_tag}" if to_tag else "")
        hdrs = [
            f"SIP/2.0 {status} {reason}",
            f"Via: SIP/2.0/{self.transport} {self.a};branch={branch or self.last_branch}",
            f"From: {self.from_hdr}",
            f"To: {to}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {cseq} {method}",
            *self.extra,
            *extra,
        ]
        if status < 300 and method == "INVITE":
            hdrs.append(f"Contact: <sip:bob@{self.b}>")
        if body:
            hdrs.append("Content-Type: application/sdp")
        hdrs.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(hdrs) + "\r\n\r\n").encode() + body


def rtp(seq, ts, ssrc, pt=8, marker=False, payload_len=160):
    b1 = (0x80 if marker else 0) | pt
    return struct.pack("!BBHII", 0x80, b1, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + bytes([0xD5]) * payload_len
