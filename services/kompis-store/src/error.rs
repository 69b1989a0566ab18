use thiserror::Error;

/// What went wrong in a storage call.
///
/// The service layer maps these in one table: the first variants are outcomes of a
/// valid request that the caller can act on; [`StoreError::Unavailable`] means PostgreSQL
/// could not be reached (retrying later may help); [`StoreError::Other`] is an error of
/// ours. Constraint names never leave this crate: the constraints a request can run into
/// are mapped here to [`DomainViolation`]s.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The row does not exist.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the row; the string names the constraint, for logs.
    #[error("already exists ({0})")]
    AlreadyExists(String),
    /// A foreign key points at a row that does not exist; the string names the
    /// constraint, for logs.
    #[error("a referenced row does not exist ({0})")]
    MissingReference(String),
    /// A rule of the programme refused the change.
    #[error(transparent)]
    Domain(#[from] DomainViolation),
    /// The record's state does not allow the change (the domain's state machine).
    #[error(transparent)]
    Transition(#[from] kompis_domain::TransitionError),
    /// The row changed since it was read, or a state transition raced another one
    /// (optimistic concurrency): reading again and retrying may succeed.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A stored value is not one the code knows: corrupt or newer data. Never replaced
    /// by a default.
    #[error("a stored {what} is not valid: {value:?}")]
    Corrupt {
        /// What was read (`participant state`...).
        what: &'static str,
        /// The stored value.
        value: String,
    },
    /// A value sent by the caller that PostgreSQL cannot hold: a NUL character in a
    /// text, a time or number outside the database's range. The service layer
    /// validates these at the edge; this is the net under it, so that such a value is
    /// still the caller's mistake, never an internal error.
    #[error("a value is outside what the database can hold")]
    Unrepresentable(#[source] sqlx::Error),
    /// A statement was cancelled at the caller's deadline ([`crate::deadline`]).
    #[error("the caller's deadline passed")]
    DeadlineExceeded,
    /// PostgreSQL could not be reached, or the pool had no connection in time.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database error, including a CHECK the service layer should have
    /// prevented.
    #[error("database error")]
    Other(#[source] sqlx::Error),
    /// Migrations failed.
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// A rule of the programme enforced by a constraint, as the domain names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DomainViolation {
    /// A municipality is already covered by another chapter (`chapter_municipalities`).
    #[error("a listed municipality is already covered by another chapter")]
    MunicipalityTaken,
    /// An approval whose eligibility checks do not hold.
    #[error("approval needs the eligibility checks to hold (minimum age {min_age} and the chapter's rules)")]
    NotEligible {
        /// The chapter's minimum age.
        min_age: kompis_domain::MinAge,
    },
    /// The participant has a live match, which must end first.
    #[error("the participant has a live match; end it first with MatchingService.EndMatch")]
    LiveMatch,
    /// More guests than the activity lets each invitee bring.
    #[error("the activity lets each invitee bring at most {max} guests")]
    TooManyGuests {
        /// The activity's limit.
        max: i32,
    },
    /// The activity has started, ended or was cancelled: answers are closed.
    #[error("the activity has started, ended or was cancelled; answers are closed")]
    ActivityClosed,
    /// More seats than are free (a change of guests, or a capacity below the seats
    /// taken).
    #[error("not enough free seats")]
    NotEnoughSeats,
    /// A pair asked to be dismissed is not flagged as a possible duplicate.
    #[error("the two records are not flagged as possible duplicates of each other")]
    NotAPossibleDuplicate,
    /// Two participants cannot be merged; the text says why.
    #[error("the participants cannot be merged: {0}")]
    MergeNotPossible(&'static str),
    /// An app account cannot be linked; the text says why.
    #[error("the app account cannot be linked: {0}")]
    AccountLinkNotPossible(&'static str),
    /// A pair sign-up for an activity that does not take pairs.
    #[error("the activity does not take pair sign-ups")]
    PairSignUpNotAllowed,
    /// A pair sign-up by a participant without an accepted or active match.
    #[error("a pair sign-up needs an accepted or active match")]
    NoLiveMatch,
    /// A pair sign-up by a participant with several accepted or active matches.
    #[error("the caller has several buddies; the buddy signs the pair up from their side")]
    BuddyAmbiguous,
}

impl StoreError {
    /// A stored value that did not parse.
    pub fn corrupt(what: &'static str, value: impl Into<String>) -> Self {
        StoreError::Corrupt {
            what,
            value: value.into(),
        }
    }
}

/// The constraints a valid request can run into, and the domain rule each enforces.
const DOMAIN_CONSTRAINTS: &[(&str, DomainViolation)] = &[(
    "chapter_municipalities_municipality_id_key",
    DomainViolation::MunicipalityTaken,
)];

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => return StoreError::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                return StoreError::Unavailable(error);
            }
            _ => {}
        }
        if let Some(db) = error.as_database_error() {
            let constraint = db.constraint().unwrap_or_default().to_owned();
            if let Some((_, rule)) = DOMAIN_CONSTRAINTS.iter().find(|(c, _)| *c == constraint) {
                return StoreError::Domain(*rule);
            }
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    return StoreError::AlreadyExists(constraint);
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return StoreError::MissingReference(constraint);
                }
                _ => {}
            }
            // 40001 / 40P01: the transaction collided with a concurrent one (a
            // serialization failure or a deadlock PostgreSQL broke by aborting this
            // one). Nothing was written; the same request may simply be sent again.
            if matches!(db.code().as_deref(), Some("40001" | "40P01")) {
                return StoreError::Conflict(
                    "the change collided with a concurrent one and was not made; send it again".to_owned(),
                );
            }
            // 22021 a NUL or invalid character, 22P05 untranslatable character, 22008
            // time out of range, 22007 malformed time, 22003 number out of range,
            // 22001 text too long for its column.
            if matches!(
                db.code().as_deref(),
                Some("22021" | "22P05" | "22008" | "22007" | "22003" | "22001")
            ) {
                return StoreError::Unrepresentable(error);
            }
            // 57014: a statement cancelled, here by the statement timeout set from the
            // caller's deadline.
            if db.code().as_deref() == Some("57014") {
                return StoreError::DeadlineExceeded;
            }
            // 08xxx: the connection failed; 57P0x: the server is shutting down.
            if db
                .code()
                .is_some_and(|c| c.starts_with("08") || c.starts_with("57P0"))
            {
                return StoreError::Unavailable(error);
            }
        }
        StoreError::Other(error)
    }
}
