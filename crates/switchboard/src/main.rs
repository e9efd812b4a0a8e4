//! `switchboard`: the PBX binary. `serve` runs it; `keys create` makes API keys.

mod config;
mod http_server;
mod memory;
mod seed;
mod serve;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use config::{Config, ServeFlags, StoreFlags};
use sb_core::provisioning::Role;

#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about = "A PBX driven over HTTP")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the PBX.
    Serve(ServeFlags),
    /// Manage provisioning API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create a key and print it (it is shown only this once).
    Create {
        #[command(flatten)]
        store: StoreFlags,
        /// What the key may do.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Confine the key to one tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// A note saying what the key is for.
        #[arg(long)]
        label: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Admin,
    Readonly,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Readonly => Role::ReadOnly,
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SWITCHBOARD_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().command {
        Command::Serve(flags) => serve::run(Config::for_serve(&flags)?).await,
        Command::Keys { command: KeysCommand::Create { store, role, tenant, label } } => {
            let config = Config::for_store(&store)?;
            let store = seed::open_store(&config).await?;
            let token = seed::create_key(&store, role.into(), tenant, label).await?;
            println!("{token}");
            store.close().await;
            Ok(())
        }
    }
}
