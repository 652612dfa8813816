//! Phone numbers: any written form of an Indonesian or international number, normalised to
//! E.164 or to an Indonesian short code, and classified.
//!
//! Validity and the number type come from libphonenumber's metadata through the
//! [`phonenumber`] crate. What it lacks, this module adds: Indonesian short codes (`112`,
//! `1500112`, `14045`), 0807 universal toll-free numbers, the operator of a mobile prefix, the
//! area code of a fixed line, and the Indonesian international-call prefixes `001`, `007`,
//! `008`, `009` and `01017`.
//!
//! Input is cleaned before it reaches `phonenumber` (only `+` and ASCII digits pass), so hostile
//! strings never reach that crate's own parser.
//!
//! A number is personal data: [`PhoneNumber`]'s `Display` and `Debug` mask the middle digits.
//! Use [`PhoneNumber::as_str`] where the full number is needed (storage, dialling).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest input accepted, in bytes. Written forms of the longest E.164 number with generous
/// spacing fit easily; anything longer is not a phone number.
pub const MAX_INPUT_LEN: usize = 64;

/// The most digits an E.164 number can have (ITU-T E.164 §6), plus the longest international
/// prefix we strip.
const MAX_DIGITS: usize = 15 + 5;

/// Indonesia's country calling code.
pub const INDONESIA: u16 = 62;

/// Why a string is not a phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneNumberError {
    /// No digits at all.
    #[error("phone number is empty")]
    Empty,
    /// The input is longer than [`MAX_INPUT_LEN`] bytes or has too many digits.
    #[error("phone number is too long: {len} {unit}, at most {max}")]
    TooLong {
        /// How long it was.
        len: usize,
        /// The limit.
        max: usize,
        /// `"bytes"` or `"digits"`.
        unit: &'static str,
    },
    /// A character that has no place in a written phone number.
    #[error("phone number has {found:?} at byte {offset}")]
    InvalidCharacter {
        /// The character.
        found: char,
        /// Its byte offset in the input.
        offset: usize,
    },
    /// A `+` somewhere other than the start.
    #[error("phone number has '+' at byte {offset}; it may only lead")]
    MisplacedPlus {
        /// Its byte offset.
        offset: usize,
    },
    /// Parentheses that do not pair up.
    #[error("phone number has an unbalanced parenthesis at byte {offset}")]
    UnbalancedParenthesis {
        /// Byte offset of the offending parenthesis (or the end of input for a missing `)`).
        offset: usize,
    },
    /// Digits without a national (`0`) or international (`+`, `00`) prefix that are not a
    /// short code: a local number without its area code cannot be placed.
    #[error("phone number {digits} digits long has no 0, +, or 00 prefix and is not a short code")]
    NoPrefix {
        /// How many digits it had.
        digits: usize,
    },
    /// Starts like a short code (`1…`) but is not one of Indonesia's short-code shapes.
    #[error("{digits}-digit number starting with 1 is not an Indonesian short code")]
    UnknownShortCode {
        /// How many digits it had.
        digits: usize,
    },
    /// The country calling code is not assigned.
    #[error("no country has calling code +{code}")]
    UnknownCountryCode {
        /// The leading digits read as a country code (up to three).
        code: u16,
    },
    /// The digits do not form a valid number of that country.
    #[error("not a valid number for country code +{country_code}")]
    InvalidNumber {
        /// The country calling code.
        country_code: u16,
    },
}

/// The mobile network a prefix was allocated to (Kominfo numbering plan). Since the mergers
/// (Indosat Ooredoo Hutchison, XL with Smartfren) several brands share one company, and numbers can be
/// ported, so this is the original allocation, not a routing fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MobileOperator {
    /// Telkomsel: 0811–0813, 0821–0823, 0851–0853.
    Telkomsel,
    /// Indosat Ooredoo: 0814–0816, 0855–0858.
    Indosat,
    /// XL Axiata: 0817–0819, 0859, 0877–0878.
    Xl,
    /// Axis: 0831–0833, 0838.
    Axis,
    /// 3 (Tri): 0895–0899.
    Three,
    /// Smartfren: 0881–0889.
    Smartfren,
    /// Ceria (Sampoerna Telekomunikasi): 0828.
    Ceria,
    /// A valid mobile range with no operator on record here.
    Unknown,
}

impl MobileOperator {
    /// The operator for an Indonesian national number (without the leading 0) that starts
    /// with `8`.
    fn from_national(national: &str) -> Self {
        let prefix = national
            .get(..3)
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(0);
        match prefix {
            811..=813 | 821..=823 | 851..=853 => Self::Telkomsel,
            814..=816 | 855..=858 => Self::Indosat,
            817..=819 | 859 | 877 | 878 => Self::Xl,
            831..=833 | 838 => Self::Axis,
            895..=899 => Self::Three,
            881..=889 => Self::Smartfren,
            828 => Self::Ceria,
            _ => Self::Unknown,
        }
    }
}

/// An Indonesian fixed-line area code, without its leading 0 (`21` for Jakarta).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AreaCode(u16);

/// Area codes with two digits; every other Indonesian area code has three.
const TWO_DIGIT_AREAS: [u16; 5] = [21, 22, 24, 31, 61];

/// Cities for the area codes a Jakarta call center meets most (not exhaustive).
const AREA_NAMES: &[(u16, &str)] = &[
    (21, "Jakarta"),
    (22, "Bandung"),
    (24, "Semarang"),
    (31, "Surabaya"),
    (61, "Medan"),
    (251, "Bogor"),
    (254, "Serang"),
    (262, "Garut"),
    (271, "Surakarta"),
    (274, "Yogyakarta"),
    (341, "Malang"),
    (361, "Denpasar"),
    (370, "Mataram"),
    (380, "Kupang"),
    (401, "Kendari"),
    (411, "Makassar"),
    (431, "Manado"),
    (435, "Gorontalo"),
    (451, "Palu"),
    (511, "Banjarmasin"),
    (541, "Samarinda"),
    (542, "Balikpapan"),
    (561, "Pontianak"),
    (651, "Banda Aceh"),
    (711, "Palembang"),
    (717, "Pangkal Pinang"),
    (721, "Bandar Lampung"),
    (736, "Bengkulu"),
    (741, "Jambi"),
    (751, "Padang"),
    (761, "Pekanbaru"),
    (771, "Tanjung Pinang"),
    (778, "Batam"),
    (911, "Ambon"),
    (921, "Ternate"),
    (967, "Jayapura"),
];

impl AreaCode {
    /// The area code of a national fixed-line number (without the leading 0).
    fn from_national(national: &str) -> Option<Self> {
        let two = national.get(..2)?.parse::<u16>().ok()?;
        if TWO_DIGIT_AREAS.contains(&two) {
            return Some(Self(two));
        }
        national.get(..3)?.parse::<u16>().ok().map(Self)
    }

    /// The code as a number (`21`).
    pub fn get(self) -> u16 {
        self.0
    }

    /// The main city of the area, where known.
    pub fn city(self) -> Option<&'static str> {
        AREA_NAMES
            .iter()
            .find(|(code, _)| *code == self.0)
            .map(|(_, name)| *name)
    }
}

impl fmt::Display for AreaCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0{}", self.0)
    }
}

/// What an Indonesian short code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ShortCodeKind {
    /// Emergency services: 110 police, 112 general, 113 fire, 115 search and rescue,
    /// 118 and 119 ambulance.
    Emergency,
    /// Another three-digit `1xy` public service number (108 directory, 129 women and children…).
    Service,
    /// A seven-digit `1500xyz` or five-digit `14xyz` access number of an organisation.
    Access,
}

/// The class of a number: what kind of line it is, with the detail a routing or priority rule
/// may need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NumberClass {
    /// An Indonesian mobile number.
    Mobile {
        /// The operator the prefix was allocated to.
        operator: MobileOperator,
    },
    /// An Indonesian fixed line.
    FixedLine {
        /// Its area code.
        area_code: AreaCode,
    },
    /// An Indonesian toll-free number: 0800 freephone or 0807 universal toll-free.
    TollFree,
    /// An Indonesian premium-rate number (0809).
    Premium,
    /// An Indonesian shared-cost number (0804).
    SharedCost,
    /// An Indonesian short code (`112`, `1500112`, `14045`).
    ShortCode {
        /// What kind of short code.
        kind: ShortCodeKind,
    },
    /// A valid number of another country.
    International {
        /// Its country calling code.
        country_code: u16,
    },
    /// A valid Indonesian number of another type (voice over IP, universal access numbers, …).
    Other,
}

impl NumberClass {
    /// The class without its detail, for configuration and rules.
    pub fn kind(self) -> ClassKind {
        match self {
            Self::Mobile { .. } => ClassKind::Mobile,
            Self::FixedLine { .. } => ClassKind::FixedLine,
            Self::TollFree => ClassKind::TollFree,
            Self::Premium => ClassKind::Premium,
            Self::SharedCost => ClassKind::SharedCost,
            Self::ShortCode { .. } => ClassKind::ShortCode,
            Self::International { .. } => ClassKind::International,
            Self::Other => ClassKind::Other,
        }
    }
}

/// [`NumberClass`] without detail: what priority rules and configuration files name
/// (`mobile`, `fixed_line`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClassKind {
    /// See [`NumberClass::Mobile`].
    Mobile,
    /// See [`NumberClass::FixedLine`].
    FixedLine,
    /// See [`NumberClass::TollFree`].
    TollFree,
    /// See [`NumberClass::Premium`].
    Premium,
    /// See [`NumberClass::SharedCost`].
    SharedCost,
    /// See [`NumberClass::ShortCode`].
    ShortCode,
    /// See [`NumberClass::International`].
    International,
    /// See [`NumberClass::Other`].
    Other,
}

/// A parsed, validated and classified phone number.
///
/// Holds either an E.164 number (`+6281234567890`) or an Indonesian short code (`112`).
/// Equality and hashing are on that canonical form, so `0812-3456-7890` and
/// `+62 812 3456 7890` are the same number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    /// `+` and digits for E.164, digits alone for a short code.
    canonical: Box<str>,
    class: NumberClass,
}

impl PhoneNumber {
    /// Parses any written form of a number: `0812-3456-7890`, `+62 812 3456 7890`,
    /// `62812…`, `(021) 5550 1234`, `+62 (0)21 5550 1234`, `0800-1-500-112`, `112`,
    /// `1500112`, `001 1 650 253 0000`, `+44 20 7946 0958`.
    pub fn parse(input: &str) -> Result<Self, PhoneNumberError> {
        let cleaned = clean(input)?;
        let digits = cleaned.digits.as_str();
        if cleaned.plus {
            return international(digits);
        }
        if let Some(rest) = digits.strip_prefix('0') {
            if rest.starts_with('0') || rest.starts_with("1017") {
                return via_international_prefix(digits);
            }
            return indonesian(rest);
        }
        if digits.starts_with('1') {
            return short_code(digits);
        }
        if let Some(national) = digits.strip_prefix("62") {
            // `62812…`: the country code written without `+`. Indonesian national numbers
            // have at least 8 digits, so shorter inputs are local numbers, not this form.
            if national.len() >= 8 {
                return indonesian(national.strip_prefix('0').unwrap_or(national));
            }
        }
        Err(PhoneNumberError::NoPrefix {
            digits: digits.len(),
        })
    }

    /// The class of the number.
    pub fn class(&self) -> NumberClass {
        self.class
    }

    /// The full canonical form: E.164 with `+`, or the short code's digits. Personal data:
    /// for storage and dialling, not for logs.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// The E.164 form (`+6281234567890`), or `None` for a short code.
    pub fn e164(&self) -> Option<String> {
        self.canonical
            .starts_with('+')
            .then(|| self.canonical.to_string())
    }

    /// The short code's digits, or `None` for an E.164 number.
    pub fn short_code(&self) -> Option<&str> {
        (!self.canonical.starts_with('+')).then_some(&*self.canonical)
    }

    /// The country calling code; short codes are Indonesian.
    pub fn country_code(&self) -> u16 {
        match self.class {
            NumberClass::International { country_code } => country_code,
            _ => INDONESIA,
        }
    }

    /// The number as dialled inside Indonesia: `081234567890`, `112`, or `+44…` for other
    /// countries. Personal data.
    pub fn national_form(&self) -> String {
        match self.canonical.strip_prefix("+62") {
            Some(national) => format!("0{national}"),
            None => self.canonical.to_string(),
        }
    }
}

/// How many leading and trailing digits a masked number keeps after `+` and the country code.
const MASK_KEEP_LEADING: usize = 3;
const MASK_KEEP_TRAILING: usize = 2;

impl fmt::Display for PhoneNumber {
    /// Masked for logs: `+62812******90`. Short codes are public and shown whole.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(digits) = self.canonical.strip_prefix('+') else {
            return f.write_str(&self.canonical);
        };
        let cc_len = self.country_code().to_string().len();
        let keep = cc_len + MASK_KEEP_LEADING;
        f.write_str("+")?;
        for (i, ch) in digits.chars().enumerate() {
            let visible = i < keep || i + MASK_KEEP_TRAILING >= digits.len();
            fmt::Write::write_char(f, if visible { ch } else { '*' })?;
        }
        Ok(())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PhoneNumber")
            .field("masked", &format_args!("{self}"))
            .field("class", &self.class)
            .finish()
    }
}

impl FromStr for PhoneNumber {
    type Err = PhoneNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.canonical)
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The input reduced to an optional leading `+` and ASCII digits.
struct Cleaned {
    plus: bool,
    digits: String,
}

fn clean(input: &str) -> Result<Cleaned, PhoneNumberError> {
    if input.len() > MAX_INPUT_LEN {
        return Err(PhoneNumberError::TooLong {
            len: input.len(),
            max: MAX_INPUT_LEN,
            unit: "bytes",
        });
    }
    let mut plus = false;
    let mut digits = String::with_capacity(16);
    let mut open_paren: Option<usize> = None;
    for (offset, ch) in input.char_indices() {
        match ch {
            '0'..='9' => digits.push(ch),
            '+' if digits.is_empty() && !plus && open_paren.is_none() => plus = true,
            '+' => return Err(PhoneNumberError::MisplacedPlus { offset }),
            '(' if open_paren.is_none() => open_paren = Some(offset),
            ')' if open_paren.is_some() => open_paren = None,
            '(' | ')' => return Err(PhoneNumberError::UnbalancedParenthesis { offset }),
            ' ' | '-' | '.' | '/' | '\t' | '\u{a0}' => {}
            _ => return Err(PhoneNumberError::InvalidCharacter { found: ch, offset }),
        }
    }
    if open_paren.is_some() {
        return Err(PhoneNumberError::UnbalancedParenthesis {
            offset: input.len(),
        });
    }
    if digits.is_empty() {
        return Err(PhoneNumberError::Empty);
    }
    if digits.len() > MAX_DIGITS {
        return Err(PhoneNumberError::TooLong {
            len: digits.len(),
            max: MAX_DIGITS,
            unit: "digits",
        });
    }
    Ok(Cleaned { plus, digits })
}

/// Digits after a `+`.
fn international(digits: &str) -> Result<PhoneNumber, PhoneNumberError> {
    if let Some(national) = digits.strip_prefix("62") {
        // `+62 (0)21 …`: a national prefix written after the country code is dropped.
        return indonesian(national.strip_prefix('0').unwrap_or(national));
    }
    foreign(digits)
}

/// Digits starting with an international prefix (`00`, `001`, `007`, `008`, `009`, `01017`).
fn via_international_prefix(digits: &str) -> Result<PhoneNumber, PhoneNumberError> {
    // A carrier prefix (three or five digits) is tried first, then plain `00`, which is how
    // numbers are written from abroad (`0062 812 …`).
    let carrier = ["001", "007", "008", "009", "01017"]
        .iter()
        .find_map(|p| digits.strip_prefix(p))
        .map(international);
    match carrier {
        Some(Ok(number)) => Ok(number),
        other => match digits.strip_prefix("00") {
            Some(rest) if !rest.is_empty() => international(rest),
            _ => other.unwrap_or(Err(PhoneNumberError::InvalidNumber { country_code: 0 })),
        },
    }
}

/// A number of another country, validated with libphonenumber's metadata.
fn foreign(digits: &str) -> Result<PhoneNumber, PhoneNumberError> {
    let code_guess = || {
        digits
            .get(..3.min(digits.len()))
            .and_then(|c| c.parse::<u16>().ok())
            .unwrap_or(0)
    };
    if digits.len() < 4 {
        return Err(PhoneNumberError::InvalidNumber {
            country_code: code_guess(),
        });
    }
    let parsed = phonenumber::parse(None, format!("+{digits}"))
        .map_err(|_| PhoneNumberError::UnknownCountryCode { code: code_guess() })?;
    let country_code = parsed.code().value();
    if !parsed.is_valid() {
        return Err(PhoneNumberError::InvalidNumber { country_code });
    }
    let canonical = parsed.format().mode(phonenumber::Mode::E164).to_string();
    Ok(PhoneNumber {
        canonical: canonical.into_boxed_str(),
        class: NumberClass::International { country_code },
    })
}

/// An Indonesian national significant number (no leading 0, no country code).
fn indonesian(national: &str) -> Result<PhoneNumber, PhoneNumberError> {
    let invalid = PhoneNumberError::InvalidNumber {
        country_code: INDONESIA,
    };
    // Short codes keyed in with a national prefix or country code are not E.164 numbers.
    if national.is_empty() || national.starts_with('0') || national.len() < 7 {
        return Err(invalid);
    }
    let parsed = phonenumber::parse(None, format!("+62{national}")).map_err(|_| invalid.clone())?;
    if parsed.code().value() != INDONESIA || parsed.national().to_string() != national {
        return Err(invalid);
    }
    let metadata_type = parsed.number_type(&phonenumber::metadata::DATABASE);
    let class = match metadata_type {
        // 0807 universal toll-free numbers are filed as UAN in libphonenumber; Indonesian
        // carriers bill them as freephone.
        _ if national.starts_with("807") && parsed.is_valid() => NumberClass::TollFree,
        phonenumber::Type::Mobile => NumberClass::Mobile {
            operator: MobileOperator::from_national(national),
        },
        phonenumber::Type::FixedLine | phonenumber::Type::FixedLineOrMobile => {
            match AreaCode::from_national(national) {
                Some(area_code) => NumberClass::FixedLine { area_code },
                None => return Err(invalid),
            }
        }
        phonenumber::Type::TollFree => NumberClass::TollFree,
        phonenumber::Type::PremiumRate => NumberClass::Premium,
        phonenumber::Type::SharedCost => NumberClass::SharedCost,
        _ if parsed.is_valid() => NumberClass::Other,
        _ => return Err(invalid),
    };
    Ok(PhoneNumber {
        canonical: format!("+62{national}").into_boxed_str(),
        class,
    })
}

/// Emergency short codes.
const EMERGENCY: [&str; 6] = ["110", "112", "113", "115", "118", "119"];

/// Digits starting with `1` and no prefix.
fn short_code(digits: &str) -> Result<PhoneNumber, PhoneNumberError> {
    let kind = match digits.len() {
        3 if EMERGENCY.contains(&digits) => ShortCodeKind::Emergency,
        3 => ShortCodeKind::Service,
        5 if digits.starts_with("14") => ShortCodeKind::Access,
        7 if digits.starts_with("1500") => ShortCodeKind::Access,
        len => return Err(PhoneNumberError::UnknownShortCode { digits: len }),
    };
    Ok(PhoneNumber {
        canonical: digits.into(),
        class: NumberClass::ShortCode { kind },
    })
}
