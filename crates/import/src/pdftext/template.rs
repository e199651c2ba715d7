//! Vendor templates: TOML files (`rules/templates/*.toml`) that say how one supplier's PDF
//! invoices read, in the manner of invoice2data's YAML templates.
//!
//! A template applies when every one of its `keywords` occurs in the PDF's text. Its `[fields]`
//! are regular expressions over the normalised text (one text fragment per line, trimmed, empty
//! lines dropped — what [`super::normalise`] makes); the first capture group (or the whole match)
//! is the value, read like any other value ([`super::values`]). A field the template leaves out,
//! or whose expression finds nothing, falls back to the generic heuristics, so a template only
//! needs what the heuristics get wrong. Example:
//!
//! ```toml
//! issuer = "Coolblue B.V."            # the supplier as the invoice names it
//! keywords = ["Coolblue B.V.", "Factuurnummer"]
//! currency = "EUR"                    # when the text names none
//! decimal_separator = ","             # "," or "." (default: decided per value)
//! date_order = "dmy"                  # "dmy" or "mdy" for numeric dates (default dmy)
//! vat_id = "NL810433941B01"           # the supplier's VAT id, when the invoice shows it
//!
//! [fields]
//! number = '(\d+)\nFactuurnummer:'
//! issue_date = '(\d{1,2} \w+ \d{4})\nFactuurdatum:'
//! total = 'Subtotaal\n.*\n.*\n.*\n.*\n.*\n.*\nTotaal\n€\n(\S+)'
//! ```
//!
//! Templates shipped with Folio are compiled in ([`Templates::builtin`]); more can be loaded from a
//! folder ([`Templates::load_dir`]). A template that does not parse is an error naming the file and
//! what is wrong, never silently skipped.

use super::values::{DateOrder, DecimalSeparator};
use regex::Regex;
use serde::Deserialize;
use std::path::Path;
use std::sync::LazyLock;

/// The templates in `rules/templates/`, compiled in: (file name, text).
const BUILTIN: &[(&str, &str)] = &[
    (
        "amazon-web-services.toml",
        include_str!("../../../../rules/templates/amazon-web-services.toml"),
    ),
    (
        "coolblue.toml",
        include_str!("../../../../rules/templates/coolblue.toml"),
    ),
    (
        "flipkart.toml",
        include_str!("../../../../rules/templates/flipkart.toml"),
    ),
    (
        "free.toml",
        include_str!("../../../../rules/templates/free.toml"),
    ),
    (
        "netpresse.toml",
        include_str!("../../../../rules/templates/netpresse.toml"),
    ),
    (
        "oyo.toml",
        include_str!("../../../../rules/templates/oyo.toml"),
    ),
    (
        "qualityhosting.toml",
        include_str!("../../../../rules/templates/qualityhosting.toml"),
    ),
    (
        "saeco.toml",
        include_str!("../../../../rules/templates/saeco.toml"),
    ),
    (
        "sammy-maystone.toml",
        include_str!("../../../../rules/templates/sammy-maystone.toml"),
    ),
];

/// The file names of the compiled-in templates (a test checks they are all of `rules/templates`).
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTIN.iter().map(|(name, _)| *name)
}

/// A template file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    issuer: String,
    keywords: Vec<String>,
    currency: Option<String>,
    decimal_separator: Option<String>,
    date_order: Option<String>,
    vat_id: Option<String>,
    #[serde(default)]
    fields: FieldPatterns,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldPatterns {
    supplier: Option<String>,
    number: Option<String>,
    issue_date: Option<String>,
    due_date: Option<String>,
    currency: Option<String>,
    net: Option<String>,
    vat: Option<String>,
    total: Option<String>,
}

/// A loaded template.
#[derive(Debug, Clone)]
pub struct Template {
    /// The file name it came from.
    pub name: String,
    pub issuer: String,
    pub keywords: Vec<String>,
    pub currency: Option<String>,
    pub decimal_separator: Option<DecimalSeparator>,
    pub date_order: DateOrder,
    /// The file states `date_order` (numeric dates are then not ambiguous).
    pub states_date_order: bool,
    pub vat_id: Option<String>,
    pub fields: Vec<(Field, Regex)>,
}

/// The fields a template can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Supplier,
    Number,
    IssueDate,
    DueDate,
    Currency,
    Net,
    Vat,
    Total,
}

/// Why a template could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template {file}: {reason}")]
pub struct TemplateError {
    pub file: String,
    pub reason: String,
}

impl Template {
    /// Parses one template file's text.
    pub fn parse(file: &str, text: &str) -> Result<Template, TemplateError> {
        let err = |reason: String| TemplateError {
            file: file.to_owned(),
            reason,
        };
        let raw: TemplateFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        if raw.keywords.is_empty() {
            return Err(err(
                "'keywords' is empty; a template needs at least one word that identifies the \
                 supplier's invoices"
                    .to_owned(),
            ));
        }
        let decimal_separator = match raw.decimal_separator.as_deref() {
            None => None,
            Some(",") => Some(DecimalSeparator::Comma),
            Some(".") => Some(DecimalSeparator::Point),
            Some(other) => {
                return Err(err(format!(
                    "decimal_separator '{other}' is neither \",\" nor \".\""
                )));
            }
        };
        let date_order = match raw.date_order.as_deref() {
            None | Some("dmy") => DateOrder::DayMonth,
            Some("mdy") => DateOrder::MonthDay,
            Some(other) => {
                return Err(err(format!(
                    "date_order '{other}' is neither \"dmy\" nor \"mdy\""
                )));
            }
        };
        let f = raw.fields;
        let mut fields = Vec::new();
        for (field, key, pattern) in [
            (Field::Supplier, "supplier", f.supplier),
            (Field::Number, "number", f.number),
            (Field::IssueDate, "issue_date", f.issue_date),
            (Field::DueDate, "due_date", f.due_date),
            (Field::Currency, "currency", f.currency),
            (Field::Net, "net", f.net),
            (Field::Vat, "vat", f.vat),
            (Field::Total, "total", f.total),
        ] {
            if let Some(pattern) = pattern {
                let regex = Regex::new(&pattern)
                    .map_err(|e| err(format!("fields.{key} is not a valid expression: {e}")))?;
                fields.push((field, regex));
            }
        }
        Ok(Template {
            name: file.to_owned(),
            issuer: raw.issuer,
            keywords: raw.keywords,
            currency: raw.currency,
            decimal_separator,
            date_order,
            states_date_order: raw.date_order.is_some(),
            vat_id: raw.vat_id,
            fields,
        })
    }

    /// True when every keyword occurs in the text.
    pub fn matches(&self, text: &str) -> bool {
        self.keywords.iter().all(|k| text.contains(k.as_str()))
    }

    /// The text the template's expression for `field` captures, when it has one and it matches.
    pub fn capture(&self, field: Field, text: &str) -> Option<String> {
        let (_, regex) = self.fields.iter().find(|(f, _)| *f == field)?;
        let captures = regex.captures(text)?;
        let value = captures.get(1).or_else(|| captures.get(0))?;
        Some(value.as_str().trim().to_owned()).filter(|v| !v.is_empty())
    }
}

/// A set of templates, tried in order.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    pub templates: Vec<Template>,
}

static BUILTIN_TEMPLATES: LazyLock<Result<Templates, TemplateError>> = LazyLock::new(|| {
    let templates = BUILTIN
        .iter()
        .map(|(name, text)| Template::parse(name, text))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Templates { templates })
});

impl Templates {
    /// The templates shipped in `rules/templates/` (a test proves they all parse).
    pub fn builtin() -> &'static Templates {
        static EMPTY: Templates = Templates {
            templates: Vec::new(),
        };
        BUILTIN_TEMPLATES.as_ref().unwrap_or(&EMPTY)
    }

    /// Whether the compiled-in templates parse (the error names the file).
    pub fn builtin_error() -> Option<&'static TemplateError> {
        BUILTIN_TEMPLATES.as_ref().err()
    }

    /// Every `*.toml` file of `dir`, in name order.
    pub fn load_dir(dir: &Path) -> Result<Templates, TemplateError> {
        let io = |e: std::io::Error| TemplateError {
            file: dir.display().to_string(),
            reason: e.to_string(),
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        paths.sort();
        let mut templates = Vec::new();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(io)?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            templates.push(Template::parse(&name, &text)?);
        }
        Ok(Templates { templates })
    }

    /// The first template whose keywords all occur in the text.
    pub fn find(&self, text: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.matches(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_parses() {
        assert_eq!(Templates::builtin_error(), None);
        assert_eq!(Templates::builtin().templates.len(), BUILTIN.len());
    }

    #[test]
    fn every_file_in_rules_templates_is_compiled_in() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/templates");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("rules/templates exists")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        on_disk.sort();
        let mut compiled: Vec<String> = builtin_names().map(str::to_owned).collect();
        compiled.sort();
        assert_eq!(on_disk, compiled);
        assert_eq!(
            Templates::load_dir(&dir).map(|t| t.templates.len()).ok(),
            Some(BUILTIN.len())
        );
    }

    #[test]
    fn bad_templates_are_refused_naming_the_file_and_the_fault() {
        let cases = [
            ("keywords = []\nissuer = 'X'", "keywords"),
            (
                "issuer = 'X'\nkeywords = ['a']\n[fields]\ntotal = '('",
                "fields.total",
            ),
            (
                "issuer = 'X'\nkeywords = ['a']\ndecimal_separator = ';'",
                "decimal_separator",
            ),
            (
                "issuer = 'X'\nkeywords = ['a']\ndate_order = 'ymd'",
                "date_order",
            ),
            ("issuer = 'X'\nkeywords = ['a']\ncolour = 'red'", "colour"),
            ("keywords = ['a']", "issuer"),
        ];
        for (text, mentions) in cases {
            let error = Template::parse("t.toml", text).unwrap_err();
            assert!(
                error.to_string().contains("t.toml") && error.to_string().contains(mentions),
                "{text:?}: {error}"
            );
        }
    }

    #[test]
    fn a_template_captures_its_first_group() {
        let t = Template::parse(
            "t.toml",
            "issuer = 'Acme'\nkeywords = ['Acme', 'Invoice']\n[fields]\nnumber = 'No\\. (\\d+)'",
        )
        .expect("parses");
        assert!(t.matches("Acme Invoice No. 42"));
        assert!(!t.matches("Acme receipt"));
        assert_eq!(
            t.capture(Field::Number, "Invoice No. 42").as_deref(),
            Some("42")
        );
        assert_eq!(t.capture(Field::Total, "Total 1"), None);
    }
}
