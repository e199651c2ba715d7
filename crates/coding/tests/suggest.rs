//! Precedence per field: a person's value beats a rule's, a rule's beats the model's, the model's
//! beats the fallbacks; every proposal keeps its source, confidence and explanation.

use folio_coding::fixed::{FixedCoding, VendorCoding};
use folio_coding::learn::{Candidate, FieldSuggestion, Suggestion};
use folio_coding::rules::{CaseDocument, RuleSet, load_pack, parse_tests};
use folio_coding::suggest::{Explanation, Field, Inputs, PersonValue, Source, decide};
use folio_domain::{Document, TaxCode, VatCategory};
use rust_decimal_macros::dec;
use std::collections::BTreeMap;

const PACK: &str = r#"
[pack]
id = "p"
version = "2"

[[rules]]
id = "cc"
description = "Everything from ACME is sales"
when.supplier.name = ["ACME GmbH"]
then.dimensions.cost_centre = "CC-200"

[[rules]]
id = "toner"
when.description.words = ["toner"]
then.account = "4930"
then.tax_code = "V19-RULE"

[[rules]]
id = "rent"
when.description.words = ["miete"]
then.split = [
  { percent = "50", account = "4211", dimensions.cost_centre = "CC-100" },
  { percent = "50", account = "4212", dimensions.project = "P1" },
]
"#;

fn document() -> Document {
    let text = r#"
[[case]]
name = "doc"
[case.document]
supplier.name = "ACME GmbH"
[[case.document.lines]]
description = "Toner"
amount = "10.00"
vat_rate = "19"
[[case.document.lines]]
description = "Kaffee"
amount = "20.00"
vat_rate = "19"
[[case.document.lines]]
description = "Schrauben"
amount = "30.00"
vat_rate = "19"
[[case.document.lines]]
description = "Miete"
amount = "40.00"
vat_rate = "19"
[[case.expect]]
line = 1
"#;
    match parse_tests("doc.toml", text).unwrap().remove(0).document {
        CaseDocument::Inline(d) => *d,
        CaseDocument::File(_) => unreachable!(),
    }
}

fn field(value: Option<&str>, confidence: f64) -> FieldSuggestion {
    FieldSuggestion {
        value: value.map(str::to_owned),
        confidence,
        top: value
            .into_iter()
            .map(|v| Candidate {
                value: v.to_owned(),
                confidence,
            })
            .chain([Candidate {
                value: "9999".to_owned(),
                confidence: 0.01,
            }])
            .collect(),
    }
}

fn model(account: Option<&str>, cost_centre: Option<&str>) -> Suggestion {
    Suggestion {
        account: field(account, 0.8765),
        cost_centre: field(cost_centre, 0.5),
        explanation: None,
    }
}

fn person(line_no: u32, field: Field, value: &str) -> PersonValue {
    PersonValue {
        line_no,
        field,
        value: value.to_owned(),
        learn: false,
        by: "anna".to_owned(),
        at: "2025-03-04T10:00:00Z".to_owned(),
    }
}

#[test]
fn each_field_takes_the_strongest_source() {
    let doc = document();
    let rules = RuleSet::new(vec![load_pack("p.toml", PACK).unwrap()])
        .unwrap()
        .apply(&doc);
    let fixed = FixedCoding {
        vendors: vec![VendorCoding {
            code: "V1".into(),
            vat_id: None,
            name: "Acme gmbh".into(),
            expense_account: Some("4000".into()),
            iban: None,
        }],
        default_account: Some("4900".into()),
        default_dimensions: BTreeMap::from([("cost_centre".into(), "CC-999".into())]),
    }
    .defaults(&doc);
    let tax_codes = [TaxCode {
        code: "V19".into(),
        name: "19".into(),
        vat_category: VatCategory::S,
        rate: dec!(19),
        input_account: Some("1576".into()),
        output_account: None,
    }];
    let model = [
        model(Some("4800"), Some("CC-300")),
        model(Some("4801"), Some("CC-301")),
        model(None, None),
        model(Some("4802"), None),
    ];
    let person = [
        person(1, Field::Account, "4940"),
        person(4, Field::Account, "4210"),
        person(4, Field::Dimension("project".into()), "P9"),
    ];
    let coded = decide(
        &doc,
        &Inputs {
            rules: &rules,
            model: &model,
            person: &person,
            fixed: &fixed,
            tax_codes: &tax_codes,
            cost_centre_dimension: "cost_centre",
        },
    );
    let chosen = |line: usize, f: &Field| {
        let p = coded.lines[line].field(f).unwrap().chosen().unwrap();
        (p.source, p.value.clone())
    };
    let cc = Field::Dimension("cost_centre".into());
    // Line 1: the person's account beats the rule's and the model's.
    assert_eq!(chosen(0, &Field::Account), (Source::Person, "4940".into()));
    let sources: Vec<Source> = coded.lines[0]
        .field(&Field::Account)
        .unwrap()
        .proposals
        .iter()
        .map(|p| p.source)
        .collect();
    assert_eq!(
        sources,
        [Source::Person, Source::Rule, Source::Model, Source::Fixed]
    );
    // The rule's cost centre beats the model's; the rule's tax code beats the derived one.
    assert_eq!(chosen(0, &cc), (Source::Rule, "CC-200".into()));
    assert_eq!(
        chosen(0, &Field::TaxCode),
        (Source::Rule, "V19-RULE".into())
    );
    // Line 2: no rule and no person for the account: the model fills it, with its confidence.
    let p = coded.lines[1]
        .field(&Field::Account)
        .unwrap()
        .chosen()
        .unwrap();
    assert_eq!((p.source, p.value.as_str()), (Source::Model, "4801"));
    assert_eq!(p.confidence, dec!(0.877));
    match &p.explanation {
        Explanation::Model { alternatives, .. } => {
            assert_eq!(alternatives[0].value, "9999");
            assert_eq!(alternatives[0].confidence, dec!(0.010));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(chosen(1, &Field::TaxCode), (Source::Fixed, "V19".into()));
    assert_eq!(
        coded.coding.lines[1].tax_code, None,
        "the builder derives it"
    );
    // Line 3: the model has nothing: the vendor's default account.
    let p = coded.lines[2]
        .field(&Field::Account)
        .unwrap()
        .chosen()
        .unwrap();
    assert_eq!((p.source, p.value.as_str()), (Source::Fixed, "4000"));
    assert_eq!(p.confidence, dec!(0.5));
    // Line 4: the person's account and project win over the split parts' own.
    let coding = &coded.coding.lines[3];
    assert_eq!(coding.account, "4210");
    assert_eq!(coding.split.len(), 2);
    assert!(coding.split.iter().all(|s| s.account.is_none()));
    assert_eq!(coding.split[0].dimensions["cost_centre"], "CC-100");
    assert!(!coding.split[1].dimensions.contains_key("project"));
    assert_eq!(coding.dimensions["project"], "P9");
    assert_eq!(
        coded.lines[3].value(&Field::Split),
        Some("50 % account=4211 cost_centre=CC-100 / 50 % account=4212 project=P1")
    );
}

#[test]
fn field_keys_round_trip() {
    for f in [
        Field::Account,
        Field::TaxCode,
        Field::Split,
        Field::Dimension("cost_centre".into()),
    ] {
        assert_eq!(Field::parse(&f.key()), Some(f));
    }
    assert_eq!(Field::parse("dimension:"), None);
    assert_eq!(Field::parse("colour"), None);
}
