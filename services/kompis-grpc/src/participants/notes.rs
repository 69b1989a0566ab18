//! A participant's note history: coordinators append notes (the caller is the author,
//! the application's clock the time), list them oldest first, and erase one's text.
//!
//! Notes are the coordinators' own. They are served only here, to coordinators of the
//! participant's chapter and administrators: never to referrers (who are refused this
//! service) nor to the participant (whose app shows no notes).

use kompis_domain::{FieldError, Note, ParticipantId, Slug, Violations};
use kompis_proto::v1 as pb;
use kompis_store::notes::{self, NewNote, ParticipantNote};
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::convert::timestamp;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::page::Page;
use crate::kit::{Kit, RequestId};
use crate::views::participant::{
    bad_page_token, find_managed, parse_participant_name, parse_time_key, time_key,
};

/// The proto form of a stored note.
fn note_pb(n: &ParticipantNote) -> pb::ParticipantNote {
    pb::ParticipantNote {
        name: n.resource_name(),
        author: n.author.clone(),
        create_time: timestamp(n.create_time),
        text: n.text.clone(),
        erase_time: n.erase_time.and_then(timestamp),
        eraser: n.erased_by.clone().unwrap_or_default(),
    }
}

/// Parses `chapters/{chapter}/participants/{participant}/notes/{note}` into the
/// participant's name and the note's id.
fn parse_note_name(name: &str) -> Result<(String, Uuid), FieldError> {
    let refusal = || {
        FieldError::new(
            "must be a resource name of the form chapters/{chapter}/participants/{participant}/notes/{note}",
        )
    };
    let (participant, id) = name.rsplit_once("/notes/").ok_or_else(refusal)?;
    let _: (Slug, ParticipantId) = parse_participant_name(participant).map_err(|_| refusal())?;
    let id = Uuid::try_parse(id).map_err(|_| refusal())?;
    Ok((participant.to_owned(), id))
}

/// Appends the request's note to the participant's history.
pub async fn create(
    kit: &Kit,
    principal: &Principal,
    req: &pb::CreateParticipantNoteRequest,
) -> ApiResult<pb::CreateParticipantNoteResponse> {
    let mut v = Violations::new();
    v.check("parent", parse_participant_name(&req.parent));
    let text = v.check(
        "text",
        Note::parse(&req.text).and_then(|t| {
            if t.is_empty() {
                Err(FieldError::new("is required: 1 to 2000 characters"))
            } else {
                Ok(t)
            }
        }),
    );
    let rid = v.check("request_id", RequestId::parse(&req.request_id));
    v.into_result().map_err(ApiError::InvalidArgument)?;
    let (Some(text), Some(rid)) = (text, rid) else {
        return Err(ApiError::bug("a checked field is missing"));
    };
    let note = NewNote {
        author: principal.subject.clone(),
        text,
    };
    let at = kit.now();
    let id = Uuid::now_v7();
    kit.mutate(principal, "CreateParticipantNote", rid, req, async |tx| {
        let p = find_managed(tx, principal, &req.parent, "parent", false).await?;
        notes::append(&mut **tx, id, p.id, &note, at)
            .await
            .named(&req.parent)?;
        let written = notes::get(&mut **tx, p.id, id).await.named(&req.parent)?;
        Ok(pb::CreateParticipantNoteResponse {
            note: Some(note_pb(&written)),
        })
    })
    .await
}

/// Lists the participant's notes, oldest first.
pub async fn list(
    kit: &Kit,
    principal: &Principal,
    req: &pb::ListParticipantNotesRequest,
) -> ApiResult<pb::ListParticipantNotesResponse> {
    let mut v = Violations::new();
    v.check("parent", parse_participant_name(&req.parent));
    let page = Page::parse_into(&mut v, req.page_size, &req.page_token, &req.parent);
    v.into_result().map_err(ApiError::InvalidArgument)?;
    let page = page.ok_or_else(bad_page_token)?;
    let after = match &page.after {
        None => None,
        Some(key) => Some(parse_time_key(key).ok_or_else(bad_page_token)?),
    };
    let mut tx = kit.begin().await?;
    let p = find_managed(&mut tx, principal, &req.parent, "parent", false).await?;
    let mut rows = notes::list(&mut *tx, p.id, after, page.fetch_limit())
        .await
        .named(&req.parent)?;
    kit.commit(tx).await?;
    let next_page_token = page.finish(&mut rows, |n| time_key(n.create_time, n.id));
    Ok(pb::ListParticipantNotesResponse {
        notes: rows.iter().map(note_pb).collect(),
        next_page_token,
    })
}

/// Erases the text of the note the request names.
pub async fn erase(
    kit: &Kit,
    principal: &Principal,
    req: &pb::EraseParticipantNoteRequest,
) -> ApiResult<pb::EraseParticipantNoteResponse> {
    let (participant, id) =
        parse_note_name(&req.name).map_err(|e| ApiError::invalid("name", e.into_description()))?;
    let at = kit.now();
    let mut tx = kit.begin().await?;
    let p = find_managed(&mut tx, principal, &participant, "name", false).await?;
    notes::erase(&mut *tx, p.id, id, &principal.subject, at)
        .await
        .named(&req.name)?;
    let erased = notes::get(&mut *tx, p.id, id).await.named(&req.name)?;
    kit.commit(tx).await?;
    tracing::info!(participant = %p.id, note = %id, "participant note erased");
    Ok(pb::EraseParticipantNoteResponse {
        note: Some(note_pb(&erased)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_names_parse() {
        let p = format!("chapters/botkyrka/participants/{}", Uuid::now_v7());
        let id = Uuid::now_v7();
        assert_eq!(
            parse_note_name(&format!("{p}/notes/{id}")).unwrap(),
            (p.clone(), id)
        );
        assert!(parse_note_name(&format!("{p}/notes/x")).is_err());
        assert!(parse_note_name(&p).is_err());
        assert!(parse_note_name(&format!("chapters/botkyrka/notes/{id}")).is_err());
    }
}
