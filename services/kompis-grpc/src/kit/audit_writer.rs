//! Group commit of access records: every audited call of a process hands its records
//! to one writer, which writes whatever calls are waiting in one statement and one
//! commit, and answers each of them once their records are committed.
//!
//! Why: an audited read used to write its record(s) with an INSERT of its own after
//! the call, so every read paid a commit and a WAL flush of its own, and reads topped
//! out near the database's insert rate (`load-tests/README.md`). With the writer, a
//! lone record is still written at once (nothing waits for company), but under load
//! the calls that arrive while one batch is being committed share the next commit.
//!
//! Decided:
//!
//! - Durable group commit rather than `synchronous_commit = off` for the audit
//!   INSERT: a call still returns only after its record is committed and flushed, so
//!   the contract "an access that cannot be recorded is not given" holds through a
//!   crash of the database too. With asynchronous commit, an answer could be given
//!   whose record is lost in a crash (the last WAL not yet flushed), which is what
//!   the audit log exists to prevent. Group commit buys the throughput without that.
//! - At most [`IN_FLIGHT`] (4) batches at a time: when one of them is free, the
//!   writer takes the first waiting call, drains whatever else is queued (at most [`MAX_BATCH_RECORDS`] records, a call's records are
//!   never split) and writes them with one multi-row INSERT
//!   ([`kompis_store::audit::record_many`], one statement, so one transaction). A
//!   failure answers every call of that batch UNAVAILABLE (no call of it is
//!   recorded: the statement is all or nothing), and the writer goes on with the
//!   next batch.
//! - The writer is started lazily, by the first record written, on the runtime of
//!   that call; it ends when every handle of it (every clone of the kit) is dropped.
//!   Each kit built has its own writer, so several servers in one process (tests)
//!   never share one. If the writer is gone (its runtime shut down), the next record
//!   starts a new one; a call whose writer vanished before answering is answered
//!   UNAVAILABLE.

use std::fmt;
use std::sync::{Arc, Mutex};

use kompis_store::audit::{self, AccessRecord};
use kompis_store::{Store, StoreError};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::ApiError;

/// The most records one batch takes from the queue (a single call with more is
/// written alone, whole).
pub const MAX_BATCH_RECORDS: usize = 1_000;

/// Batches written at the same time. More than one, so that a lone record never
/// waits for another batch's WAL flush (PostgreSQL then shares one flush among the
/// concurrent commits itself); few, so that under load the calls gather into batches
/// rather than each taking a connection of the pool.
const IN_FLIGHT: usize = 4;

/// Calls that may wait in the queue before a caller waits for room.
const QUEUE: usize = 4_096;

/// Why a batch could not be written, shared by every call of it.
#[derive(Debug, Clone)]
struct BatchFailed(Arc<StoreError>);

impl fmt::Display for BatchFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the audit records could not be written: {}", self.0)
    }
}

impl std::error::Error for BatchFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

/// The writer gone before answering.
#[derive(Debug, thiserror::Error)]
#[error("the audit writer stopped before the records were written")]
struct WriterGone;

/// One call's records and where its outcome goes.
struct Job {
    records: Vec<AccessRecord>,
    reply: oneshot::Sender<Result<(), BatchFailed>>,
}

/// The handle on a process's audit writer held by the kit (and so shared by its
/// clones).
pub struct AuditWriter {
    store: Store,
    queue: Mutex<Option<mpsc::Sender<Job>>>,
}

impl fmt::Debug for AuditWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditWriter").finish_non_exhaustive()
    }
}

impl AuditWriter {
    /// A writer over `store`; its task starts with the first record written.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            queue: Mutex::new(None),
        }
    }

    /// The queue of the running writer, started (on the current runtime) when there
    /// is none or the previous one is gone.
    fn sender(&self) -> mpsc::Sender<Job> {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = queue.as_ref().filter(|s| !s.is_closed()) {
            return sender.clone();
        }
        let (sender, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(run(self.store.clone(), receiver));
        *queue = Some(sender.clone());
        sender
    }

    /// Writes `records`, returning once they are committed (with the records of
    /// whatever other calls were waiting), or UNAVAILABLE when they could not be
    /// written. Nothing to write returns at once.
    pub async fn write(&self, records: Vec<AccessRecord>) -> Result<(), ApiError> {
        if records.is_empty() {
            return Ok(());
        }
        let (reply, answer) = oneshot::channel();
        let job = Job { records, reply };
        if let Err(mpsc::error::SendError(job)) = self.sender().send(job).await {
            // The writer ended between taking its queue and sending: start another.
            self.sender()
                .send(job)
                .await
                .map_err(|_| ApiError::Unavailable(Box::new(WriterGone)))?;
        }
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(failed)) => Err(ApiError::Unavailable(Box::new(failed))),
            Err(_) => Err(ApiError::Unavailable(Box::new(WriterGone))),
        }
    }
}

/// The writer: batches, at most [`IN_FLIGHT`] being written at a time, until every
/// handle of its queue is dropped.
async fn run(store: Store, mut queue: mpsc::Receiver<Job>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = queue.recv().await {
        // A free slot first, then the queue is drained: while every slot is writing,
        // the calls that arrive gather in the queue and share the next commit.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let mut count = first.records.len();
        let mut batch = vec![first];
        while count < MAX_BATCH_RECORDS {
            match queue.try_recv() {
                Ok(job) => {
                    count += job.records.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let store = store.clone();
        tokio::spawn(async move {
            write(&store, batch, count).await;
            drop(slot);
        });
    }
}

/// Writes one batch and answers each of its calls.
async fn write(store: &Store, batch: Vec<Job>, count: usize) {
    // A job taken past the limit is written with this batch: a call's records are
    // never split, and the limit is a bound on waiting, not on the statement.
    let outcome = if batch.len() == 1 {
        audit::record_many(store.pool(), &batch[0].records).await
    } else {
        let records: Vec<AccessRecord> = batch.iter().flat_map(|j| j.records.iter().cloned()).collect();
        audit::record_many(store.pool(), &records).await
    };
    let outcome = outcome.map_err(|e| {
        tracing::error!(
            calls = batch.len(),
            records = count,
            "access records could not be written to the audit log"
        );
        BatchFailed(Arc::new(e))
    });
    for job in batch {
        // A caller that went away (its call cancelled) needs no answer.
        let _ = job.reply.send(outcome.clone());
    }
}
