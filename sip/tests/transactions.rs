//! Transactions on simulated time: retransmission schedules, timeouts, ACK for non-2xx,
//! absorbing retransmissions, reliable transports.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::time::{Duration, Instant};

use jiff::Timestamp;
use sambung_core::clock::{Clock, SimulatedClock};
use sambung_sip::transaction::{
    ClientState, ClientTransaction, Output, ServerState, ServerTransaction, Timers,
};
use sambung_sip::{Message, Method};

fn t0() -> Instant {
    SimulatedClock::new(Timestamp::UNIX_EPOCH).now()
}

fn request(method: &str) -> Vec<u8> {
    format!(
        "{method} sip:1500112@bnpt.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK77\r\nMax-Forwards: 70\r\nTo: <sip:1500112@bnpt.example>\r\nFrom: <sip:ani@carrier.example>;tag=f1\r\nCall-ID: tx1\r\nCSeq: 1 {method}\r\nRoute: <sip:proxy.example;lr>\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn response(code: u16, method: &str) -> Vec<u8> {
    format!(
        "SIP/2.0 {code} Reason\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK77\r\nTo: <sip:1500112@bnpt.example>;tag=t9\r\nFrom: <sip:ani@carrier.example>;tag=f1\r\nCall-ID: tx1\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// Runs the client to `until`, returning the instants (ms after start) at which it sent.
fn client_sends(
    tx: &mut ClientTransaction,
    start: Instant,
    until: Duration,
) -> (Vec<u128>, Vec<Output>) {
    let mut sends = Vec::new();
    let mut other = Vec::new();
    let mut drain = |tx: &mut ClientTransaction, now: Instant| {
        while let Some(o) = tx.poll_output() {
            match o {
                Output::Send(_) => sends.push(now.duration_since(start).as_millis()),
                o => other.push(o),
            }
        }
    };
    drain(tx, start);
    while let Some(at) = tx.poll_timeout() {
        if at > start + until {
            break;
        }
        tx.on_timeout(at);
        drain(tx, at);
    }
    (sends, other)
}

#[test]
fn invite_client_over_udp_retransmits_doubling_then_times_out() {
    let start = t0();
    let mut tx =
        ClientTransaction::new(request("INVITE"), false, Timers::default(), start).unwrap();
    let (sends, other) = client_sends(&mut tx, start, Duration::from_secs(40));
    assert_eq!(sends, [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert_eq!(
        other,
        [Output::Timeout, Output::Terminated],
        "Timer B at 32 s"
    );
    assert_eq!(tx.state(), ClientState::Terminated);
}

#[test]
fn non_invite_client_caps_at_t2_and_slows_after_a_provisional() {
    let start = t0();
    let mut tx =
        ClientTransaction::new(request("OPTIONS"), false, Timers::default(), start).unwrap();
    let (sends, other) = client_sends(&mut tx, start, Duration::from_secs(40));
    assert_eq!(
        sends,
        [
            0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500
        ]
    );
    assert_eq!(
        other,
        [Output::Timeout, Output::Terminated],
        "Timer F at 32 s"
    );

    let mut tx = ClientTransaction::new(request("BYE"), false, Timers::default(), start).unwrap();
    tx.poll_output();
    tx.on_response(&response(100, "BYE"), start + Duration::from_millis(100));
    assert_eq!(tx.state(), ClientState::Proceeding);
    assert!(matches!(tx.poll_output(), Some(Output::PassUp(_))));
    assert_eq!(
        tx.poll_timeout(),
        Some(start + Duration::from_millis(4100)),
        "Timer E at T2 now"
    );
    tx.on_response(&response(200, "BYE"), start + Duration::from_millis(200));
    assert!(matches!(tx.poll_output(), Some(Output::PassUp(_))));
    assert_eq!(tx.state(), ClientState::Completed);
    assert_eq!(
        tx.poll_timeout(),
        Some(start + Duration::from_millis(5200)),
        "Timer K = T4"
    );
}

#[test]
fn invite_client_acks_a_rejection_and_absorbs_its_retransmission() {
    let start = t0();
    let mut tx =
        ClientTransaction::new(request("INVITE"), false, Timers::default(), start).unwrap();
    tx.poll_output();
    tx.on_response(&response(486, "INVITE"), start + Duration::from_millis(300));
    let Some(Output::Send(ack)) = tx.poll_output() else {
        panic!("no ACK")
    };
    let ack = Message::parse(&ack).unwrap();
    assert_eq!(ack.method(), Method::Ack);
    assert_eq!(ack.cseq().method(), "ACK");
    assert_eq!(
        ack.to().tag(),
        Some("t9"),
        "the response's To, with its tag"
    );
    assert_eq!(ack.via().branch(), Some("z9hG4bK77"), "the INVITE's branch");
    assert_eq!(ack.routes().count(), 1);
    assert!(matches!(tx.poll_output(), Some(Output::PassUp(_))));
    assert_eq!(tx.state(), ClientState::Completed);
    // The 486 again: ACK again, not passed up.
    tx.on_response(&response(486, "INVITE"), start + Duration::from_millis(800));
    assert!(matches!(tx.poll_output(), Some(Output::Send(_))));
    assert_eq!(tx.poll_output(), None);
    assert_eq!(
        tx.poll_timeout(),
        Some(start + Duration::from_millis(32_300)),
        "Timer D"
    );
}

#[test]
fn invite_client_passes_every_2xx_up_in_accepted() {
    let start = t0();
    let mut tx =
        ClientTransaction::new(request("INVITE"), false, Timers::default(), start).unwrap();
    tx.poll_output();
    tx.on_response(&response(180, "INVITE"), start + Duration::from_millis(50));
    tx.on_response(&response(200, "INVITE"), start + Duration::from_millis(900));
    tx.on_response(
        &response(200, "INVITE"),
        start + Duration::from_millis(1400),
    );
    let ups = std::iter::from_fn(|| tx.poll_output())
        .filter(|o| matches!(o, Output::PassUp(_)))
        .count();
    assert_eq!(ups, 3);
    assert_eq!(tx.state(), ClientState::Accepted);
}

#[test]
fn reliable_transports_do_not_retransmit() {
    let start = t0();
    let mut tx = ClientTransaction::new(request("INVITE"), true, Timers::default(), start).unwrap();
    let (sends, other) = client_sends(&mut tx, start, Duration::from_secs(40));
    assert_eq!(sends, [0]);
    assert_eq!(other, [Output::Timeout, Output::Terminated]);
}

#[test]
fn invite_server_retransmits_the_rejection_until_acked() {
    let start = t0();
    let mut tx = ServerTransaction::new(&request("INVITE"), false, Timers::default()).unwrap();
    assert!(matches!(tx.poll_output(), Some(Output::PassUp(_))));
    tx.respond(response(100, "INVITE"), start);
    tx.poll_output();
    // An INVITE retransmission is answered with the last response.
    tx.on_request(&request("INVITE"), start + Duration::from_millis(400));
    assert!(matches!(tx.poll_output(), Some(Output::Send(_))));
    tx.respond(response(486, "INVITE"), start + Duration::from_millis(1000));
    tx.poll_output();
    assert_eq!(tx.state(), ServerState::Completed);
    let mut sends = Vec::new();
    while let Some(at) = tx.poll_timeout() {
        if at > start + Duration::from_millis(8000) {
            break;
        }
        tx.on_timeout(at);
        while let Some(o) = tx.poll_output() {
            if matches!(o, Output::Send(_)) {
                sends.push(at.duration_since(start).as_millis());
            }
        }
    }
    assert_eq!(sends, [1500, 2500, 4500], "Timer G: 500 ms doubling");
    tx.on_request(&request("ACK"), start + Duration::from_millis(8000));
    assert_eq!(tx.state(), ServerState::Confirmed);
    tx.on_timeout(start + Duration::from_millis(13_000));
    assert_eq!(tx.state(), ServerState::Terminated, "Timer I = T4");

    // Without an ACK, Timer H times out at 64·T1.
    let mut tx = ServerTransaction::new(&request("INVITE"), false, Timers::default()).unwrap();
    tx.respond(response(603, "INVITE"), start);
    tx.on_timeout(start + Duration::from_secs(32));
    assert!(std::iter::from_fn(|| tx.poll_output()).any(|o| o == Output::Timeout));
}

#[test]
fn non_invite_server_absorbs_retransmissions_until_timer_j() {
    let start = t0();
    let mut tx = ServerTransaction::new(&request("OPTIONS"), false, Timers::default()).unwrap();
    tx.poll_output();
    tx.respond(response(200, "OPTIONS"), start);
    tx.poll_output();
    tx.on_request(&request("OPTIONS"), start + Duration::from_secs(1));
    assert!(
        matches!(tx.poll_output(), Some(Output::Send(_))),
        "the 200 again"
    );
    assert_eq!(tx.poll_timeout(), Some(start + Duration::from_secs(32)));
    tx.on_timeout(start + Duration::from_secs(32));
    assert_eq!(tx.state(), ServerState::Terminated);
}

#[test]
fn a_retransmission_flood_between_polls_queues_a_bounded_number_of_answers() {
    let start = t0();
    let mut tx = ServerTransaction::new(&request("OPTIONS"), false, Timers::default()).unwrap();
    tx.poll_output();
    tx.respond(response(200, "OPTIONS"), start);
    tx.poll_output();
    for _ in 0..100_000 {
        tx.on_request(&request("OPTIONS"), start);
    }
    let mut answers = 0;
    while let Some(o) = tx.poll_output() {
        assert!(matches!(o, Output::Send(_)));
        answers += 1;
    }
    assert!((1..=4).contains(&answers), "{answers} answers queued");
    // Polled, the next retransmission is answered again.
    tx.on_request(&request("OPTIONS"), start);
    assert!(matches!(tx.poll_output(), Some(Output::Send(_))));
}

#[test]
fn keys_match_retransmissions_acks_and_cancels() {
    use sambung_sip::transaction::TransactionKey;
    let invite = request("INVITE");
    let ack = request("ACK");
    let cancel = request("CANCEL");
    let k_invite = TransactionKey::for_request(&Message::parse(&invite).unwrap());
    assert_eq!(
        TransactionKey::for_request(&Message::parse(&ack).unwrap()),
        k_invite,
        "the ACK for a non-2xx"
    );
    let k_cancel = TransactionKey::for_request(&Message::parse(&cancel).unwrap());
    assert_ne!(k_cancel, k_invite, "CANCEL is its own transaction");
    assert_eq!(
        TransactionKey::cancelled_invite(&Message::parse(&cancel).unwrap()),
        Some(k_invite.clone())
    );
    // Another sender with the same branch is another transaction.
    let other = String::from_utf8(invite.clone())
        .unwrap()
        .replace("192.0.2.10", "192.0.2.11");
    assert_ne!(
        TransactionKey::for_request(&Message::parse(other.as_bytes()).unwrap()),
        k_invite
    );
    // Equal keys hash equal; keys a peer varies in any one field stay apart in a table.
    let text = String::from_utf8(invite.clone()).unwrap();
    let variants = [
        text.replace("192.0.2.10", "192.0.2.11"),
        text.replace("192.0.2.10", "pbx.example"),
        text.replace("z9hG4bK77", "z9hG4bK7"),
        text.replace("192.0.2.10;branch", "192.0.2.10:5061;branch"),
    ];
    let mut table = std::collections::HashMap::new();
    table.insert(k_invite.clone(), 0);
    for (i, v) in variants.iter().enumerate() {
        let k = TransactionKey::for_request(&Message::parse(v.as_bytes()).unwrap());
        assert_ne!(k, k_invite, "{v}");
        table.insert(k, i + 1);
    }
    assert_eq!(table.len(), 1 + variants.len());
    let again = TransactionKey::for_request(&Message::parse(&invite).unwrap());
    let state = std::collections::hash_map::RandomState::new();
    assert_eq!(
        std::hash::BuildHasher::hash_one(&state, &again),
        std::hash::BuildHasher::hash_one(&state, &k_invite)
    );
    // RFC 2543 (no magic cookie): the fallback key, stable across retransmissions.
    let old = String::from_utf8(invite)
        .unwrap()
        .replace("z9hG4bK77", "77");
    let a = TransactionKey::for_request(&Message::parse(old.as_bytes()).unwrap());
    let b = TransactionKey::for_request(&Message::parse(old.as_bytes()).unwrap());
    assert!(!a.is_rfc3261());
    assert!(k_invite.is_rfc3261());
    assert_eq!(k_invite.branch(), Some("z9hG4bK77"));
    assert_eq!(
        TransactionKey::for_request(&Message::parse(&ack).unwrap()).method(),
        "INVITE"
    );
    assert_eq!(a, b);
    let resp = response(200, "INVITE");
    assert_eq!(
        TransactionKey::for_response(&Message::parse(&resp).unwrap()),
        Some(("z9hG4bK77".into(), "INVITE".into()))
    );
}
