/** How much work each workload does; `--quick` picks the small set. */
export interface Sizes {
  /** Runs of each measurement; the table shows their median. */
  runs: number
  /** W1 and R1: lines in the written and replayed topic. */
  lines: number
  /** R1: redis-benchmark XRANGE requests, Redis's own ceiling for serving pages. */
  pageRequests: number
  /** L1: writes timed from one mount to a follower on another. */
  latencySamples: number
  /** W3: processes started, one per push. */
  pushes: number
  /** S1 and R2: messages in the topic that is stat'ed and read at random offsets. */
  statMessages: number
  /** W2: MiB of random bytes written with --framing write. */
  binaryMiB: number
  /** R1 growth: MiB in the large topic; the small one holds a quarter of it. */
  bigMiB: number
  /** R2: dd reads at scattered offsets. */
  randomReads: number
  /** S2: topics in the directory that `ls -l` lists. */
  directoryTopics: number
  /** Q1: messages in the topic that four group readers share out. */
  queueMessages: number
  /** Q1 for `dnpipes work`: jobs run, one process each. */
  workJobs: number
  /** Q2: pushes timed to a group reader waiting for them. */
  handoffSamples: number
  /** Q3: delayed pushes whose lateness is timed at a group reader waiting for them. */
  delayedSamples: number
  /** C1: milliseconds the commands of idle followers are counted. */
  idleMs: number
  /** K1: servers killed under load, each timed to the next answer. */
  kills: number
}

/** `npm run bench`: the sizes of the table of docs/performance.md. */
const FULL: Sizes = {
  runs: 3,
  lines: 200_000,
  pageRequests: 2000,
  latencySamples: 1000,
  pushes: 1000,
  statMessages: 1_000_000,
  binaryMiB: 256,
  bigMiB: 1024,
  randomReads: 100,
  directoryTopics: 10_000,
  queueMessages: 100_000,
  workJobs: 1000,
  handoffSamples: 200,
  delayedSamples: 200,
  idleMs: 10_000,
  kills: 20
}

/** `--quick`, the test suite's smoke run: every workload and row, once, well within its timeout. */
const QUICK: Sizes = {
  runs: 1,
  lines: 5_000,
  pageRequests: 200,
  latencySamples: 50,
  pushes: 20,
  statMessages: 10_000,
  binaryMiB: 4,
  bigMiB: 8,
  randomReads: 10,
  directoryTopics: 200,
  queueMessages: 2000,
  workJobs: 100,
  handoffSamples: 20,
  delayedSamples: 20,
  idleMs: 2000,
  kills: 2
}

export function sizesFor (quick: boolean): Sizes {
  return quick ? QUICK : FULL
}

/** Bytes per line of the line-framed sources (W1, S1, R2), newline included. */
export const LINE_BYTES = 50

/** Decimal megabytes in a MiB: rates are printed in MB/s. */
export const MB_PER_MIB = 1.048576
