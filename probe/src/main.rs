//! `callscope-probe`: live capture (or replay), analysis, spooling and forwarding.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

mod run;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "callscope-probe",
    version,
    about = "callscope probe: capture, analyse and forward SIP and media quality to a mediation engine"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Capture (or replay a file) and forward to the engine. Without --config the documented
    /// defaults apply (see probe.example.toml).
    Run {
        /// TOML configuration file.
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Print the counters of a running probe (JSON), read from its status socket.
    Status {
        /// Status socket path (default: status.socket of the default configuration).
        #[arg(long)]
        socket: Option<PathBuf>,
    },
    /// Check a configuration file and exit.
    CheckConfig {
        /// TOML configuration file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CALLSCOPE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Run { config } => run::run(config.as_deref()),
        Command::Status { socket } => status(socket),
        Command::CheckConfig { file } => callscope_probe::config::Config::load(&file)
            .map(|_| println!("{}: ok", file.display()))
            .map_err(Into::into),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn status(socket: Option<PathBuf>) -> anyhow::Result<()> {
    let path = socket.unwrap_or_else(|| callscope_probe::config::StatusConfig::default().socket);
    let doc = callscope_probe::status::query(&path)?;
    print!("{doc}");
    Ok(())
}
