//! The shipped rule packs and their JSON Schema agree: every pack under `rules/` validates against
//! `rules/schema/rule-pack.schema.json` (what an editor completes and checks) and loads (what
//! Folio runs), and packs that break the format are refused by both, so an editor never accepts
//! what Folio refuses. (The packs' own test cases run through the importer: see
//! `crates/app/tests/rule_packs.rs` and `folio rules test`.)

use folio_coding::rules::load_pack;
use std::path::{Path, PathBuf};

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(rules_dir().join("schema/rule-pack.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(
        jsonschema::meta::is_valid(&schema),
        "the schema is not a valid JSON Schema"
    );
    jsonschema::validator_for(&schema).unwrap()
}

fn schema_errors(validator: &jsonschema::Validator, toml_text: &str) -> Vec<String> {
    let instance: serde_json::Value = toml::from_str(toml_text).unwrap();
    validator
        .iter_errors(&instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn shipped_packs() -> Vec<PathBuf> {
    let mut packs: Vec<PathBuf> = std::fs::read_dir(rules_dir())
        .unwrap()
        .map(|e| e.unwrap().path().join("pack.toml"))
        .filter(|p| p.is_file())
        .collect();
    packs.sort();
    packs
}

#[test]
fn every_shipped_pack_matches_the_schema_and_loads() {
    let validator = validator();
    let packs = shipped_packs();
    assert!(!packs.is_empty(), "no pack under {}", rules_dir().display());
    for path in packs {
        let text = std::fs::read_to_string(&path).unwrap();
        let errors = schema_errors(&validator, &text);
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        let pack = load_pack(&path.display().to_string(), &text).unwrap();
        assert!(!pack.rules.is_empty(), "{}", path.display());
    }
}

#[test]
fn packs_that_break_the_format_are_refused_by_schema_and_loader_alike() {
    let validator = validator();
    let header = "[pack]\nid = \"p\"\nversion = \"1\"\n[[rules]]\nid = \"r\"\n";
    let cases = [
        "then.account = \"4930\"\nthen.colour = \"red\"\n",
        "when.amount.min = 800\nthen.account = \"4930\"\n",
        "when.vat.category = [\"Q\"]\nthen.account = \"4930\"\n",
        "stage = \"later\"\nthen.account = \"4930\"\n",
        "then.split = [{ percent = \"100\" }]\n",
        "then.split = [{ percent = \"50\", amount = \"1\" }, { rest = true }]\n",
        "when.currency = [\"eur\"]\nthen.account = \"4930\"\n",
        "when.buyer_reference = {}\nthen.account = \"4930\"\n",
        "when.description.words = [\"x\"]\n",
    ];
    for body in cases {
        let text = format!("{header}{body}");
        assert!(
            !schema_errors(&validator, &text).is_empty(),
            "the schema accepts:\n{text}"
        );
        assert!(
            load_pack("case.toml", &text).is_err(),
            "the loader accepts:\n{text}"
        );
    }
    let fine = format!("{header}stop = true\n");
    assert_eq!(schema_errors(&validator, &fine), Vec::<String>::new());
    load_pack("fine.toml", &fine).unwrap();
}
