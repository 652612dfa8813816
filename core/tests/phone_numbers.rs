//! Indonesian and international numbers in their written forms: E.164 and class.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use sambung_core::phone::{
    ClassKind, MobileOperator, NumberClass, PhoneNumber, PhoneNumberError, ShortCodeKind,
};

fn mobile(operator: MobileOperator) -> Expect {
    Expect::Mobile(operator)
}

#[derive(Debug, Clone, Copy)]
enum Expect {
    Mobile(MobileOperator),
    Fixed(u16, Option<&'static str>),
    Kind(ClassKind),
    Short(ShortCodeKind),
    Intl(u16),
}

#[test]
fn written_forms_normalise_and_classify() {
    use MobileOperator::*;
    let table: &[(&str, &str, Expect)] = &[
        // Mobile numbers, every common way of writing them.
        ("0812-3456-7890", "+6281234567890", mobile(Telkomsel)),
        ("+62 812 3456 7890", "+6281234567890", mobile(Telkomsel)),
        ("6281234567890", "+6281234567890", mobile(Telkomsel)),
        ("62 812-3456-7890", "+6281234567890", mobile(Telkomsel)),
        ("+62 (0) 812 3456 7890", "+6281234567890", mobile(Telkomsel)),
        ("0062 812 3456 7890", "+6281234567890", mobile(Telkomsel)),
        ("0812.3456.7890", "+6281234567890", mobile(Telkomsel)),
        ("+62-812-3456-7890", "+6281234567890", mobile(Telkomsel)),
        ("0852 1234 5678", "+6285212345678", mobile(Telkomsel)),
        ("0851 2345 6789", "+6285123456789", mobile(Telkomsel)),
        ("0811 123 456", "+62811123456", mobile(Telkomsel)),
        ("0815-1234-5678", "+6281512345678", mobile(Indosat)),
        ("0857.1234.5678", "+6285712345678", mobile(Indosat)),
        ("0817 1234 5678", "+6281712345678", mobile(Xl)),
        ("0878-1234-5678", "+6287812345678", mobile(Xl)),
        ("0838-1234-5678", "+6283812345678", mobile(Axis)),
        ("0896-1234-5678", "+6289612345678", mobile(Three)),
        ("0881-2345-6789", "+6288123456789", mobile(Smartfren)),
        ("0828 1234 5678", "+6282812345678", mobile(Ceria)),
        // Fixed lines with their area codes.
        (
            "(021) 5550 1234",
            "+622155501234",
            Expect::Fixed(21, Some("Jakarta")),
        ),
        (
            "021-5550-1234",
            "+622155501234",
            Expect::Fixed(21, Some("Jakarta")),
        ),
        (
            "+62 21 5550 1234",
            "+622155501234",
            Expect::Fixed(21, Some("Jakarta")),
        ),
        (
            "+62 (0)21 5550 1234",
            "+622155501234",
            Expect::Fixed(21, Some("Jakarta")),
        ),
        (
            "022 8765 4321",
            "+622287654321",
            Expect::Fixed(22, Some("Bandung")),
        ),
        (
            "031-9988-7766",
            "+623199887766",
            Expect::Fixed(31, Some("Surabaya")),
        ),
        (
            "(0274) 512 345",
            "+62274512345",
            Expect::Fixed(274, Some("Yogyakarta")),
        ),
        (
            "0361 234 567",
            "+62361234567",
            Expect::Fixed(361, Some("Denpasar")),
        ),
        // Toll-free, premium, shared cost.
        (
            "0800-1-500-112",
            "+628001500112",
            Expect::Kind(ClassKind::TollFree),
        ),
        (
            "08001500112",
            "+628001500112",
            Expect::Kind(ClassKind::TollFree),
        ),
        (
            "0807 1 234 567",
            "+628071234567",
            Expect::Kind(ClassKind::TollFree),
        ),
        (
            "0809 1 234 567",
            "+628091234567",
            Expect::Kind(ClassKind::Premium),
        ),
        (
            "0804 1 234 567",
            "+628041234567",
            Expect::Kind(ClassKind::SharedCost),
        ),
        // Short codes.
        ("112", "112", Expect::Short(ShortCodeKind::Emergency)),
        ("110", "110", Expect::Short(ShortCodeKind::Emergency)),
        ("108", "108", Expect::Short(ShortCodeKind::Service)),
        ("1500112", "1500112", Expect::Short(ShortCodeKind::Access)),
        ("1500-112", "1500112", Expect::Short(ShortCodeKind::Access)),
        ("14045", "14045", Expect::Short(ShortCodeKind::Access)),
        // International, with + or an Indonesian international prefix.
        ("+1 650-253-0000", "+16502530000", Expect::Intl(1)),
        ("001 1 650 253 0000", "+16502530000", Expect::Intl(1)),
        ("+44 20 7946 0958", "+442079460958", Expect::Intl(44)),
        ("+65 6123 4567", "+6561234567", Expect::Intl(65)),
        ("01017 65 6123 4567", "+6561234567", Expect::Intl(65)),
        ("+61 2 9374 4000", "+61293744000", Expect::Intl(61)),
    ];
    assert!(table.len() >= 30);
    for &(input, canonical, expect) in table {
        let number =
            PhoneNumber::parse(input).unwrap_or_else(|e| panic!("{input:?} should parse, got {e}"));
        assert_eq!(number.as_str(), canonical, "{input:?}");
        let class = number.class();
        match expect {
            Expect::Mobile(op) => {
                assert_eq!(class, NumberClass::Mobile { operator: op }, "{input:?}");
            }
            Expect::Fixed(code, city) => {
                let NumberClass::FixedLine { area_code } = class else {
                    panic!("{input:?}: expected a fixed line, got {class:?}");
                };
                assert_eq!(area_code.get(), code, "{input:?}");
                assert_eq!(area_code.city(), city, "{input:?}");
            }
            Expect::Kind(kind) => assert_eq!(class.kind(), kind, "{input:?}"),
            Expect::Short(kind) => {
                assert_eq!(class, NumberClass::ShortCode { kind }, "{input:?}");
                assert_eq!(number.short_code(), Some(canonical));
                assert_eq!(number.e164(), None);
            }
            Expect::Intl(cc) => {
                assert_eq!(
                    class,
                    NumberClass::International { country_code: cc },
                    "{input:?}"
                );
                assert_eq!(number.country_code(), cc);
            }
        }
        if canonical.starts_with('+') {
            assert_eq!(number.e164().as_deref(), Some(canonical));
        }
        // The canonical form parses back to the same number.
        assert_eq!(
            PhoneNumber::parse(canonical).as_ref(),
            Ok(&number),
            "{canonical:?}"
        );
    }
}

#[test]
fn bad_numbers_say_why() {
    let cases: &[(&str, PhoneNumberError)] = &[
        ("", PhoneNumberError::Empty),
        ("  - ", PhoneNumberError::Empty),
        (
            "abc",
            PhoneNumberError::InvalidCharacter {
                found: 'a',
                offset: 0,
            },
        ),
        (
            "0812-3456-7890 ext",
            PhoneNumberError::InvalidCharacter {
                found: 'e',
                offset: 15,
            },
        ),
        ("08+12", PhoneNumberError::MisplacedPlus { offset: 2 }),
        (
            "(021 5550",
            PhoneNumberError::UnbalancedParenthesis { offset: 9 },
        ),
        (
            "021) 5550",
            PhoneNumberError::UnbalancedParenthesis { offset: 3 },
        ),
        ("5550 1234", PhoneNumberError::NoPrefix { digits: 8 }),
        ("12345", PhoneNumberError::UnknownShortCode { digits: 5 }),
        (
            "+62 812",
            PhoneNumberError::InvalidNumber { country_code: 62 },
        ),
        (
            "0812345",
            PhoneNumberError::InvalidNumber { country_code: 62 },
        ),
        (
            "+999 123456",
            PhoneNumberError::UnknownCountryCode { code: 999 },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            PhoneNumber::parse(input).as_ref(),
            Err(expected),
            "{input:?}"
        );
    }
    let long = "1".repeat(65);
    assert!(matches!(
        PhoneNumber::parse(&long),
        Err(PhoneNumberError::TooLong {
            len: 65,
            unit: "bytes",
            ..
        })
    ));
    assert!(matches!(
        PhoneNumber::parse("+6281234567890123456789"),
        Err(PhoneNumberError::TooLong { unit: "digits", .. })
    ));
}

#[test]
fn display_and_debug_mask_personal_numbers() {
    let n = PhoneNumber::parse("0812-3456-7890").unwrap();
    assert_eq!(n.to_string(), "+62812******90");
    let debug = format!("{n:?}");
    assert!(!debug.contains("34567"), "{debug}");
    // Public short codes are shown whole.
    assert_eq!(PhoneNumber::parse("112").unwrap().to_string(), "112");
    assert_eq!(n.national_form(), "081234567890");
}

#[test]
fn serde_uses_the_full_canonical_form() {
    let n = PhoneNumber::parse("(021) 5550 1234").unwrap();
    let json = serde_json::to_string(&n).unwrap();
    assert_eq!(json, "\"+622155501234\"");
    let back: PhoneNumber = serde_json::from_str(&json).unwrap();
    assert_eq!(back, n);
    assert!(serde_json::from_str::<PhoneNumber>("\"not a number\"").is_err());
}
