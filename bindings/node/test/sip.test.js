'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const { sip, ParseError, SambungError } = require('..')
const { OPTIONS, sipMessages, run } = require('./helpers.js')

test('toJSON matches sip-lint --json on every test message', () => {
  const paths = sipMessages()
  assert.ok(paths.length > 40)
  const reports = run('sip-lint', ['--json', ...paths]).trim().split('\n').map((l) => JSON.parse(l))
  assert.equal(reports.length, paths.length)
  paths.forEach((p, i) => {
    const report = reports[i]
    delete report.file
    const data = fs.readFileSync(p)
    if (report.ok) {
      assert.deepEqual(sip.Message.parse(data).toJSON(), report, p)
    } else {
      assert.throws(() => sip.Message.parse(data), (e) => {
        assert.ok(e instanceof ParseError, p)
        assert.equal(e.responseCode, report.error.response_code ?? null, p)
        assert.equal(e.offset, report.error.offset, p)
        assert.equal(e.message, report.error.message, p)
        return true
      })
    }
  })
})

test('attributes of a request, in camelCase', () => {
  const m = sip.Message.parse(OPTIONS)
  assert.equal(m.kind, 'request')
  assert.equal(m.method, 'OPTIONS')
  assert.equal(m.requestUri, 'sip:1500112@127.0.0.1')
  assert.equal(m.status, null)
  assert.equal(m.callId, 'abc')
  assert.equal(m.cseq, 1)
  assert.equal(m.cseqMethod, 'OPTIONS')
  assert.equal(m.fromTag, '1')
  assert.equal(m.toTag, null)
  assert.equal(m.branch, 'z9hG4bK1')
  assert.equal(m.maxForwards, 70)
  assert.equal(m.header('i'), 'abc')
  assert.deepEqual(m.headerValues('Via'), ['SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1'])
  assert.ok(m.toBuffer().equals(OPTIONS))
  assert.equal(JSON.stringify(m), JSON.stringify(m.toJSON()))
})

test('parse errors carry responseCode and offset; junk never crashes', () => {
  assert.throws(() => sip.Message.parse(Buffer.from('INVITE sip:x SIP/2.0\r\n\r\n')), (e) => {
    return e instanceof ParseError && e instanceof SambungError && e.responseCode === 400 && e.offset === 24
  })
  assert.throws(() => sip.Message.parse(Buffer.from('SIP/2.0 200 OK\r\n\r\n')), (e) => e.responseCode === null)
  for (const junk of [Buffer.alloc(0), Buffer.alloc(100), Buffer.alloc(10000, 0xff), OPTIONS.subarray(0, -10)]) {
    assert.throws(() => sip.Message.parse(junk), ParseError)
  }
  assert.throws(() => sip.Message.parse('not a buffer'), TypeError)
  assert.throws(() => sip.sdpOffer(1, 4000), TypeError)
  assert.throws(() => sip.sdpOffer('127.0.0.1', 70000), RangeError)
})

test('build a request and answer it', () => {
  const invite = sip.Message.request('INVITE', 'sip:1500112@127.0.0.1', {
    headers: [
      ['Via', 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKx'],
      ['From', '<sip:+6281234567890@127.0.0.1>;tag=a'],
      ['To', '<sip:1500112@127.0.0.1>'],
      ['Call-ID', 'c1'],
      ['CSeq', '1 INVITE'],
      ['Max-Forwards', '70'],
    ],
    body: Buffer.from(sip.sdpOffer('127.0.0.1', 4000)),
    contentType: 'application/sdp',
  })
  assert.equal(invite.toJSON().content_length, invite.body.length)
  const ok = invite.response(200, 'OK', { toTag: 'b', headers: [['Contact', '<sip:agent@127.0.0.1>']] })
  assert.equal(ok.status, 200)
  assert.equal(ok.toTag, 'b')
  assert.deepEqual(sip.Message.parse(ok.toBuffer()).toJSON(), ok.toJSON())
  assert.throws(() => sip.Message.request('INVITE', 'sip:x', { headers: [['Subject', 'a\r\nVia: x']] }), RangeError)
  assert.throws(() => sip.Message.request('INVITE', 'sip:x'), ParseError)
  assert.throws(() => ok.response(200, 'OK'), RangeError)
})

test('sdp offer and answer', () => {
  const offer = sip.sdpOffer('127.0.0.1', 4000, ['PCMA', 'telephone-event'])
  assert.match(offer, /m=audio 4000 RTP\/AVP 8 101/)
  const answer = sip.sdpAnswer(offer, '127.0.0.1', 5000, ['PCMU', 'PCMA', 'telephone-event'])
  assert.equal(answer.media[0].codec.name, 'PCMA')
  assert.equal(answer.media[0].remote, '127.0.0.1:4000')
  assert.throws(() => sip.sdpOffer('nope', 4000), RangeError)
  assert.throws(() => sip.sdpOffer('127.0.0.1', 4000, ['AMR']), RangeError)
  assert.throws(() => sip.sdpAnswer('v=0\r\n', '127.0.0.1', 5000), SambungError)
})
