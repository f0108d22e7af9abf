/**
 * What the code under test writes to stdout or stderr, taken from the test's own stream between
 * start() and stop(): the test makes no assertion meanwhile, so nothing of tap's is written there.
 */
export class CapturedOutput {
  private readonly chunks: Buffer[] = []
  private write: NodeJS.WriteStream['write'] | undefined

  constructor (private readonly stream: NodeJS.WriteStream = process.stdout) {}

  start (): this {
    this.write = this.stream.write
    this.stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      this.chunks.push(Buffer.from(chunk))
      const callback = rest.find(arg => typeof arg === 'function') as ((err?: Error) => void) | undefined
      if (callback) process.nextTick(callback)
      return true
    }) as NodeJS.WriteStream['write']
    return this
  }

  stop (): Buffer {
    if (this.write) this.stream.write = this.write
    this.write = undefined
    return this.bytes()
  }

  bytes (): Buffer {
    return Buffer.concat(this.chunks)
  }
}

/** What `work` writes to stdout. */
export async function stdoutOf (work: () => Promise<unknown>): Promise<Buffer> {
  const out = new CapturedOutput().start()
  try {
    await work()
  } finally {
    out.stop()
  }
  return out.bytes()
}
