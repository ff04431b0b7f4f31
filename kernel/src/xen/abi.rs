//! Xen's public x86_64 PV interface: hypercall numbers, constants and the `#[repr(C)]`
//! structures the guest shares with Xen, with their sizes checked at compile time
//! (from xen/include/public/{xen.h,sched.h,event_channel.h,vcpu.h,io/console.h,arch-x86/}).

/// `__HYPERVISOR_set_trap_table`.
pub const HYPERVISOR_SET_TRAP_TABLE: usize = 0;
/// `__HYPERVISOR_mmu_update`.
pub const HYPERVISOR_MMU_UPDATE: usize = 1;
/// `__HYPERVISOR_update_va_mapping`.
pub const HYPERVISOR_UPDATE_VA_MAPPING: usize = 14;
/// `__HYPERVISOR_set_timer_op`.
pub const HYPERVISOR_SET_TIMER_OP: usize = 15;
/// `__HYPERVISOR_xen_version`.
pub const HYPERVISOR_XEN_VERSION: usize = 17;
/// `__HYPERVISOR_sched_op`.
pub const HYPERVISOR_SCHED_OP: usize = 29;
/// `__HYPERVISOR_event_channel_op`.
pub const HYPERVISOR_EVENT_CHANNEL_OP: usize = 32;

/// `SCHEDOP_yield`.
pub const SCHEDOP_YIELD: u64 = 0;
/// `SCHEDOP_shutdown`.
pub const SCHEDOP_SHUTDOWN: u64 = 2;
/// `SCHEDOP_poll`.
pub const SCHEDOP_POLL: u64 = 3;

/// `SHUTDOWN_poweroff`.
pub const SHUTDOWN_POWEROFF: u32 = 0;
/// `SHUTDOWN_crash`.
pub const SHUTDOWN_CRASH: u32 = 3;

/// `EVTCHNOP_bind_virq`.
pub const EVTCHNOP_BIND_VIRQ: u64 = 1;
/// `EVTCHNOP_send`.
pub const EVTCHNOP_SEND: u64 = 4;
/// `EVTCHNOP_unmask`.
pub const EVTCHNOP_UNMASK: u64 = 9;
/// `VIRQ_TIMER`: the one-shot timer of `set_timer_op`.
pub const VIRQ_TIMER: u32 = 0;

/// `XENVER_version`: returns `major << 16 | minor`.
pub const XENVER_VERSION: u64 = 0;

/// `MMU_NORMAL_PT_UPDATE`: `ptr` is the machine address of a page-table entry.
pub const MMU_NORMAL_PT_UPDATE: u64 = 0;
/// `UVMF_INVLPG`: flush the TLB entry of the updated address.
pub const UVMF_INVLPG: u64 = 2;
/// `DOMID_SELF`.
pub const DOMID_SELF: u64 = 0x7ff0;

/// `FLAT_KERNEL_CS` (x86_64): the code selector of a PV kernel (ring 3).
pub const FLAT_KERNEL_CS: u16 = 0xe033;
/// Virtual address of Xen's read-only machine-to-physical table in a 64-bit PV guest.
pub const MACH2PHYS_VIRT_START: u64 = 0xffff_8000_0000_0000;

/// Page-table entry: present.
pub const PTE_PRESENT: u64 = 1 << 0;
/// Page-table entry: writable.
pub const PTE_WRITABLE: u64 = 1 << 1;
/// Page-table entry: accessed.
pub const PTE_ACCESSED: u64 = 1 << 5;
/// Page-table entry: dirty.
pub const PTE_DIRTY: u64 = 1 << 6;
/// Page-table entry: the frame-number bits.
pub const PTE_ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;
/// Page-table entry: the flag bits kept when copying an entry's protection.
pub const PTE_FLAGS_MASK: u64 = 0xfff;

/// `struct start_info` (xen.h), given to the guest in `%rsi` at entry.
#[repr(C)]
pub struct StartInfo {
    /// `"xen-3.0-x86_64"`.
    pub magic: [u8; 32],
    /// Pages the domain has.
    pub nr_pages: u64,
    /// Machine address of the shared info page.
    pub shared_info: u64,
    /// `SIF_*` flags.
    pub flags: u32,
    /// Machine frame of the XenStore ring.
    pub store_mfn: u64,
    /// Event channel of the XenStore ring.
    pub store_evtchn: u32,
    /// Machine frame of the console ring.
    pub console_mfn: u64,
    /// Event channel of the console ring.
    pub console_evtchn: u32,
    /// Virtual address of the bootstrap top-level page table.
    pub pt_base: u64,
    /// Number of bootstrap page-table frames.
    pub nr_pt_frames: u64,
    /// Virtual address of the PFN-to-MFN list.
    pub mfn_list: u64,
    /// Virtual address of the boot module (ramdisk), if any.
    pub mod_start: u64,
    /// Size of the boot module.
    pub mod_len: u64,
    /// The command line (xl `extra=`), NUL-terminated.
    pub cmd_line: [u8; 1024],
    /// First PFN of the P2M table, if mapped separately.
    pub first_p2m_pfn: u64,
    /// Frames of the separate P2M table.
    pub nr_p2m_frames: u64,
}
const _: () = assert!(core::mem::size_of::<StartInfo>() == 1168);
const _: () = assert!(core::mem::offset_of!(StartInfo, store_mfn) == 56);
const _: () = assert!(core::mem::offset_of!(StartInfo, cmd_line) == 128);

/// `struct vcpu_time_info`: the per-vCPU clock parameters in shared info.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct VcpuTimeInfo {
    /// Odd while Xen updates the record.
    pub version: u32,
    /// Padding.
    pub pad0: u32,
    /// TSC at the last update.
    pub tsc_timestamp: u64,
    /// System time (ns since boot) at the last update.
    pub system_time: u64,
    /// TSC-to-ns multiplier (32.32 fixed point).
    pub tsc_to_system_mul: u32,
    /// TSC shift applied before the multiplication.
    pub tsc_shift: i8,
    /// `XEN_PVCLOCK_*` flags.
    pub flags: u8,
    /// Padding.
    pub pad1: [u8; 2],
}
const _: () = assert!(core::mem::size_of::<VcpuTimeInfo>() == 32);

/// `struct vcpu_info` (x86_64).
#[repr(C)]
pub struct VcpuInfo {
    /// Set by Xen when an event is pending for this vCPU.
    pub evtchn_upcall_pending: u8,
    /// Non-zero masks event upcalls.
    pub evtchn_upcall_mask: u8,
    /// Selector of the pending words.
    pub evtchn_pending_sel: u64,
    /// `arch_vcpu_info.cr2`: the faulting address of the last page fault.
    pub cr2: u64,
    /// `arch_vcpu_info.pad`.
    pub arch_pad: u64,
    /// The clock.
    pub time: VcpuTimeInfo,
}
const _: () = assert!(core::mem::size_of::<VcpuInfo>() == 64);

/// `struct shared_info` (x86_64), up to the wall clock.
#[repr(C)]
pub struct SharedInfo {
    /// Per-vCPU state (`XEN_LEGACY_MAX_VCPUS` = 32).
    pub vcpu_info: [VcpuInfo; 32],
    /// Pending bit per event channel.
    pub evtchn_pending: [u64; 64],
    /// Mask bit per event channel.
    pub evtchn_mask: [u64; 64],
    /// Wall clock version.
    pub wc_version: u32,
    /// Wall clock seconds at system time 0.
    pub wc_sec: u32,
    /// Wall clock nanoseconds at system time 0.
    pub wc_nsec: u32,
}
const _: () = assert!(core::mem::offset_of!(SharedInfo, evtchn_pending) == 2048);
const _: () = assert!(core::mem::offset_of!(SharedInfo, evtchn_mask) == 2560);
const _: () = assert!(core::mem::offset_of!(SharedInfo, wc_version) == 3072);

/// `struct xencons_interface` (io/console.h).
#[repr(C)]
pub struct ConsoleInterface {
    /// Input ring (dom0 to guest).
    pub input: [u8; 1024],
    /// Output ring (guest to dom0).
    pub output: [u8; 2048],
    /// Input consumer index.
    pub in_cons: u32,
    /// Input producer index.
    pub in_prod: u32,
    /// Output consumer index (advanced by xenconsoled).
    pub out_cons: u32,
    /// Output producer index (advanced by the guest).
    pub out_prod: u32,
}
const _: () = assert!(core::mem::offset_of!(ConsoleInterface, out_cons) == 3080);

/// `struct trap_info`: one entry of the virtual IDT given to `set_trap_table`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TrapInfo {
    /// Exception vector.
    pub vector: u8,
    /// Bits 0-1: the privilege level allowed to raise it with `int`.
    pub flags: u8,
    /// Code selector of the handler.
    pub cs: u16,
    /// Handler address; 0 terminates the table.
    pub address: u64,
}
const _: () = assert!(core::mem::size_of::<TrapInfo>() == 16);

/// `struct mmu_update`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct MmuUpdate {
    /// Machine address of the entry, ORed with the command (`MMU_NORMAL_PT_UPDATE`).
    pub ptr: u64,
    /// The new entry.
    pub val: u64,
}
const _: () = assert!(core::mem::size_of::<MmuUpdate>() == 16);

/// `struct sched_poll`.
#[repr(C)]
pub struct SchedPoll {
    /// Guest handle of the port array.
    pub ports: *const u32,
    /// Number of ports.
    pub nr_ports: u32,
    /// Absolute system time to give up at, 0 for none.
    pub timeout: u64,
}
const _: () = assert!(core::mem::size_of::<SchedPoll>() == 24);

/// `struct evtchn_bind_virq`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct EvtchnBindVirq {
    /// The virtual IRQ.
    pub virq: u32,
    /// The vCPU to bind it to.
    pub vcpu: u32,
    /// Out: the port.
    pub port: u32,
}
const _: () = assert!(core::mem::size_of::<EvtchnBindVirq>() == 12);

/// `struct evtchn_send` / `struct evtchn_unmask`: one port.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct EvtchnPort {
    /// The port.
    pub port: u32,
}

impl StartInfo {
    /// The command line up to its NUL; empty if it is not UTF-8.
    pub fn cmdline(&self) -> &str {
        let len = self
            .cmd_line
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.cmd_line.len());
        core::str::from_utf8(&self.cmd_line[..len]).unwrap_or("")
    }

    /// Whether `magic` is the x86_64 PV start-of-day magic.
    pub fn magic_ok(&self) -> bool {
        self.magic.starts_with(b"xen-3.0-x86_64")
    }
}

/// `__HYPERVISOR_grant_table_op`.
pub const HYPERVISOR_GRANT_TABLE_OP: usize = 20;
/// `GNTTABOP_setup_table`.
pub const GNTTABOP_SETUP_TABLE: u64 = 2;
/// `GTF_permit_access`: the grantee may map or copy the frame.
pub const GTF_PERMIT_ACCESS: u16 = 1;
/// `GTF_readonly`: read-only access.
pub const GTF_READONLY: u16 = 1 << 2;
/// `GTF_reading`: the grantee is reading the frame.
pub const GTF_READING: u16 = 1 << 3;
/// `GTF_writing`: the grantee is writing the frame.
pub const GTF_WRITING: u16 = 1 << 4;
/// `GNTTAB_NR_RESERVED_ENTRIES`: references the toolstack uses (console, xenstore).
pub const GNTTAB_NR_RESERVED_ENTRIES: u32 = 8;
/// `EVTCHNOP_close`.
pub const EVTCHNOP_CLOSE: u64 = 3;
/// `EVTCHNOP_alloc_unbound`.
pub const EVTCHNOP_ALLOC_UNBOUND: u64 = 6;
/// `SHUTDOWN_reboot`.
pub const SHUTDOWN_REBOOT: u32 = 1;

/// `struct grant_entry_v1`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct GrantEntryV1 {
    /// `GTF_*` flags; written last when granting.
    pub flags: u16,
    /// The domain being granted access.
    pub domid: u16,
    /// The machine frame granted.
    pub frame: u32,
}
const _: () = assert!(core::mem::size_of::<GrantEntryV1>() == 8);

/// `struct gnttab_setup_table`.
#[repr(C)]
pub struct GnttabSetupTable {
    /// `DOMID_SELF`.
    pub dom: u16,
    /// Frames wanted.
    pub nr_frames: u32,
    /// Out: `GNTST_*` status.
    pub status: i16,
    /// Guest handle of the array receiving the frames' MFNs.
    pub frame_list: *mut u64,
}
const _: () = assert!(core::mem::size_of::<GnttabSetupTable>() == 24);
const _: () = assert!(core::mem::offset_of!(GnttabSetupTable, frame_list) == 16);

/// `struct evtchn_alloc_unbound`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct EvtchnAllocUnbound {
    /// `DOMID_SELF`.
    pub dom: u16,
    /// The domain that may bind the port.
    pub remote_dom: u16,
    /// Out: the port.
    pub port: u32,
}
const _: () = assert!(core::mem::size_of::<EvtchnAllocUnbound>() == 8);

/// `struct xenstore_domain_interface` (io/xs_wire.h).
#[repr(C)]
pub struct XenstoreInterface {
    /// Requests (guest to xenstored).
    pub req: [u8; 1024],
    /// Replies and watch events (xenstored to guest).
    pub rsp: [u8; 1024],
    /// Request consumer index (xenstored).
    pub req_cons: u32,
    /// Request producer index (guest).
    pub req_prod: u32,
    /// Response consumer index (guest).
    pub rsp_cons: u32,
    /// Response producer index (xenstored).
    pub rsp_prod: u32,
}
const _: () = assert!(core::mem::offset_of!(XenstoreInterface, req_cons) == 2048);
const _: () = assert!(core::mem::offset_of!(XenstoreInterface, rsp_prod) == 2060);
