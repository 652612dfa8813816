//! Digest authentication: the RFC 2617 and RFC 7616 worked examples, a server round trip with
//! our client, expiry, replay and brute-force limits.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::net::IpAddr;

use sambung_sip::Message;
use sambung_sip::auth::{
    Algorithm, AuthError, DigestServer, FailureLimiter, authorize, ha1, response,
};

#[test]
fn rfc_worked_examples() {
    // RFC 2617 §3.5.
    let h = ha1(
        Algorithm::Md5,
        "Mufasa",
        "testrealm@host.com",
        "Circle Of Life",
    );
    assert_eq!(
        response(
            Algorithm::Md5,
            &h,
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            "00000001",
            "0a4f113b",
            "auth",
            "GET",
            "/dir/index.html"
        ),
        "6629fae49393a05397450978507c4ef1"
    );
    // RFC 7616 §3.9.1, MD5 and SHA-256.
    let nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
    let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    for (algorithm, expected) in [
        (Algorithm::Md5, "8ca523f5e9506fed4657c9700eebdbec"),
        (
            Algorithm::Sha256,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        ),
    ] {
        let h = ha1(
            algorithm,
            "Mufasa",
            "http-auth@example.org",
            "Circle of Life",
        );
        assert_eq!(
            response(
                algorithm,
                &h,
                nonce,
                "00000001",
                cnonce,
                "auth",
                "GET",
                "/dir/index.html"
            ),
            expected
        );
    }
}

/// A REGISTER carrying `authorization`, parsed.
fn register(authorization: &str) -> Vec<u8> {
    format!(
        "REGISTER sip:bnpt.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.21;branch=z9hG4bK1\r\nTo: <sip:1001@bnpt.example>\r\nFrom: <sip:1001@bnpt.example>;tag=1\r\nCall-ID: r1\r\nCSeq: 2 REGISTER\r\nAuthorization: {authorization}\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

fn challenge_of(text: &str) -> Vec<u8> {
    format!(
        "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 192.0.2.21;branch=z9hG4bK1\r\nTo: <sip:1001@bnpt.example>;tag=x\r\nFrom: <sip:1001@bnpt.example>;tag=1\r\nCall-ID: r1\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: {text}\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

#[test]
fn server_and_client_agree_and_refuse_what_they_should() {
    let key = [7u8; 32];
    let now = 1_800_000_000;
    for algorithm in [Algorithm::Md5, Algorithm::Sha256] {
        let mut server = DigestServer::new("bnpt.example", key, 300);
        let lookup = |user: &str, alg: Algorithm| {
            (user == "1001").then(|| ha1(alg, "1001", "bnpt.example", "rahasia"))
        };
        let challenge_bytes = challenge_of(&server.challenge(now, algorithm, false));
        let challenge_msg = Message::parse(&challenge_bytes).unwrap();
        let challenge = challenge_msg.www_authenticate().next().unwrap();

        let answer = authorize(
            &challenge,
            "REGISTER",
            "sip:bnpt.example",
            "1001",
            "rahasia",
            "abc123",
            1,
        )
        .unwrap();
        let req_bytes = register(&answer);
        let req = Message::parse(&req_bytes).unwrap();
        let creds = req.authorization().next().unwrap();
        assert_eq!(
            server.verify(&creds, "REGISTER", now + 5, lookup),
            Ok("1001".to_owned())
        );
        // The same nc again: a replay.
        assert_eq!(
            server.verify(&creds, "REGISTER", now + 6, lookup),
            Err(AuthError::Replay)
        );
        // A higher nc is fine.
        let next = authorize(
            &challenge,
            "REGISTER",
            "sip:bnpt.example",
            "1001",
            "rahasia",
            "abc124",
            2,
        )
        .unwrap();
        let next_bytes = register(&next);
        let next_msg = Message::parse(&next_bytes).unwrap();
        assert!(
            server
                .verify(
                    &next_msg.authorization().next().unwrap(),
                    "REGISTER",
                    now + 7,
                    lookup
                )
                .is_ok()
        );
        // Too late: stale.
        assert_eq!(
            server.verify(&creds, "REGISTER", now + 301, lookup),
            Err(AuthError::Stale)
        );
        // A wrong password.
        let wrong = authorize(
            &challenge,
            "REGISTER",
            "sip:bnpt.example",
            "1001",
            "salah",
            "abc125",
            3,
        )
        .unwrap();
        let wrong_bytes = register(&wrong);
        let wrong_msg = Message::parse(&wrong_bytes).unwrap();
        assert_eq!(
            server.verify(
                &wrong_msg.authorization().next().unwrap(),
                "REGISTER",
                now + 8,
                lookup
            ),
            Err(AuthError::WrongResponse)
        );
        // A nonce we never issued, and another realm's.
        let forged = answer.replace(
            &challenge.param("nonce").unwrap().into_owned(),
            "0.deadbeef",
        );
        let forged_bytes = register(&forged);
        let forged_msg = Message::parse(&forged_bytes).unwrap();
        assert_eq!(
            server.verify(
                &forged_msg.authorization().next().unwrap(),
                "REGISTER",
                now + 9,
                lookup
            ),
            Err(AuthError::BadNonce)
        );
        let other = DigestServer::new("other.example", key, 300);
        assert_ne!(
            other.challenge(now, algorithm, false),
            server.challenge(now, algorithm, false)
        );
        assert!(
            server
                .challenge(now, algorithm, true)
                .contains("stale=true")
        );
    }
}

#[test]
fn failures_block_a_source_and_a_user_for_a_while() {
    let mut limiter = FailureLimiter::new(5, 60);
    let source: IpAddr = "192.0.2.50".parse().unwrap();
    let other: IpAddr = "192.0.2.51".parse().unwrap();
    for i in 0..5 {
        assert!(!limiter.blocked(source, Some("1001"), 100 + i));
        limiter.failed(source, Some("1001"), 100 + i);
    }
    assert!(limiter.blocked(source, None, 105), "the source is blocked");
    assert!(
        limiter.blocked(other, Some("1001"), 105),
        "so is the user, from anywhere"
    );
    assert!(!limiter.blocked(other, Some("1002"), 105));
    assert!(
        !limiter.blocked(source, Some("1001"), 161),
        "the window passes"
    );
    limiter.succeeded("1001");
}

#[test]
fn phones_challenged_in_the_same_second_each_authenticate() {
    // Two phones, one second, one server: each gets a nonce of its own, so each one's first
    // request (nc=00000001) is accepted and neither looks like a replay of the other.
    let mut server = DigestServer::new("bnpt.example", [7u8; 32], 300);
    let now = 1_800_000_000;
    let first = server.challenge(now, Algorithm::Md5, false);
    let second = server.challenge(now, Algorithm::Md5, false);
    assert_ne!(first, second, "every challenge has its own nonce");
    let lookup = |user: &str, alg: Algorithm| Some(ha1(alg, user, "bnpt.example", "rahasia"));
    for (user, text) in [("1001", &first), ("1002", &second)] {
        let challenge_bytes = challenge_of(text);
        let challenge_msg = Message::parse(&challenge_bytes).unwrap();
        let challenge = challenge_msg.www_authenticate().next().unwrap();
        let answer = authorize(
            &challenge,
            "REGISTER",
            "sip:bnpt.example",
            user,
            "rahasia",
            "abc123",
            1,
        )
        .unwrap();
        let req_bytes = register(&answer);
        let req = Message::parse(&req_bytes).unwrap();
        assert_eq!(
            server.verify(
                &req.authorization().next().unwrap(),
                "REGISTER",
                now,
                lookup
            ),
            Ok(user.to_owned()),
            "{user}"
        );
    }
}
