import v8 from 'node:v8'
import vm from 'node:vm'

export type Collect = () => void

/**
 * Collects V8's garbage after every `everyBytes` of page buffers the daemon handled.
 *
 * A page lives across several asynchronous steps (the Redis reply, the read-ahead, the FUSE
 * replies that copy it out), so it outlives the young generation and dies in the old one, which
 * V8 collects rarely: Buffers keep their bytes outside its heap, where it looks only every
 * 64 MiB or so. Streaming a 1 GiB topic thus grew the daemon's RSS from 67 MiB to 170 MiB.
 * A full collection of this small heap takes about 3 ms; once per 8 MiB (a fifth of a second
 * of reading) it kept the peak at 121 MiB and cost no measurable throughput. The raw replies of
 * the page connection (about twice the bytes of the pages they render) count too: without them
 * a 256 MiB replay peaked at 125 MiB, with them below the 100–110 MiB of writing it.
 */
export class PageGarbage {
  private sinceLast = 0

  constructor (private readonly everyBytes: number, private readonly collect: Collect) {}

  /** Counts `bytes` of short-lived buffers; collects once the threshold is passed. */
  note (bytes: number): void {
    this.sinceLast += bytes
    if (this.sinceLast < this.everyBytes) return
    this.sinceLast = 0
    this.collect()
  }
}

/** V8's own full collection, which Node exposes only behind a flag that can be set at run time. */
export function v8Collector (): Collect {
  v8.setFlagsFromString('--expose-gc')
  return vm.runInNewContext('gc') as Collect
}
