//! The reads served today: a chapter by name, and every district page by page.

use futures::future::BoxFuture;
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::{GetChapterRequest, ListDistrictsRequest};

use super::connection::{Connections, bearer};
use super::{CeilingKind, Scenario};
use crate::cli::Args;
use crate::token::Bearer;

/// AdminService.GetChapter for `--chapter`: one row by primary key.
#[derive(Debug)]
pub struct GetChapter {
    connections: Connections,
    admin: Bearer,
    name: String,
}

impl GetChapter {
    pub fn new(args: &Args, connections: Connections) -> anyhow::Result<Self> {
        Ok(Self {
            connections,
            admin: bearer(args.admin_token.as_ref(), "--admin-token")?,
            name: format!("chapters/{}", args.chapter),
        })
    }
}

impl Scenario for GetChapter {
    fn name(&self) -> &'static str {
        "get-chapter"
    }

    fn ceiling(&self) -> CeilingKind {
        CeilingKind::PrimaryKeyRead
    }

    fn call(&self, n: u64) -> BoxFuture<'static, Result<(), tonic::Status>> {
        let channel = self.connections.channel(n);
        let request = self.connections.request(
            &self.admin,
            GetChapterRequest {
                name: self.name.clone(),
            },
        );
        Box::pin(async move {
            AdminServiceClient::new(channel).get_chapter(request).await?;
            Ok(())
        })
    }
}

/// AdminService.ListDistricts across every municipality, the first page of 100.
#[derive(Debug)]
pub struct ListDistricts {
    connections: Connections,
    admin: Bearer,
}

impl ListDistricts {
    pub fn new(args: &Args, connections: Connections) -> anyhow::Result<Self> {
        Ok(Self {
            connections,
            admin: bearer(args.admin_token.as_ref(), "--admin-token")?,
        })
    }
}

impl Scenario for ListDistricts {
    fn name(&self) -> &'static str {
        "list-districts"
    }

    fn ceiling(&self) -> CeilingKind {
        CeilingKind::PrimaryKeyRead
    }

    fn call(&self, n: u64) -> BoxFuture<'static, Result<(), tonic::Status>> {
        let channel = self.connections.channel(n);
        let request = self.connections.request(
            &self.admin,
            ListDistrictsRequest {
                parent: "municipalities/-".into(),
                page_size: 100,
                page_token: String::new(),
            },
        );
        Box::pin(async move {
            AdminServiceClient::new(channel).list_districts(request).await?;
            Ok(())
        })
    }
}
