//! What the frontend needs from the platform: grants, an event channel and a store.
//!
//! The guest kernel implements these with hypercalls and its XenStore client; host tests
//! implement them in memory, with a simulated backend behind them.

use alloc::string::String;

use crate::shared::SharedPage;
use crate::wire::{DomId, GrantRef, Port};

/// A platform operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlatformError {
    /// No free grant reference, port or memory.
    Exhausted,
    /// The remote domain still uses the resource (for example a grant still mapped).
    Busy,
    /// The hypervisor or the platform refused the operation (carries its error code).
    Failed(i32),
}

/// Access to the grant table.
///
/// References returned by [`GrantTable::end_access`]ed grants may be handed out again by later
/// calls to [`GrantTable::grant`]: the frontend never uses a reference after ending it.
pub trait GrantTable {
    /// Grants domain `domid` access to `page` (read-only when `readonly`), returning the
    /// reference to give the domain. The implementation translates the page's address to a
    /// machine frame. It may keep a handle to the page (a simulated backend does); see
    /// [`SharedPage`] for when the page may be touched.
    fn grant(
        &mut self,
        domid: DomId,
        page: &SharedPage,
        readonly: bool,
    ) -> Result<GrantRef, PlatformError>;

    /// Ends the grant behind `gref`. `Err(PlatformError::Busy)` when the remote domain still
    /// has the page mapped: the frontend then keeps the page alive for ever (leaks it) rather
    /// than free memory another domain can write.
    fn end_access(&mut self, gref: GrantRef) -> Result<(), PlatformError>;
}

/// Event channels.
pub trait EventChannel {
    /// Allocates a port that domain `remote` may bind to.
    fn alloc_unbound(&mut self, remote: DomId) -> Result<Port, PlatformError>;

    /// Sends an event through `port`.
    fn notify(&mut self, port: Port);

    /// Closes `port`.
    fn close(&mut self, port: Port);
}

/// A store operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The key does not exist (`ENOENT`).
    NotFound,
    /// The transaction conflicted and must be retried from its start (`EAGAIN`).
    Again,
    /// Waiting for a change took longer than the platform allows.
    Timeout,
    /// Any other error (carries an errno-like code).
    Other(i32),
}

/// A XenStore transaction id; `0` stands for "no transaction".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxnId(pub u32);

impl TxnId {
    /// Outside any transaction.
    pub const NONE: TxnId = TxnId(0);
}

/// A XenStore-like key/value store. Paths are as XenStore takes them: absolute
/// (`/local/domain/0/backend/vif/3/0/state`) or relative to the guest's own domain
/// directory (`device/vif/0/mac`).
pub trait Store {
    /// Reads a key.
    fn read(&mut self, txn: TxnId, path: &str) -> Result<String, StoreError>;

    /// Writes a key.
    fn write(&mut self, txn: TxnId, path: &str, value: &str) -> Result<(), StoreError>;

    /// Starts a transaction.
    fn transaction_start(&mut self) -> Result<TxnId, StoreError>;

    /// Ends a transaction, committing it when `commit`; `Err(StoreError::Again)` when it
    /// conflicted with another writer and must be redone.
    fn transaction_end(&mut self, txn: TxnId, commit: bool) -> Result<(), StoreError>;

    /// Blocks until `path` may have changed since this was last called for it (watch
    /// semantics: the first call may return at once, and spurious returns are allowed), or
    /// fails with [`StoreError::Timeout`] when the platform gives up waiting.
    fn wait_for_change(&mut self, path: &str) -> Result<(), StoreError>;
}
