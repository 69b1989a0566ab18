//! Test harness: the real server, in-process, on port 0, against a fresh PostgreSQL
//! database and a unique Redis key prefix per test, called with the generated clients.
//!
//! `DATABASE_URL` names a server and a database to connect to for creating the test
//! databases; `REDIS_URL` names Redis. `scripts/test.sh` sets both (starting
//! project-local servers when none are given); without them the machine's default
//! local servers are assumed.
#![allow(dead_code)]

pub mod postgres;
pub mod redis;
pub mod smtp;

use std::net::SocketAddr;
use std::time::Duration;

use kompis_domain::{Clock, ManualClock, Role, Slug};
use kompis_grpc::{Principal, TokenIssuer};
use kompisd::settings::DEVELOPMENT_JWT_SECRET;
use kompisd::{Application, Settings};
use sqlx::{Connection, Executor, PgConnection, PgPool};
use tokio::sync::oneshot;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use uuid::Uuid;

/// The admin database URL tests create their databases from.
pub fn admin_database_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The Redis URL tests use.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    // postgres://user@host:port/db -> keep everything up to the path.
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{}", &base[..path_start], database);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A fresh, empty database, dropped when this value is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    admin_url: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let admin_url = admin_database_url();
        let name = format!("kompis_test_{}", Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&admin_url)
            .await
            .expect("the test PostgreSQL server must be reachable (DATABASE_URL)");
        conn.execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .await
            .expect("create the test database");
        let url = with_database(&admin_url, &name);
        Self { name, url, admin_url }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop needs async I/O; do it on a small runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin_url).await {
                    let _ = conn
                        .execute(sqlx::AssertSqlSafe(format!(
                            r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
                        )))
                        .await;
                }
            });
        })
        .join();
    }
}

/// Settings for a test server: port 0, the given database, a unique Redis prefix.
pub fn test_settings(database_url: &str, redis_prefix: &str) -> Settings {
    let vars = [
        ("DATABASE_URL", database_url.to_owned()),
        ("REDIS_URL", redis_url()),
        ("KOMPIS_REDIS_PREFIX", redis_prefix.to_owned()),
        ("KOMPIS_GRPC_ADDR", "127.0.0.1:0".to_owned()),
        ("KOMPIS_METRICS_ADDR", "127.0.0.1:0".to_owned()),
        ("KOMPIS_HEALTH_INTERVAL_MS", "100".to_owned()),
        ("KOMPIS_SHUTDOWN_GRACE_MS", "3000".to_owned()),
        ("KOMPIS_DATABASE_MAX_CONNECTIONS", "5".to_owned()),
        // Entries left pending by a failed attempt are tried again soon.
        ("KOMPIS_QUEUE_RECLAIM_MS", "300".to_owned()),
    ];
    Settings::from_map(&vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
        .expect("test settings are valid")
}

/// An administrator's token signed with the development key, for servers run as
/// child processes.
pub fn token_for_administrator() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    TokenIssuer::new(DEVELOPMENT_JWT_SECRET.as_bytes()).issue(
        &Principal {
            subject: "admin-1".into(),
            role: Role::Administrator,
            chapter: None,
            organization: None,
            participant: None,
            municipality: None,
        },
        now,
        Duration::from_secs(3600),
    )
}

/// A running test server.
pub struct TestApp {
    pub addr: SocketAddr,
    pub metrics_addr: Option<SocketAddr>,
    pub redis_prefix: String,
    database_url: String,
    pool: PgPool,
    channel: Channel,
    issuer: TokenIssuer,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    database: Option<TestDatabase>,
    clock: Option<ManualClock>,
}

/// Starts the server with a fresh database (migrated, places seeded).
pub async fn spawn_app() -> TestApp {
    spawn(false).await
}

/// Starts the server with a fresh database and the demo reference data: chapter
/// `botkyrka` covering municipality `botkyrka`; organisations `sfi-botkyrka` and
/// `folkhogskola-tumba`; the chapter's interest taxonomy. No people: tests make their own.
pub async fn spawn_app_with_demo() -> TestApp {
    spawn(true).await
}

/// Starts the server with a fresh database, the demo reference data and a manual
/// clock showing `start`: business times come from it, and the worker fires timers by
/// it. Move it with [`TestApp::clock`] and wait for the effect with [`eventually`].
pub async fn spawn_app_with_clock(start_time: time::OffsetDateTime) -> TestApp {
    spawn_with(true, Some(ManualClock::new(start_time))).await
}

async fn spawn(demo: bool) -> TestApp {
    // An app with the demo data runs on a clock that follows the system's, which a test
    // may move forward (to hold a booked interview, say) without stopping timers.
    let clock = demo.then(ManualClock::running);
    spawn_with(demo, clock).await
}

/// Starts the server with a fresh database and the demo reference data, with settings
/// changed by `configure` first (an SMTP server, a Redis of the test's own...).
pub async fn spawn_app_configured(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_configured(true, Some(ManualClock::running()), configure).await
}

/// Like [`spawn_app_with_demo`] (a clock that follows the system's until moved), with
/// settings changed by `configure` first (no worker in the server, say).
pub async fn spawn_app_with_demo_configured(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_configured(true, Some(ManualClock::running()), configure).await
}

async fn spawn_with(demo: bool, clock: Option<ManualClock>) -> TestApp {
    spawn_configured(demo, clock, |_| {}).await
}

async fn spawn_configured(
    demo: bool,
    clock: Option<ManualClock>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let database = TestDatabase::create().await;
    let prefix = format!("test-{}", Uuid::new_v4().simple());
    let mut settings = test_settings(&database.url, &prefix);
    configure(&mut settings);
    if let Some(clock) = &clock {
        settings.clock = Clock::from(clock.clone());
        // Timers are judged by the manual clock; the interval only bounds how soon a
        // test sees their effect.
        settings.timer_interval = Duration::from_millis(20);
    }
    let mut app = start(settings).await;
    app.clock = clock;
    if demo {
        kompis_store::Store::from_pool(app.pool.clone())
            .load_demo_reference_data()
            .await
            .expect("load the demo reference data");
    }
    app.database = Some(database);
    app
}

/// Starts a server with explicit settings (for fault tests with their own servers).
pub async fn start(settings: Settings) -> TestApp {
    // Server logs go to the test's captured output, shown when a test fails.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .try_init();
    let redis_prefix = settings.redis_prefix.clone();
    let database_url = settings.database_url.clone();
    let application = Application::build(settings)
        .await
        .expect("the application builds");
    let addr = application.grpc_addr();
    let metrics_addr = application.metrics_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(application.run_until(async move {
        let _ = rx.await;
    }));
    let database_url_for_roles = database_url.clone();
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("connect to the test server");
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_lazy(&database_url)
        .expect("test pool");
    TestApp {
        addr,
        metrics_addr,
        redis_prefix,
        pool,
        channel,
        issuer: TokenIssuer::new(DEVELOPMENT_JWT_SECRET.as_bytes()),
        database_url: database_url_for_roles,
        shutdown: Some(tx),
        server: Some(server),
        database: None,
        clock: None,
    }
}

impl TestApp {
    /// A channel to the server.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// The server's manual clock (apps started with [`spawn_app_with_clock`], or with
    /// [`spawn_app_with_demo`], whose clock runs with the system's until moved).
    pub fn clock(&self) -> &ManualClock {
        self.clock
            .as_ref()
            .expect("an app started with spawn_app_with_clock")
    }

    /// The test database's URL (as the migrating user), for processes of the test's own.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// A pool on the test database, for assertions the API cannot make. It connects
    /// as the migrating user, not as the service's role.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A connection on the test database acting as the service's role (`kompis_app`),
    /// for proving what the service may and may not do.
    pub async fn service_role_connection(&self) -> PgConnection {
        let mut conn = PgConnection::connect(&self.database_url).await.expect("connect");
        conn.execute("SET ROLE kompis_app")
            .await
            .expect("the service role exists");
        conn
    }

    /// A signed token for `principal`, valid for an hour.
    pub fn token(&self, principal: &Principal) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        self.issuer.issue(principal, now, Duration::from_secs(3600))
    }

    fn principal(role: Role, subject: &str) -> Principal {
        Principal {
            subject: subject.to_owned(),
            role,
            chapter: None,
            organization: None,
            participant: None,
            municipality: None,
        }
    }

    /// An administrator's token.
    pub fn administrator(&self) -> String {
        self.token(&Self::principal(Role::Administrator, "admin-1"))
    }

    /// A token for a coordinator of `chapter`.
    pub fn coordinator(&self, chapter: &str) -> String {
        let mut p = Self::principal(Role::Coordinator, &format!("coordinator-{chapter}"));
        p.chapter = Some(Slug::parse(chapter).unwrap());
        self.token(&p)
    }

    /// A token for a referrer at `organization`.
    pub fn referrer(&self, organization: &str) -> String {
        let mut p = Self::principal(Role::Referrer, &format!("referrer-{organization}"));
        p.organization = Some(Slug::parse(organization).unwrap());
        self.token(&p)
    }

    /// A token for participant `id`.
    pub fn participant(&self, id: Uuid) -> String {
        let mut p = Self::principal(Role::Participant, &format!("participant-{id}"));
        p.participant = Some(id);
        self.token(&p)
    }

    /// A token for a partner viewer of `chapter`.
    pub fn partner_viewer(&self, chapter: &str) -> String {
        let mut p = Self::principal(Role::PartnerViewer, &format!("partner-{chapter}"));
        p.chapter = Some(Slug::parse(chapter).unwrap());
        self.token(&p)
    }

    /// A partner viewer of `chapter` whose token names one municipality of it.
    pub fn partner_viewer_of(&self, chapter: &str, municipality: &str) -> String {
        let mut p = Self::principal(Role::PartnerViewer, &format!("partner-{chapter}-{municipality}"));
        p.chapter = Some(Slug::parse(chapter).unwrap());
        p.municipality = Some(Slug::parse(municipality).unwrap());
        self.token(&p)
    }

    /// Asks the server to shut down and waits until it has.
    pub async fn shutdown(mut self) {
        self.stop_server().await;
    }

    /// Shuts the server down and waits, keeping the database for assertions.
    pub async fn stop_server(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server stops cleanly");
        }
    }

    /// Sends the shutdown signal without waiting.
    pub fn signal_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub struct Bearer(MetadataValue<Ascii>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// A channel that authenticates every call with `token`.
pub type Authed = InterceptedService<Channel, Bearer>;

/// Wraps `channel` so every call carries `token`.
pub fn authed(channel: Channel, token: &str) -> Authed {
    InterceptedService::new(channel, Bearer(format!("Bearer {token}").parse().unwrap()))
}

/// The BadRequest field names of an INVALID_ARGUMENT status, sorted.
pub fn bad_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    let mut fields: Vec<String> = status
        .get_details_bad_request()
        .expect("INVALID_ARGUMENT carries a BadRequest")
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect();
    fields.sort();
    fields
}

/// The ErrorInfo reason of a status.
pub fn reason(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

/// A value of the ErrorInfo metadata of a status.
pub fn error_metadata(status: &tonic::Status, key: &str) -> Option<String> {
    use tonic_types::StatusExt;
    status
        .get_details_error_info()
        .and_then(|i| i.metadata.get(key).cloned())
}

/// The real `kompisd serve` binary as a child process, on a free port, against
/// `database_url`, with `env` added; returns it with the address it listens on. For
/// tests of what only a whole process shows (process-global telemetry, signals).
pub async fn spawn_kompisd(database_url: &str, env: &[(&str, String)]) -> (tokio::process::Child, String) {
    use tokio::io::AsyncBufReadExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kompisd"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("REDIS_URL", redis_url())
        .env("KOMPIS_REDIS_PREFIX", format!("test-{}", Uuid::new_v4().simple()))
        .env("KOMPIS_GRPC_ADDR", "127.0.0.1:0")
        .env("KOMPIS_METRICS_ADDR", "off")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start kompisd");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("kompisd prints its address");
        if let Some(rest) = line.strip_prefix("kompis is listening on ") {
            break rest
                .split_whitespace()
                .next()
                .unwrap()
                .trim_end_matches('.')
                .to_owned();
        }
    };
    (child, addr)
}

/// The real `kompisd worker` binary as a child process against `database_url` and
/// `redis_url` with the key prefix `prefix`, and `env` added.
pub fn spawn_worker(
    database_url: &str,
    redis_url: &str,
    prefix: &str,
    env: &[(&str, &str)],
) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_kompisd"))
        .arg("worker")
        .env("DATABASE_URL", database_url)
        .env("REDIS_URL", redis_url)
        .env("KOMPIS_REDIS_PREFIX", prefix)
        .env("KOMPIS_METRICS_ADDR", "off")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start kompisd worker")
}

/// Sends SIGTERM to a child, as an orchestrator stops a process.
pub fn terminate(child: &tokio::process::Child) {
    let pid = child.id().expect("the child is running").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Polls `check` until it answers `Some`, and returns that. For effects that follow a
/// call asynchronously (the worker's timers, the relay): it waits for the observable
/// result, never for a fixed time, and fails the test after a generous bound.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Sends a call again, as a client does, while it answers ABORTED (it collided with a
/// concurrent change) or UNAVAILABLE (no database connection came free within the
/// pool's timeout, on a loaded machine). Each attempt sends the same request, with the
/// same request id, and a refused attempt wrote nothing, so resending never writes twice.
pub async fn resent<T, F, Fut>(mut call: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
{
    let mut attempts = 0;
    loop {
        match call().await {
            Err(status)
                if matches!(status.code(), tonic::Code::Aborted | tonic::Code::Unavailable)
                    && attempts < 50 =>
            {
                attempts += 1;
            }
            answer => return answer,
        }
    }
}
