//! Grant tables, version 1: the table's frames are set up with `GNTTABOP_setup_table` and
//! mapped over page-aligned pages of the image; granting writes an entry (frame and domain
//! first, then the flags), ending access clears the flags unless the grantee is using the
//! frame. References are reused once ended.

use super::abi::*;
use super::grant_refs::RefAllocator;
use super::hypercall::{check, hypercall, Errno};
use super::mm;
use core::ptr::{addr_of_mut, write_volatile};
use core::sync::atomic::{fence, AtomicU16, Ordering};

/// Frames of the grant table (512 v1 entries each).
pub const FRAMES: usize = 4;
const ENTRIES: usize = FRAMES * 4096 / core::mem::size_of::<GrantEntryV1>();

#[repr(C, align(4096))]
struct Table([GrantEntryV1; ENTRIES]);

/// The pages remapped onto the grant table frames.
static mut TABLE: Table = Table(
    [GrantEntryV1 {
        flags: 0,
        domid: 0,
        frame: 0,
    }; ENTRIES],
);

/// The grant table (there is one per domain: create it once).
pub struct GrantTable {
    table: *mut GrantEntryV1,
    refs: RefAllocator,
}

/// Why the grant table could not be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantError {
    /// A hypercall failed.
    Xen(Errno),
    /// `setup_table` reported a `GNTST_*` status.
    Status(i16),
}

impl GrantTable {
    /// Sets up `FRAMES` frames of the table and maps them.
    pub fn setup() -> Result<GrantTable, GrantError> {
        let mut frames = [0u64; FRAMES];
        let mut op = GnttabSetupTable {
            dom: DOMID_SELF as u16,
            nr_frames: FRAMES as u32,
            status: 0,
            frame_list: frames.as_mut_ptr(),
        };
        // SAFETY: `op` and the frame list it points to live across the call.
        check(unsafe {
            hypercall(
                HYPERVISOR_GRANT_TABLE_OP,
                GNTTABOP_SETUP_TABLE,
                &mut op as *mut GnttabSetupTable as u64,
                1,
                0,
                0,
            )
        })
        .map_err(GrantError::Xen)?;
        if op.status != 0 {
            return Err(GrantError::Status(op.status));
        }
        let base = addr_of_mut!(TABLE) as u64;
        for (i, &mfn) in frames.iter().enumerate() {
            let pte = (mfn << 12) | PTE_PRESENT | PTE_WRITABLE | PTE_ACCESSED | PTE_DIRTY;
            // SAFETY: remaps one page of the page-aligned static TABLE, which is only ever
            // accessed through this module after the remap, onto a grant-table frame Xen
            // gave this domain.
            check(unsafe {
                hypercall(
                    HYPERVISOR_UPDATE_VA_MAPPING,
                    base + i as u64 * 4096,
                    pte,
                    UVMF_INVLPG,
                    0,
                    0,
                )
            })
            .map_err(GrantError::Xen)?;
        }
        Ok(GrantTable {
            table: base as *mut GrantEntryV1,
            refs: RefAllocator::new(GNTTAB_NR_RESERVED_ENTRIES, ENTRIES as u32),
        })
    }

    fn flags(&self, r: u32) -> &AtomicU16 {
        debug_assert!((r as usize) < ENTRIES);
        // SAFETY: `r` < ENTRIES (references come from the allocator bounded by ENTRIES); the
        // flags word is 2-byte aligned at the start of the 8-byte entry; Xen updates it with
        // atomic operations too.
        unsafe { AtomicU16::from_ptr(addr_of_mut!((*self.table.add(r as usize)).flags)) }
    }

    /// Grants `domid` access to machine frame `mfn`; returns the reference.
    pub fn grant_frame(&mut self, domid: u16, mfn: u64, readonly: bool) -> Option<u32> {
        let frame = u32::try_from(mfn).ok()?;
        let r = self.refs.alloc()?;
        // SAFETY: entry `r` is free (not granted), so the grantee cannot use it; frame and
        // domain are written before the flags make the entry valid.
        unsafe {
            let e = self.table.add(r as usize);
            write_volatile(addr_of_mut!((*e).domid), domid);
            write_volatile(addr_of_mut!((*e).frame), frame);
        }
        fence(Ordering::Release);
        let flags = GTF_PERMIT_ACCESS | if readonly { GTF_READONLY } else { 0 };
        self.flags(r).store(flags, Ordering::SeqCst);
        Some(r)
    }

    /// Ends the grant `r`: `false` (the grant stays) when the grantee is still reading or
    /// writing the frame.
    pub fn end_frame(&mut self, r: u32) -> bool {
        if r as usize >= ENTRIES {
            return false;
        }
        let flags = self.flags(r);
        let mut cur = flags.load(Ordering::SeqCst);
        loop {
            if cur & (GTF_READING | GTF_WRITING) != 0 {
                return false;
            }
            match flags.compare_exchange(cur, 0, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
        self.refs.free(r);
        true
    }

    /// References in use.
    pub fn in_use(&self) -> u32 {
        self.refs.in_use()
    }
}

impl netfront::GrantTable for GrantTable {
    fn grant(
        &mut self,
        domid: netfront::DomId,
        page: &netfront::SharedPage,
        readonly: bool,
    ) -> Result<netfront::GrantRef, netfront::PlatformError> {
        // Every frame is mapped at pfn_to_va(pfn).
        let pfn = crate::mm::va_to_pfn(page.addr() as u64);
        let mfn = mm::pfn_to_mfn(pfn).ok_or(netfront::PlatformError::Failed(-22))?;
        self.grant_frame(domid, mfn, readonly)
            .ok_or(netfront::PlatformError::Exhausted)
    }

    fn end_access(&mut self, gref: netfront::GrantRef) -> Result<(), netfront::PlatformError> {
        if self.end_frame(gref) {
            Ok(())
        } else {
            Err(netfront::PlatformError::Busy)
        }
    }
}
