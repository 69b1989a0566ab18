//! The command line of `kompisd`: `serve`, `worker`, `migrate` and `token`.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use kompis_domain::{Role, Slug};
use kompis_grpc::{Principal, TokenIssuer};

use crate::settings::{DEVELOPMENT_JWT_SECRET, MigrateSettings};
use crate::{Application, Settings, telemetry};

/// The parsed command line.
#[derive(Debug, Parser)]
#[command(name = "kompisd", version, about = "The kompis buddy programme service")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the gRPC API (and, unless KOMPIS_RUN_WORKER=false, the worker role).
    Serve,
    /// Run only the worker role: relay the outbox to Redis and fire due timers.
    Worker,
    /// Apply database migrations and the places seed, then exit.
    Migrate,
    /// Print a signed bearer token for trying the API (development key by default).
    Token(TokenArgs),
}

/// What a token is for.
#[derive(Debug, clap::Args)]
struct TokenArgs {
    /// administrator, coordinator, referrer, participant or partner_viewer.
    #[arg(long)]
    role: String,
    /// Chapter slug (coordinator, partner_viewer).
    #[arg(long)]
    chapter: Option<String>,
    /// Municipality slug (partner_viewer, optional): only this municipality of the
    /// chapter.
    #[arg(long)]
    municipality: Option<String>,
    /// Organisation slug (referrer).
    #[arg(long)]
    organization: Option<String>,
    /// Participant id (participant). A new one when not given, for an app account that
    /// has not signed up yet: `SignUp` creates the participant with this id.
    #[arg(long)]
    participant: Option<String>,
    /// Account id (the token's subject), written to the event log as the actor and
    /// recorded as who gave consent. A new random one per token when not given, so
    /// that two tokens are two people.
    #[arg(long)]
    subject: Option<String>,
    /// Hours until the token expires (at most 168: the service refuses tokens valid for
    /// longer than a week).
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=168))]
    hours: u64,
}

impl Cli {
    /// Runs the command until it is done or `shutdown` resolves (for `serve` and
    /// `worker`).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let command = match self.command {
            Command::Token(args) => {
                println!("{}", token(args)?);
                return Ok(());
            }
            command => command,
        };
        if let Command::Migrate = command {
            // Migrations reach PostgreSQL only: Redis and the server's settings are not
            // asked for.
            let settings = MigrateSettings::from_env()?;
            let _telemetry = telemetry::init(settings.otlp_endpoint.as_deref())?;
            let store = kompis_store::Store::connect_lazy(&settings.database_url, 2)?;
            store.migrate().await.context("running migrations")?;
            tracing::info!("migrations applied");
            return Ok(());
        }
        let settings = Settings::from_env()?;
        let _telemetry = telemetry::init(settings.otlp_endpoint.as_deref())?;
        match command {
            Command::Worker => {
                let store = kompis_store::Store::connect_lazy(&settings.database_url, 4)?;
                if let Some(addr) = settings.metrics_addr {
                    let listener = tokio::net::TcpListener::bind(addr)
                        .await
                        .with_context(|| format!("binding the metrics address {addr}"))?;
                    tokio::spawn(crate::metrics_server::serve(listener, std::future::pending()));
                }
                crate::worker::run(settings, store, shutdown).await;
                Ok(())
            }
            _ => {
                let app = Application::build(settings).await?;
                eprintln!(
                    "kompis is listening on {}. Get a token with\n  kompisd token --role coordinator --chapter botkyrka\nand call it with any gRPC client (reflection is on), sending `authorization: Bearer <token>`.",
                    app.grpc_addr()
                );
                app.run_until(shutdown).await
            }
        }
    }
}

/// Signs a token for `args` with `KOMPIS_JWT_SECRET` (or the development key).
fn token(args: TokenArgs) -> anyhow::Result<String> {
    let role: Role = args.role.parse().map_err(|e| anyhow::anyhow!("--role: {e}"))?;
    let slug = |flag: &str, value: Option<String>| -> anyhow::Result<Option<Slug>> {
        value
            .map(|v| Slug::parse(&v).map_err(|e| anyhow::anyhow!("--{flag}: {e}")))
            .transpose()
    };
    let principal = Principal {
        subject: args
            .subject
            .unwrap_or_else(|| format!("dev-{}", uuid::Uuid::new_v4().simple())),
        role,
        chapter: slug("chapter", args.chapter)?,
        municipality: slug("municipality", args.municipality)?,
        organization: slug("organization", args.organization)?,
        participant: match (args.participant, role) {
            (Some(p), _) => Some(uuid::Uuid::parse_str(&p).context("--participant must be a UUID")?),
            (None, Role::Participant) => Some(uuid::Uuid::now_v7()),
            (None, _) => None,
        },
    };
    // Check the scope the role needs before signing, with the rule the server uses.
    principal.check_scope().map_err(|e| anyhow::anyhow!("{e}"))?;
    let secret = std::env::var("KOMPIS_JWT_SECRET").unwrap_or_else(|_| DEVELOPMENT_JWT_SECRET.to_owned());
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    Ok(TokenIssuer::new(secret.as_bytes()).issue(&principal, now, Duration::from_secs(args.hours * 3600)))
}

/// Waits for `signal`, or for ever when its handler could not be installed.
#[cfg(unix)]
async fn wait(signal: Option<&mut tokio::signal::unix::Signal>) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}

/// A future that resolves on Ctrl-C or SIGTERM. The handlers are installed when this
/// is called, not when the future is first polled: a signal that arrives while the
/// server is starting must stop it cleanly, not kill it with the default action.
/// Call it inside the Tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            tokio::select! {
                () = wait(signals.0.as_mut()) => {}
                () = wait(signals.1.as_mut()) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(subject: Option<&str>) -> TokenArgs {
        TokenArgs {
            role: "coordinator".into(),
            chapter: Some("botkyrka".into()),
            municipality: None,
            organization: None,
            participant: None,
            subject: subject.map(Into::into),
            hours: 1,
        }
    }

    fn subject_of(token: &str) -> String {
        let auth = kompis_grpc::Authenticator::new(DEVELOPMENT_JWT_SECRET.as_bytes());
        auth.verify(token).unwrap().subject
    }

    #[test]
    fn every_token_is_a_different_person_unless_a_subject_is_given() {
        let (a, b) = (token(args(None)).unwrap(), token(args(None)).unwrap());
        assert_ne!(subject_of(&a), subject_of(&b));
        assert_eq!(subject_of(&token(args(Some("anna"))).unwrap()), "anna");
    }

    #[test]
    fn a_participant_token_without_an_id_is_a_new_app_account() {
        let mut participant = args(None);
        participant.role = "participant".into();
        participant.chapter = None;
        let auth = kompis_grpc::Authenticator::new(DEVELOPMENT_JWT_SECRET.as_bytes());
        let a = auth.verify(&token(participant).unwrap()).unwrap();
        let mut again = args(None);
        again.role = "participant".into();
        again.chapter = None;
        let b = auth.verify(&token(again).unwrap()).unwrap();
        assert!(a.participant.is_some());
        assert_ne!(a.participant, b.participant);
    }

    #[test]
    fn a_role_without_its_scope_gets_no_token() {
        let mut no_chapter = args(None);
        no_chapter.chapter = None;
        assert!(token(no_chapter).is_err());
    }
}
