//! What the generator sends: one module per scenario.
//!
//! A scenario turns a call number into one RPC. Numbers are unique within a run, so a
//! scenario can derive unique request ids, phone numbers and names from them. Adding a
//! scenario is a module with a [`Scenario`] implementation, a [`ScenarioKind`] variant
//! and a line in [`build`]; the scenarios that need RPCs not served yet are listed in
//! load-tests/README.md ("added with their services").

mod app_reads;
mod connection;
pub mod fan_out;
pub mod health;
mod intake;
pub mod national_commit;
mod people;
mod reads;
pub mod report;
pub mod round;
mod suggestions;

use futures::future::BoxFuture;

use crate::cli::Args;
pub use connection::Connections;

/// The scenarios a run can choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ScenarioKind {
    /// An intake burst: CreateReferral from an SFI school and CreateParticipant from a
    /// coordinator, alternately.
    Intake,
    /// AdminService.GetChapter.
    GetChapter,
    /// AdminService.ListDistricts over every municipality, 100 per page.
    ListDistricts,
    /// One InviteParticipants call to `--fan-out` participants, timed until every
    /// invitation is in an inbox ([`fan_out`]; one operation, not a rate).
    FanOut,
    /// The mobile app's reads: GetMyBuddy three times to ListMyInvitations once, by
    /// people in accepted matches with StreamNotifications streams held open.
    AppReads,
    /// GetMyBuddy only, by people in accepted matches with streams held open.
    MyBuddy,
    /// grpc.health.v1.Health/Check of the whole server: no token, no database, the
    /// cheapest call kompisd answers ([`health`]; the gRPC floor).
    Health,
    /// A matching round (RunMatchingRound, then GetMatchingRound until done) while the
    /// intake burst runs at `--rate` ([`round`]).
    RoundUnderLoad,
    /// MatchingService.SuggestCandidates for newcomers of a chapter with
    /// `--suggestions-residents` residents, seeded in setup ([`suggestions`]).
    Suggestions,
    /// ReportService.GetFollowUpReport over `--report-events` events of a year, seeded
    /// in setup, beside the plain SQL aggregate of the same events ([`report`]; timed
    /// operations, not a rate).
    Report,
    /// One CommitMatchingRound of `--commit-pairs` proposals (a national round) stored
    /// in setup, timed beside a plain SQL insert of as many rows ([`national_commit`];
    /// one operation, not a rate).
    NationalCommit,
}

impl ScenarioKind {
    /// Whether the run measures the gRPC floor beside the ceilings: the app's reads,
    /// whose target is a share of pgbench's primary-key read rate, and the floor's own
    /// scenario.
    pub fn measures_grpc_floor(self) -> bool {
        matches!(self, Self::AppReads | Self::MyBuddy | Self::Health)
    }
}

/// The single-operation ceiling a scenario's throughput is set against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CeilingKind {
    /// pgbench, one single-row INSERT per transaction.
    SingleRowInsert,
    /// pgbench, one SELECT by primary key per transaction.
    PrimaryKeyRead,
}

/// One kind of call, issued once per scheduled number.
pub trait Scenario: Send + Sync {
    /// A short name for reports and file names.
    fn name(&self) -> &'static str;
    /// The ceiling the throughput is compared with.
    fn ceiling(&self) -> CeilingKind;
    /// Issues call `n`.
    fn call(&self, n: u64) -> BoxFuture<'static, Result<(), tonic::Status>>;
}

/// Connects and builds the scenario that `args` names.
pub async fn build(args: &Args) -> anyhow::Result<Box<dyn Scenario>> {
    let connections = Connections::open(args).await?;
    Ok(match args.scenario {
        ScenarioKind::Intake => Box::new(intake::Intake::new(args, connections)?),
        ScenarioKind::GetChapter => Box::new(reads::AdminRead::get_chapter(args, connections)?),
        ScenarioKind::ListDistricts => Box::new(reads::AdminRead::list_districts(args, connections)?),
        ScenarioKind::AppReads => {
            Box::new(app_reads::AppReads::new(args, connections, app_reads::Mix::AppReads).await?)
        }
        ScenarioKind::MyBuddy => {
            Box::new(app_reads::AppReads::new(args, connections, app_reads::Mix::MyBuddy).await?)
        }
        ScenarioKind::Suggestions => Box::new(suggestions::Suggestions::new(args, connections)?),
        ScenarioKind::Health => Box::new(health::Health::new(args, connections)),
        ScenarioKind::FanOut => anyhow::bail!("the fan-out is one operation, run by fan_out::run"),
        ScenarioKind::RoundUnderLoad => anyhow::bail!("the round under load is run by round::run"),
        ScenarioKind::Report => anyhow::bail!("the report is timed by report::run"),
        ScenarioKind::NationalCommit => {
            anyhow::bail!("the national commit is one operation, run by national_commit::run")
        }
    })
}

/// The intake burst, as the load beside another operation.
fn intake_for(args: &Args, connections: Connections) -> anyhow::Result<Box<dyn Scenario>> {
    Ok(Box::new(intake::Intake::new(args, connections)?))
}
