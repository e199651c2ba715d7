//! Plain PDF invoices (no embedded e-invoice): the text is extracted with lopdf and read with a
//! vendor template ([`template`], `rules/templates/*.toml`) when one matches, and with generic
//! label heuristics ([`heuristics`]) for whatever the template does not give.
//!
//! Why lopdf's `extract_text` and not the `pdf-extract` crate: on the invoice2data PDFs both
//! expose the same values (30 of 31 expected invoice numbers and amounts appear in either text), but
//! `pdf-extract` glues neighbouring fragments (`993548900Factuurnummer:`) where lopdf keeps one
//! fragment per line, which is what label/value reading needs, and lopdf is already Folio's PDF
//! parser (one parser, one set of limits, no second lopdf version in the build).
//!
//! Every field carries a confidence (0–100) saying how it was found: a template's expression
//! (95), a value after its label on the same line (85), on the next line (80) or the line before
//! (70), a derived amount (total − VAT: 75), a guess (the first date in the text: 50). When net +
//! VAT = total exactly, the three amounts confirm each other and rise to 95. A field below 80
//! becomes a `LOW_CONFIDENCE_FIELD` warning naming the field, the value, the confidence and how it
//! was found, which the exceptions queue shows a reviewer; nothing is invented: without an
//! invoice number, an issue date, a currency and a total the PDF is refused with a reason.
//!
//! The result is a header-only document ([`crate::header`]), as the CII MINIMUM profile gives.

pub mod heuristics;
pub mod template;
pub mod values;

use crate::{Imported, Rejection, codes};
use folio_domain::{Currency, Document, Problem, Severity, Syntax};
use rust_decimal::Decimal;
pub use template::{Template, TemplateError, Templates};
use values::{DateOrder, ReadDate};

/// Confidence levels, in percent.
pub mod confidence {
    /// Read by a template's expression.
    pub const TEMPLATE: u8 = 95;
    /// Net + VAT = total exactly.
    pub const CONFIRMED: u8 = 95;
    /// The value follows its label on the same line.
    pub const LABEL_SAME_LINE: u8 = 85;
    /// An ISO currency code in the text.
    pub const CURRENCY_CODE: u8 = 90;
    /// The value is on the line after its label.
    pub const LABEL_NEXT_LINE: u8 = 80;
    /// A currency symbol that stands for one currency (€, £, ₹).
    pub const CURRENCY_SYMBOL: u8 = 85;
    /// Computed from two other amounts.
    pub const DERIVED: u8 = 75;
    /// The value is on the line before its label.
    pub const LABEL_PREVIOUS_LINE: u8 = 70;
    /// A template's default (its `currency`), when the text names none.
    pub const TEMPLATE_DEFAULT: u8 = 80;
    /// `$`, which several currencies use.
    pub const DOLLAR_SIGN: u8 = 65;
    /// A company name found by its legal form.
    pub const SUPPLIER_LEGAL_FORM: u8 = 55;
    /// The first plausible value without a label.
    pub const GUESS: u8 = 50;
    /// The first line of the text.
    pub const GUESS_WEAK: u8 = 30;
    /// Below this, a field is reported as `LOW_CONFIDENCE_FIELD`.
    pub const THRESHOLD: u8 = 80;
}

/// A value found in the text, how sure Folio is of it and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<T> {
    pub value: T,
    /// 0–100.
    pub confidence: u8,
    /// How it was found, for the reviewer: "after the label 'Invoice No'".
    pub how: String,
}

impl<T> Found<T> {
    pub fn new(value: T, confidence: u8, how: String) -> Found<T> {
        Found {
            value,
            confidence,
            how,
        }
    }
}

/// Everything read from one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The template that matched, if any (its file name).
    pub template: Option<String>,
    /// The template says whether numeric dates are day-month or month-day.
    pub template_states_date_order: bool,
    pub supplier: Found<String>,
    pub supplier_vat_id: Option<String>,
    pub number: Option<Found<String>>,
    pub issue_date: Option<Found<ReadDate>>,
    pub due_date: Option<Found<ReadDate>>,
    pub currency: Option<Found<Currency>>,
    pub net: Option<Found<Decimal>>,
    pub vat: Option<Found<Decimal>>,
    pub total: Option<Found<Decimal>>,
    pub credit_note: bool,
}

/// The text as the readers see it: one fragment per line, trimmed, without empty lines.
pub fn normalise(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn template_value<T>(
    template: Option<&Template>,
    field: template::Field,
    text: &str,
    read: impl Fn(&str) -> Option<T>,
) -> Option<Found<T>> {
    let t = template?;
    let captured = t.capture(field, text)?;
    let value = read(&captured)?;
    Some(Found::new(
        value,
        confidence::TEMPLATE,
        format!("by template {}", t.name),
    ))
}

/// Reads the fields of an invoice's text (already [`normalise`]d or not).
pub fn extract(raw_text: &str, templates: &Templates) -> Extracted {
    use template::Field;
    let text = normalise(raw_text);
    let lines: Vec<&str> = text.lines().collect();
    let template = templates.find(&text);
    let sep = template.and_then(|t| t.decimal_separator);
    let order = template.map_or(DateOrder::DayMonth, |t| t.date_order);
    let amount = |s: &str| values::parse_amount(s, sep);
    let date = |s: &str| values::parse_date(s, order);
    let number_value = |s: &str| {
        let v = s.split_whitespace().collect::<Vec<_>>().join(" ");
        Some(v).filter(|v| !v.is_empty())
    };

    let supplier = template_value(template, Field::Supplier, &text, number_value)
        .or_else(|| {
            template.map(|t| {
                Found::new(
                    t.issuer.clone(),
                    confidence::TEMPLATE,
                    format!("the issuer of template {}", t.name),
                )
            })
        })
        .or_else(|| heuristics::supplier(&lines))
        .unwrap_or_else(|| Found::new(String::new(), 0, "nothing".to_owned()));
    let number = template_value(template, Field::Number, &text, number_value)
        .or_else(|| heuristics::number(&lines));
    let issue_date = template_value(template, Field::IssueDate, &text, date)
        .or_else(|| heuristics::issue_date(&lines, order));
    let due_date = template_value(template, Field::DueDate, &text, date)
        .or_else(|| heuristics::due_date(&lines, order));
    let in_text = values::currencies_in(&text);
    let from_text = |codes: bool| {
        let candidates: Vec<_> = in_text.iter().filter(|c| c.2 != codes).collect();
        let (currency, count, is_symbol) = **candidates.first()?;
        let conf = match (is_symbol, currency.code()) {
            (false, _) => confidence::CURRENCY_CODE,
            (true, "USD") => confidence::DOLLAR_SIGN,
            (true, _) => confidence::CURRENCY_SYMBOL,
        };
        let others = in_text.iter().filter(|c| c.0 != currency).count();
        Some(Found::new(
            currency,
            if others > 0 {
                conf.min(confidence::GUESS)
            } else {
                conf
            },
            format!(
                "its {} appears {count} time(s) in the text{}",
                if is_symbol { "symbol" } else { "code" },
                if others > 0 {
                    format!(", besides {others} other currenc(ies)")
                } else {
                    String::new()
                }
            ),
        ))
    };
    // A template's expression, then an ISO code in the text, then the template's default, then a
    // symbol (`$` is several currencies).
    let currency = template_value(template, Field::Currency, &text, |s| {
        values::currencies_in(s).first().map(|c| c.0)
    })
    .or_else(|| from_text(true))
    .or_else(|| {
        let t = template?;
        let currency = Currency::parse(t.currency.as_deref()?).ok()?;
        Some(Found::new(
            currency,
            confidence::TEMPLATE_DEFAULT,
            format!("the default of template {}", t.name),
        ))
    })
    .or_else(|| from_text(false));
    let mut total = template_value(template, Field::Total, &text, amount)
        .or_else(|| heuristics::total(&lines, sep));
    let mut net = template_value(template, Field::Net, &text, amount)
        .or_else(|| heuristics::net(&lines, sep));
    let mut vat = template_value(template, Field::Vat, &text, amount)
        .or_else(|| heuristics::vat(&lines, sep));
    reconcile(&mut net, &mut vat, &mut total);
    let head: String = lines.iter().take(12).copied().collect::<Vec<_>>().join(" ");
    let lower = head.to_lowercase();
    let credit_note = [
        "credit note",
        "gutschrift",
        "creditnota",
        "avoir",
        "nota de crédito",
    ]
    .iter()
    .any(|w| lower.contains(w))
        || total.as_ref().is_some_and(|t| t.value < Decimal::ZERO);
    Extracted {
        template: template.map(|t| t.name.clone()),
        template_states_date_order: template.is_some_and(|t| t.states_date_order),
        supplier,
        supplier_vat_id: template.and_then(|t| t.vat_id.clone()),
        number,
        issue_date,
        due_date,
        currency,
        net,
        vat,
        total,
        credit_note,
    }
}

/// Makes the three amounts agree: when all are known and net + VAT = total they confirm each
/// other; when VAT does not fit, it is dropped rather than kept contradicting; a missing one is
/// derived from the other two.
fn reconcile(
    net: &mut Option<Found<Decimal>>,
    vat: &mut Option<Found<Decimal>>,
    total: &mut Option<Found<Decimal>>,
) {
    let confirm = |f: &mut Found<Decimal>| {
        f.confidence = f.confidence.max(confidence::CONFIRMED);
        f.how.push_str("; net + VAT = total");
    };
    match (net.as_mut(), vat.as_mut(), total.as_mut()) {
        (Some(n), Some(v), Some(t)) if n.value + v.value == t.value => {
            confirm(n);
            confirm(v);
            confirm(t);
        }
        (Some(n), Some(_), Some(t)) if n.value == t.value => {
            // Tax-free: the "VAT" next to a tax label is not this invoice's VAT.
            *vat = Some(Found::new(
                Decimal::ZERO,
                confidence::DERIVED,
                "net equals total, so no VAT".to_owned(),
            ));
        }
        (Some(n), Some(v), Some(t)) => {
            // They contradict: keep the total, derive net from VAT when it fits under the total.
            if v.value >= Decimal::ZERO && v.value < t.value {
                let derived = t.value - v.value;
                if derived != n.value {
                    *net = Some(Found::new(
                        derived,
                        confidence::DERIVED.min(n.confidence),
                        format!(
                            "total {} − VAT {} (the net {} found {} does not add up)",
                            t.value, v.value, n.value, n.how
                        ),
                    ));
                }
            } else {
                *vat = None;
            }
        }
        (None, Some(v), Some(t)) if v.value < t.value => {
            *net = Some(Found::new(
                t.value - v.value,
                confidence::DERIVED,
                format!("total {} − VAT {}", t.value, v.value),
            ));
        }
        (Some(n), None, Some(t)) if n.value <= t.value => {
            *vat = Some(Found::new(
                t.value - n.value,
                confidence::DERIVED,
                format!("total {} − net {}", t.value, n.value),
            ));
        }
        (Some(n), Some(v), None) => {
            *total = Some(Found::new(
                n.value + v.value,
                confidence::DERIVED,
                format!("net {} + VAT {}", n.value, v.value),
            ));
        }
        _ => {}
    }
}

/// Builds the document and its problems from what was read; refuses when a field Folio cannot do
/// without is missing.
pub fn to_document(ex: &Extracted) -> Result<(Document, Vec<Problem>), Rejection> {
    let missing = |what: &str| {
        Rejection::new(
            codes::MISSING_FIELD,
            format!(
                "the PDF has no embedded e-invoice and its text shows no {what} Folio can read{}",
                match &ex.template {
                    Some(t) => format!(" (template {t} matched)"),
                    None =>
                        " (no vendor template matched; add one under rules/templates/)".to_owned(),
                }
            ),
        )
    };
    let number = ex
        .number
        .as_ref()
        .ok_or_else(|| missing("invoice number"))?;
    let issue_date = ex
        .issue_date
        .as_ref()
        .ok_or_else(|| missing("issue date"))?;
    let currency = ex
        .currency
        .as_ref()
        .ok_or_else(|| missing("currency (code or symbol)"))?;
    let total = ex.total.as_ref().ok_or_else(|| missing("total amount"))?;
    let document = crate::header::header_only(&crate::header::HeaderFields {
        syntax: Syntax::PdfText,
        supplier_name: ex.supplier.value.clone(),
        supplier_vat_id: ex.supplier_vat_id.clone(),
        number: number.value.clone(),
        issue_date: issue_date.value.date,
        due_date: ex.due_date.as_ref().map(|d| d.value.date),
        currency: currency.value,
        credit_note: ex.credit_note,
        net: ex.net.as_ref().map(|n| n.value),
        vat: ex.vat.as_ref().map(|v| v.value),
        total: total.value,
        notes: Vec::new(),
    });
    let payable = document.totals.payable;
    let net_amount = document.totals.tax_exclusive;
    let tax = document.totals.tax_total.unwrap_or_default();
    let mut problems = vec![Problem::new(
        "PDF_TEXT",
        Severity::Info,
        "",
        match &ex.template {
            Some(t) => format!(
                "the PDF has no embedded e-invoice; it was read from its text with template {t} \
                 and the generic labels"
            ),
            None => "the PDF has no embedded e-invoice; it was read from its text with the \
                     generic labels (no vendor template matched)"
                .to_owned(),
        },
    )];
    let low = |field: &str, shown: String, found_conf: u8, how: &str| {
        Problem::warning(
            "LOW_CONFIDENCE_FIELD",
            field,
            format!(
                "{field} '{shown}' was read with {found_conf} % confidence ({how}); check it \
                 against the PDF"
            ),
        )
    };
    let mut check = |field: &str, shown: String, conf: u8, how: &str| {
        if conf < confidence::THRESHOLD {
            problems.push(low(field, shown, conf, how));
        }
    };
    check(
        "supplier.name",
        ex.supplier.value.clone(),
        ex.supplier.confidence,
        &ex.supplier.how,
    );
    check(
        "number",
        number.value.clone(),
        number.confidence,
        &number.how,
    );
    // A template that states its date order settles numeric dates.
    let order_known = ex.template_states_date_order;
    let date_conf = |d: &Found<ReadDate>| {
        if d.value.ambiguous && !order_known {
            d.confidence.min(confidence::GUESS)
        } else {
            d.confidence
        }
    };
    let date_how = |d: &Found<ReadDate>| {
        if d.value.ambiguous && !order_known {
            format!("{}; day and month could be swapped", d.how)
        } else {
            d.how.clone()
        }
    };
    check(
        "issue_date",
        issue_date.value.date.to_string(),
        date_conf(issue_date),
        &date_how(issue_date),
    );
    if let Some(due) = &ex.due_date {
        check(
            "due_date",
            due.value.date.to_string(),
            date_conf(due),
            &date_how(due),
        );
    }
    check(
        "currency",
        currency.value.code().to_owned(),
        currency.confidence,
        &currency.how,
    );
    check(
        "totals.payable",
        payable.to_string(),
        total.confidence,
        &total.how,
    );
    match &ex.net {
        Some(n) => check(
            "totals.tax_exclusive",
            net_amount.to_string(),
            n.confidence,
            &n.how,
        ),
        None => check(
            "totals.tax_exclusive",
            net_amount.to_string(),
            confidence::GUESS,
            "no net amount found; the total less VAT",
        ),
    }
    match &ex.vat {
        Some(v) => check("totals.tax_total", tax.to_string(), v.confidence, &v.how),
        None => check(
            "totals.tax_total",
            tax.to_string(),
            confidence::GUESS_WEAK,
            "no VAT amount found; taken as zero",
        ),
    }
    Ok((document, problems))
}

/// Reads an invoice from its text.
pub fn import_text(text: &str, templates: &Templates) -> Result<Imported, Rejection> {
    let extracted = extract(text, templates);
    let (document, mut problems) = to_document(&extracted)?;
    problems.extend(crate::validate::validate(&document));
    Ok(Imported {
        document,
        problems,
        media_type: "application/pdf",
    })
}

/// True for text a person could read: at least 20 letters and digits, most of it letters and
/// digits (fonts without a Unicode map give punctuation soup).
fn has_words(text: &str) -> bool {
    let total = text.chars().filter(|c| !c.is_whitespace()).count();
    let alnum = text.chars().filter(|c| c.is_alphanumeric()).count();
    alnum >= 20 && alnum * 10 >= total * 6
}

/// Reads a plain PDF (no embedded invoice) from the text of its pages.
pub(crate) fn import_pdf(text: Option<String>) -> Result<Imported, Rejection> {
    let Some(text) = text.filter(|t| has_words(t)) else {
        return Err(Rejection::new(
            codes::UNSUPPORTED_FORMAT,
            "the PDF has no embedded e-invoice and no readable text (a scan, or fonts without a \
             Unicode map); Folio does not read images (no OCR)",
        ));
    };
    import_text(&text, Templates::builtin())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn found(value: Decimal) -> Option<Found<Decimal>> {
        Some(Found::new(value, 80, "test".to_owned()))
    }

    #[test]
    fn amounts_confirm_or_complete_each_other() {
        type Case = (
            Option<Decimal>,
            Option<Decimal>,
            Option<Decimal>,
            (Option<Decimal>, Option<Decimal>, Option<Decimal>),
        );
        let cases: &[Case] = &[
            (
                Some(dec!(100)),
                Some(dec!(21)),
                Some(dec!(121)),
                (Some(dec!(100)), Some(dec!(21)), Some(dec!(121))),
            ),
            (
                None,
                Some(dec!(21)),
                Some(dec!(121)),
                (Some(dec!(100)), Some(dec!(21)), Some(dec!(121))),
            ),
            (
                Some(dec!(100)),
                None,
                Some(dec!(121)),
                (Some(dec!(100)), Some(dec!(21)), Some(dec!(121))),
            ),
            (
                Some(dec!(100)),
                Some(dec!(21)),
                None,
                (Some(dec!(100)), Some(dec!(21)), Some(dec!(121))),
            ),
            (
                Some(dec!(4.11)),
                Some(dec!(0.50)),
                Some(dec!(4.11)),
                (Some(dec!(4.11)), Some(dec!(0)), Some(dec!(4.11))),
            ),
            (
                Some(dec!(90)),
                Some(dec!(21)),
                Some(dec!(121)),
                (Some(dec!(100)), Some(dec!(21)), Some(dec!(121))),
            ),
        ];
        for (n, v, t, expected) in cases {
            let (mut net, mut vat, mut total) =
                (n.and_then(found), v.and_then(found), t.and_then(found));
            reconcile(&mut net, &mut vat, &mut total);
            let got = (
                net.map(|f| f.value),
                vat.map(|f| f.value),
                total.map(|f| f.value),
            );
            assert_eq!(got, *expected, "{n:?} {v:?} {t:?}");
        }
    }

    #[test]
    fn a_text_without_a_total_is_refused_saying_so() {
        let rejection = import_text(
            "ACME Ltd\nInvoice No: 12345\nDate: 01.02.2024\nEUR",
            &Templates::default(),
        )
        .unwrap_err();
        assert_eq!(rejection.code, codes::MISSING_FIELD);
        assert!(rejection.reason.contains("total amount"), "{rejection}");
    }

    #[test]
    fn a_generic_invoice_is_read_with_confidences() {
        let text = "ACME Supplies Ltd\nInvoice No: INV-9\nInvoice Date: 03.02.2024\n\
                    Due Date: 03.03.2024\nSubtotal 100,00 EUR\nVAT 19% 19,00 EUR\nTotal 119,00 EUR";
        let imported = import_text(text, &Templates::default()).expect("imports");
        let doc = &imported.document;
        assert_eq!(doc.syntax, Syntax::PdfText);
        assert_eq!(doc.number, "INV-9");
        assert_eq!(doc.issue_date.to_string(), "2024-02-03");
        assert_eq!(
            doc.due_date.map(|d| d.to_string()).as_deref(),
            Some("2024-03-03")
        );
        assert_eq!(doc.currency.code(), "EUR");
        assert_eq!(doc.totals.payable, dec!(119.00));
        assert_eq!(doc.totals.tax_exclusive, dec!(100.00));
        assert_eq!(doc.vat_breakdown[0].rate, Some(dec!(19)));
        assert!(doc.is_header_only());
        let low: Vec<&str> = imported
            .problems
            .iter()
            .filter(|p| p.code == "LOW_CONFIDENCE_FIELD")
            .map(|p| p.field.as_str())
            .collect();
        assert_eq!(low, ["supplier.name"], "{:?}", imported.problems);
        assert!(
            !imported.problems.iter().any(|p| p.is_error()),
            "{:?}",
            imported.problems
        );
    }
}
