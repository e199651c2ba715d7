//! Beancount account names for Folio's chart of accounts, and back.
//!
//! A beancount account is `Root:Component…` with a root fixed by the account's kind and
//! components of letters, digits and dashes. Folio names each account `Root:CODE-Name`
//! (`Expenses:4930-Office-supplies`): the code first, so that the name can be read back into the
//! code Folio's journals use, and the name after it, so that a person reading the ledger or Fava
//! sees what the account is.

use crate::GlError;
use folio_domain::{Account, AccountKind, Journal, check_balanced};
use std::collections::BTreeMap;

/// The beancount root of an account kind.
pub fn root(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Asset => "Assets",
        AccountKind::Liability => "Liabilities",
        AccountKind::Equity => "Equity",
        AccountKind::Income => "Income",
        AccountKind::Expense => "Expenses",
    }
}

fn kind_of_root(root: &str) -> Option<AccountKind> {
    [
        AccountKind::Asset,
        AccountKind::Liability,
        AccountKind::Equity,
        AccountKind::Income,
        AccountKind::Expense,
    ]
    .into_iter()
    .find(|k| self::root(*k) == root)
}

/// `text` as beancount account-name characters: German letters transliterated, every other
/// character outside `[A-Za-z0-9]` a dash, runs of dashes collapsed, none at either end.
fn component(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let piece = match c {
            'ä' => "ae",
            'ö' => "oe",
            'ü' => "ue",
            'Ä' => "Ae",
            'Ö' => "Oe",
            'Ü' => "Ue",
            'ß' => "ss",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "-",
        };
        if piece == "-" && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push_str(piece);
    }
    out.trim_end_matches('-').to_owned()
}

/// The beancount name of `account`: `Expenses:4930-Office-supplies`.
pub fn account_name(account: &Account) -> String {
    let code = component(&account.code);
    let name = component(&account.name);
    let mut first = if name.is_empty() {
        code
    } else {
        format!("{code}-{name}")
    };
    // A component must start with a capital letter or a digit.
    if !first.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        first.insert(0, 'X');
    }
    format!("{}:{first}", root(account.kind))
}

/// Whether two account names are the same once written as beancount names (which keep only
/// letters, digits and dashes): "Utilities (gas, water)" and "Utilities gas water" are.
pub fn same_name(a: &str, b: &str) -> bool {
    component(a).eq_ignore_ascii_case(&component(b))
}

/// Reads a beancount account name back into an account: the code is the first component up to
/// its first dash, the rest of the components are the name. `None` for a root Folio does not know.
pub fn parse_account_name(name: &str) -> Option<Account> {
    let (root, rest) = name.split_once(':')?;
    let kind = kind_of_root(root)?;
    let (code, title) = match rest.split_once('-') {
        Some((code, title)) if !code.contains(':') => (code, title.replace(['-', ':'], " ")),
        _ => (rest, String::new()),
    };
    Some(Account {
        code: code.to_owned(),
        name: title,
        kind,
        postable: true,
        active: true,
    })
}

/// Account codes to beancount names and back, for one chart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chart {
    by_code: BTreeMap<String, String>,
}

impl Chart {
    /// The chart of the postable, active `accounts`.
    pub fn new(accounts: &[Account]) -> Chart {
        Chart {
            by_code: accounts
                .iter()
                .filter(|a| a.postable && a.active)
                .map(|a| (a.code.clone(), account_name(a)))
                .collect(),
        }
    }

    /// The beancount name of the account with `code`, if the chart has it.
    pub fn name(&self, code: &str) -> Option<&str> {
        self.by_code.get(code).map(String::as_str)
    }

    /// The name of `code`, or the code itself when the chart does not have it (only for text
    /// that is checked before it is written).
    pub fn name_or_code(&self, code: &str) -> String {
        self.name(code).unwrap_or(code).to_owned()
    }

    /// Whether `journal` can be written with this chart: it balances ([`check_balanced`]) and
    /// every account is in the chart. The refusal names the line and field.
    pub fn check(&self, journal: &Journal) -> Result<(), GlError> {
        if let Some(problem) = check_balanced(journal).into_iter().next() {
            return Err(GlError::permanent(problem.message, Some(problem.field)));
        }
        match journal
            .lines
            .iter()
            .enumerate()
            .find(|(_, l)| self.name(&l.account).is_none())
        {
            Some((i, line)) => Err(GlError::permanent(
                format!(
                    "line {} posts to account {}, which the GL does not have open",
                    i + 1,
                    line.account
                ),
                Some(format!("lines[{i}].account")),
            )),
            None => Ok(()),
        }
    }

    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(code: &str, name: &str, kind: AccountKind) -> Account {
        Account {
            code: code.into(),
            name: name.into(),
            kind,
            postable: true,
            active: true,
        }
    }

    #[test]
    fn names_are_valid_beancount_and_read_back() {
        let cases = [
            (
                account("4930", "Office supplies", AccountKind::Expense),
                "Expenses:4930-Office-supplies",
                "Office supplies",
            ),
            (
                account(
                    "4240",
                    "Utilities (gas, electricity, water)",
                    AccountKind::Expense,
                ),
                "Expenses:4240-Utilities-gas-electricity-water",
                "Utilities gas electricity water",
            ),
            (
                account("1600", "Verbindlichkeiten aus LuL", AccountKind::Liability),
                "Liabilities:1600-Verbindlichkeiten-aus-LuL",
                "Verbindlichkeiten aus LuL",
            ),
            (
                account(
                    "1576",
                    "Abziehbare Vorsteuer 19 % (Büro)",
                    AccountKind::Asset,
                ),
                "Assets:1576-Abziehbare-Vorsteuer-19-Buero",
                "Abziehbare Vorsteuer 19 Buero",
            ),
            (account("x1", "", AccountKind::Income), "Income:Xx1", ""),
        ];
        for (account, name, title) in cases {
            assert_eq!(account_name(&account), name);
            let back = parse_account_name(name).unwrap();
            assert_eq!(back.kind, account.kind, "{name}");
            assert_eq!(back.name, title, "{name}");
            if account.code.starts_with(|c: char| c.is_ascii_digit()) {
                assert_eq!(back.code, account.code);
            }
        }
        assert_eq!(parse_account_name("Unknown:1-X"), None);
        assert!(same_name("Utilities (gas, water)", "Utilities gas water"));
        assert!(same_name("Büro", "Buero"));
        assert!(!same_name("Office", "Office supplies"));
        assert_eq!(parse_account_name("Expenses"), None);
    }

    #[test]
    fn chart_leaves_out_headings_and_retired_accounts() {
        let mut heading = account("4000", "Operating expenses", AccountKind::Expense);
        heading.postable = false;
        let mut retired = account("4940", "Books", AccountKind::Expense);
        retired.active = false;
        let chart = Chart::new(&[
            heading,
            retired,
            account("4930", "Office", AccountKind::Expense),
        ]);
        assert_eq!(chart.len(), 1);
        assert_eq!(chart.name("4930"), Some("Expenses:4930-Office"));
        assert_eq!(chart.name("4000"), None);
        assert_eq!(chart.name_or_code("4940"), "4940");
    }
}
