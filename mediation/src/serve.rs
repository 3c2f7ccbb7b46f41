//! `callscope-mediation serve`: the engine daemon. Opens storage, makes its TLS identity on
//! first start, starts the ingest pipeline and every configured listener, imports or captures
//! with the embedded probe, enforces retention, and stops cleanly on SIGINT/SIGTERM.
use crate::api::{self, ApiState, keys::ApiKeys, reader::StoreReader};
use crate::config::{Config, Listeners};
use crate::engine::rocks_adapter::RocksEngineStore;
use crate::engine::{Batch, Input, Pipeline, PipelineHandle, embedded};
use crate::ingest::hep::{HepCounters, HepIngest};
use crate::sbc::OwnedCollectorEvent;
use crate::storage::{RocksStore, StoreOptions};
use anyhow::Context;
use callscope_shared::analysis::assemble::SipInput;
use callscope_shared::net::Flow;
use callscope_shared::pki::{
    ClientAuth, FollowingIdentity, Identity, IdentityConfig, PkiPaths, TrustStore, UnixTime,
    peer_certificate, server_config_following,
};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The identity configuration from `[tls]`.
pub fn identity_config(cfg: &Config) -> IdentityConfig {
    let mut ic = IdentityConfig::new(&cfg.tls.common_name);
    ic.dns_sans.clone_from(&cfg.tls.dns_sans);
    ic.ip_sans.clone_from(&cfg.tls.ip_sans);
    ic
}

fn warn_insecure(what: &str, addr: SocketAddr) {
    tracing::warn!(
        listener = what,
        %addr,
        "INSECURE: cleartext listener enabled by configuration; traffic and any HEP key on it \
         can be read and forged on the network"
    );
    eprintln!("warning: insecure cleartext {what} listener on {addr} (enabled in the config)");
}

async fn bind(what: &str, addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen for {what} on {addr}: is another process using the port? change it in the config")
    })
}

pub fn run(config: Option<&Path>) -> anyhow::Result<()> {
    let cfg = match config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let listeners = cfg.validate()?;
    std::fs::create_dir_all(&cfg.data_dir).with_context(|| {
        format!(
            "cannot create data_dir {}; choose a writable directory in the config",
            cfg.data_dir.display()
        )
    })?;

    // TLS identity (made on first start) and trust store.
    let paths = PkiPaths::new(&cfg.data_dir);
    let identity =
        Identity::load_or_create(&paths.identity, &identity_config(&cfg), UnixTime::now())
            .with_context(|| format!("TLS identity in {}", paths.identity.display()))?;
    let fp = identity.fingerprint_sha256();
    tracing::info!(fingerprint = %fp, "engine certificate");
    eprintln!("engine certificate SHA-256 fingerprint: {fp}");
    let trust = TrustStore::open(&paths.trust)
        .with_context(|| format!("trust store {}", paths.trust.display()))?;

    // Storage and the ingest pipeline (replays open calls of a previous run).
    let db = cfg.data_dir.join("db");
    let store: Arc<dyn crate::storage::Store> = Arc::new(
        RocksStore::open(&db, StoreOptions::default())
            .with_context(|| format!("opening the database {}", db.display()))?,
    );
    let (pipeline, ingest_thread) = Pipeline::start(
        Box::new(RocksEngineStore::new(store.clone())),
        cfg.analyzer(),
        cfg.policy(),
    )?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let hep_counters = Arc::new(HepCounters::default());
    let result = rt.block_on(serve(
        &cfg,
        listeners,
        &identity,
        &trust,
        store.clone(),
        pipeline,
        hep_counters,
    ));
    rt.shutdown_timeout(Duration::from_secs(5));
    // The listeners' pipeline handles are gone: the ingest thread finishes its last batch and
    // stops. A live embedded capture keeps its handle until the process exits, so wait a
    // bounded time: everything acknowledged is already durable, open calls resume at restart.
    for _ in 0..100 {
        if ingest_thread.is_finished() {
            let _ = ingest_thread.join();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    result
}

async fn serve(
    cfg: &Config,
    l: Listeners,
    identity: &Identity,
    trust: &TrustStore,
    store: Arc<dyn crate::storage::Store>,
    pipeline: PipelineHandle,
    hep_counters: Arc<HepCounters>,
) -> anyhow::Result<()> {
    // One view of the engine's key and certificate for every TLS listener, following the files
    // so that a certificate installed or regenerated (CLI or API) is served without a restart.
    let following = FollowingIdentity::new(identity)?;
    let auth_key: Option<Arc<[u8]>> = match &cfg.hep.auth_key_file {
        Some(p) => {
            let k = std::fs::read(p)
                .with_context(|| format!("cannot read hep.auth_key_file {}", p.display()))?;
            Some(Arc::from(k.trim_ascii()))
        }
        None => None,
    };
    let hep = HepIngest {
        pipeline: pipeline.clone(),
        auth_key,
        counters: hep_counters.clone(),
    };
    let mut tasks = tokio::task::JoinSet::new();

    if let Some(addr) = l.hep_tls {
        let tls = TlsReloader::new(&following, trust)?;
        let listener = bind("HEP over TLS", addr).await?;
        tracing::info!(%addr, trusted = trust.list().len(), "HEP over TLS (mutual authentication)");
        let hep = hep.clone();
        tasks.spawn(accept_tls(
            listener,
            tls,
            "HEP/TLS connection refused (certificate not trusted, or not TLS); add the probe with `probe-cert issue` or `trust add`",
            move |s, name, peer| {
                let hep = hep.clone();
                async move {
                    tracing::info!(%peer, probe = %name, "HEP/TLS session");
                    hep.serve_stream(s, Arc::from(name.as_str())).await;
                    tracing::info!(%peer, probe = %name, "HEP/TLS session closed");
                }
            },
        ));
    }
    if let Some(addr) = l.hep_tcp {
        warn_insecure("HEP/TCP", addr);
        let listener = bind("HEP over TCP", addr).await?;
        let hep = hep.clone();
        tasks.spawn(async move {
            loop {
                let Ok((tcp, peer)) = listener.accept().await else {
                    continue;
                };
                let hep = hep.clone();
                tokio::spawn(async move {
                    hep.serve_stream(tcp, Arc::from(peer.to_string().as_str()))
                        .await;
                });
            }
        });
    }
    if let Some(addr) = l.hep_udp {
        warn_insecure("HEP/UDP", addr);
        let sock = tokio::net::UdpSocket::bind(addr)
            .await
            .with_context(|| format!("cannot listen for HEP/UDP on {addr}"))?;
        let hep = hep.clone();
        tasks.spawn(async move { hep.serve_udp(sock).await });
    }
    if let Some(addr) = l.sbc_tls {
        let tls = TlsReloader::new(&following, trust)?;
        let listener = bind("SBC export over TLS", addr).await?;
        tracing::info!(%addr, "SBC export (IPFIX) over TLS");
        let p = pipeline.clone();
        tasks.spawn(accept_tls(
            listener,
            tls,
            "SBC/TLS connection refused (certificate not trusted); add the SBC's certificate or CA with `trust add`",
            move |s, name, _peer| sbc_session(s, name, p.clone()),
        ));
    }
    if let Some(addr) = l.sbc_tcp {
        warn_insecure("SBC export/TCP", addr);
        let listener = bind("SBC export over TCP", addr).await?;
        let p = pipeline.clone();
        tasks.spawn(async move {
            loop {
                let Ok((tcp, peer)) = listener.accept().await else {
                    continue;
                };
                let p = p.clone();
                tokio::spawn(async move { sbc_session(tcp, peer.to_string(), p).await });
            }
        });
    }
    if let Some(addr) = l.https {
        let tls = server_config_following(following.clone(), ClientAuth::None)?;
        let listener = bind("HTTPS", addr).await?;
        let keys = ApiKeys::load(&cfg.data_dir)?;
        let external: Option<Arc<dyn crate::auth::login::ExternalAuth>> = match &cfg.auth.radius {
            Some(r) => Some(Arc::new(
                crate::auth::radius::RadiusClient::new(r)
                    .map_err(|e| anyhow::anyhow!("[auth.radius]: {e}"))?,
            )),
            None => None,
        };
        let auth = Arc::new(crate::auth::login::AuthService::open(
            &cfg.data_dir,
            cfg.auth.clone(),
            external,
        )?);
        auth.audit(
            "engine_started",
            "system",
            "",
            "",
            &format!("HTTPS on {addr}"),
        );
        let state = ApiState {
            reader: Arc::new(StoreReader(store.clone())),
            keys: Arc::new(RwLock::new(keys)),
            auth,
            stats: pipeline.stats.clone(),
            hep: hep_counters.clone(),
            data_dir: cfg.data_dir.clone(),
        };
        tracing::info!(%addr, "HTTPS API");
        eprintln!("web UI on https://{addr}/ and REST API on https://{addr}/api/v1/ (HTTPS only)");
        tasks.spawn(api::serve_https(listener, tls, api::router(state)));
        if let Some(r) = l.http_redirect {
            let listener = bind("HTTP redirect", r).await?;
            tracing::warn!(%r, "cleartext HTTP listener: redirects to HTTPS only");
            eprintln!(
                "HTTP on {r} only redirects to https://...:{} (https.http_redirect_listen)",
                addr.port()
            );
            tasks.spawn(api::serve_http_redirect(listener, addr.port()));
        }
    }

    // Retention, off the ingest path.
    {
        let (store, age, max, every) = (
            store.clone(),
            Duration::from_secs(u64::from(cfg.storage.max_age_days) * 86_400),
            cfg.storage.max_bytes,
            Duration::from_secs(cfg.storage.retention_interval_s.max(1)),
        );
        tasks.spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let store = store.clone();
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0);
                match tokio::task::spawn_blocking(move || store.enforce_retention(now, age, max))
                    .await
                {
                    Ok(Ok(r)) if r.rounds > 0 => tracing::info!(
                        bytes_before = r.bytes_before,
                        bytes_after = r.bytes_after,
                        "retention deleted old data"
                    ),
                    Ok(Err(e)) => tracing::error!(error = %e, "retention failed"),
                    _ => {}
                }
            }
        });
    }

    // The embedded probe.
    if let Some(c) = &cfg.capture {
        if let Some(file) = &c.file
            && !already_imported(&cfg.data_dir, file)
        {
            let marker = import_marker(&cfg.data_dir, file);
            let (file, p, acfg, policy, name) = (
                file.clone(),
                pipeline.clone(),
                cfg.analyzer(),
                cfg.policy(),
                c.name.clone(),
            );
            tasks.spawn(async move {
                let shown = file.display().to_string();
                let res = tokio::task::spawn_blocking(move || {
                    embedded::import_file(&file, p, acfg, policy, &name)
                })
                .await;
                match res {
                    Ok(Ok(frames)) => {
                        if let Some(m) = marker {
                            let _ = std::fs::create_dir_all(m.parent().unwrap_or(Path::new(".")));
                            let _ = std::fs::write(&m, shown.as_bytes());
                        }
                        tracing::info!(file = %shown, frames, "capture imported");
                        eprintln!(
                            "imported {shown}: {frames} frames; calls are stored and searchable"
                        );
                    }
                    Ok(Err(e)) => {
                        tracing::error!(file = %shown, error = %format!("{e:#}"), "import failed");
                        eprintln!("error: import of {shown} failed: {e:#}");
                    }
                    Err(e) => tracing::error!(error = %e, "import task failed"),
                }
            });
        }
        if let Some(iface) = &c.interface {
            let (p, acfg, policy, name, iface, filter) = (
                pipeline.clone(),
                cfg.analyzer(),
                cfg.policy(),
                c.name.clone(),
                iface.clone(),
                c.filter.clone(),
            );
            std::thread::Builder::new()
                .name("capture".into())
                .spawn(move || {
                    if let Err(e) = embedded::capture_live(&iface, &filter, p, acfg, policy, &name) {
                        tracing::error!(interface = %iface, error = %format!("{e:#}"), "embedded capture stopped");
                        eprintln!("error: capture on {iface}: {e:#}");
                    }
                })?;
        }
    }

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("interrupted; stopping"),
        _ = term.recv() => tracing::info!("terminated; stopping"),
    }
    tasks.abort_all();
    Ok(())
}

/// Accepts mutual-TLS connections forever, each on its own task: the handshake (10 s at
/// most, checked against the trust store as it is now), then `session` with the peer's
/// certificate name (or its address).
async fn accept_tls<F, Fut>(
    listener: tokio::net::TcpListener,
    tls: TlsReloader,
    refused: &'static str,
    session: F,
) where
    F: Fn(tokio_rustls::server::TlsStream<tokio::net::TcpStream>, String, SocketAddr) -> Fut
        + Send
        + Sync
        + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let session = Arc::new(session);
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let Some(acceptor) = tls.acceptor() else {
            continue;
        };
        let session = session.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                Ok(Ok(s)) => {
                    let name = peer_certificate(s.get_ref().1)
                        .map(|c| c.name().to_owned())
                        .unwrap_or_else(|| peer.to_string());
                    session(s, name, peer).await;
                }
                Ok(Err(e)) => tracing::warn!(%peer, error = %e, "{refused}"),
                Err(_) => tracing::warn!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

/// Mutual-TLS server configuration that follows the trust store: each new connection is
/// checked against the store as it is on disk now, so `trust add/remove` and `probe-cert
/// issue` take effect without a restart (and a removed probe is refused at its next connect).
struct TlsReloader {
    identity: Arc<FollowingIdentity>,
    trust_dir: std::path::PathBuf,
}

impl TlsReloader {
    fn new(identity: &Arc<FollowingIdentity>, trust: &TrustStore) -> anyhow::Result<Self> {
        let r = Self {
            identity: identity.clone(),
            trust_dir: trust.dir().to_path_buf(),
        };
        r.acceptor().context("TLS server configuration")?;
        Ok(r)
    }

    fn acceptor(&self) -> Option<tokio_rustls::TlsAcceptor> {
        let built = TrustStore::open(&self.trust_dir)
            .map_err(anyhow::Error::from)
            .and_then(|t| {
                Ok(server_config_following(
                    self.identity.clone(),
                    ClientAuth::Required(t.snapshot()),
                )?)
            });
        match built {
            Ok(cfg) => Some(tokio_rustls::TlsAcceptor::from(cfg)),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "cannot build the TLS configuration from the trust store; connection refused");
                None
            }
        }
    }
}

/// Where the engine notes that a capture file (by path, size and modification time) was
/// imported, so a restart does not import it twice.
fn import_marker(data_dir: &Path, file: &Path) -> Option<std::path::PathBuf> {
    use sha2::Digest;
    let meta = std::fs::metadata(file).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    let abs = std::fs::canonicalize(file).ok()?;
    let key = format!("{}\n{}\n{mtime}", abs.display(), meta.len());
    let h = hex::encode(sha2::Sha256::digest(key.as_bytes()));
    Some(data_dir.join("imported").join(h))
}

fn already_imported(data_dir: &Path, file: &Path) -> bool {
    let done = import_marker(data_dir, file).is_some_and(|m| m.exists());
    if done {
        tracing::info!(file = %file.display(), "capture already imported (remove <data_dir>/imported/ to import it again)");
        eprintln!(
            "{} was already imported; its calls are in the database",
            file.display()
        );
    }
    done
}

/// One SBC export session: SIP copies into the pipeline, QoS counted.
async fn sbc_session<S>(stream: S, peer: String, pipeline: PipelineHandle)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let source: Arc<str> = Arc::from(format!("sbc:{peer}").as_str());
    let log_peer = peer.clone();
    let res = crate::sbc::serve_session(stream, peer, |ev| {
        let input = match ev {
            OwnedCollectorEvent::Sip {
                transport,
                ts,
                src,
                dst,
                bytes,
                ..
            } => Input::Sip(SipInput {
                ts,
                flow: Flow { src, dst },
                transport,
                bytes,
            }),
            OwnedCollectorEvent::Qos { record, .. } => {
                Input::SbcQos(Box::new(crate::sbc::qos_record(&record, &source)))
            }
            _ => return,
        };
        let batch = Batch {
            source: source.clone(),
            spool: None,
            items: vec![(None, input)],
            ack: None,
        };
        tokio::task::block_in_place(|| pipeline.send(batch));
    })
    .await;
    match res {
        Ok(c) => tracing::info!(peer = %log_peer, counters = ?c, "SBC session closed"),
        Err(e) => tracing::warn!(peer = %log_peer, error = %e, "SBC session ended with an error"),
    }
}
