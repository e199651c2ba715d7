//! Whether a rule's conditions hold for one line of a document.
//!
//! All conditions of a rule must hold; within one condition, any of the listed values will do
//! (`currency = ["EUR", "CHF"]`). Texts are compared the way a person would: VAT ids without
//! spaces or punctuation, names and references without case, description words as whole words
//! (so `"tee"` does not match "Kaffee").

use folio_domain::{Currency, DocType, Document, VatCategory};
use regex::Regex;
use rust_decimal::Decimal;

/// A VAT id without spaces and punctuation, in upper case: `de 273 846 515` → `DE273846515`.
pub fn normalise_vat_id(vat_id: &str) -> String {
    vat_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// A name without case, spaces and punctuation: `Müller & Söhne KG` → `müllersöhnekg`.
pub fn normalise_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The lower-case words of a text (letters and digits; everything else separates).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A condition on a reference (buyer reference BT-10, order reference BT-13).
#[derive(Debug, Clone, Default)]
pub(crate) struct ReferenceCondition {
    /// Lower case, trimmed.
    pub equals: Vec<String>,
    /// Lower case, trimmed.
    pub prefix: Vec<String>,
    pub regex: Option<Regex>,
}

impl ReferenceCondition {
    fn holds(&self, reference: Option<&str>) -> bool {
        let Some(raw) = reference.map(str::trim).filter(|r| !r.is_empty()) else {
            return false;
        };
        let lower = raw.to_lowercase();
        (self.equals.is_empty() || self.equals.contains(&lower))
            && (self.prefix.is_empty() || self.prefix.iter().any(|p| lower.starts_with(p)))
            && self.regex.as_ref().is_none_or(|r| r.is_match(raw))
    }
}

/// The checked conditions of a rule. Empty lists and `None` mean "any".
#[derive(Debug, Clone, Default)]
pub(crate) struct Conditions {
    pub supplier_vat_ids: Vec<String>,
    pub supplier_names: Vec<String>,
    pub supplier_name_regex: Option<Regex>,
    pub description_regex: Option<Regex>,
    /// Each entry is a phrase of one or more words that must appear in this order.
    pub description_words: Vec<Vec<String>>,
    pub amount_min: Option<Decimal>,
    pub amount_max: Option<Decimal>,
    pub currencies: Vec<Currency>,
    pub vat_categories: Vec<VatCategory>,
    pub vat_rates: Vec<Decimal>,
    pub buyer_reference: Option<ReferenceCondition>,
    pub order_reference: Option<ReferenceCondition>,
    pub countries: Vec<String>,
    pub doc_type: Option<DocType>,
}

/// What the conditions look at for one line (or for the header of a document without lines).
#[derive(Debug, Clone)]
pub(crate) struct LineFacts {
    pub description: String,
    pub words: Vec<String>,
    /// The line's net amount (BT-131) as the document states it.
    pub amount: Decimal,
    pub vat_category: Option<VatCategory>,
    pub vat_rate: Option<Decimal>,
}

impl LineFacts {
    /// The facts of every line, or of the header (net total, the one VAT group if there is only
    /// one) when the document has no lines.
    pub fn of(document: &Document) -> Vec<LineFacts> {
        if document.lines.is_empty() {
            let single = (document.vat_breakdown.len() == 1).then(|| &document.vat_breakdown[0]);
            let description = document.notes.join(" ");
            return vec![LineFacts {
                words: words(&description),
                description,
                amount: document.totals.tax_exclusive,
                vat_category: single.map(|g| g.category),
                vat_rate: single.and_then(|g| g.rate),
            }];
        }
        document
            .lines
            .iter()
            .map(|line| {
                let description = line.text();
                LineFacts {
                    words: words(&description),
                    description,
                    amount: line.net_amount,
                    vat_category: Some(line.vat_category),
                    vat_rate: line.vat_rate,
                }
            })
            .collect()
    }
}

fn contains_phrase(words: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && words.windows(phrase.len()).any(|w| w == phrase)
}

impl Conditions {
    /// Whether every condition holds for `line` of `document`.
    pub fn hold(&self, document: &Document, line: &LineFacts) -> bool {
        let supplier = &document.supplier;
        let vat_id = supplier.vat_id.as_deref().map(normalise_vat_id);
        (self.supplier_vat_ids.is_empty()
            || vat_id
                .as_ref()
                .is_some_and(|v| self.supplier_vat_ids.contains(v)))
            && (self.supplier_names.is_empty()
                || self
                    .supplier_names
                    .contains(&normalise_name(&supplier.name)))
            && self
                .supplier_name_regex
                .as_ref()
                .is_none_or(|r| r.is_match(&supplier.name))
            && self
                .description_regex
                .as_ref()
                .is_none_or(|r| r.is_match(&line.description))
            && (self.description_words.is_empty()
                || self
                    .description_words
                    .iter()
                    .any(|p| contains_phrase(&line.words, p)))
            && self.amount_min.is_none_or(|min| line.amount >= min)
            && self.amount_max.is_none_or(|max| line.amount <= max)
            && (self.currencies.is_empty() || self.currencies.contains(&document.currency))
            && (self.vat_categories.is_empty()
                || line
                    .vat_category
                    .is_some_and(|c| self.vat_categories.contains(&c)))
            && (self.vat_rates.is_empty()
                || self
                    .vat_rates
                    .contains(&line.vat_rate.unwrap_or(Decimal::ZERO)))
            && self
                .buyer_reference
                .as_ref()
                .is_none_or(|c| c.holds(document.references.buyer_reference.as_deref()))
            && self
                .order_reference
                .as_ref()
                .is_none_or(|c| c.holds(document.references.order.as_deref()))
            && (self.countries.is_empty()
                || supplier
                    .address
                    .country_code
                    .as_ref()
                    .is_some_and(|c| self.countries.contains(c)))
            && self.doc_type.is_none_or(|t| t == document.doc_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_whole_words_in_order() {
        let text = words("Kaffeebohnen Espresso, 1 kg — Tee grün");
        let cases = [
            ("espresso", true),
            ("ESPRESSO", true),
            ("tee grün", true),
            ("grün tee", false),
            ("kaffee", false),
            ("1 kg", true),
        ];
        for (phrase, expected) in cases {
            assert_eq!(contains_phrase(&text, &words(phrase)), expected, "{phrase}");
        }
    }

    #[test]
    fn references_compare_without_case_and_need_a_value() {
        let c = ReferenceCondition {
            equals: vec![],
            prefix: vec!["cc-300".into()],
            regex: None,
        };
        assert!(c.holds(Some("CC-300/Weber")));
        assert!(!c.holds(Some("CC-100/Weber")));
        assert!(!c.holds(None));
        assert!(!c.holds(Some("  ")));
    }
}
