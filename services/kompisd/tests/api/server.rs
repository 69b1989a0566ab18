//! The server as any gRPC client sees it: health, reflection, gRPC-Web, gzip,
//! authentication, metrics, the token command and configuration errors.

use crate::support;
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::{ListMunicipalitiesRequest, ListMunicipalitiesResponse};
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;
use tonic::codec::CompressionEncoding;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const KOMPIS_SERVICES: [&str; 8] = [
    "kompis.v1.ActivityService",
    "kompis.v1.AdminService",
    "kompis.v1.BuddyAppService",
    "kompis.v1.InterviewService",
    "kompis.v1.MatchingService",
    "kompis.v1.ParticipantService",
    "kompis.v1.ReferralService",
    "kompis.v1.ReportService",
];

async fn wait_for_status(app: &support::TestApp, service: &str, wanted: ServingStatus) {
    let mut health = HealthClient::new(app.channel());
    let mut stream = health
        .watch(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .unwrap()
        .into_inner();
    while let Some(update) = stream.message().await.unwrap() {
        if update.status == wanted as i32 {
            return;
        }
    }
    panic!("the watch ended before {service} became {wanted:?}");
}

#[tokio::test]
async fn health_reports_serving_for_the_server_and_for_each_service_by_name() {
    let app = support::spawn_app().await;
    wait_for_status(&app, "", ServingStatus::Serving).await;
    let mut health = HealthClient::new(app.channel());
    for service in ["", "kompis.v1.AdminService"] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "kompis.v1.NoSuchService".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    app.shutdown().await;
}

#[tokio::test]
async fn health_turns_not_serving_while_the_server_drains() {
    let mut app = support::spawn_app().await;
    wait_for_status(&app, "kompis.v1.AdminService", ServingStatus::Serving).await;
    let mut health = HealthClient::new(app.channel());
    let mut stream = health
        .watch(HealthCheckRequest {
            service: "kompis.v1.AdminService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        stream.message().await.unwrap().unwrap().status,
        ServingStatus::Serving as i32
    );

    app.signal_shutdown();

    let next = stream
        .message()
        .await
        .unwrap()
        .expect("an update before the stream ends");
    assert_eq!(next.status, ServingStatus::NotServing as i32);
}

#[tokio::test]
async fn reflection_v1_lists_every_kompis_service_and_health() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let app = support::spawn_app().await;
    let mut client = ServerReflectionClient::new(app.channel());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("expected a service list, got {:?}", response.message_response);
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for service in KOMPIS_SERVICES.iter().chain(&["grpc.health.v1.Health"]) {
        assert!(
            names.iter().any(|n| n == service),
            "{service} missing from {names:?}"
        );
    }
}

#[tokio::test]
async fn reflection_v1alpha_describes_the_admin_service() {
    use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;

    let app = support::spawn_app().await;
    let mut client = ServerReflectionClient::new(app.channel());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(
            "kompis.v1.AdminService".into(),
        )),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.message().await.unwrap().unwrap();
    let Some(MessageResponse::FileDescriptorResponse(files)) = response.message_response else {
        panic!("expected file descriptors, got {:?}", response.message_response);
    };
    let declares_admin = files.file_descriptor_proto.iter().any(|bytes| {
        prost_types::FileDescriptorProto::decode(bytes.as_slice())
            .map(|f| f.service.iter().any(|s| s.name() == "AdminService"))
            .unwrap_or(false)
    });
    assert!(declares_admin);
}

#[tokio::test]
async fn python_grpcio_clients_see_health_and_every_service_by_reflection() {
    let app = support::spawn_app().await;
    wait_for_status(&app, "", ServingStatus::Serving).await;
    let python = std::env::var("KOMPIS_TEST_PYTHON")
        .expect("KOMPIS_TEST_PYTHON must name a Python with grpcio installed; scripts/test.sh sets it up");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/python/check_health_reflection.py"
    );
    let output = tokio::process::Command::new(python)
        .arg(script)
        .arg("--addr")
        .arg(app.addr.to_string())
        .output()
        .await
        .expect("run the Python client");
    assert!(
        output.status.success(),
        "python client failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn calls_without_a_valid_token_are_unauthenticated() {
    let app = support::spawn_app().await;
    let mut anonymous = AdminServiceClient::new(app.channel());
    let err = anonymous
        .list_municipalities(ListMunicipalitiesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert_eq!(support::reason(&err), "MISSING_CREDENTIALS");

    let forged = support::authed(app.channel(), "not.a.token");
    let err = AdminServiceClient::new(forged)
        .list_municipalities(ListMunicipalitiesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert_eq!(support::reason(&err), "INVALID_TOKEN");

    let signed_elsewhere = kompis_grpc::TokenIssuer::new(b"another key that is at least 32 bytes long")
        .issue(
            &kompis_grpc::Principal {
                subject: "x".into(),
                role: kompis_domain::Role::Administrator,
                chapter: None,
                organization: None,
                participant: None,
                municipality: None,
            },
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
            std::time::Duration::from_secs(60),
        );
    let err = AdminServiceClient::new(support::authed(app.channel(), &signed_elsewhere))
        .list_municipalities(ListMunicipalitiesRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn a_participant_reads_reference_data_but_no_organisations() {
    let app = support::spawn_app().await;
    let token = app.participant(uuid::Uuid::now_v7());
    let mut client = AdminServiceClient::new(support::authed(app.channel(), &token));
    client
        .list_municipalities(ListMunicipalitiesRequest::default())
        .await
        .expect("municipalities are open to participants, for the sign-up form");
    let err = client
        .list_organizations(kompis_proto::v1::ListOrganizationsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn gzip_compressed_calls_are_accepted_and_answered_compressed() {
    let app = support::spawn_app().await;
    let token = app.administrator();
    let mut client = AdminServiceClient::new(support::authed(app.channel(), &token))
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip);
    let response = client
        .list_municipalities(ListMunicipalitiesRequest::default())
        .await
        .unwrap();
    assert_eq!(
        response
            .metadata()
            .get("grpc-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    assert!(
        response
            .into_inner()
            .municipalities
            .iter()
            .any(|m| m.name == "municipalities/botkyrka")
    );
}

/// One gRPC-Web call over plain HTTP/1.1, as a browser or React Native client makes it.
async fn grpc_web_call(
    addr: std::net::SocketAddr,
    path: &str,
    token: &str,
    message: &[u8],
) -> (String, Vec<u8>) {
    let mut body = vec![0u8];
    body.extend_from_slice(&(message.len() as u32).to_be_bytes());
    body.extend_from_slice(message);
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\nauthorization: Bearer {token}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&body).await.unwrap();
    let mut raw = Vec::new();
    socket.read_to_end(&mut raw).await.unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response head")
        + 4;
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let mut payload = raw[split..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        payload = dechunk(&payload);
    }
    (head, payload)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16).unwrap();
        data = &data[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

#[tokio::test]
async fn grpc_web_clients_can_call_over_http1() {
    let app = support::spawn_app().await;
    let request = ListMunicipalitiesRequest {
        page_size: 2,
        page_token: String::new(),
    }
    .encode_to_vec();

    let (head, body) = grpc_web_call(
        app.addr,
        "/kompis.v1.AdminService/ListMunicipalities",
        &app.administrator(),
        &request,
    )
    .await;

    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: application/grpc-web"), "{head}");
    // First frame: the message (flag 0). Then a trailers frame (flag 0x80) with grpc-status.
    assert_eq!(body[0], 0);
    let len = u32::from_be_bytes(body[1..5].try_into().unwrap()) as usize;
    let response = ListMunicipalitiesResponse::decode(&body[5..5 + len]).unwrap();
    assert_eq!(response.municipalities.len(), 2);
    assert!(!response.next_page_token.is_empty());
    let trailers = &body[5 + len..];
    assert_eq!(trailers[0], 0x80);
    assert!(String::from_utf8_lossy(&trailers[5..]).contains("grpc-status:0"));
}

#[tokio::test]
async fn metrics_count_requests_by_method_and_code() {
    let app = support::spawn_app().await;
    let token = app.administrator();
    let mut client = AdminServiceClient::new(support::authed(app.channel(), &token));
    client
        .list_municipalities(ListMunicipalitiesRequest::default())
        .await
        .unwrap();
    let _ = client
        .get_municipality(kompis_proto::v1::GetMunicipalityRequest {
            name: "municipalities/atlantis".into(),
        })
        .await
        .unwrap_err();

    let mut socket = tokio::net::TcpStream::connect(app.metrics_addr.unwrap())
        .await
        .unwrap();
    socket
        .write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut text = String::new();
    socket.read_to_string(&mut text).await.unwrap();

    assert!(text.starts_with("HTTP/1.1 200"));
    let line = |code: &str, method: &str| {
        text.lines().any(|l| {
            l.starts_with("grpc_server_requests_total")
                && l.contains(&format!("method=\"/kompis.v1.AdminService/{method}\""))
                && l.contains(&format!("code=\"{code}\""))
        })
    };
    assert!(line("Ok", "ListMunicipalities"), "{text}");
    assert!(line("NotFound", "GetMunicipality"), "{text}");
    assert!(
        text.contains("grpc_server_request_duration_seconds_bucket"),
        "{text}"
    );
}

#[tokio::test]
async fn the_token_command_mints_tokens_the_server_accepts() {
    let app = support::spawn_app_with_demo().await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kompisd"))
        .args(["token", "--role", "coordinator", "--chapter", "botkyrka"])
        .env_remove("KOMPIS_JWT_SECRET")
        .output()
        .unwrap();
    assert!(output.status.success());
    let token = String::from_utf8(output.stdout).unwrap();

    let weights = AdminServiceClient::new(support::authed(app.channel(), token.trim()))
        .get_matching_weights(kompis_proto::v1::GetMatchingWeightsRequest {
            name: "chapters/botkyrka/matchingWeights".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .matching_weights
        .unwrap();
    assert_eq!(weights.min_age, 18);

    let missing_scope = std::process::Command::new(env!("CARGO_BIN_EXE_kompisd"))
        .args(["token", "--role", "referrer"])
        .output()
        .unwrap();
    assert!(!missing_scope.status.success());
    assert!(String::from_utf8_lossy(&missing_scope.stderr).contains("organization"));
}

#[tokio::test]
async fn migrate_applies_the_migrations_with_only_a_database_configured() {
    let database = support::TestDatabase::create().await;

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_kompisd"))
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", &database.url)
        .output()
        .await
        .unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("REDIS_URL"), "{stderr}");
    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    let municipalities: i64 = sqlx::query_scalar("SELECT count(*) FROM municipalities")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(municipalities > 0, "the places seed was applied");
    pool.close().await;
}

#[tokio::test]
async fn serve_refuses_to_start_with_bad_configuration_and_names_every_problem() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_kompisd"))
        .arg("serve")
        .env_clear()
        .env("KOMPIS_GRPC_ADDR", "not-an-address")
        .env("REDIS_URL", "http://wrong")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for name in ["DATABASE_URL", "REDIS_URL", "KOMPIS_GRPC_ADDR"] {
        assert!(stderr.contains(name), "{name} not named in: {stderr}");
    }
}

#[tokio::test]
async fn the_demo_data_set_gives_a_coordinator_people_to_work_with() {
    use kompis_proto::v1::participant_service_client::ParticipantServiceClient;
    use kompis_proto::v1::referral_service_client::ReferralServiceClient;

    let database = support::TestDatabase::create().await;
    let mut settings =
        support::test_settings(&database.url, &format!("test-{}", uuid::Uuid::new_v4().simple()));
    settings.demo_data = true;
    let app = support::start(settings).await;
    let coordinator = app.coordinator("botkyrka");

    // The demo programme is Botkyrka-sized: more people and referrals than one page.
    let participants = ParticipantServiceClient::new(support::authed(app.channel(), &coordinator))
        .list_participants(kompis_proto::v1::ListParticipantsRequest {
            parent: "chapters/botkyrka".into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let referrals = ReferralServiceClient::new(support::authed(app.channel(), &coordinator))
        .list_referrals(kompis_proto::v1::ListReferralsRequest {
            parent: "chapters/botkyrka".into(),
            page_size: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(participants.participants.len(), 100);
    assert!(!participants.next_page_token.is_empty());
    // Referrals from two schools, some already turned into participants.
    assert!(
        referrals.referrals.len() >= 50,
        "{} referrals",
        referrals.referrals.len()
    );
    let schools: std::collections::BTreeSet<_> = referrals
        .referrals
        .iter()
        .map(|r| r.organization.clone())
        .collect();
    assert_eq!(schools.len(), 2, "{schools:?}");
    app.shutdown().await;
    drop(database);
}

#[tokio::test]
async fn sigterm_stops_the_process_even_while_a_watch_stream_is_open() {
    // Arrange: the real binary, with a health watch held open by a client.
    let database = support::TestDatabase::create().await;
    let (mut child, addr) =
        support::spawn_kompisd(&database.url, &[("KOMPIS_SHUTDOWN_GRACE_MS", "500".into())]).await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut stream = HealthClient::new(channel)
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    stream.message().await.unwrap();

    // Act: SIGTERM, as an orchestrator sends it.
    support::terminate(&child);

    // Assert: it exits cleanly instead of waiting for the stream. The bound only turns
    // a hang into a failure.
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait())
        .await
        .expect("kompisd exited after the grace period")
        .unwrap();
    assert!(status.success());
}
