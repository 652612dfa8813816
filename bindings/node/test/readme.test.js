'use strict'
const test = require('node:test')
const fs = require('node:fs')
const path = require('node:path')
const { ROOT } = require('./helpers.js')

test("the README's Node example runs as written", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const section = readme.split('### Node')[1]
  const match = section && /```js\n([\s\S]*?)```/.exec(section)
  if (!match) throw new Error('README has a ### Node section with a js block')
  // The example says require('sambung'); here that is this package.
  const code = match[1].replaceAll("require('sambung')", `require(${JSON.stringify(path.join(__dirname, '..'))})`)
  new Function('require', code)(require)
})
