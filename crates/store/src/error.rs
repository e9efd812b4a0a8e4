//! The store's error type: database failures classified into what callers act on.

/// Result alias for store operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A unique key or primary key would be duplicated.
    #[error("duplicate key: {0}")]
    Duplicate(String),
    /// A row refers to one that does not exist, or a referenced row would be deleted.
    #[error("reference violated: {0}")]
    Reference(String),
    /// The configuration (URL, options) is unusable.
    #[error("{0}")]
    Config(String),
    /// Applying the embedded schema failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => return Error::Duplicate(db.message().to_owned()),
                sqlx::error::ErrorKind::ForeignKeyViolation => return Error::Reference(db.message().to_owned()),
                _ => {}
            }
        }
        Error::Database(err)
    }
}
