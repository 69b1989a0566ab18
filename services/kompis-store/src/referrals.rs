//! Referrals of learners by referring organisations, and the lookups around them:
//! where a district lies relative to a chapter, and who else in a chapter shares a
//! phone number or e-mail address.
//!
//! A referral's own state (`referrals.state`) records what the coordinator did with it;
//! once it is converted, the linked participant's state says more, so every read also
//! returns that state (`participant_state`) for the service to combine with
//! [`kompis_domain::ReferralProgress::view`].

use kompis_domain::{
    Contact, DisplayName, EventKind, Gender, LanguageSkills, ReferralClosure, ReferralState, Slug,
    SwedishLevel,
};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, PgConnection, PgExecutor};
use std::sync::LazyLock;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;
use crate::events::{self, NewEvent};

/// One language in the `languages` column: `{"code": "prs", "level": "native"}`, with
/// the ISO 639 code (two letters where ISO 639-1 has one, as the API documents and
/// participants store it) and [`kompis_domain::LanguageLevel::as_str`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSkill {
    /// ISO 639-1 or 639-3 code.
    pub code: String,
    /// Level, as stored.
    pub level: String,
}

impl StoredSkill {
    /// The stored form of a person's languages.
    pub fn from_skills(skills: &LanguageSkills) -> Vec<StoredSkill> {
        skills
            .iter()
            .map(|s| StoredSkill {
                code: s.code.alpha2().unwrap_or(s.code.alpha3()).to_owned(),
                level: s.level.as_str().to_owned(),
            })
            .collect()
    }
}

/// A referral as stored, with the state of the participant it became (if any).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Referral {
    /// Time-ordered id (UUIDv7).
    pub id: Uuid,
    /// The chapter referred to: the referring organisation's chapter.
    pub chapter_id: String,
    /// The referring organisation.
    pub organization_id: String,
    /// Account id of who created the referral.
    pub referrer: String,
    /// [`ReferralState::as_str`].
    pub state: String,
    /// [`kompis_domain::CloseReason::as_str`] when closed.
    pub close_reason: Option<String>,
    /// Why it was closed, for the referrer; may be empty.
    pub close_note: String,
    /// The learner's given name.
    pub given_name: String,
    /// The learner's family name.
    pub family_name: String,
    /// The name the learner prefers; may be empty.
    pub display_name: String,
    /// E.164 phone number.
    pub phone: Option<String>,
    /// E-mail address, lowercased.
    pub email: Option<String>,
    /// Year of birth.
    pub birth_year: i32,
    /// [`Gender::as_str`].
    pub gender: String,
    /// Municipality of the learner's district.
    pub municipality_id: String,
    /// The learner's district.
    pub district_id: String,
    /// The learner's languages.
    pub languages: Json<Vec<StoredSkill>>,
    /// [`SwedishLevel::as_str`].
    pub swedish_level: String,
    /// Account id of who recorded the consent.
    pub consent_given_by: String,
    /// When the learner consented.
    pub consent_give_time: OffsetDateTime,
    /// Version of the consent text agreed to.
    pub consent_text_version: String,
    /// The referrer's note.
    pub note: String,
    /// The participant the referral was converted into.
    pub participant_id: Option<Uuid>,
    /// That participant's state, read with the referral.
    pub participant_state: Option<String>,
    /// When that participant's state last changed.
    pub participant_state_time: Option<OffsetDateTime>,
    /// When the referral was received.
    pub create_time: OffsetDateTime,
    /// When `state` last changed.
    pub state_time: OffsetDateTime,
    /// When the row last changed.
    pub update_time: OffsetDateTime,
}

/// A validated referral to insert.
#[derive(Debug, Clone)]
pub struct NewReferral<'a> {
    /// Id minted by the caller (UUIDv7).
    pub id: Uuid,
    /// The organisation's chapter.
    pub chapter: &'a Slug,
    /// The referring organisation.
    pub organization: &'a Slug,
    /// Account id of the caller.
    pub referrer: &'a str,
    /// Given name.
    pub given_name: &'a DisplayName,
    /// Family name.
    pub family_name: &'a DisplayName,
    /// Preferred name, if given.
    pub display_name: Option<&'a DisplayName>,
    /// Phone and/or e-mail.
    pub contact: &'a Contact,
    /// Year of birth, already checked for plausibility.
    pub birth_year: i32,
    /// Gender.
    pub gender: Gender,
    /// Municipality of the district.
    pub municipality: &'a Slug,
    /// District.
    pub district: &'a Slug,
    /// Languages spoken.
    pub languages: &'a LanguageSkills,
    /// Level in Swedish.
    pub swedish_level: SwedishLevel,
    /// Who recorded the consent.
    pub consent_given_by: &'a str,
    /// When the learner consented.
    pub consent_give_time: OffsetDateTime,
    /// Consent text version.
    pub consent_text_version: &'a str,
    /// The referrer's note (at most 500 characters).
    pub note: &'a str,
    /// When, from the application's clock.
    pub at: OffsetDateTime,
}

/// Who changes a referral's state, why and when: written to the event log.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// The caller's subject.
    pub actor: &'a str,
    /// Why, in the actor's words; may be empty.
    pub reason: &'a str,
    /// When, from the application's clock.
    pub at: OffsetDateTime,
}

/// Appends a referral's state change to the event log.
async fn append_event(
    tx: &mut PgConnection,
    row: &Referral,
    from: &str,
    to: ReferralState,
    change: Change<'_>,
) -> Result<(), StoreError> {
    let subject = format!("chapters/{}/referrals/{}", row.chapter_id, row.id);
    let attributes = events::referral_attributes(&mut *tx, row.id).await?;
    events::append(
        &mut *tx,
        &NewEvent {
            chapter_id: &row.chapter_id,
            subject: &subject,
            kind: EventKind::Referral,
            actor: change.actor,
            occur_time: change.at,
            from_state: from,
            to_state: to.as_str(),
            reason: change.reason,
            attributes,
        },
    )
    .await?;
    Ok(())
}

/// The referral columns with the linked participant's state; a macro so that every
/// query stays a static string.
macro_rules! select_referral {
    ($rest:literal) => {
        concat!(
            "SELECT r.*, p.state AS participant_state, p.state_time AS participant_state_time
               FROM referrals r LEFT JOIN participants p ON p.id = r.participant_id ",
            $rest
        )
    };
}

/// Inserts a referral in state `received` and writes its event. A district that does
/// not exist is [`StoreError::MissingReference`].
pub async fn insert_referral(tx: &mut PgConnection, new: &NewReferral<'_>) -> Result<Referral, StoreError> {
    // The row, its event and the event's outbox entry in one statement (one round trip).
    static STATEMENT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH r AS (
                 INSERT INTO referrals (id, chapter_id, organization_id, referrer, state,
                     given_name, family_name, display_name, phone, email, birth_year, gender,
                     municipality_id, district_id, languages, swedish_level,
                     consent_given_by, consent_give_time, consent_text_version, note,
                     create_time, state_time, update_time)
                 VALUES ($1, $2, $3, $4, 'received', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                         $15, $16, $17, $18, $19, $20, $20, $20)
                 RETURNING *),
             {}
             SELECT r.*, NULL::text AS participant_state, NULL::timestamptz AS participant_state_time
               FROM r",
            events::append_ctes(21)
        )
    });
    // A new referral has no participant yet, and its event's attributes are the values
    // inserted: neither is read back.
    let reason = format!("referred by organizations/{}", new.organization.as_str());
    let subject = format!("chapters/{}/referrals/{}", new.chapter.as_str(), new.id);
    let event = NewEvent {
        chapter_id: new.chapter.as_str(),
        subject: &subject,
        kind: EventKind::Referral,
        actor: new.referrer,
        occur_time: new.at,
        from_state: "",
        to_state: ReferralState::Received.as_str(),
        reason: &reason,
        attributes: events::Attributes {
            participant_role: Some("newcomer".to_owned()),
            referral_source: Some("referral".to_owned()),
            organization_id: Some(new.organization.as_str().to_owned()),
            municipality_id: Some(new.municipality.as_str().to_owned()),
            district_id: Some(new.district.as_str().to_owned()),
            gender: Some(new.gender.as_str().to_owned()),
            birth_year: Some(new.birth_year),
            ..Default::default()
        },
    };
    let query = sqlx::query_as(AssertSqlSafe(STATEMENT.as_str()))
        .bind(new.id)
        .bind(new.chapter.as_str())
        .bind(new.organization.as_str())
        .bind(new.referrer)
        .bind(new.given_name.as_str())
        .bind(new.family_name.as_str())
        .bind(new.display_name.map_or("", DisplayName::as_str))
        .bind(new.contact.phone().map(|p| p.as_str()))
        // Lowercased, as participants store it, so that duplicates are found by equality.
        .bind(new.contact.email().map(|e| e.as_str().to_lowercase()))
        .bind(new.birth_year)
        .bind(new.gender.as_str())
        .bind(new.municipality.as_str())
        .bind(new.district.as_str())
        .bind(Json(StoredSkill::from_skills(new.languages)))
        .bind(new.swedish_level.as_str())
        .bind(new.consent_given_by)
        .bind(new.consent_give_time)
        .bind(new.consent_text_version)
        .bind(new.note)
        .bind(new.at);
    Ok(events::bind_event(query, Uuid::now_v7(), &event)
        .fetch_one(&mut *tx)
        .await?)
}

/// Reads one referral of a chapter.
pub async fn get_referral<'c>(
    db: impl PgExecutor<'c>,
    chapter: &Slug,
    id: Uuid,
) -> Result<Referral, StoreError> {
    Ok(
        sqlx::query_as(select_referral!("WHERE r.chapter_id = $1 AND r.id = $2"))
            .bind(chapter.as_str())
            .bind(id)
            .fetch_one(db)
            .await?,
    )
}

/// Reads one referral of a chapter and locks it for the rest of the transaction, so
/// that two concurrent state changes serialise.
pub async fn lock_referral(tx: &mut PgConnection, chapter: &Slug, id: Uuid) -> Result<Referral, StoreError> {
    sqlx::query("SELECT 1 FROM referrals WHERE chapter_id = $1 AND id = $2 FOR UPDATE")
        .bind(chapter.as_str())
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    get_referral(tx, chapter, id).await
}

/// Which referrals a list returns. Filters combine with AND.
#[derive(Debug, Clone, Default)]
pub struct ReferralFilter<'a> {
    /// Only this chapter; `None` for every chapter.
    pub chapter: Option<&'a Slug>,
    /// Only this organisation.
    pub organization: Option<&'a Slug>,
    /// Only referrals whose progress may be this state: unconverted referrals in exactly
    /// this state, and every converted referral (whose progress depends on the
    /// participant, so the caller filters those with the domain rule).
    pub state: Option<ReferralState>,
    /// Only referrals received at or after this time.
    pub created_after: Option<OffsetDateTime>,
}

/// Lists referrals newest first (by `create_time`, then id), after the key `after`.
pub async fn list_referrals<'c>(
    db: impl PgExecutor<'c>,
    filter: &ReferralFilter<'_>,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<Referral>, StoreError> {
    let (after_time, after_id) = after.unzip();
    Ok(sqlx::query_as(select_referral!(
        "WHERE ($1::text IS NULL OR r.chapter_id = $1)
           AND ($2::text IS NULL OR r.organization_id = $2)
           AND ($3::text IS NULL OR r.participant_id IS NOT NULL OR r.state = $3)
           AND ($4::timestamptz IS NULL OR r.create_time >= $4)
           AND ($5::timestamptz IS NULL OR (r.create_time, r.id) < ($5, $6))
         ORDER BY r.create_time DESC, r.id DESC LIMIT $7"
    ))
    .bind(filter.chapter.map(Slug::as_str))
    .bind(filter.organization.map(Slug::as_str))
    .bind(filter.state.map(ReferralState::as_str))
    .bind(filter.created_after)
    .bind(after_time)
    .bind(after_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Moves a referral from `from` to `to`, setting the closure when `to` is `closed`,
/// and writes the event. The referral must still be in `from` (read it with
/// [`lock_referral`] first); otherwise [`StoreError::Conflict`].
pub async fn set_state(
    tx: &mut PgConnection,
    chapter: &Slug,
    id: Uuid,
    from: ReferralState,
    to: ReferralState,
    closure: Option<&ReferralClosure>,
    change: Change<'_>,
) -> Result<Referral, StoreError> {
    from.transition(to)?;
    let done = sqlx::query(
        "UPDATE referrals SET state = $4, close_reason = $5, close_note = $6,
                state_time = $7, update_time = $7
          WHERE chapter_id = $1 AND id = $2 AND state = $3",
    )
    .bind(chapter.as_str())
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(closure.map(|c| c.reason().as_str()))
    .bind(closure.map_or("", ReferralClosure::note))
    .bind(change.at)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(format!("the referral is no longer {from}")));
    }
    let row = get_referral(&mut *tx, chapter, id).await?;
    append_event(tx, &row, from.as_str(), to, change).await?;
    Ok(row)
}

/// Links a referral to the participant created from it. A referral is converted once:
/// linking one that already has a participant is [`StoreError::Conflict`].
pub async fn link_participant(
    tx: &mut PgConnection,
    chapter: &Slug,
    id: Uuid,
    participant: Uuid,
    at: OffsetDateTime,
) -> Result<Referral, StoreError> {
    let done = sqlx::query(
        "UPDATE referrals SET participant_id = $3, update_time = $4
          WHERE chapter_id = $1 AND id = $2 AND participant_id IS NULL",
    )
    .bind(chapter.as_str())
    .bind(id)
    .bind(participant)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict(
            "the referral was already converted".to_owned(),
        ));
    }
    get_referral(tx, chapter, id).await
}

/// Where a district lies relative to a chapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistrictPlace {
    /// The district exists, in a municipality the chapter covers.
    InChapter,
    /// The district exists, in a municipality another chapter (or none) covers.
    OutsideChapter,
    /// No such district.
    Unknown,
}

/// What a new referral names, as the database knows it: read by [`references`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct References {
    /// The chapter of the organisation asked about; `None` when there is no such
    /// organisation, or none was asked about.
    pub organization_chapter: Option<String>,
    /// Where the district asked about lies; `None` when none was asked about.
    pub place: Option<DistrictPlace>,
}

/// The referring organisation's chapter and the district's place relative to a chapter,
/// in one statement: one round trip for both checks of a new referral instead of one
/// each. `place` is (chapter, municipality, district). Cost: a primary-key probe of the
/// organisation, of the district and of the chapter's municipality.
pub async fn references<'c>(
    db: impl PgExecutor<'c>,
    organization: Option<&Slug>,
    place: Option<(&Slug, &Slug, &Slug)>,
) -> Result<References, StoreError> {
    let (organization_chapter, in_chapter): (Option<String>, Option<bool>) = sqlx::query_as(
        "SELECT (SELECT o.chapter_id FROM organizations o WHERE o.id = $1),
                (SELECT EXISTS (SELECT 1 FROM chapter_municipalities cm
                                 WHERE cm.chapter_id = $2 AND cm.municipality_id = d.municipality_id)
                   FROM districts d WHERE d.municipality_id = $3 AND d.id = $4)",
    )
    .bind(organization.map(Slug::as_str))
    .bind(place.map(|p| p.0.as_str()))
    .bind(place.map(|p| p.1.as_str()))
    .bind(place.map(|p| p.2.as_str()))
    .fetch_one(db)
    .await?;
    Ok(References {
        organization_chapter,
        place: place.map(|_| match in_chapter {
            None => DistrictPlace::Unknown,
            Some(true) => DistrictPlace::InChapter,
            Some(false) => DistrictPlace::OutsideChapter,
        }),
    })
}

/// Another record in the same chapter with the same phone number or e-mail address
/// as a referral.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Duplicate {
    /// The referral it is a possible duplicate of.
    pub referral_id: Uuid,
    /// `referrals` or `participants`.
    pub collection: String,
    /// Id of the other record.
    pub other_id: Uuid,
}

/// The possible duplicates of each of `referrals`: other referrals and participants in
/// the same chapter with the same phone number or e-mail address (both stored
/// lowercased, so compared case-insensitively). The participant a referral was converted into is not its
/// duplicate, nor is a withdrawn or merged participant, nor a pair a coordinator
/// dismissed. Ordered by referral, then collection, then id.
///
/// Each side is two index probes (phone, then e-mail, joined by `UNION`) on the partial
/// indexes `(chapter_id, phone)` and `(chapter_id, email)`: the cost follows the number
/// of matches, not the chapter's size.
pub async fn possible_duplicates<'c>(
    db: impl PgExecutor<'c>,
    referrals: &[Uuid],
) -> Result<Vec<Duplicate>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT r.id AS referral_id, 'referrals' AS collection, o.id AS other_id
           FROM referrals r
           JOIN LATERAL (SELECT o.id FROM referrals o
                          WHERE o.chapter_id = r.chapter_id AND o.phone = r.phone
                         UNION
                         SELECT o.id FROM referrals o
                          WHERE o.chapter_id = r.chapter_id AND o.email = r.email) o
                ON o.id <> r.id
          WHERE r.id = ANY($1)
            AND NOT EXISTS (SELECT 1 FROM duplicate_dismissals d
                            WHERE d.first_id = least(r.id, o.id) AND d.second_id = greatest(r.id, o.id))
         UNION ALL
         SELECT r.id, 'participants', p.id
           FROM referrals r
           JOIN LATERAL (SELECT p.id, p.state, p.merged_into FROM participants p
                          WHERE p.chapter_id = r.chapter_id AND p.phone = r.phone
                         UNION
                         SELECT p.id, p.state, p.merged_into FROM participants p
                          WHERE p.chapter_id = r.chapter_id AND p.email = r.email) p
                ON p.id IS DISTINCT FROM r.participant_id
                AND p.state <> 'withdrawn' AND p.merged_into IS NULL
          WHERE r.id = ANY($1)
            AND NOT EXISTS (SELECT 1 FROM duplicate_dismissals d
                            WHERE d.first_id = least(r.id, p.id) AND d.second_id = greatest(r.id, p.id))
         ORDER BY 1, 2, 3",
    )
    .bind(referrals)
    .fetch_all(db)
    .await?)
}
