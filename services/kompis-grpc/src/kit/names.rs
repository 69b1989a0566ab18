//! Resource names (AIP-122): parsing `collection/{id}/...` strings into slugs and ids.

use kompis_domain::{FieldError, Slug};

/// Parses `{collection}/{id}` into the id's slug.
pub fn parse_one(name: &str, collection: &str) -> Result<Slug, FieldError> {
    match name.split('/').collect::<Vec<_>>().as_slice() {
        [c, id] if *c == collection => Slug::parse(id),
        _ => Err(expected(&format!("{collection}/{{id}}"))),
    }
}

/// Parses `{outer}/{a}/{inner}/{b}` into the two slugs.
pub fn parse_two(name: &str, outer: &str, inner: &str) -> Result<(Slug, Slug), FieldError> {
    match name.split('/').collect::<Vec<_>>().as_slice() {
        [o, a, i, b] if *o == outer && *i == inner => Ok((Slug::parse(a)?, Slug::parse(b)?)),
        _ => Err(expected(&format!("{outer}/{{id}}/{inner}/{{id}}"))),
    }
}

/// Parses `{collection}/{id}` where `-` (every parent, AIP-159) is allowed: `None` then.
pub fn parse_parent_or_wildcard(name: &str, collection: &str) -> Result<Option<Slug>, FieldError> {
    if name == format!("{collection}/-") {
        return Ok(None);
    }
    parse_one(name, collection).map(Some)
}

/// Parses a singleton `{collection}/{id}/{singleton}` into the id's slug.
pub fn parse_singleton(name: &str, collection: &str, singleton: &str) -> Result<Slug, FieldError> {
    match name.split('/').collect::<Vec<_>>().as_slice() {
        [c, id, s] if *c == collection && *s == singleton => Slug::parse(id),
        _ => Err(expected(&format!("{collection}/{{id}}/{singleton}"))),
    }
}

fn expected(pattern: &str) -> FieldError {
    FieldError::new(format!("must be a resource name of the form {pattern}"))
}

/// `municipalities/{id}`.
pub fn municipality(id: &str) -> String {
    format!("municipalities/{id}")
}

/// `municipalities/{m}/districts/{d}`.
pub fn district(municipality: &str, id: &str) -> String {
    format!("municipalities/{municipality}/districts/{id}")
}

/// `chapters/{id}`.
pub fn chapter(id: &str) -> String {
    format!("chapters/{id}")
}

/// `organizations/{id}`.
pub fn organization(id: &str) -> String {
    format!("organizations/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_only_in_their_own_shape() {
        assert_eq!(
            parse_one("chapters/botkyrka", "chapters").unwrap().as_str(),
            "botkyrka"
        );
        assert!(parse_one("chapters/botkyrka/x", "chapters").is_err());
        assert!(parse_one("municipalities/botkyrka", "chapters").is_err());
        let (m, d) = parse_two(
            "municipalities/botkyrka/districts/alby",
            "municipalities",
            "districts",
        )
        .unwrap();
        assert_eq!((m.as_str(), d.as_str()), ("botkyrka", "alby"));
        assert_eq!(
            parse_parent_or_wildcard("municipalities/-", "municipalities").unwrap(),
            None
        );
        assert!(parse_singleton("chapters/botkyrka/matchingWeights", "chapters", "matchingWeights").is_ok());
    }
}
