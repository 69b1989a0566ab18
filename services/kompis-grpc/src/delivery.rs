//! `kompis.v1.DeliveryService`: administrators see the notifications that could not be
//! delivered (dead letters), why, and send them again.
//!
//! Dead letters are recorded in PostgreSQL by the delivery workers, so they survive a
//! Redis that loses its data. Sending one again makes its delivery pending with its
//! attempts counted from zero and gives it a new outbox row; the relay and the workers
//! do the rest.

use kompis_domain::{FieldError, NotificationKind, TransitionError};
use kompis_proto::v1 as pb;
use kompis_proto::v1::ErrorReason;
use kompis_proto::v1::delivery_service_server::DeliveryService;
use kompis_store::StoreError;
use kompis_store::dead_letters::{self, DeadLetter, ReplayRefused};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::convert::timestamp;
use crate::kit::enums::EnumTable;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::page::Page;
use crate::kit::{Kit, RequestId, respond};
use crate::views::notification::{KINDS, notification_name};

/// The DeliveryService implementation.
#[derive(Debug, Clone)]
pub struct Delivery {
    kit: Kit,
}

impl Delivery {
    /// A service on `kit`.
    pub fn new(kit: Kit) -> Self {
        Self { kit }
    }
}

/// Delivery channels, by their stored strings.
const CHANNELS: EnumTable<pb::DeliveryChannel, &str> = EnumTable::new(
    "must be APP or EMAIL",
    &[
        (pb::DeliveryChannel::App, "app"),
        (pb::DeliveryChannel::Email, "email"),
    ],
);

/// Parses `deadLetters/{id}`.
fn parse_name(name: &str) -> Result<Uuid, FieldError> {
    name.strip_prefix("deadLetters/")
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| FieldError::new("must be a resource name of the form deadLetters/{dead_letter}"))
}

fn dead_letter_pb(letter: &DeadLetter) -> ApiResult<pb::DeadLetter> {
    let kind = match &letter.kind {
        None => 0,
        Some(stored) => {
            let kind: NotificationKind = stored
                .parse()
                .map_err(|_| StoreError::corrupt("notification kind", stored))?;
            KINDS.to_pb(kind)
        }
    };
    let notification = match (&letter.chapter_id, letter.participant_id, letter.notification_id) {
        (Some(chapter), Some(participant), Some(id)) => notification_name(chapter, participant, id),
        _ => String::new(),
    };
    Ok(pb::DeadLetter {
        name: format!("deadLetters/{}", letter.id),
        channel: letter.channel.as_deref().map_or(0, |c| CHANNELS.to_pb(c)),
        topic: letter.topic.clone(),
        notification,
        kind,
        subject: letter.subject.clone().unwrap_or_default(),
        reason: letter.reason.clone(),
        attempts: letter.attempts,
        create_time: timestamp(letter.create_time),
        replay_time: letter.replay_time.and_then(timestamp),
        replayed_by: letter.replayed_by.clone().unwrap_or_default(),
    })
}

#[tonic::async_trait]
impl DeliveryService for Delivery {
    #[tracing::instrument(skip_all, fields(rpc = "ListDeadLetters"))]
    async fn list_dead_letters(
        &self,
        request: Request<pb::ListDeadLettersRequest>,
    ) -> Result<Response<pb::ListDeadLettersResponse>, Status> {
        let req = request.get_ref();
        let page = Page::parse(
            req.page_size,
            &req.page_token,
            &format!("replayed={}", req.include_replayed),
        )?;
        let after = match page.after_first() {
            None => None,
            Some(id) => Some(
                Uuid::parse_str(id)
                    .map_err(|_| ApiError::invalid("page_token", "is not a token this service issued"))?,
            ),
        };
        let result: ApiResult<_> = async {
            let mut rows = dead_letters::list(
                self.kit.store().pool(),
                req.include_replayed,
                after,
                page.fetch_limit(),
            )
            .await?;
            let next_page_token = page.finish(&mut rows, |l| vec![l.id.to_string()]);
            Ok(pb::ListDeadLettersResponse {
                dead_letters: rows.iter().map(dead_letter_pb).collect::<ApiResult<_>>()?,
                next_page_token,
            })
        }
        .await;
        respond(result)
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetDeadLetter"))]
    async fn get_dead_letter(
        &self,
        request: Request<pb::GetDeadLetterRequest>,
    ) -> Result<Response<pb::GetDeadLetterResponse>, Status> {
        let name = &request.get_ref().name;
        let id = parse_name(name).map_err(|e| ApiError::invalid("name", e.into_description()))?;
        let letter = dead_letters::get(self.kit.store().pool(), id).await.named(name)?;
        respond(dead_letter_pb(&letter).map(|l| pb::GetDeadLetterResponse { dead_letter: Some(l) }))
    }

    #[tracing::instrument(skip_all, fields(rpc = "ReplayDeadLetter"))]
    async fn replay_dead_letter(
        &self,
        request: Request<pb::ReplayDeadLetterRequest>,
    ) -> Result<Response<pb::ReplayDeadLetterResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let mut v = kompis_domain::Violations::new();
        let id = v.check("name", parse_name(&req.name));
        let rid = v.check("request_id", RequestId::parse(&req.request_id));
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (Some(id), Some(rid)) = (id, rid) else {
            return Err(ApiError::bug("a checked field is missing").into());
        };
        let now = self.kit.now();
        respond(
            self.kit
                .mutate(
                    principal,
                    "ReplayDeadLetter",
                    rid,
                    req,
                    async |tx| match dead_letters::replay(tx, id, &principal.subject, now)
                        .await
                        .named(&req.name)?
                    {
                        Ok(letter) => Ok(pb::ReplayDeadLetterResponse {
                            dead_letter: Some(dead_letter_pb(&letter)?),
                        }),
                        Err(ReplayRefused::AlreadyReplayed) => {
                            Err(ApiError::InvalidTransition(TransitionError {
                                entity: "dead letter",
                                from: "replayed",
                                to: "replayed",
                            }))
                        }
                        Err(ReplayRefused::NothingToSend) => Err(ApiError::precondition(
                            ErrorReason::ResourceNotFound,
                            "the dead letter names nothing that can be sent again",
                        )),
                    },
                )
                .await,
        )
    }
}
