//! SDP parsing, serialisation and offer/answer.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use proptest::prelude::*;
use sambung_sip::Message;
use sambung_sip::sdp::negotiate::{
    Codec, LocalMedia, NegotiationError, Srtp, accept_answer, answer, offer, reanswer,
};
use sambung_sip::sdp::{Direction, Sdp, SdpErrorKind};

fn body_of(path: &str) -> Vec<u8> {
    let bytes = std::fs::read(format!("{}/tests/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    bytes[split..].to_vec()
}

fn round_trip(body: &[u8]) -> String {
    let sdp = Sdp::parse(body).unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(body)));
    let text = sdp.to_string();
    let again = Sdp::parse(text.as_bytes()).unwrap();
    assert_eq!(again, sdp);
    assert_eq!(again.to_string(), text);
    text
}

#[test]
fn bodies_from_the_torture_tests_and_our_messages() {
    for path in [
        "torture/rfc4475/valid/wsinv.dat",
        "torture/rfc4475/valid/esc01.dat",
        "torture/rfc5118/ipv6-in-sdp.dat",
        "torture/rfc5118/mult-ip-in-sdp.dat",
        "torture/rfc5118/ipv4-mapped-ipv6.dat",
        "messages/invite.sip",
        "messages/ok200.sip",
    ] {
        round_trip(&body_of(path));
    }
    let wsinv = body_of("torture/rfc4475/valid/wsinv.dat");
    let sdp = Sdp::parse(&wsinv).unwrap();
    assert_eq!(sdp.media.len(), 2);
    // `a=rtpmap:31 LPC` has no clock rate: kept as written, not typed.
    assert_eq!(
        sdp.media[1].attrs("rtpmap").next().unwrap().value,
        Some("31 LPC")
    );
    assert_eq!(sdp.media[1].rtpmap(31), None);
    assert_eq!(
        sdp.media[0].rtpmap(0).unwrap().encoding,
        "PCMU",
        "static payload type"
    );
}

#[test]
fn ipv6_connection_addresses() {
    let body = body_of("torture/rfc5118/mult-ip-in-sdp.dat");
    let sdp = Sdp::parse(&body).unwrap();
    assert_eq!(sdp.origin.addr_type, "IP4");
    let audio = &sdp.media[0];
    let video = &sdp.media[1];
    assert!(sdp.rtp_address(audio).unwrap().is_ipv4());
    assert!(sdp.rtp_address(video).unwrap().is_ipv6());
    let mapped = body_of("torture/rfc5118/ipv4-mapped-ipv6.dat");
    let sdp = Sdp::parse(&mapped).unwrap();
    assert_eq!(
        sdp.connection.unwrap().ip(),
        Some("::ffff:192.0.2.2".parse().unwrap())
    );
}

#[test]
fn the_body_of_a_parsed_message() {
    let bytes = std::fs::read(format!(
        "{}/tests/messages/invite.sip",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let m = Message::parse(&bytes).unwrap();
    assert!(m.content_type().unwrap().is("application", "sdp"));
    let sdp = Sdp::parse(m.body()).unwrap();
    let audio = &sdp.media[0];
    assert_eq!(audio.payload_types().collect::<Vec<_>>(), [0, 8, 101]);
    assert_eq!(audio.rtpmap(101).unwrap().encoding, "telephone-event");
    assert_eq!(audio.fmtp(101), Some("0-16"));
    assert_eq!(audio.ptime(), Some(20));
    assert_eq!(audio.direction(&sdp), Direction::SendRecv);
}

#[test]
fn bad_sdp_says_which_line() {
    let cases: &[(&str, SdpErrorKind, usize)] = &[
        ("o=- 1 1 IN IP4 1.2.3.4\r\n", SdpErrorKind::Missing('v'), 1),
        (
            "v=0\r\ns=-\r\no=- 1 1 IN IP4 1.2.3.4\r\nt=0 0\r\n",
            SdpErrorKind::OutOfOrder('o'),
            3,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n",
            SdpErrorKind::Missing('t'),
            0,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 ::1\r\nt=0 0\r\n",
            SdpErrorKind::BadValue {
                line: 'c',
                expected: "an address of the stated type",
            },
            4,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 99999 RTP/AVP 0\r\n",
            SdpErrorKind::BadValue {
                line: 'm',
                expected: "a port from 0 to 65535",
            },
            5,
        ),
        (
            "v=0\r\no=- x 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n",
            SdpErrorKind::BadValue {
                line: 'o',
                expected: "<username> <sess-id> <sess-version> <nettype> <addrtype> <address>",
            },
            2,
        ),
        (
            "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\ns=again\r\n",
            SdpErrorKind::OutOfOrder('s'),
            6,
        ),
        ("v=0\r\nV=0\r\n", SdpErrorKind::BadLine, 2),
        (
            "v=1\r\n",
            SdpErrorKind::BadValue {
                line: 'v',
                expected: "0",
            },
            1,
        ),
    ];
    for (text, kind, line) in cases {
        let e = Sdp::parse(text.as_bytes()).unwrap_err();
        assert_eq!((e.kind, e.line), (*kind, *line), "{text:?}: {e}");
    }
}

fn pbx() -> LocalMedia {
    LocalMedia::audio(
        "203.0.113.5".parse().unwrap(),
        20000,
        vec![Codec::pcmu(), Codec::pcma(), Codec::telephone_event()],
    )
}

#[test]
fn answer_picks_our_preference_with_the_offers_payload_types() {
    let offer_text = "v=0\r\no=- 7 7 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n\
        m=audio 49170 RTP/AVP 8 0 100\r\na=rtpmap:100 telephone-event/8000\r\na=fmtp:100 0-15\r\na=ptime:30\r\n";
    let offered = Sdp::parse(offer_text.as_bytes()).unwrap();
    let a = answer(&offered, &pbx()).unwrap();
    let audio = &a.media[0];
    assert!(audio.accepted);
    let codec = audio.codec.as_ref().unwrap();
    assert_eq!((codec.payload_type, codec.name.as_str()), (0, "PCMU"));
    assert_eq!(
        audio.telephone_event,
        Some(100),
        "the offer's dynamic payload type is kept"
    );
    assert_eq!(audio.ptime, Some(30));
    assert_eq!(audio.remote, Some("192.0.2.10:49170".parse().unwrap()));
    assert!(!audio.rtcp_mux, "not offered, not used");
    let sdp = Sdp::parse(a.sdp.as_bytes()).unwrap();
    assert_eq!(sdp.media[0].formats, ["0", "8", "100"]);
    assert_eq!(sdp.media[0].fmtp(100), Some("0-15"));
    assert_eq!(sdp.media[0].port, 20000);
    assert_eq!(sdp.connection.unwrap().address, "203.0.113.5");
}

#[test]
fn directions_follow_rfc3264() {
    for (offered, expected) in [
        ("sendonly", Direction::RecvOnly),
        ("recvonly", Direction::SendOnly),
        ("inactive", Direction::Inactive),
        ("sendrecv", Direction::SendRecv),
    ] {
        let text = format!(
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na={offered}\r\n"
        );
        let a = answer(&Sdp::parse(text.as_bytes()).unwrap(), &pbx()).unwrap();
        assert_eq!(a.media[0].direction, expected, "{offered}");
        assert!(a.sdp.contains(&format!("a={}", expected.as_str())));
    }
    // A session-level direction applies to every section.
    let text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\na=sendonly\r\nm=audio 4000 RTP/AVP 0\r\n";
    let a = answer(&Sdp::parse(text.as_bytes()).unwrap(), &pbx()).unwrap();
    assert_eq!(a.media[0].direction, Direction::RecvOnly);
}

#[test]
fn hold_and_resume_are_answered_on_the_same_session() {
    let first = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let ours = answer(&Sdp::parse(first.as_bytes()).unwrap(), &pbx())
        .unwrap()
        .sdp;
    let offer_with = |line: &str, addr: &str| {
        format!(
            "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 {addr}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n{line}"
        )
    };
    let mut version = 1;
    let mut current = ours.clone();
    for (line, addr, hold, expected) in [
        ("a=sendonly\r\n", "192.0.2.1", true, Direction::RecvOnly),
        ("a=inactive\r\n", "192.0.2.1", true, Direction::Inactive),
        ("", "0.0.0.0", true, Direction::SendRecv),
        ("a=sendrecv\r\n", "192.0.2.1", false, Direction::SendRecv),
        ("a=recvonly\r\n", "192.0.2.1", false, Direction::SendOnly),
    ] {
        let text = offer_with(line, addr);
        let offer = Sdp::parse(text.as_bytes()).unwrap();
        assert_eq!(offer.is_hold(), hold, "{text}");
        current = reanswer(&current, &offer).unwrap();
        version += 1;
        let sdp = Sdp::parse(current.as_bytes()).unwrap();
        // The same media, one direction line, a higher session version (RFC 3264 §8).
        assert_eq!(sdp.origin.session_version, version.to_string());
        assert_eq!(sdp.media[0].port, 20000);
        assert_eq!(sdp.media[0].direction(&sdp), expected, "{text}");
        let directions = current.matches("a=sendrecv").count()
            + current.matches("a=recvonly").count()
            + current.matches("a=sendonly").count()
            + current.matches("a=inactive").count();
        assert_eq!(directions, 1, "{current}");
    }
    // An offer without audio is no hold; a body that is not ours gives no answer.
    let video = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=video 4000 RTP/AVP 96\r\na=sendonly\r\n";
    let video = Sdp::parse(video.as_bytes()).unwrap();
    assert!(!video.is_hold());
    assert_eq!(reanswer("not sdp", &video), None);
}

#[test]
fn opus_g722_and_video() {
    let mut local = LocalMedia::audio(
        "2001:db8::5".parse().unwrap(),
        30000,
        vec![Codec::opus(), Codec::g722(), Codec::telephone_event()],
    );
    local.video_port = Some(30002);
    local.video_codecs = vec![Codec::h264(), Codec::vp8()];
    let text = "v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n\
        m=audio 5000 RTP/AVP 109 9 0\r\na=rtpmap:109 opus/48000/2\r\na=fmtp:109 useinbandfec=1\r\na=rtcp-mux\r\n\
        m=video 5002 RTP/AVP 98 96\r\na=rtpmap:98 H264/90000\r\na=fmtp:98 profile-level-id=42e01f\r\na=rtpmap:96 VP8/90000\r\n";
    let a = answer(&Sdp::parse(text.as_bytes()).unwrap(), &local).unwrap();
    let audio = &a.media[0];
    assert_eq!(
        audio
            .codec
            .as_ref()
            .map(|c| (c.payload_type, c.name.as_str(), c.channels)),
        Some((109, "opus", Some(2)))
    );
    assert!(audio.rtcp_mux);
    assert_eq!(audio.telephone_event, None, "not offered");
    assert_eq!(audio.remote, Some("[2001:db8::1]:5000".parse().unwrap()));
    // H.264 was offered in packetization mode 0; ours is mode 1: VP8 wins.
    let video = &a.media[1];
    assert_eq!(video.codec.as_ref().map(|c| c.name.as_str()), Some("VP8"));
    assert!(a.sdp.contains("c=IN IP6 2001:db8::5"));
    // Without a video port, video is refused with port 0 and audio still answered.
    local.video_port = None;
    let a = answer(&Sdp::parse(text.as_bytes()).unwrap(), &local).unwrap();
    assert!(!a.media[1].accepted);
    assert!(a.sdp.contains("m=video 0 RTP/AVP 98"));
}

#[test]
fn nothing_in_common_is_488() {
    let text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18 101\r\na=rtpmap:101 telephone-event/8000\r\n";
    assert_eq!(
        answer(&Sdp::parse(text.as_bytes()).unwrap(), &pbx()),
        Err(NegotiationError::NothingAcceptable)
    );
}

#[test]
fn sdes_srtp() {
    let text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/SAVP 0\r\n\
        a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:AAAA\r\n\
        a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32\r\n";
    let offered = Sdp::parse(text.as_bytes()).unwrap();
    assert_eq!(
        answer(&offered, &pbx()),
        Err(NegotiationError::NothingAcceptable),
        "plain RTP only"
    );
    let mut local = pbx();
    local.srtp = Srtp::Sdes {
        key: "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz".into(),
        offer_secure: false,
    };
    let a = answer(&offered, &local).unwrap();
    let (suite, their_key) = a.media[0].srtp.clone().unwrap();
    assert_eq!(suite, "AES_CM_128_HMAC_SHA1_80");
    assert_eq!(their_key, "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
    assert!(a.sdp.contains(
        "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
    ));
    assert!(a.sdp.contains("m=audio 20000 RTP/SAVP 0"));
}

#[test]
fn offer_then_answer_then_accept() {
    let mut caller = LocalMedia::audio(
        "192.0.2.10".parse().unwrap(),
        49170,
        vec![Codec::pcma(), Codec::opus(), Codec::telephone_event()],
    );
    caller.srtp = Srtp::Sdes {
        key: "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk".into(),
        offer_secure: true,
    };
    let offer_text = offer(&caller);
    let offered = Sdp::parse(offer_text.as_bytes()).unwrap();
    assert_eq!(offered.media[0].protocol, "RTP/SAVP");
    assert_eq!(offered.media[0].cryptos().count(), 2);
    let mut callee = pbx();
    callee.srtp = Srtp::Sdes {
        key: "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz".into(),
        offer_secure: false,
    };
    callee.direction = Direction::SendOnly; // on hold, music to the caller
    let a = answer(&offered, &callee).unwrap();
    assert_eq!(a.media[0].codec.as_ref().unwrap().name, "PCMA");
    assert_eq!(a.media[0].direction, Direction::SendOnly);
    let got = accept_answer(&Sdp::parse(a.sdp.as_bytes()).unwrap(), &caller);
    assert_eq!(got[0].codec.as_ref().unwrap().name, "PCMA");
    assert_eq!(got[0].telephone_event, Some(101));
    assert_eq!(got[0].direction, Direction::RecvOnly);
    assert_eq!(got[0].remote, Some("203.0.113.5:20000".parse().unwrap()));
    assert_eq!(
        got[0].srtp.as_ref().unwrap().1,
        "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
    );
    assert!(got[0].rtcp_mux);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn sdp_parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..1024)) {
        let _ = Sdp::parse(&bytes);
    }

    #[test]
    fn sdp_like_text_never_panics_and_round_trips(lines in prop::collection::vec(
        prop_oneof![
            Just("v=0".to_owned()), Just("o=- 1 2 IN IP4 192.0.2.1".to_owned()), Just("s=-".to_owned()),
            Just("t=0 0".to_owned()), Just("c=IN IP6 ::1".to_owned()), "a=[a-z-]{1,8}(:[ -~]{0,12})?",
            "m=(audio|video) [0-9]{1,5} RTP/AVP [0-9]{1,3}( [0-9]{1,3}){0,3}", "b=AS:[0-9]{1,4}", "[a-z]=[ -~]{0,10}",
        ], 0..20)) {
        let text = lines.join("\r\n");
        if let Ok(sdp) = Sdp::parse(text.as_bytes()) {
            let again = sdp.to_string();
            prop_assert_eq!(Sdp::parse(again.as_bytes()).unwrap(), sdp);
        }
    }

    #[test]
    fn answers_never_panic_on_parsed_offers(lines in prop::collection::vec(
        prop_oneof![
            "a=rtpmap:[0-9]{1,3} (PCMU|PCMA|opus|telephone-event|H264|VP8)/[0-9]{4,5}(/[0-9])?",
            "a=(sendonly|recvonly|inactive|rtcp-mux|ptime:[0-9]{1,3})",
            "a=fmtp:[0-9]{1,3} [ -~]{0,20}", "a=crypto:[0-9] AES_CM_128_HMAC_SHA1_(80|32) inline:[A-Za-z0-9+/]{0,40}",
            "m=(audio|video) [0-9]{1,5} RTP/S?AVP [0-9]{1,3}( [0-9]{1,3}){0,3}",
        ], 0..12)) {
        let text = format!("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n{}\r\n", lines.join("\r\n"));
        if let Ok(sdp) = Sdp::parse(text.as_bytes()) {
            let mut local = pbx();
            local.video_port = Some(20002);
            local.video_codecs = vec![Codec::vp8(), Codec::h264()];
            if let Ok(a) = answer(&sdp, &local) {
                prop_assert_eq!(a.media.len(), sdp.media.len());
                let parsed = Sdp::parse(a.sdp.as_bytes()).unwrap();
                prop_assert_eq!(parsed.media.len(), sdp.media.len());
            }
        }
    }
}
