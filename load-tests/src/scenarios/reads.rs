//! The reads served today: a chapter by name, and every district page by page.

use futures::future::BoxFuture;
use kompis_proto::v1::admin_service_client::AdminServiceClient;
use kompis_proto::v1::{GetChapterRequest, ListDistrictsRequest};

use super::connection::{Connections, bearer};
use super::{CeilingKind, Scenario};
use crate::cli::Args;
use crate::token::Bearer;

/// Which AdminService read to make.
#[derive(Debug)]
enum Read {
    /// GetChapter by resource name: one row by primary key.
    GetChapter(String),
    /// ListDistricts across every municipality, the first page of 100.
    ListDistricts,
}

/// One AdminService read, as an administrator.
#[derive(Debug)]
pub struct AdminRead {
    connections: Connections,
    admin: Bearer,
    read: Read,
}

impl AdminRead {
    /// GetChapter for `--chapter`.
    pub fn get_chapter(args: &Args, connections: Connections) -> anyhow::Result<Self> {
        Self::new(
            args,
            connections,
            Read::GetChapter(format!("chapters/{}", args.chapter)),
        )
    }

    /// ListDistricts over every municipality.
    pub fn list_districts(args: &Args, connections: Connections) -> anyhow::Result<Self> {
        Self::new(args, connections, Read::ListDistricts)
    }

    fn new(args: &Args, connections: Connections, read: Read) -> anyhow::Result<Self> {
        Ok(Self {
            connections,
            admin: bearer(args.admin_token.as_ref(), "--admin-token")?,
            read,
        })
    }
}

impl Scenario for AdminRead {
    fn name(&self) -> &'static str {
        match self.read {
            Read::GetChapter(_) => "get-chapter",
            Read::ListDistricts => "list-districts",
        }
    }

    fn ceiling(&self) -> CeilingKind {
        CeilingKind::PrimaryKeyRead
    }

    fn call(&self, n: u64) -> BoxFuture<'static, Result<(), tonic::Status>> {
        let mut client = AdminServiceClient::new(self.connections.channel(n));
        match &self.read {
            Read::GetChapter(name) => {
                let request = self
                    .connections
                    .request(&self.admin, GetChapterRequest { name: name.clone() });
                Box::pin(async move {
                    client.get_chapter(request).await?;
                    Ok(())
                })
            }
            Read::ListDistricts => {
                let request = self.connections.request(
                    &self.admin,
                    ListDistrictsRequest {
                        parent: "municipalities/-".into(),
                        page_size: 100,
                        page_token: String::new(),
                    },
                );
                Box::pin(async move {
                    client.list_districts(request).await?;
                    Ok(())
                })
            }
        }
    }
}
