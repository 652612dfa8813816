//! Ogg Opus files (RFC 7845): `OpusHead` and `OpusTags`, then audio packets; granule positions
//! count 48 kHz samples from the stream start, including the pre-skip.

use std::io::Cursor;

use audiopus::coder::Decoder;
use audiopus::packet::Packet;
use audiopus::{Channels, MutSignals, SampleRate};
use ogg::{PacketReader, PacketWriteEndInfo, PacketWriter};
use sambung_media::codec::{Codec, CodecError};
use sambung_media::opus::Opus;

/// Why an Ogg Opus file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OggOpusError {
    #[error("not an Ogg stream")]
    Ogg(#[from] ogg::OggReadError),
    #[error("no OpusHead packet: not an Ogg Opus stream")]
    NoHead,
    #[error("OpusHead version {0} is not 0.x")]
    Version(u8),
    #[error(
        "channel mapping family {family} with {channels} channels is not supported (mono and stereo only)"
    )]
    Mapping { family: u8, channels: u8 },
    #[error("{0} Hz is not an Opus decoding rate (8000, 12000, 16000, 24000, 48000)")]
    Rate(u32),
    #[error("opus")]
    Opus(#[from] audiopus::Error),
    #[error("encoding")]
    Codec(#[from] CodecError),
    #[error("writing the Ogg stream")]
    Write(#[from] std::io::Error),
}

struct Head {
    channels: u8,
    pre_skip: u16,
    gain_q8: i16,
}

fn parse_head(p: &[u8]) -> Result<Head, OggOpusError> {
    if p.len() < 19 || &p[..8] != b"OpusHead" {
        return Err(OggOpusError::NoHead);
    }
    if p[8] >> 4 != 0 {
        return Err(OggOpusError::Version(p[8]));
    }
    let channels = p[9];
    let family = p[18];
    if family != 0 || !(1..=2).contains(&channels) {
        return Err(OggOpusError::Mapping { family, channels });
    }
    Ok(Head {
        channels,
        pre_skip: u16::from_le_bytes([p[10], p[11]]),
        gain_q8: i16::from_le_bytes([p[16], p[17]]),
    })
}

/// Decodes a whole Ogg Opus file to mono PCM at `rate`.
pub(crate) fn decode(bytes: &[u8], rate: u32) -> Result<Vec<i16>, OggOpusError> {
    let sample_rate = SampleRate::try_from(i32::try_from(rate).unwrap_or(0))
        .map_err(|_| OggOpusError::Rate(rate))?;
    let mut reader = PacketReader::new(Cursor::new(bytes));
    let head = parse_head(&reader.read_packet()?.ok_or(OggOpusError::NoHead)?.data)?;
    let _tags = reader.read_packet()?;
    let channels = if head.channels == 2 {
        Channels::Stereo
    } else {
        Channels::Mono
    };
    let mut decoder = Decoder::new(sample_rate, channels)?;
    let per_48k = f64::from(rate) / 48_000.0;
    let mut pcm: Vec<i16> = Vec::new();
    let mut buf = vec![0i16; 5760 * 2];
    let mut last_granule = None;
    while let Some(packet) = reader.read_packet()? {
        last_granule = Some(packet.absgp_page());
        if packet.data.is_empty() {
            continue;
        }
        let n = decoder.decode(
            Some(Packet::try_from(&packet.data[..])?),
            MutSignals::try_from(&mut buf[..])?,
            false,
        )?;
        let ch = usize::from(head.channels);
        for frame in buf[..n * ch].chunks_exact(ch) {
            let sum: i32 = frame.iter().map(|&s| i32::from(s)).sum();
            pcm.push(i16::try_from(sum / i32::from(head.channels)).unwrap_or(0));
        }
    }
    // Drop the pre-skip, and trim the end to the final granule position.
    let to_rate = |samples_48k: f64| (samples_48k * per_48k).round();
    let skip = to_rate(f64::from(head.pre_skip));
    let end = last_granule.map(|g| to_rate(g as f64));
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "non-negative sample counts"
    )]
    let (skip, end) = (skip.max(0.0) as usize, end.map(|e| e.max(0.0) as usize));
    let end = end.unwrap_or(pcm.len()).min(pcm.len());
    let gain = 10f64.powf(f64::from(head.gain_q8) / 256.0 / 20.0);
    Ok(pcm
        .get(skip.min(end)..end)
        .unwrap_or_default()
        .iter()
        .map(|&s| sambung_media::tones::to_i16(f64::from(s) * gain))
        .collect())
}

/// Stream serial number of the files we write.
const SERIAL: u32 = 0x5341_4D42; // "SAMB"

/// Encodes mono PCM at `rate` into an Ogg Opus file.
pub(crate) fn encode(pcm: &[i16], rate: u32, codec: &mut Opus) -> Result<Vec<u8>, OggOpusError> {
    let pre_skip = u16::try_from(codec.lookahead_48k()).unwrap_or(312);
    let mut head = Vec::with_capacity(19);
    head.extend_from_slice(b"OpusHead");
    head.push(1); // version
    head.push(1); // channels
    head.extend_from_slice(&pre_skip.to_le_bytes());
    head.extend_from_slice(&rate.to_le_bytes());
    head.extend_from_slice(&0i16.to_le_bytes()); // output gain
    head.push(0); // mapping family
    let vendor = b"sambung";
    let mut tags = Vec::new();
    tags.extend_from_slice(b"OpusTags");
    tags.extend_from_slice(&u32::try_from(vendor.len()).unwrap_or(0).to_le_bytes());
    tags.extend_from_slice(vendor);
    tags.extend_from_slice(&0u32.to_le_bytes());

    let mut out = Vec::new();
    {
        let mut w = PacketWriter::new(Cursor::new(&mut out));
        w.write_packet(head, SERIAL, PacketWriteEndInfo::EndPage, 0)?;
        w.write_packet(tags, SERIAL, PacketWriteEndInfo::EndPage, 0)?;
        let frame = codec.frame_samples();
        let scale = u64::from(48_000 / rate.max(1));
        let total = pcm.len();
        // The decoder's first pre-skip samples are the encoder's look-ahead: feed that much
        // silence after the input so its last samples come out too.
        let lookahead = usize::from(pre_skip) / usize::try_from(scale).unwrap_or(1).max(1);
        let frames = (total + lookahead).div_ceil(frame).max(1);
        for i in 0..frames {
            let mut chunk: Vec<i16> = pcm
                .get(i * frame..((i + 1) * frame).min(total))
                .unwrap_or_default()
                .to_vec();
            chunk.resize(frame, 0);
            let mut packet = Vec::new();
            codec.encode(&chunk, &mut packet)?;
            let last = i + 1 == frames;
            // Granule: 48 kHz samples decodable through this packet, pre-skip included; the
            // last one marks where the input ends, so a reader trims the padding.
            let granule = if last {
                u64::from(pre_skip) + total as u64 * scale
            } else {
                ((i + 1) * frame) as u64 * scale
            };
            let info = if last {
                PacketWriteEndInfo::EndStream
            } else {
                PacketWriteEndInfo::NormalPacket
            };
            w.write_packet(packet, SERIAL, info, granule)?;
        }
    }
    Ok(out)
}
