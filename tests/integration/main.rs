//! Folio's cross-crate integration tests, in one binary (faster to build and link than many).

mod approvals;
mod cli_import;
mod coding;
mod crash;
mod export;
mod gl_business_central;
mod gl_contract;
mod gl_fava;
mod gl_hledger_web;
mod gl_keychain;
mod gl_ledger_file;
mod gl_pull;
mod gl_quickbooks;
mod gl_resolve;
mod gl_sync;
mod gl_tryton;
mod gl_xero;
mod import_review;
