//! Profile-level checks of CII and ZUGFeRD 1 invoices, between the XML schema and the business
//! rules: is the specification identifier (BT-24) one the syntax defines, does the element
//! structure conform to the schema of the profile it claims ([`crate::xsd`]), and do the line
//! amounts follow from quantity and price.
//!
//! | rule | checks |
//! |---|---|
//! | `FX-PROFILE-01` | a BT-24 that names Factur-X or ZUGFeRD 2 is one of the identifiers they define |
//! | `FX-PROFILE-02` | a ZUGFeRD 1.0 document names a ZUGFeRD 1.0 invoice guideline, and a CII D16B document does not |
//! | `FX-PROFILE-03` | (info) BT-24 is the 2017 draft form of a Factur-X identifier |
//! | `FX-CALC-01` | (warning) line net amount (BT-131) = quantity × net price ÷ price base quantity + line charges − line allowances |
//! | `FX-CALC-02` | (warning) allowance / charge amount = base amount × percentage ÷ 100, when both are stated |
//! | `XSD-01…05` | the element structure against the profile's schema ([`crate::xsd`]) |

use crate::xsd::{self, SchemaId};
use folio_domain::{Document, Problem, Severity, Syntax};
use roxmltree::Node;
use rust_decimal::{Decimal, RoundingStrategy};

/// The specification identifiers Factur-X 1.0 and ZUGFeRD 2.x define (XRechnung's are checked by
/// BR-DE-21 and are not listed).
const FACTURX_IDS: &[&str] = &[
    "urn:factur-x.eu:1p0:minimum",
    "urn:factur-x.eu:1p0:basicwl",
    "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
    "urn:cen.eu:en16931:2017",
    "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
    "urn:zugferd.de:2p0:minimum",
    "urn:zugferd.de:2p0:basicwl",
    "urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic",
    "urn:cen.eu:en16931:2017#conformant#urn:zugferd.de:2p0:extended",
];

/// The 2017 draft form of the Factur-X identifiers (`urn:cen.eu:en16931:2017:compliant:factur-x.eu:
/// 1p0:basic`), which early writers used and receivers still accept. EXTENDED goes beyond the norm,
/// so it was only ever *conformant*: a "compliant … extended" identifier is not a draft form but a
/// contradiction, and is reported as unknown (FX-PROFILE-01).
fn is_draft_id(lower: &str) -> bool {
    let compliant = "urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:";
    let conformant = "urn:cen.eu:en16931:2017:conformant:factur-x.eu:1p0:";
    lower
        .strip_prefix(compliant)
        .is_some_and(|p| matches!(p, "minimum" | "basicwl" | "basic" | "en16931"))
        || lower.strip_prefix(conformant) == Some("extended")
}

/// ZUGFeRD 1.0 invoice guidelines (and the 2014 release candidate's).
const ZUGFERD1_IDS: &[&str] = &[
    "urn:ferd:CrossIndustryDocument:invoice:1p0:basic",
    "urn:ferd:CrossIndustryDocument:invoice:1p0:comfort",
    "urn:ferd:CrossIndustryDocument:invoice:1p0:extended",
    "urn:ferd:invoice:rc:basic",
    "urn:ferd:invoice:rc:comfort",
    "urn:ferd:invoice:rc:extended",
];

/// Runs the profile checks on a mapped CII / ZUGFeRD 1 document (`root` is its XML root).
pub fn check(root: Node<'_, '_>, doc: &Document) -> Vec<Problem> {
    let mut problems = Vec::new();
    let guideline = doc.customization_id.as_deref().map(str::trim);
    let release_candidate = root.tag_name().namespace() == Some(crate::sniff::ZUGFERD_RC_NS);
    match doc.syntax {
        Syntax::Cii => {
            if let Some(id) = guideline {
                let lower = id.to_ascii_lowercase();
                let names_facturx = lower.contains("factur-x") || lower.contains("zugferd");
                if names_facturx && is_draft_id(&lower) {
                    problems.push(Problem::new(
                        "FX-PROFILE-03",
                        Severity::Info,
                        "customization_id",
                        format!(
                            "the specification identifier (BT-24) '{id}' is the 2017 draft form \
                             of a Factur-X identifier; Factur-X 1.0 writes e.g. \
                             'urn:cen.eu:en16931:2017' or \
                             'urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic'"
                        ),
                    ));
                } else if names_facturx && !FACTURX_IDS.contains(&id) {
                    problems.push(Problem::error(
                        "FX-PROFILE-01",
                        "customization_id",
                        format!(
                            "the specification identifier (BT-24) '{id}' names Factur-X / ZUGFeRD \
                             but is none of the identifiers they define (e.g. \
                             'urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended')"
                        ),
                    ));
                }
                if lower.starts_with("urn:ferd:") {
                    problems.push(Problem::error(
                        "FX-PROFILE-02",
                        "customization_id",
                        format!(
                            "the specification identifier (BT-24) '{id}' is a ZUGFeRD 1.0 \
                             guideline, but the document is a CII D16B CrossIndustryInvoice \
                             (ZUGFeRD 2 / Factur-X); ZUGFeRD 1.0 uses CrossIndustryDocument"
                        ),
                    ));
                }
            }
            problems.extend(xsd::validate(root, SchemaId::for_cii(guideline)));
        }
        Syntax::Zugferd1 => {
            if let Some(id) = guideline
                && !ZUGFERD1_IDS.contains(&id)
            {
                problems.push(Problem::error(
                    "FX-PROFILE-02",
                    "customization_id",
                    format!(
                        "the guideline (BT-24) '{id}' is not a ZUGFeRD 1.0 invoice guideline \
                         (urn:ferd:CrossIndustryDocument:invoice:1p0:basic, :comfort or \
                         :extended)"
                    ),
                ));
            }
            if !release_candidate {
                problems.extend(xsd::validate(root, SchemaId::Zugferd1));
            }
        }
        Syntax::Ubl | Syntax::PdfText | Syntax::Tabular => {}
    }
    problems.extend(line_arithmetic(doc));
    problems.extend(allowance_arithmetic(doc));
    problems
}

/// `FX-CALC-02`: an allowance or charge that states both a base amount and a percentage amounts
/// to base × percentage ÷ 100 (the calculation EN 16931 gives for BT-92/BT-99 and BT-136/BT-141,
/// checked by Peppol as PEPPOL-EN16931-R040/R041), a cent of rounding tolerated. A warning, for
/// the reasons given at [`line_arithmetic`].
fn allowance_arithmetic(doc: &Document) -> Vec<Problem> {
    let document_level = doc
        .allowances_charges
        .iter()
        .enumerate()
        .map(|(i, ac)| (format!("allowances_charges[{i}]"), ac));
    let line_level = doc.lines.iter().enumerate().flat_map(|(l, line)| {
        line.allowances_charges
            .iter()
            .enumerate()
            .map(move |(i, ac)| (format!("lines[{l}].allowances_charges[{i}]"), ac))
    });
    let mut problems = Vec::new();
    for (field, ac) in document_level.chain(line_level) {
        let (Some(base), Some(percent)) = (ac.base_amount, ac.percentage) else {
            continue;
        };
        let Some(product) = base.checked_mul(percent) else {
            continue;
        };
        let expected = (product / Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        if (expected - ac.amount).abs() > Decimal::new(1, 2) {
            let kind = if ac.is_charge { "charge" } else { "allowance" };
            problems.push(Problem::warning(
                "FX-CALC-02",
                format!("{field}.amount"),
                format!(
                    "the {kind}{} is {} but its base {} × {} % = {expected}",
                    ac.reason
                        .as_deref()
                        .map(|r| format!(" '{r}'"))
                        .unwrap_or_default(),
                    ac.amount,
                    base,
                    percent.normalize()
                ),
            ));
        }
    }
    problems
}

/// `FX-CALC-01`: each line's net amount follows from its quantity and net price (EN 16931's
/// definition of BT-131, which the Factur-X / ZUGFeRD specifications spell out and Peppol checks as
/// PEPPOL-EN16931-R120). A cent of rounding is tolerated. It is a warning: the EN 16931 and
/// XRechnung schematrons do not check it, and their own valid test files break it (KoSIT's
/// "30 × 143.75 = 4743.75"), yet a reviewer must see a line that does not multiply out before the
/// amount is paid.
fn line_arithmetic(doc: &Document) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, line) in doc.lines.iter().enumerate() {
        let base = line
            .price_base_quantity
            .filter(|b| !b.is_zero())
            .unwrap_or(Decimal::ONE);
        let charges: Decimal = line
            .allowances_charges
            .iter()
            .map(|ac| ac.signed_amount())
            .sum();
        let Some(product) = line.quantity.checked_mul(line.unit_price) else {
            continue;
        };
        let Some(expected) = product.checked_div(base).map(|p| p + charges) else {
            continue;
        };
        let rounded = expected.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        if (rounded - line.net_amount).abs() > Decimal::new(1, 2) {
            problems.push(Problem::warning(
                "FX-CALC-01",
                format!("lines[{index}].net_amount"),
                format!(
                    "line {} ('{}'): the net amount {} is not quantity × net price ÷ base \
                     quantity + charges − allowances: {} × {} ÷ {} {} {} = {}",
                    line.id,
                    line.name,
                    line.net_amount,
                    line.quantity.normalize(),
                    line.unit_price.normalize(),
                    base.normalize(),
                    if charges.is_sign_negative() {
                        "−"
                    } else {
                        "+"
                    },
                    charges.abs(),
                    rounded
                ),
            ));
        }
    }
    problems
}
