import { bash } from '../../scripts/support/processes'

/**
 * What `cat` and `stat -c %s` give for `path` in `dir` where it should hold `expected`
 * (undefined: it is no topic, so reading it fails); undefined when they agree.
 */
export async function readMismatch (dir: string, path: string, expected: string | undefined): Promise<string | undefined> {
  const result = await bash(`cat ${path} && stat -c %s ${path} >&2`, { cwd: dir })
  const content = result.stdout.toString()
  const size = result.stderr.trim()
  const agrees = expected === undefined
    ? result.code !== 0
    : result.code === 0 && content === expected && size === String(Buffer.byteLength(expected))
  if (agrees) return undefined
  return `cat ${path}: exit ${result.code}, ${JSON.stringify(content)}, ${size}; expected ${expected === undefined ? 'a failure' : JSON.stringify(expected)}`
}
