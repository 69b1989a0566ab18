//! Configuration: environment variables, optionally preceded by a file.
//!
//! Every setting is an environment variable. `KOMPIS_CONFIG` may name a file of
//! `NAME=value` lines (blank lines and `#` comments allowed) that supplies defaults;
//! the environment wins over the file. All values are checked at start and every
//! problem is reported at once, naming the variable.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

/// The development signing key. `serve` refuses it when `KOMPIS_ENV=production`.
pub const DEVELOPMENT_JWT_SECRET: &str = "kompis-development-key-do-not-use-in-production";

/// How often PostgreSQL is checked for the health service unless
/// `KOMPIS_HEALTH_INTERVAL_MS` says otherwise: with each check bounded by 500 ms, health
/// turns within about a second of the database going away or coming back.
pub const DEFAULT_HEALTH_INTERVAL: Duration = Duration::from_millis(250);

/// Everything the service needs to start.
#[derive(Clone)]
pub struct Settings {
    /// PostgreSQL connection URL (`DATABASE_URL`).
    pub database_url: String,
    /// Most connections in the pool (`KOMPIS_DATABASE_MAX_CONNECTIONS`, default 10).
    pub database_max_connections: u32,
    /// Redis URL (`REDIS_URL`).
    pub redis_url: String,
    /// Prefix of every Redis key (`KOMPIS_REDIS_PREFIX`, default `kompis`).
    pub redis_prefix: String,
    /// gRPC listen address (`KOMPIS_GRPC_ADDR`, default 127.0.0.1:50051; port 0 picks one).
    pub grpc_addr: SocketAddr,
    /// Prometheus listen address (`KOMPIS_METRICS_ADDR`, default 127.0.0.1:9464; empty
    /// to disable).
    pub metrics_addr: Option<SocketAddr>,
    /// Run migrations at start (`KOMPIS_MIGRATE`, default true).
    pub migrate: bool,
    /// Load the demo data set at start (`KOMPIS_DEMO_DATA`, default false).
    pub demo_data: bool,
    /// HS256 key for bearer tokens (`KOMPIS_JWT_SECRET`).
    pub jwt_secret: String,
    /// An identity provider whose RS256/ES256 tokens are accepted beside the HS256
    /// ones: `KOMPIS_JWKS_URL` (its JWKS document, http:// or https://; unset: none),
    /// `KOMPIS_JWKS_ISSUER` (required with the URL: the `iss` of its tokens),
    /// `KOMPIS_JWKS_AUDIENCE` (default `kompis-api`), `KOMPIS_JWKS_MIN_REFETCH_MS`
    /// (default 60000: an unknown key id fetches the document at most once a minute)
    /// and `KOMPIS_JWKS_MAX_AGE_MS` (default 3600000: the document is read again at
    /// least hourly, so removed keys stop working).
    pub identity_provider: Option<kompis_grpc::auth::JwksSettings>,
    /// Calls one identity (role and account) may make per rate-limit window, counted
    /// across every replica in Redis (`KOMPIS_RATE_LIMIT`, default 6000; 0 turns the
    /// limit off).
    pub rate_limit: u32,
    /// The rate-limit window (`KOMPIS_RATE_LIMIT_WINDOW_MS`, default 60000).
    pub rate_limit_window: Duration,
    /// The largest request message accepted, in bytes (`KOMPIS_MAX_REQUEST_BYTES`,
    /// default 4 MiB); a larger one is answered OUT_OF_RANGE without being read.
    pub max_request_bytes: usize,
    /// `development` or `production` (`KOMPIS_ENV`, default development).
    pub environment: String,
    /// OTLP collector endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`); traces are exported when set.
    pub otlp_endpoint: Option<String>,
    /// How often PostgreSQL is checked for the health service
    /// (`KOMPIS_HEALTH_INTERVAL_MS`, default 250).
    pub health_interval: Duration,
    /// How long in-flight calls may run after a shutdown signal
    /// (`KOMPIS_SHUTDOWN_GRACE_MS`, default 10000).
    pub shutdown_grace: Duration,
    /// Server-side deadline for one call (`KOMPIS_REQUEST_TIMEOUT_MS`, default 30000).
    pub request_timeout: Duration,
    /// Run the worker role (outbox relay) inside `serve` too (`KOMPIS_RUN_WORKER`,
    /// default true). Large deployments run `kompisd worker` separately and set it false.
    pub run_worker: bool,
    /// Most calls in flight at once before new ones are shed (`KOMPIS_CONCURRENCY_LIMIT`,
    /// default 512).
    pub concurrency_limit: usize,
    /// How often the worker fires its due timers (`KOMPIS_TIMER_INTERVAL_MS`, default
    /// 1000). Whether a timer is due is judged by [`Settings::clock`], not by this.
    pub timer_interval: Duration,
    /// Days without a change after which someone never admitted into the programme (an
    /// applicant, someone assessed as needing a follow-up or not suitable, or someone
    /// whose booked interview passed unrecorded; [`kompis_store::retention::Group`]) is
    /// warned that their data will be erased (`KOMPIS_RETENTION_WARN_AFTER_DAYS`, default 0: no retention sweep).
    pub retention_warn_after_days: u32,
    /// Days after the warning, without a change, after which they are erased
    /// (`KOMPIS_RETENTION_ERASE_AFTER_DAYS`, default 30).
    pub retention_erase_after_days: u32,
    /// Days without a change after which a former participant (withdrawn, or whose
    /// programme ended, holding no live proposal or match) is warned
    /// that their data will be erased (`KOMPIS_RETENTION_FORMER_WARN_AFTER_DAYS`,
    /// default 0: former participants are kept until erased on request).
    pub retention_former_warn_after_days: u32,
    /// Days after that warning, without a change, after which the former participant
    /// is erased (`KOMPIS_RETENTION_FORMER_ERASE_AFTER_DAYS`, default 30).
    pub retention_former_erase_after_days: u32,
    /// The application clock: the source of every business time the service writes.
    /// The system clock, unless a test sets a [`kompis_domain::ManualClock`].
    pub clock: kompis_domain::Clock,
    /// Consumers delivering notifications to the app's inboxes, per worker process
    /// (`KOMPIS_DELIVERY_WORKERS`, default 2).
    pub delivery_workers: usize,
    /// How long a stream entry may stay unacknowledged before another consumer takes it
    /// over (its consumer died, or its attempt failed) (`KOMPIS_QUEUE_RECLAIM_MS`,
    /// default 30000).
    pub reclaim_after: Duration,
    /// SMTP server for e-mail notifications (`KOMPIS_SMTP_URL`): `smtp://host:port`,
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtps://host`, with
    /// `user:password@` if needed. Unset: e-mail deliveries wait, none is sent.
    pub smtp_url: Option<String>,
    /// The sender of e-mail notifications (`KOMPIS_MAIL_FROM`, default
    /// `Kompis <kompis@localhost>`).
    pub mail_from: lettre::message::Mailbox,
    /// Consumers sending e-mail, per worker process, when SMTP is configured
    /// (`KOMPIS_EMAIL_WORKERS`, default 1).
    pub email_workers: usize,
    /// The built coordinator console (`KOMPIS_CONSOLE_DIR`, the `dist` folder of
    /// `services/kompis-console/`): when set, its files are served on the gRPC port to
    /// plain HTTP `GET`s, same-origin with the gRPC-Web API. Unset: in development,
    /// [`DEFAULT_CONSOLE_DIR`] when that folder exists (a checkout where the console was
    /// built); otherwise no console.
    pub console_dir: Option<std::path::PathBuf>,
    /// The console's production sign-in (OIDC authorization code with PKCE) at the
    /// identity provider of `KOMPIS_JWKS_*`: `KOMPIS_OIDC_AUTHORIZATION_ENDPOINT` and
    /// `KOMPIS_OIDC_TOKEN_ENDPOINT` (http:// or https:// URLs), `KOMPIS_OIDC_CLIENT_ID`
    /// (the console's public client) and `KOMPIS_OIDC_SCOPES` (default `openid`). All
    /// three of the first are required together, and only with `KOMPIS_JWKS_URL`; unset:
    /// the console offers no production sign-in.
    pub oidc: Option<OidcSettings>,
}

/// The public settings the console needs to sign in at the identity provider; served to
/// it as `/console/oidc.json`. Nothing here is a secret (the console is a public client).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OidcSettings {
    /// The `iss` of the provider's tokens (`KOMPIS_JWKS_ISSUER`).
    pub issuer: String,
    /// Where the browser is sent to sign in.
    pub authorization_endpoint: String,
    /// Where the console exchanges the code for tokens.
    pub token_endpoint: String,
    /// The console's client id at the provider.
    pub client_id: String,
    /// The scopes asked for, separated by spaces.
    pub scopes: String,
    /// The `aud` kompisd requires (`KOMPIS_JWKS_AUDIENCE`), sent as `audience`.
    pub audience: String,
}

/// Where kompisd looks for the built console in development when `KOMPIS_CONSOLE_DIR`
/// is unset: relative to the working directory, which is the repository's root for
/// `scripts/serve.sh` and `cargo run`.
pub const DEFAULT_CONSOLE_DIR: &str = "services/kompis-console/dist";

/// The console folder used when `KOMPIS_CONSOLE_DIR` is unset: the checkout's built
/// console in development, if `exists` finds it; never in production, where the folder
/// is always configured explicitly (the container image sets it).
fn default_console_dir(
    environment: &str,
    exists: impl Fn(&std::path::Path) -> bool,
) -> Option<std::path::PathBuf> {
    let dir = std::path::PathBuf::from(DEFAULT_CONSOLE_DIR);
    (environment == "development" && exists(&dir)).then_some(dir)
}

/// Reads `KOMPIS_OIDC_*` (see [`Settings::oidc`]); pushes what is wrong to `errors`.
fn oidc_settings(
    get: &impl Fn(&str) -> Option<String>,
    provider: Option<&kompis_grpc::auth::JwksSettings>,
    errors: &mut Vec<String>,
) -> Option<OidcSettings> {
    let authorization = get("KOMPIS_OIDC_AUTHORIZATION_ENDPOINT");
    let token = get("KOMPIS_OIDC_TOKEN_ENDPOINT");
    let client_id = get("KOMPIS_OIDC_CLIENT_ID");
    if authorization.is_none() && token.is_none() && client_id.is_none() {
        return None;
    }
    let Some(provider) = provider else {
        errors.push("KOMPIS_OIDC_* needs the identity provider's KOMPIS_JWKS_URL".into());
        return None;
    };
    let (Some(authorization_endpoint), Some(token_endpoint), Some(client_id)) =
        (authorization, token, client_id)
    else {
        errors.push(
            "KOMPIS_OIDC_AUTHORIZATION_ENDPOINT, KOMPIS_OIDC_TOKEN_ENDPOINT and KOMPIS_OIDC_CLIENT_ID are required together"
                .into(),
        );
        return None;
    };
    for (name, url) in [
        ("KOMPIS_OIDC_AUTHORIZATION_ENDPOINT", &authorization_endpoint),
        ("KOMPIS_OIDC_TOKEN_ENDPOINT", &token_endpoint),
    ] {
        if kompis_grpc::auth::jwks::check_url(url).is_err() {
            errors.push(format!("{name} must be an http:// or https:// URL with a host"));
        }
    }
    Some(OidcSettings {
        issuer: provider.issuer.clone(),
        authorization_endpoint,
        token_endpoint,
        client_id,
        scopes: get("KOMPIS_OIDC_SCOPES").unwrap_or_else(|| "openid".into()),
        audience: provider.audience.clone(),
    })
}

impl std::fmt::Debug for Settings {
    // Hand-written so that URLs with passwords and the signing key never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("grpc_addr", &self.grpc_addr)
            .field("metrics_addr", &self.metrics_addr)
            .field("redis_prefix", &self.redis_prefix)
            .field("migrate", &self.migrate)
            .field("demo_data", &self.demo_data)
            .field("environment", &self.environment)
            .field("delivery_workers", &self.delivery_workers)
            .field("smtp", &self.smtp_url.is_some())
            .field("identity_provider", &self.identity_provider)
            .field("rate_limit", &self.rate_limit)
            .field("console_dir", &self.console_dir)
            .field("oidc", &self.oidc)
            .finish_non_exhaustive()
    }
}

/// What `kompisd migrate` needs, and nothing more: it reaches PostgreSQL only, so it
/// neither asks for Redis nor for the server's addresses and keys.
#[derive(Debug, Clone)]
pub struct MigrateSettings {
    /// PostgreSQL connection URL (`DATABASE_URL`).
    pub database_url: String,
    /// Where traces go (`OTEL_EXPORTER_OTLP_ENDPOINT`), as for the server.
    pub otlp_endpoint: Option<String>,
}

impl MigrateSettings {
    /// Reads the process environment (and `KOMPIS_CONFIG`, if set).
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_map(&env_vars()?)
    }

    /// Builds the settings from a map of variables; other variables are ignored.
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let mut errors = Vec::new();
        let database_url = database_url(vars, &mut errors);
        if !errors.is_empty() {
            return Err(SettingsError(errors));
        }
        let otlp_endpoint = vars
            .get("OTEL_EXPORTER_OTLP_ENDPOINT")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        Ok(Self {
            database_url,
            otlp_endpoint,
        })
    }
}

/// The variables of `KOMPIS_CONFIG` (when set), overridden by the environment.
fn env_vars() -> Result<HashMap<String, String>, SettingsError> {
    let mut vars: HashMap<String, String> = HashMap::new();
    if let Ok(path) = std::env::var("KOMPIS_CONFIG") {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| SettingsError(vec![format!("KOMPIS_CONFIG: cannot read {path}: {e}")]))?;
        vars.extend(parse_file(&text).map_err(|e| SettingsError(vec![format!("KOMPIS_CONFIG: {e}")]))?);
    }
    vars.extend(std::env::vars());
    Ok(vars)
}

/// `DATABASE_URL`, required and a PostgreSQL URL; a problem is added to `errors`.
fn database_url(vars: &HashMap<String, String>, errors: &mut Vec<String>) -> String {
    let url = vars
        .get("DATABASE_URL")
        .map(|v| v.trim().to_owned())
        .unwrap_or_default();
    if url.is_empty() {
        errors.push("DATABASE_URL is required".into());
    } else if !url.starts_with("postgres") {
        errors.push("DATABASE_URL must be a postgres:// or postgresql:// URL".into());
    }
    url
}

/// One or more settings are wrong; the message names each.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  {}", .0.join("\n  "))]
pub struct SettingsError(pub Vec<String>);

impl Settings {
    /// Reads the process environment (and `KOMPIS_CONFIG`, if set).
    pub fn from_env() -> Result<Self, SettingsError> {
        Self::from_map(&env_vars()?)
    }

    /// Builds settings from a map of variables (the environment, in production).
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let mut errors = Vec::new();
        let get = |name: &str| {
            vars.get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required = |name: &str, errors: &mut Vec<String>| {
            get(name).unwrap_or_else(|| {
                errors.push(format!("{name} is required"));
                String::new()
            })
        };
        let database_url = database_url(vars, &mut errors);
        let redis_url = required("REDIS_URL", &mut errors);
        if !redis_url.is_empty() && !redis_url.starts_with("redis") {
            errors.push("REDIS_URL must be a redis:// or rediss:// URL".into());
        }
        let grpc_addr = parse(&get, "KOMPIS_GRPC_ADDR", "127.0.0.1:50051", &mut errors);
        let metrics_addr = match vars.get("KOMPIS_METRICS_ADDR").map(|s| s.trim()) {
            Some("") | Some("off") => None,
            _ => Some(parse(&get, "KOMPIS_METRICS_ADDR", "127.0.0.1:9464", &mut errors)),
        };
        let environment = get("KOMPIS_ENV").unwrap_or_else(|| "development".into());
        if !["development", "production"].contains(&environment.as_str()) {
            errors.push("KOMPIS_ENV must be development or production".into());
        }
        let jwt_secret = get("KOMPIS_JWT_SECRET").unwrap_or_else(|| DEVELOPMENT_JWT_SECRET.into());
        if environment == "production" && jwt_secret == DEVELOPMENT_JWT_SECRET {
            errors.push("KOMPIS_JWT_SECRET must be set to a secret of your own in production".into());
        }
        if jwt_secret.len() < 32 {
            errors.push("KOMPIS_JWT_SECRET must be at least 32 characters".into());
        }
        let redis_prefix = get("KOMPIS_REDIS_PREFIX").unwrap_or_else(|| "kompis".into());
        if !redis_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_:.".contains(c))
        {
            errors.push("KOMPIS_REDIS_PREFIX may contain only letters, digits and - _ : .".into());
        }
        let identity_provider = match get("KOMPIS_JWKS_URL") {
            None => None,
            Some(url) => {
                if kompis_grpc::auth::jwks::check_url(&url).is_err() {
                    errors.push("KOMPIS_JWKS_URL must be an http:// or https:// URL with a host".into());
                }
                let issuer = get("KOMPIS_JWKS_ISSUER").unwrap_or_else(|| {
                    errors.push("KOMPIS_JWKS_ISSUER is required with KOMPIS_JWKS_URL".into());
                    String::new()
                });
                Some(kompis_grpc::auth::JwksSettings {
                    url,
                    issuer,
                    audience: get("KOMPIS_JWKS_AUDIENCE")
                        .unwrap_or_else(|| kompis_grpc::auth::TOKEN_AUDIENCE.into()),
                    min_refetch: Duration::from_millis(parse(
                        &get,
                        "KOMPIS_JWKS_MIN_REFETCH_MS",
                        "60000",
                        &mut errors,
                    )),
                    max_age: Duration::from_millis(parse(
                        &get,
                        "KOMPIS_JWKS_MAX_AGE_MS",
                        "3600000",
                        &mut errors,
                    )),
                })
            }
        };
        let oidc = oidc_settings(&get, identity_provider.as_ref(), &mut errors);
        let smtp_url = get("KOMPIS_SMTP_URL");
        if let Some(url) = &smtp_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            errors.push("KOMPIS_SMTP_URL must be an smtp:// or smtps:// URL".into());
        }
        let mail_from = get("KOMPIS_MAIL_FROM")
            .unwrap_or_else(|| "Kompis <kompis@localhost>".into())
            .parse()
            .unwrap_or_else(|e| {
                errors.push(format!(
                    "KOMPIS_MAIL_FROM must be a mailbox such as `Kompis <kompis@example.org>`: {e}"
                ));
                "kompis@localhost".parse().expect("a valid mailbox")
            });
        let settings = Settings {
            database_max_connections: parse(&get, "KOMPIS_DATABASE_MAX_CONNECTIONS", "10", &mut errors),
            migrate: parse(&get, "KOMPIS_MIGRATE", "true", &mut errors),
            demo_data: parse(&get, "KOMPIS_DEMO_DATA", "false", &mut errors),
            run_worker: parse(&get, "KOMPIS_RUN_WORKER", "true", &mut errors),
            otlp_endpoint: get("OTEL_EXPORTER_OTLP_ENDPOINT"),
            health_interval: Duration::from_millis(parse(
                &get,
                "KOMPIS_HEALTH_INTERVAL_MS",
                &DEFAULT_HEALTH_INTERVAL.as_millis().to_string(),
                &mut errors,
            )),
            shutdown_grace: Duration::from_millis(parse(
                &get,
                "KOMPIS_SHUTDOWN_GRACE_MS",
                "10000",
                &mut errors,
            )),
            request_timeout: Duration::from_millis(parse(
                &get,
                "KOMPIS_REQUEST_TIMEOUT_MS",
                "30000",
                &mut errors,
            )),
            concurrency_limit: parse(&get, "KOMPIS_CONCURRENCY_LIMIT", "512", &mut errors),
            timer_interval: Duration::from_millis(parse(
                &get,
                "KOMPIS_TIMER_INTERVAL_MS",
                "1000",
                &mut errors,
            )),
            retention_warn_after_days: parse(&get, "KOMPIS_RETENTION_WARN_AFTER_DAYS", "0", &mut errors),
            retention_erase_after_days: parse(&get, "KOMPIS_RETENTION_ERASE_AFTER_DAYS", "30", &mut errors),
            retention_former_warn_after_days: parse(
                &get,
                "KOMPIS_RETENTION_FORMER_WARN_AFTER_DAYS",
                "0",
                &mut errors,
            ),
            retention_former_erase_after_days: parse(
                &get,
                "KOMPIS_RETENTION_FORMER_ERASE_AFTER_DAYS",
                "30",
                &mut errors,
            ),
            clock: kompis_domain::Clock::system(),
            delivery_workers: parse(&get, "KOMPIS_DELIVERY_WORKERS", "2", &mut errors),
            reclaim_after: Duration::from_millis(parse(
                &get,
                "KOMPIS_QUEUE_RECLAIM_MS",
                "30000",
                &mut errors,
            )),
            email_workers: parse(&get, "KOMPIS_EMAIL_WORKERS", "1", &mut errors),
            identity_provider,
            rate_limit: parse(&get, "KOMPIS_RATE_LIMIT", "6000", &mut errors),
            rate_limit_window: Duration::from_millis(parse(
                &get,
                "KOMPIS_RATE_LIMIT_WINDOW_MS",
                "60000",
                &mut errors,
            )),
            max_request_bytes: parse(&get, "KOMPIS_MAX_REQUEST_BYTES", "4194304", &mut errors),
            smtp_url,
            mail_from,
            oidc,
            console_dir: get("KOMPIS_CONSOLE_DIR")
                .map(std::path::PathBuf::from)
                .or_else(|| default_console_dir(&environment, |p| p.is_dir())),
            database_url,
            redis_url,
            redis_prefix,
            grpc_addr,
            metrics_addr,
            jwt_secret,
            environment,
        };
        if settings.rate_limit_window < Duration::from_millis(100) {
            errors.push("KOMPIS_RATE_LIMIT_WINDOW_MS must be at least 100".into());
        }
        if settings.max_request_bytes < 1024 {
            errors.push("KOMPIS_MAX_REQUEST_BYTES must be at least 1024".into());
        }
        if settings.database_max_connections == 0 {
            errors.push("KOMPIS_DATABASE_MAX_CONNECTIONS must be at least 1".into());
        }
        if errors.is_empty() {
            Ok(settings)
        } else {
            Err(SettingsError(errors))
        }
    }
}

impl Settings {
    /// The retention rules in force ([`kompis_store::retention`]), one per group whose
    /// warning period is not 0.
    pub fn retention(&self) -> Vec<(kompis_store::retention::Group, kompis_store::retention::Retention)> {
        use kompis_store::retention::{Group, Retention};
        let rule = |warn: u32, erase: u32| Retention {
            warn_after: time::Duration::days(warn.into()),
            erase_after: time::Duration::days(erase.into()),
        };
        let mut rules = Vec::new();
        if self.retention_warn_after_days > 0 {
            rules.push((
                Group::Applicants,
                rule(self.retention_warn_after_days, self.retention_erase_after_days),
            ));
        }
        if self.retention_former_warn_after_days > 0 {
            rules.push((
                Group::Former,
                rule(
                    self.retention_former_warn_after_days,
                    self.retention_former_erase_after_days,
                ),
            ));
        }
        rules
    }
}

fn parse<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: &str,
    errors: &mut Vec<String>,
) -> T
where
    T::Err: std::fmt::Display,
{
    let text = get(name).unwrap_or_else(|| default.to_owned());
    text.parse().unwrap_or_else(|e| {
        errors.push(format!("{name}: cannot parse {text:?}: {e}"));
        default.parse().ok().expect("defaults parse")
    })
}

fn parse_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut vars = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| format!("line {}: expected NAME=value", n + 1))?;
        let value = value.trim().trim_matches('"');
        vars.push((name.trim().to_owned(), value.to_owned()));
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_problem_is_reported_by_name() {
        let err = Settings::from_map(&vars(&[
            ("KOMPIS_GRPC_ADDR", "nowhere"),
            ("KOMPIS_MIGRATE", "perhaps"),
        ]))
        .unwrap_err()
        .to_string();
        for name in ["DATABASE_URL", "REDIS_URL", "KOMPIS_GRPC_ADDR", "KOMPIS_MIGRATE"] {
            assert!(err.contains(name), "{name} missing from: {err}");
        }
    }

    #[test]
    fn defaults_apply_and_production_refuses_the_development_key() {
        let base = [
            ("DATABASE_URL", "postgres://localhost/kompis"),
            ("REDIS_URL", "redis://localhost"),
        ];
        let s = Settings::from_map(&vars(&base)).unwrap();
        assert_eq!(s.grpc_addr.to_string(), "127.0.0.1:50051");
        assert!(s.migrate && !s.demo_data);
        let mut prod = base.to_vec();
        prod.push(("KOMPIS_ENV", "production"));
        let err = Settings::from_map(&vars(&prod)).unwrap_err().to_string();
        assert!(err.contains("KOMPIS_JWT_SECRET"));
    }

    #[test]
    fn migrating_needs_only_the_database() {
        let s = MigrateSettings::from_map(&vars(&[("DATABASE_URL", "postgres://localhost/kompis")])).unwrap();
        assert_eq!(s.database_url, "postgres://localhost/kompis");
        assert!(Settings::from_map(&vars(&[("DATABASE_URL", "postgres://localhost/kompis")])).is_err());
        let err = MigrateSettings::from_map(&vars(&[("REDIS_URL", "redis://localhost")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("DATABASE_URL") && !err.contains("REDIS_URL"),
            "{err}"
        );
    }

    #[test]
    fn the_built_console_is_served_by_default_only_in_development() {
        let built = |p: &std::path::Path| p == std::path::Path::new(DEFAULT_CONSOLE_DIR);
        assert_eq!(
            default_console_dir("development", built),
            Some(DEFAULT_CONSOLE_DIR.into())
        );
        assert_eq!(default_console_dir("development", |_| false), None);
        assert_eq!(default_console_dir("production", built), None);
        let s = Settings::from_map(&vars(&[
            ("DATABASE_URL", "postgres://localhost/kompis"),
            ("REDIS_URL", "redis://localhost"),
            ("KOMPIS_CONSOLE_DIR", "/srv/console"),
        ]))
        .unwrap();
        assert_eq!(s.console_dir, Some("/srv/console".into()));
    }

    #[test]
    fn the_console_sign_in_needs_the_identity_provider_and_every_endpoint() {
        let base = [
            ("DATABASE_URL", "postgres://localhost/kompis"),
            ("REDIS_URL", "redis://localhost"),
        ];
        assert_eq!(Settings::from_map(&vars(&base)).unwrap().oidc, None);
        let provider = [
            ("KOMPIS_JWKS_URL", "https://id.example.org/jwks"),
            ("KOMPIS_JWKS_ISSUER", "https://id.example.org"),
        ];
        let endpoints = [
            (
                "KOMPIS_OIDC_AUTHORIZATION_ENDPOINT",
                "https://id.example.org/authorize",
            ),
            ("KOMPIS_OIDC_TOKEN_ENDPOINT", "https://id.example.org/token"),
            ("KOMPIS_OIDC_CLIENT_ID", "kompis-console"),
        ];
        let all: Vec<_> = base.iter().chain(&provider).chain(&endpoints).copied().collect();
        let oidc = Settings::from_map(&vars(&all)).unwrap().oidc.unwrap();
        assert_eq!(oidc.issuer, "https://id.example.org");
        assert_eq!(oidc.audience, "kompis-api");
        assert_eq!(oidc.scopes, "openid");
        assert_eq!(oidc.client_id, "kompis-console");
        // Without the provider whose keys check the tokens, or with an endpoint missing or
        // not a URL, kompisd does not start.
        let without_provider: Vec<_> = base.iter().chain(&endpoints).copied().collect();
        let err = Settings::from_map(&vars(&without_provider))
            .unwrap_err()
            .to_string();
        assert!(err.contains("KOMPIS_JWKS_URL"), "{err}");
        let missing: Vec<_> = base
            .iter()
            .chain(&provider)
            .chain(&endpoints[..2])
            .copied()
            .collect();
        let err = Settings::from_map(&vars(&missing)).unwrap_err().to_string();
        assert!(err.contains("KOMPIS_OIDC_CLIENT_ID"), "{err}");
        let mut bad = all.clone();
        bad[4] = ("KOMPIS_OIDC_AUTHORIZATION_ENDPOINT", "id.example.org/authorize");
        let err = Settings::from_map(&vars(&bad)).unwrap_err().to_string();
        assert!(err.contains("KOMPIS_OIDC_AUTHORIZATION_ENDPOINT"), "{err}");
    }

    #[test]
    fn a_config_file_supplies_values_and_rejects_garbage() {
        let parsed =
            parse_file("# comment\nDATABASE_URL=\"postgres://x/y\"\n\nREDIS_URL = redis://z\n").unwrap();
        assert_eq!(parsed[0], ("DATABASE_URL".into(), "postgres://x/y".into()));
        assert_eq!(parsed[1], ("REDIS_URL".into(), "redis://z".into()));
        assert!(parse_file("just words").is_err());
    }
}
