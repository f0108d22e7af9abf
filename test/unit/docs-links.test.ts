import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'

// The README and docs/*.md: every relative link names a file that exists (relative to the
// linking file) and, when it has a #anchor, a heading of that file that makes the anchor; the
// README stays short; each docs file says what it covers and links back to the README.
// The markdown is read from the source tree: from dist/test/unit/ up to the repository.

const ROOT = path.join(__dirname, '..', '..', '..')
const README = path.join(ROOT, 'README.md')
const DOCS = path.join(ROOT, 'docs')
const README_MAX_LINES = 400

function markdownFiles (): string[] {
  const docs = fs.readdirSync(DOCS).filter(name => name.endsWith('.md')).sort().map(name => path.join(DOCS, name))
  return [README, ...docs]
}

/** Lines as `wc -l` counts them. */
function lineCount (text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
}

/** The text outside fenced code blocks, line by line (a line inside one is left empty). */
function outsideFences (text: string): string[] {
  let fenced = false
  return text.split('\n').map(line => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced
      return ''
    }
    return fenced ? '' : line
  })
}

/** Inline code spans replaced by a word, so that neither a `[x](y)` nor a `#` inside one counts. */
function withoutCodeSpans (text: string): string {
  return text.replace(/`[^`\n]*`/g, match => match.slice(1, -1).replace(/[[\]()]/g, ''))
}

/**
 * The anchor GitHub makes of a heading's text: links reduced to their text, lowercase, every
 * character but letters, digits, spaces, '-' and '_' removed, each space turned into '-'.
 */
function anchorOf (heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** Every anchor the headings of `file` make; a repeated one gets -1, -2, … as on GitHub. */
function anchorsOf (file: string): Set<string> {
  const anchors = new Set<string>()
  const seen = new Map<string, number>()
  for (const line of outsideFences(fs.readFileSync(file, 'utf8'))) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!heading) continue
    const anchor = anchorOf(heading[1]!)
    const times = seen.get(anchor) ?? 0
    seen.set(anchor, times + 1)
    anchors.add(times === 0 ? anchor : `${anchor}-${times}`)
  }
  return anchors
}

interface Link { text: string, target: string }

/** The inline links and images of `file`, outside code. */
function linksOf (file: string): Link[] {
  const text = withoutCodeSpans(outsideFences(fs.readFileSync(file, 'utf8')).join('\n'))
  const links: Link[] = []
  for (const match of text.matchAll(/\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) {
    links.push({ text: match[1]!.replace(/\s+/g, ' '), target: match[2]! })
  }
  return links
}

/** What is wrong with a relative link of `from`; undefined when it resolves. */
function brokenBecause (from: string, target: string): string | undefined {
  const hash = target.indexOf('#')
  const file = decodeURIComponent(hash < 0 ? target : target.slice(0, hash))
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1))
  const resolved = file === '' ? from : path.resolve(path.dirname(from), file)
  if (!fs.existsSync(resolved)) return `no file ${path.relative(ROOT, resolved)}`
  if (anchor === undefined) return undefined
  if (!resolved.endsWith('.md') || !fs.statSync(resolved).isFile()) return `#${anchor} in ${path.relative(ROOT, resolved)}, which is not markdown`
  if (!anchorsOf(resolved).has(anchor)) return `no heading of ${path.relative(ROOT, resolved)} makes #${anchor}`
  return undefined
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target)

t.test('anchors are made as GitHub makes them', async t => {
  t.equal(anchorOf('How files map to topics'), 'how-files-map-to-topics')
  t.equal(anchorOf('/etc/fstab, mount(8) and systemd'), 'etcfstab-mount8-and-systemd')
  t.equal(anchorOf('Redis targets: TLS, ACL users, Sentinel, Cluster'), 'redis-targets-tls-acl-users-sentinel-cluster')
  t.equal(anchorOf('Mounting one namespace: `--root`'), 'mounting-one-namespace---root')
  t.equal(anchorOf('A mount\'s server killed (K1), and what_the split cost'), 'a-mounts-server-killed-k1-and-what_the-split-cost')
  t.equal(anchorOf('See [the CLI](docs/cli.md)'), 'see-the-cli')
})

t.test('the checks find what is broken', async t => {
  t.equal(brokenBecause(README, 'docs/cli.md'), undefined)
  t.equal(brokenBecause(README, 'docs/cli.md#exit-codes'), undefined)
  t.equal(brokenBecause(README, '#quick-start'), undefined)
  t.match(brokenBecause(README, 'docs/no-such-file.md'), /no file docs\/no-such-file\.md/)
  t.match(brokenBecause(README, 'docs/cli.md#no-such-heading'), /no heading of docs\/cli\.md makes #no-such-heading/)
  t.match(brokenBecause(path.join(DOCS, 'cli.md'), 'README.md'), /no file docs\/README\.md/, 'relative to the linking file')
})

t.test(`README.md is at most ${README_MAX_LINES} lines`, async t => {
  const lines = lineCount(fs.readFileSync(README, 'utf8'))
  t.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines`)
})

t.test('every relative link of the README and of docs/ resolves, anchors included', async t => {
  const broken: string[] = []
  let checked = 0
  for (const file of markdownFiles()) {
    for (const link of linksOf(file)) {
      if (isExternal(link.target)) continue
      checked++
      const why = brokenBecause(file, link.target)
      if (why !== undefined) broken.push(`${path.relative(ROOT, file)}: [${link.text}](${link.target}): ${why}`)
    }
  }
  t.ok(checked >= 50, `${checked} relative links checked`)
  t.same(broken, [], 'no broken link')
})

t.test('each docs file says what it covers and links back to the README', async t => {
  for (const file of markdownFiles().slice(1)) {
    const lines = fs.readFileSync(file, 'utf8').split('\n')
    const name = path.relative(ROOT, file)
    t.match(lines[0], /^# \S/, `${name} starts with its title`)
    const end = lines.indexOf('', 2)
    const statement = lines.slice(2, end < 0 ? undefined : end).join(' ')
    t.match(statement, /\]\(\.\.\/README\.md(#[^)]*)?\)/, `${name}: its first paragraph says what it covers and links back to the README`)
  }
})
