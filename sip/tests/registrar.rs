//! The registrar: registration, refresh, several contacts, q-values, expiry, unregistration,
//! 423, ordering, and RFC 4475's registrar cases.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use sambung_sip::Message;
use sambung_sip::registrar::{MemoryLocationStore, RegisterError, Registrar, RegistrarConfig};

fn reg(call_id: &str, cseq: u32, contacts: &[&str], expires: Option<u32>) -> Vec<u8> {
    let mut s = format!(
        "REGISTER sip:bnpt.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.21;branch=z9hG4bK{cseq}\r\nTo: <sip:1001@BNPT.example>\r\nFrom: <sip:1001@bnpt.example>;tag=1\r\nCall-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n"
    );
    for c in contacts {
        s.push_str(&format!("Contact: {c}\r\n"));
    }
    if let Some(e) = expires {
        s.push_str(&format!("Expires: {e}\r\n"));
    }
    s.push_str("Content-Length: 0\r\n\r\n");
    s.into_bytes()
}

fn registrar() -> Registrar<MemoryLocationStore> {
    Registrar::new(RegistrarConfig::default(), MemoryLocationStore::default())
}

#[test]
fn register_refresh_several_contacts_and_expire() {
    let mut r = registrar();
    let now = 1_000;
    let b1 = reg("c1", 1, &["<sip:1001@192.0.2.21:5060>;q=0.5"], Some(600));
    let (aor, bindings) = r
        .register(&Message::parse(&b1).unwrap(), now, None)
        .unwrap();
    assert_eq!(aor, "sip:1001@bnpt.example", "the host is lower-cased");
    assert_eq!(bindings.len(), 1);
    assert_eq!(bindings[0].expires_at, 1_600);
    // A second phone for the same agent, with a higher q.
    let b2 = reg("c2", 1, &["<sip:1001@192.0.2.99>;expires=120;q=0.9"], None);
    let (_, bindings) = r
        .register(&Message::parse(&b2).unwrap(), now, None)
        .unwrap();
    assert_eq!(
        bindings.iter().map(|b| b.q).collect::<Vec<_>>(),
        [900, 500],
        "best q first"
    );
    // Refresh the first with a higher CSeq.
    let b3 = reg("c1", 2, &["<sip:1001@192.0.2.21:5060>;q=0.5"], Some(3600));
    r.register(&Message::parse(&b3).unwrap(), now + 100, None)
        .unwrap();
    // At 1,121 the second has expired.
    let live = r.lookup("sip:1001@bnpt.example", 1_121);
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].expires_at, 4_700);
    // The 200 OK lists the bindings with their remaining time.
    let msg_bytes = reg("c1", 3, &[], None);
    let msg = Message::parse(&msg_bytes).unwrap();
    let result = r.register(&msg, 1_200, None);
    let ok = r.respond(&msg, &result, 1_200, "t").unwrap();
    let ok = Message::parse(&ok).unwrap();
    assert_eq!(ok.status(), Some(200));
    assert_eq!(ok.contact_addrs().next().unwrap().expires(), Some(3500));
}

#[test]
fn unregister_one_or_all() {
    let mut r = registrar();
    let a = reg(
        "c1",
        1,
        &["<sip:1001@192.0.2.21>", "<sip:1001@192.0.2.22>"],
        Some(600),
    );
    r.register(&Message::parse(&a).unwrap(), 0, None).unwrap();
    let one = reg("c1", 2, &["<sip:1001@192.0.2.21>;expires=0"], None);
    let (_, left) = r.register(&Message::parse(&one).unwrap(), 1, None).unwrap();
    assert_eq!(left.len(), 1);
    let star = reg("c1", 3, &["*"], Some(0));
    let (_, left) = r
        .register(&Message::parse(&star).unwrap(), 2, None)
        .unwrap();
    assert!(left.is_empty());
    let bad_star = reg("c1", 4, &["*"], Some(60));
    assert_eq!(
        r.register(&Message::parse(&bad_star).unwrap(), 3, None),
        Err(RegisterError::BadWildcard)
    );
}

#[test]
fn interval_too_brief_and_out_of_order() {
    let mut r = registrar();
    let short = reg("c1", 1, &["<sip:1001@192.0.2.21>"], Some(10));
    let msg = Message::parse(&short).unwrap();
    let result = r.register(&msg, 0, None);
    assert_eq!(
        result,
        Err(RegisterError::IntervalTooBrief { min_expires: 60 })
    );
    let resp = Message::parse(&r.respond(&msg, &result, 0, "t").unwrap())
        .unwrap()
        .status();
    assert_eq!(resp, Some(423));
    let ok = reg("c1", 5, &["<sip:1001@192.0.2.21>"], Some(600));
    r.register(&Message::parse(&ok).unwrap(), 0, None).unwrap();
    let old = reg("c1", 4, &["<sip:1001@192.0.2.21>"], Some(600));
    assert_eq!(
        r.register(&Message::parse(&old).unwrap(), 1, None),
        Err(RegisterError::OutOfOrder)
    );
}

fn torture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/torture/rfc4475/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn rfc4475_registrar_cases() {
    // unksm2: the To is not a SIP URI; a registrar answers 400.
    let b = torture("semantic/unksm2.dat");
    let msg = Message::parse(&b).unwrap();
    let result = registrar().register(&msg, 0, None);
    assert_eq!(result, Err(RegisterError::BadAddressOfRecord));
    assert_eq!(result.unwrap_err().status().0, 400);
    // escnull: two contacts differing only in %00 are two bindings.
    let b = torture("valid/escnull.dat");
    let (_, bindings) = registrar()
        .register(&Message::parse(&b).unwrap(), 0, None)
        .unwrap();
    assert_eq!(bindings.len(), 2);
    // cparam01: without <>, unknownparam is a header parameter, not part of the bound URI.
    let b = torture("semantic/cparam01.dat");
    let (_, bindings) = registrar()
        .register(&Message::parse(&b).unwrap(), 0, None)
        .unwrap();
    assert_eq!(bindings[0].contact, "sip:+19725552222@gw1.example.net");
    // cparam02: inside <>, it is part of the URI.
    let b = torture("semantic/cparam02.dat");
    let (_, bindings) = registrar()
        .register(&Message::parse(&b).unwrap(), 0, None)
        .unwrap();
    assert_eq!(
        bindings[0].contact,
        "sip:+19725552222@gw1.example.net;unknownparam"
    );
    // regescrt: the escaped Route header in the contact is stored as is.
    let b = torture("semantic/regescrt.dat");
    let (_, bindings) = registrar()
        .register(&Message::parse(&b).unwrap(), 0, None)
        .unwrap();
    assert_eq!(
        bindings[0].contact,
        "sip:user@example.com?Route=%3Csip:sip.example.com%3E"
    );
}
