//! The demo vendors and the demo company, with everything an invoice prints about them.
//!
//! All names, addresses, e-mail domains (`.example`, RFC 2606) and numbers are invented; the
//! identifiers are built by [`super::ids`] so their check digits are right.

use super::ids;
use super::model::PartyData;

/// A vendor as the demo needs it: the party printed on its invoices and how Folio codes it.
#[derive(Debug, Clone)]
pub(super) struct VendorProfile {
    pub code: &'static str,
    pub party: PartyData,
    pub iban: Option<String>,
    /// Bank account for vendors outside the IBAN area.
    pub local_account: Option<String>,
    pub default_account: &'static str,
    pub cost_centre: &'static str,
    /// Prefix of the vendor's invoice numbers.
    pub prefix: &'static str,
}

pub(super) const NORDLICHT: usize = 0;
pub(super) const MUELLER: usize = 1;
pub(super) const RHEINWERK: usize = 2;
pub(super) const LERNWERK: usize = 3;
pub(super) const LUMIERE: usize = 4;
pub(super) const POLDERLICHT: usize = 5;
pub(super) const THISTLE: usize = 6;
pub(super) const ALPENBLICK: usize = 7;
pub(super) const EMERALD: usize = 8;
pub(super) const REDWOOD: usize = 9;
pub(super) const NORRSKEN: usize = 10;
pub(super) const BERGKRISTALL: usize = 11;
pub(super) const SAKURA: usize = 12;

#[allow(clippy::too_many_arguments)]
fn party(
    name: &str,
    street: &str,
    postal_code: &str,
    city: &str,
    country: &'static str,
    vat_id: Option<String>,
    legal_id: Option<(String, Option<&'static str>)>,
    endpoint: (&'static str, String),
    contact: (&str, &str),
    email: &str,
) -> PartyData {
    PartyData {
        name: name.to_owned(),
        street: street.to_owned(),
        city: city.to_owned(),
        postal_code: postal_code.to_owned(),
        subdivision: None,
        country,
        vat_id,
        legal_id,
        endpoint,
        contact: contact.0.to_owned(),
        phone: contact.1.to_owned(),
        email: email.to_owned(),
    }
}

/// A German vendor: VAT id as electronic address (EAS 9930), IBAN from bank code and account.
#[allow(clippy::too_many_arguments)]
fn german(
    code: &'static str,
    name: &str,
    street: &str,
    postal_code: &str,
    city: &str,
    vat_base: &str,
    register: &str,
    contact: (&str, &str),
    email: &str,
    bank: (&str, &str),
    coding: (&'static str, &'static str, &'static str),
) -> VendorProfile {
    let vat = ids::de_vat(vat_base);
    VendorProfile {
        code,
        party: party(
            name,
            street,
            postal_code,
            city,
            "DE",
            Some(vat.clone()),
            Some((register.to_owned(), None)),
            ("9930", vat),
            contact,
            email,
        ),
        iban: Some(ids::iban("DE", &format!("{}{}", bank.0, bank.1))),
        local_account: None,
        default_account: coding.0,
        cost_centre: coding.1,
        prefix: coding.2,
    }
}

/// The buyer on every demo invoice: the company the demo ledger belongs to.
pub(super) fn company() -> PartyData {
    let vat = ids::de_vat("29384756");
    party(
        "Folio Demo GmbH",
        "Musterallee 12",
        "10115",
        "Berlin",
        "DE",
        Some(vat.clone()),
        Some(("HRB 234567 B".to_owned(), None)),
        ("9930", vat),
        ("Kreditorenbuchhaltung", "+49 30 5550 1200"),
        "ap@folio-demo.example",
    )
}

/// The factoring company that one demo vendor assigns its receivables to (a payee, BG-10).
pub(super) fn factor() -> (String, String) {
    (
        "Shamrock Trade Finance DAC".to_owned(),
        ids::iban("IE", "SHTF99051266120394"),
    )
}

pub(super) fn profiles() -> Vec<VendorProfile> {
    let (se_org, se_vat) = ids::se_org_and_vat("556712345");
    let fr_vat = ids::fr_vat("51234987");
    let fr_siren = fr_vat[4..].to_owned();
    let fr_rib = ids::fr_rib_key("30004", "02837", "00010473921");
    let ch_vat = ids::ch_vat(41827365);
    let ch_uid = ch_vat.trim_end_matches("MWST").to_owned();
    let nl_vat = ids::nl_vat(81234567);
    let gb_vat = ids::gb_vat("3948271");
    let at_vat = ids::at_vat("6372819");
    let ie_vat = ids::ie_vat("9837261");
    vec![
        german(
            "V10001",
            "Nordlicht Bürobedarf GmbH",
            "Speicherstadtweg 14",
            "20457",
            "Hamburg",
            "27384651",
            "HRB 104733",
            ("Anna Petersen", "+49 40 3012 4470"),
            "rechnung@nordlicht-buero.example",
            ("20050000", "0004417203"),
            ("4930", "CC-100", "NB"),
        ),
        german(
            "V10002",
            "Müller & Söhne Gebäudereinigung KG",
            "Industriestraße 7",
            "50735",
            "Köln",
            "81246093",
            "HRA 33821",
            ("Jörg Müller", "+49 221 9876 540"),
            "buchhaltung@mueller-soehne.example",
            ("37050299", "0012874410"),
            ("4250", "CC-400", "MS"),
        ),
        german(
            "V10003",
            "Rheinwerk Immobilien GmbH & Co. KG",
            "Rheinuferpromenade 3",
            "40213",
            "Düsseldorf",
            "14957302",
            "HRA 58214",
            ("Objektverwaltung", "+49 211 4455 600"),
            "mieten@rheinwerk-immobilien.example",
            ("30050000", "0007742196"),
            ("4210", "CC-100", "RW"),
        ),
        german(
            "V10004",
            "Lernwerk Akademie gGmbH",
            "Bildungsallee 21",
            "80331",
            "München",
            "30518774",
            "HRB 219744",
            ("Seminarbüro", "+49 89 2100 3300"),
            "rechnung@lernwerk-akademie.example",
            ("70150000", "0028391746"),
            ("4945", "CC-100", "LW"),
        ),
        VendorProfile {
            code: "V10005",
            party: party(
                "Imprimerie Lumière & Fils SARL",
                "12 rue des Canuts",
                "69004",
                "Lyon",
                "FR",
                Some(fr_vat.clone()),
                Some((fr_siren, Some("0002"))),
                ("9957", fr_vat),
                ("Claire Dubois", "+33 4 72 00 41 18"),
                "factures@imprimerie-lumiere.example",
            ),
            iban: Some(ids::iban("FR", &format!("300040283700010473921{fr_rib}"))),
            local_account: None,
            default_account: "4600",
            cost_centre: "CC-500",
            prefix: "IL",
        },
        VendorProfile {
            code: "V10006",
            party: party(
                "Polderlicht Hardware B.V.",
                "Keizersgracht 221",
                "1016 DV",
                "Amsterdam",
                "NL",
                Some(nl_vat.clone()),
                Some(("68123457".to_owned(), Some("0106"))),
                ("9944", nl_vat),
                ("Sanne de Vries", "+31 20 555 0142"),
                "facturen@polderlicht.example",
            ),
            iban: Some(ids::iban("NL", "PLDB0417283946")),
            local_account: None,
            default_account: "4855",
            cost_centre: "CC-300",
            prefix: "PH",
        },
        VendorProfile {
            code: "V10007",
            party: party(
                "Thistle & Crown Consulting Ltd",
                "48 Fenchurch Street",
                "EC3M 3JY",
                "London",
                "GB",
                Some(gb_vat.clone()),
                Some(("09876543".to_owned(), None)),
                ("9932", gb_vat),
                ("Fiona MacLeod", "+44 20 7946 0321"),
                "accounts@thistle-crown.example",
            ),
            iban: Some(ids::iban("GB", "TCCB40127641568392")),
            local_account: None,
            default_account: "4950",
            cost_centre: "CC-100",
            prefix: "TC",
        },
        VendorProfile {
            code: "V10008",
            party: party(
                "Alpenblick Software GmbH",
                "Mariahilfer Straße 88",
                "1070",
                "Wien",
                "AT",
                Some(at_vat.clone()),
                Some(("FN 482731 x".to_owned(), None)),
                ("9914", at_vat),
                ("Lukas Hofer", "+43 1 5230 880"),
                "billing@alpenblick-software.example",
            ),
            iban: Some(ids::iban("AT", "2011182749163054")),
            local_account: None,
            default_account: "4964",
            cost_centre: "CC-300",
            prefix: "AB",
        },
        VendorProfile {
            code: "V10009",
            party: party(
                "Emerald Cloud Services Ltd",
                "5 Grand Canal Quay",
                "D02 X576",
                "Dublin",
                "IE",
                Some(ie_vat.clone()),
                Some(("712345".to_owned(), None)),
                ("9935", ie_vat),
                ("Billing Team", "+353 1 555 0199"),
                "billing@emerald-cloud.example",
            ),
            iban: Some(ids::iban("IE", "EMCB93115227418365")),
            local_account: None,
            default_account: "4964",
            cost_centre: "CC-300",
            prefix: "EC",
        },
        VendorProfile {
            code: "V10010",
            party: PartyData {
                subdivision: Some("CA".to_owned()),
                ..party(
                    "Redwood Conference Partners Inc.",
                    "500 Market Street, Suite 1200",
                    "94105",
                    "San Francisco",
                    "US",
                    None,
                    Some(("EIN 94-3187265".to_owned(), None)),
                    ("0088", ids::gln("061414112345")),
                    ("Accounts Receivable", "+1 415 555 0134"),
                    "ar@redwood-conferences.example",
                )
            },
            iban: None,
            local_account: Some("ABA 121000358 / 4410098765".to_owned()),
            default_account: "4660",
            cost_centre: "CC-200",
            prefix: "RC",
        },
        VendorProfile {
            code: "V10011",
            party: party(
                "Norrsken Telecom AB",
                "Sveavägen 44",
                "111 34",
                "Stockholm",
                "SE",
                Some(se_vat),
                Some((se_org.clone(), Some("0007"))),
                ("0007", se_org),
                ("Kundtjänst Företag", "+46 8 555 010 20"),
                "faktura@norrsken-telecom.example",
            ),
            iban: Some(ids::iban("SE", "50000000058398257466")),
            local_account: None,
            default_account: "4920",
            cost_centre: "CC-400",
            prefix: "NT",
        },
        VendorProfile {
            code: "V10012",
            party: party(
                "Bergkristall Treuhand AG",
                "Bahnhofstrasse 17",
                "8001",
                "Zürich",
                "CH",
                Some(ch_vat),
                None,
                ("0183", ch_uid),
                ("Dr. Sabine Keller", "+41 44 555 12 34"),
                "rechnung@bergkristall-treuhand.example",
            ),
            iban: Some(ids::iban("CH", "00762011623852957")),
            local_account: None,
            default_account: "4950",
            cost_centre: "CC-100",
            prefix: "BK",
        },
        VendorProfile {
            code: "V10013",
            party: party(
                "Sakura Seimitsu K.K.",
                "2-4-1 Umeda, Kita-ku",
                "530-0001",
                "Osaka",
                "JP",
                None,
                Some(("4120001077342".to_owned(), None)),
                ("0088", ids::gln("456995111617")),
                ("Accounting Department", "+81 6 5550 1234"),
                "accounts@sakura-seimitsu.example",
            ),
            iban: None,
            local_account: Some("Bank code 0571, account 4567890".to_owned()),
            default_account: "4800",
            cost_centre: "CC-400",
            prefix: "SK",
        },
    ]
}
