//! Generic reading of an invoice's text without a template: values found next to the labels that
//! invoices use in English, German, Dutch, French, Spanish, Italian and Polish.
//!
//! Text extracted from a PDF comes one fragment per line, and a value may stand after its label
//! on the same line (`Invoice No: 42`), on the next line, or — since PDF writers emit fragments in
//! drawing order — on the line *before* the label. All three are tried, in that order, and the
//! confidence says which it was. Totals take the largest amount found next to a total label
//! (sub-totals are smaller than the grand total).

use super::values::{self, DateOrder, DecimalSeparator, ReadDate};
use super::{Found, confidence};
use rust_decimal::Decimal;

/// Invoice number labels (lower case).
const NUMBER_LABELS: &[&str] = &[
    "invoice number",
    "invoice no",
    "invoice #",
    "invoice nr",
    "rechnungsnummer",
    "rechnungsnr",
    "rechnung nr",
    "factuurnummer",
    "factuur nr",
    "facture n°",
    "facture no",
    "numéro de facture",
    "n° de facture",
    "faktura nr",
    "factura n",
    "fattura n",
    "bill no",
    "receipt no",
];

/// Issue date labels.
const DATE_LABELS: &[&str] = &[
    "invoice date",
    "date of issue",
    "issue date",
    "rechnungsdatum",
    "factuurdatum",
    "factuur datum",
    "date de facture",
    "date de facturation",
    "data wystawienia",
    "fecha de factura",
    "data fattura",
    "belegdatum",
    "datum",
    "date",
];

/// Due date labels.
const DUE_LABELS: &[&str] = &[
    "due date",
    "payment due",
    "fälligkeitsdatum",
    "fällig am",
    "zahlungsziel",
    "vervaldatum",
    "date limite de paiement",
    "date d'échéance",
    "échéance",
    "termin płatności",
    "fecha de vencimiento",
    "scadenza",
];

/// Grand total labels.
const TOTAL_LABELS: &[&str] = &[
    "grand total",
    "total amount due",
    "amount due",
    "balance due",
    "total due",
    "invoice total",
    "total",
    "gesamtbetrag",
    "rechnungsbetrag",
    "endbetrag",
    "totaal",
    "factuur totaal",
    "total ttc",
    "montant ttc",
    "net à payer",
    "somme à payer",
    "należność ogółem",
    "do zapłaty",
    "importe total",
    "totale",
];

/// Net (without VAT) labels.
const NET_LABELS: &[&str] = &[
    "subtotal",
    "sub-total",
    "total before tax",
    "total excl",
    "net amount",
    "total net",
    "nettobetrag",
    "netto",
    "zwischensumme",
    "exclusief btw",
    "excl. btw",
    "total ht",
    "montant ht",
    "wartość netto",
    "base imponible",
    "imponibile",
];

/// VAT amount labels.
const VAT_LABELS: &[&str] = &[
    "vat",
    "tax",
    "gst",
    "mwst",
    "ust",
    "umsatzsteuer",
    "btw",
    "tva",
    "montant tva",
    "kwota vat",
    "iva",
];

/// Legal forms that mark a company name.
const LEGAL_FORMS: &[&str] = &[
    "GmbH",
    "AG",
    "B.V.",
    "BV",
    "N.V.",
    "Inc",
    "Inc.",
    "Ltd",
    "Ltd.",
    "Limited",
    "LLC",
    "LLP",
    "SAS",
    "SARL",
    "Sarl",
    "S.A.",
    "SA",
    "S.p.A.",
    "S.r.l.",
    "Sp. z o.o.",
    "Pvt",
    "Oy",
    "AB",
    "A/S",
    "plc",
    "KG",
    "e.K.",
    "UG",
];

/// Where a labelled value was found, from most to least trustworthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    SameLine,
    NextLine,
    PreviousLine,
    /// Next to a label in a run of alternating labels and values (see [`labelled`]).
    Alternating,
}

impl Place {
    fn confidence(self) -> u8 {
        match self {
            Place::SameLine => confidence::LABEL_SAME_LINE,
            Place::NextLine => confidence::LABEL_NEXT_LINE,
            Place::PreviousLine => confidence::LABEL_PREVIOUS_LINE,
            Place::Alternating => confidence::GUESS + 10,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Place::SameLine => "after",
            Place::NextLine => "on the line after",
            Place::PreviousLine => "on the line before",
            Place::Alternating => {
                "next to (labels and values alternate, so it may belong to the neighbouring label)"
            }
        }
    }
}

/// The first of `labels` the line contains (case-insensitive, as a whole word: `tax` does not
/// match `taxi`), and the rest of the line after it.
fn label_in(line: &str, labels: &[&'static str]) -> Option<(&'static str, String)> {
    let lower = line.to_lowercase();
    labels.iter().find_map(|label| {
        let at = lower.find(label)?;
        let end = at + label.len();
        let before_ok = lower[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphabetic());
        let after_ok = lower[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphabetic());
        if !(before_ok && after_ok) {
            return None;
        }
        // Lower-casing keeps byte offsets for nearly all text; where it does not, the rest is
        // taken from the lower-cased line.
        let rest = if lower.len() == line.len() {
            line.get(end..).unwrap_or_default()
        } else {
            &lower[end..]
        };
        Some((*label, rest.to_owned()))
    })
}

/// Values next to a label, in the order same line, next line, previous line, each read by
/// `read`; every reading is returned so callers can choose (e.g. the largest total).
fn labelled<T>(
    lines: &[&str],
    labels: &[&'static str],
    except: &[&'static str],
    read: impl Fn(&str) -> Option<T>,
) -> Vec<(T, Place, &'static str)> {
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if label_in(line, except).is_some() {
            continue;
        }
        let Some((label, rest)) = label_in(line, labels) else {
            continue;
        };
        let rest = rest.trim_start_matches([':', ' ', '#', '.', '°', '\u{a0}']);
        let next = joined(lines, i + 1);
        let previous = i.checked_sub(1).map(|p| joined_back(lines, p));
        let candidates = [
            (Some(rest.to_owned()), Place::SameLine),
            (next, Place::NextLine),
            (previous, Place::PreviousLine),
        ];
        for (text, place) in candidates {
            if let Some(value) = text.filter(|t| !t.is_empty()).and_then(|t| read(&t)) {
                // Labels ending in ':' on every other line (`993548900`, `Factuurnummer:`,
                // `6669263`, `Klantnummer:`): the text does not say whether values follow or
                // precede their labels, so a value off the label's line is uncertain.
                let alternating = place != Place::SameLine
                    && line.trim_end().ends_with(':')
                    && (lines
                        .get(i + 2)
                        .is_some_and(|l| l.trim_end().ends_with(':'))
                        || i.checked_sub(2)
                            .and_then(|p| lines.get(p))
                            .is_some_and(|l| l.trim_end().ends_with(':')));
                let place = if alternating {
                    Place::Alternating
                } else {
                    place
                };
                found.push((value, place, label));
                break;
            }
        }
    }
    found
}

/// True for a line that is only a currency mark or code (`€`, `EUR`), which PDF writers often
/// emit as a fragment of its own beside the amount.
fn currency_only(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty()
        && (t.chars().all(|c| "€$£₹".contains(c)) || values::CODES.contains(&t) || t == "Rs")
}

/// The line at `i`, joined with the one after it when it is only a currency mark.
fn joined(lines: &[&str], i: usize) -> Option<String> {
    let line = lines.get(i)?;
    match lines.get(i + 1) {
        Some(next) if currency_only(line) => Some(format!("{line} {next}")),
        _ => Some((*line).to_owned()),
    }
}

/// The line at `i`, joined with the one before it when that is only a currency mark.
fn joined_back(lines: &[&str], i: usize) -> String {
    let line = lines.get(i).copied().unwrap_or_default();
    match i.checked_sub(1).and_then(|p| lines.get(p)) {
        Some(before) if currency_only(before) => format!("{before} {line}"),
        _ => line.to_owned(),
    }
}

/// An invoice number: a token with a digit, 3 to 40 characters, not a date or a plain amount.
fn number_token(text: &str) -> Option<String> {
    let token = text
        .trim()
        .trim_start_matches(['#', ':', ' '])
        .split_whitespace()
        .next()?
        .trim_end_matches([',', ';']);
    let has_digit = token.chars().any(|c| c.is_ascii_digit());
    let is_date = values::parse_date(token, DateOrder::DayMonth).is_some();
    let is_amount = token.contains([',', '.'])
        && values::parse_amount(token, None).is_some()
        && !token.chars().any(|c| c.is_alphabetic());
    (has_digit && (3..=40).contains(&token.chars().count()) && !is_date && !is_amount)
        .then(|| token.to_owned())
}

/// An amount that fills the text (a line that is just the amount, with its currency) and looks
/// like money (decimals or a currency), not a bare number such as a tax id.
fn amount_token(text: &str, separator: Option<DecimalSeparator>) -> Option<Decimal> {
    let text = without_rate(text);
    if !values::looks_like_money(text) {
        return None;
    }
    values::parse_amount(text, separator)
}

/// The text after a leading VAT rate (`19% 19,00 EUR`, `(20 %) 9,34`), or the text itself.
fn without_rate(text: &str) -> &str {
    let t = text.trim_start().trim_start_matches('(');
    let digits = t
        .char_indices()
        .take_while(|(_, c)| c.is_ascii_digit() || matches!(c, '.' | ','))
        .last()
        .map(|(i, c)| i + c.len_utf8());
    match digits {
        Some(end) if end > 0 => {
            let after = t[end..].trim_start();
            match after.strip_prefix('%') {
                Some(rest) => rest.trim_start_matches([')', ' ', ':']),
                None => text,
            }
        }
        _ => text,
    }
}

pub(super) fn number(lines: &[&str]) -> Option<Found<String>> {
    let labelled = labelled(lines, NUMBER_LABELS, &[], number_token)
        .into_iter()
        .next()
        .map(|(value, place, label)| {
            Found::new(
                value,
                place.confidence(),
                format!("{} the label '{label}'", place.describe()),
            )
        });
    labelled.or_else(|| {
        // `# 2024-17` near the top, the way many invoice generators print the number.
        lines.iter().take(15).enumerate().find_map(|(i, line)| {
            let rest = line.trim().strip_prefix('#')?;
            let value = number_token(rest).or_else(|| {
                let token = rest.trim();
                (!token.is_empty() && !token.contains(' ') && token.len() <= 40)
                    .then(|| token.to_owned())
            })?;
            Some(Found::new(
                value,
                confidence::GUESS + 10,
                format!("the '#' number on line {}, no number label", i + 1),
            ))
        })
    })
}

fn date(
    lines: &[&str],
    labels: &[&'static str],
    except: &[&'static str],
    order: DateOrder,
) -> Option<Found<ReadDate>> {
    let (value, place, label) = labelled(lines, labels, except, |t| values::parse_date(t, order))
        .into_iter()
        .next()?;
    Some(Found::new(
        value,
        place.confidence(),
        format!("{} the label '{label}'", place.describe()),
    ))
}

pub(super) fn issue_date(lines: &[&str], order: DateOrder) -> Option<Found<ReadDate>> {
    date(lines, DATE_LABELS, DUE_LABELS, order).or_else(|| {
        let (i, value) = lines
            .iter()
            .enumerate()
            .find_map(|(i, l)| values::parse_date(l, order).map(|d| (i, d)))?;
        Some(Found::new(
            value,
            confidence::GUESS,
            format!("the first date in the text (line {}), no date label", i + 1),
        ))
    })
}

pub(super) fn due_date(lines: &[&str], order: DateOrder) -> Option<Found<ReadDate>> {
    date(lines, DUE_LABELS, &[], order)
}

/// The largest amount next to one of `labels` (for totals), or the first (for net and VAT).
fn amount(
    lines: &[&str],
    labels: &[&'static str],
    except: &[&'static str],
    separator: Option<DecimalSeparator>,
    largest: bool,
) -> Option<Found<Decimal>> {
    let found = labelled(lines, labels, except, |t| amount_token(t, separator));
    let best = if largest {
        found.into_iter().max_by(|a, b| a.0.abs().cmp(&b.0.abs()))
    } else {
        found.into_iter().next()
    }?;
    let (value, place, label) = best;
    Some(Found::new(
        value,
        place.confidence(),
        format!("{} the label '{label}'", place.describe()),
    ))
}

pub(super) fn total(lines: &[&str], sep: Option<DecimalSeparator>) -> Option<Found<Decimal>> {
    amount(lines, TOTAL_LABELS, &[], sep, true)
}

pub(super) fn net(lines: &[&str], sep: Option<DecimalSeparator>) -> Option<Found<Decimal>> {
    amount(lines, NET_LABELS, &[], sep, false)
}

pub(super) fn vat(lines: &[&str], sep: Option<DecimalSeparator>) -> Option<Found<Decimal>> {
    amount(lines, VAT_LABELS, NET_LABELS, sep, false)
}

/// The company name that ends in a legal form inside a line: up to five capitalised words before
/// the form (`… sold by Amazon Web Services, Inc.` → `Amazon Web Services, Inc.`).
fn company_in(line: &str) -> Option<String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let form_at = words.iter().position(|w| {
        let bare = w.trim_end_matches([',', ':', ';']);
        LEGAL_FORMS.contains(&bare) || LEGAL_FORMS.contains(&bare.trim_end_matches('.'))
    })?;
    let mut start = form_at;
    while start > 0 && form_at - start < 5 {
        let w = words[start - 1];
        let capitalised = w
            .chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
        if !capitalised || w.ends_with(':') {
            break;
        }
        start -= 1;
    }
    if start == form_at {
        return None;
    }
    // `Pvt. Ltd`, `GmbH & Co. KG`: the legal form may take several words.
    let mut end = form_at;
    while let Some(w) = words.get(end + 1) {
        let bare = w.trim_end_matches([',', ':', ';']);
        if LEGAL_FORMS.contains(&bare)
            || LEGAL_FORMS.contains(&bare.trim_end_matches('.'))
            || matches!(bare, "&" | "Co." | "Co")
        {
            end += 1;
        } else {
            break;
        }
    }
    let name = words[start..=end].join(" ");
    Some(name.trim_end_matches([',', ':', ';']).trim().to_owned())
}

/// The supplier: the company named with a legal form that the text repeats most (letterhead,
/// footer, bank details), the earliest on a tie; else the first short line.
pub(super) fn supplier(lines: &[&str]) -> Option<Found<String>> {
    let text = lines.join("\n");
    let mut candidates: Vec<(String, usize, usize)> = Vec::new();
    for (i, line) in lines.iter().enumerate().take(60) {
        if let Some(name) = company_in(line)
            && !candidates.iter().any(|(n, _, _)| *n == name)
        {
            let count = text.matches(name.as_str()).count();
            candidates.push((name, count, i));
        }
    }
    let best = candidates
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)));
    match best {
        Some((name, count, i)) => Some(Found::new(
            name,
            confidence::SUPPLIER_LEGAL_FORM,
            format!(
                "a company name with its legal form, first on line {}, {count} time(s) in the text",
                i + 1
            ),
        )),
        None => lines.iter().find(|l| l.chars().count() <= 60).map(|line| {
            Found::new(
                (*line).to_owned(),
                confidence::GUESS_WEAK,
                "the first short line of the text".to_owned(),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn labels_match_whole_words_only() {
        assert!(label_in("Tax 0.00", VAT_LABELS).is_some());
        assert!(label_in("Taxi ride", VAT_LABELS).is_none());
        assert_eq!(
            label_in("Invoice Number: 42", NUMBER_LABELS),
            Some(("invoice number", ": 42".to_owned()))
        );
    }

    #[test]
    fn values_after_below_or_above_their_label() {
        let lines = [
            "ACME Supplies Ltd",
            "Invoice No: INV-77",
            "993548900",
            "Factuurnummer:",
            "Total",
            "€ 1.234,50",
            "Subtotal 1.000,00",
            "VAT",
            "234,50",
        ];
        assert_eq!(number(&lines).map(|f| f.value), Some("INV-77".to_owned()));
        assert_eq!(
            number(&lines[2..]).map(|f| f.value),
            Some("993548900".to_owned())
        );
        assert_eq!(total(&lines, None).map(|f| f.value), Some(dec!(1234.50)));
        assert_eq!(net(&lines, None).map(|f| f.value), Some(dec!(1000.00)));
        assert_eq!(vat(&lines, None).map(|f| f.value), Some(dec!(234.50)));
        assert_eq!(
            supplier(&lines).map(|f| f.value),
            Some("ACME Supplies Ltd".to_owned())
        );
    }

    #[test]
    fn a_rate_before_the_amount_is_skipped() {
        assert_eq!(without_rate("19% 19,00 EUR"), "19,00 EUR");
        assert_eq!(without_rate("(20 %) : 9,34"), "9,34");
        assert_eq!(without_rate("9,34"), "9,34");
        assert_eq!(amount_token("19% 19,00 EUR", None), Some(dec!(19.00)));
    }

    #[test]
    fn alternating_labels_lower_the_confidence() {
        let lines = ["993548900", "Factuurnummer:", "6669263", "Klantnummer:"];
        let found = number(&lines).expect("a number");
        assert!(found.confidence < confidence::THRESHOLD, "{found:?}");
        let lines = ["Totaal", "€", "717,97"];
        assert_eq!(total(&lines, None).map(|f| f.value), Some(dec!(717.97)));
    }

    #[test]
    fn company_names_end_in_their_legal_form() {
        for (line, expected) in [
            (
                "All AWS Services are sold by Amazon Web Services, Inc.",
                Some("Amazon Web Services, Inc."),
            ),
            (
                "QualityHosting AG - Uferweg 40-42",
                Some("QualityHosting AG"),
            ),
            (
                "Sold By : WS Retail Services Pvt. Ltd :",
                Some("WS Retail Services Pvt. Ltd"),
            ),
            ("Sarl au capital de 10 000€", None),
            ("no company here", None),
        ] {
            assert_eq!(company_in(line).as_deref(), expected, "{line}");
        }
    }

    #[test]
    fn numbers_are_not_dates_or_amounts() {
        for (text, expected) in [
            ("# INV-2024-001", Some("INV-2024-001")),
            ("12.03.2024", None),
            ("1.234,56", None),
            ("ab", None),
            ("42183017", Some("42183017")),
        ] {
            assert_eq!(number_token(text).as_deref(), expected, "{text}");
        }
    }
}
