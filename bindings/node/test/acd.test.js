'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { acd, SambungError } = require('..')
const { ROOT, run } = require('./helpers.js')

test('a call is offered, answered and counted', () => {
  const s = new acd.Scheduler({ startUnixS: 1_795_000_000 })
  s.addQueue('pengaduan', { wrapUpS: 5 })
  s.agentLogin(0, '1001', ['pengaduan'])
  assert.equal(s.agentStatus('1001'), 'not_ready')
  s.agentReady(0, '1001')
  s.callArrived(10, 1, 'pengaduan')
  s.callArrived(11, 2, 'pengaduan', 5)
  assert.deepEqual(s.pollActions(), [{ action: 'offer', call: 1, agent: '1001' }])
  s.offerAnswered(13, 1, '1001')
  s.callEnded(73, 1)
  assert.equal(s.agentStatus('1001'), 'wrap_up')
  assert.ok(Math.abs(s.pollTimeout() - 78) < 1e-6)
  s.handleTimeout(78)
  assert.deepEqual(s.pollActions(), [{ action: 'offer', call: 2, agent: '1001' }])
  s.callAbandoned(80, 2)
  const stats = s.queueStats('pengaduan')
  assert.deepEqual([stats.offered, stats.answered, stats.abandoned], [2, 1, 1])
  assert.equal(stats.asa_s, 3)
  assert.equal(s.agentTimes('1001', 80).talk_s, 60)
  assert.equal(s.queueIntervals('pengaduan').reduce((n, i) => n + i.offered, 0), 2)
  assert.equal(s.queueStats('unseen'), null)
})

test('refusals throw', () => {
  const s = new acd.Scheduler()
  assert.throws(() => s.callArrived(0, 1, 'nowhere'), (e) => e instanceof SambungError && /unknown queue/.test(e.message))
  assert.throws(() => s.addQueue('q', { strategy: 'best' }), RangeError)
  assert.throws(() => s.agentReady(-5, '1001'), RangeError)
  assert.throws(() => s.callEnded(0, -1), RangeError)
  assert.throws(() => s.callArrived('soon', 1, 'q'), TypeError)
  assert.throws(() => s.agentLogin(0, '1001', 'q'), TypeError)
})

test('simulate gives what acd-sim prints', () => {
  const file = 'examples/acd-sim/scenarios/erlang-a.toml'
  const ours = acd.simulate(fs.readFileSync(path.join(ROOT, file), 'utf8'))
  const theirs = JSON.parse(run('acd-sim', [file]))
  for (const r of [ours, theirs]) {
    delete r.wall_time_s
    delete r.calls_per_wall_s
  }
  assert.deepEqual(ours, theirs)
  assert.throws(() => acd.simulate("seed = 'one'"), (e) => e instanceof RangeError && /key/.test(e.message))
})
