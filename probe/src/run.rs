//! `callscope-probe run`: wires capture, analysis, spool, sender, status and signals.
//!
//! Order matters: the capture is opened first (needs root or CAP_NET_RAW), directories the
//! probe writes are handed to the configured user, privileges are dropped, and only then are
//! the spool opened, the status socket bound and the threads started.
use anyhow::Context;
use callscope_probe::batch::{BatchPool, BatchWriter};
use callscope_probe::capture::LiveCapture;
use callscope_probe::config::{Config, Source};
use callscope_probe::hep_out::{HepEncode, HepFraming};
use callscope_probe::pipeline::{Clock, Pipeline, ProbeAnalyzer};
use callscope_probe::sender::{self, ConnectFuture, SenderConfig, SharedSpool};
use callscope_probe::spool::{Spool, SpoolConfig};
use callscope_probe::status::{self, Counters};
use callscope_probe::{privdrop, replay};
use callscope_shared::analysis::AnalyzerConfig;
use callscope_shared::analysis::live::LivePolicy;
use callscope_shared::pki::{HostnameCheck, TrustSnapshot, client_config_from_files};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

pub(crate) fn run(config: Option<&Path>) -> anyhow::Result<()> {
    let cfg = match config {
        Some(p) => Config::load(p)?,
        None => {
            let c = Config::default();
            c.validate()?;
            tracing::info!("no --config given: using the documented defaults");
            c
        }
    };
    let counters = Arc::new(Counters::default());
    let source = cfg.source();
    // TLS material is read (and checked) before anything starts: a wrong path fails at once.
    let tls = tls_client(&cfg)?;

    // 1. The capture, while still privileged.
    let mut live = match &source {
        Source::Live(l) => Some(LiveCapture::open(l)?),
        Source::File(_) => None,
    };

    // 2. Directories written after the drop, then the drop itself.
    let (user, group) = (&cfg.privileges.user, &cfg.privileges.group);
    privdrop::prepare_dir(&cfg.spool.dir, user, group).with_context(|| {
        format!(
            "cannot prepare spool directory {}; check spool.dir",
            cfg.spool.dir.display()
        )
    })?;
    if let Some(dir) = cfg
        .status
        .socket
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        privdrop::prepare_dir(dir, user, group).with_context(|| {
            format!(
                "cannot create status socket directory {}; check status.socket",
                dir.display()
            )
        })?;
    }
    privdrop::drop_privileges(user, group)?;

    // 3. Spool and status endpoint.
    let spool = Spool::open(SpoolConfig::new(&cfg.spool.dir, cfg.spool.max_bytes))?;
    tracing::info!(
        dir = %cfg.spool.dir.display(),
        spool_id = format_args!("{:016x}", spool.id()),
        pending = spool.usage().records,
        next_seq = spool.next_seq(),
        "spool open"
    );
    let shared = SharedSpool::new(spool, counters.clone());
    let started = SystemTime::now();
    let (c2, id, name) = (counters.clone(), cfg.agent.id, cfg.agent.name.clone());
    let _status = status::serve(&cfg.status.socket, move || {
        status::document(&c2, id, &name, started)
    })?;

    // 4. Capture/replay thread and analysis thread.
    let pool = BatchPool::new(64);
    let (tx, rx) = crossbeam_channel::bounded(32);
    let writer = BatchWriter::new(pool.clone(), tx);
    let stop = Arc::new(AtomicBool::new(false));
    let mut stopper = None;
    let (capture_thread, clock) = match (&source, live.take()) {
        (Source::Live(_), Some(mut cap)) => {
            stopper = Some(cap.stopper());
            let h = cap.spawn(writer, counters.clone())?;
            (
                std::thread::spawn(move || h.join().map(|r| r.map_err(anyhow::Error::from))),
                Clock::Wall,
            )
        }
        (Source::File(f), _) => {
            let h = replay::spawn(
                f.path.clone(),
                f.speed,
                writer,
                counters.clone(),
                stop.clone(),
            )?;
            (
                std::thread::spawn(move || {
                    h.join().map(|r| r.map(|_| ()).map_err(anyhow::Error::from))
                }),
                Clock::Capture,
            )
        }
        (Source::Live(_), None) => anyhow::bail!("internal: live capture not open"),
    };
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let agent_name = if cfg.agent.name.is_empty() {
        callscope_shared::pki::local_hostname()
    } else {
        cfg.agent.name.clone()
    };
    let pipeline = Pipeline::new(
        ProbeAnalyzer::new(
            AnalyzerConfig::default(),
            LivePolicy {
                report_interval: u64::try_from(cfg.report_interval().as_nanos())
                    .unwrap_or(u64::MAX),
                ..LivePolicy::default()
            },
        ),
        HepEncode::new(cfg.agent.id, &agent_name),
        shared.clone(),
        counters.clone(),
        clock,
        cfg.report_interval(),
    );
    let analysis = std::thread::Builder::new()
        .name("analysis".into())
        .spawn(move || {
            pipeline.run(&rx, &pool);
            let _ = done_tx.send(());
        })?;

    // 5. Sender, counters log and signals on a small tokio runtime.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let engine = cfg.engine.clone();
    rt.block_on(async {
        let (sd_tx, sd_rx) = tokio::sync::watch::channel(false);
        // HEP over mutual TLS to the engine.
        let connector = tokio_rustls::TlsConnector::from(tls);
        let server_name = rustls::pki_types::ServerName::try_from(engine.server_name.clone())
            .map_err(|_| {
                anyhow::anyhow!(
                    "engine.server_name {:?} is not a DNS name or IP address",
                    engine.server_name
                )
            })?;
        let connect = move || -> ConnectFuture {
            let (addr, connector, name) = (engine.address, connector.clone(), server_name.clone());
            Box::pin(async move {
                let tcp = tokio::net::TcpStream::connect(addr).await?;
                tcp.set_nodelay(true)?;
                let tls = connector.connect(name, tcp).await?;
                Ok(Box::new(tls) as Box<dyn sender::Connection>)
            })
        };
        let sender = tokio::spawn(sender::run(
            shared.clone(),
            SenderConfig::default(),
            HepFraming::default(),
            connect,
            sd_rx,
        ));
        let mut tick = tokio::time::interval(cfg.report_interval());
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut done = std::pin::pin!(done_rx);
        let mut input_done = false;
        loop {
            tokio::select! {
                _ = tick.tick() => status::log_line(&counters.snapshot()),
                _ = tokio::signal::ctrl_c() => { tracing::info!("interrupted; stopping"); break; }
                _ = term.recv() => { tracing::info!("terminated; stopping"); break; }
                _ = &mut done, if !input_done => {
                    input_done = true;
                    tracing::info!("input finished; forwarding goes on until the spool is empty or the probe is stopped");
                }
            }
            if input_done && shared.lock().usage().records == 0 {
                break;
            }
        }
        stop.store(true, Ordering::Relaxed);
        if let Some(s) = &stopper {
            s.stop();
        }
        // The analysis thread writes every open stream's final report when its input ends:
        // wait for them, and send what the spool holds while connected (bounded; whatever is
        // left stays in the spool for the next start).
        let drain = std::time::Duration::from_secs(5);
        if !input_done {
            let _ = tokio::time::timeout(drain, &mut done).await;
        }
        let deadline = tokio::time::Instant::now() + drain;
        while shared.lock().usage().records > 0
            && counters.connected.load(Ordering::Relaxed) > 0
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let _ = sd_tx.send(true);
        let _ = sender.await;
        anyhow::Ok(())
    })?;
    let cap = capture_thread
        .join()
        .map_err(|_| anyhow::anyhow!("capture thread panicked"))?;
    let _ = analysis.join();
    {
        let mut s = shared.lock();
        s.sync()?;
        shared.update_counters(&s);
    }
    status::log_line(&counters.snapshot());
    match cap {
        Ok(r) => r,
        Err(_) => anyhow::bail!("capture thread panicked"),
    }
}

/// The client TLS configuration from `[tls]`: this probe's key and certificate (made by
/// `callscope-mediation probe-cert issue`) and the engine's certificate to trust.
fn tls_client(cfg: &Config) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let read = |what: &str, p: &Path| {
        std::fs::read(p).with_context(|| {
            format!(
                "cannot read the {what} {} (tls.{what} in the config); create the probe's files \
                 on the engine with `callscope-mediation probe-cert issue NAME --out DIR`",
                p.display()
            )
        })
    };
    let key = read("key", &cfg.tls.key)?;
    let cert = read("cert", &cfg.tls.cert)?;
    let trust = read("engine_trust", &cfg.tls.engine_trust)?;
    let trust = TrustSnapshot::from_certificates(&trust).with_context(|| {
        format!(
            "{} holds no usable certificate",
            cfg.tls.engine_trust.display()
        )
    })?;
    Ok(client_config_from_files(
        &key,
        &cert,
        trust,
        HostnameCheck::Verify,
    )?)
}
