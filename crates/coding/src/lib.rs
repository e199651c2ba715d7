//! Coding: which GL account, dimensions and tax code each document line goes to, and the AP
//! journal that follows from it.
//!
//! The journal builder is deliberately separate from *how* a coding was chosen. Four sources
//! propose values, and [`suggest`] decides per field (account, each dimension, tax code) with a
//! fixed precedence: a person's correction beats a rule ([`rules`]), a rule beats the learned
//! suggester ([`learn`]), and the model only fills blanks before the last resort, the vendor's
//! default account from the master data ([`fixed`]). Every value keeps its source, confidence and
//! explanation. Everything here is pure: no IO, no clock.

pub mod builder;
pub mod eval;
pub mod fixed;
pub mod history;
pub mod learn;
pub mod rules;
pub mod split;
pub mod suggest;

pub use builder::{
    AppliedRate, BuildError, DocumentCoding, ExchangeRate, JournalAccounts, LineCoding, RateSource,
    build_journal, exchange_rate,
};
pub use fixed::{FixedCoding, VendorCoding};
