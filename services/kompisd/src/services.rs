//! The one place where the `kompis.v1` services are registered. The router and the
//! health service's names both come from [`register`], so a service added here is
//! served, guarded (authenticated, held to the policy table and the rate limit),
//! compressed and reported to health, and one not added here is none of these.

use std::sync::Arc;

use kompis_grpc::auth::{Guard, RateLimit};
use kompis_grpc::{Authenticator, Kit};
use kompis_proto::v1::activity_service_server::ActivityServiceServer;
use kompis_proto::v1::admin_service_server::AdminServiceServer;
use kompis_proto::v1::buddy_app_service_server::BuddyAppServiceServer;
use kompis_proto::v1::delivery_service_server::DeliveryServiceServer;
use kompis_proto::v1::interview_service_server::InterviewServiceServer;
use kompis_proto::v1::matching_service_server::MatchingServiceServer;
use kompis_proto::v1::participant_service_server::ParticipantServiceServer;
use kompis_proto::v1::referral_service_server::ReferralServiceServer;
use kompis_proto::v1::report_service_server::ReportServiceServer;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;

/// The registered services: their routes and their names.
#[derive(Debug, Default)]
pub struct Registry {
    routes: RoutesBuilder,
    names: Vec<&'static str>,
}

impl Registry {
    /// The routes, for the router.
    pub fn routes(&self) -> RoutesBuilder {
        self.routes.clone()
    }

    /// The full names of the services (`kompis.v1.AdminService`...), for health.
    pub fn names(&self) -> &[&'static str] {
        &self.names
    }

    fn add<S>(&mut self, gate: &Gate, server: S)
    where
        S: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = std::convert::Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.routes
            .add_service(Guard::new(server, gate.auth.clone(), gate.limit.clone()));
    }
}

/// What guards every service: the authenticator and the per-identity rate limit.
#[derive(Clone)]
pub struct Gate {
    /// Verifies bearer tokens.
    pub auth: Authenticator,
    /// Counts calls per identity; none when rate limiting is off.
    pub limit: Option<Arc<dyn RateLimit>>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("auth", &self.auth)
            .field("limited", &self.limit.is_some())
            .finish()
    }
}

/// Every `kompis.v1` service, built on `kit` and guarded by `gate`, reading request
/// messages of up to `max_request_bytes` (a larger one is answered OUT_OF_RANGE before
/// it is decoded).
pub fn register(kit: &Kit, gate: &Gate, max_request_bytes: usize) -> Registry {
    use tonic::codec::CompressionEncoding::Gzip;
    // A macro rather than a function: each generated server has its own type, and the
    // compression settings are methods of each, not of a trait.
    macro_rules! server {
        ($server:ident, $service:path) => {
            $server::new($service(kit.clone()))
                .accept_compressed(Gzip)
                .send_compressed(Gzip)
                .max_decoding_message_size(max_request_bytes)
        };
    }
    let mut registry = Registry::default();
    registry.add(gate, server!(AdminServiceServer, kompis_grpc::Admin::new));
    registry.add(
        gate,
        server!(ParticipantServiceServer, kompis_grpc::Participants::new),
    );
    registry.add(
        gate,
        server!(InterviewServiceServer, kompis_grpc::Interviews::new),
    );
    registry.add(gate, server!(MatchingServiceServer, kompis_grpc::Matching::new));
    registry.add(gate, server!(BuddyAppServiceServer, kompis_grpc::BuddyApp::new));
    registry.add(gate, server!(ReferralServiceServer, kompis_grpc::Referrals::new));
    registry.add(gate, server!(ReportServiceServer, kompis_grpc::Reports::new));
    registry.add(gate, server!(DeliveryServiceServer, kompis_grpc::Delivery::new));
    registry.add(gate, server!(ActivityServiceServer, kompis_grpc::Activities::new));
    registry
}
