//! The 26 demo invoices and credit notes: who sends what, in which syntax, currency and VAT
//! category.
//!
//! Coverage, so that a first run shows every path of the import and journal pipeline:
//! - syntaxes: 13 UBL (Peppol BIS 3) and 13 CII (EN 16931), 3 of them credit notes (381);
//! - currencies: EUR, GBP, USD, CHF, SEK and JPY (no minor units);
//! - VAT: S at 19, 7, 20 and 21 %, Z, E, AE (reverse charge), K (intra-community) and O;
//! - one invoice with two VAT rates and a freight charge, one with a 3 % discount, one with a
//!   prepaid amount, one with 40 lines, one paid to a factoring company (payee), order and buyer
//!   references, due dates and payment terms.
//!
//! Issue dates lie 2 to 58 days before `today`, so none of them falls into a closed period of
//! the demo calendar (periods close two months after they end).

use super::model::{AllowanceCharge, Basis, Invoice, Line, Payee, PaymentAccount, Tax};
use super::vendors::{self, VendorProfile};
use chrono::{Datelike, Days, NaiveDate};
use folio_domain::{Currency, Syntax};
use rust_decimal::Decimal;

/// A decimal literal of the catalogue.
fn d(text: &str) -> Decimal {
    text.parse().expect("a demo literal is a decimal")
}

fn s(rate: i64) -> Tax {
    Tax::S(Decimal::from(rate))
}

fn line(name: &str, quantity: &str, unit: &'static str, price: &str, tax: Tax) -> Line {
    Line {
        name: name.to_owned(),
        description: None,
        seller_item_id: None,
        quantity: d(quantity),
        unit,
        price: d(price),
        tax,
    }
}

fn item(id: &str, name: &str, quantity: &str, unit: &'static str, price: &str, tax: Tax) -> Line {
    Line {
        seller_item_id: Some(id.to_owned()),
        ..line(name, quantity, unit, price, tax)
    }
}

fn described(description: &str, line: Line) -> Line {
    Line {
        description: Some(description.to_owned()),
        ..line
    }
}

/// What a catalogue entry says; [`invoices`] turns it into an [`Invoice`].
#[derive(Debug)]
struct Spec {
    syntax: Syntax,
    credit_note: bool,
    vendor: usize,
    seq: u32,
    days_ago: u64,
    due_days: u64,
    currency: &'static str,
    buyer_reference: &'static str,
    order: Option<&'static str>,
    /// Index of the catalogue entry a credit note corrects.
    corrects: Option<usize>,
    note: Option<&'static str>,
    lines: Vec<Line>,
    allowances_charges: Vec<AllowanceCharge>,
    prepaid: Option<&'static str>,
    /// Paid to the vendor's factoring company instead of the vendor.
    factored: bool,
}

fn spec(
    syntax: Syntax,
    vendor: usize,
    seq: u32,
    days_ago: u64,
    currency: &'static str,
    buyer_reference: &'static str,
    lines: Vec<Line>,
) -> Spec {
    Spec {
        syntax,
        credit_note: false,
        vendor,
        seq,
        days_ago,
        due_days: 30,
        currency,
        buyer_reference,
        order: None,
        corrects: None,
        note: None,
        lines,
        allowances_charges: Vec::new(),
        prepaid: None,
        factored: false,
    }
}

fn credit_note(corrects: usize, spec: Spec) -> Spec {
    Spec {
        credit_note: true,
        corrects: Some(corrects),
        ..spec
    }
}

/// The 40 usage lines of the cloud provider's monthly bill.
fn cloud_usage_lines() -> Vec<Line> {
    const SERVICES: [(&str, &str, &str, u32); 10] = [
        ("Compute vCPU-hours", "HUR", "0.0412", 2880),
        ("Memory GB-hours", "HUR", "0.0051", 11520),
        ("Block storage, GB-month", "C62", "0.0950", 750),
        ("Object storage, GB-month", "C62", "0.0230", 4200),
        ("Egress traffic, GB", "C62", "0.0850", 1310),
        ("Load balancer hours", "HUR", "0.0280", 720),
        ("Managed PostgreSQL hours", "HUR", "0.1820", 720),
        ("Snapshot storage, GB-month", "C62", "0.0500", 980),
        ("DNS queries, million", "C62", "0.4000", 12),
        ("Monitoring metrics, thousand", "C62", "0.3000", 45),
    ];
    const REGIONS: [(&str, u32); 4] = [
        ("eu-west-dublin", 10),
        ("eu-central-frankfurt", 6),
        ("eu-west-amsterdam", 3),
        ("eu-west-paris", 2),
    ];
    let mut lines = Vec::with_capacity(40);
    for (region, weight) in REGIONS {
        for (index, (service, unit, price, base)) in SERVICES.iter().enumerate() {
            let offset = u32::try_from(index).unwrap_or(0) * 7;
            let quantity = Decimal::from(base * weight / 10 + offset);
            lines.push(Line {
                name: (*service).to_owned(),
                description: Some(format!("Region {region}")),
                seller_item_id: Some(format!("EC-{:03}", index + 1)),
                quantity,
                unit,
                price: d(price),
                tax: Tax::AE,
            });
        }
    }
    lines
}

fn specs() -> Vec<Spec> {
    use Syntax::{Cii, Ubl};
    use vendors::*;
    vec![
        // 0: two VAT rates and a freight charge.
        Spec {
            order: Some("PO-4711"),
            note: Some("Vielen Dank für Ihren Auftrag!"),
            allowances_charges: vec![AllowanceCharge {
                is_charge: true,
                reason_code: "FC",
                reason: "Versandkosten".to_owned(),
                basis: Basis::Amount(d("5.90")),
                tax: s(19),
            }],
            ..spec(
                Ubl,
                NORDLICHT,
                10417,
                56,
                "EUR",
                "CC-100/Schmidt",
                vec![
                    item(
                        "PAP-A4-80",
                        "Kopierpapier A4, 80 g/m², 500 Blatt",
                        "40",
                        "C62",
                        "4.79",
                        s(19),
                    ),
                    item(
                        "TON-HL4200",
                        "Toner HL-4200 schwarz",
                        "3",
                        "H87",
                        "89.90",
                        s(19),
                    ),
                    item(
                        "GEL-B10",
                        "Gelschreiber blau, 10er-Pack",
                        "12",
                        "C62",
                        "7.49",
                        s(19),
                    ),
                    item(
                        "HN-7676",
                        "Haftnotizen 76 × 76 mm, gelb",
                        "24",
                        "C62",
                        "1.35",
                        s(19),
                    ),
                    item(
                        "KAF-ESP1",
                        "Kaffeebohnen Espresso, 1 kg",
                        "6",
                        "KGM",
                        "16.90",
                        s(7),
                    ),
                    item(
                        "BUC-BK01",
                        "Fachbuch „Buchhaltung kompakt“",
                        "2",
                        "H87",
                        "34.00",
                        s(7),
                    ),
                ],
            )
        },
        // 1: a 3 % discount on the document level.
        Spec {
            order: Some("PO-4730"),
            allowances_charges: vec![AllowanceCharge {
                is_charge: false,
                reason_code: "95",
                reason: "Rabatt 3 %".to_owned(),
                basis: Basis::Percent(d("3")),
                tax: s(19),
            }],
            ..spec(
                Cii,
                NORDLICHT,
                10502,
                41,
                "EUR",
                "CC-300/Weber",
                vec![
                    item(
                        "STU-KPRO",
                        "Bürostuhl ergonomisch \"Kontor Pro\"",
                        "4",
                        "H87",
                        "289.00",
                        s(19),
                    ),
                    item(
                        "LAM-LED2",
                        "Schreibtischlampe LED",
                        "4",
                        "H87",
                        "39.95",
                        s(19),
                    ),
                    item("MA-DUO", "Monitorarm doppelt", "4", "H87", "64.50", s(19)),
                ],
            )
        },
        // 2
        Spec {
            due_days: 14,
            ..spec(
                Ubl,
                MUELLER,
                2291,
                50,
                "EUR",
                "CC-400/Hoffmann",
                vec![
                    described(
                        "Büroflächen 2. OG, 5 × wöchentlich",
                        line("Unterhaltsreinigung Büro", "1", "MON", "1480.00", s(19)),
                    ),
                    line(
                        "Glasreinigung Fensterfronten innen & außen",
                        "1",
                        "LS",
                        "365.00",
                        s(19),
                    ),
                ],
            )
        },
        // 3
        Spec {
            due_days: 14,
            ..spec(
                Cii,
                MUELLER,
                2344,
                20,
                "EUR",
                "CC-400/Hoffmann",
                vec![described(
                    "Büroflächen 2. OG, 5 × wöchentlich",
                    line("Unterhaltsreinigung Büro", "1", "MON", "1480.00", s(19)),
                )],
            )
        },
        // 4: the rent, due at once.
        Spec {
            due_days: 3,
            note: Some("Miete gemäß Mietvertrag vom 01.04.2021, Objekt Musterallee 12."),
            ..spec(
                Ubl,
                RHEINWERK,
                881,
                58,
                "EUR",
                "CC-100/Krüger",
                vec![
                    line("Büromiete 2. OG, 420 m²", "1", "MON", "8400.00", s(19)),
                    line("Tiefgaragenstellplätze", "6", "C62", "95.00", s(19)),
                ],
            )
        },
        // 5: utilities.
        Spec {
            due_days: 14,
            ..spec(
                Cii,
                RHEINWERK,
                904,
                27,
                "EUR",
                "CC-100/Krüger",
                vec![
                    line(
                        "Nebenkostenvorauszahlung Heizung",
                        "1",
                        "MON",
                        "640.00",
                        s(19),
                    ),
                    line("Strom Allgemeinflächen", "1", "MON", "212.35", s(19)),
                    line("Wasser und Abwasser", "1", "MON", "88.10", s(19)),
                ],
            )
        },
        // 6: exempt training.
        spec(
            Ubl,
            LERNWERK,
            3310,
            45,
            "EUR",
            "CC-100/Personalabteilung",
            vec![
                line(
                    "Seminar „IFRS-Update für Controller“",
                    "3",
                    "C62",
                    "890.00",
                    Tax::E,
                ),
                line("Seminarunterlagen", "3", "C62", "45.00", Tax::E),
            ],
        ),
        // 7: exempt, with a down payment already made.
        Spec {
            prepaid: Some("1600.00"),
            note: Some("Die Anzahlung vom Vormonat ist abgezogen."),
            ..spec(
                Cii,
                LERNWERK,
                3371,
                12,
                "EUR",
                "CC-100/Personalabteilung",
                vec![
                    line(
                        "Inhouse-Schulung Excel für Fortgeschrittene (2 Tage)",
                        "1",
                        "LS",
                        "3200.00",
                        Tax::E,
                    ),
                    line("Reisekostenpauschale Trainer", "1", "LS", "280.00", Tax::E),
                ],
            )
        },
        // 8: intra-community supply of printed goods.
        Spec {
            order: Some("PO-4702"),
            ..spec(
                Cii,
                LUMIERE,
                7731,
                38,
                "EUR",
                "CC-500/Marketing",
                vec![
                    line(
                        "Brochures A4, 16 pages, quadrichromie",
                        "2000",
                        "C62",
                        "0.68",
                        Tax::K,
                    ),
                    line("Flyers A5 recto-verso", "5000", "C62", "0.045", Tax::K),
                    line("Kakémono roll-up 85 × 200 cm", "3", "C62", "119.00", Tax::K),
                    line("Affiches A2", "150", "C62", "1.20", Tax::K),
                ],
            )
        },
        // 9: French VAT for a trade fair stand in Lyon.
        spec(
            Ubl,
            LUMIERE,
            7790,
            33,
            "EUR",
            "CC-500/Marketing",
            vec![
                line(
                    "Montage stand salon Lyon, 18 m²",
                    "1",
                    "LS",
                    "2450.00",
                    s(20),
                ),
                line("Location mobilier stand", "1", "LS", "640.00", s(20)),
                line(
                    "Impression grand format sur site",
                    "2",
                    "C62",
                    "185.50",
                    s(20),
                ),
            ],
        ),
        // 10: intra-community supply of hardware, with characters that need escaping.
        Spec {
            order: Some("PO-4695"),
            ..spec(
                Ubl,
                POLDERLICHT,
                24018,
                35,
                "EUR",
                "CC-300/Weber",
                vec![
                    item(
                        "NB-PB14-32",
                        "Laptop ProBook 14, 32 GB",
                        "6",
                        "H87",
                        "1149.00",
                        Tax::K,
                    ),
                    item(
                        "MON-27QHD",
                        "Monitor 27\" QHD",
                        "6",
                        "H87",
                        "279.00",
                        Tax::K,
                    ),
                    item(
                        "DOCK-USBC",
                        "Docking station USB-C",
                        "6",
                        "H87",
                        "189.00",
                        Tax::K,
                    ),
                    item(
                        "KB-DE",
                        "Tastatur DE-Layout <QWERTZ>",
                        "6",
                        "H87",
                        "39.90",
                        Tax::K,
                    ),
                    item("MS-WL", "Muis draadloos", "6", "H87", "24.95", Tax::K),
                ],
            )
        },
        // 11: Dutch VAT for a workshop room in Amsterdam.
        spec(
            Cii,
            POLDERLICHT,
            24102,
            9,
            "EUR",
            "CC-300/Weber",
            vec![
                line(
                    "Workshopruimte Amsterdam, dagdeel",
                    "2",
                    "C62",
                    "375.00",
                    s(21),
                ),
                line("Huur AV-apparatuur", "1", "DAY", "145.00", s(21)),
            ],
        ),
        // 12: reverse-charge consulting in GBP.
        Spec {
            note: Some("Services supplied under our engagement letter of 12 March."),
            ..spec(
                Ubl,
                THISTLE,
                561,
                52,
                "GBP",
                "CC-100/Finance",
                vec![
                    line(
                        "Advisory: accounts-payable process review",
                        "4",
                        "DAY",
                        "1150.00",
                        Tax::AE,
                    ),
                    line(
                        "Workshop facilitation, London",
                        "1",
                        "DAY",
                        "950.00",
                        Tax::AE,
                    ),
                    line("Report & recommendations", "1", "LS", "1200.00", Tax::AE),
                ],
            )
        },
        // 13: UK VAT on hospitality in London; the VAT is rounded.
        spec(
            Cii,
            THISTLE,
            588,
            30,
            "GBP",
            "CC-200/Sales",
            vec![
                line(
                    "Trade fair hospitality package, London",
                    "2",
                    "C62",
                    "425.00",
                    s(20),
                ),
                line("Conference badge", "3", "C62", "119.99", s(20)),
            ],
        ),
        // 14: zero-rated printed books.
        spec(
            Ubl,
            THISTLE,
            602,
            16,
            "GBP",
            "CC-100/Finance",
            vec![
                line(
                    "Market report: European AP automation (printed)",
                    "2",
                    "C62",
                    "245.00",
                    Tax::Z,
                ),
                line("Benchmark handbook (printed)", "5", "C62", "38.50", Tax::Z),
                line(
                    "Pocket guide to VAT (printed)",
                    "10",
                    "C62",
                    "12.75",
                    Tax::Z,
                ),
            ],
        ),
        // 15: reverse-charge software subscription.
        Spec {
            order: Some("PO-4650"),
            ..spec(
                Cii,
                ALPENBLICK,
                40233,
                48,
                "EUR",
                "CC-300/Weber",
                vec![
                    line(
                        "Alpenblick Ledger Cloud – Business-Lizenz",
                        "25",
                        "C62",
                        "29.00",
                        Tax::AE,
                    ),
                    line("Modul Eingangsrechnungen", "25", "C62", "9.50", Tax::AE),
                    line("Premium-Support", "1", "MON", "190.00", Tax::AE),
                    line("Speichererweiterung 100 GB", "2", "C62", "15.00", Tax::AE),
                ],
            )
        },
        // 16: UBL credit note for part of 15.
        credit_note(
            15,
            spec(
                Ubl,
                ALPENBLICK,
                40301,
                24,
                "EUR",
                "CC-300/Weber",
                vec![
                    line(
                        "Gutschrift: nicht genutzte Lizenzen",
                        "5",
                        "C62",
                        "29.00",
                        Tax::AE,
                    ),
                    line(
                        "Gutschrift: Modul Eingangsrechnungen",
                        "5",
                        "C62",
                        "9.50",
                        Tax::AE,
                    ),
                ],
            ),
        ),
        // 17: 40 usage lines.
        Spec {
            note: Some("Usage for the previous calendar month. Detailed CSV in your console."),
            ..spec(
                Cii,
                EMERALD,
                118_220,
                29,
                "EUR",
                "CC-300/Platform",
                cloud_usage_lines(),
            )
        },
        // 18: paid to a factoring company.
        Spec {
            factored: true,
            note: Some(
                "We have assigned this receivable to Shamrock Trade Finance DAC. \
                 Please pay only to the account below.",
            ),
            ..spec(
                Ubl,
                EMERALD,
                118_431,
                6,
                "EUR",
                "CC-300/Platform",
                vec![
                    line("Managed Kubernetes cluster", "1", "MON", "1450.00", Tax::AE),
                    line("Premium support", "1", "MON", "399.00", Tax::AE),
                    line("Backup storage, TB-month", "3.5", "C62", "42.00", Tax::AE),
                ],
            )
        },
        // 19: outside the scope of VAT, in USD.
        Spec {
            due_days: 15,
            ..spec(
                Cii,
                REDWOOD,
                9120,
                43,
                "USD",
                "CC-200/Sales",
                vec![
                    line(
                        "Conference pass: FinOps Summit, 3 days",
                        "2",
                        "C62",
                        "1495.00",
                        Tax::O,
                    ),
                    line("Pre-conference workshop", "2", "C62", "395.00", Tax::O),
                    line("Networking dinner", "2", "C62", "85.00", Tax::O),
                ],
            )
        },
        // 20: reverse charge in SEK.
        spec(
            Ubl,
            NORRSKEN,
            77410,
            40,
            "SEK",
            "CC-400/IT-Support",
            vec![
                line(
                    "Mobilabonnemang Företag Bas",
                    "18",
                    "C62",
                    "249.00",
                    Tax::AE,
                ),
                line("Datapaket 20 GB", "18", "C62", "99.00", Tax::AE),
                line("Roaming EU", "1", "LS", "356.40", Tax::AE),
                line("Växeltjänst", "1", "MON", "1250.00", Tax::AE),
                line("eSIM-aktivering", "3", "C62", "49.00", Tax::AE),
            ],
        ),
        // 21: CII credit note for the roaming of 20.
        credit_note(
            20,
            spec(
                Cii,
                NORRSKEN,
                77502,
                14,
                "SEK",
                "CC-400/IT-Support",
                vec![line(
                    "Kreditering: felaktig roamingdebitering",
                    "1",
                    "LS",
                    "356.40",
                    Tax::AE,
                )],
            ),
        ),
        // 22: reverse-charge legal advice in CHF.
        spec(
            Cii,
            BERGKRISTALL,
            1187,
            36,
            "CHF",
            "CC-100/Geschäftsführung",
            vec![
                line(
                    "Rechtsberatung Vertragsprüfung",
                    "6.5",
                    "HUR",
                    "380.00",
                    Tax::AE,
                ),
                line(
                    "Handelsregisterauszug & Beglaubigung",
                    "1",
                    "LS",
                    "120.00",
                    Tax::AE,
                ),
            ],
        ),
        // 23: JPY, outside the scope of VAT.
        Spec {
            order: Some("PO-4688"),
            ..spec(
                Ubl,
                SAKURA,
                311,
                22,
                "JPY",
                "CC-400/Werkstatt",
                vec![
                    line(
                        "Calibration of torque measuring device TM-200",
                        "2",
                        "C62",
                        "48000",
                        Tax::O,
                    ),
                    line("Replacement sensor unit", "1", "H87", "23500", Tax::O),
                    line("Inspection certificate", "2", "C62", "3300", Tax::O),
                    line("Return shipping (EMS)", "1", "LS", "12450", Tax::O),
                ],
            )
        },
        // 24: twelve lines of cleaning supplies.
        Spec {
            due_days: 14,
            order: Some("PO-4741"),
            ..spec(
                Ubl,
                MUELLER,
                2361,
                4,
                "EUR",
                "CC-400/Hoffmann",
                vec![
                    line("Allzweckreiniger, 10 l", "4", "C62", "18.40", s(19)),
                    line("Glasreiniger, 5 l", "3", "C62", "12.90", s(19)),
                    line("Sanitärreiniger, 5 l", "4", "C62", "15.60", s(19)),
                    line("Handseife, Nachfüllbeutel 1 l", "12", "C62", "3.95", s(19)),
                    line("Papierhandtücher, Karton", "10", "C62", "27.80", s(19)),
                    line("Toilettenpapier, 64 Rollen", "6", "C62", "24.50", s(19)),
                    line("Müllbeutel 120 l, 25 Stück", "8", "C62", "6.75", s(19)),
                    line("Mikrofasertücher, 10er-Pack", "5", "C62", "9.99", s(19)),
                    line("Desinfektionsmittel, 1 l", "10", "C62", "8.45", s(19)),
                    line("Spülmaschinentabs, 100 Stück", "3", "C62", "17.90", s(19)),
                    line("Entkalker, 1 l", "2", "C62", "6.30", s(19)),
                    line("Wischmopp-Bezüge", "6", "C62", "7.85", s(19)),
                ],
            )
        },
        // 25: CII credit note for the damaged toner of 0.
        credit_note(
            0,
            spec(
                Cii,
                NORDLICHT,
                10611,
                3,
                "EUR",
                "CC-100/Schmidt",
                vec![item(
                    "TON-HL4200",
                    "Gutschrift Toner HL-4200 (beschädigt geliefert)",
                    "1",
                    "H87",
                    "89.90",
                    s(19),
                )],
            ),
        ),
    ]
}

fn terms(vendor: &VendorProfile, spec: &Spec) -> String {
    let german = matches!(vendor.party.country, "DE" | "AT" | "CH");
    match (spec.credit_note, german) {
        (true, true) => "Der Betrag wird mit Ihrer nächsten Zahlung verrechnet.".to_owned(),
        (true, false) => "The amount will be offset against your next payment.".to_owned(),
        (false, true) => format!("Zahlbar innerhalb von {} Tagen ohne Abzug.", spec.due_days),
        (false, false) => format!("Payment within {} days, net.", spec.due_days),
    }
}

fn number(vendor: &VendorProfile, spec: &Spec, issue_date: NaiveDate) -> String {
    format!("{}-{}-{}", vendor.prefix, issue_date.year(), spec.seq)
}

fn days_before(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days)).unwrap_or(date)
}

fn days_after(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days)).unwrap_or(date)
}

/// The demo invoices, dated relative to `today`.
pub(super) fn invoices(today: NaiveDate) -> Vec<Invoice> {
    let vendors = vendors::profiles();
    let company = vendors::company();
    let specs = specs();
    let headers: Vec<(String, NaiveDate)> = specs
        .iter()
        .map(|spec| {
            let issue_date = days_before(today, spec.days_ago);
            (number(&vendors[spec.vendor], spec, issue_date), issue_date)
        })
        .collect();
    specs
        .into_iter()
        .zip(&headers)
        .map(|(spec, (number, issue_date))| {
            let vendor = &vendors[spec.vendor];
            let taxes = || {
                spec.lines
                    .iter()
                    .map(|l| l.tax)
                    .chain(spec.allowances_charges.iter().map(|ac| ac.tax))
            };
            let mut buyer = company.clone();
            if taxes().any(|t| t == Tax::O) {
                // BR-O-02: no VAT identifiers on an invoice outside the scope of VAT.
                buyer.vat_id = None;
            }
            let delivery_date = taxes()
                .any(|t| t == Tax::K)
                .then(|| days_before(*issue_date, 3));
            let currency = Currency::parse(spec.currency).expect("a demo currency is ISO 4217");
            let payment = if spec.credit_note {
                None
            } else if spec.factored {
                let (name, iban) = vendors::factor();
                Some(PaymentAccount {
                    means_code: "58",
                    account_id: iban,
                    is_iban: true,
                    account_name: name,
                })
            } else if let Some(iban) = &vendor.iban {
                Some(PaymentAccount {
                    means_code: if spec.currency == "EUR" { "58" } else { "30" },
                    account_id: iban.clone(),
                    is_iban: true,
                    account_name: vendor.party.name.clone(),
                })
            } else {
                vendor.local_account.as_ref().map(|account| PaymentAccount {
                    means_code: "30",
                    account_id: account.clone(),
                    is_iban: false,
                    account_name: vendor.party.name.clone(),
                })
            };
            Invoice {
                syntax: spec.syntax,
                credit_note: spec.credit_note,
                number: number.clone(),
                issue_date: *issue_date,
                due_date: (!spec.credit_note).then(|| days_after(*issue_date, spec.due_days)),
                currency,
                note: spec.note.map(str::to_owned),
                buyer_reference: spec.buyer_reference.to_owned(),
                order_reference: spec.order.map(str::to_owned),
                preceding: spec.corrects.map(|index| headers[index].clone()),
                seller: vendor.party.clone(),
                buyer,
                payee: spec.factored.then(|| {
                    let (name, _) = vendors::factor();
                    Payee {
                        name,
                        legal_id: "IE 654321".to_owned(),
                    }
                }),
                delivery_date,
                payment,
                terms: terms(vendor, &spec),
                lines: spec.lines,
                allowances_charges: spec.allowances_charges,
                prepaid: spec.prepaid.map(d),
            }
        })
        .collect()
}
