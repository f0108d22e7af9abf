/** Work run one piece after another, in the order given; a failure is its own caller's alone. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T> (work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work)
    this.tail = result.catch(() => undefined)
    return result
  }
}
