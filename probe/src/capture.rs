//! Live capture from a network interface through libpcap.
//!
//! [`LiveCapture::open`] opens the interface with the configured snap length, kernel buffer,
//! promiscuous mode, immediate mode and nanosecond timestamps, and sets the BPF filter. On
//! Linux libpcap captures through a TPACKET_V3 memory-mapped ring (its default since 1.9), so
//! packets are read in blocks without a system call per packet.
//!
//! Open the capture while still root, drop privileges ([`crate::privdrop`]), then
//! [`LiveCapture::run`] it on its own thread: frames are handed to a callback (usually
//! [`crate::batch::BatchWriter::push`]), and every second the kernel's counters (packets
//! dropped because the ring was full, and by the interface) are copied into
//! [`Counters`](crate::status::Counters). [`Stopper::stop`] ends the loop from another thread.
use crate::batch::{BatchWriter, Disconnected};
use crate::config::LiveConfig;
use crate::status::Counters;
use callscope_shared::wire::capture::{Frame, LinkType};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a read waits for packets before the loop checks its stop flag (ms).
const READ_TIMEOUT_MS: i32 = 100;
/// How often kernel statistics are read.
const STATS_EVERY: Duration = Duration::from_secs(1);

/// Why a capture could not be opened or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    #[error(
        "cannot open interface {interface}: {source}; check the name (ip link), and run as root or with CAP_NET_RAW"
    )]
    Open {
        interface: String,
        source: pcap::Error,
    },
    #[error("BPF filter {filter:?} is not valid: {source}; check it with: tcpdump -d '{filter}'")]
    Filter { filter: String, source: pcap::Error },
    #[error("capture on {interface} failed: {source}")]
    Read {
        interface: String,
        source: pcap::Error,
    },
}

/// Maps a libpcap DLT_ value (what `pcap_datalink` returns) to a LINKTYPE_ value (what capture
/// files and the decoder use). They differ only for a few historical values.
pub fn link_type_of(dlt: i32) -> LinkType {
    match dlt {
        // DLT_RAW is 12 on most systems and 14 on OpenBSD; LINKTYPE_RAW is 101.
        12 | 14 => LinkType::RAW,
        d => LinkType(u32::try_from(d).unwrap_or(u32::MAX)),
    }
}

/// An open live capture.
pub struct LiveCapture {
    cap: pcap::Capture<pcap::Active>,
    link_type: LinkType,
    interface: String,
    stop: Arc<AtomicBool>,
}

impl std::fmt::Debug for LiveCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveCapture")
            .field("interface", &self.interface)
            .field("link_type", &self.link_type)
            .finish_non_exhaustive()
    }
}

/// Stops a running [`LiveCapture`] from another thread.
#[derive(Clone)]
pub struct Stopper {
    flag: Arc<AtomicBool>,
    breakloop: Arc<pcap::BreakLoop>,
}

impl std::fmt::Debug for Stopper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stopper").finish_non_exhaustive()
    }
}

impl Stopper {
    pub fn stop(&self) {
        self.flag.store(true, Ordering::Relaxed);
        self.breakloop.breakloop();
    }
}

impl LiveCapture {
    /// Opens the interface and sets the filter (needs root or CAP_NET_RAW).
    pub fn open(cfg: &LiveConfig) -> Result<Self, CaptureError> {
        let open_err = |source| CaptureError::Open {
            interface: cfg.interface.clone(),
            source,
        };
        let snaplen = i32::try_from(cfg.snaplen).unwrap_or(65_535);
        let buffer = i32::try_from(u64::from(cfg.buffer_mib) << 20).unwrap_or(i32::MAX);
        let mut cap = pcap::Capture::from_device(cfg.interface.as_str())
            .map_err(open_err)?
            .snaplen(snaplen)
            .buffer_size(buffer)
            .promisc(cfg.promisc)
            .immediate_mode(true)
            .timeout(READ_TIMEOUT_MS)
            .precision(pcap::Precision::Nano)
            .open()
            .map_err(open_err)?;
        if !cfg.filter.trim().is_empty() {
            cap.filter(&cfg.filter, true)
                .map_err(|source| CaptureError::Filter {
                    filter: cfg.filter.clone(),
                    source,
                })?;
        }
        let link_type = link_type_of(cap.get_datalink().0);
        tracing::info!(
            interface = %cfg.interface,
            filter = %cfg.filter,
            snaplen = cfg.snaplen,
            buffer_mib = cfg.buffer_mib,
            link_type = link_type.0,
            "capture open"
        );
        Ok(Self {
            cap,
            link_type,
            interface: cfg.interface.clone(),
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Link type of the frames delivered.
    pub fn link_type(&self) -> LinkType {
        self.link_type
    }

    /// A handle that stops [`Self::run`].
    pub fn stopper(&mut self) -> Stopper {
        Stopper {
            flag: self.stop.clone(),
            breakloop: Arc::new(self.cap.breakloop_handle()),
        }
    }

    /// Captures until stopped or until `on_frame` returns `Err` (the consumer is gone):
    /// every frame goes to `on_frame`, `on_wake` runs after each read (a block of frames, or
    /// a timeout), and kernel counters are copied into `counters` every second.
    pub fn run(
        mut self,
        counters: &Counters,
        mut on_frame: impl FnMut(&Frame<'_>) -> Result<(), Disconnected>,
        mut on_wake: impl FnMut() -> Result<(), Disconnected>,
    ) -> Result<(), CaptureError> {
        let link_type = self.link_type;
        let mut last_stats = Instant::now();
        let mut gone = false;
        while !self.stop.load(Ordering::Relaxed) && !gone {
            let res = self.cap.dispatch(None, |p| {
                if gone {
                    return;
                }
                let h = p.header;
                // Nanosecond precision was asked for: tv_usec holds nanoseconds.
                let secs = u64::try_from(h.ts.tv_sec).unwrap_or(0);
                let frac = u64::try_from(h.ts.tv_usec).unwrap_or(0);
                let frame = Frame {
                    ts: secs.saturating_mul(1_000_000_000).saturating_add(frac),
                    link_type,
                    data: p.data,
                    orig_len: h.len,
                    interface: 0,
                };
                Counters::add(&counters.packets, 1);
                Counters::add(&counters.bytes, u64::from(h.caplen));
                if on_frame(&frame).is_err() {
                    gone = true;
                }
            });
            match res {
                Ok(_) | Err(pcap::Error::TimeoutExpired) => {}
                Err(_) if self.stop.load(Ordering::Relaxed) => break,
                Err(source) => {
                    return Err(CaptureError::Read {
                        interface: self.interface,
                        source,
                    });
                }
            }
            if on_wake().is_err() {
                gone = true;
            }
            if last_stats.elapsed() >= STATS_EVERY {
                last_stats = Instant::now();
                self.read_stats(counters);
            }
        }
        self.read_stats(counters);
        tracing::info!(interface = %self.interface, "capture stopped");
        Ok(())
    }

    fn read_stats(&mut self, counters: &Counters) {
        match self.cap.stats() {
            Ok(s) => {
                Counters::set(&counters.kernel_drops, u64::from(s.dropped));
                Counters::set(&counters.if_drops, u64::from(s.if_dropped));
            }
            Err(e) => tracing::debug!(error = %e, "pcap stats unavailable"),
        }
    }

    /// Runs the capture on a new thread, sending frames in batches through `writer`.
    pub fn spawn(
        self,
        mut writer: BatchWriter,
        counters: Arc<Counters>,
    ) -> std::io::Result<std::thread::JoinHandle<Result<(), CaptureError>>> {
        std::thread::Builder::new()
            .name("capture".into())
            .spawn(move || {
                let mut w2 = std::cell::RefCell::new(&mut writer);
                let r = {
                    let w = &w2;
                    self.run(
                        &counters,
                        |f| w.borrow_mut().push(f),
                        || w.borrow_mut().flush(),
                    )
                };
                let _ = w2.get_mut().flush();
                r
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dlt_to_linktype() {
        assert_eq!(link_type_of(1), LinkType::ETHERNET);
        assert_eq!(link_type_of(12), LinkType::RAW);
        assert_eq!(link_type_of(113), LinkType::LINUX_SLL);
        assert_eq!(link_type_of(276), LinkType::LINUX_SLL2);
        assert_eq!(link_type_of(-1), LinkType(u32::MAX));
    }

    #[test]
    fn bad_interface_and_filter_say_what_to_do() {
        let cfg = LiveConfig {
            interface: "no-such-if0".into(),
            ..LiveConfig::default()
        };
        let err = LiveCapture::open(&cfg).unwrap_err().to_string();
        assert!(err.contains("no-such-if0"), "{err}");
    }
}
