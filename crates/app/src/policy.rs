//! Approval policies: how many distinct controllers a journal needs, from `policies.toml` in the
//! workspace folder (a default when the file is absent).
//!
//! ```toml
//! # Every journal needs this many controllers at least.
//! default_approvers = 1
//!
//! [[rule]]
//! name = "two controllers above 50,000"
//! above = "50000"          # the journal's total, in the base currency, strictly above
//! approvers = 2
//!
//! [[rule]]
//! name = "legal fees"
//! vendor = "Kanzlei Berger"  # supplier name or VAT id (case and spacing ignored)
//! account = "4950"           # any line on this account
//! cost_centre = "CC-200"     # any line with this cost centre
//! currency = "USD"           # the journal's currency
//! approvers = 2
//! ```
//!
//! A rule applies when every condition it names holds; the journal needs the largest number of
//! approvers among the default and the rules that apply. Amounts compare the journal's total
//! (the sum of its debits) converted to the workspace's base currency with its exchange-rate
//! table; when no rate is known the amount is compared as it is, and the reason says so (a
//! threshold is never skipped for want of a rate). The file is checked when read: unknown keys,
//! malformed amounts or currencies, a rule without conditions, approvers outside 1..=5 — each
//! error names the line and the field.

use crate::error::{AppError, ErrorCode};
use folio_domain::{Currency, Document, Journal, Side};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

/// The policy file in the workspace folder.
pub const POLICY_FILE: &str = "policies.toml";

/// The policy used when the workspace has no `policies.toml`.
pub const DEFAULT_POLICY: &str = r#"# Folio's default approval policy (write policies.toml in the workspace to change it).
default_approvers = 1

[[rule]]
name = "two controllers above 50,000"
above = "50000"
approvers = 2
"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    default_approvers: Option<toml::Spanned<i64>>,
    #[serde(default)]
    rule: Vec<toml::Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: toml::Spanned<String>,
    above: Option<toml::Spanned<String>>,
    vendor: Option<String>,
    account: Option<String>,
    cost_centre: Option<String>,
    currency: Option<toml::Spanned<String>>,
    approvers: toml::Spanned<i64>,
}

/// One rule of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRule {
    pub name: String,
    pub above: Option<Decimal>,
    pub vendor: Option<String>,
    pub account: Option<String>,
    pub cost_centre: Option<String>,
    pub currency: Option<Currency>,
    pub approvers: u32,
}

/// A checked policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub default_approvers: u32,
    pub rules: Vec<PolicyRule>,
}

/// What a policy asks of one journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub approvers: u32,
    /// Which rule set the number (or "default"), and why it applies.
    pub reason: String,
}

/// What the policy looks at besides the journal.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    pub document: Option<&'a Document>,
    pub base_currency: Option<Currency>,
    /// `amount in base = amount × rate`, when known.
    pub rate_to_base: Option<Decimal>,
    pub cost_centre_dimension: &'a str,
}

fn line_of(text: &str, span: Range<usize>) -> usize {
    text[..span.start.min(text.len())].matches('\n').count() + 1
}

fn bad(file: &str, text: &str, span: Range<usize>, message: String) -> AppError {
    AppError::new(
        ErrorCode::InvalidInput,
        format!("{file} line {}: {message}", line_of(text, span)),
    )
}

fn approvers(file: &str, text: &str, v: &toml::Spanned<i64>, field: &str) -> Result<u32, AppError> {
    match u32::try_from(*v.get_ref()) {
        Ok(n @ 1..=5) => Ok(n),
        _ => Err(bad(
            file,
            text,
            v.span(),
            format!("{field} = {} must be between 1 and 5", v.get_ref()),
        )),
    }
}

impl Policy {
    /// Parses and checks policy text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Policy, AppError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s)).unwrap_or(1);
            AppError::new(
                ErrorCode::InvalidInput,
                format!("{file} line {line}: {}", e.message()),
            )
        })?;
        let default_approvers = match &raw.default_approvers {
            Some(v) => approvers(file, text, v, "default_approvers")?,
            None => 1,
        };
        let mut rules = Vec::new();
        for spanned in &raw.rule {
            let span = spanned.span();
            let r = spanned.get_ref();
            let name = r.name.get_ref().trim().to_owned();
            if name.is_empty() {
                return Err(bad(file, text, r.name.span(), "rule name is empty".into()));
            }
            let above = match &r.above {
                Some(a) => Some(
                    Decimal::from_str(a.get_ref().trim())
                        .ok()
                        .filter(|d| !d.is_sign_negative())
                        .ok_or_else(|| {
                            bad(
                                file,
                                text,
                                a.span(),
                                format!(
                                    "rule '{name}': above = \"{}\" is not a non-negative decimal \
                                     amount such as \"10000.00\"",
                                    a.get_ref()
                                ),
                            )
                        })?,
                ),
                None => None,
            };
            let currency = match &r.currency {
                Some(c) => Some(Currency::parse(c.get_ref().trim()).map_err(|e| {
                    bad(
                        file,
                        text,
                        c.span(),
                        format!("rule '{name}': currency: {e}"),
                    )
                })?),
                None => None,
            };
            let blank = |v: &Option<String>| v.as_deref().is_some_and(|s| s.trim().is_empty());
            if blank(&r.vendor) || blank(&r.account) || blank(&r.cost_centre) {
                return Err(bad(
                    file,
                    text,
                    span,
                    format!("rule '{name}': vendor, account and cost_centre must not be empty"),
                ));
            }
            if above.is_none()
                && r.vendor.is_none()
                && r.account.is_none()
                && r.cost_centre.is_none()
                && currency.is_none()
            {
                return Err(bad(
                    file,
                    text,
                    span,
                    format!(
                        "rule '{name}' has no condition: give above, vendor, account, cost_centre \
                         or currency (the default is default_approvers)"
                    ),
                ));
            }
            rules.push(PolicyRule {
                approvers: approvers(
                    file,
                    text,
                    &r.approvers,
                    &format!("rule '{name}': approvers"),
                )?,
                name,
                above,
                vendor: r.vendor.as_ref().map(|v| v.trim().to_owned()),
                account: r.account.as_ref().map(|v| v.trim().to_owned()),
                cost_centre: r.cost_centre.as_ref().map(|v| v.trim().to_owned()),
                currency,
            });
        }
        Ok(Policy {
            default_approvers,
            rules,
        })
    }

    /// The workspace's policy: `policies.toml` in `dir`, or [`DEFAULT_POLICY`].
    pub fn load(dir: &Path) -> Result<Policy, AppError> {
        let path = dir.join(POLICY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Policy::parse(&path.display().to_string(), &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Policy::parse("the default policy", DEFAULT_POLICY)
            }
            Err(e) => Err(AppError::new(
                ErrorCode::Io,
                format!("{}: {e}", path.display()),
            )),
        }
    }

    /// How many approvers `journal` needs, and why.
    pub fn requirement(&self, journal: &Journal, facts: &Facts<'_>) -> Requirement {
        let total: Decimal = journal
            .lines
            .iter()
            .filter(|l| l.side == Side::Debit)
            .map(|l| l.amount)
            .sum();
        let currency = journal.lines.first().map(|l| l.currency);
        let (compared, how) = match (facts.rate_to_base, facts.base_currency, currency) {
            (_, Some(base), Some(c)) if base == c => (total, format!("{total} {c}")),
            (Some(rate), Some(base), Some(c)) => {
                let converted = (total * rate).round_dp(2);
                (
                    converted,
                    format!("{total} {c} = {converted} {base} at {rate}"),
                )
            }
            (_, _, Some(c)) => (
                total,
                format!("{total} {c} (no exchange rate to the base currency: compared as it is)"),
            ),
            _ => (total, total.to_string()),
        };
        let mut best = Requirement {
            approvers: self.default_approvers,
            reason: format!(
                "the default policy: {} approver(s) for every journal",
                self.default_approvers
            ),
        };
        for rule in &self.rules {
            let mut why = Vec::new();
            if let Some(above) = rule.above {
                if compared <= above {
                    continue;
                }
                why.push(format!("its total {how} is above {above}"));
            }
            if let Some(c) = rule.currency {
                if currency != Some(c) {
                    continue;
                }
                why.push(format!("it is in {c}"));
            }
            if let Some(vendor) = &rule.vendor {
                let wanted = normalise(vendor);
                let matches = facts.document.is_some_and(|d| {
                    normalise(&d.supplier.name) == wanted
                        || d.supplier
                            .vat_id
                            .as_deref()
                            .is_some_and(|v| normalise(v) == wanted)
                });
                if !matches {
                    continue;
                }
                why.push(format!("the vendor is {vendor}"));
            }
            if let Some(account) = &rule.account {
                if !journal.lines.iter().any(|l| &l.account == account) {
                    continue;
                }
                why.push(format!("a line is on account {account}"));
            }
            if let Some(cc) = &rule.cost_centre {
                if !journal
                    .lines
                    .iter()
                    .any(|l| l.dimensions.get(facts.cost_centre_dimension) == Some(cc))
                {
                    continue;
                }
                why.push(format!("a line is on cost centre {cc}"));
            }
            if rule.approvers > best.approvers {
                best = Requirement {
                    approvers: rule.approvers,
                    reason: format!(
                        "rule '{}': {} approver(s) because {}",
                        rule.name,
                        rule.approvers,
                        why.join(" and ")
                    ),
                };
            }
        }
        best
    }
}

fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use folio_domain::{JournalLine, JournalStatus};

    fn journal(amount: &str, currency: &str, account: &str) -> Journal {
        let line = |side, account: &str| JournalLine {
            account: account.into(),
            description: String::new(),
            side,
            amount: amount.parse().unwrap(),
            currency: Currency::parse(currency).unwrap(),
            dimensions: Default::default(),
            tax_code: None,
            source: None,
        };
        Journal {
            date: chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            memo: String::new(),
            status: JournalStatus::Draft,
            lines: vec![line(Side::Debit, account), line(Side::Credit, "1600")],
        }
    }

    fn facts() -> Facts<'static> {
        Facts {
            base_currency: Currency::parse("EUR").ok(),
            cost_centre_dimension: "cost_centre",
            ..Facts::default()
        }
    }

    #[test]
    fn thresholds_and_conditions_pick_the_largest_count() {
        let policy = Policy::parse(
            "p.toml",
            "default_approvers = 1\n[[rule]]\nname = \"big\"\nabove = \"10000\"\napprovers = 2\n\
             [[rule]]\nname = \"huge\"\nabove = \"50000\"\napprovers = 3\n\
             [[rule]]\nname = \"legal\"\naccount = \"4950\"\napprovers = 2\n",
        )
        .unwrap();
        let cases = [
            ("10000.00", "4930", 1),
            ("10000.01", "4930", 2),
            ("50000.01", "4930", 3),
            ("100.00", "4950", 2),
        ];
        for (amount, account, want) in cases {
            let r = policy.requirement(&journal(amount, "EUR", account), &facts());
            assert_eq!(r.approvers, want, "{amount} on {account}: {}", r.reason);
        }
    }

    #[test]
    fn foreign_amounts_are_converted_or_compared_as_they_are() {
        let policy = Policy::parse("the default policy", DEFAULT_POLICY).unwrap();
        let jpy = journal("138550", "JPY", "4930");
        let with_rate = Facts {
            rate_to_base: Some("0.0062".parse().unwrap()),
            ..facts()
        };
        assert_eq!(policy.requirement(&jpy, &with_rate).approvers, 1);
        let without = policy.requirement(&jpy, &facts());
        assert_eq!(without.approvers, 2);
        assert!(
            without.reason.contains("no exchange rate"),
            "{}",
            without.reason
        );
    }

    #[test]
    fn mistakes_name_their_line_and_field() {
        let cases = [
            ("default_approvers = 0\n", "line 1", "default_approvers"),
            (
                "[[rule]]\nname = \"x\"\nabove = \"ten\"\napprovers = 2\n",
                "line 3",
                "above",
            ),
            (
                "[[rule]]\nname = \"x\"\napprovers = 2\n",
                "line 1",
                "no condition",
            ),
            (
                "[[rule]]\nname = \"x\"\ncurency = \"EUR\"\napprovers = 2\n",
                "line 3",
                "curency",
            ),
            (
                "\n[[rule]]\nname = \"x\"\ncurrency = \"EURO\"\napprovers = 2\n",
                "line 4",
                "currency",
            ),
        ];
        for (text, line, field) in cases {
            let e = Policy::parse("p.toml", text).unwrap_err();
            assert!(
                e.message.contains(line) && e.message.contains(field),
                "{text:?}: {}",
                e.message
            );
        }
    }
}
