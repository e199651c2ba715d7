//! Safe XML decoding and parsing, and the small readers the syntax mappers share.
//!
//! Everything that touches supplier bytes lives here, so the safety rules are written once:
//! DTDs are refused (no entity expansion, no external fetches), the node count and nesting depth
//! are bounded, the text is decoded from its declared encoding (or refused clearly), and every
//! value reader reports the element's path, the offending value and its line, so a rejection says
//! exactly what to fix: `cbc:IssueDate '2024-13-01' is not a date (line 12)`.
//!
//! Elements are matched by local name: the mappers write paths with their usual prefixes
//! (`cac:LegalMonetaryTotal`, `ram:LineTotalAmount`) for messages, and the prefix is ignored when
//! matching, so senders' prefix choices do not matter.

use crate::{Rejection, codes};
use chrono::NaiveDate;
use folio_domain::{Currency, VatCategory};
use roxmltree::{Document, Node, ParsingOptions};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// More nodes than any real invoice has (a 10,000-line invoice has about 300,000), few enough to
/// bound memory on hostile input.
pub const MAX_NODES: u32 = 4_000_000;
/// Deeper than any invoice syntax nests (UBL and CII stay under 15 levels).
pub const MAX_DEPTH: usize = 100;

/// Decodes the bytes of an XML file to text, honouring a BOM and the declared encoding.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, Rejection> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8(rest, "UTF-8 (byte order mark)");
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes).map(Cow::Owned);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes).map(Cow::Owned);
    }
    if bytes.starts_with(b"<\0") {
        return utf16(bytes, u16::from_le_bytes).map(Cow::Owned);
    }
    if bytes.starts_with(b"\0<") {
        return utf16(bytes, u16::from_be_bytes).map(Cow::Owned);
    }
    let declared = declared_encoding(bytes);
    let label = declared.as_deref().map(str::to_ascii_lowercase);
    match label.as_deref() {
        None => utf8(bytes, "UTF-8 (no encoding declared)"),
        Some("utf-8" | "utf8" | "us-ascii" | "ascii") => utf8(bytes, "UTF-8"),
        Some("iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1") => {
            Ok(Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()))
        }
        Some("windows-1252" | "cp1252") => {
            Ok(Cow::Owned(bytes.iter().map(|&b| cp1252(b)).collect()))
        }
        Some("iso-8859-15" | "iso8859-15" | "latin9" | "latin-9") => {
            Ok(Cow::Owned(bytes.iter().map(|&b| latin9(b)).collect()))
        }
        // A file that says UTF-16 but has no BOM and reads as ASCII is mislabelled UTF-8.
        Some(label) if label.starts_with("utf-16") => utf8(bytes, "UTF-16 (declared)"),
        Some(_) => Err(Rejection::new(
            codes::UNSUPPORTED_FORMAT,
            format!(
                "the XML declares encoding '{}', which Folio does not read; \
                 UTF-8, UTF-16, ISO-8859-1, ISO-8859-15 and windows-1252 are supported",
                declared.unwrap_or_default()
            ),
        )),
    }
}

fn utf8<'a>(bytes: &'a [u8], what: &str) -> Result<Cow<'a, str>, Rejection> {
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
        Rejection::new(
            codes::MALFORMED_XML,
            format!(
                "the file is read as {what} but byte {} is not valid UTF-8",
                e.valid_up_to()
            ),
        )
    })
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, Rejection> {
    let units = bytes
        .chunks_exact(2)
        .map(|c| <[u8; 2]>::try_from(c).map_or(0xFFFD, unit));
    let text: Result<String, _> = char::decode_utf16(units).collect();
    match text {
        Ok(text) if bytes.len().is_multiple_of(2) => Ok(text),
        _ => Err(Rejection::new(
            codes::MALFORMED_XML,
            "the file starts like UTF-16 but is not valid UTF-16",
        )),
    }
}

/// The `encoding` pseudo-attribute of the XML declaration, if there is one.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    if !bytes.starts_with(b"<?xml") {
        return None;
    }
    let end = crate::sniff::find(&bytes[..bytes.len().min(512)], b"?>")?;
    let decl = bytes.get(..end)?;
    let at = crate::sniff::find(decl, b"encoding")?;
    let rest = decl.get(at + "encoding".len()..)?;
    let rest = rest.get(rest.iter().position(|&b| b == b'"' || b == b'\'')?..)?;
    let quote = *rest.first()?;
    let len = rest.get(1..)?.iter().position(|&b| b == quote)?;
    let value = std::str::from_utf8(rest.get(1..1 + len)?).ok()?;
    Some(value.trim().to_owned())
}

/// windows-1252: ISO-8859-1 with printable characters in 0x80–0x9F.
pub(crate) fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH
            .get(usize::from(b - 0x80))
            .copied()
            .unwrap_or(char::from(b)),
        _ => char::from(b),
    }
}

/// ISO-8859-15: ISO-8859-1 with eight code points replaced (€ among them).
fn latin9(b: u8) -> char {
    match b {
        0xA4 => '€',
        0xA6 => 'Š',
        0xA8 => 'š',
        0xB4 => 'Ž',
        0xB8 => 'ž',
        0xBC => 'Œ',
        0xBD => 'œ',
        0xBE => 'Ÿ',
        _ => char::from(b),
    }
}

/// Parses decoded text into a tree, refusing DTDs and bounding size and depth.
pub fn parse(text: &str) -> Result<Document<'_>, Rejection> {
    let dtd = || {
        Rejection::new(
            codes::DTD_FORBIDDEN,
            "the XML contains a document type declaration (<!DOCTYPE …>); Folio refuses DTDs \
             because they can expand entities without bound or read other files (XXE)",
        )
    };
    if crate::sniff::scan_prolog(text.as_bytes()).doctype {
        return Err(dtd());
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    let tree = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => dtd(),
        roxmltree::Error::NodesLimitReached => Rejection::new(
            codes::TOO_LARGE,
            format!("the XML has more than {MAX_NODES} nodes, more than any invoice Folio reads"),
        ),
        roxmltree::Error::UnexpectedEndOfStream | roxmltree::Error::UnclosedRootNode => {
            Rejection::new(
                codes::MALFORMED_XML,
                format!("the XML ends too early, the file looks truncated ({e})"),
            )
        }
        other => Rejection::new(
            codes::MALFORMED_XML,
            format!("the XML is not well-formed: {other}"),
        ),
    })?;
    check_depth(&tree)?;
    Ok(tree)
}

/// Rejects trees nested deeper than [`MAX_DEPTH`], in one pass over the nodes (in document order a
/// parent always comes before its children, so its depth is already known).
fn check_depth(tree: &Document<'_>) -> Result<(), Rejection> {
    let mut depths: Vec<u8> = Vec::new();
    for node in tree.descendants() {
        let depth = node
            .parent()
            .and_then(|p| depths.get(p.id().get_usize()).copied())
            .map_or(0, |d| d.saturating_add(1));
        if usize::from(depth) > MAX_DEPTH {
            return Err(Rejection::new(
                codes::TOO_LARGE,
                format!(
                    "the XML nests elements more than {MAX_DEPTH} levels deep (line {}); \
                     no invoice syntax does",
                    line(node)
                ),
            ));
        }
        let id = node.id().get_usize();
        if depths.len() <= id {
            depths.resize(id + 1, 0);
        }
        if let Some(slot) = depths.get_mut(id) {
            *slot = depth;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Navigation

/// The local part of a path step: `cac:Party` matches elements named `Party`.
fn local(step: &str) -> &str {
    step.rsplit_once(':').map_or(step, |(_, l)| l)
}

/// The first child element whose local name matches `step`.
pub fn child<'a, 'i>(node: Node<'a, 'i>, step: &str) -> Option<Node<'a, 'i>> {
    let name = local(step);
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// All child elements whose local name matches `step`.
pub fn children<'a, 'i, 's>(
    node: Node<'a, 'i>,
    step: &'s str,
) -> impl Iterator<Item = Node<'a, 'i>> + 's
where
    'a: 's,
    'i: 's,
{
    let name = local(step);
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// Follows `path` (one step per element, first match at each step).
pub fn at<'a, 'i>(node: Node<'a, 'i>, path: &[&str]) -> Option<Node<'a, 'i>> {
    path.iter().try_fold(node, |n, step| child(n, step))
}

/// The first of several alternative paths that exists (for names that differ between versions).
pub fn at_any<'a, 'i>(node: Node<'a, 'i>, paths: &[&[&str]]) -> Option<Node<'a, 'i>> {
    paths.iter().find_map(|p| at(node, p))
}

/// The element's trimmed text, `None` when absent or blank.
pub fn text<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    node.text().map(str::trim).filter(|t| !t.is_empty())
}

/// The trimmed text at `path`, owned, `None` when absent or blank.
pub fn text_at(node: Node<'_, '_>, path: &[&str]) -> Option<String> {
    at(node, path).and_then(text).map(str::to_owned)
}

/// The trimmed value of an attribute (by local name), `None` when absent or blank.
pub fn attr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == name)
        .map(|a| a.value().trim())
        .filter(|v| !v.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Describing nodes in messages

/// Conventional prefixes, so messages read the same whatever prefixes the sender chose.
const PREFIXES: &[(&str, &str)] = &[
    (
        "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
        "cbc",
    ),
    (
        "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
        "cac",
    ),
    (
        "urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2",
        "ext",
    ),
    (
        "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
        "ram",
    ),
    (
        "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
        "ram",
    ),
    (
        "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
        "udt",
    ),
    (
        "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
        "udt",
    ),
    (crate::sniff::CII_NS, "rsm"),
    (crate::sniff::ZUGFERD1_NS, "rsm"),
];

/// `prefix:local` for an element, with the conventional prefix for known namespaces.
pub fn qualified_name(node: Node<'_, '_>) -> String {
    let name = node.tag_name().name();
    let prefix = node.tag_name().namespace().and_then(|ns| {
        PREFIXES
            .iter()
            .find(|(uri, _)| *uri == ns)
            .map(|(_, p)| *p)
            .or_else(|| node.lookup_prefix(ns).filter(|p| !p.is_empty()))
    });
    match prefix {
        Some(p) => format!("{p}:{name}"),
        None => name.to_owned(),
    }
}

/// Path of an element below the root, e.g. `cac:InvoiceLine[2]/cbc:LineExtensionAmount`; repeated
/// siblings get a 1-based index. Only called when a message is built.
pub fn path(node: Node<'_, '_>) -> String {
    let mut steps: Vec<String> = node
        .ancestors()
        .filter(|n| n.is_element() && n.parent_element().is_some())
        .map(|n| {
            let name = qualified_name(n);
            let same = |s: &Node<'_, '_>| s.is_element() && s.tag_name() == n.tag_name();
            let before = n.prev_siblings().skip(1).filter(same).count();
            let after = n.next_siblings().skip(1).filter(same).count();
            if before + after > 0 {
                format!("{name}[{}]", before + 1)
            } else {
                name
            }
        })
        .collect();
    steps.reverse();
    if steps.is_empty() {
        qualified_name(node)
    } else {
        steps.join("/")
    }
}

/// 1-based line of the element's start tag.
pub fn line(node: Node<'_, '_>) -> u32 {
    node.document().text_pos_at(node.range().start).row
}

/// "is missing" for `rel` below `parent` (with the parent's path when it is not the root).
pub fn missing(parent: Node<'_, '_>, rel: &[&str]) -> Rejection {
    let rel = rel.join("/");
    let full = if parent.parent_element().is_some() {
        format!(
            "{}/{rel} is missing (in the element at line {})",
            path(parent),
            line(parent)
        )
    } else {
        format!("{rel} is missing")
    };
    Rejection::new(codes::MISSING_FIELD, full)
}

fn bad(code: &'static str, node: Node<'_, '_>, value: &str, what: &str) -> Rejection {
    Rejection::new(
        code,
        format!("{} '{value}' {what} (line {})", path(node), line(node)),
    )
}

// ---------------------------------------------------------------------------------------------
// Typed values

/// An exact decimal as written (`xs:decimal`: optional sign, digits, optional point, no exponent,
/// no grouping). The scale the sender used is kept.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.len() + frac.len() == 0 || !digits(int) || !digits(frac) {
        return None;
    }
    let text = text.strip_prefix('+').unwrap_or(text);
    // `from_str_exact` refuses values it would have to round (more than 28 decimals).
    Decimal::from_str_exact(text).ok()
}

/// The element's value as a decimal; blank is missing, anything else that is not a number is bad.
pub fn decimal(node: Node<'_, '_>) -> Result<Decimal, Rejection> {
    let value = node.text().unwrap_or_default().trim();
    if value.is_empty() {
        return Err(bad(codes::MISSING_FIELD, node, value, "is empty"));
    }
    parse_decimal(value)
        .ok_or_else(|| bad(codes::BAD_AMOUNT, node, value, "is not a decimal number"))
}

/// The decimal at `path`, `None` when the element is absent.
pub fn decimal_at(node: Node<'_, '_>, path: &[&str]) -> Result<Option<Decimal>, Rejection> {
    at(node, path).map(decimal).transpose()
}

/// The decimal at `path`, which must be there.
pub fn required_decimal(node: Node<'_, '_>, path: &[&str]) -> Result<Decimal, Rejection> {
    decimal(at(node, path).ok_or_else(|| missing(node, path))?)
}

fn ymd(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    let all_digits = [y, m, d]
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !all_digits || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// `xs:date`: `YYYY-MM-DD`, optionally followed by a time zone (`Z`, `+01:00`), which is ignored.
pub fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    let (date, zone) = (text.get(..10)?, text.get(10..)?);
    let zone_ok = zone.is_empty()
        || zone == "Z"
        || (zone.len() == 6
            && zone.starts_with(['+', '-'])
            && zone.get(3..4) == Some(":")
            && zone.bytes().filter(u8::is_ascii_digit).count() == 4);
    if !zone_ok || date.get(4..5) != Some("-") || date.get(7..8) != Some("-") {
        return None;
    }
    ymd(date.get(..4)?, date.get(5..7)?, date.get(8..10)?)
}

/// UN/CEFACT format 102: `YYYYMMDD`.
pub fn parse_date_102(text: &str) -> Option<NaiveDate> {
    if text.len() != 8 {
        return None;
    }
    ymd(text.get(..4)?, text.get(4..6)?, text.get(6..8)?)
}

/// An `xs:date` element (UBL).
pub fn iso_date(node: Node<'_, '_>) -> Result<NaiveDate, Rejection> {
    let value = node.text().unwrap_or_default().trim();
    parse_iso_date(value).ok_or_else(|| {
        bad(
            codes::BAD_DATE,
            node,
            value,
            "is not a date in the form YYYY-MM-DD",
        )
    })
}

/// The `xs:date` at `path`, `None` when absent.
pub fn iso_date_at(node: Node<'_, '_>, path: &[&str]) -> Result<Option<NaiveDate>, Rejection> {
    at(node, path).map(iso_date).transpose()
}

/// A CII date container (`ram:IssueDateTime`, `ram:DueDateDateTime`, `ram:TaxPointDate`): its
/// `udt:DateTimeString` / `udt:DateString` child with format 102 (`YYYYMMDD`).
pub fn cii_date(container: Node<'_, '_>) -> Result<NaiveDate, Rejection> {
    let node = child(container, "udt:DateTimeString")
        .or_else(|| child(container, "udt:DateString"))
        .ok_or_else(|| missing(container, &["udt:DateTimeString"]))?;
    let value = node.text().unwrap_or_default().trim();
    match attr(node, "format") {
        Some("102") | None => {}
        Some(other) => {
            return Err(bad(
                codes::BAD_DATE,
                node,
                value,
                &format!("has date format '{other}'; invoices use format 102 (YYYYMMDD)"),
            ));
        }
    }
    parse_date_102(value).ok_or_else(|| {
        bad(
            codes::BAD_DATE,
            node,
            value,
            "is not a date in the form YYYYMMDD",
        )
    })
}

/// The CII date at `path` (the container element), `None` when absent.
pub fn cii_date_at(node: Node<'_, '_>, path: &[&str]) -> Result<Option<NaiveDate>, Rejection> {
    at(node, path).map(cii_date).transpose()
}

/// An ISO 4217 currency code element.
pub fn currency(node: Node<'_, '_>) -> Result<Currency, Rejection> {
    let value = node.text().unwrap_or_default().trim();
    Currency::parse(value).map_err(|_| {
        bad(
            codes::BAD_CURRENCY,
            node,
            value,
            "is not an ISO 4217 currency code",
        )
    })
}

/// A VAT category code element (UNCL 5305 as used by EN 16931).
pub fn vat_category(node: Node<'_, '_>) -> Result<VatCategory, Rejection> {
    let value = node.text().unwrap_or_default().trim();
    VatCategory::parse(value).ok_or_else(|| {
        bad(
            codes::BAD_VAT_CATEGORY,
            node,
            value,
            "is not a VAT category code (S, Z, E, AE, K, G, O, L, M)",
        )
    })
}

/// An `xs:boolean` element (`true`, `false`, `1`, `0`).
pub fn boolean(node: Node<'_, '_>) -> Result<bool, Rejection> {
    let value = node.text().unwrap_or_default().trim();
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(bad(codes::BAD_VALUE, node, value, "is not true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_scale_and_refuse_anything_else() {
        let good = [
            ("104.90", "104.90"),
            ("-0.5", "-0.5"),
            ("+7", "7"),
            (".5", "0.5"),
            ("5.", "5"),
            ("0001.000", "1.000"),
        ];
        for (text, expected) in good {
            assert_eq!(
                parse_decimal(text).map(|d| d.to_string()),
                Some(expected.to_owned()),
                "{text}"
            );
        }
        let bad = [
            "",
            "-",
            ".",
            "1,5",
            "1 000",
            "1e3",
            "NaN",
            "1.2.3",
            "--1",
            "+-1",
            "1_000",
            "١٢",
            "99999999999999999999999999999999",
        ];
        for text in bad {
            assert_eq!(parse_decimal(text), None, "{text}");
        }
    }

    #[test]
    fn dates() {
        let iso = [
            ("2024-02-29", Some((2024, 2, 29))),
            ("2024-01-05Z", Some((2024, 1, 5))),
            ("2024-01-05+01:00", Some((2024, 1, 5))),
            ("2023-02-29", None),
            ("2024-13-01", None),
            ("24-01-01", None),
            ("2024/01/01", None),
            ("2024-01-01T10:00", None),
            ("2024-1-01", None),
            ("", None),
        ];
        for (text, expected) in iso {
            let expected = expected.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d));
            assert_eq!(parse_iso_date(text), expected, "{text}");
        }
        assert_eq!(
            parse_date_102("20240229"),
            NaiveDate::from_ymd_opt(2024, 2, 29)
        );
        for text in ["20230229", "2024-01-01", "2024011", "2024O101", "€€€€"] {
            assert_eq!(parse_date_102(text), None, "{text}");
        }
    }

    #[test]
    fn decodes_declared_encodings() {
        let latin1 = b"<?xml version='1.0' encoding='ISO-8859-1'?><a>M\xfcller</a>";
        assert_eq!(
            decode(latin1).unwrap(),
            "<?xml version='1.0' encoding='ISO-8859-1'?><a>Müller</a>"
        );
        let cp = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><a>\x80</a>";
        assert!(decode(cp).unwrap().contains('€'));
        let bom = b"\xEF\xBB\xBF<a/>";
        assert_eq!(decode(bom).unwrap(), "<a/>");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<a>ü</a>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16).unwrap(), "<a>ü</a>");
        let sjis = b"<?xml version='1.0' encoding='Shift_JIS'?><a/>";
        assert_eq!(decode(sjis).unwrap_err().code, codes::UNSUPPORTED_FORMAT);
        let bad_utf8 = b"<?xml version='1.0' encoding='UTF-8'?><a>M\xfcller</a>";
        assert_eq!(decode(bad_utf8).unwrap_err().code, codes::MALFORMED_XML);
    }

    #[test]
    fn paths_name_repeated_siblings() {
        let tree = parse("<r xmlns:c='urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2'><a/><a><c:b>x</c:b></a></r>").unwrap();
        let b = tree
            .descendants()
            .find(|n| n.tag_name().name() == "b")
            .unwrap();
        assert_eq!(path(b), "a[2]/cbc:b");
    }

    #[test]
    fn roxmltree_alone_refuses_dtds_too() {
        // Belt and braces: even without the prolog scan, the parser options refuse entities.
        let xxe =
            "<?xml version='1.0'?><!DOCTYPE a [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><a>&x;</a>";
        let options = ParsingOptions {
            allow_dtd: false,
            ..ParsingOptions::default()
        };
        assert!(matches!(
            Document::parse_with_options(xxe, options),
            Err(roxmltree::Error::DtdDetected)
        ));
        assert_eq!(parse(xxe).unwrap_err().code, codes::DTD_FORBIDDEN);
    }

    #[test]
    fn refuses_deep_nesting() {
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 5),
            "</a>".repeat(MAX_DEPTH + 5)
        );
        assert_eq!(parse(&deep).unwrap_err().code, codes::TOO_LARGE);
        let ok = format!("{}{}", "<a>".repeat(20), "</a>".repeat(20));
        assert!(parse(&ok).is_ok());
    }
}
