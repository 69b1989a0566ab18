//! The message catalogue: one Fluent bundle per language, parsed once per process.

use std::collections::HashMap;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use time::OffsetDateTime;

use crate::local_time::{to_stockholm, weekday_number};
use crate::params::{Param, Params};
use crate::template::Template;

/// Languages with messages, as ISO 639-1 codes.
pub const SUPPORTED_LANGUAGES: &[&str] = &["sv", "en", "ar"];
/// The language used when the participant's chosen one has no messages.
pub const FALLBACK_LANGUAGE: &str = "sv";

/// The sources, embedded at build time.
const SOURCES: &[(&str, &str)] = &[
    ("sv", include_str!("../locales/sv/notifications.ftl")),
    ("en", include_str!("../locales/en/notifications.ftl")),
    ("ar", include_str!("../locales/ar/notifications.ftl")),
];

/// Languages written right to left, among those the catalogue may serve.
const RIGHT_TO_LEFT: &[&str] = &["ar", "fa", "he", "ur", "ps", "ckb"];

/// A notification as the participant reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The language it is written in (one of [`SUPPORTED_LANGUAGES`]).
    pub language: &'static str,
    /// Short title.
    pub title: String,
    /// The text.
    pub body: String,
}

/// Why a notification could not be rendered. Not the participant's fault: a template
/// and its parameters that do not fit together is an error of the code that made them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The template has no message in the catalogue.
    #[error("template {0} has no message")]
    MissingMessage(&'static str),
    /// Formatting failed, for example a parameter the template uses was not given.
    #[error("template {template} did not format: {detail}")]
    Format {
        /// The template.
        template: &'static str,
        /// What Fluent reported.
        detail: String,
    },
}

/// One language's bundles: `isolating` wraps each placeable in Unicode isolation marks
/// (for whole messages, where a value may run in the other direction), `plain` does not
/// (for the parts of a date, which are one run of text).
struct Language {
    isolating: FluentBundle<FluentResource>,
    plain: FluentBundle<FluentResource>,
}

fn bundle(code: &str, source: &str, isolating: bool) -> FluentBundle<FluentResource> {
    let id = code.parse().expect("a valid language identifier");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    bundle.set_use_isolating(isolating);
    let resource = FluentResource::try_new(source.to_owned())
        .unwrap_or_else(|(_, errors)| panic!("locales/{code}/notifications.ftl does not parse: {errors:?}"));
    bundle
        .add_resource(resource)
        .unwrap_or_else(|errors| panic!("locales/{code}/notifications.ftl: {errors:?}"));
    bundle
}

fn catalogue() -> &'static HashMap<&'static str, Language> {
    static CATALOGUE: OnceLock<HashMap<&'static str, Language>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(code, source)| {
                (
                    *code,
                    Language {
                        isolating: bundle(code, source, true),
                        plain: bundle(code, source, false),
                    },
                )
            })
            .collect()
    })
}

/// The language to write in for a participant who chose `requested` (an ISO 639 code,
/// any case; empty when they chose none): it if the catalogue has it, else Swedish.
///
/// # Examples
///
/// ```
/// use kompis_messages::resolve_language;
///
/// assert_eq!(resolve_language("ar"), "ar");
/// assert_eq!(resolve_language("EN"), "en");
/// assert_eq!(resolve_language("ti"), "sv"); // Tigrinya: no messages yet
/// assert_eq!(resolve_language(""), "sv");
/// ```
pub fn resolve_language(requested: &str) -> &'static str {
    let requested = requested.to_ascii_lowercase();
    SUPPORTED_LANGUAGES
        .iter()
        .find(|l| **l == requested)
        .copied()
        .unwrap_or(FALLBACK_LANGUAGE)
}

/// Whether `language` is written right to left.
pub fn is_right_to_left(language: &str) -> bool {
    RIGHT_TO_LEFT.contains(&language)
}

/// Formats message `id` (its value, or its attribute `attribute`) of a bundle.
fn format(
    bundle: &FluentBundle<FluentResource>,
    template: &'static str,
    id: &str,
    attribute: Option<&str>,
    args: Option<&FluentArgs>,
) -> Result<String, RenderError> {
    let message = bundle
        .get_message(id)
        .ok_or(RenderError::MissingMessage(template))?;
    let pattern = match attribute {
        None => message.value(),
        Some(name) => message.get_attribute(name).map(|a| a.value()),
    }
    .ok_or(RenderError::MissingMessage(template))?;
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, args, &mut errors).into_owned();
    if !errors.is_empty() {
        return Err(RenderError::Format {
            template,
            detail: format!("{errors:?}"),
        });
    }
    Ok(tidy(&text))
}

/// Drops the isolation marks of an empty value (an optional reason left out) and the
/// space around it.
fn tidy(text: &str) -> String {
    let text = text.replace("\u{2068}\u{2069}", "");
    let mut out = String::with_capacity(text.len());
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A time as the reader's language writes a date and a time of day, in Stockholm.
fn format_time(language: &Language, t: OffsetDateTime) -> Result<String, RenderError> {
    const WHAT: &str = "datetime";
    let local = to_stockholm(t);
    let plain = &language.plain;
    let weekday = format(
        plain,
        WHAT,
        &format!("weekday-{}", weekday_number(local.weekday())),
        None,
        None,
    )?;
    let month = format(
        plain,
        WHAT,
        &format!("month-{}", u8::from(local.month())),
        None,
        None,
    )?;
    let mut args = FluentArgs::new();
    args.set("weekday", weekday);
    args.set("day", i64::from(local.day()));
    args.set("month", month);
    args.set("year", i64::from(local.year()));
    args.set("time", format!("{:02}:{:02}", local.hour(), local.minute()));
    format(plain, WHAT, WHAT, None, Some(&args))
}

fn args(language: &Language, params: &Params) -> Result<FluentArgs<'static>, RenderError> {
    let mut args = FluentArgs::new();
    for (name, param) in params.iter() {
        let value: FluentValue<'static> = match param {
            Param::Text(text) => text.clone().into(),
            Param::Number(n) => (*n).into(),
            Param::Time(t) => format_time(language, *t)?.into(),
        };
        args.set(name.to_owned(), value);
    }
    // Names that are the same in every language, embedded in other text.
    args.set("app", "Kompis");
    Ok(args)
}

/// Renders `template` with `params` in the language for `requested`
/// ([`resolve_language`]): the message's value is the title and its `.body` attribute
/// the body.
pub fn render(template: Template, params: &Params, requested: &str) -> Result<Rendered, RenderError> {
    let code = resolve_language(requested);
    let language = &catalogue()[code];
    let args = args(language, params)?;
    let key = template.key();
    Ok(Rendered {
        language: code,
        title: format(&language.isolating, key, key, None, Some(&args))?,
        body: format(&language.isolating, key, key, Some("body"), Some(&args))?,
    })
}

/// Renders a catalogue message that is not a template (the e-mail footer), with the
/// same arguments as the template.
pub(crate) fn render_extra(
    id: &'static str,
    params: &Params,
    code: &'static str,
) -> Result<String, RenderError> {
    let language = &catalogue()[code];
    let args = args(language, params)?;
    format(&language.isolating, id, id, None, Some(&args))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn every_param() -> Params {
        Params::new()
            .text("title", "Walk around Lake Aspen")
            .time("start", datetime!(2026-03-14 09:00 UTC))
            .text("place", "Alby")
            .text("reason", "Storm warning")
            .number("position", 3)
            .time("deadline", datetime!(2026-03-20 22:59 UTC))
    }

    #[test]
    fn every_template_renders_in_every_language_with_a_title_and_a_body() {
        for language in SUPPORTED_LANGUAGES {
            for template in Template::ALL {
                let r = render(*template, &every_param(), language)
                    .unwrap_or_else(|e| panic!("{template} in {language}: {e}"));
                assert_eq!(r.language, *language);
                assert!(
                    !r.title.is_empty() && r.title.chars().count() <= 100,
                    "{template} {language}"
                );
                assert!(
                    !r.body.is_empty() && r.body.chars().count() <= 500,
                    "{template} {language}"
                );
            }
        }
    }

    #[test]
    fn a_language_without_messages_falls_back_to_swedish() {
        let r = render(Template::InvitationReceived, &every_param(), "fa").unwrap();
        assert_eq!(r.language, "sv");
        assert!(r.title.starts_with("Inbjudan"), "{}", r.title);
    }

    #[test]
    fn times_are_written_in_stockholm_time_in_the_readers_language() {
        let params = every_param();
        let sv = render(Template::ActivityReminder, &params, "sv").unwrap();
        assert!(sv.body.contains("lördag 14 mars 2026 kl. 10:00"), "{}", sv.body);
        let en = render(Template::ActivityReminder, &params, "en").unwrap();
        assert!(en.body.contains("Saturday 14 March 2026 at 10:00"), "{}", en.body);
        let ar = render(Template::ActivityReminder, &params, "ar").unwrap();
        assert!(ar.body.contains("السبت 14 مارس 2026"), "{}", ar.body);
    }

    #[test]
    fn embedded_values_are_isolated_so_latin_text_keeps_its_direction_in_arabic() {
        let r = render(Template::InvitationReceived, &every_param(), "ar").unwrap();
        assert!(
            r.title.contains("\u{2068}Walk around Lake Aspen\u{2069}"),
            "{:?}",
            r.title
        );
    }

    #[test]
    fn an_empty_optional_value_leaves_no_trace() {
        let params = every_param().text("reason", "");
        let r = render(Template::ActivityCancelled, &params, "en").unwrap();
        assert!(!r.body.contains('\u{2068}') || !r.body.contains("\u{2068}\u{2069}"));
        assert!(!r.body.ends_with(' '), "{:?}", r.body);
    }

    #[test]
    fn a_missing_parameter_is_an_error_not_a_placeholder_in_the_text() {
        let err = render(Template::InvitationReceived, &Params::new(), "sv").unwrap_err();
        assert!(matches!(err, RenderError::Format { .. }), "{err:?}");
    }
}
