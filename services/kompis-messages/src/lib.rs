//! What kompis says to participants: notification templates, localised with
//! [Fluent](https://projectfluent.org/) in Swedish, English and Arabic, rendered for the
//! app (a title and a body) and for e-mail (a subject, a plain-text part and an HTML
//! part).
//!
//! A notification is stored as a [`Template`] and its [`Params`], never as rendered
//! text: the text is made when it is read or sent, in the language the participant
//! chose then. Parameters are non-personal by rule (an activity's title, a time, a
//! place, a position on a waiting list): a notification never carries a person's name
//! or contact details.
//!
//! Languages: a participant's chosen language when there are messages for it
//! ([`SUPPORTED_LANGUAGES`]), otherwise Swedish ([`FALLBACK_LANGUAGE`]). Arabic is
//! written right to left: every embedded value (a title in Latin letters, a date) is
//! wrapped in Unicode isolation marks (FSI ... PDI, which Fluent adds around each
//! placeable), and the HTML part sets `lang` and `dir` on the document.
//!
//! The crate is pure: no I/O. Its cost is one lookup and one formatting pass per
//! message; the bundles are parsed once per process.
//!
//! # Examples
//!
//! ```
//! use kompis_messages::{Params, Template, render};
//! use time::macros::datetime;
//!
//! let params = Params::new()
//!     .text("title", "Fika i Alby")
//!     .time("start", datetime!(2026-03-14 09:00 UTC))
//!     .text("place", "Alby bibliotek");
//! let message = render(Template::InvitationReceived, &params, "sv")?;
//! assert!(message.title.contains("Fika i Alby"));
//! // 09:00 UTC is 10:00 in Stockholm in March (CET).
//! assert!(message.body.contains("10:00"));
//! # Ok::<(), kompis_messages::RenderError>(())
//! ```

#![deny(missing_docs)]

mod catalogue;
mod email;
mod local_time;
mod params;
mod template;

pub use catalogue::{
    FALLBACK_LANGUAGE, RenderError, Rendered, SUPPORTED_LANGUAGES, is_right_to_left, render, resolve_language,
};
pub use email::{Email, render_email};
pub use local_time::{stockholm_offset, to_stockholm};
pub use params::{Param, Params};
pub use template::{Template, UnknownTemplate};
