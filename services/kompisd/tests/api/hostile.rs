//! Hostile input: what a caller who probes the service gets. Nothing a client sends
//! may answer INTERNAL, grow the server's metrics, or make an error larger than a
//! client reads; forged page tokens and tokens outside their lifetime are refused.

use bytes::{Buf, BufMut};
use http::uri::PathAndQuery;
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic_types::StatusExt;

use crate::fixtures::participants::{CHAPTER, newcomer, participants, request_id, speaks};
use crate::support::{self, TestApp};

/// Sends and receives message bodies as they are, so that a test can send bytes no
/// generated client would.
#[derive(Debug, Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        let n = src.remaining();
        Ok(Some(src.copy_to_bytes(n).to_vec()))
    }
}

/// Calls `path` with `body` as the request message, authenticated as an administrator.
async fn raw_call(app: &TestApp, path: &str, body: Vec<u8>) -> Result<Vec<u8>, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(support::authed(app.channel(), &app.administrator()));
    grpc.ready().await.expect("the channel is ready");
    let path = PathAndQuery::try_from(path.to_owned()).expect("a valid path");
    grpc.unary(tonic::Request::new(body), path, RawCodec)
        .await
        .map(tonic::Response::into_inner)
}

async fn scrape_metrics(app: &TestApp) -> String {
    let mut socket = tokio::net::TcpStream::connect(app.metrics_addr.expect("metrics are served"))
        .await
        .unwrap();
    socket
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut text = String::new();
    socket.read_to_string(&mut text).await.unwrap();
    text
}

#[tokio::test]
async fn an_undecodable_request_is_the_callers_mistake_not_an_internal_error() {
    let app = support::spawn_app().await;
    // Field 1 as a length-delimited value longer than the body: not a message.
    for body in [vec![0x0a, 0xff, 0xff, 0x01], vec![0xff; 16], vec![0x08]] {
        let status = raw_call(&app, "/kompis.v1.AdminService/ListMunicipalities", body)
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert_eq!(support::bad_fields(&status), ["request"]);
        assert_eq!(support::reason(&status), "INVALID_FIELD");
    }
    // The same call, well formed, still works on that server.
    let ok = raw_call(
        &app,
        "/kompis.v1.AdminService/ListMunicipalities",
        prost::Message::encode_to_vec(&ListMunicipalitiesRequest::default()),
    )
    .await;
    assert!(ok.is_ok(), "{ok:?}");
}

#[tokio::test]
async fn unknown_paths_are_one_metrics_label_and_never_carry_what_was_sent() {
    let app = support::spawn_app().await;
    let marker = uuid::Uuid::new_v4().simple().to_string();
    for i in 0..50 {
        let path = format!("/kompis.v1.Probe{marker}/m{i}");
        let status = raw_call(&app, &path, Vec::new()).await.unwrap_err();
        assert_eq!(status.code(), Code::Unimplemented, "{status:?}");
    }
    let status = raw_call(&app, &format!("/amina.{marker}@exempel.se/x"), Vec::new())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);

    let metrics = scrape_metrics(&app).await;
    assert!(
        !metrics.contains(&marker),
        "a probed path became a label:\n{metrics}"
    );
    assert!(!metrics.contains("exempel.se"));
    assert!(
        metrics.contains(r#"grpc_server_requests_total{method="unknown",code="Unimplemented"}"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_request_with_thousands_of_bad_elements_gets_a_bounded_error() {
    let app = support::spawn_app_with_demo().await;
    let token = app.coordinator("botkyrka");
    let mut input = newcomer(1);
    let profile = input.profile.as_mut().unwrap();
    profile.languages = (0..5_000)
        .map(|i| {
            speaks(
                &format!("not-a-language-{i}-{}", "x".repeat(20)),
                LanguageLevel::Native,
            )
        })
        .collect();
    let status = participants(&app, &token)
        .create_participant(CreateParticipantRequest {
            parent: CHAPTER.into(),
            participant: Some(input),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
    let violations = status.get_details_bad_request().unwrap().field_violations;
    assert_eq!(violations.len(), kompis_domain::MAX_REPORTED_VIOLATIONS + 1);
    let last = violations.last().unwrap();
    assert_eq!(last.field, "request");
    assert!(
        last.description.contains("more invalid field"),
        "{}",
        last.description
    );
    // The whole error stays small enough for any client to read.
    assert!(
        status.details().len() < 16 * 1024,
        "{} bytes of details",
        status.details().len()
    );
    assert!(
        status.message().len() < 4 * 1024,
        "{} bytes of message",
        status.message().len()
    );
    // Nothing was written.
    let found = participants(&app, &token)
        .search_people(SearchPeopleRequest {
            parent: CHAPTER.into(),
            query: "+46701000001".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.people.len(), 0, "nothing was written");
}

#[tokio::test]
async fn a_forged_or_changed_page_token_is_refused_as_invalid() {
    use base64::Engine as _;
    let app = support::spawn_app().await;
    let mut admin = AdminServiceClient::new(support::authed(app.channel(), &app.administrator()));
    let first = admin
        .list_municipalities(ListMunicipalitiesRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!first.next_page_token.is_empty());
    // The issued token works.
    admin
        .list_municipalities(ListMunicipalitiesRequest {
            page_size: 1,
            page_token: first.next_page_token.clone(),
        })
        .await
        .unwrap();

    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut flipped = engine.decode(&first.next_page_token).unwrap();
    flipped[2] ^= 0x20;
    let forged = [
        // What the token would be without its signature, pointing anywhere.
        engine.encode(br#"{"k":["294277-01-01T00:00:00Z"],"f":0}"#),
        engine.encode(b"{\"k\":[\"a\\u0000b\"],\"f\":0}"),
        engine.encode(&flipped),
        "x".repeat(10_000),
    ];
    for token in forged {
        let status = admin
            .list_municipalities(ListMunicipalitiesRequest {
                page_size: 1,
                page_token: token,
            })
            .await
            .unwrap_err();
        assert_eq!(support::bad_fields(&status), ["page_token"]);
        assert_eq!(support::reason(&status), "INVALID_PAGE_TOKEN");
    }
}

#[tokio::test]
async fn tokens_past_their_time_or_valid_too_long_are_refused_alike() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let app = support::spawn_app().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let sign = |iat: u64, exp: u64, nbf: Option<u64>, sub: &str| {
        let mut claims = serde_json::json!({
            "sub": sub, "role": "administrator", "iss": "kompis", "aud": "kompis-api",
            "iat": iat, "exp": exp,
        });
        if let Some(nbf) = nbf {
            claims["nbf"] = nbf.into();
        }
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(kompisd::settings::DEVELOPMENT_JWT_SECRET.as_bytes()),
        )
        .unwrap()
    };
    let call = async |token: String| {
        AdminServiceClient::new(support::authed(app.channel(), &token))
            .list_municipalities(ListMunicipalitiesRequest::default())
            .await
    };
    assert!(call(sign(now, now + 600, None, "admin-1")).await.is_ok());
    let refused = [
        sign(now - 3600, now - 30, None, "admin-1"),
        sign(now, now + 600, Some(now + 300), "admin-1"),
        sign(now, now + 100 * 365 * 24 * 3600, None, "admin-1"),
        sign(now + 3600, now + 7200, None, "admin-1"),
        sign(now, now + 600, None, &"a".repeat(300)),
        sign(now, now + 600, None, "admin\u{0}1"),
    ];
    let mut messages = std::collections::BTreeSet::new();
    for token in refused {
        let status = call(token).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        messages.insert(status.message().to_owned());
    }
    assert_eq!(messages.len(), 1, "every refusal reads the same: {messages:?}");
}

#[tokio::test]
async fn partner_viewers_see_no_contact_details_of_organisations() {
    let app = support::spawn_app_with_demo().await;
    let mut admin = AdminServiceClient::new(support::authed(app.channel(), &app.administrator()));
    admin
        .create_organization(CreateOrganizationRequest {
            organization_id: "sfi-alby".into(),
            organization: Some(Organization {
                display_name: "SFI Alby".into(),
                kind: OrganizationKind::SfiSchool as i32,
                chapter: CHAPTER.into(),
                municipality: "municipalities/botkyrka".into(),
                contact_email: "rektor@sfi-alby.exempel.se".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    // Another chapter, with an organisation of its own.
    admin
        .create_chapter(CreateChapterRequest {
            chapter_id: "goteborg".into(),
            chapter: Some(Chapter {
                display_name: "Kompis Göteborg".into(),
                municipalities: vec!["municipalities/goteborg".into()],
                ..Default::default()
            }),
            request_id: request_id(),
        })
        .await
        .unwrap();
    admin
        .create_organization(CreateOrganizationRequest {
            organization_id: "sfi-angered".into(),
            organization: Some(Organization {
                display_name: "SFI Angered".into(),
                kind: OrganizationKind::SfiSchool as i32,
                chapter: "chapters/goteborg".into(),
                municipality: "municipalities/goteborg".into(),
                contact_email: "rektor@sfi-angered.exempel.se".into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    let admin_view = admin
        .get_organization(GetOrganizationRequest {
            name: "organizations/sfi-alby".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    assert_eq!(admin_view.contact_email, "rektor@sfi-alby.exempel.se");

    let mut partner =
        AdminServiceClient::new(support::authed(app.channel(), &app.partner_viewer("botkyrka")));
    let listed = partner
        .list_organizations(ListOrganizationsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(listed.organizations.iter().any(|o| o.display_name == "SFI Alby"));
    assert!(listed.organizations.iter().all(|o| o.contact_email.is_empty()));
    assert!(
        listed.organizations.iter().all(|o| o.chapter == CHAPTER),
        "only their own chapter's organisations: {listed:?}"
    );
    let other_chapter = partner
        .list_organizations(ListOrganizationsRequest {
            chapter: "chapters/goteborg".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        other_chapter.code(),
        Code::NotFound,
        "another chapter is not theirs"
    );
    let got = partner
        .get_organization(GetOrganizationRequest {
            name: "organizations/sfi-alby".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .organization
        .unwrap();
    assert_eq!(got.contact_email, "");
}

#[tokio::test]
async fn a_participant_token_under_another_account_reads_as_no_participant() {
    use kompis_domain::Role;
    use kompis_grpc::Principal;
    let app = support::spawn_app_with_demo().await;
    let id = uuid::Uuid::now_v7();
    let own = app.participant(id);
    let request = SignUpRequest {
        role: ParticipantRole::Newcomer as i32,
        person_name: Some(PersonName {
            given_name: "Farid".into(),
            family_name: "Ahmadi".into(),
            display_name: "Farid".into(),
        }),
        contact: Some(Contact {
            phone: "+46703009999".into(),
            email: String::new(),
        }),
        birth_year: 1995,
        gender: Gender::Male as i32,
        district: crate::fixtures::participants::ALBY.into(),
        languages: vec![speaks("prs", LanguageLevel::Native)],
        swedish_level: Some(SwedishLevel {
            level: Some(swedish_level::Level::Cefr(LanguageLevel::A2 as i32)),
        }),
        consent: Some(crate::fixtures::participants::consent(&format!(
            "participant-{id}"
        ))),
        request_id: request_id(),
    };
    crate::fixtures::participants::buddy_app(&app, &own)
        .sign_up(request)
        .await
        .expect("the sign-up succeeds");
    let profile = crate::fixtures::participants::buddy_app(&app, &own)
        .get_my_profile(GetMyProfileRequest {})
        .await;
    assert!(profile.is_ok(), "{profile:?}");

    // The same participant id, signed for another account.
    let other = app.token(&Principal {
        subject: "someone-else".into(),
        role: Role::Participant,
        chapter: None,
        organization: None,
        participant: Some(id),
        municipality: None,
    });
    let nobody = app.participant(uuid::Uuid::now_v7());
    for token in [&other, &nobody] {
        let status = crate::fixtures::participants::buddy_app(&app, token)
            .get_my_profile(GetMyProfileRequest {})
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
        assert_eq!(support::reason(&status), "INVALID_TOKEN");
        assert_eq!(status.message(), "a valid bearer token is required");
    }
}

#[tokio::test]
async fn oversized_metadata_fails_that_call_alone() {
    let app = support::spawn_app().await;
    let mut admin = AdminServiceClient::new(support::authed(app.channel(), &app.administrator()));
    // A server stream on the same connection, open across the oversized calls.
    let mut health = tonic_health::pb::health_client::HealthClient::new(app.channel());
    let mut watch = health
        .watch(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(watch.message().await.unwrap().is_some());
    for size in [20 * 1024, 200 * 1024] {
        let mut request = tonic::Request::new(ListMunicipalitiesRequest::default());
        request
            .metadata_mut()
            .insert("x-padding", "a".repeat(size).parse().unwrap());
        let status = admin.list_municipalities(request).await.unwrap_err();
        assert_eq!(
            support::bad_fields(&status),
            ["metadata"],
            "{size} bytes: {status:?}"
        );
        admin
            .list_municipalities(ListMunicipalitiesRequest::default())
            .await
            .expect("the next call on the connection is served");
    }
    // The stream opened before is still open: the connection was never reset. (A reset
    // connection ends it with an error at once; an open one is silent or sends news.)
    let still_open = tokio::time::timeout(std::time::Duration::from_millis(200), watch.message()).await;
    assert!(
        matches!(still_open, Err(_) | Ok(Ok(Some(_)))),
        "the health stream ended: {still_open:?}"
    );
}

#[tokio::test]
async fn nul_characters_and_times_outside_the_databases_range_are_the_callers_mistake() {
    use crate::fixtures::participants::{interviews, register};
    use crate::fixtures::referrals::referrals;
    let app = support::spawn_app_with_demo().await;
    let coordinator = app.coordinator("botkyrka");
    let person = register(&app, newcomer(71)).await;
    // 1 January 10000: past protobuf's range and PostgreSQL's.
    let far = Some(prost_types::Timestamp {
        seconds: 253_402_300_800,
        nanos: 0,
    });
    let answers: Vec<(&str, Result<(), tonic::Status>)> = vec![
        (
            "query",
            participants(&app, &coordinator)
                .search_people(SearchPeopleRequest {
                    parent: CHAPTER.into(),
                    query: "Am\u{0}ina".into(),
                })
                .await
                .map(|_| ()),
        ),
        (
            "text",
            participants(&app, &coordinator)
                .create_participant_note(CreateParticipantNoteRequest {
                    parent: person.name.clone(),
                    text: "said \u{0} something".into(),
                    request_id: request_id(),
                })
                .await
                .map(|_| ()),
        ),
        (
            "reason",
            participants(&app, &coordinator)
                .withdraw_participant(WithdrawParticipantRequest {
                    name: person.name.clone(),
                    reason: "moved\u{0}away".into(),
                    request_id: request_id(),
                })
                .await
                .map(|_| ()),
        ),
        (
            "parent",
            participants(&app, &coordinator)
                .list_participants(ListParticipantsRequest {
                    parent: "chapters/bot\u{0}kyrka".into(),
                    ..Default::default()
                })
                .await
                .map(|_| ()),
        ),
        (
            "create_time_after",
            referrals(&app, &coordinator)
                .list_referrals(ListReferralsRequest {
                    parent: CHAPTER.into(),
                    create_time_after: far,
                    ..Default::default()
                })
                .await
                .map(|_| ()),
        ),
        (
            "interview.schedule_time",
            interviews(&app, &coordinator)
                .book_interview(BookInterviewRequest {
                    parent: person.name.clone(),
                    interview: Some(Interview {
                        schedule_time: far,
                        mode: InterviewMode::Phone as i32,
                        ..Default::default()
                    }),
                    request_id: request_id(),
                })
                .await
                .map(|_| ()),
        ),
    ];
    for (field, answer) in answers {
        let status = answer.expect_err(field);
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        assert_eq!(support::bad_fields(&status), [field], "{status:?}");
    }
}

/// Calls `path` with `body` as the request message, with `token`.
async fn raw_call_as(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Vec<u8>,
) -> Result<Vec<u8>, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(support::authed(app.channel(), token));
    grpc.ready().await.expect("the channel is ready");
    let path = PathAndQuery::try_from(path.to_owned()).expect("a valid path");
    grpc.unary(tonic::Request::new(body), path, RawCodec)
        .await
        .map(tonic::Response::into_inner)
}

/// Request bodies made from a message's own descriptor: every field of the message,
/// often left out, set to a value chosen to probe validation (NUL characters, over-long
/// and non-ASCII text, names of other chapters, ids that exist nowhere, times outside
/// PostgreSQL's range, negative and huge numbers, unknown enum values), nested
/// messages two levels deep, repeated fields up to three times. Deterministic: a
/// seeded generator.
struct Bodies {
    messages: std::collections::HashMap<String, prost_types::DescriptorProto>,
    rng: rand::rngs::StdRng,
}

impl Bodies {
    fn new(set: &prost_types::FileDescriptorSet, seed: u64) -> Self {
        use rand::SeedableRng;
        let mut messages = std::collections::HashMap::new();
        fn add(
            messages: &mut std::collections::HashMap<String, prost_types::DescriptorProto>,
            prefix: &str,
            m: &prost_types::DescriptorProto,
        ) {
            let name = format!("{prefix}.{}", m.name());
            for nested in &m.nested_type {
                add(messages, &name, nested);
            }
            messages.insert(name, m.clone());
        }
        for file in &set.file {
            for m in &file.message_type {
                add(&mut messages, &format!(".{}", file.package()), m);
            }
        }
        Self {
            messages,
            rng: rand::rngs::StdRng::seed_from_u64(seed),
        }
    }

    fn text(&mut self) -> String {
        use rand::Rng;
        let id = uuid::Uuid::now_v7();
        let choices = [
            String::new(),
            "x".into(),
            "a\0b".into(),
            "\0".into(),
            "å".repeat(400),
            "chapters/botkyrka".into(),
            "chapters/stockholm".into(),
            format!("chapters/botkyrka/participants/{id}"),
            format!("chapters/stockholm/participants/{id}"),
            format!("chapters/botkyrka/matches/{id}"),
            format!("chapters/botkyrka/activities/{id}/invitations/{id}"),
            format!("chapters/botkyrka/referrals/{id}"),
            "chapters/-/participants/-".into(),
            "organizations/sfi-botkyrka".into(),
            "municipalities/0127/districts/alby".into(),
            "interests/walks".into(),
            "' OR 1=1 --".into(),
            "../../etc".into(),
            "sv".into(),
            "+46701234567".into(),
            "a@b".into(),
            "participant.state,chapter".into(),
            id.to_string(),
            "00000000-0000-0000-0000-000000000000".into(),
            "🙂\u{202e}".into(),
        ];
        choices[self.rng.random_range(0..choices.len())].clone()
    }

    fn number(&mut self) -> u64 {
        use rand::Rng;
        let choices: [i64; 12] = [
            0,
            1,
            2,
            -1,
            7,
            50,
            1001,
            i64::from(i32::MAX),
            i64::MIN,
            i64::MAX,
            253_402_300_800,
            -62_135_596_801,
        ];
        choices[self.rng.random_range(0..choices.len())] as u64
    }

    fn message(&mut self, type_name: &str, depth: u32) -> Vec<u8> {
        use prost::encoding::{WireType, encode_key, encode_varint};
        use prost_types::field_descriptor_proto::{Label, Type};
        use rand::Rng;
        let Some(m) = self.messages.get(type_name).cloned() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for field in &m.field {
            if !self.rng.random_bool(0.6) {
                continue;
            }
            let times = if field.label() == Label::Repeated {
                self.rng.random_range(1..=3)
            } else {
                1
            };
            for _ in 0..times {
                let number = field.number() as u32;
                match field.r#type() {
                    Type::String | Type::Bytes => {
                        let text = self.text();
                        encode_key(number, WireType::LengthDelimited, &mut out);
                        encode_varint(text.len() as u64, &mut out);
                        out.extend_from_slice(text.as_bytes());
                    }
                    Type::Message if depth < 3 => {
                        let nested = self.message(field.type_name(), depth + 1);
                        encode_key(number, WireType::LengthDelimited, &mut out);
                        encode_varint(nested.len() as u64, &mut out);
                        out.extend_from_slice(&nested);
                    }
                    Type::Message | Type::Group => {}
                    Type::Double | Type::Fixed64 | Type::Sfixed64 => {
                        let value = [0.0f64, -1.0, 1e300, f64::NAN, 59.3, 18.0][self.rng.random_range(0..6)];
                        encode_key(number, WireType::SixtyFourBit, &mut out);
                        out.extend_from_slice(&value.to_le_bytes());
                    }
                    Type::Float | Type::Fixed32 | Type::Sfixed32 => {
                        let value = [0.0f32, -1.0, 1e30, f32::NAN][self.rng.random_range(0..4)];
                        encode_key(number, WireType::ThirtyTwoBit, &mut out);
                        out.extend_from_slice(&value.to_le_bytes());
                    }
                    _ => {
                        let value = self.number();
                        encode_key(number, WireType::Varint, &mut out);
                        encode_varint(value, &mut out);
                    }
                }
            }
        }
        out
    }
}

#[tokio::test]
async fn every_rpc_given_generated_hostile_requests_answers_the_callers_mistake_never_internal() {
    let app = support::spawn_app_with_demo().await;
    let (_, participant) = crate::fixtures::notifications::participant(&app, 1).await;
    let set = <prost_types::FileDescriptorSet as prost::Message>::decode(kompis_proto::FILE_DESCRIPTOR_SET)
        .unwrap();
    let mut bodies = Bodies::new(&set, 20_261_202);
    let coordinator = app.coordinator("botkyrka");
    let administrator = app.administrator();
    let mut calls = 0;
    let mut failures = Vec::new();
    let mut codes = std::collections::BTreeMap::<i32, usize>::new();
    for file in set.file.iter().filter(|f| f.package() == "kompis.v1") {
        for service in &file.service {
            for method in service.method.iter().filter(|m| !m.server_streaming()) {
                let path = format!("/kompis.v1.{}/{}", service.name(), method.name());
                let tokens: Vec<&str> = if service.name() == "BuddyAppService" {
                    vec![&participant]
                } else {
                    vec![&administrator, &coordinator]
                };
                for token in tokens {
                    for _ in 0..24 {
                        let body = bodies.message(method.input_type(), 0);
                        calls += 1;
                        let outcome = raw_call_as(&app, token, &path, body).await;
                        *codes
                            .entry(outcome.as_ref().map_or_else(|s| s.code(), |_| Code::Ok) as i32)
                            .or_insert(0) += 1;
                        if let Err(status) = outcome
                            && matches!(
                                status.code(),
                                Code::Internal
                                    | Code::Unknown
                                    | Code::DataLoss
                                    | Code::Unimplemented
                                    | Code::Unavailable
                            )
                        {
                            failures.push(format!("{path}: {:?} {}", status.code(), status.message()));
                        }
                    }
                }
            }
        }
    }
    assert!(calls > 1_000, "{calls} calls");
    // The bodies reach validation and beyond: many are refused field by field, some
    // are valid enough to be served.
    println!("answers by code: {codes:?}");
    assert!(
        codes
            .get(&(Code::InvalidArgument as i32))
            .is_some_and(|&n| n > calls / 4),
        "{codes:?}"
    );
    assert!(
        codes.get(&(Code::Ok as i32)).is_some_and(|&n| n > 20),
        "{codes:?}"
    );
    assert!(
        failures.is_empty(),
        "{} of {calls} calls:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The server still serves.
    let chapters = AdminServiceClient::new(support::authed(app.channel(), &administrator))
        .list_chapters(ListChaptersRequest::default())
        .await;
    assert!(chapters.is_ok(), "{chapters:?}");
}
