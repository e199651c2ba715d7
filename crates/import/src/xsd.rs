//! Schema-level checks (XSD) of CII invoices: the Factur-X 1.09 profile schemas (MINIMUM,
//! BASIC WL, BASIC, EN 16931, EXTENDED) and the ZUGFeRD 1.0 schema, shipped in `crates/import/xsd/`
//! (see its README for where they come from).
//!
//! The importer's mappers read what they need by local name and ignore the rest, which is right for
//! reading but lets through files that every conforming receiver refuses at the first step: an
//! element in no namespace, an element the profile does not allow (a buyer address in MINIMUM),
//! elements out of order, a second `ExchangedDocument`. Those are XSD errors, and a reviewer should
//! see them named as such. The schemas are small and use a tiny subset of XML Schema — named
//! complex types whose content is a `sequence` or `choice` of elements with `minOccurs` /
//! `maxOccurs`, simple content with attributes, and simple types — so Folio reads them itself
//! (once, at first use) instead of pulling in a full XSD engine, and validates the element structure
//! and required attributes. Values (enumerations, decimals, dates) are the mappers' and the
//! business rules' job.
//!
//! | rule | finds |
//! |---|---|
//! | `XSD-01` | an element the schema does not allow at that place (unknown name, or wrong namespace) |
//! | `XSD-02` | a required element (`minOccurs` ≥ 1) that is missing |
//! | `XSD-03` | an element repeated more often than its `maxOccurs` |
//! | `XSD-04` | an element the schema allows in that parent, but not at that position (order) |
//! | `XSD-05` | a required attribute (`use="required"`) that is missing |

use folio_domain::Problem;
use roxmltree::Node;
use std::collections::HashMap;
use std::sync::LazyLock;

const XS: &str = "http://www.w3.org/2001/XMLSchema";
/// Elements of the ZUGFeRD 2.0 schemas (2019) that Factur-X 1.09 dropped; files of that time
/// carry them and were valid when written, so they are skipped rather than reported.
const LEGACY_ELEMENTS: &[&str] = &["GermanBankleitzahlID"];
/// At most this many schema problems are reported per document (a file in the wrong schema would
/// otherwise list every element).
const MAX_FINDINGS: usize = 20;

/// The schemas Folio validates against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaId {
    FacturxMinimum,
    FacturxBasicWl,
    FacturxBasic,
    FacturxEn16931,
    FacturxExtended,
    Zugferd1,
}

impl SchemaId {
    /// What a message calls the schema.
    pub fn name(&self) -> &'static str {
        match self {
            SchemaId::FacturxMinimum => "Factur-X MINIMUM",
            SchemaId::FacturxBasicWl => "Factur-X BASIC WL",
            SchemaId::FacturxBasic => "Factur-X BASIC",
            SchemaId::FacturxEn16931 => "Factur-X EN 16931",
            SchemaId::FacturxExtended => "Factur-X EXTENDED",
            SchemaId::Zugferd1 => "ZUGFeRD 1.0",
        }
    }

    fn files(&self) -> &'static [&'static str] {
        // A Factur-X profile's four files: the root schema and its qualified, reusable-aggregate
        // and unqualified data types (EXTENDED's aggregates are at 1.09.2).
        macro_rules! facturx {
            ($dir:literal, $name:literal, $ram:literal) => {
                &[
                    include_str!(concat!("../xsd/facturx-", $dir, "/Factur-X_", $name, ".xsd")),
                    include_str!(concat!(
                        "../xsd/facturx-", $dir, "/Factur-X_1.09_", $name,
                        "_urn_un_unece_uncefact_data_standard_QualifiedDataType_100.xsd"
                    )),
                    include_str!(concat!(
                        "../xsd/facturx-", $dir, "/Factur-X_", $ram, "_", $name,
                        "_urn_un_unece_uncefact_data_standard_ReusableAggregateBusinessInformationEntity_100.xsd"
                    )),
                    include_str!(concat!(
                        "../xsd/facturx-", $dir, "/Factur-X_1.09_", $name,
                        "_urn_un_unece_uncefact_data_standard_UnqualifiedDataType_100.xsd"
                    )),
                ]
            };
        }
        match self {
            SchemaId::FacturxMinimum => facturx!("minimum", "MINIMUM", "1.09"),
            SchemaId::FacturxBasicWl => facturx!("basicwl", "BASICWL", "1.09"),
            SchemaId::FacturxBasic => facturx!("basic", "BASIC", "1.09"),
            SchemaId::FacturxEn16931 => facturx!("en16931", "EN16931", "1.09"),
            SchemaId::FacturxExtended => facturx!("extended", "EXTENDED", "1.09.2"),
            SchemaId::Zugferd1 => &[
                include_str!("../xsd/zugferd1/ZUGFeRD1p0.xsd"),
                include_str!(
                    "../xsd/zugferd1/ZUGFeRD1p0_urn_un_unece_uncefact_data_standard_QualifiedDataType_12.xsd"
                ),
                include_str!(
                    "../xsd/zugferd1/ZUGFeRD1p0_urn_un_unece_uncefact_data_standard_ReusableAggregateBusinessInformationEntity_12.xsd"
                ),
                include_str!(
                    "../xsd/zugferd1/ZUGFeRD1p0_urn_un_unece_uncefact_data_standard_UnqualifiedDataType_15.xsd"
                ),
            ],
        }
    }

    /// The schema a CII D16B document is held to, from its specification identifier (BT-24):
    /// the Factur-X / ZUGFeRD 2 profile it names, EXTENDED for extensions, EN 16931 otherwise
    /// (plain EN 16931 and its CIUS such as XRechnung use the EN 16931 syntax binding).
    pub fn for_cii(guideline: Option<&str>) -> SchemaId {
        let id = guideline.unwrap_or_default().trim().to_ascii_lowercase();
        if id.ends_with(":minimum") {
            SchemaId::FacturxMinimum
        } else if id.ends_with(":basicwl") {
            SchemaId::FacturxBasicWl
        } else if id.ends_with(":basic") {
            SchemaId::FacturxBasic
        } else if id.contains("extended") || id.contains("#conformant#") {
            SchemaId::FacturxExtended
        } else {
            SchemaId::FacturxEn16931
        }
    }
}

/// A qualified name: (namespace, local name).
type QName = (String, String);

/// How often a particle may occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Occurs {
    min: u32,
    /// `None`: unbounded.
    max: Option<u32>,
}

/// One entry of a content model.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Particle {
    Element {
        name: QName,
        ty: TypeRef,
        occurs: Occurs,
    },
    Choice(Vec<Particle>, Occurs),
    Sequence(Vec<Particle>, Occurs),
}

/// What an element's type is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TypeRef {
    Named(QName),
    Anonymous(Box<ComplexType>),
    /// A built-in or simple type: text only, no attributes checked.
    Simple,
}

/// A complex type: element content (a particle) or simple content, plus required attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ComplexType {
    /// `None`: simple content (text) or empty.
    content: Option<Particle>,
    required_attributes: Vec<String>,
}

/// A loaded schema set.
#[derive(Debug, Default)]
struct Schema {
    roots: Vec<(QName, TypeRef)>,
    types: HashMap<QName, ComplexType>,
}

static SCHEMAS: LazyLock<HashMap<SchemaId, Schema>> = LazyLock::new(|| {
    [
        SchemaId::FacturxMinimum,
        SchemaId::FacturxBasicWl,
        SchemaId::FacturxBasic,
        SchemaId::FacturxEn16931,
        SchemaId::FacturxExtended,
        SchemaId::Zugferd1,
    ]
    .into_iter()
    .map(|id| (id, load(id.files())))
    .collect()
});

fn load(files: &[&str]) -> Schema {
    let mut schema = Schema::default();
    for text in files {
        // The shipped schemas are tested to parse (tests below); a broken one checks nothing.
        let Ok(doc) = roxmltree::Document::parse(text) else {
            continue;
        };
        let root = doc.root_element();
        let target = root.attribute("targetNamespace").unwrap_or_default();
        for node in root.children().filter(|n| n.is_element()) {
            match (xs_name(node), node.attribute("name")) {
                (Some("element"), Some(name)) => {
                    schema
                        .roots
                        .push(((target.to_owned(), name.to_owned()), type_ref(node, target)));
                }
                (Some("complexType"), Some(name)) => {
                    schema
                        .types
                        .insert((target.to_owned(), name.to_owned()), complex(node, target));
                }
                _ => {}
            }
        }
    }
    schema
}

fn xs_name<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    (node.tag_name().namespace() == Some(XS)).then(|| node.tag_name().name())
}

/// Resolves `prefix:name` in an attribute value against the node's namespace declarations.
fn resolve(node: Node<'_, '_>, value: &str) -> QName {
    let (prefix, local) = value.split_once(':').unwrap_or(("", value));
    let ns = node.lookup_namespace_uri(Some(prefix).filter(|p| !p.is_empty()));
    (ns.unwrap_or_default().to_owned(), local.to_owned())
}

fn occurs(node: Node<'_, '_>) -> Occurs {
    let min = node
        .attribute("minOccurs")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let max = match node.attribute("maxOccurs") {
        Some("unbounded") => None,
        Some(v) => Some(v.parse().unwrap_or(1)),
        None => Some(1),
    };
    Occurs { min, max }
}

fn type_ref(element: Node<'_, '_>, target: &str) -> TypeRef {
    if let Some(ty) = element.attribute("type") {
        let name = resolve(element, ty);
        return if name.0 == XS {
            TypeRef::Simple
        } else {
            TypeRef::Named(name)
        };
    }
    match element
        .children()
        .find(|c| xs_name(*c) == Some("complexType"))
    {
        Some(ct) => TypeRef::Anonymous(Box::new(complex(ct, target))),
        None => TypeRef::Simple,
    }
}

fn complex(node: Node<'_, '_>, target: &str) -> ComplexType {
    let mut ty = ComplexType::default();
    for part in node
        .descendants()
        .filter(|n| xs_name(*n) == Some("attribute"))
    {
        // Only this type's own attributes (not those of anonymous types nested in its elements).
        let owner = part
            .ancestors()
            .skip(1)
            .find(|a| xs_name(*a) == Some("complexType"));
        if owner != Some(node) {
            continue;
        }
        if part.attribute("use") == Some("required")
            && let Some(name) = part.attribute("name")
        {
            ty.required_attributes.push(name.to_owned());
        }
    }
    ty.content = node
        .children()
        .find(|c| matches!(xs_name(*c), Some("sequence" | "choice")))
        .map(|group| particle(group, target));
    ty
}

fn particle(node: Node<'_, '_>, target: &str) -> Particle {
    let items = || {
        node.children()
            .filter(|c| matches!(xs_name(*c), Some("element" | "sequence" | "choice")))
            .map(|c| particle(c, target))
            .collect()
    };
    match xs_name(node) {
        Some("sequence") => Particle::Sequence(items(), occurs(node)),
        Some("choice") => Particle::Choice(items(), occurs(node)),
        _ => Particle::Element {
            name: (
                target.to_owned(),
                node.attribute("name").unwrap_or_default().to_owned(),
            ),
            ty: type_ref(node, target),
            occurs: occurs(node),
        },
    }
}

/// Validates the element structure of `root` against the schema; problems name the rule, the
/// element's path and XML line.
pub fn validate(root: Node<'_, '_>, id: SchemaId) -> Vec<Problem> {
    let Some(schema) = SCHEMAS.get(&id) else {
        return Vec::new();
    };
    let mut v = Validator {
        schema,
        id,
        problems: Vec::new(),
    };
    let name = qname(root);
    match schema.roots.iter().find(|(n, _)| *n == name) {
        Some((_, ty)) => v.element(root, ty),
        None => v.report(
            "XSD-01",
            root,
            format!(
                "the root element {} is not the root of the {} schema",
                crate::xml::qualified_name(root),
                id.name()
            ),
        ),
    }
    v.problems
}

fn qname(node: Node<'_, '_>) -> QName {
    (
        node.tag_name().namespace().unwrap_or_default().to_owned(),
        node.tag_name().name().to_owned(),
    )
}

struct Validator<'s> {
    schema: &'s Schema,
    id: SchemaId,
    problems: Vec<Problem>,
}

impl Validator<'_> {
    fn report(&mut self, rule: &str, node: Node<'_, '_>, message: String) {
        if self.problems.len() < MAX_FINDINGS {
            self.problems.push(Problem::error(
                rule,
                "xml",
                format!(
                    "{message} (XML line {}; {} schema)",
                    crate::xml::line(node),
                    self.id.name()
                ),
            ));
        }
    }

    fn element(&mut self, node: Node<'_, '_>, ty: &TypeRef) {
        let complex = match ty {
            TypeRef::Simple => None,
            TypeRef::Anonymous(ct) => Some(ct.as_ref()),
            TypeRef::Named(name) => self.schema.types.get(name),
        };
        let children: Vec<Node<'_, '_>> = node
            .children()
            .filter(|c| c.is_element() && !LEGACY_ELEMENTS.contains(&c.tag_name().name()))
            .collect();
        let Some(complex) = complex else {
            // A simple type (or a type the schema does not define): text only.
            if let Some(first) = children.first() {
                self.unexpected(node, *first, None);
            }
            return;
        };
        for attribute in &complex.required_attributes {
            if node.attribute(attribute.as_str()).is_none() {
                self.report(
                    "XSD-05",
                    node,
                    format!(
                        "{} lacks the required attribute '{attribute}'",
                        crate::xml::path(node)
                    ),
                );
            }
        }
        let Some(content) = &complex.content else {
            if let Some(first) = children.first() {
                self.unexpected(node, *first, None);
            }
            return;
        };
        let mut pos = 0;
        self.particle(node, content, content, &children, &mut pos);
        if let Some(extra) = children.get(pos) {
            self.unexpected(node, *extra, Some(content));
        }
    }

    /// Matches `content` against `children[pos..]`, advancing `pos`; reports missing elements.
    /// When a required element is missing at `pos` but comes later, the children before it are
    /// reported (out of order, repeated, not allowed) and skipped, so one misplaced element is one
    /// problem rather than a cascade.
    fn particle(
        &mut self,
        parent: Node<'_, '_>,
        whole: &Particle,
        content: &Particle,
        children: &[Node<'_, '_>],
        pos: &mut usize,
    ) {
        match content {
            Particle::Element { name, ty, occurs } => {
                let mut count = 0u32;
                loop {
                    while let Some(child) = children.get(*pos) {
                        if qname(*child) != *name || occurs.max.is_some_and(|m| count >= m) {
                            break;
                        }
                        self.element(*child, ty);
                        count += 1;
                        *pos += 1;
                    }
                    let later = children.iter().skip(*pos).any(|c| qname(*c) == *name);
                    match children.get(*pos) {
                        Some(skipped) if count < occurs.min && later => {
                            self.unexpected(parent, *skipped, Some(whole));
                            *pos += 1;
                        }
                        _ => break,
                    }
                }
                if count < occurs.min {
                    self.report(
                        "XSD-02",
                        parent,
                        format!(
                            "{} lacks the required element {}{}",
                            crate::xml::path(parent),
                            name.1,
                            children
                                .get(*pos)
                                .map(|c| format!(
                                    " before {} (line {})",
                                    crate::xml::qualified_name(*c),
                                    crate::xml::line(*c)
                                ))
                                .unwrap_or_default()
                        ),
                    );
                }
            }
            Particle::Sequence(items, occurs) => {
                let mut count = 0u32;
                loop {
                    let start = *pos;
                    if count >= occurs.min.max(1) && !starts(content, children.get(*pos)) {
                        break;
                    }
                    for item in items {
                        self.particle(parent, whole, item, children, pos);
                    }
                    count += 1;
                    if *pos == start || occurs.max.is_some_and(|m| count >= m) {
                        break;
                    }
                }
            }
            Particle::Choice(items, occurs) => {
                let mut count = 0u32;
                while occurs.max.is_none_or(|m| count < m) {
                    let Some(item) = items.iter().find(|i| starts(i, children.get(*pos))) else {
                        break;
                    };
                    self.particle(parent, whole, item, children, pos);
                    count += 1;
                }
                if count < occurs.min {
                    let names: Vec<String> = items.iter().flat_map(first_names).collect();
                    self.report(
                        "XSD-02",
                        parent,
                        format!(
                            "{} lacks one of the elements {}",
                            crate::xml::path(parent),
                            names.join(", ")
                        ),
                    );
                }
            }
        }
    }

    /// Reports a child that the content model did not take: out of order (its name is allowed in
    /// this parent), repeated too often, or not allowed at all.
    fn unexpected(
        &mut self,
        parent: Node<'_, '_>,
        child: Node<'_, '_>,
        content: Option<&Particle>,
    ) {
        let name = qname(child);
        let known_ns = allowed_namespaces(self.schema);
        let shown = match child.tag_name().namespace() {
            Some(ns) if known_ns.contains(&ns) => String::new(),
            Some(ns) => format!(" (namespace {ns})"),
            None => " (in no namespace)".to_owned(),
        };
        let allowed = content.map(all_names).unwrap_or_default();
        let same_before = child
            .prev_siblings()
            .skip(1)
            .any(|s| s.is_element() && qname(s) == name);
        let (rule, why) = if !allowed.contains(&name) {
            let same_local = allowed.iter().find(|(_, l)| *l == name.1);
            (
                "XSD-01",
                match same_local {
                    Some((ns, _)) => format!(
                        "is not allowed in {}: the schema has {} in namespace {ns}",
                        crate::xml::qualified_name(parent),
                        name.1
                    ),
                    None => format!("is not allowed in {}", crate::xml::qualified_name(parent)),
                },
            )
        } else if same_before {
            (
                "XSD-03",
                format!(
                    "occurs more often in {} than the schema allows",
                    crate::xml::qualified_name(parent)
                ),
            )
        } else {
            (
                "XSD-04",
                format!(
                    "is out of order in {}: the schema puts it elsewhere in the sequence",
                    crate::xml::qualified_name(parent)
                ),
            )
        };
        self.report(
            rule,
            child,
            format!("{} {shown} {why}", crate::xml::path(child)),
        );
    }
}

/// The namespaces the schema's elements live in.
fn allowed_namespaces(schema: &Schema) -> Vec<&str> {
    let mut out: Vec<&str> = schema
        .types
        .keys()
        .map(|(ns, _)| ns.as_str())
        .chain(schema.roots.iter().map(|((ns, _), _)| ns.as_str()))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// True when `particle` can start with `child`.
fn starts(particle: &Particle, child: Option<&Node<'_, '_>>) -> bool {
    let Some(child) = child else {
        return false;
    };
    let name = qname(*child);
    first_qnames(particle).contains(&name)
}

/// The element names a particle can start with (for a sequence: up to its first required item).
fn first_qnames(particle: &Particle) -> Vec<QName> {
    match particle {
        Particle::Element { name, .. } => vec![name.clone()],
        Particle::Choice(items, _) => items.iter().flat_map(first_qnames).collect(),
        Particle::Sequence(items, _) => {
            let mut out = Vec::new();
            for item in items {
                out.extend(first_qnames(item));
                let optional = match item {
                    Particle::Element { occurs, .. }
                    | Particle::Choice(_, occurs)
                    | Particle::Sequence(_, occurs) => occurs.min == 0,
                };
                if !optional {
                    break;
                }
            }
            out
        }
    }
}

fn first_names(particle: &Particle) -> Vec<String> {
    first_qnames(particle).into_iter().map(|(_, l)| l).collect()
}

/// Every element name a particle mentions, at any position.
fn all_names(particle: &Particle) -> Vec<QName> {
    match particle {
        Particle::Element { name, .. } => vec![name.clone()],
        Particle::Choice(items, _) | Particle::Sequence(items, _) => {
            items.iter().flat_map(all_names).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_schema_loads_with_its_root() {
        for (id, schema) in SCHEMAS.iter() {
            assert_eq!(schema.roots.len(), 1, "{}", id.name());
            assert!(
                schema.types.len() > 5,
                "{}: {}",
                id.name(),
                schema.types.len()
            );
        }
    }

    #[test]
    fn picks_the_schema_from_the_guideline() {
        let cases = [
            ("urn:factur-x.eu:1p0:minimum", SchemaId::FacturxMinimum),
            ("urn:factur-x.eu:1p0:basicwl", SchemaId::FacturxBasicWl),
            (
                "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
                SchemaId::FacturxBasic,
            ),
            ("urn:cen.eu:en16931:2017", SchemaId::FacturxEn16931),
            (
                "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
                SchemaId::FacturxExtended,
            ),
            (
                "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
                SchemaId::FacturxEn16931,
            ),
        ];
        for (guideline, expected) in cases {
            assert_eq!(SchemaId::for_cii(Some(guideline)), expected, "{guideline}");
        }
    }

    const MINIMUM: &str = r#"<rsm:CrossIndustryInvoice
        xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
        xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
        xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
      <rsm:ExchangedDocumentContext>
        <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
      </rsm:ExchangedDocumentContext>
      <rsm:ExchangedDocument>
        <ram:ID>1</ram:ID><ram:TypeCode>380</ram:TypeCode>
        <ram:IssueDateTime><udt:DateTimeString format="102">20240101</udt:DateTimeString></ram:IssueDateTime>
      </rsm:ExchangedDocument>
      <rsm:SupplyChainTradeTransaction>
        <ram:ApplicableHeaderTradeAgreement>
          <ram:SellerTradeParty><ram:Name>S</ram:Name></ram:SellerTradeParty>
          <ram:BuyerTradeParty><ram:Name>B</ram:Name></ram:BuyerTradeParty>
        </ram:ApplicableHeaderTradeAgreement>
        <ram:ApplicableHeaderTradeDelivery/>
        <ram:ApplicableHeaderTradeSettlement>
          <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
          <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
            <ram:TaxBasisTotalAmount>10</ram:TaxBasisTotalAmount>
            <ram:GrandTotalAmount>10</ram:GrandTotalAmount>
            <ram:DuePayableAmount>10</ram:DuePayableAmount>
          </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        </ram:ApplicableHeaderTradeSettlement>
      </rsm:SupplyChainTradeTransaction>
    </rsm:CrossIndustryInvoice>"#;

    fn codes(xml: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(xml).expect("test XML parses");
        validate(doc.root_element(), SchemaId::FacturxMinimum)
            .into_iter()
            .map(|p| format!("{} {}", p.code, p.message))
            .collect()
    }

    #[test]
    fn a_conforming_minimum_invoice_passes() {
        assert_eq!(codes(MINIMUM), Vec::<String>::new());
    }

    #[test]
    fn each_kind_of_schema_fault_names_its_rule() {
        let cases = [
            (
                "<ram:BuyerTradeParty><ram:Name>B</ram:Name></ram:BuyerTradeParty>",
                "<ram:BuyerTradeParty><ram:Name>B</ram:Name><ram:PostalTradeAddress>\
                 <ram:LineOne>Street 1</ram:LineOne><ram:CountryID>DE</ram:CountryID>\
                 </ram:PostalTradeAddress></ram:BuyerTradeParty>",
                "XSD-01",
            ),
            (
                "<ram:SellerTradeParty><ram:Name>S</ram:Name></ram:SellerTradeParty>",
                "<ram:SellerTradeParty><Name>S</Name></ram:SellerTradeParty>",
                "XSD-01",
            ),
            ("<ram:TypeCode>380</ram:TypeCode>", "", "XSD-02"),
            (
                "<ram:ID>1</ram:ID>",
                "<ram:ID>1</ram:ID><ram:ID>2</ram:ID>",
                "XSD-03",
            ),
            (
                "<ram:ID>1</ram:ID><ram:TypeCode>380</ram:TypeCode>",
                "<ram:TypeCode>380</ram:TypeCode><ram:ID>1</ram:ID>",
                "XSD-04",
            ),
            (
                r#"<udt:DateTimeString format="102">"#,
                "<udt:DateTimeString>",
                "XSD-05",
            ),
        ];
        for (from, to, rule) in cases {
            assert!(MINIMUM.contains(from), "{from}");
            let found = codes(&MINIMUM.replacen(from, to, 1));
            assert!(
                found.iter().any(|c| c.starts_with(rule)),
                "{rule} expected for {to}: {found:?}"
            );
        }
    }
}
