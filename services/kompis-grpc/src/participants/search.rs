//! `ParticipantService.SearchPeople`: a coordinator checks whether a person is known in
//! the chapter before registering them, by name, phone number or e-mail address.

use kompis_domain::{Email, FieldError, ParticipantState, PhoneNumber};
use kompis_proto::v1 as pb;
use kompis_store::search::{self, Found, Query};

use crate::kit::convert::timestamp;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::{Kit, names};
use crate::parse::person::person_name_pb;
use crate::views::participant::state_pb;

/// Most people one search returns.
pub const MAX_FOUND: i64 = 50;
/// Fewest characters of a query, so that a search never lists the whole chapter.
pub const MIN_QUERY_CHARS: usize = 2;
/// Most characters of a query.
pub const MAX_QUERY_CHARS: usize = 100;

/// What `text` asks for: an e-mail address (it has an `@`), a phone number (it starts
/// with `+` or a digit), or else the beginning of a name (one word) or of the given and
/// the family name (two or more words: the first and the last).
pub fn parse_query(text: &str) -> Result<Query, FieldError> {
    let text = text.trim();
    let chars = text.chars().count();
    if !(MIN_QUERY_CHARS..=MAX_QUERY_CHARS).contains(&chars) || text.chars().any(char::is_control) {
        return Err(FieldError::new(format!(
            "must be {MIN_QUERY_CHARS} to {MAX_QUERY_CHARS} characters: a name or its beginning, \
             a phone number or an e-mail address"
        )));
    }
    if text.contains('@') {
        return Ok(Query::Email(Email::parse(text)?.as_str().to_owned()));
    }
    if text.starts_with(|c: char| c == '+' || c.is_ascii_digit()) {
        return Ok(Query::Phone(PhoneNumber::parse(text)?.as_str().to_owned()));
    }
    let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
    Ok(match words.as_slice() {
        [one] => Query::Name(one.clone()),
        [first, .., last] => Query::FullName(first.clone(), last.clone()),
        [] => return Err(FieldError::new("is required")),
    })
}

/// Searches the chapter named `parent` (already authorised) for `query`.
pub async fn search_people(kit: &Kit, chapter: &str, query: &Query) -> ApiResult<pb::SearchPeopleResponse> {
    let found = search::search(kit.store().pool(), chapter, query, MAX_FOUND)
        .await
        .named(&names::chapter(chapter))?;
    Ok(pb::SearchPeopleResponse {
        people: found
            .iter()
            .map(|f| person_found_pb(chapter, f))
            .collect::<ApiResult<_>>()?,
    })
}

fn person_found_pb(chapter: &str, f: &Found) -> ApiResult<pb::PersonFound> {
    let participant_state = if f.collection == "participants" {
        f.state
            .parse::<ParticipantState>()
            .map(state_pb)
            .map_err(|_| ApiError::from(kompis_store::StoreError::corrupt("participant state", &f.state)))?
    } else {
        0
    };
    Ok(pb::PersonFound {
        name: format!("chapters/{chapter}/{}/{}", f.collection, f.id),
        person_name: Some(person_name_pb(&f.given_name, &f.family_name, &f.display_name)),
        participant_state,
        create_time: timestamp(f.create_time),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_an_address_a_number_or_a_name() {
        assert_eq!(
            parse_query("070-123 45 67"),
            Ok(Query::Phone("+46701234567".into()))
        );
        assert_eq!(
            parse_query("Amina@Exempel.SE"),
            Ok(Query::Email("Amina@exempel.se".into()))
        );
        assert_eq!(parse_query("  Ami "), Ok(Query::Name("ami".into())));
        assert_eq!(
            parse_query("Amina Hassan Yusuf"),
            Ok(Query::FullName("amina".into(), "yusuf".into()))
        );
        assert!(parse_query("a").is_err());
        assert!(parse_query("12").is_err());
    }
}
