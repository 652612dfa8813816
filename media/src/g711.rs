//! G.711 µ-law and A-law (ITU-T G.711), bit-exact with the ITU-T G.191 STL reference
//! (`g711.c`): every one of the 65,536 16-bit inputs encodes to the STL's code, and every code
//! decodes to the STL's value (tested against the STL sweep vectors).
//!
//! Input is 16-bit linear PCM, left-justified as the STL expects: A-law uses the top 13 bits,
//! µ-law the top 14.

/// Encodes one sample to A-law.
#[inline]
#[expect(
    clippy::cast_possible_truncation,
    reason = "codes are 8 bits by construction"
)]
pub const fn alaw_encode(sample: i16) -> u8 {
    // One's complement magnitude of the top 12 bits (the STL's `~x >> 4` for negatives).
    let magnitude = if sample < 0 {
        !sample >> 4
    } else {
        sample >> 4
    };
    // Magnitude is 0..=2047; the segment is the position of its highest bit above bit 4.
    let mag = magnitude.unsigned_abs();
    let code = if mag > 15 {
        let exponent = 16 - mag.leading_zeros() as u16 - 4; // 1..=7
        let mantissa = (mag >> (exponent - 1)) & 0x0F;
        (exponent << 4) | mantissa
    } else {
        mag
    };
    let sign: u16 = if sample >= 0 { 0x80 } else { 0 };
    ((code | sign) ^ 0x55) as u8
}

/// Decodes one A-law code.
#[inline]
pub const fn alaw_decode(code: u8) -> i16 {
    let x = (code ^ 0x55) as u16 & 0x7F;
    let exponent = x >> 4;
    let mut mantissa = x & 0x0F;
    if exponent > 0 {
        mantissa += 16;
    }
    let mut value = (mantissa << 4) + 8;
    if exponent > 1 {
        value <<= exponent - 1;
    }
    // At most 32256: fits an i16.
    let value = value as i16;
    if code & 0x80 != 0 { value } else { -value }
}

/// Encodes one sample to µ-law.
#[inline]
#[expect(
    clippy::cast_possible_truncation,
    reason = "codes are 8 bits by construction"
)]
pub const fn ulaw_encode(sample: i16) -> u8 {
    // One's complement magnitude of the top 14 bits, biased by 33 (the STL's arithmetic).
    let magnitude = if sample < 0 {
        !sample >> 2
    } else {
        sample >> 2
    };
    let biased = magnitude.unsigned_abs() + 33;
    let biased = if biased > 0x1FFF { 0x1FFF } else { biased };
    // Segment: 1 + the number of bits of (biased >> 6).
    let segment = 1 + (16 - (biased >> 6).leading_zeros()) as u16;
    let high = 8 - segment;
    let low = 0x0F - ((biased >> segment) & 0x0F);
    let sign: u16 = if sample >= 0 { 0x80 } else { 0 };
    ((high << 4) | low | sign) as u8
}

/// Decodes one µ-law code.
#[inline]
#[expect(
    clippy::cast_possible_truncation,
    reason = "values proven in range in comments"
)]
pub const fn ulaw_decode(code: u8) -> i16 {
    let inverted = !code;
    let exponent = ((inverted >> 4) & 0x07) as i32;
    let mantissa = (inverted & 0x0F) as i32;
    let step = 4 << (exponent + 1);
    let magnitude = (0x80 << exponent) + step * mantissa + step / 2 - 4 * 33;
    let value = if code < 0x80 { -magnitude } else { magnitude };
    // |value| <= 32124: fits an i16.
    value as i16
}

/// A-law codes by the top 12 bits of the sample (all that A-law looks at), built at compile
/// time from [`alaw_encode`]: a 4 KiB table that stays in cache turns encoding into one load.
static ALAW_ENCODE: [u8; 4096] = {
    let mut t = [0u8; 4096];
    let mut i = 0;
    while i < 4096 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "i < 4096: fits the top 12 bits"
        )]
        let sample = ((i as u16) << 4).cast_signed();
        t[i] = alaw_encode(sample);
        i += 1;
    }
    t
};

/// µ-law codes by the top 14 bits of the sample (all that µ-law looks at), 16 KiB.
static ULAW_ENCODE: [u8; 16384] = {
    let mut t = [0u8; 16384];
    let mut i = 0;
    while i < 16384 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "i < 16384: fits the top 14 bits"
        )]
        let sample = ((i as u16) << 2).cast_signed();
        t[i] = ulaw_encode(sample);
        i += 1;
    }
    t
};

/// A-law by table lookup; equal to [`alaw_encode`] for every input (tested on the STL sweep).
#[inline]
pub fn alaw_encode_fast(sample: i16) -> u8 {
    ALAW_ENCODE[usize::from(sample.cast_unsigned() >> 4)]
}

/// µ-law by table lookup; equal to [`ulaw_encode`] for every input (tested on the STL sweep).
#[inline]
pub fn ulaw_encode_fast(sample: i16) -> u8 {
    ULAW_ENCODE[usize::from(sample.cast_unsigned() >> 2)]
}

/// Encodes a block of samples to A-law, appending to `out`.
pub fn alaw_encode_into(pcm: &[i16], out: &mut Vec<u8>) {
    for (o, &s) in grow(out, pcm.len()).iter_mut().zip(pcm) {
        *o = alaw_encode_fast(s);
    }
}

/// Decodes a block of A-law codes, appending to `out`.
pub fn alaw_decode_into(codes: &[u8], out: &mut Vec<i16>) {
    for (o, &c) in grow(out, codes.len()).iter_mut().zip(codes) {
        *o = ALAW_TABLE[usize::from(c)];
    }
}

/// Encodes a block of samples to µ-law, appending to `out`.
pub fn ulaw_encode_into(pcm: &[i16], out: &mut Vec<u8>) {
    for (o, &s) in grow(out, pcm.len()).iter_mut().zip(pcm) {
        *o = ulaw_encode_fast(s);
    }
}

/// Decodes a block of µ-law codes, appending to `out`.
pub fn ulaw_decode_into(codes: &[u8], out: &mut Vec<i16>) {
    for (o, &c) in grow(out, codes.len()).iter_mut().zip(codes) {
        *o = ULAW_TABLE[usize::from(c)];
    }
}

/// Extends `out` by `n` zeroed elements and returns them: one capacity check for the block
/// instead of one per sample, which lets the loops above run without branches.
fn grow<T: Copy + Default>(out: &mut Vec<T>, n: usize) -> &mut [T] {
    let start = out.len();
    out.resize(start + n, T::default());
    &mut out[start..]
}

#[expect(clippy::cast_possible_truncation, reason = "c < 256")]
const fn decode_table(ulaw: bool) -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = if ulaw {
            ulaw_decode(c as u8)
        } else {
            alaw_decode(c as u8)
        };
        c += 1;
    }
    t
}

/// Every A-law code decoded.
static ALAW_TABLE: [i16; 256] = decode_table(false);
/// Every µ-law code decoded.
static ULAW_TABLE: [i16; 256] = decode_table(true);
