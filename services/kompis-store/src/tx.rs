//! The store's unit of work.

use std::ops::{Deref, DerefMut};

use sqlx::{PgConnection, Postgres, Transaction};

use crate::StoreError;

/// An open transaction: pass `&mut tx` (or `&mut *tx`) to store functions, then
/// [`commit`](Tx::commit). Dropped without a commit, it rolls back, so an error
/// returned half-way leaves nothing half-written.
#[derive(Debug)]
pub struct Tx(Transaction<'static, Postgres>);

impl Tx {
    pub(crate) fn new(tx: Transaction<'static, Postgres>) -> Self {
        Self(tx)
    }

    /// Commits everything done in the transaction.
    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.0.commit().await?)
    }
}

impl Deref for Tx {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.0
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.0
    }
}
