'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { media, SambungError } = require('..')

function tone(samples, rate = 8000, amplitude = 8000) {
  const b = Buffer.alloc(samples * 2)
  for (let i = 0; i < samples; i++) b.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2)
  return b
}

test('G.711 matches the ITU tables and round-trips', () => {
  const pcm = Buffer.alloc(6)
  pcm.writeInt16LE(0, 0)
  pcm.writeInt16LE(32767, 2)
  pcm.writeInt16LE(-32768, 4)
  assert.deepEqual([...new media.G711('alaw').encode(pcm)], [0xd5, 0xaa, 0x2a])
  assert.deepEqual([...new media.G711('ulaw').encode(pcm)], [0xff, 0x80, 0x00])
  const codec = new media.G711('alaw')
  assert.equal(codec.name, 'PCMA')
  const original = tone(800)
  const decoded = codec.decode(codec.encode(original))
  let worst = 0
  for (let i = 0; i < 800; i++) worst = Math.max(worst, Math.abs(original.readInt16LE(i * 2) - decoded.readInt16LE(i * 2)))
  assert.ok(worst < 400, `worst ${worst}`)
  assert.throws(() => codec.encode(Buffer.from([1, 2, 3])), RangeError)
  assert.throws(() => new media.G711('gsm'), RangeError)
  assert.throws(() => new media.G711(5), TypeError)
  assert.throws(() => codec.encode('text'), TypeError)
  assert.ok(new media.G711('ulaw') instanceof media.G711)
})

test('Opus round trip and concealment', () => {
  const codec = new media.Opus(48000)
  assert.equal(codec.frameSamples, 960)
  const packet = codec.encode(tone(960, 48000))
  assert.ok(packet.length > 0 && packet.length < 400)
  assert.equal(codec.decode(packet).length, 1920)
  assert.equal(codec.conceal().length, 1920)
  assert.throws(() => new media.Opus(44100), RangeError)
  assert.throws(() => codec.encode(tone(100, 48000)), SambungError)
})

test('jitter buffer reorders and counts', () => {
  const jb = new media.JitterBuffer()
  const order = [0, 2, 1, 3, 4, 5]
  order.forEach((seq, n) => assert.equal(jb.push(seq, seq * 160, Buffer.alloc(160, seq), 0.02 * n), 'accepted'))
  const played = []
  for (let n = 1; n < 12; n++) {
    const f = jb.pop(0.02 * n + 0.06)
    if (f && f.kind === 'frame') {
      played.push(f.sequence)
      assert.ok(f.payload.equals(Buffer.alloc(160, f.sequence)))
    }
  }
  assert.deepEqual(played, [...played].sort((a, b) => a - b))
  const stats = jb.stats()
  assert.equal(stats.packets_received, 6)
  assert.equal(stats.frames_played, played.length)
  assert.throws(() => jb.pop(-1), RangeError)
  assert.throws(() => new media.JitterBuffer({ minDelayMs: 600, maxDelayMs: 500 }), RangeError)
})
