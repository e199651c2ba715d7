//! The German CIUS XRechnung: BR-DE-* rules (and BR-DEX-02 of its extension), checked on
//! documents whose specification identifier (BT-24) names XRechnung.
//!
//! XRechnung makes several optional EN 16931 elements mandatory (seller contact, cities and post
//! codes, buyer reference, payment instructions), fixes a machine-readable form for early-payment
//! discounts in the payment terms (BR-DE-18) and ties the payment means code to the payment group
//! it needs (BR-DE-23 to BR-DE-25).

use super::{Finding, Input, Rule, Scope, amount, matches, rule, when};
use folio_domain::{Severity::Error, Severity::Warning, VatCategory};

use Scope::XRechnung as X;

pub(super) const RULES: &[Rule] = &[
    rule("BR-DE-1", Error, "payment", X, br_de_1),
    rule("BR-DE-2", Error, "seller_contact", X, br_de_2),
    rule("BR-DE-3", Error, "supplier.address.city", X, br_de_3),
    rule("BR-DE-4", Error, "supplier.address.postal_code", X, br_de_4),
    rule("BR-DE-5", Error, "seller_contact.name", X, br_de_5),
    rule("BR-DE-6", Error, "seller_contact.phone", X, br_de_6),
    rule("BR-DE-7", Error, "seller_contact.email", X, br_de_7),
    rule("BR-DE-8", Error, "buyer.address.city", X, br_de_8),
    rule("BR-DE-9", Error, "buyer.address.postal_code", X, br_de_9),
    rule("BR-DE-10", Error, "deliver_to.city", X, br_de_10),
    rule("BR-DE-11", Error, "deliver_to.postal_code", X, br_de_11),
    rule("BR-DE-14", Error, "vat_breakdown", X, br_de_14),
    rule("BR-DE-15", Error, "references.buyer_reference", X, br_de_15),
    rule("BR-DE-16", Error, "supplier.vat_id", X, br_de_16),
    rule("BR-DE-17", Warning, "type_code", X, br_de_17),
    rule("BR-DE-18", Error, "payment.terms", X, br_de_18),
    rule("BR-DE-19", Warning, "payment.iban", X, br_de_19),
    rule("BR-DE-20", Warning, "payment.debited_account", X, br_de_20),
    rule("BR-DE-22", Error, "attachments", X, br_de_22),
    rule("BR-DE-23", Error, "payment", X, br_de_23),
    rule("BR-DE-24", Error, "payment", X, br_de_24),
    rule("BR-DE-25", Error, "payment", X, br_de_25),
    rule(
        "BR-DE-26",
        Warning,
        "references.preceding_invoices",
        X,
        br_de_26,
    ),
    rule("BR-DE-27", Warning, "seller_contact.phone", X, br_de_27),
    rule("BR-DE-28", Warning, "seller_contact.email", X, br_de_28),
    rule("BR-DEX-02", Error, "lines", X, br_dex_02),
    rule("BR-DEX-03", Error, "lines", X, br_dex_03),
];

fn blank(value: Option<&str>) -> bool {
    value.is_none_or(|v| v.trim().is_empty())
}

fn br_de_1(i: &Input<'_>) -> Vec<Finding> {
    when(i.facts.known && i.facts.payment_means.is_empty(), || {
        "an XRechnung needs payment instructions (BG-16)".to_owned()
    })
}

fn br_de_2(i: &Input<'_>) -> Vec<Finding> {
    when(i.facts.known && i.facts.seller_contact.is_none(), || {
        "an XRechnung needs the seller contact (BG-6)".to_owned()
    })
}

fn br_de_3(i: &Input<'_>) -> Vec<Finding> {
    when(blank(i.doc.supplier.address.city.as_deref()), || {
        "an XRechnung needs the seller city (BT-37)".to_owned()
    })
}

fn br_de_4(i: &Input<'_>) -> Vec<Finding> {
    when(blank(i.doc.supplier.address.postal_code.as_deref()), || {
        "an XRechnung needs the seller post code (BT-38)".to_owned()
    })
}

fn contact_field(
    i: &Input<'_>,
    get: fn(&crate::facts::Contact) -> Option<&str>,
    what: &str,
) -> Vec<Finding> {
    when(
        i.facts
            .seller_contact
            .as_ref()
            .is_some_and(|c| blank(get(c))),
        || format!("an XRechnung needs the seller contact's {what}"),
    )
}

fn br_de_5(i: &Input<'_>) -> Vec<Finding> {
    contact_field(i, |c| c.name.as_deref(), "contact point (BT-41)")
}

fn br_de_6(i: &Input<'_>) -> Vec<Finding> {
    contact_field(i, |c| c.phone.as_deref(), "telephone number (BT-42)")
}

fn br_de_7(i: &Input<'_>) -> Vec<Finding> {
    contact_field(i, |c| c.email.as_deref(), "email address (BT-43)")
}

fn buyer_has_address(i: &Input<'_>) -> bool {
    let a = &i.doc.buyer.address;
    i.facts.known
        && (!a.lines.is_empty()
            || a.city.is_some()
            || a.postal_code.is_some()
            || a.country_code.is_some())
}

fn br_de_8(i: &Input<'_>) -> Vec<Finding> {
    when(
        buyer_has_address(i) && blank(i.doc.buyer.address.city.as_deref()),
        || "an XRechnung needs the buyer city (BT-52)".to_owned(),
    )
}

fn br_de_9(i: &Input<'_>) -> Vec<Finding> {
    when(
        buyer_has_address(i) && blank(i.doc.buyer.address.postal_code.as_deref()),
        || "an XRechnung needs the buyer post code (BT-53)".to_owned(),
    )
}

fn br_de_10(i: &Input<'_>) -> Vec<Finding> {
    when(
        i.facts
            .deliver_to
            .as_ref()
            .is_some_and(|a| blank(a.city.as_deref())),
        || "the deliver-to address (BG-15) needs its city (BT-77)".to_owned(),
    )
}

fn br_de_11(i: &Input<'_>) -> Vec<Finding> {
    when(
        i.facts
            .deliver_to
            .as_ref()
            .is_some_and(|a| blank(a.postal_code.as_deref())),
        || "the deliver-to address (BG-15) needs its post code (BT-78)".to_owned(),
    )
}

fn br_de_14(i: &Input<'_>) -> Vec<Finding> {
    i.doc
        .vat_breakdown
        .iter()
        .enumerate()
        .filter(|(_, b)| b.rate.is_none())
        .map(|(index, b)| {
            Finding::at(
                format!("vat_breakdown[{index}].rate"),
                format!(
                    "an XRechnung states the VAT rate (BT-119) of every breakdown group; the one \
                     for category {} has none",
                    b.category.code()
                ),
            )
        })
        .collect()
}

fn br_de_15(i: &Input<'_>) -> Vec<Finding> {
    when(blank(i.doc.references.buyer_reference.as_deref()), || {
        "an XRechnung needs the buyer reference (BT-10), e.g. the Leitweg-ID".to_owned()
    })
}

fn br_de_16(i: &Input<'_>) -> Vec<Finding> {
    use VatCategory::{AE, E, G, K, L, M, S, Z};
    let doc = i.doc;
    let taxed = |c: VatCategory| matches!(c, S | Z | E | AE | K | G | L | M);
    let uses = doc.lines.iter().any(|l| taxed(l.vat_category))
        || doc
            .allowances_charges
            .iter()
            .any(|ac| ac.vat_category.is_some_and(taxed));
    let has_id = !blank(doc.supplier.vat_id.as_deref())
        || !blank(doc.supplier.tax_registration_id.as_deref())
        || i.facts.tax_representative.is_some();
    when(uses && !has_id, || {
        "the invoice has VAT categories that need the seller's VAT identifier (BT-31), tax \
         registration (BT-32) or a tax representative (BG-11), and none is given"
            .to_owned()
    })
}

fn br_de_17(i: &Input<'_>) -> Vec<Finding> {
    let code = i
        .doc
        .type_code
        .as_deref()
        .map(str::trim)
        .unwrap_or_default();
    when(
        !["326", "380", "384", "389", "381", "875", "876", "877"].contains(&code),
        || {
            format!(
                "the invoice type code (BT-3) '{code}' is not one XRechnung expects (326, 380, \
                 384, 389, 381, 875, 876, 877)"
            )
        },
    )
}

/// One payment-terms line in the form `#SKONTO#TAGE=n#PROZENT=n.nn#[BASISBETRAG=n.nn#]`.
fn discount_line_ok(line: &str) -> bool {
    let parts: Vec<&str> = line.split('#').collect();
    if parts.len() < 2 {
        return true;
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let two_decimals = |s: &str| {
        s.split_once('.')
            .is_some_and(|(int, frac)| digits(int) && frac.len() == 2 && digits(frac))
    };
    let key = |s: &str, k: &str| s.strip_prefix(k).map(str::to_owned);
    let head = parts.first().is_some_and(|p| p.is_empty())
        && parts
            .get(1)
            .is_some_and(|p| *p == "SKONTO" || *p == "VERZUG")
        && parts
            .get(2)
            .and_then(|p| key(p, "TAGE="))
            .is_some_and(|v| digits(&v))
        && parts
            .get(3)
            .and_then(|p| key(p, "PROZENT="))
            .is_some_and(|v| two_decimals(&v));
    let tail = match (parts.get(4), parts.get(5), parts.get(6)) {
        (Some(&""), None, _) => true,
        (Some(base), Some(&""), None) => key(base, "BASISBETRAG=")
            .is_some_and(|v| two_decimals(v.strip_prefix('-').unwrap_or(&v))),
        _ => false,
    };
    head && tail
}

fn br_de_18(i: &Input<'_>) -> Vec<Finding> {
    i.facts
        .payment_terms_raw
        .iter()
        .flat_map(|terms| terms.split('\n'))
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| !discount_line_ok(line))
        .map(|line| {
            Finding::new(format!(
                "the payment terms line '{}' is not in XRechnung's discount form \
                 #SKONTO#TAGE=n#PROZENT=n.nn# (optionally BASISBETRAG=n.nn#), upper case and \
                 without spaces",
                line.trim()
            ))
        })
        .collect()
}

/// ISO 13616 check: country, check digits, then the remainder of the rearranged number mod 97.
pub(crate) fn iban_ok(raw: &str) -> bool {
    let iban: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = iban.as_bytes();
    let shape = bytes.len() >= 4
        && bytes.len() <= 34
        && bytes.iter().take(2).all(u8::is_ascii_uppercase)
        && bytes.iter().skip(2).take(2).all(u8::is_ascii_digit)
        && bytes.iter().all(u8::is_ascii_alphanumeric);
    if !shape {
        return false;
    }
    let rearranged = bytes.iter().skip(4).chain(bytes.iter().take(4));
    let mut remainder: u32 = 0;
    for &b in rearranged {
        let value = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b.to_ascii_uppercase() - b'A') + 10
        };
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

fn br_de_19(i: &Input<'_>) -> Vec<Finding> {
    i.facts
        .payment_means
        .iter()
        .filter(|m| m.code.as_deref().map(str::trim) == Some("58"))
        .flat_map(|m| m.credit_accounts.iter())
        .filter(|a| !iban_ok(a))
        .map(|a| {
            Finding::new(format!(
                "the SEPA credit transfer account (BT-84) '{a}' is not a valid IBAN"
            ))
        })
        .collect()
}

fn br_de_20(i: &Input<'_>) -> Vec<Finding> {
    i.facts
        .payment_means
        .iter()
        .filter(|m| m.code.as_deref().map(str::trim) == Some("59"))
        .filter(|m| !m.debited_account.as_deref().is_some_and(iban_ok))
        .map(|m| {
            Finding::new(format!(
                "the SEPA direct debit account (BT-91) '{}' is not a valid IBAN",
                m.debited_account.as_deref().unwrap_or_default()
            ))
        })
        .collect()
}

fn br_de_22(i: &Input<'_>) -> Vec<Finding> {
    let mut seen: Vec<&str> = Vec::new();
    let mut findings = Vec::new();
    for name in i
        .facts
        .attachments
        .iter()
        .filter_map(|a| a.filename.as_deref())
    {
        if seen.contains(&name) {
            findings.push(Finding::new(format!(
                "two attachments (BG-24) have the same file name '{name}'"
            )));
        } else {
            seen.push(name);
        }
    }
    findings
}

/// Checks that payment means with one of `codes` carry the group they need and not the others.
fn means_groups(
    i: &Input<'_>,
    codes: &[&str],
    need: &str,
    ok: impl Fn(&crate::facts::PaymentMeans) -> bool,
) -> Vec<Finding> {
    i.facts
        .payment_means
        .iter()
        .filter(|m| m.code.as_deref().is_some_and(|c| codes.contains(&c.trim())))
        .filter(|m| !ok(m))
        .map(|m| {
            Finding::new(format!(
                "payment means code {} (BT-81) needs {need}",
                m.code.as_deref().unwrap_or_default()
            ))
        })
        .collect()
}

fn br_de_23(i: &Input<'_>) -> Vec<Finding> {
    means_groups(
        i,
        &["30", "58"],
        "a credit transfer account (BG-17) and no card (BG-18) or direct debit (BG-19)",
        |m| !m.credit_accounts.is_empty() && m.card.is_none() && !m.direct_debit,
    )
}

fn br_de_24(i: &Input<'_>) -> Vec<Finding> {
    let mandate = i.facts.direct_debit_header;
    means_groups(
        i,
        &["48", "54", "55"],
        "payment card information (BG-18) and no credit transfer (BG-17) or direct debit (BG-19)",
        |m| m.card.is_some() && m.credit_accounts.is_empty() && !m.direct_debit && !mandate,
    )
}

fn br_de_25(i: &Input<'_>) -> Vec<Finding> {
    let mandate = i.facts.direct_debit_header;
    means_groups(
        i,
        &["59"],
        "direct debit information (BG-19) and no credit transfer (BG-17) or card (BG-18)",
        |m| (m.direct_debit || mandate) && m.card.is_none() && m.credit_accounts.is_empty(),
    )
}

fn br_de_26(i: &Input<'_>) -> Vec<Finding> {
    when(
        i.doc.type_code.as_deref().map(str::trim) == Some("384")
            && i.doc.references.preceding_invoices.is_empty()
            && i.facts.preceding_without_id == 0,
        || {
            "a corrected invoice (type code 384) should name the invoice it corrects (BG-3)"
                .to_owned()
        },
    )
}

fn br_de_27(i: &Input<'_>) -> Vec<Finding> {
    let phone = i
        .facts
        .seller_contact
        .as_ref()
        .and_then(|c| c.phone.as_deref());
    when(
        phone.is_some_and(|p| p.chars().filter(char::is_ascii_digit).count() < 3),
        || {
            format!(
                "the seller contact telephone number (BT-42) '{}' should have at least 3 digits",
                phone.unwrap_or_default()
            )
        },
    )
}

fn email_ok(email: &str) -> bool {
    let email = email.trim();
    let mut parts = email.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

fn br_de_28(i: &Input<'_>) -> Vec<Finding> {
    let email = i
        .facts
        .seller_contact
        .as_ref()
        .and_then(|c| c.email.as_deref());
    when(email.is_some_and(|e| !email_ok(e)), || {
        format!(
            "the seller contact email address (BT-43) '{}' should have exactly one @ with text \
             on both sides",
            email.unwrap_or_default()
        )
    })
}

fn br_dex_02(i: &Input<'_>) -> Vec<Finding> {
    let doc = i.doc;
    doc.lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| {
            let (count, sum) = i.facts.lines.get(index).and_then(|f| f.sub_lines)?;
            (!matches(sum, line.net_amount)).then(|| {
                Finding::at(
                    format!("lines[{index}].net_amount"),
                    format!(
                        "line {} has {count} sub-invoice lines summing to {} but its net amount \
                         (BT-131) is {}",
                        index + 1,
                        amount(doc, sum),
                        amount(doc, line.net_amount)
                    ),
                )
            })
        })
        .collect()
}

fn br_dex_03(i: &Input<'_>) -> Vec<Finding> {
    i.facts
        .lines
        .iter()
        .enumerate()
        .filter(|(_, f)| f.sub_lines_without_category > 0)
        .map(|(index, f)| {
            Finding::at(
                format!("lines[{index}]"),
                format!(
                    "line {} has {} sub-invoice line(s) without exactly one classified tax \
                     category",
                    index + 1,
                    f.sub_lines_without_category
                ),
            )
        })
        .collect()
}
