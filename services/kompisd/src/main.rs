//! `kompisd`: parses the command line and hands over to the library.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use kompis_domain::{Role, Slug};
use kompis_grpc::{Principal, TokenIssuer};
use kompisd::{Application, Settings, settings::DEVELOPMENT_JWT_SECRET, telemetry};

#[derive(Parser)]
#[command(name = "kompisd", version, about = "The kompis buddy programme service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the gRPC API (and, unless KOMPIS_RUN_WORKER=false, the worker role).
    Serve,
    /// Run only the worker role: relay the outbox to Redis.
    Worker,
    /// Apply database migrations and the places seed, then exit.
    Migrate,
    /// Print a signed bearer token for trying the API (development key by default).
    Token {
        /// administrator, coordinator, referrer, participant or partner_viewer.
        #[arg(long)]
        role: String,
        /// Chapter slug (coordinator, partner_viewer).
        #[arg(long)]
        chapter: Option<String>,
        /// Organisation slug (referrer).
        #[arg(long)]
        organization: Option<String>,
        /// Participant id (participant).
        #[arg(long)]
        participant: Option<String>,
        /// Account id written to the event log as the actor.
        #[arg(long, default_value = "dev-user")]
        subject: String,
        /// Hours until the token expires.
        #[arg(long, default_value_t = 12)]
        hours: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Token {
            role,
            chapter,
            organization,
            participant,
            subject,
            hours,
        } => token(role, chapter, organization, participant, subject, hours),
        command => {
            let settings = Settings::from_env()?;
            let _telemetry = telemetry::init(settings.otlp_endpoint.as_deref())?;
            match command {
                Command::Migrate => {
                    let store = kompis_store::Store::connect_lazy(&settings.database_url, 2)?;
                    store.migrate().await.context("running migrations")?;
                    tracing::info!("migrations applied");
                    Ok(())
                }
                Command::Worker => {
                    let store = kompis_store::Store::connect_lazy(&settings.database_url, 4)?;
                    if let Some(addr) = settings.metrics_addr {
                        let listener = tokio::net::TcpListener::bind(addr)
                            .await
                            .with_context(|| format!("binding the metrics address {addr}"))?;
                        tokio::spawn(kompisd::metrics_server::serve(listener, std::future::pending()));
                    }
                    kompisd::worker::run(settings, store, shutdown_signal()).await;
                    Ok(())
                }
                _ => {
                    let app = Application::build(settings).await?;
                    let addr = app.grpc_addr();
                    eprintln!(
                        "kompis is listening on {addr}. Get a token with\n  kompisd token --role coordinator --chapter botkyrka\nand call it with any gRPC client (reflection is on), sending `authorization: Bearer <token>`."
                    );
                    app.run_until(shutdown_signal()).await
                }
            }
        }
    }
}

fn token(
    role: String,
    chapter: Option<String>,
    organization: Option<String>,
    participant: Option<String>,
    subject: String,
    hours: u64,
) -> anyhow::Result<()> {
    let role: Role = role.parse().map_err(|e| anyhow::anyhow!("--role: {e}"))?;
    let slug = |flag: &str, value: Option<String>| -> anyhow::Result<Option<Slug>> {
        value
            .map(|v| Slug::parse(&v).map_err(|e| anyhow::anyhow!("--{flag}: {e}")))
            .transpose()
    };
    let principal = Principal {
        subject,
        role,
        chapter: slug("chapter", chapter)?,
        organization: slug("organization", organization)?,
        participant: participant
            .map(|p| uuid::Uuid::parse_str(&p).context("--participant must be a UUID"))
            .transpose()?,
    };
    // Check the scope the role needs before signing, with the rule the server uses.
    principal.check_scope().map_err(|e| anyhow::anyhow!("{e}"))?;
    let secret = std::env::var("KOMPIS_JWT_SECRET").unwrap_or_else(|_| DEVELOPMENT_JWT_SECRET.to_owned());
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    println!(
        "{}",
        TokenIssuer::new(secret.as_bytes()).issue(&principal, now, Duration::from_secs(hours * 3600))
    );
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
