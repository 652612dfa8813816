'use strict'
// Shared by the tests: the repository root, its SIP test messages, and the workspace commands.
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const ROOT = path.resolve(__dirname, '..', '..', '..')

const OPTIONS = Buffer.from(
  'OPTIONS sip:1500112@127.0.0.1 SIP/2.0\r\n' +
    'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n' +
    'From: <sip:agent@127.0.0.1>;tag=1\r\n' +
    'To: <sip:1500112@127.0.0.1>\r\n' +
    'Call-ID: abc\r\n' +
    'CSeq: 1 OPTIONS\r\n' +
    'Max-Forwards: 70\r\n' +
    'Content-Length: 0\r\n\r\n',
)

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? walk(p) : [p]
  })
}

/** Every SIP message file the Rust tests use (RFC torture tests and samples), sorted. */
function sipMessages() {
  return ['sip/tests/torture', 'sip/tests/messages']
    .flatMap((d) => walk(path.join(ROOT, d)))
    .filter((p) => p.endsWith('.sip') || p.endsWith('.dat'))
    .sort()
}

/** Runs a workspace command (from SAMBUNG_BIN_DIR, or through cargo) and returns stdout. */
function run(name, args) {
  const dir = process.env.SAMBUNG_BIN_DIR
  const [cmd, pre] = dir ? [path.join(dir, name), []] : ['cargo', ['run', '-q', '-p', name, '--']]
  try {
    return execFileSync(cmd, [...pre, ...args], { cwd: ROOT, maxBuffer: 64 << 20 }).toString()
  } catch (e) {
    // sip-lint exits 1 when a message is rejected; its output is still the answer.
    if (e.status === 1 && e.stdout) return e.stdout.toString()
    throw e
  }
}

module.exports = { ROOT, OPTIONS, sipMessages, run }
