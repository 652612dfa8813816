//! Dialogs: both sides of an INVITE, early to confirmed, route sets, CSeq order, target
//! refresh, BYE.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use sambung_sip::dialog::{Dialog, DialogError, DialogState, Role};
use sambung_sip::{HeaderName, Message, Method};

const INVITE: &str = "INVITE sip:1500112@bnpt.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\nMax-Forwards: 70\r\nTo: <sip:1500112@bnpt.example>\r\nFrom: \"Ani\" <sip:ani@carrier.example>;tag=a1\r\nCall-ID: d1\r\nCSeq: 10 INVITE\r\nContact: <sip:ani@192.0.2.10>\r\nRecord-Route: <sip:p1.example;lr>, <sip:p2.example;lr>\r\nContent-Length: 0\r\n\r\n";

fn resp(code: u16, contact: &str) -> String {
    format!(
        "SIP/2.0 {code} X\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\nRecord-Route: <sip:p1.example;lr>, <sip:p2.example;lr>\r\nTo: <sip:1500112@bnpt.example>;tag=b2\r\nFrom: \"Ani\" <sip:ani@carrier.example>;tag=a1\r\nCall-ID: d1\r\nCSeq: 10 INVITE\r\nContact: <{contact}>\r\nContent-Length: 0\r\n\r\n"
    )
}

#[test]
fn uac_dialog_goes_early_then_confirmed_and_builds_requests() {
    let invite = Message::parse(INVITE.as_bytes()).unwrap();
    let ringing = resp(180, "sip:agent@203.0.113.5");
    let mut d = Dialog::uac(&invite, &Message::parse(ringing.as_bytes()).unwrap()).unwrap();
    assert_eq!((d.role, d.state), (Role::Uac, DialogState::Early));
    // The UAC's route set is the Record-Route reversed.
    assert_eq!(d.route_set, ["<sip:p2.example;lr>", "<sip:p1.example;lr>"]);
    let ok = resp(200, "sip:agent@203.0.113.6");
    d.on_response(&Message::parse(ok.as_bytes()).unwrap());
    assert_eq!(d.state, DialogState::Confirmed);
    assert_eq!(d.remote_target, "sip:agent@203.0.113.6");
    let ack = d
        .request(Method::Ack)
        .header(HeaderName::Via, "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK2")
        .header(HeaderName::MaxForwards, "70")
        .build()
        .unwrap();
    let ack = Message::parse(&ack).unwrap();
    assert_eq!(
        (ack.cseq().seq(), ack.cseq().method()),
        (10, "ACK"),
        "the ACK reuses the INVITE's CSeq"
    );
    assert_eq!(ack.request_uri().unwrap().as_str(), "sip:agent@203.0.113.6");
    let bye = d
        .request(Method::Bye)
        .header(HeaderName::Via, "SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK3")
        .header(HeaderName::MaxForwards, "70")
        .build()
        .unwrap();
    let bye = Message::parse(&bye).unwrap();
    assert_eq!(bye.cseq().seq(), 11);
    assert_eq!(bye.from().tag(), Some("a1"));
    assert_eq!(bye.to().tag(), Some("b2"));
    assert_eq!(
        bye.routes()
            .map(|r| r.uri().as_str().to_owned())
            .collect::<Vec<_>>(),
        ["sip:p2.example;lr", "sip:p1.example;lr"]
    );
}

#[test]
fn uas_dialog_checks_order_refreshes_target_and_ends_on_bye() {
    let invite = Message::parse(INVITE.as_bytes()).unwrap();
    let mut d = Dialog::uas(&invite, "b2", true).unwrap();
    assert_eq!(
        d.route_set,
        ["<sip:p1.example;lr>", "<sip:p2.example;lr>"],
        "the UAS keeps the order"
    );
    let in_dialog = |method: &str, cseq: u32, contact: &str| {
        format!(
            "{method} sip:1500112@203.0.113.5 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK{cseq}\r\nMax-Forwards: 70\r\nTo: <sip:1500112@bnpt.example>;tag=b2\r\nFrom: <sip:ani@carrier.example>;tag=a1\r\nCall-ID: d1\r\nCSeq: {cseq} {method}\r\nContact: <{contact}>\r\nContent-Length: 0\r\n\r\n"
        )
    };
    let reinvite = in_dialog("INVITE", 11, "sip:ani@192.0.2.77");
    d.on_request(&Message::parse(reinvite.as_bytes()).unwrap())
        .unwrap();
    assert_eq!(d.remote_target, "sip:ani@192.0.2.77", "target refresh");
    let old = in_dialog("INFO", 11, "sip:ani@192.0.2.77");
    assert_eq!(
        d.on_request(&Message::parse(old.as_bytes()).unwrap()),
        Err(DialogError::OldCSeq)
    );
    assert_eq!(DialogError::OldCSeq.status(), 500);
    let stranger = in_dialog("BYE", 12, "sip:x@y").replace("tag=b2", "tag=zz");
    assert_eq!(
        d.on_request(&Message::parse(stranger.as_bytes()).unwrap()),
        Err(DialogError::NotThisDialog)
    );
    let bye = in_dialog("BYE", 12, "sip:ani@192.0.2.77");
    d.on_request(&Message::parse(bye.as_bytes()).unwrap())
        .unwrap();
    assert_eq!(d.state, DialogState::Terminated);
}
