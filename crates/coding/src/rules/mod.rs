//! Rule packs: coding a finance team writes down, in TOML, instead of teaching it to a model.
//!
//! Some coding is policy, not pattern: "everything from the landlord is rent on cost centre 100",
//! "coffee is 7 % and goes to office supplies", "hardware over 800 EUR is an asset". Rules say so
//! exactly, are reviewed like any other change (with their own tests and a blast-radius diff), and
//! win over the learned suggester, which only fills what no rule and no person decided.
//!
//! - [`pack`] loads and checks one pack's text (conditions, actions, stages, priorities).
//! - [`matching`] decides whether a rule's conditions hold for a line.
//! - [`engine`] runs a [`RuleSet`] over a document and says which rule set which field.
//! - [`testing`] runs a pack's own test cases.
//!
//! Everything is pure: the caller reads the files and passes their text.

pub mod engine;
pub mod matching;
pub mod pack;
pub mod testing;

pub use engine::{DocumentRules, Fired, LineRules, RuleRef, RuleSet};
pub use pack::{Actions, Rule, RuleError, RulePack, Stage, content_hash, load_pack};
pub use testing::{CaseDocument, Expectation, Mismatch, TestCase, check_case, parse_tests};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::split::Share;
    use rust_decimal_macros::dec;

    const PACK: &str = r#"
[pack]
id = "test"
version = "1.0.0"

[[rules]]
id = "vendor"
when.supplier.vat_id = ["DE 123 456 789"]
then.account = "4930"
then.dimensions.cost_centre = "CC-100"

[[rules]]
id = "coffee"
priority = 10
when.description.words = ["kaffee", "coffee"]
then.account = "4900"
then.tax_code = "DE7"

[[rules]]
id = "buyer-ref"
stage = "pre"
when.buyer_reference.prefix = ["CC-300"]
then.dimensions.cost_centre = "CC-300"

[[rules]]
id = "big"
stage = "post"
when.amount.min = "800"
when.vat.category = ["S"]
then.account = "0490"

[[rules]]
id = "shared"
when.description.regex = "(?i)miete"
then.split = [
  { percent = "60", dimensions.cost_centre = "CC-100" },
  { percent = "40", dimensions.cost_centre = "CC-200" },
]

[[rules]]
id = "ignore-deposits"
priority = 100
stop = true
when.description.words = ["kaution"]

[[rules]]
id = "never-reached"
when.description.words = ["kaution"]
then.account = "9999"
"#;

    fn document(lines: &[(&str, &str)], buyer_reference: Option<&str>) -> folio_domain::Document {
        let mut text = String::from(
            "[[case]]\nname = \"x\"\n[case.document]\nsupplier.name = \"ACME\"\n\
             supplier.vat_id = \"DE123456789\"\n",
        );
        if let Some(r) = buyer_reference {
            text.push_str(&format!("buyer_reference = \"{r}\"\n"));
        }
        for (description, amount) in lines {
            text.push_str(&format!(
                "[[case.document.lines]]\ndescription = \"{description}\"\namount = \"{amount}\"\n\
                 vat_rate = \"19\"\n"
            ));
        }
        text.push_str("[[case.expect]]\nline = 1\n");
        match parse_tests("t", &text).unwrap().remove(0).document {
            CaseDocument::Inline(d) => *d,
            CaseDocument::File(_) => unreachable!(),
        }
    }

    fn rules() -> RuleSet {
        RuleSet::new(vec![load_pack("test.toml", PACK).unwrap()]).unwrap()
    }

    #[test]
    fn precedence_follows_stage_then_priority() {
        let doc = document(
            &[
                ("Toner", "100"),
                ("Kaffee Espresso", "20"),
                ("Laptop", "900"),
                ("Büromiete", "1000"),
            ],
            Some("CC-300/Weber"),
        );
        let coded = rules().apply(&doc);
        let account = |i: usize| coded.lines[i].account.as_ref().map(|f| f.value.as_str());
        let rule = |i: usize| coded.lines[i].account.as_ref().map(|f| f.by.rule.as_str());
        // The vendor rule and the coffee rule are both default-stage: priority 10 wins.
        assert_eq!(account(0), Some("4930"));
        assert_eq!(account(1), Some("4900"));
        assert_eq!(rule(1), Some("coffee"));
        // Post overrides default.
        assert_eq!(account(2), Some("0490"));
        assert_eq!(rule(2), Some("big"));
        // Default overrides the pre-stage cost centre.
        assert_eq!(coded.lines[0].dimensions["cost_centre"].value, "CC-100");
        assert_eq!(coded.lines[0].dimensions["cost_centre"].by.rule, "vendor");
        // The pack version shows the content hash.
        let by = &coded.lines[0].account.as_ref().unwrap().by;
        assert!(by.pack_version.starts_with("1.0.0+"), "{}", by.pack_version);
        assert_eq!(by.pack_version.len(), "1.0.0+".len() + 12);
        // Matched rules are listed in run order.
        let matched: Vec<&str> = coded.lines[2]
            .matched
            .iter()
            .map(|m| m.rule.as_str())
            .collect();
        assert_eq!(matched, ["buyer-ref", "vendor", "big"]);
        let split = coded.lines[3].split.as_ref().unwrap();
        assert_eq!(split.value[0].share, Share::Percent(dec!(60)));
    }

    #[test]
    fn stop_ends_the_run_for_the_line() {
        let doc = document(&[("Kaution Lagerfläche", "3000")], Some("CC-300"));
        let coded = rules().apply(&doc);
        let line = &coded.lines[0];
        let matched: Vec<&str> = line.matched.iter().map(|m| m.rule.as_str()).collect();
        assert_eq!(matched, ["buyer-ref", "ignore-deposits"]);
        assert_eq!(line.account, None);
    }

    #[test]
    fn a_split_that_does_not_fit_is_not_applied_and_says_why() {
        let pack = r#"
[pack]
id = "p"
version = "1"
[[rules]]
id = "fixed"
then.split = [{ amount = "50.00", dimensions.cost_centre = "CC-1" }, { rest = true }]
"#;
        let set = RuleSet::new(vec![load_pack("p.toml", pack).unwrap()]).unwrap();
        let coded = set.apply(&document(&[("A", "40"), ("B", "70")], None));
        assert!(coded.lines[0].split.is_none());
        assert!(coded.lines[1].split.is_some());
        assert_eq!(coded.problems.len(), 1);
        assert!(
            coded.problems[0]
                .message
                .contains("more than the 40.00 EUR being split"),
            "{}",
            coded.problems[0].message
        );
    }

    #[test]
    fn every_mistake_in_a_pack_is_reported_with_its_place() {
        let cases = [
            (
                "[pack]\nid = \"Bad Id\"\nversion = \"1\"\n",
                "pack.id: 'Bad Id' is not a pack id",
            ),
            (
                "[pack]\nid = \"p\"\nversion = \"1\"\n[[rules]]\nid = \"r\"\n\
                 when.description.regex = \"(\"\nthen.account = \"1\"\n",
                "rules[0] (r).when.description.regex: the regex does not compile",
            ),
            (
                "[pack]\nid = \"p\"\nversion = \"1\"\n[[rules]]\nid = \"r\"\n\
                 when.amount.min = \"ten\"\nthen.account = \"1\"\n",
                "rules[0] (r).when.amount.min: 'ten' is not a decimal number",
            ),
            (
                "[pack]\nid = \"p\"\nversion = \"1\"\n[[rules]]\nid = \"r\"\n\
                 then.split = [{ percent = \"60\" }, { percent = \"30\" }]\n",
                "rules[0] (r).then.split: the percentages add up to 90 %, not 100 %",
            ),
            (
                "[pack]\nid = \"p\"\nversion = \"1\"\n[[rules]]\nid = \"r\"\n",
                "rules[0] (r).then: the rule sets nothing",
            ),
            (
                "[pack]\nid = \"p\"\nversion = \"1\"\n[[rules]]\nid = \"r\"\n\
                 when.colour = \"red\"\nthen.account = \"1\"\n",
                "unknown field `colour`",
            ),
            (
                "[pack]\nid = \"p\"\nversion = \"1\"\n[[rules]]\nid = \"r\"\n\
                 then.account = \"1\"\n[[rules]]\nid = \"r\"\nthen.account = \"2\"\n",
                "rules[1].id: the rule id 'r' is used twice",
            ),
            (
                "[pack]\nid = \"p\"\nversion = \"1\"\n[[rules]]\nid = \"r\"\n\
                 when.currency = [\"XXY\"]\nwhen.vat.category = [\"Q\"]\nthen.account = \"1\"\n",
                "rules[0] (r).when.vat.category[0]: 'Q' is not a VAT category",
            ),
        ];
        for (text, expected) in cases {
            let err = load_pack("bad.toml", text).unwrap_err().to_string();
            assert!(err.starts_with("bad.toml: "), "{err}");
            assert!(err.contains(expected), "expected '{expected}' in: {err}");
        }
    }

    #[test]
    fn a_wrong_expectation_fails_and_a_right_one_passes() {
        let doc = document(&[("Kaffee", "10")], None);
        let right = Expectation {
            line: 1,
            account: Some("4900".into()),
            tax_code: Some("DE7".into()),
            rule: Some("coffee".into()),
            ..Expectation::default()
        };
        assert_eq!(check_case(&rules(), &doc, &[right]), vec![]);
        let wrong = Expectation {
            line: 1,
            account: Some("4930".into()),
            unset: vec!["tax_code".into()],
            rule: Some("vendor-x".into()),
            ..Expectation::default()
        };
        let mismatches = check_case(&rules(), &doc, &[wrong]);
        let fields: Vec<&str> = mismatches.iter().map(|m| m.field.as_str()).collect();
        assert_eq!(fields, ["account", "rule", "tax_code"]);
        assert_eq!(mismatches[0].expected, "4930");
        assert_eq!(mismatches[0].actual, "4900");
    }

    #[test]
    fn split_expectations_compare_exact_amounts() {
        let doc = document(&[("Miete", "100.01")], None);
        let part = |amount, cc: &str| testing::ExpectedPart {
            amount,
            account: None,
            dimensions: [("cost_centre".to_owned(), cc.to_owned())].into(),
        };
        let mut e = Expectation {
            line: 1,
            split: Some(vec![
                part(dec!(60.01), "CC-100"),
                part(dec!(40.00), "CC-200"),
            ]),
            ..Expectation::default()
        };
        assert_eq!(check_case(&rules(), &doc, std::slice::from_ref(&e)), vec![]);
        e.split = Some(vec![
            part(dec!(60.00), "CC-100"),
            part(dec!(40.01), "CC-200"),
        ]);
        let mismatches = check_case(&rules(), &doc, &[e]);
        assert_eq!(mismatches.len(), 1);
        assert_eq!(
            mismatches[0].actual,
            "60.01 cost_centre=CC-100 / 40.00 cost_centre=CC-200"
        );
    }
}
