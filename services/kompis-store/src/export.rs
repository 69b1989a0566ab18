//! Everything held about one participant, as one JSON document (GDPR Art. 15 and 20).
//!
//! The document (`format`: `kompis.export.v1`) holds the participant's record (profile,
//! contact, consent), notification settings, intake interviews with the coordinator's
//! notes, the coordinators' note history, the referral they came from, their matches,
//! their own check-ins, their invitations and their notifications. The right of access
//! covers what staff wrote about the person, so notes are in it whoever asks for the
//! export. What belongs to someone else is left out: of a match, the buddy's id and
//! answers, and the free text either side or a coordinator wrote about the pair (decline
//! reason, end note, override reason); the buddy's check-ins. Each part is a JSON array
//! ordered by id (ids are time-ordered).

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::StoreError;

/// The export document of `participant`; [`StoreError::NotFound`] when there is none.
pub async fn participant_export<'c>(
    db: impl PgExecutor<'c>,
    participant: Uuid,
) -> Result<serde_json::Value, StoreError> {
    let document: Option<serde_json::Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object(
           'format', 'kompis.export.v1',
           'participant', to_jsonb(p),
           'notification_settings',
             (SELECT to_jsonb(s) FROM notification_settings s WHERE s.participant_id = p.id),
           'interviews', coalesce((SELECT jsonb_agg(to_jsonb(i) ORDER BY i.id)
                                   FROM interviews i WHERE i.participant_id = p.id), '[]'),
           'notes', coalesce((SELECT jsonb_agg(to_jsonb(n) ORDER BY n.id)
                              FROM participant_notes n WHERE n.participant_id = p.id), '[]'),
           'referrals', coalesce((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.id)
                                  FROM referrals r WHERE r.participant_id = p.id), '[]'),
           'matches', coalesce((
             SELECT jsonb_agg(jsonb_build_object(
                      'id', m.id,
                      'chapter_id', m.chapter_id,
                      'my_role', CASE WHEN m.newcomer_id = p.id THEN 'newcomer'
                                      ELSE 'established_resident' END,
                      'state', m.state,
                      'my_response', CASE WHEN m.newcomer_id = p.id THEN m.newcomer_response
                                          ELSE m.resident_response END,
                      'deadline_time', m.deadline_time,
                      'accept_time', m.accept_time,
                      'start_time', m.start_time,
                      'end_time', m.end_time,
                      'end_reason', m.end_reason,
                      'create_time', m.create_time) ORDER BY m.id)
             FROM matches m WHERE p.id IN (m.newcomer_id, m.resident_id)), '[]'),
           'check_ins', coalesce((
             SELECT jsonb_agg(to_jsonb(c) ORDER BY c.id)
             FROM check_ins c JOIN matches m ON m.id = c.match_id
             WHERE (m.newcomer_id = p.id AND c.author = 'newcomer')
                OR (m.resident_id = p.id AND c.author = 'established_resident')), '[]'),
           'invitations', coalesce((SELECT jsonb_agg(to_jsonb(v) ORDER BY v.id)
                                    FROM invitations v WHERE v.participant_id = p.id), '[]'),
           'notifications', coalesce((SELECT jsonb_agg(to_jsonb(n) ORDER BY n.id)
                                      FROM notifications n WHERE n.participant_id = p.id), '[]'))
         FROM participants p WHERE p.id = $1",
    )
    .bind(participant)
    .fetch_optional(db)
    .await?;
    document.ok_or(StoreError::NotFound)
}
