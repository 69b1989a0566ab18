//! Recording who accessed a person's record: every service calls [`Kit::audit`] the same
//! way, after deciding the call's outcome, so that refused attempts are recorded too.
//!
//! A record holds ids only: the caller's subject and role, the participant's id, the
//! object's resource name (made of ids), the action, the method and its purpose. The
//! purpose is derived from the method ([`purpose`]), never told by the caller:
//!
//! | purpose | methods |
//! |---|---|
//! | `self_service` | the participant's own calls in the app (`SignUp`, `GetMyProfile`, `CheckIn`, ...) |
//! | `programme_administration` | coordinators' and administrators' work on a participant (`GetParticipant`, `UpdateParticipant`, ...) |
//! | `audit` | an administrator reading the audit log (`ListAccessRecords`) |
//! | `matching` | `SuggestCandidates`: the newcomer asked about, and every candidate shown |
//! | `list` | a page of people: `ListParticipants`, `SearchPeople`, `GetWaitingList`, `ListMatches`, `ListInvitations`, `ListMatchingRoundProposals`, `ListWaitingNewcomers`, `ListReferrals` |
//! | `referral` | the handling of one referral: `CreateReferral`, `GetReferral`, `MarkReferralContacted`, `ConvertReferral`, `CloseReferral` |
//!
//! What is recorded:
//!
//! - every call on one person's record (the participant, their notes, interviews,
//!   matches and check-ins, invitations and attendance, export, erasure), allowed or
//!   refused ([`Kit::audit`], [`Kit::audit_call`]); `CreateParticipant` records the new
//!   person's id once created;
//! - every person a call shows, one read each ([`Kit::audit_shown`]): the candidates of
//!   `SuggestCandidates` and the page of every list over many people (above, and
//!   `ListInterviews` across a chapter). The page's rows are written in one statement;
//! - the participant's own calls in the app, notifications included (`ListMyNotifications`,
//!   `GetNotification`, `MarkNotificationRead`), in their own log;
//! - every call on a referral (a referred learner's record before and after they
//!   become a participant), allowed or refused ([`Named::Referral`]: a referrer's
//!   attempt on another organisation's referral, a coordinator's on another chapter's),
//!   every referral on a page of `ListReferrals` or among the people `SearchPeople`
//!   finds, and a duplicate flag dismissed between a participant and a referral
//!   (`ResolveDuplicate`, in both logs). A referral has no participant id
//!   until it is converted, so these records carry the referral's id instead
//!   (`audit_log.referral_id`, migration 0080), also after the conversion: records are
//!   never rewritten. The person's log joins the two when it is read
//!   (`kompis_store::audit::list_for_person`): a participant's shows the accesses to
//!   the referral they came from, and a referral's those to the participant it became.
//!   In the same way a merge (`ResolveDuplicate`) rewrites no record: the survivor's log
//!   joins those of every participant record merged into it when it is read.
//!
//! What is not, and why:
//!
//! - a refused list over many people (another chapter's list): it names no person,
//!   only a chapter, and shows nobody; the refusal is still answered NOT_FOUND;
//! - a refused `ListReferrals` (another chapter's): it names no person and shows nobody;
//! - `StreamNotifications`: a long-lived stream of the caller's own notifications;
//! - matching rounds' runs and commits (`RunMatchingRound`, `CommitMatchingRound`): they
//!   read the whole pool inside the engine and show nobody; the proposals a coordinator
//!   then lists are recorded;
//! - reports: aggregates, never a person.
//!
//! A refused `GetNotification` or `MarkNotificationRead` (another person's notification)
//! is recorded in the caller's own log, not the other person's.
//!
//! A record is written on its own (not in the call's transaction), so a refused or
//! failed call leaves its record; a registration that succeeds writes its record in
//! the transaction that creates the person ([`Kit::mutate_audited`]). When the record cannot be written the call fails
//! (UNAVAILABLE): an access that cannot be recorded is not given. A call that both
//! names a person and shows others (`SuggestCandidates`) writes all its records in one
//! statement ([`Kit::audit_call_showing`]), one commit per call.

use kompis_domain::Role;
use kompis_store::audit::{self, AccessRecord};
use tonic::{Code, Response, Status};
use uuid::Uuid;

use super::{ApiError, ApiResult, Kit};
use crate::auth::Principal;

/// What was done to the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read.
    Read,
    /// Changed.
    Change,
    /// Exported.
    Export,
    /// Erased.
    Erase,
}

impl Action {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Change => "change",
            Self::Export => "export",
            Self::Erase => "erase",
        }
    }
}

/// The purpose of an access by `method` made by `role`, from the table in the module
/// docs: every call a participant makes is on their own record, in the app.
pub fn purpose(method: &str, role: Role) -> &'static str {
    match method {
        "ListAccessRecords" => "audit",
        "SuggestCandidates" => "matching",
        "ListParticipants"
        | "SearchPeople"
        | "GetWaitingList"
        | "ListMatches"
        | "ListInvitations"
        | "ListMatchingRoundProposals"
        | "ListWaitingNewcomers"
        | "ListReferrals" => "list",
        "CreateReferral" | "GetReferral" | "MarkReferralContacted" | "ConvertReferral" | "CloseReferral" => {
            "referral"
        }
        _ if role == Role::Participant => "self_service",
        _ => "programme_administration",
    }
}

/// Whether `outcome` shows the access refused: out of scope (NOT_FOUND, which also
/// covers a record that does not exist) or a role that may never call the method.
fn refused<T>(outcome: &ApiResult<T>) -> bool {
    matches!(
        outcome,
        Err(ApiError::NotFound(_) | ApiError::PermissionDenied(_) | ApiError::Unauthenticated(_))
    )
}

impl Kit {
    /// Records that `principal` did `action` on `object` (a resource name) of
    /// `participant` through `method`, allowed unless `outcome` is a refusal; returns
    /// `outcome`, or UNAVAILABLE when the record cannot be written. A call that failed
    /// for another reason (a bad field), or named no participant (`None`: a malformed
    /// name), touched no record and is not recorded.
    pub async fn audit<T>(
        &self,
        principal: &Principal,
        method: &'static str,
        participant: Option<Uuid>,
        object: &str,
        action: Action,
        outcome: ApiResult<T>,
    ) -> ApiResult<T> {
        let allowed = !refused(&outcome);
        let Some(participant) = participant else {
            return outcome;
        };
        if allowed && outcome.is_err() {
            return outcome;
        }
        self.write_record(
            principal,
            method,
            Whose::Participant(participant),
            object,
            action,
            allowed,
        )
        .await?;
        outcome
    }
}

/// The record a call names, from which the audit log finds the people it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    /// A participant, or anything under one (`chapters/{c}/participants/{p}/...`).
    Participant(String),
    /// Several participants (a match being created names both); a referral's name
    /// among them (a duplicate flag between a participant and a referral) stands for
    /// the referral.
    Participants(Vec<String>),
    /// A match, or anything under one (`chapters/{c}/matches/{m}/...`): both its people.
    Match(String),
    /// An invitation (`chapters/{c}/activities/{a}/invitations/{i}`): the invitee.
    Invitation(String),
    /// Several invitations (attendance recorded for a page of invitees): each invitee.
    Invitations(Vec<String>),
    /// The calling participant's own record, in the app. Its resource name, the object
    /// recorded, is read from the database (one statement); a call that has read the
    /// caller's row names it with [`Named::OwnAs`] instead.
    Own,
    /// The calling participant's own record, in the app, with its resource name
    /// (`chapters/{c}/participants/{p}`, `p` the token's participant) as the call read
    /// it: recorded exactly as [`Named::Own`] is, without a statement to name it. Only
    /// for the name of the token's own participant (see [`Named::own`]).
    OwnAs(String),
    /// A referral (`chapters/{c}/referrals/{r}`), recorded under the referral's id
    /// whether or not it was converted; recorded only when the referral exists.
    Referral(String),
}

impl Named {
    /// The caller's own record as a call that read the participant `id` of `chapter`
    /// names it: [`Named::OwnAs`] when that participant is the token's own (the
    /// record's name is then known), else [`Named::Own`] (an account that owns another
    /// participant, or a participant merged into another: the token's participant is
    /// named from the database, as before).
    pub fn own(principal: &Principal, id: Uuid, chapter: &str) -> Self {
        match principal.participant {
            Some(own) if own == id => Self::OwnAs(kompis_store::participants::resource_name(chapter, id)),
            _ => Self::Own,
        }
    }
}

/// Whose record an access is, as the log keys it: a participant's or a referral's
/// (migration 0080).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whose {
    Participant(Uuid),
    Referral(Uuid),
}

impl Whose {
    /// The record a resource name is (or is under): a participant's, else a referral's.
    fn of_name(name: &str) -> Option<Self> {
        id_after(name, "participants")
            .map(Self::Participant)
            .or_else(|| id_after(name, "referrals").map(Self::Referral))
    }
}

/// The id following `collection` in the resource name `name`, if it is one.
fn id_after(name: &str, collection: &str) -> Option<Uuid> {
    let parts: Vec<&str> = name.split('/').collect();
    parts
        .windows(2)
        .find(|w| w[0] == collection)
        .and_then(|w| Uuid::parse_str(w[1]).ok())
}

/// Whether a call's answer shows the access refused (see [`refused`]).
fn refused_status<T>(outcome: &Result<Response<T>, Status>) -> bool {
    matches!(
        outcome,
        Err(s) if matches!(s.code(), Code::NotFound | Code::PermissionDenied | Code::Unauthenticated)
    )
}

impl Kit {
    /// The people whose record `named` is; read whatever the caller's scope, so that
    /// a refused attempt on someone's existing record is found. Empty for a malformed
    /// name or an object that does not exist.
    async fn people(&self, principal: &Principal, named: &Named) -> ApiResult<Vec<Whose>> {
        let pool = self.store().pool();
        match named {
            Named::Referral(name) => {
                return Ok(match id_after(name, "referrals") {
                    Some(id) if audit::referral_exists(pool, id).await? => vec![Whose::Referral(id)],
                    _ => Vec::new(),
                });
            }
            Named::Participants(names) => {
                return Ok(names.iter().filter_map(|n| Whose::of_name(n)).collect());
            }
            _ => {}
        }
        Ok(match named {
            Named::Participant(name) => id_after(name, "participants").into_iter().collect(),
            Named::Match(name) => match id_after(name, "matches") {
                Some(id) => audit::people_of_match(pool, id).await?,
                None => Vec::new(),
            },
            Named::Invitation(name) => match id_after(name, "invitations") {
                Some(id) => audit::person_of_invitation(pool, id).await?,
                None => Vec::new(),
            },
            Named::Invitations(names) => {
                let mut people = Vec::new();
                for id in names.iter().filter_map(|n| id_after(n, "invitations")) {
                    people.extend(audit::person_of_invitation(pool, id).await?);
                }
                people
            }
            Named::Own | Named::OwnAs(_) => principal.participant.into_iter().collect(),
            Named::Referral(_) | Named::Participants(_) => Vec::new(),
        }
        .into_iter()
        .map(Whose::Participant)
        .collect())
    }

    /// Records a whole call in the audit log of every person `named` is about, from its
    /// answer, as [`Kit::audit`] does: allowed when it succeeded, refused when it
    /// answered NOT_FOUND (out of scope or missing), PERMISSION_DENIED or
    /// UNAUTHENTICATED; any other failure (a bad field, a conflict) touched no record
    /// and is not recorded. The object recorded is the name the call gave (ids only).
    pub async fn audit_call<T>(
        &self,
        principal: &Principal,
        method: &'static str,
        named: Named,
        action: Action,
        outcome: Result<Response<T>, Status>,
    ) -> Result<Response<T>, Status> {
        let refused = refused_status(&outcome);
        if outcome.is_err() && !refused {
            return outcome;
        }
        let records = self
            .call_records(principal, method, &named, action, !refused)
            .await
            .map_err(Status::from)?;
        self.write_records(method, &records).await.map_err(Status::from)?;
        outcome
    }

    /// Records, after a call succeeded, one read of every person its answer shows (the
    /// page of a list, the candidates suggested): `shown` gives, from the answer, each
    /// person's resource name with the object shown of them (the same name, or their
    /// match's or invitation's); a referral's name stands for the referred person
    /// ([`Named::Referral`]). All rows are written in one statement. A refused or
    /// failed list showed nobody and is not recorded here (a list under one person's
    /// name is recorded by [`Kit::audit_call`]).
    pub async fn audit_shown<T>(
        &self,
        principal: &Principal,
        method: &'static str,
        outcome: Result<Response<T>, Status>,
        shown: impl FnOnce(&T) -> Vec<(String, String)>,
    ) -> Result<Response<T>, Status> {
        let Ok(response) = &outcome else {
            return outcome;
        };
        let records = self.shown_records(principal, method, shown(response.get_ref()));
        self.write_records(method, &records).await.map_err(Status::from)?;
        outcome
    }

    /// [`Kit::audit_call`] and then [`Kit::audit_shown`] of one call, written in one
    /// statement (one commit instead of two): the call's record in the log of every
    /// person `named` is about, allowed or refused, and, when it succeeded, one read of
    /// every person its answer shows. The records are exactly those the two would
    /// write; when they cannot be written the call fails (UNAVAILABLE), as with each.
    pub async fn audit_call_showing<T>(
        &self,
        principal: &Principal,
        method: &'static str,
        named: Named,
        action: Action,
        outcome: Result<Response<T>, Status>,
        shown: impl FnOnce(&T) -> Vec<(String, String)>,
    ) -> Result<Response<T>, Status> {
        let refused = refused_status(&outcome);
        if outcome.is_err() && !refused {
            return outcome;
        }
        let mut records = self
            .call_records(principal, method, &named, action, !refused)
            .await
            .map_err(Status::from)?;
        if let Ok(response) = &outcome {
            records.extend(self.shown_records(principal, method, shown(response.get_ref())));
        }
        self.write_records(method, &records).await.map_err(Status::from)?;
        outcome
    }

    /// The records of a whole call ([`Kit::audit_call`]): one for every person `named`
    /// is about, with the name the call gave as the object.
    async fn call_records(
        &self,
        principal: &Principal,
        method: &'static str,
        named: &Named,
        action: Action,
        allowed: bool,
    ) -> ApiResult<Vec<AccessRecord>> {
        let people = self.people(principal, named).await?;
        let object = match named {
            Named::Participant(n) | Named::Match(n) | Named::Invitation(n) | Named::Referral(n) => n.clone(),
            Named::Participants(names) | Named::Invitations(names) => names.join(" "),
            Named::Own => match people.first() {
                Some(Whose::Participant(p)) => audit::participant_name(self.store().pool(), *p)
                    .await?
                    .unwrap_or_default(),
                _ => String::new(),
            },
            Named::OwnAs(name) => match people.first() {
                Some(Whose::Participant(_)) => name.clone(),
                _ => String::new(),
            },
        };
        Ok(people
            .into_iter()
            .map(|p| self.access_record(principal, method, p, &object, action, allowed))
            .collect())
    }

    /// One read of every person `shown` (resource name, object shown) names
    /// ([`Kit::audit_shown`]).
    fn shown_records(
        &self,
        principal: &Principal,
        method: &'static str,
        shown: Vec<(String, String)>,
    ) -> Vec<AccessRecord> {
        shown
            .into_iter()
            .filter_map(|(person, object)| {
                Whose::of_name(&person)
                    .map(|p| self.access_record(principal, method, p, &object, Action::Read, true))
            })
            .collect()
    }

    /// The record [`Kit::audit_call`] writes for a call that succeeded on `name` (a
    /// participant's or a referral's resource name), made for the transaction that
    /// creates it ([`Kit::mutate_audited`]); none for a name that is neither.
    pub(super) fn created_record(
        &self,
        principal: &Principal,
        method: &'static str,
        name: &str,
        action: Action,
    ) -> Option<AccessRecord> {
        Whose::of_name(name).map(|w| self.access_record(principal, method, w, name, action, true))
    }

    /// One record.
    fn access_record(
        &self,
        principal: &Principal,
        method: &'static str,
        whose: Whose,
        object: &str,
        action: Action,
        allowed: bool,
    ) -> AccessRecord {
        let (participant_id, referral_id) = match whose {
            Whose::Participant(p) => (Some(p), None),
            Whose::Referral(r) => (None, Some(r)),
        };
        AccessRecord {
            id: Uuid::now_v7(),
            occur_time: self.now(),
            actor_subject: principal.subject.clone(),
            actor_role: principal.role.as_str().to_owned(),
            participant_id,
            referral_id,
            object: object.chars().take(300).collect(),
            action: action.as_str().to_owned(),
            method: method.to_owned(),
            purpose: purpose(method, principal.role).to_owned(),
            allowed,
        }
    }

    /// Writes `records` in one statement, or answers UNAVAILABLE.
    async fn write_records(&self, method: &'static str, records: &[AccessRecord]) -> ApiResult<()> {
        if let Err(e) = self.audit_writer().write(records.to_vec()).await {
            tracing::error!(method, "an access could not be recorded in the audit log");
            return Err(e);
        }
        Ok(())
    }

    /// Writes one record, or answers UNAVAILABLE.
    async fn write_record(
        &self,
        principal: &Principal,
        method: &'static str,
        whose: Whose,
        object: &str,
        action: Action,
        allowed: bool,
    ) -> ApiResult<()> {
        let record = self.access_record(principal, method, whose, object, action, allowed);
        if let Err(e) = self.audit_writer().write(vec![record]).await {
            tracing::error!(method, "an access could not be recorded in the audit log");
            return Err(e);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purpose_follows_from_the_method() {
        assert_eq!(purpose("GetMyProfile", Role::Participant), "self_service");
        assert_eq!(purpose("SignUp", Role::Participant), "self_service");
        assert_eq!(
            purpose("GetParticipant", Role::Coordinator),
            "programme_administration"
        );
        assert_eq!(purpose("ListAccessRecords", Role::Administrator), "audit");
        assert_eq!(purpose("SuggestCandidates", Role::Coordinator), "matching");
        assert_eq!(purpose("ListParticipants", Role::Administrator), "list");
        assert_eq!(purpose("ListMatches", Role::Coordinator), "list");
        assert_eq!(purpose("ListReferrals", Role::Referrer), "list");
        assert_eq!(purpose("GetReferral", Role::Referrer), "referral");
        assert_eq!(purpose("ConvertReferral", Role::Coordinator), "referral");
    }

    #[test]
    fn the_callers_own_record_is_named_from_their_row_only_when_it_is_the_tokens() {
        let (own, other) = (Uuid::now_v7(), Uuid::now_v7());
        let principal = Principal {
            subject: "app-account".into(),
            role: Role::Participant,
            chapter: None,
            municipality: None,
            organization: None,
            participant: Some(own),
        };
        assert_eq!(
            Named::own(&principal, own, "botkyrka"),
            Named::OwnAs(format!("chapters/botkyrka/participants/{own}"))
        );
        // The account owns another participant (or the token's was merged into it):
        // the record is the token's participant's, named from the database.
        assert_eq!(Named::own(&principal, other, "botkyrka"), Named::Own);
    }

    #[test]
    fn the_people_are_found_by_the_ids_in_a_name() {
        let (p, m) = (Uuid::now_v7(), Uuid::now_v7());
        let interview = format!("chapters/botkyrka/participants/{p}/interviews/{m}");
        assert_eq!(id_after(&interview, "participants"), Some(p));
        assert_eq!(id_after(&interview, "interviews"), Some(m));
        assert_eq!(
            id_after(&format!("chapters/botkyrka/matches/{m}/checkIns/-"), "matches"),
            Some(m)
        );
        assert_eq!(id_after("chapters/botkyrka/participants/-", "participants"), None);
        assert_eq!(id_after("participants", "participants"), None);
        let referral = format!("chapters/botkyrka/referrals/{m}");
        assert_eq!(Whose::of_name(&referral), Some(Whose::Referral(m)));
        assert_eq!(Whose::of_name(&interview), Some(Whose::Participant(p)));
    }
}
