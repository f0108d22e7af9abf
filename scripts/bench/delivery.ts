import { ChildProcess } from 'node:child_process'
import { now } from './stats'

/**
 * Milliseconds from each `send(line)` to that line's arrival at the end of `reader`'s output,
 * one sample after another (lines "m0\n", "m1\n", …); kills the reader at the end.
 */
export async function deliveryTimes (reader: ChildProcess, samples: number, send: (line: string) => Promise<unknown>): Promise<number[]> {
  let received = ''
  let notify: (() => void) | undefined
  reader.stdout!.on('data', chunk => { received += chunk; notify?.() })
  const times: number[] = []
  try {
    for (let i = 0; i < samples; i++) {
      const line = `m${i}\n`
      const arrived = new Promise<void>(resolve => { notify = () => { if (received.endsWith(line)) resolve() } })
      const started = now()
      await send(line)
      await arrived
      times.push(now() - started)
    }
  } finally {
    reader.kill('SIGKILL')
  }
  return times
}
