//! Bearer tokens from an identity provider (RS256, ES256, read from its JWKS document
//! served on loopback by the test) beside the service's own HS256 tokens, and every
//! kind of bad token refused with one and the same answer.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kompis_grpc::auth::Claims;
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::buddy_app_service_client::BuddyAppServiceClient;
use kompis_proto::v1::{GetMyProfileRequest, ListChaptersRequest};
use tonic::Code;

use crate::fixtures::identity_provider::{
    self as idp, JwksServer, RSA_1_PUBLIC_PEM, administrator_claims, ec_1, rsa_1, rsa_2, sign,
};
use crate::support::{self, TestApp, authed};

async fn list_chapters(app: &TestApp, token: &str) -> Result<(), tonic::Status> {
    AdminServiceClient::new(authed(app.channel(), token))
        .list_chapters(ListChaptersRequest::default())
        .await
        .map(|_| ())
}

async fn app_trusting(jwks: &JwksServer, min_refetch: Duration) -> TestApp {
    let url = jwks.url.clone();
    support::spawn_app_configured(move |s| idp::trust(s, &url, min_refetch)).await
}

#[tokio::test]
async fn the_identity_providers_rs256_and_es256_tokens_are_accepted_beside_the_services_own() {
    let jwks = JwksServer::start(idp::document(&[rsa_1(), ec_1()])).await;
    let app = app_trusting(&jwks, Duration::from_secs(60)).await;

    let rs256 = list_chapters(&app, &sign(&rsa_1(), &administrator_claims())).await;
    let es256 = list_chapters(&app, &sign(&ec_1(), &administrator_claims())).await;
    let own = list_chapters(&app, &app.administrator()).await;

    assert!(rs256.is_ok(), "{rs256:?}");
    assert!(es256.is_ok(), "{es256:?}");
    assert!(own.is_ok(), "{own:?}");
    assert_eq!(jwks.fetches(), 1, "the keys are fetched once and cached");
}

#[tokio::test]
async fn an_unknown_key_id_fetches_the_keys_again_at_most_once_a_minute() {
    let jwks = JwksServer::start(idp::document(&[rsa_1()])).await;
    let app = app_trusting(&jwks, Duration::from_secs(60)).await;
    list_chapters(&app, &sign(&rsa_1(), &administrator_claims()))
        .await
        .unwrap();
    assert_eq!(jwks.fetches(), 1);
    // The provider rotates to a key the server has not seen, within the minute.
    jwks.publish(idp::document(&[rsa_1(), rsa_2()]));

    let mut answers = Vec::new();
    for _ in 0..10 {
        answers.push(list_chapters(&app, &sign(&rsa_2(), &administrator_claims())).await);
    }

    assert!(
        answers
            .iter()
            .all(|a| a.as_ref().is_err_and(|s| s.code() == Code::Unauthenticated)),
        "{answers:?}"
    );
    assert_eq!(jwks.fetches(), 1, "no fetch within a minute of the last");
}

#[tokio::test]
async fn a_rotated_key_is_taken_on_its_first_use_and_a_removed_one_stops_working() {
    let jwks = JwksServer::start(idp::document(&[rsa_1()])).await;
    let app = app_trusting(&jwks, Duration::from_millis(200)).await;
    list_chapters(&app, &sign(&rsa_1(), &administrator_claims()))
        .await
        .unwrap();

    jwks.publish(idp::document(&[rsa_2()]));
    support::eventually("the rotated key is accepted", || async {
        list_chapters(&app, &sign(&rsa_2(), &administrator_claims()))
            .await
            .ok()
    })
    .await;
    let removed = list_chapters(&app, &sign(&rsa_1(), &administrator_claims())).await;

    assert_eq!(removed.unwrap_err().code(), Code::Unauthenticated);
    assert!(jwks.fetches() >= 2);
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn claims_json(claims: &Claims) -> String {
    b64(&serde_json::to_vec(claims).unwrap())
}

/// Every kind of bad token the service must refuse, by name.
fn bad_tokens(app: &TestApp) -> Vec<(&'static str, Option<String>)> {
    let good = administrator_claims();
    let mut expired = good.clone();
    expired.iat -= 7200;
    expired.exp -= 7200;
    let mut wrong_issuer = good.clone();
    wrong_issuer.iss = "https://evil.test".into();
    let mut wrong_audience = good.clone();
    wrong_audience.aud = "another-api".into();
    let mut unknown_role = good.clone();
    unknown_role.role = "janitor".into();
    let alg_none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        claims_json(&good)
    );
    let confused = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("rsa-1".into());
        jsonwebtoken::encode(&header, &good, &EncodingKey::from_secret(RSA_1_PUBLIC_PEM)).unwrap()
    };
    let mut unknown_kid_key = rsa_1();
    unknown_kid_key.kid = "no-such-key";
    let tampered = {
        let mut participant = good.clone();
        participant.role = "participant".into();
        participant.participant = Some(uuid::Uuid::now_v7().to_string());
        let signed = sign(&rsa_1(), &participant);
        let parts: Vec<&str> = signed.split('.').collect();
        format!("{}.{}.{}", parts[0], claims_json(&good), parts[2])
    };
    let mut own_unknown_role = good.clone();
    own_unknown_role.iss = "kompis".into();
    own_unknown_role.role = "janitor".into();
    let own_unknown_role = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &own_unknown_role,
        &EncodingKey::from_secret(kompisd::settings::DEVELOPMENT_JWT_SECRET.as_bytes()),
    )
    .unwrap();
    let _ = app;
    vec![
        ("none", None),
        ("garbage", Some("not-a-token".into())),
        ("expired", Some(sign(&rsa_1(), &expired))),
        ("wrong issuer", Some(sign(&rsa_1(), &wrong_issuer))),
        ("wrong audience", Some(sign(&rsa_1(), &wrong_audience))),
        ("alg none", Some(alg_none)),
        ("HS256 with the RSA public key", Some(confused)),
        ("unknown kid", Some(sign(&unknown_kid_key, &good))),
        ("tampered payload", Some(tampered)),
        ("unknown role", Some(sign(&rsa_1(), &unknown_role))),
        ("unknown role, own key", Some(own_unknown_role)),
    ]
}

#[tokio::test]
async fn every_bad_token_is_refused_with_one_and_the_same_answer() {
    let jwks = JwksServer::start(idp::document(&[rsa_1(), ec_1()])).await;
    let app = app_trusting(&jwks, Duration::from_secs(60)).await;
    assert!(
        list_chapters(&app, &sign(&rsa_1(), &administrator_claims()))
            .await
            .is_ok()
    );

    let mut answers = Vec::new();
    for (kind, token) in bad_tokens(&app) {
        let result = match &token {
            Some(token) => list_chapters(&app, token).await,
            None => AdminServiceClient::new(app.channel())
                .list_chapters(ListChaptersRequest::default())
                .await
                .map(|_| ()),
        };
        answers.push((kind, result.map_err(|s| (s.code(), s.message().to_owned()))));
    }

    for (kind, answer) in &answers {
        assert_eq!(
            answer,
            &Err((
                Code::Unauthenticated,
                "a valid bearer token is required".to_owned()
            )),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn a_participant_token_for_a_person_who_does_not_exist_reaches_nothing() {
    let app = support::spawn_app_with_demo().await;
    let nobody = app.participant(uuid::Uuid::now_v7());

    let profile = BuddyAppServiceClient::new(authed(app.channel(), &nobody))
        .get_my_profile(GetMyProfileRequest::default())
        .await
        .unwrap_err();
    let staff_rpc = list_chapters(&app, &nobody).await.unwrap_err();

    // Accepted at the edge (SignUp is made with this very token), it finds no one, and
    // is answered exactly as a refused token.
    assert_eq!(profile.code(), Code::Unauthenticated, "{profile:?}");
    assert_eq!(support::reason(&profile), "INVALID_TOKEN");
    assert_eq!(profile.message(), "a valid bearer token is required");
    assert_eq!(staff_rpc.code(), Code::PermissionDenied);
}
