//! Bounds on what a request may carry. The middleware in front of every
//! route checks every query parameter and every form field against them
//! before any handler runs (no password is hashed, no database is asked, nothing
//! is logged or counted for an over-long field), and answers with a page
//! that names the field and its limit: 400 for a field, 413 for a body,
//! 414 for a URL.

use std::borrow::Cow;

use crate::i18n::T;

/// Longest user name (the accounts' own limit, see
/// [`crate::valid_username`]).
pub const MAX_USERNAME_CHARS: usize = 64;
/// Longest password a sign-in form may send (argon2 would take any
/// length; nobody types more).
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// Longest link (the category link, the return path after sign-in).
pub const MAX_URL_CHARS: usize = 2048;
/// Longest order or image id (`vipps_om::ids`: 128).
pub const MAX_ID_CHARS: usize = vipps_om::ids::ORDER_ID_MAX_LEN;
/// Longest value of any other field (CSRF tokens, upload ids, choices).
pub const MAX_OTHER_CHARS: usize = 256;
/// Longest field name.
pub const MAX_FIELD_NAME_CHARS: usize = 64;
/// Largest URL-encoded form body.
pub const MAX_FORM_BYTES: usize = 64 * 1024;
/// Longest path and query of a request.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;
/// Largest image file (the API's own limit: 2 MB, read as 2 MiB).
pub const MAX_IMAGE_BYTES: usize = vipps_om::validate::MAX_IMAGE_BYTES;

/// How long a one-time password (a new account's, or a reset one) is
/// accepted: 72 hours. After that the admin resets it again.
pub const ONE_TIME_PASSWORD_TTL: std::time::Duration = std::time::Duration::from_secs(72 * 60 * 60);

/// Audit lines on one page of `/audit` (with links to newer and older
/// pages; each text cut to [`crate::store::AUDIT_TEXT_CHARS`]).
pub const AUDIT_PAGE_ROWS: u32 = 50;

/// Rows on one page of `/jobs` unless `size=` asks for another number.
pub const JOBS_PAGE_ROWS: u32 = 50;
/// The fewest rows `size=` may ask for.
pub const MIN_JOBS_PAGE_ROWS: u32 = 10;
/// The most rows `size=` may ask for (the outbox's own page limit).
pub const MAX_JOBS_PAGE_ROWS: u32 = vipps_om_outbox::browse::MAX_PAGE_SIZE;
/// The longest date range of `/jobs` (`from=` to `to=`), in days.
pub const MAX_DATE_RANGE_DAYS: i32 = 366;
/// The most failed jobs one bulk retry sends again; beyond, the review
/// page says how many match and asks for a narrower filter.
pub const MAX_BULK_RETRY: u32 = 10_000;
/// The most jobs that can be ticked for one bulk retry (a page's rows).
pub const MAX_TICKED: usize = MAX_JOBS_PAGE_ROWS as usize;
/// Jobs a bulk review page names one by one (then "and N more").
pub const BULK_REVIEW_LIST: usize = 20;
/// Reasons the dashboard shows (then a link to every failed job).
pub const DASHBOARD_REASONS: u32 = 20;

/// The limit and the label of a field.
fn field_limit(name: &str) -> (usize, Option<T>) {
    match name {
        "username" => (MAX_USERNAME_CHARS, Some(T::Username)),
        "password" | "current_password" | "new_password" | "new_password_again" => {
            (MAX_PASSWORD_CHARS, Some(T::Password))
        }
        "url" => (MAX_URL_CHARS, Some(T::Link)),
        "next" | "back" => (MAX_URL_CHARS, None),
        "order_id" => (MAX_ID_CHARS, Some(T::OrderId)),
        "image_id" => (MAX_ID_CHARS, Some(T::ImageId)),
        _ => (MAX_OTHER_CHARS, None),
    }
}

/// A field over its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TooLong {
    /// The field's name (cut to [`MAX_FIELD_NAME_CHARS`]).
    pub(crate) field: String,
    /// Its label in the interface, when it has one.
    pub(crate) label: Option<T>,
    /// The limit in characters.
    pub(crate) max_chars: usize,
}

/// Checks one field.
pub(crate) fn check_field(name: &str, value: &str) -> Result<(), TooLong> {
    if name.chars().count() > MAX_FIELD_NAME_CHARS {
        return Err(TooLong {
            field: name.chars().take(MAX_FIELD_NAME_CHARS).collect(),
            label: None,
            max_chars: MAX_FIELD_NAME_CHARS,
        });
    }
    let (max_chars, label) = field_limit(name);
    // Counting stops one past the limit: a huge value costs no more.
    if value.chars().take(max_chars.saturating_add(1)).count() > max_chars {
        return Err(TooLong {
            field: name.to_owned(),
            label,
            max_chars,
        });
    }
    Ok(())
}

/// Checks every pair of a query string or URL-encoded body.
pub(crate) fn check_pairs<'a>(
    pairs: impl Iterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
) -> Result<(), TooLong> {
    for (name, value) in pairs {
        check_field(&name, &value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_bounded_by_name() {
        assert!(check_field("username", &"a".repeat(64)).is_ok());
        let e = check_field("username", &"a".repeat(65)).unwrap_err();
        assert_eq!((e.field.as_str(), e.max_chars), ("username", 64));
        assert!(check_field("password", &"é".repeat(1024)).is_ok());
        assert!(check_field("password", &"é".repeat(1025)).is_err());
        assert!(check_field("whatever", &"x".repeat(257)).is_err());
        let e = check_field(&"n".repeat(1000), "").unwrap_err();
        assert_eq!(e.field.chars().count(), MAX_FIELD_NAME_CHARS);
    }
}
