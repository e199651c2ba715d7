//! The workspace use cases: open or create one, list and show documents, build journal drafts.
//!
//! A [`Workspace`] is the one handle both the CLI and the desktop hold. It owns the store, knows who
//! is working (`actor`) and where time comes from (`clock`), and turns store and domain results into
//! the DTOs of [`crate::dto`]. It holds a SQLite connection, so it is `Send` but not `Sync`: the
//! desktop keeps it behind a mutex.

use crate::clock::{Clock, SystemClock};
use crate::coding::Sources;
use crate::dto::{
    DocumentDetail, DocumentSummary, InitReport, JournalLineView, JournalView, OriginalFileInfo,
    WorkspaceInfo,
};
use crate::error::{AppError, ErrorCode};
use crate::learning::ModelCache;
use crate::{demo, settings};
use folio_domain::{Journal, check_balanced, currency_totals};
use folio_store::{Change, DocumentId, DocumentRow, MasterData, Store, StoredJournal};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The workspace used when none is given: `<OS data dir>/folio/workspace` (on Linux
/// `~/.local/share/folio/workspace`). The CLI and the desktop both start from here.
pub fn default_workspace_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "Folio").map(|d| d.data_dir().join("workspace"))
}

/// Who is working and where time comes from.
#[derive(Debug, Clone)]
pub struct Context {
    pub actor: String,
    pub clock: Arc<dyn Clock>,
}

impl Context {
    /// The OS user (from `USER`/`USERNAME`) and the system clock.
    pub fn from_environment() -> Context {
        let actor = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".to_owned());
        Context {
            actor,
            clock: Arc::new(SystemClock),
        }
    }

    pub(crate) fn change(&self) -> Change {
        Change {
            actor: self.actor.clone(),
            at: self.clock.now(),
        }
    }
}

/// An open workspace.
#[derive(Debug)]
pub struct Workspace {
    pub(crate) store: Store,
    pub(crate) context: Context,
    path: PathBuf,
    /// The learned suggester, kept up to date as journals are approved ([`crate::learning`]).
    pub(crate) model_cache: ModelCache,
}

impl Workspace {
    /// Opens the workspace in `dir`, as the OS user with the system clock.
    pub fn open(dir: &Path) -> Result<Workspace, AppError> {
        Workspace::open_with(dir, Context::from_environment())
    }

    pub fn open_with(dir: &Path, context: Context) -> Result<Workspace, AppError> {
        let store = Store::open(dir)?;
        Ok(Workspace {
            store,
            context,
            path: dir.to_path_buf(),
            model_cache: ModelCache::default(),
        })
    }

    /// Creates a workspace in `dir` (the folder may exist but must not hold one already). With
    /// `demo`, it is filled with the demo chart of accounts, vendors and sample invoices, and a
    /// journal draft is built for each invoice.
    pub fn init(
        dir: &Path,
        demo: bool,
        context: Context,
    ) -> Result<(Workspace, InitReport), AppError> {
        crate::access::check_user_name(&context.actor)?;
        let mut store = Store::create(dir, context.clock.now())?;
        // Bootstrap: whoever creates the workspace is its first admin.
        store.add_user(
            &context.actor,
            crate::access::Role::Admin.as_str(),
            &context.change(),
        )?;
        let mut workspace = Workspace {
            store,
            context,
            path: dir.to_path_buf(),
            model_cache: ModelCache::default(),
        };
        let mut report = InitReport {
            path: dir.display().to_string(),
            demo,
            accounts: 0,
            cost_centres: 0,
            tax_codes: 0,
            vendors: 0,
            documents: 0,
            journals: 0,
        };
        if demo {
            let today = workspace.context.clock.now().date_naive();
            let data = demo::demo_master_data(today);
            let master = MasterData {
                accounts: data.accounts,
                dimensions: data.dimensions,
                tax_codes: data.tax_codes,
                vendors: data.vendors,
                periods: data.periods,
            };
            report.accounts = count(master.accounts.len());
            report.cost_centres = count(
                master
                    .dimensions
                    .iter()
                    .filter(|d| d.code == settings::COST_CENTRE)
                    .map(|d| d.values.len())
                    .sum(),
            );
            report.tax_codes = count(master.tax_codes.len());
            report.vendors = count(master.vendors.len());
            let change = workspace.context.change();
            workspace.store.save_master_data(&master, &change)?;
            settings::save_demo_settings(&mut workspace.store, &change)?;
            crate::rules::install_demo_coding(&mut workspace.store, &change, today)?;
            for (name, role) in demo::DEMO_USERS {
                if workspace.store.user(name)?.is_none() {
                    workspace.store.add_user(name, role.as_str(), &change)?;
                }
            }
            // The demo's invoices are imported and prepared by its clerk, so that its
            // controllers can approve them.
            let admin = std::mem::replace(&mut workspace.context.actor, demo::DEMO_CLERK.into());
            let result = (|| -> Result<(), AppError> {
                for file in demo::demo_invoices(today) {
                    let outcome = workspace.import_bytes(&file.file_name, &file.bytes)?;
                    if let Some(id) = outcome.document_id {
                        report.documents += 1;
                        workspace.journal_draft(&id)?;
                        report.journals += 1;
                    }
                }
                Ok(())
            })();
            workspace.context.actor = admin;
            result?;
        }
        Ok((workspace, report))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn context(&self) -> &Context {
        &self.context
    }

    pub fn info(&self) -> Result<WorkspaceInfo, AppError> {
        let master = self.store.master_data()?;
        Ok(WorkspaceInfo {
            path: self.path.display().to_string(),
            documents: self.store.document_count()?,
            accounts: count(master.accounts.len()),
            vendors: count(master.vendors.len()),
        })
    }

    /// Every document, newest import first.
    pub fn list_documents(&self) -> Result<Vec<DocumentSummary>, AppError> {
        Ok(self.store.list_documents()?.iter().map(summary).collect())
    }

    pub fn show_document(&self, id: &str) -> Result<DocumentDetail, AppError> {
        let id = parse_document_id(id)?;
        let stored = self.store.get_document(id)?.ok_or_else(|| not_found(id))?;
        Ok(DocumentDetail {
            summary: summary(&stored.row),
            document: stored.document,
            problems: stored.problems,
            original: OriginalFileInfo {
                file_name: stored.original.file_name,
                sha256: stored.original.sha256,
                media_type: stored.original.media_type,
                size: stored.original.size,
            },
            imported_at: stored.imported_at.to_rfc3339(),
            imported_by: stored.imported_by,
        })
    }

    /// The document's journal: the stored one if it is approved or later, otherwise a draft built
    /// afresh from the document and its current coding (persons, rules, history, fallbacks — see
    /// [`crate::coding`]) and saved (one state change, audited). Whoever saves a draft becomes
    /// one of its preparers; someone who may not code (a controller) sees the stored journal as
    /// it was prepared, never a rebuilt one.
    pub fn journal_draft(&mut self, id: &str) -> Result<JournalView, AppError> {
        let id = parse_document_id(id)?;
        self.journal_draft_using(id, None)
    }

    /// [`Workspace::journal_draft`], with the coding sources when the caller loaded them already
    /// (they are loaded here only when a draft is built).
    pub(crate) fn journal_draft_using(
        &mut self,
        id: DocumentId,
        sources: Option<&Sources>,
    ) -> Result<JournalView, AppError> {
        let existing = self.store.journal_for_document(id)?;
        if let Some(existing) = &existing
            && existing.journal.status.is_immutable()
        {
            return self.journal_view(id, existing, Vec::new());
        }
        if !self.may(crate::access::Permission::Code)? {
            return match existing {
                Some(existing) => self.journal_view(id, &existing, Vec::new()),
                None => {
                    self.store.get_document(id)?.ok_or_else(|| not_found(id))?;
                    Err(self
                        .require(crate::access::Permission::Code)
                        .err()
                        .unwrap_or_else(|| {
                            AppError::new(
                                ErrorCode::JournalNotBuildable,
                                format!("{id} has no journal yet"),
                            )
                        }))
                }
            };
        }
        match sources {
            Some(sources) => self.journal_draft_with(sources, id),
            None => {
                let sources = self.sources(self.rule_set_in_use()?)?;
                self.journal_draft_with(&sources, id)
            }
        }
    }

    /// Builds (or rebuilds) the journal draft of every document whose journal is not approved
    /// yet (clerks and admins). Returns how many were built and the documents that could not be,
    /// each with why.
    pub fn journal_drafts_for_all(&mut self) -> Result<(u32, Vec<(String, String)>), AppError> {
        self.require(crate::access::Permission::Code)?;
        let sources = self.sources(self.rule_set_in_use()?)?;
        let mut built = 0;
        let mut failed = Vec::new();
        for row in self.store.list_documents()?.into_iter().rev() {
            if row.journal_status.is_some_and(|s| s.is_immutable()) {
                continue;
            }
            match self.journal_draft_with(&sources, row.id) {
                Ok(_) => built += 1,
                Err(e) if e.code.is_workspace_error() => return Err(e),
                Err(e) => failed.push((row.id.to_string(), e.to_string())),
            }
        }
        Ok((built, failed))
    }

    /// [`Workspace::journal_draft`] with the coding sources loaded already.
    pub(crate) fn journal_draft_with(
        &mut self,
        sources: &Sources,
        id: DocumentId,
    ) -> Result<JournalView, AppError> {
        let existing = self.store.journal_for_document(id)?;
        if let Some(existing) = &existing
            && existing.journal.status.is_immutable()
        {
            return self.journal_view(id, existing, Vec::new());
        }
        let (journal, notes) = self.coded_journal(sources, id)?;
        let saved = match existing.filter(|existing| existing.journal == journal) {
            Some(existing) => existing,
            None => {
                self.store
                    .save_journal_draft(id, &journal, &self.context.change())?;
                self.store.journal_for_document(id)?.ok_or_else(|| {
                    AppError::new(
                        ErrorCode::Storage,
                        format!("the journal of {id} was not saved"),
                    )
                })?
            }
        };
        self.journal_view(id, &saved, notes)
    }

    pub(crate) fn journal_view(
        &self,
        id: DocumentId,
        stored: &StoredJournal,
        notes: Vec<folio_domain::Problem>,
    ) -> Result<JournalView, AppError> {
        let master = self.store.master_data()?;
        let names: BTreeMap<&str, &str> = master
            .accounts
            .iter()
            .map(|a| (a.code.as_str(), a.name.as_str()))
            .collect();
        Ok(view_of(id, stored, &stored.journal, &names, notes))
    }
}

fn view_of(
    id: DocumentId,
    stored: &StoredJournal,
    journal: &Journal,
    names: &BTreeMap<&str, &str>,
    notes: Vec<folio_domain::Problem>,
) -> JournalView {
    let mut problems = check_balanced(journal);
    let balanced = problems.is_empty();
    problems.extend(notes);
    JournalView {
        document_id: id.to_string(),
        journal_id: stored.id.to_string(),
        version: stored.version,
        status: journal.status,
        date: journal.date.to_string(),
        memo: journal.memo.clone(),
        lines: journal
            .lines
            .iter()
            .map(|l| JournalLineView {
                account: l.account.clone(),
                account_name: names.get(l.account.as_str()).map(|n| (*n).to_owned()),
                description: l.description.clone(),
                side: l.side,
                amount: l.amount.to_string(),
                currency: l.currency,
                dimensions: l.dimensions.clone(),
                tax_code: l.tax_code.clone(),
                source: l.source.clone(),
            })
            .collect(),
        totals: currency_totals(journal).unwrap_or_default(),
        balanced,
        problems,
    }
}

pub(crate) fn parse_document_id(text: &str) -> Result<DocumentId, AppError> {
    text.parse::<DocumentId>().map_err(|_| {
        AppError::new(
            ErrorCode::InvalidInput,
            format!("'{text}' is not a document id (expected DOC-12 or 12)"),
        )
    })
}

pub(crate) fn not_found(id: DocumentId) -> AppError {
    AppError::new(
        ErrorCode::DocumentNotFound,
        format!("there is no document {id} in this workspace"),
    )
}

pub(crate) fn summary(row: &DocumentRow) -> DocumentSummary {
    DocumentSummary {
        id: row.id.to_string(),
        number: row.number.clone(),
        doc_type: row.doc_type.as_str().to_owned(),
        syntax: row.syntax.as_str().to_owned(),
        supplier_name: row.supplier_name.clone(),
        issue_date: row.issue_date.to_string(),
        due_date: row.due_date.map(|d| d.to_string()),
        currency: row.currency,
        payable_amount: row.payable.to_string(),
        lines: row.line_count,
        problem_count: row.problem_count,
        journal_status: row.journal_status,
    }
}

pub(crate) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
