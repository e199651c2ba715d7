//! Journal references: at most 20 characters, stable for the life of a journal, unique per
//! workspace, and made only of characters every GL accepts in a memo, tag or document number.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The reference Folio writes into a GL entry to find it again: `F` + workspace tag + `-` + the
/// journal's number in base 36, e.g. `FK3P9Q-1Z`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JournalRef(String);

/// Why a reference could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("workspace tag '{0}' must be 1 to 5 characters of 0-9 and A-Z")]
    BadTag(String),
    #[error("journal number {0} must be positive")]
    BadNumber(i64),
    #[error("'{0}' is not a Folio journal reference")]
    NotAReference(String),
}

/// The longest reference any supported GL stores without truncation.
pub const MAX_LEN: usize = 20;

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn is_tag(tag: &str) -> bool {
    (1..=5).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

impl JournalRef {
    /// The reference of journal `number` in the workspace tagged `tag`.
    pub fn new(tag: &str, number: i64) -> Result<JournalRef, RefError> {
        if !is_tag(tag) {
            return Err(RefError::BadTag(tag.to_owned()));
        }
        let n = u64::try_from(number)
            .ok()
            .filter(|n| *n > 0)
            .ok_or(RefError::BadNumber(number))?;
        // 1 + 5 + 1 + at most 13 (an i64 in base 36) = at most 20 characters.
        let text = format!("F{tag}-{}", base36(n));
        debug_assert!(text.len() <= MAX_LEN);
        Ok(JournalRef(text))
    }

    /// Reads a reference back (from a GL entry).
    pub fn parse(text: &str) -> Result<JournalRef, RefError> {
        let bad = || RefError::NotAReference(text.to_owned());
        let rest = text.strip_prefix('F').ok_or_else(bad)?;
        let (tag, number) = rest.split_once('-').ok_or_else(bad)?;
        let valid_number = !number.is_empty()
            && number
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        if !is_tag(tag) || !valid_number || text.len() > MAX_LEN {
            return Err(bad());
        }
        Ok(JournalRef(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JournalRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_stable_and_parse_back() {
        let cases = [
            ("K3P9Q", 1, "FK3P9Q-1"),
            ("A", 36, "FA-10"),
            ("ZZZZZ", i64::MAX, "FZZZZZ-1Y2P0IJ32E8E7"),
        ];
        for (tag, n, expected) in cases {
            let r = JournalRef::new(tag, n).unwrap();
            assert_eq!(r.as_str(), expected);
            assert!(r.as_str().len() <= MAX_LEN);
            assert_eq!(JournalRef::parse(r.as_str()), Ok(r));
        }
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(JournalRef::new("", 1).is_err());
        assert!(JournalRef::new("abc", 1).is_err());
        assert!(JournalRef::new("TOOLONG", 1).is_err());
        assert!(JournalRef::new("A", 0).is_err());
        for text in [
            "",
            "X1-1",
            "F-1",
            "FA-",
            "FA1",
            "Fa-1",
            "FA-1 ",
            "FAAAAAA-1",
        ] {
            assert!(JournalRef::parse(text).is_err(), "{text:?}");
        }
    }
}
