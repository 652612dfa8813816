"""sambung.sip: the same fields as sip-lint --json, errors with code and offset, building."""

import pytest

import sambung
from sambung import sip
from conftest import OPTIONS, sip_messages


def test_to_dict_matches_sip_lint_json_on_every_test_message(sip_lint):
    paths = sip_messages()
    assert len(paths) > 40, "the torture tests should be there"
    reports = sip_lint(paths)
    assert len(reports) == len(paths)
    for path, report in zip(paths, reports):
        report.pop("file")
        data = path.read_bytes()
        if report["ok"]:
            assert sip.Message.parse(data).to_dict() == report, path
        else:
            with pytest.raises(sambung.ParseError) as caught:
                sip.Message.parse(data)
            assert caught.value.response_code == report["error"].get("response_code"), path
            assert caught.value.offset == report["error"]["offset"], path
            assert str(caught.value) == report["error"]["message"], path


def test_attributes_of_a_request():
    m = sip.Message.parse(OPTIONS)
    assert (m.kind, m.method, m.request_uri) == ("request", "OPTIONS", "sip:1500112@127.0.0.1")
    assert (m.status, m.reason) == (None, None)
    assert (m.call_id, m.cseq, m.cseq_method) == ("abc", 1, "OPTIONS")
    assert (m.from_uri, m.from_tag, m.to_tag) == ("sip:agent@127.0.0.1", "1", None)
    assert m.branch == "z9hG4bK1"
    assert m.max_forwards == 70
    assert m.header("call-id") == "abc" and m.header("i") == "abc"
    assert m.header_values("Via") == ["SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1"]
    assert bytes(m) == OPTIONS and m.to_bytes() == OPTIONS
    assert m.body == b""


def test_a_parse_error_is_a_sambung_error_with_code_and_offset():
    with pytest.raises(sambung.Error) as caught:
        sip.Message.parse(b"INVITE sip:x SIP/2.0\r\n\r\n")
    assert isinstance(caught.value, sambung.ParseError)
    assert caught.value.response_code == 400
    assert "Via" in str(caught.value)
    with pytest.raises(sambung.ParseError) as bad_response:
        sip.Message.parse(b"SIP/2.0 200 OK\r\n\r\n")
    assert bad_response.value.response_code is None


def test_wrong_types_and_bad_bytes_raise_python_exceptions():
    with pytest.raises(TypeError):
        sip.Message.parse("OPTIONS")  # type: ignore[arg-type]
    for junk in (b"", b"\x00" * 100, b"\xff\xfe" * 5000, OPTIONS[:-10]):
        with pytest.raises(sambung.ParseError):
            sip.Message.parse(junk)


def test_build_a_request_and_answer_it():
    invite = sip.Message.request(
        "INVITE",
        "sip:1500112@127.0.0.1",
        [
            ("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKx"),
            ("From", "<sip:+6281234567890@127.0.0.1>;tag=a"),
            ("To", "<sip:1500112@127.0.0.1>"),
            ("Call-ID", "c1"),
            ("CSeq", "1 INVITE"),
            ("Max-Forwards", "70"),
        ],
        body=sip.sdp_offer("127.0.0.1", 4000).encode(),
        content_type="application/sdp",
    )
    assert invite.to_dict()["content_length"] == len(invite.body)
    ok = invite.response(200, "OK", to_tag="b", headers=[("Contact", "<sip:agent@127.0.0.1>")])
    assert (ok.status, ok.to_tag, ok.cseq_method) == (200, "b", "INVITE")
    assert sip.Message.parse(ok.to_bytes()).to_dict() == ok.to_dict()
    with pytest.raises(ValueError):
        sip.Message.request("INVITE", "sip:x", [("Subject", "a\r\nVia: injected")])
    with pytest.raises(ValueError):
        invite.response(200, "OK", body=b"x")  # body without content_type
    with pytest.raises(sambung.ParseError):
        sip.Message.request("INVITE", "sip:x", [])  # no Via, From, To…
    with pytest.raises(ValueError):
        ok.response(200, "OK")  # a response answers nothing


def test_sdp_offer_and_answer():
    offer = sip.sdp_offer("127.0.0.1", 4000, ["PCMA", "telephone-event"])
    assert "m=audio 4000 RTP/AVP 8 101" in offer
    answer = sip.sdp_answer(offer, "127.0.0.1", 5000, ["PCMU", "PCMA", "telephone-event"])
    audio = answer["media"][0]
    assert audio["accepted"] and audio["codec"]["name"] == "PCMA"
    assert audio["telephone_event"] == 101 and audio["remote"] == "127.0.0.1:4000"
    assert "m=audio 5000" in answer["sdp"]
    with pytest.raises(ValueError):
        sip.sdp_offer("not-an-ip", 4000)
    with pytest.raises(ValueError):
        sip.sdp_offer("127.0.0.1", 4000, ["AMR"])
    with pytest.raises(OverflowError):
        sip.sdp_offer("127.0.0.1", 70000)
    with pytest.raises(sambung.Error):
        sip.sdp_answer("v=0\r\n", "127.0.0.1", 5000)
