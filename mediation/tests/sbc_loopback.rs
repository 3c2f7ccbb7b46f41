//! The SBC IPFIX collector and test exporter over a loopback TCP connection.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use callscope_mediation::sbc::{ExportOptions, OwnedCollectorEvent, export_capture, serve_session};
use callscope_shared::ipfix::Direction;
use callscope_shared::net::Transport;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};

/// IPFIX.md §3.2 over TCP (RFC 7011 §10.4): handshake, 257 reply, keepalive, then every SIP
/// message of `pcaps/tcp_framing.pcap` (UDP and TCP) arrives with its addresses and bytes.
#[tokio::test]
async fn export_capture_to_collector_over_loopback() {
    let pcap = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../pcaps/tcp_framing.pcap"
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let server = tokio::spawn(async move {
        let (sock, peer) = listener.accept().await.unwrap();
        serve_session(sock, peer.to_string(), move |e| {
            sink.lock().unwrap().push(e)
        })
        .await
    });
    let client = TcpStream::connect(addr).await.unwrap();
    let opts = ExportOptions {
        sbc_addrs: vec!["203.0.113.2".parse::<IpAddr>().unwrap()],
        hostname: "sbc-test".into(),
        ..ExportOptions::default()
    };
    let summary = export_capture(client, pcap, &opts).await.unwrap();
    // The exporter closed the connection: the session ends cleanly.
    let counters = server.await.unwrap().unwrap();
    let events = events.lock().unwrap();

    // The capture's truth: 17 SIP messages (pcaps/tcp_framing.pcap.expected.json).
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pcap.with_extension("pcap.expected.json")).unwrap())
            .unwrap();
    let want = truth["messages"].as_array().unwrap();
    assert_eq!(summary.sip_udp + summary.sip_tcp, want.len() as u64);
    assert_eq!(summary.skipped, 0);

    assert!(
        matches!(&events[0], OwnedCollectorEvent::Handshake { hostname, timeout: 30, .. } if hostname == "sbc-test")
    );
    assert!(matches!(events[1], OwnedCollectorEvent::Keepalive { .. }));
    let sips: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            OwnedCollectorEvent::Sip {
                transport,
                direction,
                src,
                bytes,
                sbc_call_id,
                ..
            } => Some((
                *transport,
                *direction,
                *src,
                bytes.clone(),
                sbc_call_id.clone(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(sips.len(), want.len());
    for (i, (transport, direction, src, bytes, cid)) in sips.iter().enumerate() {
        assert_eq!(
            transport.as_str(),
            want[i][2].as_str().unwrap(),
            "message {i}"
        );
        let msg = callscope_shared::sip::SipMessage::parse(bytes).unwrap();
        assert_eq!(
            msg.call_id().unwrap(),
            want[i][1].as_str().unwrap().as_bytes(),
            "message {i}"
        );
        let from_sbc = src.ip == "203.0.113.2".parse::<IpAddr>().unwrap();
        assert_eq!(*direction == Direction::Out, from_sbc);
        // Sent copies carry the SBC's Call-ID.
        assert_eq!(cid.is_some(), from_sbc);
    }
    assert!(sips.iter().any(|s| s.0 == Transport::Udp));
    assert!(sips.iter().any(|s| s.0 == Transport::Tcp));
    assert_eq!(counters.handshakes, 1);
    assert_eq!(counters.sequence_gaps, 0);
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, OwnedCollectorEvent::BadDatagram { .. }))
    );
}

/// A peer that sends garbage: the session ends with a protocol error naming the peer.
#[tokio::test]
async fn hostile_peer_ends_only_its_session() {
    use tokio::io::AsyncWriteExt;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (sock, peer) = listener.accept().await.unwrap();
        serve_session(sock, peer.to_string(), |_| {}).await
    });
    let mut client = TcpStream::connect(addr).await.unwrap();
    client.write_all(b"\x00\x0a\x00\x05garbage").await.unwrap();
    let err = server.await.unwrap().unwrap_err();
    assert!(err.to_string().contains("length field 5"), "{err}");
}

/// A peer that connects and sends only half a header is closed once the first-message wait
/// passes (before any handshake there is no keepalive deadline, RFC 7011 §10.4.1 leaves idle
/// detection to the collector); the session does not hold its task forever.
#[tokio::test]
async fn silent_peer_is_closed_after_the_first_message_wait() {
    use callscope_mediation::sbc::{ServeError, serve_session_limited};
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (sock, peer) = listener.accept().await.unwrap();
        serve_session_limited(
            sock,
            peer.to_string(),
            Default::default(),
            Duration::from_millis(200),
            |_| {},
        )
        .await
    });
    let mut client = TcpStream::connect(addr).await.unwrap();
    client.write_all(b"\x00\x0a\x00\x40").await.unwrap();
    let err = server.await.unwrap().unwrap_err();
    assert!(matches!(err, ServeError::NoMessage { .. }), "{err}");
    drop(client);
}
