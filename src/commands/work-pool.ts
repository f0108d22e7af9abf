/** What a stop request led to: no new jobs are taken, or the running ones are to be killed too. */
export type StopStep = 'draining' | 'killing'

/**
 * How many jobs of `dnpipes work` run at once, and how it stops in two steps. The first stop
 * ends the taking of jobs (`taking` aborts, which ends a wait for the next message) and lets the
 * running ones finish; the second aborts `killing`, which the jobs take as the order to kill
 * their commands. Jobs report their own failures: the pool only waits for them to settle.
 */
export class WorkPool {
  private readonly jobs = new Set<Promise<void>>()
  private readonly takingController = new AbortController()
  private readonly killingController = new AbortController()
  private waiters: Array<() => void> = []

  constructor (readonly concurrency: number) {
    if (!(Number.isInteger(concurrency) && concurrency > 0)) throw new RangeError(`the concurrency must be a positive whole number, not ${concurrency}`)
  }

  get running (): number {
    return this.jobs.size
  }

  /** Aborts at the first stop: the pool takes no more jobs. */
  get taking (): AbortSignal {
    return this.takingController.signal
  }

  /** Aborts at the second stop: running jobs are to end now. */
  get killing (): AbortSignal {
    return this.killingController.signal
  }

  /** True once fewer than `concurrency` jobs run; false as soon as the pool takes no more. */
  async vacancy (): Promise<boolean> {
    while (!this.taking.aborted && this.jobs.size >= this.concurrency) await this.change()
    return !this.taking.aborted
  }

  add (job: Promise<void>): void {
    const settled: Promise<void> = job.then(() => this.settle(settled), () => this.settle(settled))
    this.jobs.add(settled)
  }

  /** Takes no more jobs; the running ones go on. Does not count as a stop request. */
  drain (): void {
    if (this.taking.aborted) return
    this.takingController.abort()
    this.notify()
  }

  /** A stop request (a signal): the first drains, any later one kills. */
  stop (): StopStep {
    if (!this.taking.aborted) {
      this.drain()
      return 'draining'
    }
    this.killingController.abort()
    return 'killing'
  }

  /** Resolves once no job runs. */
  async drained (): Promise<void> {
    while (this.jobs.size > 0) await this.change()
  }

  private settle (job: Promise<void>): void {
    this.jobs.delete(job)
    this.notify()
  }

  private change (): Promise<void> {
    return new Promise(resolve => this.waiters.push(resolve))
  }

  private notify (): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }
}
