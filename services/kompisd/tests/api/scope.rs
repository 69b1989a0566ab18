//! The one scope rule, for every RPC that takes a resource name: someone else's object
//! answers exactly like no object at all (same code, message and details, once the
//! name asked for is set aside).
//!
//! The RPCs are read from the API's own descriptor set, so that a new RPC is covered
//! the day it is added. Each is called with every resource-name field of its request
//! (`name`, `parent`, `participant`...) set, in turn, to an object of another chapter
//! that exists and to one that does not, as a coordinator of the demo chapter, a
//! referrer of its SFI school, a participant of it and a partner viewer of it.

use std::collections::BTreeMap;

use bytes::{Buf, BufMut};
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::*;
use prost::Message;
use prost_types::FileDescriptorSet;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::MetadataValue;
use tonic_types::StatusExt;

use crate::fixtures::participants::{RINKEBY, newcomer, participants, request_id};
use crate::support::{self, TestApp, authed};

/// The request fields that name a resource.
const NAME_FIELDS: &[&str] = &[
    "name",
    "parent",
    "chapter",
    "participant",
    "match",
    "activity",
    "invitation",
    "subject",
];

/// Reads of shared reference data, which every staff role may read whole (common.proto):
/// another chapter's record and interest taxonomy are not someone else's objects.
const SHARED_REFERENCE_DATA: &[(&str, &str)] = &[
    ("/kompis.v1.AdminService/GetChapter", "chapters/stockholm"),
    ("/kompis.v1.AdminService/ListInterests", "chapters/stockholm"),
];

/// A request of one string field, encoded without a generated type.
struct Raw(Vec<u8>);

fn one_field(number: u32, value: &str) -> Raw {
    let mut buf = Vec::new();
    prost::encoding::string::encode(number, &value.to_owned(), &mut buf);
    Raw(buf)
}

#[derive(Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Raw;
    type Decode = ();
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }
    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Raw;
    type Error = tonic::Status;
    fn encode(&mut self, item: Raw, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item.0);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = ();
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, tonic::Status> {
        src.advance(src.remaining());
        Ok(Some(()))
    }
}

/// A unary RPC and the number of each of its resource-name fields.
struct Rpc {
    path: String,
    fields: Vec<(String, u32)>,
}

/// Every unary `kompis.v1` RPC whose request names a resource.
fn rpcs_taking_names() -> Vec<Rpc> {
    let set = FileDescriptorSet::decode(kompis_proto::FILE_DESCRIPTOR_SET).unwrap();
    let mut messages = BTreeMap::new();
    for file in &set.file {
        for message in &file.message_type {
            messages.insert(format!(".{}.{}", file.package(), message.name()), message.clone());
        }
    }
    let mut rpcs = Vec::new();
    for file in set.file.iter().filter(|f| f.package() == "kompis.v1") {
        for service in &file.service {
            for method in service
                .method
                .iter()
                .filter(|m| !m.server_streaming() && !m.client_streaming())
            {
                let input = &messages[method.input_type()];
                let fields: Vec<(String, u32)> = input
                    .field
                    .iter()
                    .filter(|f| f.r#type() == prost_types::field_descriptor_proto::Type::String)
                    .filter(|f| NAME_FIELDS.contains(&f.name()))
                    .map(|f| (f.name().to_owned(), f.number() as u32))
                    .collect();
                if !fields.is_empty() {
                    rpcs.push(Rpc {
                        path: format!("/kompis.v1.{}/{}", service.name(), method.name()),
                        fields,
                    });
                }
            }
        }
    }
    rpcs
}

/// What an answer says, with the name asked for set aside.
fn answer(result: Result<(), tonic::Status>, asked: &str) -> String {
    match result {
        Ok(()) => "OK".to_owned(),
        Err(status) => {
            let details = status.get_error_details();
            format!(
                "{:?} | {} | {:?} | {:?} | {:?}",
                status.code(),
                status.message().replace(asked, "<name>"),
                details.error_info().map(|i| (i.reason.clone(), i.domain.clone())),
                details
                    .resource_info()
                    .map(|r| r.resource_name.replace(asked, "<name>")),
                details.bad_request().map(|b| {
                    b.field_violations
                        .iter()
                        .map(|v| (v.field.clone(), v.description.replace(asked, "<name>")))
                        .collect::<Vec<_>>()
                }),
            )
        }
    }
}

async fn call(app: &TestApp, token: &str, path: &str, request: Raw) -> Result<(), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(app.channel());
    grpc.ready().await.unwrap();
    let mut request = tonic::Request::new(request);
    request.metadata_mut().insert(
        "authorization",
        MetadataValue::try_from(format!("Bearer {token}")).unwrap(),
    );
    grpc.unary(request, path.parse().unwrap(), RawCodec)
        .await
        .map(|_| ())
}

/// Another chapter with one of everything in it, and, for each, a name of the same
/// form that names nothing.
async fn someone_elses_objects(app: &TestApp) -> Vec<(String, String)> {
    let mut admin = AdminServiceClient::new(authed(app.channel(), &app.administrator()));
    admin
        .create_chapter(CreateChapterRequest {
            chapter_id: "stockholm".into(),
            chapter: Some(Chapter {
                display_name: "Kompis Stockholm".into(),
                municipalities: vec!["municipalities/stockholm".into()],
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap();
    admin
        .create_organization(CreateOrganizationRequest {
            organization_id: "sfi-rinkeby".into(),
            organization: Some(Organization {
                display_name: "SFI Rinkeby".into(),
                kind: OrganizationKind::SfiSchool as i32,
                chapter: "chapters/stockholm".into(),
                municipality: "municipalities/stockholm".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap();
    let interest = admin
        .create_interest(CreateInterestRequest {
            parent: "chapters/stockholm".into(),
            interest_id: "chess".into(),
            interest: Some(Interest {
                display_name: "Chess".into(),
                category: "Games".into(),
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .interest
        .unwrap();
    let mut person = newcomer(1);
    person.district = RINKEBY.into();
    // The consent is recorded by the caller, the administrator.
    person.consent.as_mut().unwrap().given_by = "admin-1".into();
    let participant = participants(app, &app.administrator())
        .create_participant(CreateParticipantRequest {
            parent: "chapters/stockholm".into(),
            participant: Some(person),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .participant
        .unwrap();
    let interview = book_as_admin(app, &participant.name).await;
    let unknown = uuid::Uuid::now_v7();
    let notification = delivered_notification(app, &participant.name).await;
    let participant_elsewhere = format!("chapters/stockholm/participants/{unknown}");
    let (activity, invitation) = activity_and_invitation(app, &participant.name).await;
    vec![
        ("chapters/stockholm".into(), "chapters/no-such-chapter".into()),
        (
            "organizations/sfi-rinkeby".into(),
            "organizations/no-such-organization".into(),
        ),
        (
            interest.name.clone(),
            "chapters/stockholm/interests/no-such-interest".into(),
        ),
        (
            "chapters/stockholm/matchingWeights".into(),
            "chapters/no-such-chapter/matchingWeights".into(),
        ),
        (participant.name.clone(), participant_elsewhere.clone()),
        (
            interview.name.clone(),
            format!("{}/interviews/{unknown}", participant.name),
        ),
        (
            format!("chapters/stockholm/referrals/{}", uuid::Uuid::now_v7()),
            format!("chapters/no-such-chapter/referrals/{unknown}"),
        ),
        (
            notification,
            format!("{}/notifications/{unknown}", participant.name),
        ),
        (
            activity.clone(),
            format!("chapters/stockholm/activities/{unknown}"),
        ),
        (invitation, format!("{activity}/invitations/{unknown}")),
        (
            format!("chapters/stockholm/matches/{}", uuid::Uuid::now_v7()),
            format!("chapters/no-such-chapter/matches/{unknown}"),
        ),
        (
            "chapters/stockholm/matchingProgramme".into(),
            "chapters/no-such-chapter/matchingProgramme".into(),
        ),
    ]
}

/// An activity of the other chapter and the invitation of `participant` to it.
async fn activity_and_invitation(app: &TestApp, participant: &str) -> (String, String) {
    let admin = app.administrator();
    let mut activity =
        crate::fixtures::activities::walk(time::OffsetDateTime::now_utc() + time::Duration::days(7), 10);
    activity.district = RINKEBY.into();
    activity.interests.clear();
    let activity = crate::fixtures::activities::activities(app, &admin)
        .create_activity(CreateActivityRequest {
            parent: "chapters/stockholm".into(),
            activity: Some(activity),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .activity
        .unwrap();
    crate::fixtures::activities::activities(app, &admin)
        .invite_participants(InviteParticipantsRequest {
            activity: activity.name.clone(),
            participants: vec![participant.to_owned()],
            ..Default::default()
        })
        .await
        .unwrap();
    let invitation = crate::fixtures::activities::activities(app, &admin)
        .list_invitations(ListInvitationsRequest {
            parent: activity.name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .invitations
        .remove(0);
    (activity.name, invitation.name)
}

/// A notification in the inbox of the participant named `participant`.
async fn delivered_notification(app: &TestApp, participant: &str) -> String {
    let id = crate::fixtures::notifications::id_of(participant);
    let params = crate::fixtures::notifications::walk();
    let mut tx = app.pool().begin().await.unwrap();
    let notification = kompis_store::notifications::enqueue(
        &mut tx,
        &kompis_store::notifications::NewNotification {
            participant: id,
            chapter: "stockholm",
            kind: kompis_domain::NotificationKind::InvitationReceived,
            subject: participant,
            template: kompis_messages::Template::InvitationReceived,
            params: &params,
            at: time::OffsetDateTime::now_utc(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    crate::support::eventually("the notification is delivered", || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox WHERE notification_id = $1")
            .bind(notification)
            .fetch_one(app.pool())
            .await
            .unwrap();
        (n == 1).then_some(())
    })
    .await;
    format!("{participant}/notifications/{notification}")
}

async fn book_as_admin(app: &TestApp, participant: &str) -> Interview {
    crate::fixtures::participants::interviews(app, &app.administrator())
        .book_interview(BookInterviewRequest {
            parent: participant.into(),
            interview: Some(Interview {
                schedule_time: crate::fixtures::participants::in_days(7),
                mode: InterviewMode::Phone as i32,
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap()
        .into_inner()
        .interview
        .unwrap()
}

#[tokio::test]
async fn someone_elses_object_answers_exactly_like_no_object_in_every_rpc_that_takes_a_name() {
    let app = support::spawn_app_with_demo().await;
    let objects = someone_elses_objects(&app).await;
    let callers = [
        ("coordinator", app.coordinator("botkyrka")),
        ("referrer", app.referrer("sfi-botkyrka")),
        ("participant", app.participant(uuid::Uuid::now_v7())),
        ("partner viewer", app.partner_viewer("botkyrka")),
    ];
    let rpcs = rpcs_taking_names();
    assert!(rpcs.len() >= 40, "only {} RPCs take a name", rpcs.len());
    let mut differences = Vec::new();
    for rpc in &rpcs {
        for (field, number) in &rpc.fields {
            for (theirs, missing) in &objects {
                if SHARED_REFERENCE_DATA.contains(&(rpc.path.as_str(), theirs.as_str())) {
                    continue;
                }
                for (who, token) in &callers {
                    let a = answer(
                        call(&app, token, &rpc.path, one_field(*number, theirs)).await,
                        theirs,
                    );
                    let b = answer(
                        call(&app, token, &rpc.path, one_field(*number, missing)).await,
                        missing,
                    );
                    if a != b {
                        differences.push(format!(
                            "{} {field}={theirs} as {who}:\n  someone else's: {a}\n  no such:        {b}",
                            rpc.path
                        ));
                    }
                }
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
