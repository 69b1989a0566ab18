//! PostgreSQL storage for kompis.
//!
//! One function per query, each taking the executor (pool, connection or transaction)
//! from its caller, so the caller decides what runs in one transaction. Constraints in
//! the schema enforce the invariants; their violations come back as [`StoreError`]
//! variants the service layer maps to gRPC codes.
//!
//! Queries are checked at run time rather than with `sqlx::query!`: the compile-time
//! check needs a live database or a prepared query cache at build time, which would
//! put a step before `cargo build` on a fresh machine. Every query runs against a real
//! PostgreSQL in the integration tests instead.

#![deny(missing_docs)]

pub mod activities;
pub mod audit;
pub mod chapters;
pub mod check_ins;
pub mod dead_letters;
pub mod deadline;
pub mod duplicates;
pub mod engine_rules;
pub mod erasure;
mod error;
pub mod events;
pub mod export;
pub mod idempotency;
pub mod inbox;
pub mod intake;
pub mod interests;
pub mod interviews;
pub mod matches;
pub mod notes;
pub mod notifications;
pub mod organizations;
pub mod outbox;
pub mod participants;
pub mod places;
pub mod referrals;
pub mod reports;
pub mod retention;
pub mod rounds;
pub mod search;
pub mod suggestions;
pub mod supply;
pub mod weights;

use std::time::Duration;

pub use error::{DomainViolation, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
/// The wrapper of JSON columns in stored rows (`Referral::languages`...).
pub use sqlx::types::Json;
use sqlx::{Connection as _, Executor as _};
pub use sqlx::{PgPool, Postgres};
pub use tx::Tx;

mod tx;

/// The role the service acts as once connected (migration 0006): it may not change or
/// delete the event log.
pub const SERVICE_ROLE: &str = "kompis_app"; // also in act_as_service_role

/// Seed data: municipalities and districts with their coordinates.
pub const PLACES_SEED: &str = include_str!("../seeds/places.sql");
/// Demo reference data: the Botkyrka chapter, its referring organisations and its
/// interest taxonomy.
pub const DEMO_SEED: &str = include_str!("../seeds/demo.sql");

/// Handle to the database: a connection pool. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: PgPool,
}

/// Switches a new connection to [`SERVICE_ROLE`] when the role exists and the connecting
/// user may take it on; otherwise the connection keeps the connecting user's rights
/// (a database whose migrating user could not create roles).
async fn act_as_service_role(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    let may: bool = sqlx::query_scalar(
        "SELECT CASE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = $1)
                     THEN pg_has_role(current_user, $1, 'MEMBER') ELSE false END",
    )
    .bind(SERVICE_ROLE)
    .fetch_one(&mut *conn)
    .await?;
    if may {
        // A constant, so no quoting is needed.
        conn.execute("SET ROLE kompis_app").await?;
    }
    Ok(())
}

/// Prepared statements kept per connection: more than the store's distinct statements.
const STATEMENT_CACHE: usize = 1024;

/// How long a pooled connection may sit idle before it is tested again when handed
/// out. Every connection was tested when it came back to the pool, so one handed out
/// sooner fails only if PostgreSQL went away within that time: that call then answers
/// UNAVAILABLE (as every call does while the database is down), and its connection,
/// found broken when it comes back, is closed and replaced.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

impl Store {
    /// Connects a pool to `url` with at most `max_connections` connections.
    ///
    /// The pool connects lazily, so a server can start (and report NOT_SERVING) while
    /// PostgreSQL is still coming up; `acquire_timeout` bounds how long a query waits.
    pub fn connect_lazy(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        // The store has a few hundred distinct statements and one connection serves
        // them all in turn; sqlx's default cache of 100 prepared statements per
        // connection would evict some and parse and plan them again (catalogue reads
        // on every re-prepare), so keep them all.
        let options: PgConnectOptions = url
            .parse::<PgConnectOptions>()?
            .statement_cache_capacity(STATEMENT_CACHE);
        // A connection is tested when it goes back to the pool (sqlx always does that)
        // and, before it is handed out, only when it sat idle long enough for the
        // server to have gone away meanwhile ([`PING_WHEN_IDLE_FOR`]): testing every
        // one on both sides cost each call two more round trips to PostgreSQL.
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(|conn, _| Box::pin(act_as_service_role(conn)))
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_WHEN_IDLE_FOR {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(options);
        Ok(Self { pool })
    }

    /// Wraps an existing pool (its connections keep the rights they were made with).
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The underlying pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Starts a unit of work: a transaction that commits with [`Tx::commit`] and rolls
    /// back when dropped.
    ///
    /// Inside [`deadline::within`], its statements are cancelled at the caller's deadline.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(Tx::new(self.pool.begin_with(deadline::begin("BEGIN")).await?))
    }

    /// Starts a read-only transaction that sees one snapshot for all its statements,
    /// for answers made of several reads that must agree with each other.
    pub async fn begin_snapshot(&self) -> Result<Tx, StoreError> {
        Ok(Tx::new(
            self.pool
                .begin_with(deadline::begin(
                    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                ))
                .await?,
        ))
    }

    /// Applies every pending migration (forward only), then the places seed.
    ///
    /// Runs on a connection of its own as the connecting user, not as the service role:
    /// migrations own the schema and grant the service role its rights.
    #[tracing::instrument(skip_all)]
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = sqlx::PgConnection::connect_with(&self.pool.connect_options()).await?;
        sqlx::migrate!("./migrations").run(&mut conn).await?;
        sqlx::raw_sql(PLACES_SEED).execute(&mut conn).await?;
        conn.close().await?;
        Ok(())
    }

    /// Loads the demo reference data (chapter, organisations, interests). The demo's
    /// people are registered through the service itself (`kompisd`'s demo loader), and
    /// tests build their own. Idempotent: rows that exist are left alone.
    #[tracing::instrument(skip_all)]
    pub async fn load_demo_reference_data(&self) -> Result<(), StoreError> {
        sqlx::raw_sql(DEMO_SEED).execute(&self.pool).await?;
        Ok(())
    }

    /// A probe for the health service, on a connection of its own (see [`HealthProbe`]).
    pub fn health_probe(&self, timeout: Duration) -> HealthProbe {
        HealthProbe {
            options: self.pool.connect_options().as_ref().clone(),
            conn: None,
            timeout,
        }
    }

    /// Closes the pool, waiting for checked-out connections to return.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Asks PostgreSQL whether it answers, on a connection of its own, within a bound.
///
/// Health must turn within about a second of PostgreSQL going away or coming back, also
/// under load. A check through the pool would wait behind busy connections (up to the
/// pool's acquire timeout) and could not tell a slow pool from a dead server, so the
/// probe keeps one connection apart, bounds every step by its timeout, and after any
/// failure starts again from a new connection.
#[derive(Debug)]
pub struct HealthProbe {
    options: PgConnectOptions,
    conn: Option<sqlx::PgConnection>,
    timeout: Duration,
}

impl HealthProbe {
    /// True when PostgreSQL answered `SELECT 1` within the timeout (connecting first
    /// when needed, within the same bound).
    pub async fn check(&mut self) -> bool {
        let answered = tokio::time::timeout(self.timeout, async {
            if self.conn.is_none() {
                self.conn = Some(sqlx::PgConnection::connect_with(&self.options).await?);
            }
            let conn = self.conn.as_mut().expect("connected above");
            sqlx::query("SELECT 1").execute(conn).await.map(|_| ())
        })
        .await;
        let up = matches!(answered, Ok(Ok(())));
        if !up {
            // A connection that failed or timed out is not trusted again.
            self.conn = None;
        }
        up
    }
}
