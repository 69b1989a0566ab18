//! Coordinators' notes about a participant: a history, appended with author and time,
//! each note erasable. Erasure blanks the text for good and records who erased it and
//! when; the row stays so that the history shows a note was there.

use kompis_domain::Note;
use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;

/// A note as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ParticipantNote {
    /// Id (UUID v7, so ids follow the order of writing).
    pub id: Uuid,
    /// The participant the note is about.
    pub participant_id: Uuid,
    /// The participant's chapter.
    pub chapter_id: String,
    /// Account id of the writer, or `system`.
    pub author: String,
    /// When it was written.
    pub create_time: OffsetDateTime,
    /// The text; empty once erased.
    pub text: String,
    /// Who erased the text, once erased.
    pub erased_by: Option<String>,
    /// When the text was erased.
    pub erase_time: Option<OffsetDateTime>,
}

impl ParticipantNote {
    /// `chapters/{chapter}/participants/{participant}/notes/{note}`.
    pub fn resource_name(&self) -> String {
        format!(
            "chapters/{}/participants/{}/notes/{}",
            self.chapter_id, self.participant_id, self.id
        )
    }
}

/// A note to append: who writes what.
#[derive(Debug, Clone)]
pub struct NewNote {
    /// Account id of the writer.
    pub author: String,
    /// The text; an empty note is not appended.
    pub text: Note,
}

/// Note columns with the participant's chapter; a macro so that queries stay static.
macro_rules! select_note {
    ($rest:literal) => {
        concat!(
            "SELECT n.id, n.participant_id, p.chapter_id, n.author, n.create_time, n.text,
                    n.erased_by, n.erase_time
             FROM participant_notes n JOIN participants p ON p.id = n.participant_id ",
            $rest
        )
    };
}

/// Appends a note to the history of `participant` at `at`, in the caller's transaction.
/// An unknown participant is [`StoreError::MissingReference`].
pub async fn append<'c>(
    db: impl PgExecutor<'c>,
    id: Uuid,
    participant: Uuid,
    note: &NewNote,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO participant_notes (id, participant_id, author, create_time, text)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(participant)
    .bind(&note.author)
    .bind(at)
    .bind(note.text.as_str())
    .execute(db)
    .await?;
    Ok(())
}

/// Reads one note of `participant`; [`StoreError::NotFound`] when it has no such note.
pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
    id: Uuid,
) -> Result<ParticipantNote, StoreError> {
    Ok(
        sqlx::query_as(select_note!("WHERE n.id = $1 AND n.participant_id = $2"))
            .bind(id)
            .bind(participant)
            .fetch_one(db)
            .await?,
    )
}

/// The notes of `participant`, oldest first, after the (`create_time`, id) key `after`.
pub async fn list<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
    after: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<Vec<ParticipantNote>, StoreError> {
    let (after_time, after_id) = after.unzip();
    Ok(sqlx::query_as(select_note!(
        "WHERE n.participant_id = $1
           AND ($2::timestamptz IS NULL OR (n.create_time, n.id) > ($2, $3))
         ORDER BY n.create_time, n.id LIMIT $4"
    ))
    .bind(participant)
    .bind(after_time)
    .bind(after_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Erases the text of note `id` of `participant`, recording `by` and `at`. A note
/// erased before keeps its first erasure. [`StoreError::NotFound`] when there is no
/// such note.
pub async fn erase<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
    id: Uuid,
    by: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let found: Option<Uuid> = sqlx::query_scalar(
        "UPDATE participant_notes
            SET text = '', erased_by = coalesce(erased_by, $3), erase_time = coalesce(erase_time, $4)
          WHERE id = $1 AND participant_id = $2
          RETURNING id",
    )
    .bind(id)
    .bind(participant)
    .bind(by)
    .bind(at)
    .fetch_optional(db)
    .await?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

/// Moves every note of `from` to `to` (a merge), keeping authors and times.
pub async fn move_all<'c>(db: impl PgExecutor<'c>, from: Uuid, to: Uuid) -> Result<u64, StoreError> {
    Ok(
        sqlx::query("UPDATE participant_notes SET participant_id = $2 WHERE participant_id = $1")
            .bind(from)
            .bind(to)
            .execute(db)
            .await?
            .rows_affected(),
    )
}
