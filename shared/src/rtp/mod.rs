//! RTP/RTCP views, per-stream statistics (RFC 3550 and tshark 4.0's exact figures), the
//! ITU-T G.107 E-model, RTCP-XR VoIP metrics and RFC 6035 vq-rtcpxr. OWNER: rtp helper.
