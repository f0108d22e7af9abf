import { run } from '../../scripts/support/processes'

export interface WriterOptions {
  /** Stop after this many lines… */
  count?: number
  /** …or after this long. */
  durationMs?: number
  /** Once durationMs is over, go on while the last write failed, for at most this long more. */
  untilRecoveredMs?: number
  pauseMs: number
  /** Stop once this aborts (after the write under way): for a test that ends writing when its faults are over. */
  stop?: AbortSignal
  /** Stop at the first failed write (the mount is gone). */
  stopOnError?: boolean
  /** Lines are "PREFIX N". @default "line" */
  prefix?: string
}

export interface WriterReport {
  /** Line numbers whose write(2) returned success. */
  acknowledged: number[]
  /** "err N CODE" for each failed write. */
  failed: string[]
  /** The last result line, "ok N" or "err N CODE". */
  last: string
}

/**
 * A writer in a child process through one open file: lines "line N", one write(2) each,
 * reporting each result, so that tests can check what was acknowledged against what is there.
 */
export async function numberedWriter (file: string, options: WriterOptions): Promise<WriterReport> {
  const program = `
    const fs = require('fs')
    const fd = fs.openSync(process.env.FILE, 'a')
    const until = Date.now() + ${options.durationMs ?? 1e9}
    const recoveredBy = until + ${options.untilRecoveredMs ?? 0}
    let i = 0
    let lastFailed = false
    let stopped = false
    // Told to stop by the end of stdin: a signal could interrupt a write under way (EINTR).
    if (${options.stop !== undefined}) process.stdin.on('end', () => { stopped = true }).resume()
    const over = () => stopped || Date.now() > (lastFailed ? recoveredBy : until)
    const next = () => {
      if (i === ${options.count ?? -1} || over()) { try { fs.closeSync(fd) } catch (e) {} ; return }
      const n = i++
      try { fs.writeSync(fd, ${JSON.stringify(options.prefix ?? 'line')} + ' ' + n + '\\n'); console.log('ok ' + n); lastFailed = false } catch (e) {
        console.log('err ' + n + ' ' + e.code)
        lastFailed = true
        if (${options.stopOnError ?? false}) return
      }
      setTimeout(next, ${options.pauseMs})
    }
    next()`
  const result = await run(process.execPath, ['-e', program], { env: { ...process.env, FILE: file }, timeoutMs: 120_000, stdinUntil: options.stop })
  const report = result.stdout.toString().trim().split('\n')
  return {
    acknowledged: report.filter(line => line.startsWith('ok ')).map(line => Number(line.slice(3))),
    failed: report.filter(line => line.startsWith('err ')),
    last: report[report.length - 1] ?? ''
  }
}
