//! The policy table: which role may ever call which RPC.
//!
//! Every RPC of every `kompis.v1` service has one row, and every row says, for each of
//! the five roles, [`Allowed`](Access::Allowed) or [`Never`](Access::Never). The table
//! is enforced centrally, before any handler runs ([`crate::auth::Guard`]): a role that
//! may never call an RPC gets PERMISSION_DENIED with reason ROLE_NOT_ALLOWED, whatever
//! the request holds. An RPC missing from the table is refused to every role (and a
//! unit test fails, reading every RPC from the descriptor set).
//!
//! "Allowed" is only the first of two gates: the handler then applies the object rule
//! ([`super::scope`]): a coordinator reaches only their chapter's objects, a referrer
//! only their organisation's referrals, a participant only their own records; anything
//! outside answers NOT_FOUND exactly like an object that does not exist.
//!
//! Decisions the contract leaves open, recorded here:
//! - Reference data (municipalities, districts, interests) is readable by every role,
//!   participants included: the app shows it on the sign-up form and none of it is
//!   personal. Chapters and organisations are readable by staff, not by participants.
//! - Partner viewers see the aggregate follow-up report (suppressed, with its goals and
//!   exports) and reference data; never a person's record, a referral, a match, the
//!   event log or the shortage report (which lists waiting people per district and
//!   language without suppression).
//! - Referrers create and follow their own organisation's referrals; everything else
//!   about people is the coordinators'.
//! - The BuddyAppService is the participants' own: no staff role calls it (staff act
//!   on participants through the ParticipantService and MatchingService instead).

use kompis_domain::Role;

/// What a role may do with an RPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The role may call the RPC; the handler's object rule decides what it reaches.
    Allowed,
    /// The role may never call the RPC: PERMISSION_DENIED, ROLE_NOT_ALLOWED.
    Never,
}

use Access::{Allowed as Y, Never as N};

/// One row of the table: an RPC (`Service/Method`, within `kompis.v1`) and the access
/// of each role, in the column order of [`Rule::access`].
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// `Service/Method`, such as `AdminService/GetChapter`.
    pub method: &'static str,
    /// Administrator, coordinator, referrer, participant, partner viewer.
    pub roles: [Access; 5],
}

impl Rule {
    /// The access of `role` to this rule's RPC.
    pub fn access(&self, role: Role) -> Access {
        self.roles[column(role)]
    }
}

/// The column of `role` in [`Rule::roles`].
const fn column(role: Role) -> usize {
    match role {
        Role::Administrator => 0,
        Role::Coordinator => 1,
        Role::Referrer => 2,
        Role::Participant => 3,
        Role::PartnerViewer => 4,
    }
}

const fn rule(method: &'static str, roles: [Access; 5]) -> Rule {
    Rule { method, roles }
}

/// Administrators and coordinators.
const MANAGERS: [Access; 5] = [Y, Y, N, N, N];
/// Administrators only.
const ADMINISTRATORS: [Access; 5] = [Y, N, N, N, N];
/// Every staff role, not participants.
const STAFF: [Access; 5] = [Y, Y, Y, N, Y];
/// Every role.
const EVERYONE: [Access; 5] = [Y, Y, Y, Y, Y];
/// Participants only (their own records, through the app).
const PARTICIPANTS: [Access; 5] = [N, N, N, Y, N];

/// The table. Columns: administrator, coordinator, referrer, participant, partner viewer.
#[rustfmt::skip]
pub const POLICY: &[Rule] = &[
    // ActivityService: coordinators plan activities and invite; participants answer
    // their invitations through the app.
    rule("ActivityService/CreateActivity", MANAGERS),
    rule("ActivityService/GetActivity", MANAGERS),
    rule("ActivityService/ListActivities", MANAGERS),
    rule("ActivityService/UpdateActivity", MANAGERS),
    rule("ActivityService/CancelActivity", MANAGERS),
    rule("ActivityService/InviteParticipants", MANAGERS),
    rule("ActivityService/GetInvitation", MANAGERS),
    rule("ActivityService/ListInvitations", MANAGERS),
    rule("ActivityService/RecordRsvp", MANAGERS),
    rule("ActivityService/RecordAttendance", MANAGERS),
    // AdminService: administrators manage; staff read chapters and organisations;
    // every role reads the reference data of the sign-up form.
    rule("AdminService/GetChapter", STAFF),
    rule("AdminService/ListChapters", STAFF),
    rule("AdminService/CreateChapter", ADMINISTRATORS),
    rule("AdminService/UpdateChapter", ADMINISTRATORS),
    rule("AdminService/GetMunicipality", EVERYONE),
    rule("AdminService/ListMunicipalities", EVERYONE),
    rule("AdminService/CreateMunicipality", ADMINISTRATORS),
    rule("AdminService/GetDistrict", EVERYONE),
    rule("AdminService/ListDistricts", EVERYONE),
    rule("AdminService/CreateDistrict", ADMINISTRATORS),
    rule("AdminService/UpdateDistrict", ADMINISTRATORS),
    rule("AdminService/GetOrganization", STAFF),
    rule("AdminService/ListOrganizations", STAFF),
    rule("AdminService/CreateOrganization", ADMINISTRATORS),
    rule("AdminService/UpdateOrganization", ADMINISTRATORS),
    rule("AdminService/GetMatchingWeights", MANAGERS),
    rule("AdminService/UpdateMatchingWeights", ADMINISTRATORS),
    rule("AdminService/ListInterests", EVERYONE),
    rule("AdminService/CreateInterest", MANAGERS),
    rule("AdminService/DeleteInterest", MANAGERS),
    // BuddyAppService: the participant's own app.
    rule("BuddyAppService/SignUp", PARTICIPANTS),
    rule("BuddyAppService/GetMyProfile", PARTICIPANTS),
    rule("BuddyAppService/UpdateMyProfile", PARTICIPANTS),
    rule("BuddyAppService/GetMyApplication", PARTICIPANTS),
    rule("BuddyAppService/GetMyBuddy", PARTICIPANTS),
    rule("BuddyAppService/RespondToProposal", PARTICIPANTS),
    rule("BuddyAppService/ListMyInvitations", PARTICIPANTS),
    rule("BuddyAppService/RespondToInvitation", PARTICIPANTS),
    rule("BuddyAppService/CheckIn", PARTICIPANTS),
    rule("BuddyAppService/StreamNotifications", PARTICIPANTS),
    rule("BuddyAppService/ListMyNotifications", PARTICIPANTS),
    rule("BuddyAppService/GetNotification", PARTICIPANTS),
    rule("BuddyAppService/MarkNotificationRead", PARTICIPANTS),
    rule("BuddyAppService/GetMyNotificationSettings", PARTICIPANTS),
    rule("BuddyAppService/UpdateMyNotificationSettings", PARTICIPANTS),
    rule("BuddyAppService/EndMyMatch", PARTICIPANTS),
    rule("BuddyAppService/CancelMyInterview", PARTICIPANTS),
    rule("BuddyAppService/WithdrawFromProgramme", PARTICIPANTS),
    rule("BuddyAppService/ExportMyData", PARTICIPANTS),
    rule("BuddyAppService/EraseMyData", PARTICIPANTS),
    // DeliveryService: the dead letters of the whole deployment.
    rule("DeliveryService/ListDeadLetters", ADMINISTRATORS),
    rule("DeliveryService/GetDeadLetter", ADMINISTRATORS),
    rule("DeliveryService/ReplayDeadLetter", ADMINISTRATORS),
    // InterviewService: the intake interview is the coordinator's.
    rule("InterviewService/BookInterview", MANAGERS),
    rule("InterviewService/GetInterview", MANAGERS),
    rule("InterviewService/ListInterviews", MANAGERS),
    rule("InterviewService/UpdateInterview", MANAGERS),
    rule("InterviewService/RecordInterview", MANAGERS),
    rule("InterviewService/CancelInterview", MANAGERS),
    // MatchingService: the engine proposes, the coordinator decides; the programme's
    // rules are the administrators'.
    rule("MatchingService/SuggestCandidates", MANAGERS),
    rule("MatchingService/RunMatchingRound", MANAGERS),
    rule("MatchingService/GetMatchingRound", MANAGERS),
    rule("MatchingService/ListMatchingRounds", MANAGERS),
    rule("MatchingService/CreateMatch", MANAGERS),
    rule("MatchingService/GetMatch", MANAGERS),
    rule("MatchingService/ListMatches", MANAGERS),
    rule("MatchingService/AcceptMatch", MANAGERS),
    rule("MatchingService/DeclineMatch", MANAGERS),
    rule("MatchingService/StartMatch", MANAGERS),
    rule("MatchingService/EndMatch", MANAGERS),
    rule("MatchingService/RematchParticipant", MANAGERS),
    rule("MatchingService/RecordCheckIn", MANAGERS),
    rule("MatchingService/ListCheckIns", MANAGERS),
    rule("MatchingService/GetMatchingProgramme", MANAGERS),
    rule("MatchingService/UpdateMatchingProgramme", ADMINISTRATORS),
    rule("MatchingService/ListMatchingRoundProposals", MANAGERS),
    rule("MatchingService/ListWaitingNewcomers", MANAGERS),
    rule("MatchingService/CommitMatchingRound", MANAGERS),
    rule("MatchingService/CancelMatchingRound", MANAGERS),
    // ParticipantService: people's records, the coordinators'.
    rule("ParticipantService/CreateParticipant", MANAGERS),
    rule("ParticipantService/GetParticipant", MANAGERS),
    rule("ParticipantService/ListParticipants", MANAGERS),
    rule("ParticipantService/UpdateParticipant", MANAGERS),
    rule("ParticipantService/WithdrawParticipant", MANAGERS),
    rule("ParticipantService/ReturnParticipant", MANAGERS),
    rule("ParticipantService/GetWaitingList", MANAGERS),
    rule("ParticipantService/SearchPeople", MANAGERS),
    rule("ParticipantService/ResolveDuplicate", MANAGERS),
    rule("ParticipantService/CreateParticipantNote", MANAGERS),
    rule("ParticipantService/ListParticipantNotes", MANAGERS),
    rule("ParticipantService/ExportParticipant", MANAGERS),
    rule("ParticipantService/EraseParticipant", MANAGERS),
    rule("ParticipantService/ListAccessRecords", ADMINISTRATORS),
    rule("ParticipantService/EraseParticipantNote", MANAGERS),
    // ReferralService: referrers refer and follow their own referrals; coordinators
    // work them.
    rule("ReferralService/CreateReferral", [Y, Y, Y, N, N]),
    rule("ReferralService/GetReferral", [Y, Y, Y, N, N]),
    rule("ReferralService/ListReferrals", [Y, Y, Y, N, N]),
    rule("ReferralService/MarkReferralContacted", MANAGERS),
    rule("ReferralService/ConvertReferral", MANAGERS),
    rule("ReferralService/CloseReferral", MANAGERS),
    // ReportService: aggregate figures for the partnership; the event log (which
    // names people's records) for managers only.
    rule("ReportService/GetFollowUpReport", [Y, Y, N, N, Y]),
    rule("ReportService/ExportFollowUpReport", [Y, Y, N, N, Y]),
    rule("ReportService/ListReportGoals", [Y, Y, N, N, Y]),
    rule("ReportService/SetReportGoal", MANAGERS),
    // Shortage lists waiting people per district and language unsuppressed: staff only.
    rule("ReportService/GetShortageReport", MANAGERS),
    rule("ReportService/ListEvents", MANAGERS),
];

/// The package every RPC of the table belongs to.
pub const PACKAGE: &str = "kompis.v1";

/// The rule of the RPC at the gRPC `path` (`/kompis.v1.Service/Method`), if it has one.
pub fn rule_for(path: &str) -> Option<&'static Rule> {
    let method = path.strip_prefix('/')?.strip_prefix(PACKAGE)?.strip_prefix('.')?;
    POLICY.iter().find(|r| r.method == method)
}

/// Whether `role` may call the RPC at `path`. An RPC without a rule is refused to
/// every role: the table fails closed.
pub fn allows(path: &str, role: Role) -> bool {
    rule_for(path).is_some_and(|r| r.access(role) == Access::Allowed)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use prost::Message;

    use super::*;

    fn rpcs_in_descriptor_set() -> BTreeSet<String> {
        let set = prost_types::FileDescriptorSet::decode(kompis_proto::FILE_DESCRIPTOR_SET).unwrap();
        set.file
            .iter()
            .filter(|f| f.package() == PACKAGE)
            .flat_map(|f| {
                f.service
                    .iter()
                    .flat_map(|s| s.method.iter().map(move |m| format!("{}/{}", s.name(), m.name())))
            })
            .collect()
    }

    #[test]
    fn every_rpc_of_the_api_has_exactly_one_rule() {
        let rpcs = rpcs_in_descriptor_set();
        assert!(rpcs.len() > 90, "only {} RPCs read", rpcs.len());
        let ruled: Vec<&str> = POLICY.iter().map(|r| r.method).collect();
        let missing: Vec<&String> = rpcs.iter().filter(|m| !ruled.contains(&m.as_str())).collect();
        assert!(missing.is_empty(), "RPCs without a rule: {missing:?}");
        let unknown: Vec<&&str> = ruled.iter().filter(|m| !rpcs.contains(**m)).collect();
        assert!(
            unknown.is_empty(),
            "rules for RPCs that do not exist: {unknown:?}"
        );
        let distinct: BTreeSet<&&str> = ruled.iter().collect();
        assert_eq!(distinct.len(), ruled.len(), "an RPC has two rules");
    }

    #[test]
    fn every_role_has_its_own_column() {
        let columns: BTreeSet<usize> = Role::ALL.iter().map(|r| column(*r)).collect();
        assert_eq!(columns.len(), Role::ALL.len());
    }

    #[test]
    fn an_rpc_without_a_rule_is_refused_to_every_role() {
        for role in Role::ALL {
            assert!(!allows("/kompis.v1.AdminService/NoSuchMethod", *role));
            assert!(!allows("/other.v1.AdminService/GetChapter", *role));
            assert!(!allows("", *role));
        }
        assert!(allows("/kompis.v1.AdminService/GetChapter", Role::Referrer));
        assert!(!allows("/kompis.v1.AdminService/GetChapter", Role::Participant));
    }

    #[test]
    fn partner_viewers_reach_aggregates_and_reference_data_only() {
        let personal = [
            "Participant",
            "Referral",
            "Match",
            "Interview",
            "Events",
            "Note",
            "Buddy",
        ];
        for rule in POLICY {
            if rule.access(Role::PartnerViewer) == Access::Allowed {
                assert!(
                    !personal.iter().any(|p| rule.method.contains(p)),
                    "a partner viewer may call {}",
                    rule.method
                );
            }
        }
    }
}
