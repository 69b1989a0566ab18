//! Participants: registration, reads and filters, profile updates, state changes (each
//! written to the event log in the same transaction), the waiting list and its shortage
//! counts.
//!
//! Values arrive validated (the gRPC edge parses them into domain types); the structs
//! here carry the domain types where they exist and their stored strings otherwise.

pub use kompis_domain::WaitingSince;
use kompis_domain::{
    BirthYear, Contact, DisplayName, EventKind, Gender, LanguageCode, ParticipantRole, ParticipantState, Slug,
};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, PgConnection, PgExecutor};
use std::sync::LazyLock;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;
use crate::events::{self, NewEvent};
use crate::notes::{self, NewNote};

/// How a participant came to the programme (`participants.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Converted from a referral.
    Referral,
    /// Registered by a coordinator.
    Coordinator,
    /// Signed up in the app.
    SelfSignUp,
}

impl Source {
    /// The stored string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Referral => "referral",
            Source::Coordinator => "coordinator",
            Source::SelfSignUp => "self_sign_up",
        }
    }

    /// Why the participant exists, for the creation event.
    const fn creation_reason(self) -> &'static str {
        match self {
            Source::Referral => "converted from a referral",
            Source::Coordinator => "registered by a coordinator",
            Source::SelfSignUp => "signed up in the app",
        }
    }
}

/// One language of a profile as stored in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLanguage {
    /// ISO 639 code, two letters where one exists (`LanguageCode::alpha2`, else alpha3).
    pub code: String,
    /// `LanguageLevel::as_str`.
    pub level: String,
}

/// One wish of a profile as stored in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredWish {
    /// `WishKind::tag`.
    pub kind: String,
    /// `Strength::as_str`.
    pub strength: String,
    /// Lowest age, for `age_range` wishes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_age: Option<i32>,
    /// Highest age, for `age_range` wishes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<i32>,
}

/// A matching profile: what an interview records and what the participant carries. The
/// interview keeps its own copy as JSON (history); the participant stores it in columns
/// so that lists can filter on it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Profile {
    /// Languages other than Swedish.
    pub languages: Vec<StoredLanguage>,
    /// `SwedishLevel::as_str`, if known.
    pub swedish_level: Option<String>,
    /// Interest ids of the chapter's taxonomy.
    pub interests: Vec<String>,
    /// Free tags, lowercased.
    pub free_tags: Vec<String>,
    /// Municipality of the district.
    pub municipality_id: String,
    /// District slug.
    pub district_id: String,
    /// `Availability::bits`.
    pub availability: i32,
    /// `MeetingPreference::as_str`, if known.
    pub meeting_preference: Option<String>,
    /// Wishes about the buddy.
    pub wishes: Vec<StoredWish>,
    /// `Capacity::get`: 1 for newcomers, 1 to 5 for established residents.
    pub buddy_capacity: i32,
    /// Whether children live with the person.
    pub has_children: bool,
}

/// The consent as recorded at registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    /// Account id of whoever recorded it.
    pub given_by: String,
    /// When the person consented.
    pub give_time: OffsetDateTime,
    /// Version of the consent text.
    pub text_version: String,
}

/// Personal details a coordinator may correct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalDetails {
    /// Given name.
    pub given_name: DisplayName,
    /// Family name.
    pub family_name: DisplayName,
    /// Name the person prefers, if any.
    pub display_name: Option<DisplayName>,
    /// Phone and/or e-mail.
    pub contact: Contact,
    /// Year of birth.
    pub birth_year: BirthYear,
    /// Gender.
    pub gender: Gender,
}

/// A participant to register.
#[derive(Debug, Clone)]
pub struct NewParticipant {
    /// Id chosen by the caller (`Uuid::now_v7()`, or the id in a participant's token).
    pub id: Uuid,
    /// The chapter.
    pub chapter_id: Slug,
    /// Newcomer or established resident.
    pub role: ParticipantRole,
    /// How the participant came.
    pub source: Source,
    /// The referral converted, when `source` is [`Source::Referral`].
    pub referral_id: Option<Uuid>,
    /// The app account that signed up, when `source` is [`Source::SelfSignUp`].
    pub account_subject: Option<String>,
    /// Name, contact, birth year, gender.
    pub person: PersonalDetails,
    /// Recorded consent.
    pub consent: ConsentRecord,
    /// Profile known at registration (district always; languages often).
    pub profile: Profile,
    /// The first note of the participant's history (a referrer's note), if any.
    pub first_note: Option<NewNote>,
    /// Who registers: written to the event log as the actor.
    pub actor: String,
    /// When, from the application's clock: the creation, state and update time.
    pub at: OffsetDateTime,
}

/// A participant as stored, with its possible duplicates.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Participant {
    /// Id.
    pub id: Uuid,
    /// Chapter slug.
    pub chapter_id: String,
    /// `ParticipantRole::as_str`.
    pub role: String,
    /// `ParticipantState::as_str`.
    pub state: String,
    /// The state to return to, while withdrawn.
    pub state_before_withdrawal: Option<String>,
    /// Why the last state change happened, when the actor said.
    pub state_reason: String,
    /// When `state` last changed.
    pub state_time: OffsetDateTime,
    /// [`Source::as_str`].
    pub source: String,
    /// The referral converted, if any.
    pub referral_id: Option<Uuid>,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Preferred name; may be empty.
    pub display_name: String,
    /// E.164 phone.
    pub phone: Option<String>,
    /// Lowercased e-mail.
    pub email: Option<String>,
    /// Year of birth.
    pub birth_year: i32,
    /// `Gender::as_str`.
    pub gender: String,
    /// Municipality of the home district.
    pub municipality_id: String,
    /// Home district.
    pub district_id: String,
    /// Who recorded consent.
    pub consent_given_by: String,
    /// When consent was given.
    pub consent_time: OffsetDateTime,
    /// Consent text version.
    pub consent_text_version: String,
    /// Languages.
    pub languages: Json<Vec<StoredLanguage>>,
    /// Swedish level.
    pub swedish_level: Option<String>,
    /// Taxonomy interest ids.
    pub interests: Vec<String>,
    /// Free tags.
    pub free_tags: Vec<String>,
    /// Availability bits.
    pub availability: i32,
    /// Meeting preference.
    pub meeting_preference: Option<String>,
    /// Wishes.
    pub wishes: Json<Vec<StoredWish>>,
    /// Buddy capacity.
    pub buddy_capacity: i32,
    /// Children live with the person.
    pub has_children: bool,
    /// Live matches.
    pub active_match_count: i32,
    /// The participant this one was merged into, once closed by a merge.
    pub merged_into: Option<Uuid>,
    /// When the participant last became ready.
    pub waiting_since: Option<OffsetDateTime>,
    /// App account that signed up, if any.
    pub account_subject: Option<String>,
    /// Since when the participant's own change to their matching profile waits for a
    /// coordinator's review; `None` when nothing waits.
    pub profile_review_time: Option<OffsetDateTime>,
    /// When the person's data was erased ([`crate::erasure`]); the row is a tombstone
    /// since, and the service answers for it as for a participant that does not exist.
    pub erase_time: Option<OffsetDateTime>,
    /// Other participants, then referrals, of the chapter with the same phone or e-mail,
    /// as resource names (the referral the participant came from excluded), oldest
    /// first. Computed when read, so an earlier registration sees a later one too. A
    /// withdrawn or merged participant is flagged with nobody and nobody with it, and
    /// dismissed pairs are left out.
    pub possible_duplicates: Vec<String>,
    /// The latest intake interview, if any.
    pub latest_interview_id: Option<Uuid>,
    /// Registration time.
    pub create_time: OffsetDateTime,
    /// Last change.
    pub update_time: OffsetDateTime,
}

impl Participant {
    /// The matching profile held by the participant.
    pub fn profile(&self) -> Profile {
        Profile {
            languages: self.languages.0.clone(),
            swedish_level: self.swedish_level.clone(),
            interests: self.interests.clone(),
            free_tags: self.free_tags.clone(),
            municipality_id: self.municipality_id.clone(),
            district_id: self.district_id.clone(),
            availability: self.availability,
            meeting_preference: self.meeting_preference.clone(),
            wishes: self.wishes.0.clone(),
            buddy_capacity: self.buddy_capacity,
            has_children: self.has_children,
        }
    }

    /// The parsed state. Rows only hold the strings the CHECK constraint allows; any
    /// other is corrupt data, an error, never read as a default.
    pub fn parsed_state(&self) -> Result<ParticipantState, StoreError> {
        self.state
            .parse()
            .map_err(|_| StoreError::corrupt("participant state", &self.state))
    }

    /// The resource name `chapters/{chapter}/participants/{id}`.
    pub fn resource_name(&self) -> String {
        resource_name(&self.chapter_id, self.id)
    }
}

/// `chapters/{chapter}/participants/{id}`.
pub fn resource_name(chapter: &str, id: Uuid) -> String {
    format!("chapters/{chapter}/participants/{id}")
}

/// Every stored spelling of a language: its ISO 639-1 code where one exists and its
/// ISO 639-3 code (referrals keep the code as the referrer gave it).
fn code_forms(code: LanguageCode) -> Vec<String> {
    code.alpha2()
        .into_iter()
        .chain([code.alpha3()])
        .map(str::to_owned)
        .collect()
}

/// Participant columns with the duplicates computed from other participants of the
/// chapter; a macro so that every query stays a static string.
///
/// The duplicates are two probes, one by phone and one by e-mail, joined by `UNION`:
/// each is an equality on the partial indexes `(chapter_id, phone)` and
/// `(chapter_id, email)`, so a read costs a few index probes whatever the chapter's
/// size. (`phone = … OR email = …` in one condition cannot use either index and walks
/// the chapter's rows.)
macro_rules! select_participant {
    ($rest:literal) => {
        concat!(participant_columns!(), " FROM participants p ", $rest)
    };
}

/// The select list of [`select_participant`] over a row source `p`: the participant
/// with its possible duplicates and latest interview.
macro_rules! participant_columns {
    () => {
        concat!(
            "SELECT p.*, ARRAY(
                SELECT 'chapters/' || o.chapter_id || '/participants/' || o.id::text
                FROM (SELECT o.id, o.chapter_id, o.state, o.merged_into, o.create_time
                        FROM participants o
                       WHERE o.chapter_id = p.chapter_id AND o.phone = p.phone
                      UNION
                      SELECT o.id, o.chapter_id, o.state, o.merged_into, o.create_time
                        FROM participants o
                       WHERE o.chapter_id = p.chapter_id AND o.email = p.email) o
                WHERE o.id <> p.id
                  AND p.state <> 'withdrawn' AND p.merged_into IS NULL
                  AND o.state <> 'withdrawn' AND o.merged_into IS NULL
                  AND NOT EXISTS (SELECT 1 FROM duplicate_dismissals d
                                  WHERE d.first_id = least(p.id, o.id)
                                    AND d.second_id = greatest(p.id, o.id))
                ORDER BY o.create_time, o.id)
             || ARRAY(
                SELECT 'chapters/' || r.chapter_id || '/referrals/' || r.id::text
                FROM (SELECT r.id, r.chapter_id, r.participant_id, r.create_time
                        FROM referrals r
                       WHERE r.chapter_id = p.chapter_id AND r.phone = p.phone
                      UNION
                      SELECT r.id, r.chapter_id, r.participant_id, r.create_time
                        FROM referrals r
                       WHERE r.chapter_id = p.chapter_id AND r.email = p.email) r
                WHERE r.id IS DISTINCT FROM p.referral_id
                  AND r.participant_id IS DISTINCT FROM p.id
                  AND p.state <> 'withdrawn' AND p.merged_into IS NULL
                  AND NOT EXISTS (SELECT 1 FROM duplicate_dismissals d
                                  WHERE d.first_id = least(p.id, r.id)
                                    AND d.second_id = greatest(p.id, r.id))
                ORDER BY r.create_time, r.id) AS possible_duplicates,
            (SELECT i.id FROM interviews i WHERE i.participant_id = p.id
             ORDER BY i.create_time DESC, i.id DESC LIMIT 1) AS latest_interview_id"
        )
    };
}

/// The common table expression `p` that inserts a participant ($1 to $28), shared by the
/// statements of [`insert_participant`].
macro_rules! insert_participant_cte {
    () => {
        "p AS (
         INSERT INTO participants (id, chapter_id, role, state, source, referral_id,
             account_subject, given_name, family_name, display_name, phone, email, birth_year,
             gender, municipality_id, district_id, consent_given_by, consent_time,
             consent_text_version, languages, swedish_level, interests, free_tags,
             availability, meeting_preference, wishes, buddy_capacity, has_children,
             create_time, state_time, update_time)
         VALUES ($1, $2, $3, 'applicant', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                 $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $28, $28)
         RETURNING *)"
    };
}

/// Registers a participant in state `applicant` and writes the creation event. Call it
/// in the transaction that does the rest of the registration (the idempotency key, a
/// referral's conversion).
///
/// An unknown chapter or district is [`StoreError::MissingReference`]; a taken id or
/// app account is [`StoreError::AlreadyExists`].
pub async fn insert_participant(
    tx: &mut PgConnection,
    new: &NewParticipant,
) -> Result<Participant, StoreError> {
    let p = &new.person;
    let profile = &new.profile;
    let name = resource_name(new.chapter_id.as_str(), new.id);
    // A participant registered without a referral has no referring organisation, and
    // every other attribute of its event is a value inserted: the row, its event and the
    // event's outbox entry are then written by one statement (one round trip), which
    // also reads the row back with its possible duplicates (the other records are in its
    // snapshot; the new one has no interview). From a referral, the organisation is the
    // referral's, read once the row is in.
    let event = |attributes| NewEvent {
        chapter_id: new.chapter_id.as_str(),
        subject: &name,
        kind: EventKind::Participant,
        actor: &new.actor,
        occur_time: new.at,
        from_state: "",
        to_state: ParticipantState::Applicant.as_str(),
        reason: new.source.creation_reason(),
        attributes,
    };
    let inserted_attributes = new.referral_id.is_none().then(|| events::Attributes {
        participant_role: Some(new.role.as_str().to_owned()),
        referral_source: Some(new.source.as_str().to_owned()),
        municipality_id: Some(profile.municipality_id.clone()),
        district_id: Some(profile.district_id.clone()),
        gender: Some(p.gender.as_str().to_owned()),
        birth_year: Some(p.birth_year.year()),
        ..Default::default()
    });
    static WITH_EVENT: LazyLock<String> = LazyLock::new(|| {
        format!(
            concat!(
                "WITH ",
                insert_participant_cte!(),
                ", {} ",
                participant_columns!(),
                " FROM p"
            ),
            events::append_ctes(29)
        )
    });
    const ALONE: &str = concat!(
        "WITH ",
        insert_participant_cte!(),
        " ",
        participant_columns!(),
        " FROM p"
    );
    let statement = if inserted_attributes.is_some() {
        WITH_EVENT.as_str()
    } else {
        ALONE
    };
    let query = sqlx::query_as(AssertSqlSafe(statement))
        .bind(new.id)
        .bind(new.chapter_id.as_str())
        .bind(new.role.as_str())
        .bind(new.source.as_str())
        .bind(new.referral_id)
        .bind(new.account_subject.as_deref())
        .bind(p.given_name.as_str())
        .bind(p.family_name.as_str())
        .bind(p.display_name.as_ref().map_or("", DisplayName::as_str))
        .bind(p.contact.phone().map(|x| x.as_str()))
        .bind(p.contact.email().map(|x| x.as_str().to_lowercase()))
        .bind(p.birth_year.year())
        .bind(p.gender.as_str())
        .bind(&profile.municipality_id)
        .bind(&profile.district_id)
        .bind(&new.consent.given_by)
        .bind(new.consent.give_time)
        .bind(&new.consent.text_version)
        .bind(Json(&profile.languages))
        .bind(profile.swedish_level.as_deref())
        .bind(&profile.interests)
        .bind(&profile.free_tags)
        .bind(profile.availability)
        .bind(profile.meeting_preference.as_deref())
        .bind(Json(&profile.wishes))
        .bind(profile.buddy_capacity)
        .bind(profile.has_children)
        .bind(new.at);
    let created: Participant = match inserted_attributes {
        Some(attributes) => {
            let event = event(attributes);
            events::bind_event(query, Uuid::now_v7(), &event)
                .fetch_one(&mut *tx)
                .await?
        }
        None => {
            let created = query.fetch_one(&mut *tx).await?;
            let attributes = events::participant_attributes(&mut *tx, new.id).await?;
            events::append(&mut *tx, &event(attributes)).await?;
            created
        }
    };
    if let Some(note) = new.first_note.as_ref().filter(|n| !n.text.is_empty()) {
        notes::append(&mut *tx, Uuid::now_v7(), new.id, note, new.at).await?;
    }
    Ok(created)
}

/// Reads one participant. [`StoreError::NotFound`] when there is none; callers check
/// the chapter themselves.
pub async fn get_participant<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<Participant, StoreError> {
    Ok(sqlx::query_as(select_participant!("WHERE p.id = $1"))
        .bind(id)
        .fetch_one(db)
        .await?)
}

/// The participant an app account owns: the one whose `account_subject` is `subject`,
/// else the one with the token's participant `id`, or the participant it was merged
/// into. [`StoreError::NotFound`] before the account signed up.
pub async fn participant_of_account<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    subject: &str,
) -> Result<Participant, StoreError> {
    Ok(sqlx::query_as(select_participant!(
        "WHERE p.id = coalesce(
             (SELECT a.id FROM participants a WHERE a.account_subject = $2),
             (SELECT coalesce(m.merged_into, m.id) FROM participants m WHERE m.id = $1))"
    ))
    .bind(id)
    .bind(subject)
    .fetch_one(db)
    .await?)
}

/// Reads one participant and locks the row for the rest of the transaction, so that
/// two state changes of the same participant serialise.
///
/// The lock is `FOR NO KEY UPDATE`: it excludes other changes of the row, but not the
/// key-share locks that inserts referencing the participant take (an event, a
/// notification, an inbox entry written by a worker). A plain `FOR UPDATE` would make
/// every such insert wait, and with the worker delivering to two people at once that
/// could close a cycle of waits between transactions.
pub async fn lock_participant(tx: &mut PgConnection, id: Uuid) -> Result<Participant, StoreError> {
    Ok(
        sqlx::query_as(select_participant!("WHERE p.id = $1 FOR NO KEY UPDATE OF p"))
            .bind(id)
            .fetch_one(tx)
            .await?,
    )
}

/// Locks one participant's row for a key change (`FOR UPDATE`), as erasure does before
/// anything else: deliveries to the participant's inbox then wait for the transaction
/// (or skip the participant) instead of holding rows it needs. [`StoreError::NotFound`]
/// when there is no such participant.
pub async fn lock_participant_key(tx: &mut PgConnection, id: Uuid) -> Result<(), StoreError> {
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM participants WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(tx)
        .await?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

/// Filters of a participant list; `None` and empty mean "any".
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this chapter; `None` for every chapter.
    pub chapter_id: Option<String>,
    /// Only this role.
    pub role: Option<ParticipantRole>,
    /// Only these states.
    pub states: Vec<ParticipantState>,
    /// Only this district (municipality, district).
    pub district: Option<(String, String)>,
    /// Only speakers of this language, stored in its two- or three-letter form.
    pub language_code: Option<LanguageCode>,
    /// Only participants waiting since before this time.
    pub waiting_since_before: Option<OffsetDateTime>,
    /// Only participants with possible duplicates.
    pub has_possible_duplicates: bool,
    /// Only participants whose own profile change waits for a review.
    pub profile_review_pending: bool,
    /// Order by `waiting_since` instead of `create_time` (the ready list).
    pub order_by_waiting_since: bool,
}

/// Lists participants by the filter (erased ones never), ordered by (`create_time`, id), or by
/// (`waiting_since`, id) when `order_by_waiting_since`, after the key `after`.
pub async fn list_participants<'c>(
    db: impl PgExecutor<'c>,
    filter: &ListFilter,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<Participant>, StoreError> {
    let states: Vec<&str> = filter.states.iter().map(|s| s.as_str()).collect();
    let (district_m, district_d) = filter.district.clone().unzip();
    let (after_time, after_id) = after.unzip();
    Ok(sqlx::query_as(concat!(
        "SELECT * FROM (",
        select_participant!(
            "WHERE ($1::text IS NULL OR p.chapter_id = $1)
               AND ($2::text IS NULL OR p.role = $2)
               AND (cardinality($3::text[]) = 0 OR p.state = ANY($3))
               AND ($4::text IS NULL OR (p.municipality_id = $4 AND p.district_id = $5))
               AND ($6::text[] IS NULL OR EXISTS (SELECT 1 FROM jsonb_array_elements(p.languages) l
                                                  WHERE l.value ->> 'code' = ANY($6)))
               AND ($7::timestamptz IS NULL OR p.waiting_since < $7)
               AND (NOT $13 OR p.profile_review_time IS NOT NULL)
               AND p.erase_time IS NULL"
        ),
        ") q
         WHERE (NOT $8 OR cardinality(q.possible_duplicates) > 0)
           AND (NOT $9 OR q.waiting_since IS NOT NULL)
           AND ($10::timestamptz IS NULL
                OR (CASE WHEN $9 THEN q.waiting_since ELSE q.create_time END, q.id) > ($10, $11))
         ORDER BY CASE WHEN $9 THEN q.waiting_since ELSE q.create_time END, q.id
         LIMIT $12"
    ))
    .bind(filter.chapter_id.as_deref())
    .bind(filter.role.map(ParticipantRole::as_str))
    .bind(&states)
    .bind(district_m)
    .bind(district_d)
    .bind(filter.language_code.map(code_forms))
    .bind(filter.waiting_since_before)
    .bind(filter.has_possible_duplicates)
    .bind(filter.order_by_waiting_since)
    .bind(after_time)
    .bind(after_id)
    .bind(limit)
    .bind(filter.profile_review_pending)
    .fetch_all(db)
    .await?)
}

/// Flags the participant's own profile change for a coordinator's review at `at`; a
/// change already waiting keeps its earlier time.
pub async fn flag_profile_review<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE participants SET profile_review_time = coalesce(profile_review_time, $2)
         WHERE id = $1",
    )
    .bind(id)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

/// Clears the review flag: a coordinator has looked at the participant's own changes.
pub async fn clear_profile_review<'c>(db: impl PgExecutor<'c>, id: Uuid) -> Result<(), StoreError> {
    sqlx::query("UPDATE participants SET profile_review_time = NULL WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Replaces a participant's personal details and profile.
pub async fn update_participant<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    person: &PersonalDetails,
    profile: &Profile,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE participants SET given_name = $2, family_name = $3, display_name = $4,
             phone = $5, email = $6, birth_year = $7, gender = $8, municipality_id = $9,
             district_id = $10, languages = $11, swedish_level = $12, interests = $13,
             free_tags = $14, availability = $15, meeting_preference = $16, wishes = $17,
             buddy_capacity = $18, has_children = $19, update_time = $20
         WHERE id = $1",
    )
    .bind(id)
    .bind(person.given_name.as_str())
    .bind(person.family_name.as_str())
    .bind(person.display_name.as_ref().map_or("", DisplayName::as_str))
    .bind(person.contact.phone().map(|x| x.as_str()))
    .bind(person.contact.email().map(|x| x.as_str().to_lowercase()))
    .bind(person.birth_year.year())
    .bind(person.gender.as_str())
    .bind(&profile.municipality_id)
    .bind(&profile.district_id)
    .bind(Json(&profile.languages))
    .bind(profile.swedish_level.as_deref())
    .bind(&profile.interests)
    .bind(&profile.free_tags)
    .bind(profile.availability)
    .bind(profile.meeting_preference.as_deref())
    .bind(Json(&profile.wishes))
    .bind(profile.buddy_capacity)
    .bind(profile.has_children)
    .bind(at)
    .execute(db)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Replaces a participant's matching profile (an approved interview's copy).
pub async fn set_profile<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    profile: &Profile,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE participants SET municipality_id = $2, district_id = $3, languages = $4,
             swedish_level = $5, interests = $6, free_tags = $7, availability = $8,
             meeting_preference = $9, wishes = $10, buddy_capacity = $11, has_children = $12,
             update_time = $13
         WHERE id = $1",
    )
    .bind(id)
    .bind(&profile.municipality_id)
    .bind(&profile.district_id)
    .bind(Json(&profile.languages))
    .bind(profile.swedish_level.as_deref())
    .bind(&profile.interests)
    .bind(&profile.free_tags)
    .bind(profile.availability)
    .bind(profile.meeting_preference.as_deref())
    .bind(Json(&profile.wishes))
    .bind(profile.buddy_capacity)
    .bind(profile.has_children)
    .bind(at)
    .execute(db)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// A state change to apply and record.
#[derive(Debug, Clone)]
pub struct StateChange<'a> {
    /// The participant.
    pub id: Uuid,
    /// The state the caller read; the change fails with [`StoreError::Conflict`] when
    /// the row no longer has it.
    pub from: ParticipantState,
    /// The new state (already checked by the domain's state machine).
    pub to: ParticipantState,
    /// Set when withdrawing: the state to come back to.
    pub state_before_withdrawal: Option<ParticipantState>,
    /// What happens to the waiting time.
    pub waiting_since: WaitingSince,
    /// Why, for the participant's record and the event log.
    pub reason: &'a str,
    /// Who: written to the event log.
    pub actor: &'a str,
    /// When, from the application's clock.
    pub at: OffsetDateTime,
}

/// Moves a participant from `change.from` to `change.to` and appends the event, in the
/// caller's transaction.
pub async fn change_state(
    tx: &mut PgConnection,
    change: &StateChange<'_>,
) -> Result<Participant, StoreError> {
    let chapter: Option<String> = sqlx::query_scalar(
        "UPDATE participants SET state = $3, state_before_withdrawal = $4, state_reason = $5,
             waiting_since = CASE $6 WHEN 'now' THEN $7 WHEN 'clear' THEN NULL
                                     ELSE waiting_since END,
             state_time = $7, update_time = $7
         WHERE id = $1 AND state = $2
         RETURNING chapter_id",
    )
    .bind(change.id)
    .bind(change.from.as_str())
    .bind(change.to.as_str())
    .bind(change.state_before_withdrawal.map(ParticipantState::as_str))
    .bind(change.reason)
    .bind(match change.waiting_since {
        WaitingSince::Keep => "keep",
        WaitingSince::Now => "now",
        WaitingSince::Clear => "clear",
    })
    .bind(change.at)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(chapter) = chapter else {
        return Err(StoreError::Conflict(format!(
            "the participant is no longer {}",
            change.from
        )));
    };
    let name = resource_name(&chapter, change.id);
    let mut attributes = events::participant_attributes(&mut *tx, change.id).await?;
    if change.to == ParticipantState::Matched {
        attributes.waited_seconds = waited_seconds(&mut *tx, change.id, change.at).await?;
    }
    events::append(
        &mut *tx,
        &NewEvent {
            chapter_id: &chapter,
            subject: &name,
            kind: EventKind::Participant,
            actor: change.actor,
            occur_time: change.at,
            from_state: change.from.as_str(),
            to_state: change.to.as_str(),
            reason: change.reason,
            attributes,
        },
    )
    .await?;
    get_participant(&mut *tx, change.id).await
}

/// How long the participant has waited on the waiting list at `at`, in whole seconds;
/// `None` when they are not on it. Copied into the event of their match for the
/// follow-up's waiting times.
async fn waited_seconds(
    tx: &mut PgConnection,
    id: Uuid,
    at: OffsetDateTime,
) -> Result<Option<i64>, StoreError> {
    let since: Option<OffsetDateTime> =
        sqlx::query_scalar("SELECT waiting_since FROM participants WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    Ok(since.map(|s| (at - s).whole_seconds().max(0)))
}

/// Whether the district exists and lies in a municipality the chapter covers.
pub async fn district_in_chapter<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    municipality: &str,
    district: &str,
) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM districts d
             JOIN chapter_municipalities cm ON cm.municipality_id = d.municipality_id
             WHERE cm.chapter_id = $1 AND d.municipality_id = $2 AND d.id = $3)",
    )
    .bind(chapter)
    .bind(municipality)
    .bind(district)
    .fetch_one(db)
    .await?)
}

/// What a participant's registration or update names, as the database knows it: read
/// by [`places_and_interests`].
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlacesAndInterests {
    /// Whether the chapter exists.
    pub chapter_exists: bool,
    /// Whether the district exists and lies in a municipality the chapter covers (false
    /// when no district was asked about).
    pub district_in_chapter: bool,
    /// The ids among those asked about that are interests in the chapter's taxonomy.
    pub known_interests: Vec<String>,
}

/// The chapter, the district (municipality, district) and the interests of a
/// participant checked in one statement, one round trip instead of one per check (as
/// [`district_in_chapter`] and [`known_interests`] do apart). Cost: a primary-key probe
/// of the chapter, of the district and of the chapter's municipality, and one probe of
/// the chapter's interests per interest asked about.
pub async fn places_and_interests<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    district: Option<(&str, &str)>,
    interests: &[String],
) -> Result<PlacesAndInterests, StoreError> {
    Ok(sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM chapters c WHERE c.id = $1) AS chapter_exists,
                EXISTS (SELECT 1 FROM districts d
                          JOIN chapter_municipalities cm ON cm.municipality_id = d.municipality_id
                         WHERE cm.chapter_id = $1 AND d.municipality_id = $2 AND d.id = $3)
                    AS district_in_chapter,
                ARRAY(SELECT i.id FROM interests i
                       WHERE i.chapter_id = $1 AND i.id = ANY($4::text[])) AS known_interests",
    )
    .bind(chapter)
    .bind(district.map(|d| d.0))
    .bind(district.map(|d| d.1))
    .bind(interests)
    .fetch_one(db)
    .await?)
}

/// The ids among `ids` that are interests in the chapter's taxonomy.
pub async fn known_interests<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    ids: &[String],
) -> Result<Vec<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT id FROM interests WHERE chapter_id = $1 AND id = ANY($2::text[])")
            .bind(chapter)
            .bind(ids)
            .fetch_all(db)
            .await?,
    )
}

/// Filters of the waiting list besides the chapter and role.
#[derive(Debug, Clone, Default)]
pub struct WaitingFilter {
    /// Only this district (municipality, district).
    pub district: Option<(String, String)>,
    /// Only speakers of this language, stored in its two- or three-letter form.
    pub language_code: Option<LanguageCode>,
}

/// A waiting participant with their place in the queue.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct WaitingEntry {
    /// 1-based place among the ready participants of the same role in the chapter.
    pub position: i64,
    /// The participant.
    #[sqlx(flatten)]
    pub participant: Participant,
}

/// The ready participants of one role in a chapter, longest waiting first, with their
/// place in the whole queue (filters narrow the rows, not the places), after the
/// (`waiting_since`, id) key `after`.
pub async fn waiting_list<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    role: ParticipantRole,
    filter: &WaitingFilter,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<WaitingEntry>, StoreError> {
    let (district_m, district_d) = filter.district.clone().unzip();
    let (after_time, after_id) = after.unzip();
    Ok(sqlx::query_as(concat!(
        "SELECT * FROM (SELECT row_number() OVER (ORDER BY q.waiting_since, q.id) AS position,
                q.* FROM (",
        select_participant!("WHERE p.chapter_id = $1 AND p.role = $2 AND p.state = 'ready'"),
        ") q) w
         WHERE ($3::text IS NULL OR (w.municipality_id = $3 AND w.district_id = $4))
           AND ($5::text[] IS NULL OR EXISTS (SELECT 1 FROM jsonb_array_elements(w.languages) l
                                              WHERE l.value ->> 'code' = ANY($5)))
           AND ($6::timestamptz IS NULL OR (w.waiting_since, w.id) > ($6, $7))
         ORDER BY w.waiting_since, w.id
         LIMIT $8"
    ))
    .bind(chapter)
    .bind(role.as_str())
    .bind(district_m)
    .bind(district_d)
    .bind(filter.language_code.map(code_forms))
    .bind(after_time)
    .bind(after_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// How many ready participants of one role in a chapter the filter keeps.
pub async fn count_waiting<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
    role: ParticipantRole,
    filter: &WaitingFilter,
) -> Result<i64, StoreError> {
    let (district_m, district_d) = filter.district.clone().unzip();
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM participants w
         WHERE w.chapter_id = $1 AND w.role = $2 AND w.state = 'ready'
           AND ($3::text IS NULL OR (w.municipality_id = $3 AND w.district_id = $4))
           AND ($5::text[] IS NULL OR EXISTS (SELECT 1 FROM jsonb_array_elements(w.languages) l
                                              WHERE l.value ->> 'code' = ANY($5)))",
    )
    .bind(chapter)
    .bind(role.as_str())
    .bind(district_m)
    .bind(district_d)
    .bind(filter.language_code.map(code_forms))
    .fetch_one(db)
    .await?)
}

/// A participant's place in their queue: (1-based position, queue length). Position 0
/// when the participant is not waiting.
pub async fn queue_position<'c>(
    db: impl PgExecutor<'c>,
    participant: &Participant,
) -> Result<(i64, i64), StoreError> {
    Ok(sqlx::query_as(
        "SELECT coalesce(sum(CASE WHEN me.id IS NOT NULL
                     AND (w.waiting_since, w.id) <= (me.waiting_since, me.id) THEN 1 END), 0)::bigint,
                count(w.id)
         FROM participants w
         LEFT JOIN participants me ON me.id = $3 AND me.state = 'ready'
         WHERE w.chapter_id = $1 AND w.role = $2 AND w.state = 'ready'",
    )
    .bind(&participant.chapter_id)
    .bind(&participant.role)
    .bind(participant.id)
    .fetch_one(db)
    .await?)
}

/// Supply and demand for one district or language of a chapter.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Shortage {
    /// `municipality/district` for a district, the language code for a language.
    pub key: String,
    /// Ready newcomers.
    pub waiting_newcomers: i64,
    /// Free places of ready or matched established residents.
    pub free_resident_places: i64,
}

impl Shortage {
    /// How many established residents are missing: waiting minus free places, or 0.
    pub fn shortage(&self) -> i64 {
        (self.waiting_newcomers - self.free_resident_places).max(0)
    }
}

/// Supply and demand per district of the chapter's municipalities (every district,
/// zeros included), largest shortage first, then by key.
pub async fn shortage_by_district<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
) -> Result<Vec<Shortage>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT d.municipality_id || '/' || d.id AS key,
                count(p.id) FILTER (WHERE p.role = 'newcomer' AND p.state = 'ready')
                    AS waiting_newcomers,
                coalesce(sum(p.buddy_capacity - p.active_match_count)
                    FILTER (WHERE p.role = 'established_resident'
                            AND p.state IN ('ready', 'matched')), 0)::bigint
                    AS free_resident_places
         FROM districts d
         JOIN chapter_municipalities cm ON cm.municipality_id = d.municipality_id
         LEFT JOIN participants p ON p.chapter_id = cm.chapter_id
              AND p.municipality_id = d.municipality_id AND p.district_id = d.id
         WHERE cm.chapter_id = $1
         GROUP BY d.municipality_id, d.id
         ORDER BY greatest(count(p.id) FILTER (WHERE p.role = 'newcomer' AND p.state = 'ready')
                  - coalesce(sum(p.buddy_capacity - p.active_match_count)
                    FILTER (WHERE p.role = 'established_resident'
                            AND p.state IN ('ready', 'matched')), 0), 0) DESC, key",
    )
    .bind(chapter)
    .fetch_all(db)
    .await?)
}

/// Supply and demand per language spoken by the chapter's waiting newcomers, largest
/// shortage first, then by code.
pub async fn shortage_by_language<'c>(
    db: impl PgExecutor<'c>,
    chapter: &str,
) -> Result<Vec<Shortage>, StoreError> {
    Ok(sqlx::query_as(
        "WITH spoken AS (
             SELECT p.id, p.role, p.state, p.buddy_capacity, p.active_match_count,
                    l.value ->> 'code' AS code
             FROM participants p, jsonb_array_elements(p.languages) l
             WHERE p.chapter_id = $1),
         counts AS (
             SELECT code,
                    count(*) FILTER (WHERE role = 'newcomer' AND state = 'ready')
                        AS waiting_newcomers,
                    coalesce(sum(buddy_capacity - active_match_count)
                        FILTER (WHERE role = 'established_resident'
                                AND state IN ('ready', 'matched')), 0)::bigint
                        AS free_resident_places
             FROM spoken GROUP BY code)
         SELECT code AS key, waiting_newcomers, free_resident_places FROM counts
         WHERE waiting_newcomers > 0
         ORDER BY greatest(waiting_newcomers - free_resident_places, 0) DESC, key",
    )
    .bind(chapter)
    .fetch_all(db)
    .await?)
}
