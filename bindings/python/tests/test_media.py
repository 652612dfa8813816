"""sambung.media: G.711 against Python's own reference, Opus round trips, the jitter buffer."""

import math
import struct

import pytest

import sambung
from sambung import media


def tone(samples: int, rate: int = 8000, amplitude: int = 8000) -> bytes:
    return struct.pack(
        f"<{samples}h",
        *(int(amplitude * math.sin(2 * math.pi * 440 * i / rate)) for i in range(samples)),
    )


def test_g711_matches_the_itu_tables():
    # ITU-T G.711 values: 0 → 0xD5 (A-law) / 0xFF (µ-law); full scale → 0xAA / 0x80.
    pcm = struct.pack("<4h", 0, 32767, -32768, 1000)
    assert media.G711("alaw").encode(pcm)[:3] == bytes([0xD5, 0xAA, 0x2A])
    assert media.G711("ulaw").encode(pcm)[:3] == bytes([0xFF, 0x80, 0x00])
    assert media.G711("alaw").name == "PCMA" and media.G711("ULAW").name == "PCMU"


@pytest.mark.parametrize("law", ["alaw", "ulaw"])
def test_g711_round_trip_keeps_the_signal(law):
    codec = media.G711(law)
    pcm = tone(800)
    decoded = struct.unpack("<800h", codec.decode(codec.encode(pcm)))
    original = struct.unpack("<800h", pcm)
    worst = max(abs(a - b) for a, b in zip(original, decoded))
    assert worst < 400  # companding error at this level is a few per cent


def test_g711_refuses_bad_input_with_python_exceptions():
    with pytest.raises(ValueError, match="16-bit"):
        media.G711("alaw").encode(b"\x01\x02\x03")
    with pytest.raises(ValueError, match="unknown G.711 law"):
        media.G711("gsm")
    with pytest.raises(TypeError):
        media.G711("alaw").encode("text")  # type: ignore[arg-type]


def test_opus_round_trip_and_concealment():
    codec = media.Opus(48000)
    assert codec.frame_samples == 960
    packet = codec.encode(tone(960, 48000))
    assert 0 < len(packet) < 400
    assert len(codec.decode(packet)) == 960 * 2
    assert len(codec.conceal()) == 960 * 2
    with pytest.raises(ValueError):
        media.Opus(44100)
    with pytest.raises(sambung.Error):
        codec.encode(tone(100, 48000))  # not a whole frame
    with pytest.raises(sambung.Error):
        codec.decode(b"\xff" * 3)


def test_jitter_buffer_reorders_and_counts():
    jb = media.JitterBuffer()
    order = [0, 2, 1, 3, 4, 5]
    for n, seq in enumerate(order):
        assert jb.push(seq, seq * 160, bytes([seq]) * 160, 0.02 * n) == "accepted"
    played = []
    for n in range(1, 12):
        frame = jb.pop(0.02 * n + 0.06)
        if frame is not None and frame["kind"] == "frame":
            played.append(frame["sequence"])
            assert frame["payload"] == bytes([frame["sequence"]]) * 160
    assert played == sorted(played) and set(played) >= {1, 2, 3}
    stats = jb.stats()
    assert stats["packets_received"] == 6 and stats["frames_played"] == len(played)
    assert jb.push(0, 0, b"late", 1.0) in ("late", "duplicate")
    with pytest.raises(ValueError):
        jb.pop(-1.0)
    with pytest.raises(ValueError):
        media.JitterBuffer(min_delay_ms=600, max_delay_ms=500)
