//! Coded data out to the rest of finance: plain-text ledgers ([`ledger`]), one row per coded
//! journal line for BI tools ([`lines`]), and open payables for a treasury forecast
//! ([`payables`]).
//!
//! Exports only read the workspace. A file is written beside its target and renamed into place
//! once complete, so a nightly job that picks the file up never reads half of it.

pub mod ledger;
pub mod lines;
pub mod payables;

use crate::error::{AppError, ErrorCode};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

pub use ledger::LedgerFormat;
pub use lines::LinesFormat;
pub use payables::PayablesFormat;

/// Where an export goes: standard output, or a file replaced atomically when the export is done.
pub(crate) struct Output {
    target: Option<(PathBuf, PathBuf)>,
    writer: Box<dyn Write + Send>,
}

fn io_error(path: &Path, e: std::io::Error) -> AppError {
    AppError::new(ErrorCode::Io, format!("{}: {e}", path.display()))
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Output {
    /// A writer to `path` (through a temporary file beside it) or to standard output.
    pub(crate) fn open(path: Option<&Path>) -> Result<Output, AppError> {
        match path {
            None => Ok(Output {
                target: None,
                writer: Box::new(BufWriter::with_capacity(1 << 16, std::io::stdout())),
            }),
            Some(path) => {
                let name = path.file_name().ok_or_else(|| {
                    AppError::new(
                        ErrorCode::InvalidInput,
                        format!("--out {} is not a file name", path.display()),
                    )
                })?;
                let mut temp_name = std::ffi::OsString::from(".");
                temp_name.push(name);
                temp_name.push(".partial");
                let temp = path.with_file_name(temp_name);
                let file = File::create(&temp).map_err(|e| io_error(&temp, e))?;
                Ok(Output {
                    target: Some((temp, path.to_path_buf())),
                    writer: Box::new(BufWriter::with_capacity(1 << 16, file)),
                })
            }
        }
    }

    pub(crate) fn writer(&mut self) -> &mut (dyn Write + Send) {
        &mut self.writer
    }

    /// A write error, naming where the export was going.
    pub(crate) fn error(&self, e: std::io::Error) -> AppError {
        match &self.target {
            Some((_, path)) => io_error(path, e),
            None => AppError::new(ErrorCode::Io, format!("standard output: {e}")),
        }
    }

    /// Flushes, and moves a file into place.
    pub(crate) fn finish(mut self) -> Result<(), AppError> {
        self.writer.flush().map_err(|e| self.error(e))?;
        // Close the file before it is renamed.
        self.writer = Box::new(std::io::sink());
        if let Some((temp, path)) = self.target.take() {
            std::fs::rename(&temp, &path).map_err(|e| {
                let _ = std::fs::remove_file(&temp);
                io_error(&path, e)
            })?;
        }
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // An export that failed leaves no partial file behind (after `finish` it is gone).
        if let Some((temp, _)) = &self.target {
            let _ = std::fs::remove_file(temp);
        }
    }
}
