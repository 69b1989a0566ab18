//! Property tests over what callers control: bearer tokens, and request messages as
//! they arrive (any bytes that decode as the method's request). Whatever they hold,
//! parsing never panics, a token is either verified or refused as UNAUTHENTICATED, and
//! a request is either parsed or refused as the caller's mistake, never INTERNAL.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kompis_domain::{ParticipantRole, Role, Violations};
use kompis_grpc::auth::{Authenticator, Principal, TokenIssuer};
use kompis_grpc::kit::errors::ApiError;
use kompis_grpc::kit::{names, page::Page};
use kompis_grpc::parse::person::{parse_consent, parse_contact, parse_languages, parse_person_name};
use kompis_grpc::parse::profile::{Completeness, parse_profile};
use kompis_proto::v1 as pb;
use proptest::prelude::*;
use prost::Message;

const SECRET: &[u8] = b"a key of at least thirty-two bytes for fuzzing";

fn valid_token() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    TokenIssuer::new(SECRET).issue(
        &Principal {
            subject: "account-1".into(),
            role: Role::Administrator,
            chapter: None,
            organization: None,
            participant: None,
            municipality: None,
        },
        now,
        std::time::Duration::from_secs(600),
    )
}

fn refused_as_unauthenticated(result: Result<Principal, ApiError>) -> bool {
    matches!(result, Err(ApiError::Unauthenticated(_)))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_string_as_a_token_is_refused_as_unauthenticated(token in any::<String>()) {
        let auth = Authenticator::new(SECRET);
        prop_assert!(refused_as_unauthenticated(auth.verify(&token)));
        prop_assert!(refused_as_unauthenticated(runtime().block_on(auth.authenticate(&token))));
    }

    #[test]
    fn three_segments_of_any_json_or_bytes_are_refused(
        header in prop_oneof![
            any::<Vec<u8>>(),
            Just(br#"{"alg":"none"}"#.to_vec()),
            Just(br#"{"alg":"RS256","kid":"k"}"#.to_vec()),
            Just(br#"{"alg":"HS256"}"#.to_vec()),
            Just(br#"{"alg":"HS512"}"#.to_vec()),
        ],
        payload in prop_oneof![
            any::<Vec<u8>>(),
            "[a-z\"{}:,0-9 ]{0,80}".prop_map(String::into_bytes),
        ],
        signature in any::<Vec<u8>>(),
    ) {
        let token = format!("{}.{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(signature));
        let auth = Authenticator::new(SECRET);
        prop_assert!(refused_as_unauthenticated(runtime().block_on(auth.authenticate(&token))));
    }

    #[test]
    fn a_valid_token_with_any_byte_changed_is_refused(position in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let token = valid_token();
        let mut bytes = token.clone().into_bytes();
        let at = position.index(bytes.len());
        prop_assume!(bytes[at] != byte);
        bytes[at] = byte;
        let Ok(changed) = String::from_utf8(bytes) else { return Ok(()) };
        let auth = Authenticator::new(SECRET);
        let result = auth.verify(&changed);
        // Base64 may carry unused low bits in the last character of a segment: a change
        // there decodes to the same bytes, and the token is rightly still the same one.
        let same_token = result.as_ref().is_ok_and(|p| p.subject == "account-1");
        prop_assert!(same_token || refused_as_unauthenticated(result));
    }

    #[test]
    fn any_request_bytes_that_decode_parse_without_panic_or_internal(bytes in any::<Vec<u8>>()) {
        if let Ok(profile) = pb::MatchingProfile::decode(bytes.as_slice()) {
            for role in [ParticipantRole::Newcomer, ParticipantRole::EstablishedResident] {
                for completeness in [Completeness::Partial, Completeness::Approved] {
                    let mut v = Violations::new();
                    let parsed = parse_profile(&mut v, "profile", &profile, role, "botkyrka", completeness);
                    prop_assert!(parsed.is_some() || !v.is_empty());
                }
            }
        }
        if let Ok(req) = pb::SignUpRequest::decode(bytes.as_slice()) {
            let mut v = Violations::new();
            let name = parse_person_name(&mut v, "person_name", req.person_name.as_ref());
            let contact = parse_contact(&mut v, "contact", req.contact.as_ref());
            let languages = parse_languages(&mut v, "languages", &req.languages);
            prop_assert!((name.is_some() && contact.is_some() && languages.is_some()) || !v.is_empty());
        }
        if let Ok(req) = pb::CreateParticipantRequest::decode(bytes.as_slice())
            && let Some(p) = &req.participant
        {
            let mut v = Violations::new();
            let _ = parse_consent(&mut v, "participant.consent", p.consent.as_ref(), "admin-1", time::OffsetDateTime::now_utc());
            let _ = parse_person_name(&mut v, "participant.person_name", p.person_name.as_ref());
        }
    }

    #[test]
    fn any_resource_name_or_page_token_is_the_callers_mistake_at_worst(
        name in any::<String>(),
        token in prop_oneof![any::<String>(), "[A-Za-z0-9_-]{0,120}"],
        size in any::<i32>(),
    ) {
        let _ = names::parse_one(&name, "chapters");
        let _ = names::parse_two(&name, "chapters", "participants");
        let _ = names::parse_parent_or_wildcard(&name, "chapters");
        let _ = names::parse_singleton(&name, "chapters", "matchingProgramme");
        kompis_grpc::kit::page::set_signing_key(SECRET);
        match Page::parse(size, &token, "filters") {
            Ok(_) => {}
            Err(e) => prop_assert!(!matches!(e, ApiError::Internal(_) | ApiError::Unavailable(_)), "{e:?}"),
        }
    }
}
