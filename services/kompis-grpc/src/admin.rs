//! `kompis.v1.AdminService`: reference data (chapters, municipalities, districts,
//! organisations, interest taxonomies, matching weights).
//!
//! Reads are open to staff (administrators, coordinators, referrers, partner viewers);
//! writes are for administrators, except a chapter's interest taxonomy, which its
//! coordinators manage too. Referrers see only their own organisation.

use kompis_domain::{
    Coordinates, DisplayName, Email, KommunKod, MatchingSettings, MinAge, Role, Slug, Violations, Weight,
};
use kompis_proto::v1 as pb;
use kompis_proto::v1::admin_service_server::AdminService;
use kompis_store::{chapters, interests, organizations, places, weights};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::auth::Principal;
use crate::kit::convert::{timestamp, update_paths};
use crate::kit::enums::EnumTable;
use crate::kit::errors::{ApiError, ApiResult, StoreResultExt};
use crate::kit::names;
use crate::kit::page::Page;
use crate::kit::scope;
use crate::kit::{IntoApi, Kit, RequestId, ok, respond};

/// The AdminService implementation.
#[derive(Debug, Clone)]
pub struct Admin {
    kit: Kit,
}

impl Admin {
    /// A service on `kit`.
    pub fn new(kit: Kit) -> Self {
        Self { kit }
    }
}

fn municipality_pb(m: places::Municipality) -> pb::Municipality {
    pb::Municipality {
        name: names::municipality(&m.id),
        display_name: m.display_name,
        code: m.code,
        region: m.region,
        create_time: timestamp(m.create_time),
    }
}

fn district_pb(d: places::District) -> pb::District {
    pb::District {
        name: names::district(&d.municipality_id, &d.id),
        display_name: d.display_name,
        latitude: d.latitude,
        longitude: d.longitude,
        create_time: timestamp(d.create_time),
        update_time: timestamp(d.update_time),
    }
}

fn chapter_pb(c: chapters::Chapter) -> pb::Chapter {
    pb::Chapter {
        name: names::chapter(&c.id),
        display_name: c.display_name,
        municipalities: c.municipalities.iter().map(|m| names::municipality(m)).collect(),
        contact_email: c.contact_email,
        create_time: timestamp(c.create_time),
        update_time: timestamp(c.update_time),
        activity_reminder_hours: Some(c.activity_reminder_hours),
    }
}

/// Organisation kinds, as stored.
const KINDS: EnumTable<pb::OrganizationKind, &str> = EnumTable::new(
    "must be one of the OrganizationKind values",
    &[
        (pb::OrganizationKind::SfiSchool, "sfi_school"),
        (pb::OrganizationKind::FolkHighSchool, "folk_high_school"),
        (pb::OrganizationKind::StudyAssociation, "study_association"),
        (
            pb::OrganizationKind::PublicEmploymentService,
            "public_employment_service",
        ),
        (pb::OrganizationKind::Municipality, "municipality"),
        (pb::OrganizationKind::Other, "other"),
    ],
);

fn organization_pb(o: organizations::Organization) -> pb::Organization {
    pb::Organization {
        name: names::organization(&o.id),
        display_name: o.display_name,
        kind: KINDS.to_pb(o.kind.as_str()),
        chapter: names::chapter(&o.chapter_id),
        municipality: names::municipality(&o.municipality_id),
        contact_email: o.contact_email,
        create_time: timestamp(o.create_time),
        update_time: timestamp(o.update_time),
    }
}

/// An organisation as `principal` may see it: partner viewers follow aggregate figures
/// and get no contact details, not even an organisation's.
fn organization_for(principal: &Principal, o: organizations::Organization) -> pb::Organization {
    let mut organization = organization_pb(o);
    if principal.role == Role::PartnerViewer {
        organization.contact_email.clear();
    }
    organization
}

/// The proto form of a chapter's stored settings; a stored value out of its range is
/// corrupt data (INTERNAL), never shown as a default.
fn weights_pb(w: &weights::MatchingWeights) -> ApiResult<pb::MatchingWeights> {
    let s = w.settings()?;
    Ok(pb::MatchingWeights {
        name: format!("chapters/{}/matchingWeights", w.chapter_id),
        shared_interests: s.weights.shared_interests.get(),
        distance: s.weights.distance.get(),
        age_closeness: s.weights.age_closeness.get(),
        soft_wishes: s.weights.soft_wishes.get(),
        swedish_level_fit: s.weights.swedish_level_fit.get(),
        family_situation: s.weights.family_situation.get(),
        meeting_preference: s.weights.meeting_preference.get(),
        waiting_time: s.weights.waiting_time.get(),
        max_distance_km: s.max_distance_km,
        min_age: s.min_age.get(),
        top_k: i32::from(s.top_k),
        update_time: timestamp(w.update_time),
    })
}

fn interest_pb(i: interests::Interest) -> pb::Interest {
    pb::Interest {
        name: format!("chapters/{}/interests/{}", i.chapter_id, i.id),
        display_name: i.display_name,
        category: i.category,
        create_time: timestamp(i.create_time),
    }
}

/// Parses an optional e-mail field: empty is allowed.
fn optional_email(v: &mut Violations, field: &str, value: &str) -> Option<String> {
    if value.is_empty() {
        return Some(String::new());
    }
    v.check(field, Email::parse(value)).map(|e| e.as_str().to_owned())
}

#[tonic::async_trait]
impl AdminService for Admin {
    #[tracing::instrument(skip_all, fields(rpc = "GetChapter"))]
    async fn get_chapter(
        &self,
        request: Request<pb::GetChapterRequest>,
    ) -> Result<Response<pb::GetChapterResponse>, Status> {
        let req = request.get_ref();
        let id = names::parse_one(&req.name, "chapters")
            .map_err(|e| ApiError::invalid("name", e.into_description()))?;
        let chapter = chapters::get_chapter(self.kit.store().pool(), &id)
            .await
            .named(&req.name)?;
        ok(pb::GetChapterResponse {
            chapter: Some(chapter_pb(chapter)),
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListChapters"))]
    async fn list_chapters(
        &self,
        request: Request<pb::ListChaptersRequest>,
    ) -> Result<Response<pb::ListChaptersResponse>, Status> {
        let req = request.get_ref();
        let page = Page::parse(req.page_size, &req.page_token, "")?;
        let mut rows =
            chapters::list_chapters(self.kit.store().pool(), page.after_first(), page.fetch_limit())
                .await
                .named("chapters")?;
        let next_page_token = page.finish(&mut rows, |c| vec![c.id.clone()]);
        ok(pb::ListChaptersResponse {
            chapters: rows.into_iter().map(chapter_pb).collect(),
            next_page_token,
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "CreateChapter"))]
    async fn create_chapter(
        &self,
        request: Request<pb::CreateChapterRequest>,
    ) -> Result<Response<pb::CreateChapterResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = v.check("chapter_id", Slug::parse(&req.chapter_id));
        let rid = v.check("request_id", RequestId::parse(&req.request_id));
        let fields = match &req.chapter {
            None => {
                v.add("chapter", "is required");
                None
            }
            Some(c) => chapter_fields(&mut v, c),
        };
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (id, rid, fields) = (id.unwrap(), rid.unwrap(), fields.unwrap());
        let name = names::chapter(id.as_str());
        respond(
            self.kit
                .mutate(principal, "CreateChapter", rid, req, async |tx| {
                    let chapter = chapters::insert_chapter(tx, &id, &fields, self.kit.now())
                        .await
                        .map_err(|e| chapter_write_error(e, &name))?;
                    Ok(pb::CreateChapterResponse {
                        chapter: Some(chapter_pb(chapter)),
                    })
                })
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "UpdateChapter"))]
    async fn update_chapter(
        &self,
        request: Request<pb::UpdateChapterRequest>,
    ) -> Result<Response<pb::UpdateChapterResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let paths = v.check(
            "update_mask",
            update_paths(
                req.update_mask.as_ref(),
                &[
                    "display_name",
                    "municipalities",
                    "contact_email",
                    "activity_reminder_hours",
                ],
            ),
        );
        let chapter = v.require("chapter", req.chapter.as_ref());
        let id = chapter.and_then(|c| v.check("chapter.name", names::parse_one(&c.name, "chapters")));
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (chapter, id, paths) = (chapter.unwrap(), id.unwrap(), paths.unwrap());
        let name = names::chapter(id.as_str());
        let mut tx = self.kit.begin().await?;
        let current = chapters::get_chapter(&mut *tx, &id).await.named(&name)?;
        let mut merged = chapter_pb(current);
        for path in paths {
            match path {
                "display_name" => merged.display_name.clone_from(&chapter.display_name),
                "municipalities" => merged.municipalities.clone_from(&chapter.municipalities),
                "activity_reminder_hours" => merged.activity_reminder_hours = chapter.activity_reminder_hours,
                _ => merged.contact_email.clone_from(&chapter.contact_email),
            }
        }
        let mut v = Violations::new();
        if merged.activity_reminder_hours.is_none() {
            v.add(
                "chapter.activity_reminder_hours",
                "is named in update_mask, so it must be set (0 for no reminders)",
            );
        }
        let fields = chapter_fields(&mut v, &merged);
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let updated = chapters::update_chapter(&mut tx, &id, &fields.unwrap(), self.kit.now())
            .await
            .map_err(|e| chapter_write_error(e, &name))?;
        self.kit.commit(tx).await?;
        ok(pb::UpdateChapterResponse {
            chapter: Some(chapter_pb(updated)),
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetMunicipality"))]
    async fn get_municipality(
        &self,
        request: Request<pb::GetMunicipalityRequest>,
    ) -> Result<Response<pb::GetMunicipalityResponse>, Status> {
        let req = request.get_ref();
        let id = names::parse_one(&req.name, "municipalities")
            .map_err(|e| ApiError::invalid("name", e.into_description()))?;
        let m = places::get_municipality(self.kit.store().pool(), &id)
            .await
            .named(&req.name)?;
        ok(pb::GetMunicipalityResponse {
            municipality: Some(municipality_pb(m)),
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListMunicipalities"))]
    async fn list_municipalities(
        &self,
        request: Request<pb::ListMunicipalitiesRequest>,
    ) -> Result<Response<pb::ListMunicipalitiesResponse>, Status> {
        let req = request.get_ref();
        let page = Page::parse(req.page_size, &req.page_token, "")?;
        let mut rows =
            places::list_municipalities(self.kit.store().pool(), page.after_first(), page.fetch_limit())
                .await
                .named("municipalities")?;
        let next_page_token = page.finish(&mut rows, |m| vec![m.id.clone()]);
        ok(pb::ListMunicipalitiesResponse {
            municipalities: rows.into_iter().map(municipality_pb).collect(),
            next_page_token,
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "CreateMunicipality"))]
    async fn create_municipality(
        &self,
        request: Request<pb::CreateMunicipalityRequest>,
    ) -> Result<Response<pb::CreateMunicipalityResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = v.check("municipality_id", Slug::parse(&req.municipality_id));
        let rid = v.check("request_id", RequestId::parse(&req.request_id));
        let m = v.require("municipality", req.municipality.as_ref());
        let (display_name, code, region) = match m {
            Some(m) => (
                v.check("municipality.display_name", DisplayName::parse(&m.display_name)),
                v.check("municipality.code", KommunKod::parse(&m.code)),
                v.check("municipality.region", DisplayName::parse(&m.region)),
            ),
            None => (None, None, None),
        };
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let new = places::NewMunicipality {
            id: id.unwrap(),
            display_name: display_name.unwrap().as_str().to_owned(),
            code: code.unwrap(),
            region: region.unwrap().as_str().to_owned(),
        };
        let name = names::municipality(new.id.as_str());
        respond(
            self.kit
                .mutate(principal, "CreateMunicipality", rid.unwrap(), req, async |tx| {
                    let m = places::insert_municipality(&mut **tx, &new, self.kit.now())
                        .await
                        .named(&name)?;
                    Ok(pb::CreateMunicipalityResponse {
                        municipality: Some(municipality_pb(m)),
                    })
                })
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetDistrict"))]
    async fn get_district(
        &self,
        request: Request<pb::GetDistrictRequest>,
    ) -> Result<Response<pb::GetDistrictResponse>, Status> {
        let req = request.get_ref();
        let (m, d) = names::parse_two(&req.name, "municipalities", "districts")
            .map_err(|e| ApiError::invalid("name", e.into_description()))?;
        let district = places::get_district(self.kit.store().pool(), &m, &d)
            .await
            .named(&req.name)?;
        ok(pb::GetDistrictResponse {
            district: Some(district_pb(district)),
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListDistricts"))]
    async fn list_districts(
        &self,
        request: Request<pb::ListDistrictsRequest>,
    ) -> Result<Response<pb::ListDistrictsResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let parent = v.check(
            "parent",
            names::parse_parent_or_wildcard(&req.parent, "municipalities"),
        );
        let page = Page::parse_into(&mut v, req.page_size, &req.page_token, &req.parent);
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (parent, page) = (parent.unwrap(), page.unwrap());
        let after = page.after.as_ref().and_then(|k| match k.as_slice() {
            [m, d] => Some((m.as_str(), d.as_str())),
            _ => None,
        });
        let mut rows = places::list_districts(
            self.kit.store().pool(),
            parent.as_ref(),
            after,
            page.fetch_limit(),
        )
        .await
        .named(&req.parent)?;
        if let (true, Some(m)) = (rows.is_empty(), &parent) {
            // An unknown parent is NOT_FOUND, not an empty list.
            places::get_municipality(self.kit.store().pool(), m)
                .await
                .named(&req.parent)?;
        }
        let next_page_token = page.finish(&mut rows, |d| vec![d.municipality_id.clone(), d.id.clone()]);
        ok(pb::ListDistrictsResponse {
            districts: rows.into_iter().map(district_pb).collect(),
            next_page_token,
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "CreateDistrict"))]
    async fn create_district(
        &self,
        request: Request<pb::CreateDistrictRequest>,
    ) -> Result<Response<pb::CreateDistrictResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let parent = v.check("parent", names::parse_one(&req.parent, "municipalities"));
        let id = v.check("district_id", Slug::parse(&req.district_id));
        let rid = v.check("request_id", RequestId::parse(&req.request_id));
        let fields = v
            .require("district", req.district.as_ref())
            .and_then(|d| district_fields(&mut v, d));
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (parent, id, rid, fields) = (parent.unwrap(), id.unwrap(), rid.unwrap(), fields.unwrap());
        let name = names::district(parent.as_str(), id.as_str());
        respond(
            self.kit
                .mutate(principal, "CreateDistrict", rid, req, async |tx| {
                    let d = places::insert_district(&mut **tx, &parent, &id, &fields, self.kit.now())
                        .await
                        .created_under(&name, &req.parent)?;
                    Ok(pb::CreateDistrictResponse {
                        district: Some(district_pb(d)),
                    })
                })
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "UpdateDistrict"))]
    async fn update_district(
        &self,
        request: Request<pb::UpdateDistrictRequest>,
    ) -> Result<Response<pb::UpdateDistrictResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let paths = v.check(
            "update_mask",
            update_paths(
                req.update_mask.as_ref(),
                &["display_name", "latitude", "longitude"],
            ),
        );
        let district = v.require("district", req.district.as_ref());
        let key = district.and_then(|d| {
            v.check(
                "district.name",
                names::parse_two(&d.name, "municipalities", "districts"),
            )
        });
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (district, (m, d), paths) = (district.unwrap(), key.unwrap(), paths.unwrap());
        let name = names::district(m.as_str(), d.as_str());
        let mut tx = self.kit.begin().await?;
        let mut merged = district_pb(places::get_district(&mut *tx, &m, &d).await.named(&name)?);
        for path in paths {
            match path {
                "display_name" => merged.display_name.clone_from(&district.display_name),
                "latitude" => merged.latitude = district.latitude,
                _ => merged.longitude = district.longitude,
            }
        }
        let mut v = Violations::new();
        let fields = district_fields(&mut v, &merged);
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let updated = places::update_district(&mut *tx, &m, &d, &fields.unwrap(), self.kit.now())
            .await
            .named(&name)?;
        self.kit.commit(tx).await?;
        ok(pb::UpdateDistrictResponse {
            district: Some(district_pb(updated)),
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetOrganization"))]
    async fn get_organization(
        &self,
        request: Request<pb::GetOrganizationRequest>,
    ) -> Result<Response<pb::GetOrganizationResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let id = names::parse_one(&req.name, "organizations")
            .map_err(|e| ApiError::invalid("name", e.into_description()))?;
        // A referrer sees only their own organisation; others answer as if absent.
        if principal.role == Role::Referrer && principal.organization.as_ref() != Some(&id) {
            return Err(ApiError::NotFound(req.name.clone()).into());
        }
        let o = organizations::get_organization(self.kit.store().pool(), &id)
            .await
            .named(&req.name)?;
        // Coordinators and partner viewers see their own chapter's organisations.
        if let Some(chapter) = principal
            .chapter
            .as_ref()
            .filter(|_| principal.role != Role::Administrator)
            && chapter.as_str() != o.chapter_id
        {
            return Err(scope::not_found(&req.name).into());
        }
        ok(pb::GetOrganizationResponse {
            organization: Some(organization_for(principal, o)),
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListOrganizations"))]
    async fn list_organizations(
        &self,
        request: Request<pb::ListOrganizationsRequest>,
    ) -> Result<Response<pb::ListOrganizationsResponse>, Status> {
        let principal = Principal::from_request(&request)?.clone();
        let req = request.get_ref();
        let mut v = Violations::new();
        let chapter = if req.chapter.is_empty() {
            Some(None)
        } else {
            v.check("chapter", names::parse_one(&req.chapter, "chapters"))
                .map(Some)
        };
        let kind = if req.kind == pb::OrganizationKind::Unspecified as i32 {
            Some(None)
        } else {
            v.check("kind", KINDS.parse(req.kind)).map(Some)
        };
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (mut chapter, kind) = (chapter.unwrap(), kind.unwrap());
        // Coordinators and partner viewers list their own chapter's organisations; another
        // chapter does not exist for them.
        if matches!(principal.role, Role::Coordinator | Role::PartnerViewer) {
            let own = principal.chapter.clone();
            if chapter.is_some() && chapter != own {
                return Err(scope::not_found(&req.chapter).into());
            }
            chapter = own;
        }
        let filters = format!("{}|{}", req.chapter, req.kind);
        let page = Page::parse(req.page_size, &req.page_token, &filters)?;
        if principal.role == Role::Referrer {
            let own = principal
                .organization
                .as_ref()
                .expect("referrer tokens carry an organisation");
            let o = organizations::get_organization(self.kit.store().pool(), own)
                .await
                .named("organizations")?;
            let visible = chapter.as_ref().is_none_or(|c| c.as_str() == o.chapter_id)
                && kind.is_none_or(|k| k == o.kind)
                && page.after.is_none();
            return ok(pb::ListOrganizationsResponse {
                organizations: if visible { vec![organization_pb(o)] } else { vec![] },
                next_page_token: String::new(),
            });
        }
        let mut rows = organizations::list_organizations(
            self.kit.store().pool(),
            chapter.as_ref(),
            kind,
            page.after_first(),
            page.fetch_limit(),
        )
        .await
        .named("organizations")?;
        let next_page_token = page.finish(&mut rows, |o| vec![o.id.clone()]);
        ok(pb::ListOrganizationsResponse {
            organizations: rows
                .into_iter()
                .map(|o| organization_for(&principal, o))
                .collect(),
            next_page_token,
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "CreateOrganization"))]
    async fn create_organization(
        &self,
        request: Request<pb::CreateOrganizationRequest>,
    ) -> Result<Response<pb::CreateOrganizationResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = v.check("organization_id", Slug::parse(&req.organization_id));
        let rid = v.check("request_id", RequestId::parse(&req.request_id));
        let fields = v
            .require("organization", req.organization.as_ref())
            .and_then(|o| organization_fields(&mut v, o));
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (id, rid, fields) = (id.unwrap(), rid.unwrap(), fields.unwrap());
        let name = names::organization(id.as_str());
        respond(
            self.kit
                .mutate(principal, "CreateOrganization", rid, req, async |tx| {
                    check_municipality_in_chapter(tx, &fields).await?;
                    let o = organizations::insert_organization(&mut **tx, &id, &fields, self.kit.now())
                        .await
                        .named(&name)?;
                    Ok(pb::CreateOrganizationResponse {
                        organization: Some(organization_pb(o)),
                    })
                })
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "UpdateOrganization"))]
    async fn update_organization(
        &self,
        request: Request<pb::UpdateOrganizationRequest>,
    ) -> Result<Response<pb::UpdateOrganizationResponse>, Status> {
        let req = request.get_ref();
        let mut v = Violations::new();
        let paths = v.check(
            "update_mask",
            update_paths(
                req.update_mask.as_ref(),
                &["display_name", "kind", "chapter", "municipality", "contact_email"],
            ),
        );
        let org = v.require("organization", req.organization.as_ref());
        let id = org.and_then(|o| v.check("organization.name", names::parse_one(&o.name, "organizations")));
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (org, id, paths) = (org.unwrap(), id.unwrap(), paths.unwrap());
        let name = names::organization(id.as_str());
        let mut tx = self.kit.begin().await?;
        let mut merged = organization_pb(
            organizations::get_organization(&mut *tx, &id)
                .await
                .named(&name)?,
        );
        for path in paths {
            match path {
                "display_name" => merged.display_name.clone_from(&org.display_name),
                "kind" => merged.kind = org.kind,
                "chapter" => merged.chapter.clone_from(&org.chapter),
                "municipality" => merged.municipality.clone_from(&org.municipality),
                _ => merged.contact_email.clone_from(&org.contact_email),
            }
        }
        let mut v = Violations::new();
        let fields = organization_fields(&mut v, &merged);
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let fields = fields.unwrap();
        check_municipality_in_chapter(&mut tx, &fields).await?;
        let updated = organizations::update_organization(&mut *tx, &id, &fields, self.kit.now())
            .await
            .named(&name)?;
        self.kit.commit(tx).await?;
        ok(pb::UpdateOrganizationResponse {
            organization: Some(organization_pb(updated)),
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetMatchingWeights"))]
    async fn get_matching_weights(
        &self,
        request: Request<pb::GetMatchingWeightsRequest>,
    ) -> Result<Response<pb::GetMatchingWeightsResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let chapter = names::parse_singleton(&req.name, "chapters", "matchingWeights")
            .map_err(|e| ApiError::invalid("name", e.into_description()))?;
        scope::managed_chapter(principal, chapter.as_str(), &req.name)?;
        let w = weights::get_weights(self.kit.store().pool(), &chapter)
            .await
            .named(&req.name)?;
        ok(pb::GetMatchingWeightsResponse {
            matching_weights: Some(weights_pb(&w)?),
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "UpdateMatchingWeights"))]
    async fn update_matching_weights(
        &self,
        request: Request<pb::UpdateMatchingWeightsRequest>,
    ) -> Result<Response<pb::UpdateMatchingWeightsResponse>, Status> {
        let req = request.get_ref();
        const FIELDS: [&str; 11] = [
            "shared_interests",
            "distance",
            "age_closeness",
            "soft_wishes",
            "swedish_level_fit",
            "family_situation",
            "meeting_preference",
            "waiting_time",
            "max_distance_km",
            "min_age",
            "top_k",
        ];
        let mut v = Violations::new();
        let paths = v.check("update_mask", update_paths(req.update_mask.as_ref(), &FIELDS));
        let new = v.require("matching_weights", req.matching_weights.as_ref());
        let chapter = new.and_then(|w| {
            v.check(
                "matching_weights.name",
                names::parse_singleton(&w.name, "chapters", "matchingWeights"),
            )
        });
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let (new, chapter, paths) = (new.unwrap(), chapter.unwrap(), paths.unwrap());
        let name = names::chapter(chapter.as_str());
        let mut tx = self.kit.begin().await?;
        let w = weights::get_weights(&mut *tx, &chapter).await.named(&name)?;
        let mut v = Violations::new();
        let mut settings = w.settings().api()?;
        for path in paths {
            let field = format!("matching_weights.{path}");
            let weight = |v: &mut Violations, value: i32, current: Weight| {
                v.check(field.clone(), Weight::parse(value)).unwrap_or(current)
            };
            let s = &mut settings;
            match path {
                "shared_interests" => {
                    s.weights.shared_interests =
                        weight(&mut v, new.shared_interests, s.weights.shared_interests)
                }
                "distance" => s.weights.distance = weight(&mut v, new.distance, s.weights.distance),
                "age_closeness" => {
                    s.weights.age_closeness = weight(&mut v, new.age_closeness, s.weights.age_closeness)
                }
                "soft_wishes" => {
                    s.weights.soft_wishes = weight(&mut v, new.soft_wishes, s.weights.soft_wishes)
                }
                "swedish_level_fit" => {
                    s.weights.swedish_level_fit =
                        weight(&mut v, new.swedish_level_fit, s.weights.swedish_level_fit)
                }
                "family_situation" => {
                    s.weights.family_situation =
                        weight(&mut v, new.family_situation, s.weights.family_situation)
                }
                "meeting_preference" => {
                    s.weights.meeting_preference =
                        weight(&mut v, new.meeting_preference, s.weights.meeting_preference)
                }
                "waiting_time" => {
                    s.weights.waiting_time = weight(&mut v, new.waiting_time, s.weights.waiting_time)
                }
                "max_distance_km" => {
                    if let Some(km) = v.check(
                        field,
                        MatchingSettings::parse_max_distance_km(new.max_distance_km),
                    ) {
                        s.max_distance_km = km;
                    }
                }
                "min_age" => {
                    if let Some(age) = v.check(field, MinAge::parse(new.min_age)) {
                        s.min_age = age;
                    }
                }
                _ => {
                    if let Some(k) = v.check(field, MatchingSettings::parse_top_k(new.top_k)) {
                        s.top_k = k;
                    }
                }
            }
        }
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let updated = weights::update_weights(&mut *tx, &chapter, &settings, self.kit.now())
            .await
            .named(&name)?;
        self.kit.commit(tx).await?;
        ok(pb::UpdateMatchingWeightsResponse {
            matching_weights: Some(weights_pb(&updated)?),
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "ListInterests"))]
    async fn list_interests(
        &self,
        request: Request<pb::ListInterestsRequest>,
    ) -> Result<Response<pb::ListInterestsResponse>, Status> {
        let req = request.get_ref();
        let chapter = names::parse_one(&req.parent, "chapters")
            .map_err(|e| ApiError::invalid("parent", e.into_description()))?;
        let page = Page::parse(req.page_size, &req.page_token, &req.parent)?;
        let after = page.after.as_ref().and_then(|k| match k.as_slice() {
            [c, d, i] => Some((c.as_str(), d.as_str(), i.as_str())),
            _ => None,
        });
        let mut rows =
            interests::list_interests(self.kit.store().pool(), &chapter, after, page.fetch_limit())
                .await
                .named(&req.parent)?;
        if rows.is_empty() {
            chapters::get_chapter(self.kit.store().pool(), &chapter)
                .await
                .named(&req.parent)?;
        }
        let next_page_token = page.finish(&mut rows, |i| {
            vec![i.category.clone(), i.display_name.clone(), i.id.clone()]
        });
        ok(pb::ListInterestsResponse {
            interests: rows.into_iter().map(interest_pb).collect(),
            next_page_token,
        })
    }

    #[tracing::instrument(skip_all, fields(rpc = "CreateInterest"))]
    async fn create_interest(
        &self,
        request: Request<pb::CreateInterestRequest>,
    ) -> Result<Response<pb::CreateInterestResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let chapter = v.check("parent", names::parse_one(&req.parent, "chapters"));
        let id = if req.interest_id.is_empty() {
            Slug::parse(&format!("i{}", Uuid::now_v7().simple())).ok()
        } else {
            v.check("interest_id", Slug::parse(&req.interest_id))
        };
        let rid = v.check("request_id", RequestId::parse(&req.request_id));
        let interest = v.require("interest", req.interest.as_ref());
        let (display_name, category) = match interest {
            Some(i) => (
                v.check("interest.display_name", DisplayName::parse(&i.display_name)),
                v.check("interest.category", DisplayName::parse(&i.category)),
            ),
            None => (None, None),
        };
        v.into_result().map_err(ApiError::InvalidArgument)?;
        let chapter = chapter.unwrap();
        scope::managed_chapter(principal, chapter.as_str(), &req.parent)?;
        let (id, rid) = (id.unwrap(), rid.unwrap());
        let (display_name, category) = (display_name.unwrap(), category.unwrap());
        let name = format!("chapters/{}/interests/{}", chapter.as_str(), id.as_str());
        respond(
            self.kit
                .mutate(principal, "CreateInterest", rid, req, async |tx| {
                    let created = interests::insert_interest(
                        &mut **tx,
                        &chapter,
                        &id,
                        display_name.as_str(),
                        category.as_str(),
                        self.kit.now(),
                    )
                    .await
                    .created_under(&name, &req.parent)?;
                    Ok(pb::CreateInterestResponse {
                        interest: Some(interest_pb(created)),
                    })
                })
                .await,
        )
    }

    #[tracing::instrument(skip_all, fields(rpc = "DeleteInterest"))]
    async fn delete_interest(
        &self,
        request: Request<pb::DeleteInterestRequest>,
    ) -> Result<Response<pb::DeleteInterestResponse>, Status> {
        let principal = Principal::from_request(&request)?;
        let req = request.get_ref();
        let (chapter, id) = names::parse_two(&req.name, "chapters", "interests")
            .map_err(|e| ApiError::invalid("name", e.into_description()))?;
        scope::managed_chapter(principal, chapter.as_str(), &req.name)?;
        interests::delete_interest(self.kit.store().pool(), &chapter, &id)
            .await
            .named(&req.name)?;
        ok(pb::DeleteInterestResponse {})
    }
}

fn chapter_fields(v: &mut Violations, c: &pb::Chapter) -> Option<chapters::ChapterFields> {
    let display_name = v.check("chapter.display_name", DisplayName::parse(&c.display_name));
    let contact_email = optional_email(v, "chapter.contact_email", &c.contact_email);
    let mut municipalities = Vec::new();
    if c.municipalities.is_empty() || c.municipalities.len() > 50 {
        v.add("chapter.municipalities", "must name 1 to 50 municipalities");
    }
    for (i, m) in c.municipalities.iter().enumerate() {
        if let Some(slug) = v.check(
            format!("chapter.municipalities[{i}]"),
            names::parse_one(m, "municipalities"),
        ) {
            if municipalities.contains(&slug) {
                v.add(format!("chapter.municipalities[{i}]"), "is listed twice");
            }
            municipalities.push(slug);
        }
    }
    let reminder_hours = match c.activity_reminder_hours {
        Some(hours) if !(0..=336).contains(&hours) => {
            v.add(
                "chapter.activity_reminder_hours",
                "must be between 0 (no reminders) and 336 hours (two weeks)",
            );
            None
        }
        hours => Some(hours),
    };
    Some(chapters::ChapterFields {
        display_name: display_name?.as_str().to_owned(),
        contact_email: contact_email?,
        municipalities,
        activity_reminder_hours: reminder_hours?,
    })
}

/// A chapter write naming a municipality that does not exist: the request's field is
/// wrong. Other errors (a municipality another chapter covers, a taken id) go through
/// the one table.
fn chapter_write_error(error: kompis_store::StoreError, name: &str) -> ApiError {
    match error {
        kompis_store::StoreError::MissingReference(_) => ApiError::invalid(
            "chapter.municipalities",
            "names a municipality that does not exist",
        ),
        e => crate::kit::errors::store_error(e, Some(name)),
    }
}

fn district_fields(v: &mut Violations, d: &pb::District) -> Option<places::DistrictFields> {
    let display_name = v.check("district.display_name", DisplayName::parse(&d.display_name));
    let coordinates = match Coordinates::new(d.latitude, d.longitude) {
        Ok(c) => Some(c),
        Err(e) => {
            if !(-90.0..=90.0).contains(&d.latitude) || !d.latitude.is_finite() {
                v.add("district.latitude", e.description());
            }
            if !(-180.0..=180.0).contains(&d.longitude) || !d.longitude.is_finite() {
                v.add("district.longitude", e.description());
            }
            None
        }
    };
    Some(places::DistrictFields {
        display_name: display_name?.as_str().to_owned(),
        coordinates: coordinates?,
    })
}

fn organization_fields(
    v: &mut Violations,
    o: &pb::Organization,
) -> Option<organizations::OrganizationFields> {
    let display_name = v.check("organization.display_name", DisplayName::parse(&o.display_name));
    let kind = v.check("organization.kind", KINDS.parse(o.kind));
    let chapter = v.check("organization.chapter", names::parse_one(&o.chapter, "chapters"));
    let municipality = v.check(
        "organization.municipality",
        names::parse_one(&o.municipality, "municipalities"),
    );
    let contact_email = optional_email(v, "organization.contact_email", &o.contact_email);
    Some(organizations::OrganizationFields {
        chapter: chapter?,
        municipality: municipality?,
        kind: kind?,
        display_name: display_name?.as_str().to_owned(),
        contact_email: contact_email?,
    })
}

/// An organisation's municipality must be one its chapter covers.
async fn check_municipality_in_chapter(
    tx: &mut kompis_store::Tx,
    fields: &organizations::OrganizationFields,
) -> ApiResult<()> {
    let covering = chapters::chapter_of_municipality(&mut **tx, &fields.municipality).await?;
    if covering.as_deref() != Some(fields.chapter.as_str()) {
        return Err(ApiError::invalid(
            "organization.municipality",
            "must be a municipality the organisation's chapter covers",
        ));
    }
    Ok(())
}
