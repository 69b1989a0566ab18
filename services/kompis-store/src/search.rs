//! Finding people in a chapter by name, phone number or e-mail address: participants,
//! and referrals not yet converted (a converted referral is found as its participant).
//!
//! Every query is answered from an index, never a full scan: phone numbers and e-mail
//! addresses by equality on `(chapter_id, phone)` and `(chapter_id, email)`, names by a
//! prefix on `(chapter_id, lower(given_name))` and `(chapter_id, lower(family_name))`
//! (migration 0041). The SQL of each query is public so that a test can EXPLAIN it.

use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;

/// What to look for, already normalised by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// A phone number in E.164 form, matched exactly.
    Phone(String),
    /// An e-mail address as stored (domain in lowercase), matched exactly.
    Email(String),
    /// The beginning of the given or the family name, in lowercase.
    Name(String),
    /// The beginnings of the given and the family name, in lowercase.
    FullName(String, String),
}

/// A person found.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Found {
    /// `participants` or `referrals`.
    pub collection: String,
    /// The participant's or referral's id.
    pub id: Uuid,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Preferred name; may be empty.
    pub display_name: String,
    /// The participant's or the referral's state.
    pub state: String,
    /// When the person was registered or referred.
    pub create_time: OffsetDateTime,
}

macro_rules! people_where {
    ($condition:literal) => {
        concat!(
            "SELECT 'participants' AS collection, id, given_name, family_name, display_name,
                    state, create_time
             FROM participants WHERE chapter_id = $1 AND erase_time IS NULL AND (",
            $condition,
            ")
             UNION ALL
             SELECT 'referrals', id, given_name, family_name, display_name, state, create_time
             FROM referrals WHERE chapter_id = $1 AND participant_id IS NULL AND (",
            $condition,
            ")
             ORDER BY create_time DESC, id DESC LIMIT $4"
        )
    };
}

/// By phone number: `$2` the number, `$3` unused, `$4` the limit.
pub const BY_PHONE: &str = people_where!("phone = $2 AND $3::text IS NULL");
/// By e-mail address: `$2` the address, `$3` unused, `$4` the limit.
pub const BY_EMAIL: &str = people_where!("email = $2 AND $3::text IS NULL");
/// By the beginning of either name: `$2` the pattern, `$3` unused, `$4` the limit.
pub const BY_NAME: &str =
    people_where!("(lower(given_name) LIKE $2 OR lower(family_name) LIKE $2) AND $3::text IS NULL");
/// By the beginnings of both names: `$2` and `$3` the patterns, `$4` the limit.
pub const BY_FULL_NAME: &str = people_where!("lower(given_name) LIKE $2 AND lower(family_name) LIKE $3");

/// `prefix` as a LIKE pattern matching what starts with it.
pub fn prefix_pattern(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The SQL and its two text parameters for `query`.
pub fn statement(query: &Query) -> (&'static str, String, Option<String>) {
    match query {
        Query::Phone(phone) => (BY_PHONE, phone.clone(), None),
        Query::Email(email) => (BY_EMAIL, email.clone(), None),
        Query::Name(prefix) => (BY_NAME, prefix_pattern(prefix), None),
        Query::FullName(given, family) => (BY_FULL_NAME, prefix_pattern(given), Some(prefix_pattern(family))),
    }
}

/// The people of `chapter` matching `query`, newest first, at most `limit`.
pub async fn search<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    query: &Query,
    limit: i64,
) -> Result<Vec<Found>, StoreError> {
    let (sql, first, second) = statement(query);
    Ok(sqlx::query_as(sql)
        .bind(chapter)
        .bind(first)
        .bind(second)
        .bind(limit)
        .fetch_all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_matches_only_what_starts_with_it() {
        assert_eq!(prefix_pattern("ami"), "ami%");
        assert_eq!(prefix_pattern("50%_off\\"), "50\\%\\_off\\\\%");
    }
}
