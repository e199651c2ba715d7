//! Coding: which GL account, dimensions and tax code each document line goes to, and the AP
//! journal that follows from it.
//!
//! The journal builder is deliberately separate from *how* a coding was chosen: today the coding
//! comes from a fixed vendor table ([`fixed`]); rule packs and the learned suggester plug in
//! before the builder without changing it. Everything here is pure: no IO, no clock.

pub mod builder;
pub mod eval;
pub mod fixed;
pub mod history;
pub mod learn;

pub use builder::{BuildError, DocumentCoding, JournalAccounts, LineCoding, build_journal};
pub use fixed::{FixedCoding, VendorCoding};
