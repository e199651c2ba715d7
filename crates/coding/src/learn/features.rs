//! Features of a line for the learned suggester, hashed to 64-bit ids in named groups.
//!
//! Why these: a supplier's own history is the strongest signal, but most lines come from suppliers
//! coded to several accounts, so the description (words, number shapes such as `999999/9`, order
//! number prefixes, character n-grams that survive typos and plurals), the amount (a log-scale
//! bucket, and the exact amount for recurring charges) and crosses of those with the supplier tell
//! the accounts apart. Suppliers never seen before still have name words ("ROOFING", "PARISH
//! COUNCIL") that generalise. Each feature belongs to a [`Group`]; the model learns one weight per
//! group by measurement, so a group that does not help is turned down rather than hand-tuned.
//!
//! Amounts are never converted to floats: buckets come from the decimal's digits.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Feature groups; the model weighs each group separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Group {
    Supplier = 0,
    SupplierWord,
    Word,
    NGram,
    Amount,
    SupplierAmount,
    SupplierExactAmount,
    SupplierDescWord,
    Description,
    SupplierDescription,
    Vat,
    SupplierVat,
}

/// Number of groups.
pub const GROUPS: usize = 12;

impl Group {
    pub const ALL: [Group; GROUPS] = [
        Group::Supplier,
        Group::SupplierWord,
        Group::Word,
        Group::NGram,
        Group::Amount,
        Group::SupplierAmount,
        Group::SupplierExactAmount,
        Group::SupplierDescWord,
        Group::Description,
        Group::SupplierDescription,
        Group::Vat,
        Group::SupplierVat,
    ];

    /// Whether the group's features name the supplier itself: they only exist for suppliers
    /// with history, and the back-off levels above the cross-supplier model use them.
    pub fn is_supplier_specific(self) -> bool {
        matches!(
            self,
            Group::Supplier
                | Group::SupplierAmount
                | Group::SupplierExactAmount
                | Group::SupplierDescWord
                | Group::SupplierDescription
                | Group::SupplierVat
        )
    }

    /// A short name for reports and explanations.
    pub fn name(self) -> &'static str {
        match self {
            Group::Supplier => "supplier",
            Group::SupplierWord => "supplier word",
            Group::Word => "word",
            Group::NGram => "ngram",
            Group::Amount => "amount range",
            Group::SupplierAmount => "supplier x amount range",
            Group::SupplierExactAmount => "supplier x amount",
            Group::SupplierDescWord => "supplier x word",
            Group::Description => "description",
            Group::SupplierDescription => "supplier x description",
            Group::Vat => "VAT category",
            Group::SupplierVat => "supplier x VAT category",
        }
    }
}

/// What the suggester sees of a line.
#[derive(Debug, Clone, Copy)]
pub struct LineInput<'a> {
    pub date: NaiveDate,
    pub supplier: &'a str,
    pub description: &'a str,
    pub amount: Decimal,
    pub vat_category: Option<&'a str>,
}

/// One hashed feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    pub group: Group,
    pub id: u64,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a over the parts, with a separator between parts; stable across runs and platforms.
pub fn hash_parts(seed: u8, parts: &[&str]) -> u64 {
    let mut h = FNV_OFFSET ^ u64::from(seed);
    h = h.wrapping_mul(FNV_PRIME);
    for part in parts {
        for b in part.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(FNV_PRIME);
        }
        h ^= 0xff;
        h = h.wrapping_mul(FNV_PRIME);
    }
    // Final avalanche so that low bits are well mixed for the hash map.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

const SUPPLIER_STOP: &[&str] = &[
    "LTD", "LIMITED", "PLC", "THE", "AND", "CO", "UK", "LLP", "INC",
];

/// The supplier as a key: upper case, letters and digits, single spaces, `LIMITED` as `LTD`.
pub fn supplier_key(supplier: &str) -> String {
    let mut out = String::with_capacity(supplier.len());
    for word in supplier
        .split(|c: char| !c.is_alphanumeric() && c != '&')
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        let upper = word.to_uppercase();
        out.push_str(if upper == "LIMITED" { "LTD" } else { &upper });
    }
    out
}

/// The words of a supplier key that generalise across suppliers (stop words dropped).
pub fn supplier_words(key: &str) -> impl Iterator<Item = &str> {
    key.split(' ')
        .filter(|w| w.len() >= 3 && !SUPPLIER_STOP.contains(w))
}

/// The description's shape: lower case, digits as `9`, runs of spaces as one.
pub fn description_key(description: &str) -> String {
    let mut out = String::with_capacity(description.len());
    let mut space = false;
    for c in description.trim().chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        if c.is_ascii_digit() {
            out.push('9');
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Description tokens: alphabetic words (lower case, 2+ letters), number shapes and prefixes.
pub fn description_tokens(description: &str, out: &mut Vec<String>) {
    for raw in description.split_whitespace() {
        let has_digit = raw.chars().any(|c| c.is_ascii_digit());
        if has_digit {
            let shape: String = raw
                .chars()
                .take(12)
                .map(|c| {
                    if c.is_ascii_digit() {
                        '9'
                    } else if c.is_alphabetic() {
                        'a'
                    } else {
                        c
                    }
                })
                .collect();
            out.push(format!("#{shape}"));
            let digits: String = raw.chars().take_while(|c| c.is_ascii_digit()).collect();
            if digits.len() >= 4 {
                out.push(format!("#{}..{}", &digits[..2], digits.len()));
                out.push(format!("#{}..{}", &digits[..3], digits.len()));
            }
        }
        for word in raw.split(|c: char| !c.is_alphabetic()) {
            if word.chars().count() >= 2 {
                out.push(word.to_lowercase());
            }
        }
    }
}

/// Log-scale bucket of an amount from its decimal digits: sign, number of integer digits, and
/// whether the leading digit is 1, 2–4 or 5–9.
pub fn amount_bucket(amount: Decimal) -> String {
    let sign = if amount.is_sign_negative() && !amount.is_zero() {
        '-'
    } else {
        '+'
    };
    let whole = amount.abs().trunc().to_string();
    let whole = whole.trim_start_matches('0');
    if whole.is_empty() {
        return format!("{sign}0");
    }
    let lead = match whole.as_bytes()[0] {
        b'1' => 'a',
        b'2'..=b'4' => 'b',
        _ => 'c',
    };
    format!("{sign}{}{lead}", whole.len())
}

/// Exact amount as text (trailing zeros dropped so `98.10` and `98.1` agree).
pub fn amount_key(amount: Decimal) -> String {
    amount.normalize().to_string()
}

/// Extracts the features of a line. When `names` is given, a readable name per feature is pushed
/// in the same order (for explanations; the hot path passes `None`).
pub fn extract(
    input: &LineInput<'_>,
    ngrams: (usize, usize),
    out: &mut Vec<Feature>,
    mut names: Option<&mut Vec<String>>,
) {
    out.clear();
    if let Some(n) = names.as_deref_mut() {
        n.clear();
    }
    let mut push = |group: Group, parts: &[&str], name: &dyn Fn() -> String| {
        out.push(Feature {
            group,
            id: hash_parts(group as u8, parts),
        });
        if let Some(n) = names.as_deref_mut() {
            n.push(name());
        }
    };
    let supplier = supplier_key(input.supplier);
    let description = description_key(input.description);
    let mut tokens = Vec::new();
    description_tokens(input.description, &mut tokens);
    tokens.sort();
    tokens.dedup();
    let bucket = amount_bucket(input.amount);
    let exact = amount_key(input.amount);

    push(Group::Supplier, &[&supplier], &|| {
        format!("supplier '{}'", input.supplier.trim())
    });
    for word in supplier_words(&supplier) {
        push(Group::SupplierWord, &[word], &|| {
            format!("supplier name word '{word}'")
        });
    }
    for token in &tokens {
        push(Group::Word, &[token], &|| format!("word '{token}'"));
        push(Group::SupplierDescWord, &[&supplier, token], &|| {
            format!("word '{token}' from this supplier")
        });
    }
    let (lo, hi) = ngrams;
    if hi > 0 {
        let mut seen: Vec<u64> = Vec::new();
        let mut padded = String::new();
        let mut bounds: Vec<usize> = Vec::new();
        for word in description.split(|c: char| !c.is_alphabetic()) {
            padded.clear();
            padded.push(' ');
            padded.push_str(word);
            padded.push(' ');
            bounds.clear();
            bounds.extend(padded.char_indices().map(|(i, _)| i));
            bounds.push(padded.len());
            let chars = bounds.len() - 1;
            if chars < 4 {
                continue;
            }
            for n in lo..=hi.min(chars) {
                for start in 0..=chars - n {
                    let gram = &padded[bounds[start]..bounds[start + n]];
                    let id = hash_parts(Group::NGram as u8, &[gram]);
                    if !seen.contains(&id) {
                        seen.push(id);
                        out.push(Feature {
                            group: Group::NGram,
                            id,
                        });
                        if let Some(n) = names.as_deref_mut() {
                            n.push(format!("text '{}'", gram.trim()));
                        }
                    }
                }
            }
        }
    }
    let mut push = |group: Group, parts: &[&str], name: &dyn Fn() -> String| {
        out.push(Feature {
            group,
            id: hash_parts(group as u8, parts),
        });
        if let Some(n) = names.as_deref_mut() {
            n.push(name());
        }
    };
    push(Group::Amount, &[&bucket], &|| {
        format!("amount range {}", bucket_label(&bucket))
    });
    push(Group::SupplierAmount, &[&supplier, &bucket], &|| {
        format!("amount range {} from this supplier", bucket_label(&bucket))
    });
    push(Group::SupplierExactAmount, &[&supplier, &exact], &|| {
        format!("amount {exact} from this supplier")
    });
    let shown_description = if description.is_empty() {
        "(empty)"
    } else {
        description.as_str()
    };
    push(Group::Description, &[&description], &|| {
        format!("description '{shown_description}'")
    });
    push(
        Group::SupplierDescription,
        &[&supplier, &description],
        &|| format!("description '{shown_description}' from this supplier"),
    );
    if let Some(vat) = input.vat_category {
        push(Group::Vat, &[vat], &|| format!("VAT category {vat}"));
        push(Group::SupplierVat, &[&supplier, vat, "x"], &|| {
            format!("VAT category {vat} from this supplier")
        });
    }
}

fn bucket_label(bucket: &str) -> String {
    let (sign, rest) = bucket.split_at(1);
    let sign = if sign == "-" { "-" } else { "" };
    if rest == "0" {
        return format!("{sign}0-1");
    }
    let digits: usize = rest[..rest.len() - 1].parse().unwrap_or(1);
    let lead = &rest[rest.len() - 1..];
    let (from, to) = match lead {
        "a" => ("1", "2"),
        "b" => ("2", "5"),
        _ => ("5", "10"),
    };
    let zeros = "0".repeat(digits.saturating_sub(1));
    format!("{sign}{from}{zeros}-{to}{zeros}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn buckets_and_keys() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(amount_bucket(d("649.57")), "+3c");
        assert_eq!(amount_bucket(d("1492.0")), "+4a");
        assert_eq!(amount_bucket(d("-35")), "-2b");
        assert_eq!(amount_bucket(d("0.50")), "+0");
        assert_eq!(bucket_label("+3c"), "500-1000");
        assert_eq!(amount_key(d("98.10")), "98.1");
        assert_eq!(
            supplier_key("Hambleton Roofing, Limited"),
            "HAMBLETON ROOFING LTD"
        );
        assert_eq!(description_key("  INV 181118/1 "), "inv 999999/9");
        let mut t = Vec::new();
        description_tokens("181118/1 Roof", &mut t);
        assert_eq!(t, ["#999999/9", "#18..6", "#181..6", "roof"]);
    }
}
