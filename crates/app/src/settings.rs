//! Workspace settings the journal builder needs: which accounts take the payable, rounding
//! differences and uncoded lines. They live in the workspace (not in a config file) so that every
//! reviewer of a workspace books the same way, and each change is audited like any other.

use crate::demo;
use crate::error::{AppError, ErrorCode};
use folio_domain::Problem;
use folio_store::{Change, Store};

/// The dimension code of cost centres.
pub const COST_CENTRE: &str = demo::COST_CENTRE;

/// The demo chart's accounts payable, rounding differences and "to be coded" accounts, and the
/// cost centre of lines nobody has coded yet.
pub const DEMO_PAYABLE_ACCOUNT: &str = "1600";
pub const DEMO_ROUNDING_ACCOUNT: &str = "4990";
pub const DEMO_DEFAULT_EXPENSE_ACCOUNT: &str = "4900";
pub const DEMO_DEFAULT_COST_CENTRE: &str = "CC-100";

const PAYABLE: &str = "accounts.payable";
const ROUNDING: &str = "accounts.rounding";
const DEFAULT_EXPENSE: &str = "accounts.default_expense";
const DEFAULT_COST_CENTRE: &str = "dimensions.default_cost_centre";

/// The accounts the journal builder posts to besides the coded ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub payable_account: String,
    pub rounding_account: String,
    pub default_expense_account: String,
    pub default_cost_centre: Option<String>,
}

/// Reads the settings; a missing one is a problem that names the setting.
pub fn load(store: &Store) -> Result<Settings, AppError> {
    let mut missing = Vec::new();
    let mut get = |key: &str| -> Result<String, AppError> {
        let value = store.setting(key)?;
        if value.is_none() {
            missing.push(Problem::error(
                "SETTING_MISSING",
                key,
                format!("the workspace setting '{key}' is not set"),
            ));
        }
        Ok(value.unwrap_or_default())
    };
    let payable_account = get(PAYABLE)?;
    let rounding_account = get(ROUNDING)?;
    let default_expense_account = get(DEFAULT_EXPENSE)?;
    if !missing.is_empty() {
        return Err(AppError::new(
            ErrorCode::JournalNotBuildable,
            "the workspace lacks the accounts a journal needs",
        )
        .with_problems(missing));
    }
    Ok(Settings {
        payable_account,
        rounding_account,
        default_expense_account,
        default_cost_centre: store.setting(DEFAULT_COST_CENTRE)?,
    })
}

/// The demo chart's accounts, saved in one audited change.
pub fn save_demo_settings(store: &mut Store, change: &Change) -> Result<(), AppError> {
    let pairs = [
        (PAYABLE, DEMO_PAYABLE_ACCOUNT),
        (ROUNDING, DEMO_ROUNDING_ACCOUNT),
        (DEFAULT_EXPENSE, DEMO_DEFAULT_EXPENSE_ACCOUNT),
        (DEFAULT_COST_CENTRE, DEMO_DEFAULT_COST_CENTRE),
    ];
    store.save_settings(&pairs, change)?;
    Ok(())
}
