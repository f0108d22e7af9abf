// The build's second step: tsc compiles the TypeScript, and the Lua scripts the topic layer
// loads at run time (src/topics/redis/script-runner.ts) go beside the compiled code.
const fs = require('node:fs')
const path = require('node:path')

const from = path.join(__dirname, '..', 'src', 'topics', 'redis', 'lua')
const to = path.join(__dirname, '..', 'dist', 'src', 'topics', 'redis', 'lua')
fs.rmSync(to, { recursive: true, force: true })
fs.mkdirSync(to, { recursive: true })
for (const name of fs.readdirSync(from)) if (name.endsWith('.lua')) fs.copyFileSync(path.join(from, name), path.join(to, name))
