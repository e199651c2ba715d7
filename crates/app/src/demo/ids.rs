//! Check digits for the identifiers in the demo data.
//!
//! The demo vendors are fictional, but their IBANs, VAT identifiers and GLNs carry correct check
//! digits, computed here rather than typed in: importers, validators and the reviewer's eye treat
//! them like real ones, and a typo cannot slip into the data.

/// The decimal digits of `text`, ignoring anything else.
fn digits(text: &str) -> Vec<u32> {
    text.chars().filter_map(|c| c.to_digit(10)).collect()
}

/// `text` modulo 97, reading letters as ISO 13616 does (A = 10 … Z = 35).
pub(super) fn mod97(text: &str) -> u32 {
    text.chars().fold(0, |acc, c| match c.to_digit(36) {
        Some(v) if v < 10 => (acc * 10 + v) % 97,
        Some(v) => (acc * 100 + v) % 97,
        None => acc,
    })
}

/// An IBAN for a BBAN, with its ISO 13616 mod-97 check digits.
pub(super) fn iban(country: &str, bban: &str) -> String {
    let check = 98 - mod97(&format!("{bban}{country}00"));
    format!("{country}{check:02}{bban}")
}

/// The digit that makes `base` followed by it pass the Luhn check.
pub(super) fn luhn_digit(base: &str) -> u32 {
    let sum: u32 = digits(base)
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 0 {
                let p = d * 2;
                if p > 9 { p - 9 } else { p }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// German USt-IdNr.: `DE` + 8 digits + an ISO 7064 MOD 11,10 check digit.
pub(super) fn de_vat(base8: &str) -> String {
    let mut product = 10;
    for d in digits(base8) {
        let mut sum = (d + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (2 * sum) % 11;
    }
    let check = (11 - product) % 10;
    format!("DE{base8}{check}")
}

/// French TVA: `FR` + a 2-digit key + the SIREN (8 digits + a Luhn digit).
pub(super) fn fr_vat(siren_base8: &str) -> String {
    let siren = format!("{siren_base8}{}", luhn_digit(siren_base8));
    let number = u64::from(mod97(&siren));
    let key = (12 + 3 * number) % 97;
    format!("FR{key:02}{siren}")
}

/// Dutch btw-id of a B.V.: `NL` + a 9-digit fiscal number passing the 11-test + `B01`. Starts at
/// `base8` and takes the first number whose check digit exists.
pub(super) fn nl_vat(base8: u32) -> String {
    (base8..)
        .find_map(|n| {
            let text = format!("{n:08}");
            let sum: u32 = digits(&text)
                .iter()
                .zip((2..=9).rev())
                .map(|(d, w)| d * w)
                .sum();
            let check = sum % 11;
            (check < 10).then(|| format!("NL{text}{check}B01"))
        })
        .unwrap_or_default()
}

/// UK VAT registration number: `GB` + 7 digits + 2 check digits (weights 8…2, modulus 97).
pub(super) fn gb_vat(base7: &str) -> String {
    let sum: u32 = digits(base7)
        .iter()
        .zip((2..=8).rev())
        .map(|(d, w)| d * w)
        .sum();
    let check = (97 - sum % 97) % 97;
    format!("GB{base7}{check:02}")
}

/// Austrian UID: `ATU` + 7 digits + a check digit.
pub(super) fn at_vat(base7: &str) -> String {
    let sum: u32 = digits(base7)
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let p = d * 2;
                p / 10 + p % 10
            } else {
                d
            }
        })
        .sum();
    let check = (10 - (sum + 4) % 10) % 10;
    format!("ATU{base7}{check}")
}

/// Irish VAT number: `IE` + 7 digits + a check letter (weights 8…2, modulus 23).
pub(super) fn ie_vat(base7: &str) -> String {
    const LETTERS: &[u8] = b"WABCDEFGHIJKLMNOPQRSTUV";
    let sum: u32 = digits(base7)
        .iter()
        .zip((2..=8).rev())
        .map(|(d, w)| d * w)
        .sum();
    let letter = char::from(LETTERS[(sum % 23) as usize]);
    format!("IE{base7}{letter}")
}

/// Swedish organisation number (9 digits + Luhn) and the VAT number built from it.
pub(super) fn se_org_and_vat(base9: &str) -> (String, String) {
    let org = format!("{base9}{}", luhn_digit(base9));
    let vat = format!("SE{org}01");
    (org, vat)
}

/// Swiss UID as a VAT number: `CHE` + 8 digits + a mod-11 check digit + `MWST`. Starts at `base8`
/// and takes the first number whose check digit exists.
pub(super) fn ch_vat(base8: u32) -> String {
    const WEIGHTS: [u32; 8] = [5, 4, 3, 2, 7, 6, 5, 4];
    (base8..)
        .find_map(|n| {
            let text = format!("{n:08}");
            let sum: u32 = digits(&text).iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
            let check = match 11 - sum % 11 {
                11 => 0,
                10 => return None,
                c => c,
            };
            Some(format!("CHE{text}{check}MWST"))
        })
        .unwrap_or_default()
}

/// A GS1 Global Location Number: 12 digits + the GS1 mod-10 check digit.
pub(super) fn gln(base12: &str) -> String {
    let sum: u32 = digits(base12)
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 0 { d * 3 } else { d })
        .sum();
    format!("{base12}{}", (10 - sum % 10) % 10)
}

/// The French RIB key of a bank account (bank, branch and account number all numeric).
pub(super) fn fr_rib_key(bank: &str, branch: &str, account: &str) -> String {
    let modulo = |text: &str| -> u64 {
        digits(text)
            .iter()
            .fold(0, |acc, &d| (acc * 10 + u64::from(d)) % 97)
    };
    let sum = 89 * modulo(bank) + 15 * modulo(branch) + 3 * modulo(account);
    format!("{:02}", 97 - sum % 97)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_check_digits() {
        // Published example IBANs.
        assert_eq!(iban("DE", "370400440532013000"), "DE89370400440532013000");
        assert_eq!(iban("GB", "NWBK60161331926819"), "GB29NWBK60161331926819");
        assert_eq!(
            iban("FR", "20041010050500013M02606"),
            "FR1420041010050500013M02606"
        );
        // Published example identifiers.
        assert_eq!(de_vat("13669597"), "DE136695976");
        assert_eq!(fr_vat("40483304"), "FR83404833048");
        assert_eq!(gln("400638133393"), "4006381333931");
        assert_eq!(luhn_digit("7992739871"), 3);
        assert_eq!(at_vat("1358562"), "ATU13585627");
        assert_eq!(ie_vat("6433435"), "IE6433435F");
    }
}
