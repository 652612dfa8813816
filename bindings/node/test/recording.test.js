'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { recording } = require('..')

test('search by number, agent and date', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sambung-'))
  try {
    const index = new recording.Index(dir)
    const base = 1_795_000_000_000
    const rows = [
      ['r1', '+62215550001', '1001', 'pengaduan'],
      ['r2', '+62315550002', '1002', 'informasi'],
      ['r3', '+62215550003', '1001', 'informasi'],
    ]
    rows.forEach(([id, caller, agent, service], n) =>
      index.begin({ id, callId: n, caller, called: '110', startedMs: base + n * 1000, codec: 'wav/alaw', path: `${id}.wav`, agent, service }),
    )
    assert.equal(index.complete('r1', base + 60000, 60000, 480044, '00'.repeat(32)), true)
    assert.equal(index.complete('missing', 0, 0, 0, ''), false)
    const found = index.search({ numberPrefix: '+6221' })
    assert.equal(found.total, 2)
    assert.deepEqual(found.rows.map((r) => r.id), ['r3', 'r1'])
    assert.equal(index.search({ agent: '1002' }).rows[0].service, 'informasi')
    assert.equal(index.search({ fromMs: base + 1500 }).total, 1)
    assert.equal(index.search({ number: '+62215550001' }).rows[0].complete, true)
    assert.throws(() => index.search({ number: '1', numberPrefix: '2' }), RangeError)
    assert.throws(() => new recording.Index(path.join(dir, 'missing')), RangeError)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
