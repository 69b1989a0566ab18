//! The values a template is filled with.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One value of a template: text (an activity's title, a place), a whole number (a
/// position on a waiting list) or a time (shown in Stockholm local time, in the
/// reader's language).
///
/// Stored as JSON with the kind as the key: `{"text": "Fika"}`, `{"number": 3}`,
/// `{"time": "2026-03-14T09:00:00Z"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Param {
    /// Text, shown as it is (isolated from the surrounding text's direction).
    Text(String),
    /// A whole number.
    Number(i64),
    /// A point in time.
    Time(#[serde(with = "time::serde::rfc3339")] OffsetDateTime),
}

/// The named values of a notification. Names are Fluent variable names (`title`,
/// `start`...). Only non-personal values belong here.
///
/// # Examples
///
/// ```
/// use kompis_messages::{Param, Params};
///
/// let params = Params::new().text("title", "Fika").number("position", 2);
/// assert_eq!(params.get("position"), Some(&Param::Number(2)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Params(BTreeMap<String, Param>);

impl Params {
    /// No values.
    pub fn new() -> Self {
        Self::default()
    }

    /// With text `name`.
    pub fn text(mut self, name: &str, value: impl Into<String>) -> Self {
        self.0.insert(name.to_owned(), Param::Text(value.into()));
        self
    }

    /// With number `name`.
    pub fn number(mut self, name: &str, value: i64) -> Self {
        self.0.insert(name.to_owned(), Param::Number(value));
        self
    }

    /// With time `name`.
    pub fn time(mut self, name: &str, value: OffsetDateTime) -> Self {
        self.0.insert(name.to_owned(), Param::Time(value));
        self
    }

    /// The value called `name`.
    pub fn get(&self, name: &str) -> Option<&Param> {
        self.0.get(name)
    }

    /// Every value, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Param)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn params_are_stored_as_json_keyed_by_their_kind_and_read_back() {
        let params = Params::new()
            .text("title", "Fika")
            .number("position", 3)
            .time("start", datetime!(2026-03-14 09:00 UTC));
        let json = serde_json::to_value(&params).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "title": {"text": "Fika"},
                "position": {"number": 3},
                "start": {"time": "2026-03-14T09:00:00Z"},
            })
        );
        assert_eq!(serde_json::from_value::<Params>(json).unwrap(), params);
    }
}
