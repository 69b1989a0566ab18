//! Referrals as an SFI school would send them, shared by the referral and journey
//! tests. Every learner is invented.
#![allow(dead_code)]

use kompis_proto::v1::referral_service_client::ReferralServiceClient;
use kompis_proto::v1::report_service_client::ReportServiceClient;
use kompis_proto::v1::*;

use crate::support::{Authed, TestApp, authed};

/// The demo chapter.
pub const CHAPTER: &str = "chapters/botkyrka";
/// The demo SFI school.
pub const SFI: &str = "sfi-botkyrka";
/// The demo folk high school, another referring organisation of the same chapter.
pub const FOLK_HIGH_SCHOOL: &str = "folkhogskola-tumba";
/// The account id in the harness's referrer token for the SFI school: the consent is
/// recorded by the caller.
pub const SFI_ACCOUNT: &str = "referrer-sfi-botkyrka";
/// The account id in the harness's coordinator token for the demo chapter.
pub const COORDINATOR_ACCOUNT: &str = "coordinator-botkyrka";

/// A referral client authenticated with `token`.
pub fn referrals(app: &TestApp, token: &str) -> ReferralServiceClient<Authed> {
    ReferralServiceClient::new(authed(app.channel(), token))
}

/// A report client authenticated with `token`.
pub fn reports(app: &TestApp, token: &str) -> ReportServiceClient<Authed> {
    ReportServiceClient::new(authed(app.channel(), token))
}

/// A fresh client-chosen request id.
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A complete referral of a learner living in Alby, with consent recorded by
/// `recorded_by` a day ago.
pub fn learner(phone: &str, email: &str, recorded_by: &str) -> Referral {
    let yesterday = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 86_400;
    Referral {
        learner_name: Some(PersonName {
            given_name: "Amina".into(),
            family_name: "Yusuf".into(),
            display_name: "Ami".into(),
        }),
        contact: Some(Contact {
            phone: phone.into(),
            email: email.into(),
        }),
        birth_year: 1990,
        gender: Gender::Female as i32,
        district: "municipalities/botkyrka/districts/alby".into(),
        languages: vec![
            LanguageSkill {
                language_code: "prs".into(),
                level: LanguageLevel::Native as i32,
            },
            LanguageSkill {
                language_code: "en".into(),
                level: LanguageLevel::B1 as i32,
            },
        ],
        swedish_level: Some(SwedishLevel {
            level: Some(swedish_level::Level::SfiCourse(SfiCourse::B as i32)),
        }),
        consent: Some(Consent {
            given_by: recorded_by.into(),
            give_time: Some(prost_types::Timestamp {
                seconds: yesterday,
                nanos: 0,
            }),
            text_version: "2026-01".into(),
        }),
        note: "Wants to practise speaking; free on weekday evenings.".into(),
        ..Default::default()
    }
}

/// A create request for `referral` to the demo chapter with a fresh request id.
pub fn create(referral: Referral) -> CreateReferralRequest {
    CreateReferralRequest {
        parent: CHAPTER.into(),
        referral: Some(referral),
        request_id: request_id(),
    }
}

/// Refers a learner from the SFI school and returns the referral as created.
pub async fn refer(app: &TestApp, phone: &str, email: &str) -> Referral {
    referrals(app, &app.referrer(SFI))
        .create_referral(create(learner(phone, email, SFI_ACCOUNT)))
        .await
        .expect("the referral is accepted")
        .into_inner()
        .referral
        .expect("the referral is returned")
}
