//! The policy table, enforced before any handler: every RPC of the API (unary and
//! server-streaming), read from its descriptor set, called as each of the five roles; a role the table says may
//! never call it gets PERMISSION_DENIED with reason ROLE_NOT_ALLOWED, and a role it
//! allows never does. Then the limits: per-identity rate limits and request sizes.

use bytes::Buf;
use kompis_grpc::kit::policy::{self, Access};
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::{CreateInterestRequest, Interest, ListChaptersRequest};
use prost::Message;
use prost_types::FileDescriptorSet;
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::metadata::MetadataValue;
use tonic_types::StatusExt;

use crate::support::{self, TestApp, authed};

/// An empty request, sent to any method without its generated type.
#[derive(Clone, Copy, Default)]
struct EmptyCodec;

impl Codec for EmptyCodec {
    type Encode = ();
    type Decode = ();
    type Encoder = EmptyCodec;
    type Decoder = EmptyCodec;
    fn encoder(&mut self) -> EmptyCodec {
        EmptyCodec
    }
    fn decoder(&mut self) -> EmptyCodec {
        EmptyCodec
    }
}

impl Encoder for EmptyCodec {
    type Item = ();
    type Error = tonic::Status;
    fn encode(&mut self, _: (), _: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        Ok(())
    }
}

impl Decoder for EmptyCodec {
    type Item = ();
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, tonic::Status> {
        src.advance(src.remaining());
        Ok(Some(()))
    }
}

/// Every `kompis.v1` RPC, as a gRPC path, and whether the server streams its answer.
fn rpcs() -> Vec<(String, bool)> {
    let set = FileDescriptorSet::decode(kompis_proto::FILE_DESCRIPTOR_SET).unwrap();
    set.file
        .iter()
        .filter(|f| f.package() == "kompis.v1")
        .flat_map(|f| {
            f.service.iter().flat_map(|s| {
                s.method.iter().map(move |m| {
                    assert!(!m.client_streaming(), "{} streams requests", m.name());
                    (
                        format!("/kompis.v1.{}/{}", s.name(), m.name()),
                        m.server_streaming(),
                    )
                })
            })
        })
        .collect()
}

fn empty_request(token: &str) -> tonic::Request<()> {
    let mut request = tonic::Request::new(());
    request.metadata_mut().insert(
        "authorization",
        MetadataValue::try_from(format!("Bearer {token}")).unwrap(),
    );
    request
}

/// Calls `path` with an empty request; a server-streaming call counts as answered once
/// the stream opens (its messages are not waited for).
async fn call_empty(app: &TestApp, token: &str, path: &str, streaming: bool) -> Result<(), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(app.channel());
    grpc.ready().await.unwrap();
    if streaming {
        grpc.server_streaming(empty_request(token), path.parse().unwrap(), EmptyCodec)
            .await
            .map(|_| ())
    } else {
        grpc.unary(empty_request(token), path.parse().unwrap(), EmptyCodec)
            .await
            .map(|_| ())
    }
}

fn role_not_allowed(result: &Result<(), tonic::Status>) -> bool {
    result
        .as_ref()
        .is_err_and(|s| s.code() == Code::PermissionDenied && support::reason(s) == "ROLE_NOT_ALLOWED")
}

#[tokio::test]
async fn every_role_is_held_to_the_policy_table_in_every_rpc_before_the_handler_runs() {
    let app = support::spawn_app_with_demo().await;
    let callers = [
        (kompis_domain::Role::Administrator, app.administrator()),
        (kompis_domain::Role::Coordinator, app.coordinator("botkyrka")),
        (kompis_domain::Role::Referrer, app.referrer("sfi-botkyrka")),
        (
            kompis_domain::Role::Participant,
            app.participant(uuid::Uuid::now_v7()),
        ),
        (kompis_domain::Role::PartnerViewer, app.partner_viewer("botkyrka")),
    ];
    let rpcs = rpcs();
    assert!(rpcs.len() > 90, "only {} RPCs", rpcs.len());
    assert!(
        rpcs.iter()
            .any(|(p, streaming)| *streaming && p.ends_with("/StreamNotifications")),
        "the streaming RPC is among those called"
    );

    let mut wrong = Vec::new();
    for (path, streaming) in &rpcs {
        let rule = policy::rule_for(path).unwrap_or_else(|| panic!("{path} has no rule"));
        for (role, token) in &callers {
            let result = call_empty(&app, token, path, *streaming).await;
            let denied = role_not_allowed(&result);
            let expected_denied = rule.access(*role) == Access::Never;
            if denied != expected_denied {
                wrong.push(format!("{path} as {role:?}: {result:?}"));
            }
            if let Err(status) = &result {
                assert_ne!(status.code(), Code::Internal, "{path} as {role:?}: {status:?}");
            }
        }
    }

    assert!(
        wrong.is_empty(),
        "{} calls disagree with the table:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test]
async fn a_caller_over_its_rate_limit_is_told_to_wait_and_others_are_not() {
    let app = support::spawn_app_configured(|s| {
        s.rate_limit = 3;
        s.rate_limit_window = std::time::Duration::from_secs(60);
    })
    .await;
    let mut busy = AdminServiceClient::new(authed(app.channel(), &app.coordinator("botkyrka")));
    for _ in 0..3 {
        busy.list_chapters(ListChaptersRequest::default()).await.unwrap();
    }

    let refused = busy
        .list_chapters(ListChaptersRequest::default())
        .await
        .unwrap_err();
    let other = AdminServiceClient::new(authed(app.channel(), &app.administrator()))
        .list_chapters(ListChaptersRequest::default())
        .await;

    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert_eq!(support::reason(&refused), "RATE_LIMITED");
    let retry = refused
        .get_details_retry_info()
        .and_then(|r| r.retry_delay)
        .expect("RetryInfo with a delay");
    assert!(retry > std::time::Duration::ZERO && retry <= std::time::Duration::from_secs(60));
    assert!(other.is_ok(), "another identity has its own count: {other:?}");
}

#[tokio::test]
async fn the_rate_limit_is_shared_by_every_replica() {
    let first = support::spawn_app_configured(|s| s.rate_limit = 4).await;
    let prefix = first.redis_prefix.clone();
    let second = support::spawn_app_configured(move |s| {
        s.rate_limit = 4;
        s.redis_prefix = prefix;
    })
    .await;
    let token = first.coordinator("botkyrka");
    for app in [&first, &second, &first, &second] {
        AdminServiceClient::new(authed(app.channel(), &token))
            .list_chapters(ListChaptersRequest::default())
            .await
            .unwrap();
    }

    let refused = AdminServiceClient::new(authed(second.channel(), &token))
        .list_chapters(ListChaptersRequest::default())
        .await
        .unwrap_err();

    assert_eq!(refused.code(), Code::ResourceExhausted);
}

#[tokio::test]
async fn a_request_larger_than_the_limit_is_refused_unread_and_a_smaller_one_served() {
    let app = support::spawn_app_configured(|s| s.max_request_bytes = 4096).await;
    let mut admin = AdminServiceClient::new(authed(app.channel(), &app.administrator()));
    let interest = |name: String| CreateInterestRequest {
        parent: "chapters/botkyrka".into(),
        interest_id: "backgammon".into(),
        interest: Some(Interest {
            display_name: name,
            category: "Games".into(),
            ..Default::default()
        }),
        request_id: crate::fixtures::participants::request_id(),
    };

    let oversized = admin
        .create_interest(interest("x".repeat(8 * 1024)))
        .await
        .unwrap_err();
    let served = admin.create_interest(interest("Chess".into())).await;

    assert_eq!(oversized.code(), Code::OutOfRange, "{oversized:?}");
    assert!(served.is_ok(), "{served:?}");
}

#[tokio::test]
async fn a_statement_that_outlasts_the_callers_deadline_is_cancelled_and_answered_deadline_exceeded() {
    let app = support::spawn_app_with_demo().await;
    // Another connection holds the chapters table: any statement on it waits.
    let mut holder = app.pool().begin().await.unwrap();
    sqlx::query("LOCK TABLE chapters IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let mut request = tonic::Request::new(kompis_proto::v1::UpdateChapterRequest {
        chapter: Some(kompis_proto::v1::Chapter {
            name: "chapters/botkyrka".into(),
            display_name: "Kompis Botkyrka".into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["display_name".into()],
        }),
    });
    request.set_timeout(std::time::Duration::from_millis(1500));

    let status = AdminServiceClient::new(authed(app.channel(), &app.administrator()))
        .update_chapter(request)
        .await
        .unwrap_err();

    // The server's own answer (the client's timer would say otherwise), before the
    // caller's deadline, and the waiting statement is gone while the lock is still held.
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert_eq!(support::reason(&status), "DEADLINE_EXCEEDED", "{status:?}");
    support::eventually("no statement waits on the lock", || async {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(app.pool())
        .await
        .unwrap();
        (waiting == 0).then_some(())
    })
    .await;
    holder.rollback().await.unwrap();
}
