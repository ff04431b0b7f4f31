//! Xen netif frontend (placeholder until the netfront issue lands).
#![no_std]
