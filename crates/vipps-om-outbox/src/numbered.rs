//! Statements written once, with PostgreSQL's numbered placeholders
//! (`$1`, `$2`, a number used as often as needed), that run on every
//! backend: SQLite and PostgreSQL read `$N` themselves; MySQL only knows
//! `?`, one per value in the order they appear, so a MySQL text is first
//! rewritten with [`positional`] (`$2` becomes `?/*2*/`, the comment keeps
//! the number) and [`query`] binds the values in the order the text names
//! them, each as often as it is named.
//!
//! [`text`] reads a text column on every backend, including MySQL columns
//! with a binary collation (`utf8mb4_bin`, which the outbox uses so that
//! identifiers compare byte for byte), which sqlx would otherwise refuse to
//! read as a `String`.
//!
//! The support console uses these for its own tables; an application that
//! writes SQL against the outbox's database on several backends may too.

use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Row, Type};

/// Rewrites `$N` placeholders as MySQL's `?`, each followed by a comment
/// naming its number (`?/*N*/`), which [`query`] reads to bind the values.
/// The text must have no `$` followed by a digit elsewhere (in a string
/// literal).
pub fn positional(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) {
            out.push_str("?/*");
            while let Some((_, d)) = chars.peek().copied().filter(|(_, d)| d.is_ascii_digit()) {
                out.push(d);
                chars.next();
            }
            out.push_str("*/");
        } else {
            out.push(c);
        }
    }
    out
}

/// The numbers of a positional text's placeholders in order (1-based), or
/// `None` for a text without any (bound in order, one value each).
fn order(text: &str) -> Option<Vec<usize>> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("?/*") {
        rest = &rest[at + 3..];
        let digits: &str = &rest[..rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len())];
        if rest[digits.len()..].starts_with("*/")
            && let Ok(n) = digits.parse::<usize>()
        {
            found.push(n);
        }
    }
    (!found.is_empty()).then_some(found)
}

type Query<'q, DB> = sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>>;
type Bind<'q, DB> = Box<dyn Fn(Query<'q, DB>) -> Query<'q, DB> + Send + 'q>;

/// A statement and its values, bound in the order its placeholders name
/// them (see the [module docs](self)).
pub struct Numbered<'q, DB: Database> {
    text: &'q str,
    binds: Vec<Bind<'q, DB>>,
}

impl<DB: Database> std::fmt::Debug for Numbered<'_, DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Numbered")
            .field("text", &self.text)
            .field("values", &self.binds.len())
            .finish()
    }
}

/// A statement with `$N` placeholders (or, for MySQL, the [`positional`]
/// rewrite of one).
pub fn query<'q, DB: Database>(text: &'q str) -> Numbered<'q, DB> {
    Numbered {
        text,
        binds: Vec::new(),
    }
}

impl<'q, DB: Database> Numbered<'q, DB>
where
    <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
{
    /// The value of the next number (`$1`, then `$2`, ...).
    pub fn bind<T>(mut self, value: T) -> Self
    where
        T: Encode<'q, DB> + Type<DB> + Clone + Send + 'q,
    {
        self.binds.push(Box::new(move |q| q.bind(value.clone())));
        self
    }

    /// The sqlx query with the values bound in the text's order. A number
    /// the text names but no value was bound for is left out (the database
    /// then refuses the statement for its parameter count).
    pub fn into_query(self) -> Query<'q, DB> {
        let mut q = sqlx::query(self.text);
        match order(self.text) {
            Some(numbers) => {
                for n in numbers {
                    if let Some(bind) = n.checked_sub(1).and_then(|i| self.binds.get(i)) {
                        q = bind(q);
                    }
                }
            }
            None => {
                for bind in &self.binds {
                    q = bind(q);
                }
            }
        }
        q
    }

    /// Runs it; what it changed.
    pub fn execute<'e, 'c: 'e, E>(
        self,
        executor: E,
    ) -> impl Future<Output = Result<DB::QueryResult, sqlx::Error>> + 'e
    where
        'q: 'e,
        E: 'e + Executor<'c, Database = DB>,
    {
        self.into_query().execute(executor)
    }

    /// Runs it; its one row.
    pub fn fetch_one<'e, 'c: 'e, E>(
        self,
        executor: E,
    ) -> impl Future<Output = Result<DB::Row, sqlx::Error>> + 'e
    where
        'q: 'e,
        E: 'e + Executor<'c, Database = DB>,
    {
        self.into_query().fetch_one(executor)
    }

    /// Runs it; its row, if any.
    pub fn fetch_optional<'e, 'c: 'e, E>(
        self,
        executor: E,
    ) -> impl Future<Output = Result<Option<DB::Row>, sqlx::Error>> + 'e
    where
        'q: 'e,
        E: 'e + Executor<'c, Database = DB>,
    {
        self.into_query().fetch_optional(executor)
    }

    /// Runs it; all its rows.
    pub fn fetch_all<'e, 'c: 'e, E>(
        self,
        executor: E,
    ) -> impl Future<Output = Result<Vec<DB::Row>, sqlx::Error>> + 'e
    where
        'q: 'e,
        E: 'e + Executor<'c, Database = DB>,
    {
        self.into_query().fetch_all(executor)
    }
}

/// Reads a text column (`String` or `Option<String>`). On MySQL the
/// column's type is not checked: a binary collation marks a text column as
/// binary, and the value is still checked to be UTF-8.
pub fn text<R, T>(row: &R, column: &str) -> Result<T, sqlx::Error>
where
    R: Row,
    for<'s> &'s str: ColumnIndex<R>,
    for<'r> T: Decode<'r, R::Database> + Type<R::Database>,
{
    if <R::Database as Database>::NAME == "MySQL" {
        row.try_get_unchecked(column)
    } else {
        row.try_get(column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_placeholders_become_positional_ones_that_keep_their_number() {
        let text = positional("UPDATE t SET a = $2, b = $10 WHERE id = $1 AND c = $2 || '$x'");
        assert_eq!(
            text,
            "UPDATE t SET a = ?/*2*/, b = ?/*10*/ WHERE id = ?/*1*/ AND c = ?/*2*/ || '$x'"
        );
        assert_eq!(order(&text), Some(vec![2, 10, 1, 2]));
        assert_eq!(order("SELECT 1"), None);
        assert_eq!(order("SELECT $1"), None);
    }
}
