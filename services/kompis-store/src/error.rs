use thiserror::Error;

/// What went wrong in a storage call.
///
/// The first variants are outcomes the caller can act on (and the service layer maps
/// to client-facing codes); [`StoreError::Database`] is everything else, an error of ours.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The row does not exist.
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the row; the string names the constraint.
    #[error("already exists ({0})")]
    AlreadyExists(String),
    /// A foreign key points at a row that does not exist; the string names the constraint.
    #[error("a referenced row does not exist ({0})")]
    MissingReference(String),
    /// A check constraint refused a value; the string names the constraint.
    #[error("a value was refused by the check {0}")]
    CheckViolation(String),
    /// The row changed since it was read, or a state transition raced another one.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Any other database error.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// Migrations failed.
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::RowNotFound = error {
            return StoreError::NotFound;
        }
        if let Some(db) = error.as_database_error() {
            let constraint = db.constraint().unwrap_or_default().to_owned();
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    return StoreError::AlreadyExists(constraint);
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return StoreError::MissingReference(constraint);
                }
                sqlx::error::ErrorKind::CheckViolation => {
                    return StoreError::CheckViolation(constraint);
                }
                _ => {}
            }
        }
        StoreError::Database(error)
    }
}
