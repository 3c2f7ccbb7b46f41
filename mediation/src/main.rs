//! `callscope-mediation`: the mediation engine, and `analyze` for offline captures.
#![forbid(unsafe_code)]

use anyhow::Context;
use callscope_mediation::config::Config;
use callscope_mediation::pki_cli::{self, CertCommand, ProbeCertCommand, TrustCommand};
use callscope_mediation::{analyze, serve};
use callscope_shared::pki::UnixTime;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "callscope-mediation",
    version,
    about = "callscope mediation engine and offline capture analysis"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The engine's configuration file (its data_dir holds keys, trust store and database).
#[derive(Args, Clone)]
struct ConfigArg {
    /// Engine configuration (TOML); without it, the documented defaults.
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse capture files offline: calls, legs, SIP messages, RTP streams and quality.
    Analyze(analyze::AnalyzeArgs),
    /// Run the engine: HEP/SBC listeners, storage, HTTPS API, embedded probe.
    Serve(ConfigArg),
    /// The engine's own TLS certificate: show, CSR, install a CA-signed one, regenerate.
    Cert {
        #[command(subcommand)]
        cmd: CertCommand,
        #[command(flatten)]
        cfg: ConfigArg,
    },
    /// Trusted certificates (probes, SBCs, CAs): list, add, remove.
    Trust {
        #[command(subcommand)]
        cmd: TrustCommand,
        #[command(flatten)]
        cfg: ConfigArg,
    },
    /// Certificates for probes: issue a key and certificate, or sign a probe's CSR.
    ProbeCert {
        #[command(subcommand)]
        cmd: ProbeCertCommand,
        #[command(flatten)]
        cfg: ConfigArg,
    },
    /// REST API keys: create (shown once), list, revoke.
    ApiKey {
        #[command(subcommand)]
        cmd: ApiKeyCommand,
        #[command(flatten)]
        cfg: ConfigArg,
    },
    /// Test exporter: replay a capture's SIP as an Oracle/Acme SBC would export it (IPFIX).
    SbcExport(SbcExportArgs),
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key; it is printed once and stored only as a hash.
    Create {
        name: String,
        /// Expire after this many days (default: never).
        #[arg(long)]
        days: Option<u32>,
        /// The user whose permissions the key carries.
        #[arg(long, default_value = "admin")]
        user: String,
    },
    List,
    Revoke {
        id: String,
    },
}

#[derive(Args)]
struct SbcExportArgs {
    /// Collector address (the engine's SBC listener, TLS 4740 by default).
    #[arg(long, default_value = "127.0.0.1:4740")]
    to: std::net::SocketAddr,
    /// Speak cleartext TCP (the engine's opt-in 4739 listener) instead of TLS.
    #[arg(long)]
    cleartext: bool,
    /// With TLS: directory with this exporter's key.pem, cert.pem and the engine's engine.pem
    /// (made by `probe-cert issue NAME --out DIR`).
    #[arg(long, value_name = "DIR")]
    tls_dir: Option<PathBuf>,
    /// Name the engine's certificate carries.
    #[arg(long, default_value = "localhost")]
    server_name: String,
    /// Addresses of the simulated SBC (its SIP is exported as "sent").
    #[arg(long = "sbc-addr")]
    sbc_addrs: Vec<std::net::IpAddr>,
    capture: PathBuf,
}

fn data_dir(c: &ConfigArg) -> anyhow::Result<(Config, PathBuf)> {
    let cfg = match &c.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let dir = cfg.data_dir.clone();
    Ok((cfg, dir))
}

fn api_key(cmd: &ApiKeyCommand, dir: &Path) -> anyhow::Result<()> {
    let mut keys = callscope_mediation::api::keys::ApiKeys::load(dir)?;
    match cmd {
        ApiKeyCommand::Create { name, days, user } => {
            let key = keys.create(name, *days, user)?;
            eprintln!(
                "API key created; it is shown only now. Send it as: Authorization: Bearer KEY"
            );
            println!("{key}");
        }
        ApiKeyCommand::List => {
            for k in keys.list() {
                println!(
                    "{}\t{}\towner {}\tcreated {}\texpires {}",
                    k.id,
                    k.name,
                    k.owner(),
                    k.created,
                    k.expires.map_or("never".into(), |e| e.to_string())
                );
            }
        }
        ApiKeyCommand::Revoke { id } => {
            keys.revoke(id)?;
            println!("revoked {id}");
        }
    }
    Ok(())
}

fn sbc_export(a: &SbcExportArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let opts = callscope_mediation::sbc::ExportOptions {
        sbc_addrs: a.sbc_addrs.clone(),
        ..Default::default()
    };
    let summary = rt.block_on(async {
        let tcp = tokio::net::TcpStream::connect(a.to)
            .await
            .with_context(|| format!("cannot connect to {}", a.to))?;
        if a.cleartext {
            return callscope_mediation::sbc::export_capture(tcp, &a.capture, &opts)
                .await
                .map_err(anyhow::Error::from);
        }
        let dir = a.tls_dir.as_deref().context(
            "TLS needs --tls-dir DIR with key.pem, cert.pem and engine.pem (from `probe-cert issue NAME --out DIR` on the engine); or --cleartext for a 4739 listener",
        )?;
        let read = |f: &str| std::fs::read(dir.join(f)).with_context(|| format!("cannot read {}", dir.join(f).display()));
        let trust = callscope_shared::pki::TrustSnapshot::from_certificates(&read("engine.pem")?)?;
        let tls = callscope_shared::pki::client_config_from_files(
            &read("key.pem")?,
            &read("cert.pem")?,
            trust,
            callscope_shared::pki::HostnameCheck::Verify,
        )?;
        let name = rustls::pki_types::ServerName::try_from(a.server_name.clone())
            .context("--server-name is not a DNS name or IP address")?;
        let s = tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .context("TLS handshake with the collector failed")?;
        callscope_mediation::sbc::export_capture(s, &a.capture, &opts)
            .await
            .map_err(anyhow::Error::from)
    })?;
    eprintln!("exported: {summary:?}");
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CALLSCOPE_LOG")
                .unwrap_or_else(|_| default_level.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match &cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Serve(c) => serve::run(c.config.as_deref()),
        Command::Cert { cmd, cfg } => data_dir(cfg).and_then(|(c, d)| {
            pki_cli::run_cert_to(
                cmd,
                &d,
                &serve::identity_config(&c),
                UnixTime::now(),
                &mut std::io::stdout().lock(),
            )
        }),
        Command::Trust { cmd, cfg } => data_dir(cfg).and_then(|(_, d)| pki_cli::run_trust(cmd, &d)),
        Command::ProbeCert { cmd, cfg } => data_dir(cfg).and_then(|(c, d)| {
            pki_cli::run_probe_cert_to(
                cmd,
                &d,
                &serve::identity_config(&c),
                UnixTime::now(),
                &mut std::io::stdout().lock(),
            )
        }),
        Command::ApiKey { cmd, cfg } => data_dir(cfg).and_then(|(_, d)| api_key(cmd, &d)),
        Command::SbcExport(a) => sbc_export(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
