//! Exports of stored calls: [`pcapng`] builds a capture file of a call's SIP messages and RTCP
//! packets (synthesised IP/UDP/TCP/SCTP headers around the stored payloads).
pub mod pcapng;
