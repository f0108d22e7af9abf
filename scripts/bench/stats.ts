/** Milliseconds on a monotonic clock. */
export const now = (): number => Number(process.hrtime.bigint()) / 1e6

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

export const percentile = (values: number[], p: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!

/** Milliseconds `work` took. */
export async function timed (work: () => Promise<unknown>): Promise<number> {
  const started = now()
  await work()
  return now() - started
}

/** Longer than any mount of the benchmark lets the kernel keep a name or its attributes (1 s). */
const KERNEL_KEEPS_MS = 1100

/**
 * Milliseconds `work` took, started once what the kernel kept of names and attributes from the
 * run before has run out: a run then asks the filesystem for every name, as a first one does.
 */
export async function timedUncached (work: () => Promise<unknown>): Promise<number> {
  await new Promise(resolve => setTimeout(resolve, KERNEL_KEEPS_MS))
  return await timed(work)
}

/** The median of `runs` results of `work`, run one after another, each told its run number. */
export async function repeat (runs: number, work: (run: number) => Promise<number>): Promise<number> {
  const results: number[] = []
  for (let i = 0; i < runs; i++) results.push(await work(i))
  return median(results)
}

/**
 * The median of each of `works` over `runs` rounds, after one round that is not counted; each
 * round runs every work once, in turn, so that a machine whose speed drifts during the run
 * weighs on all of them alike (a ratio between them is what counts).
 */
export async function alternate (runs: number, works: Array<() => Promise<number>>): Promise<number[]> {
  const results: number[][] = works.map(() => [])
  for (let round = -1; round < runs; round++) {
    for (const [i, work] of works.entries()) {
      const value = await work()
      if (round >= 0) results[i]!.push(value)
    }
  }
  return results.map(median)
}
