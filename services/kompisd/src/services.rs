//! The one place where the `kompis.v1` services are registered. The router and the
//! health service's names both come from [`register`], so a service added here is
//! served, authenticated, compressed and reported to health, and one not added here is
//! none of these.

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
use tonic::service::interceptor::InterceptedService;

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

    fn add<S>(&mut self, auth: &Authenticator, server: S)
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
        let auth = auth.clone();
        self.names.push(S::NAME);
        self.routes
            .add_service(InterceptedService::new(server, move |request| {
                auth.intercept(request)
            }));
    }
}

/// Every `kompis.v1` service, built on `kit` and authenticated by `auth`.
pub fn register(kit: &Kit, auth: &Authenticator) -> Registry {
    use tonic::codec::CompressionEncoding::Gzip;
    // A macro rather than a function: each generated server has its own type, and the
    // compression settings are methods of each, not of a trait.
    macro_rules! server {
        ($server:ident, $service:path) => {
            $server::new($service(kit.clone()))
                .accept_compressed(Gzip)
                .send_compressed(Gzip)
        };
    }
    let mut registry = Registry::default();
    registry.add(auth, server!(AdminServiceServer, kompis_grpc::Admin::new));
    registry.add(
        auth,
        server!(ParticipantServiceServer, kompis_grpc::Participants::new),
    );
    registry.add(
        auth,
        server!(InterviewServiceServer, kompis_grpc::Interviews::new),
    );
    registry.add(auth, server!(MatchingServiceServer, kompis_grpc::Matching::new));
    registry.add(auth, server!(BuddyAppServiceServer, kompis_grpc::BuddyApp::new));
    registry.add(auth, server!(ReferralServiceServer, kompis_grpc::Referrals::new));
    registry.add(auth, server!(ReportServiceServer, kompis_grpc::Reports::new));
    registry.add(auth, server!(DeliveryServiceServer, kompis_grpc::Delivery::new));
    registry.add(auth, server!(ActivityServiceServer, kompis_grpc::Activities::new));
    registry
}
