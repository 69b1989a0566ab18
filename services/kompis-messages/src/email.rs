//! A notification as an e-mail: a subject, a plain-text part and an HTML part.

use crate::catalogue::{RenderError, is_right_to_left, render, render_extra};
use crate::params::Params;
use crate::template::Template;

/// An e-mail ready to send (the addresses are the sender's business).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The language it is written in.
    pub language: &'static str,
    /// The subject line: the notification's title.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part: a whole document with `lang` and `dir` set, so that right-to-left
    /// languages are laid out right to left.
    pub html: String,
}

/// Escapes text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders `template` with `params` as an e-mail in the language for `requested`.
///
/// # Examples
///
/// ```
/// use kompis_messages::{Params, Template, render_email};
/// use time::macros::datetime;
///
/// let params = Params::new()
///     .text("title", "Fika <3")
///     .time("start", datetime!(2026-03-14 09:00 UTC))
///     .text("place", "Alby");
/// let email = render_email(Template::ActivityReminder, &params, "ar")?;
/// assert!(email.html.starts_with("<!DOCTYPE html>\n<html lang=\"ar\" dir=\"rtl\">"));
/// assert!(email.html.contains("Fika &lt;3"));
/// # Ok::<(), kompis_messages::RenderError>(())
/// ```
pub fn render_email(template: Template, params: &Params, requested: &str) -> Result<Email, RenderError> {
    let message = render(template, params, requested)?;
    let language = message.language;
    let footer = render_extra("email-footer", params, language)?;
    let dir = if is_right_to_left(language) { "rtl" } else { "ltr" };
    let text = format!("{}\n\n{}\n\n-- \n{}\n", message.title, message.body, footer);
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"{language}\" dir=\"{dir}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title}</title>\n</head>\n<body dir=\"{dir}\" style=\"font-family: sans-serif\">\n\
         <h1 style=\"font-size: 1.3em\">{title}</h1>\n<p>{body}</p>\n\
         <p style=\"color: #555; font-size: 0.85em\">{footer}</p>\n</body>\n</html>\n",
        title = escape(&message.title),
        body = escape(&message.body),
        footer = escape(&footer),
    );
    Ok(Email {
        language,
        subject: message.title,
        text,
        html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn params() -> Params {
        Params::new()
            .text("title", "Walk")
            .time("start", datetime!(2026-05-02 08:00 UTC))
            .text("place", "Tumba")
    }

    #[test]
    fn left_to_right_languages_say_so_in_the_document() {
        let email = render_email(Template::SeatGiven, &params(), "sv").unwrap();
        assert!(email.html.contains("<html lang=\"sv\" dir=\"ltr\">"));
        assert!(email.text.starts_with(&email.subject));
        assert!(email.text.contains("-- \n"));
    }

    #[test]
    fn arabic_is_laid_out_right_to_left_with_the_latin_app_name_isolated() {
        let email = render_email(Template::SeatGiven, &params(), "ar").unwrap();
        assert!(email.html.contains("<html lang=\"ar\" dir=\"rtl\">"));
        assert!(email.html.contains("<body dir=\"rtl\""));
        assert!(email.text.contains("\u{2068}Kompis\u{2069}"), "{}", email.text);
    }
}
