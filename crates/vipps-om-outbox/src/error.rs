//! [`OutboxError`]: what an outbox operation can end in, each with a
//! message for the person running it (what happened, what to do). Database
//! URLs are shown without their passwords, and no variant holds a request
//! body or a credential.

use vipps_om::ValidationReport;

use crate::job::{JobId, JobState};

/// An error of the outbox (not of a delivery: those are recorded on the
/// job, see [`crate::JobStatus`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutboxError {
    /// The database URL is not one the outbox can use.
    #[error(
        "unsupported database URL {0}; use a SQLite file (sqlite:///var/lib/shop/outbox.db, or just its path) or postgres://USER@HOST/DATABASE"
    )]
    UnsupportedUrl(String),

    /// The folder of a SQLite database file does not exist (the outbox
    /// creates the file, not folders).
    #[error(
        "the folder {folder} of the outbox database {database} does not exist; create it (the database file itself is created when missing) or give another path"
    )]
    MissingFolder {
        /// The folder.
        folder: String,
        /// The database file.
        database: String,
    },

    /// A SQLite database file could not be opened or created (permissions,
    /// a folder given as the file, not a database).
    #[error("cannot open the outbox database {database}: {reason}")]
    CannotOpen {
        /// The database (URL or path).
        database: String,
        /// The driver's reason.
        reason: String,
    },

    /// The database URL names a backend this build was compiled without
    /// (the crate's `sqlite` and `postgres` features).
    #[error("this build has no {backend} support: rebuild with --features {feature}")]
    BackendNotBuilt {
        /// The backend the URL names, e.g. "PostgreSQL".
        backend: &'static str,
        /// The feature that adds it, e.g. "postgres".
        feature: &'static str,
    },

    /// The database could not be reached or refused an operation.
    #[error("outbox database: could not {action}: {source}")]
    Database {
        /// What the outbox was doing, e.g. "claim a job".
        action: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },

    /// The database's outbox schema does not match this build.
    #[error("outbox database schema: {0}")]
    Schema(String),

    /// A job could not be made from the given request.
    #[error("invalid outbox job: {0}")]
    InvalidJob(String),

    /// A request body given to replace a job's payload has problems.
    #[error("the new request body has problems: {0}")]
    InvalidPayload(ValidationReport),

    /// A job's stored request cannot be read (changed by hand, or stored
    /// in a format version this build does not know).
    #[error(
        "the stored request of job {id} cannot be read: {reason}; replace it (`vipps-om outbox retry {id} --file FIXED.json`)"
    )]
    UnreadableRequest {
        /// The job.
        id: JobId,
        /// Why, in words.
        reason: String,
    },

    /// No job has this id.
    #[error("there is no outbox job {0}; `vipps-om outbox status` lists them")]
    NoSuchJob(JobId),

    /// The job is not in a state that allows the operation.
    #[error("job {id} is {state}; {what}")]
    WrongState {
        /// The job.
        id: JobId,
        /// Its state.
        state: JobState,
        /// What is allowed instead.
        what: &'static str,
    },

    /// A caller's transaction is on the other kind of database.
    #[error(
        "this outbox uses {outbox}, but the transaction given to enqueue_in is on {given}; use a transaction on the outbox's own database"
    )]
    BackendMismatch {
        /// The outbox's backend.
        outbox: &'static str,
        /// The transaction's backend.
        given: &'static str,
    },
}

impl OutboxError {
    pub(crate) fn db(action: &'static str) -> impl FnOnce(sqlx::Error) -> OutboxError {
        move |source| OutboxError::Database { action, source }
    }
}

/// A database URL fit for messages: the password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    // Passwords may also come as a query parameter.
    let path = match path.split_once('?') {
        Some((before, query)) => {
            let query = query
                .split('&')
                .map(|part| match part.split_once('=') {
                    Some((name, _)) if name.eq_ignore_ascii_case("password") => {
                        format!("{name}=***")
                    }
                    _ => part.to_owned(),
                })
                .collect::<Vec<_>>()
                .join("&");
            format!("{before}?{query}")
        }
        None => path.to_owned(),
    };
    format!("{scheme}://{authority}{path}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://shop:s3cret@db.example:5432/outbox"),
            "postgres://shop:***@db.example:5432/outbox"
        );
        assert_eq!(
            redact_url("postgres://shop@db/outbox?password=s3cret&sslmode=require"),
            "postgres://shop@db/outbox?password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("postgres:///outbox?host=/tmp&password=s3cret"),
            "postgres:///outbox?host=/tmp&password=***"
        );
        assert_eq!(
            redact_url("sqlite:///tmp/outbox.db?mode=rwc"),
            "sqlite:///tmp/outbox.db?mode=rwc"
        );
    }
}
