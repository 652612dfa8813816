//! The non-INVITE server transaction workload shared by the `sip_transactions` bench and the
//! `sip_tx_count` example (instruction counts under callgrind).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sambung_sip::Message;
use sambung_sip::transaction::{Output, ServerTransaction, Timers, TransactionKey};

/// Distinct requests in the workload.
pub const DISTINCT: usize = 1024;

/// 1,024 REGISTERs with distinct branches, Call-IDs and `CSeq` numbers.
pub fn requests() -> Vec<Vec<u8>> {
    (0..DISTINCT)
        .map(|i| {
            format!(
                "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-bench-{i}\r\n\
From: <sip:1001@127.0.0.1>;tag=f{i}\r\nTo: <sip:1001@127.0.0.1>\r\nCall-ID: reg-{i}@127.0.0.1\r\n\
CSeq: {i} REGISTER\r\nContact: <sip:1001@127.0.0.1:5061>\r\nMax-Forwards: 70\r\nExpires: 3600\r\n\
Content-Length: 0\r\n\r\n"
            )
            .into_bytes()
        })
        .collect()
}

/// `requests()` parsed, as a transport layer parses each message once before the transaction
/// layer sees it.
pub fn parse_all(requests: &[Vec<u8>]) -> Vec<Message<'_>> {
    requests
        .iter()
        .filter_map(|b| Message::parse(b).ok())
        .collect()
}

/// The final response the workload sends.
pub const OK: &[u8] = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-bench\r\n\
From: <sip:1001@127.0.0.1>;tag=f\r\nTo: <sip:1001@127.0.0.1>;tag=t\r\nCall-ID: reg@127.0.0.1\r\n\
CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";

/// Creates, matches and completes one transaction for `msg` (its bytes `bytes`) in `table`:
/// the request passed up, a `200` sent, a retransmitted request answered again, Timer J fired;
/// returns how many bytes were passed up and sent.
pub fn transact(
    table: &mut HashMap<TransactionKey, ServerTransaction>,
    msg: &Message<'_>,
    bytes: &[u8],
    now: Instant,
) -> usize {
    let key = TransactionKey::for_request(msg);
    let mut sent = 0;
    let tx = table
        .entry(key.clone())
        .or_insert_with(|| ServerTransaction::for_request(msg, bytes, false, Timers::default()));
    while let Some(o) = tx.poll_output() {
        if let Output::PassUp(b) = o {
            sent += b.len();
        }
    }
    tx.respond_with(200, OK.to_vec(), now);
    // The request again (our 200 was lost): matched by key, answered with the last response.
    if let Some(tx) = table.get_mut(&TransactionKey::for_request(msg)) {
        tx.on_request(bytes, now);
    }
    let Some(mut tx) = table.remove(&key) else {
        return sent;
    };
    tx.on_timeout(now + Duration::from_secs(32));
    while let Some(o) = tx.poll_output() {
        if let Output::Send(b) = o {
            sent += b.len();
        }
    }
    sent
}
