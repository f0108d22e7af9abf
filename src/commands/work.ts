import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import { topicsLog } from '../log'
import { groupPolicyOf, RetrySettings } from '../options'
import { consumerName } from '../topics/consumer-names'
import { TopicError } from '../topics/errors'
import { DEAD_LETTER_SUFFIX } from '../topics/readers/dead-letters'
import { Delivery, GroupReader } from '../topics/readers/group-reader'
import { heartbeatInterval, HeldMessage, HeldMessages } from '../topics/readers/held-messages'
import { fromFusePath } from '../topics/paths'
import { retryDelayMs, RetryPolicy, retryPolicyOf } from './retry-policy'
import { StoreOptions, withStore } from './session'
import { Retries } from './work-retries'
import { WorkPool } from './work-pool'

export interface WorkOptions extends StoreOptions, RetrySettings {
  concurrency: number
  visibilityTimeout: number
  maxDeliveries: number
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

/** How the command run for a message ended. */
type Outcome = { code: number } | { signal: NodeJS.Signals } | { error: Error }

/**
 * work GROUP TOPIC -- COMMAND: runs COMMAND once per message of the consumer group, at least
 * once each, up to `concurrency` at a time. Resolves with the exit status: 0 after a clean stop
 * (a signal, or the topic removed), 128 + the signal when running commands had to be killed, 1
 * when COMMAND could not be started.
 */
export async function workCommand (group: string, topic: string, command: string[], options: WorkOptions): Promise<number> {
  const path = fromFusePath(topic)
  if (path === '') throw new TopicError('EINVAL', 'a topic name is needed')
  if (command.length === 0) throw new Error('a command to run is needed: dnpipes work GROUP TOPIC -- COMMAND [ARGS...]')
  const policy = groupPolicyOf(options)
  const retryPolicy = retryPolicyOf(options, policy.visibilityMs)
  const pool = new WorkPool(options.concurrency)
  return await withStore(options, async store => {
    const stat = await store.stat(path)
    if (!stat) throw new TopicError('ENOENT', `no topic ${path}`)
    if (stat.kind !== 'topic') throw new TopicError('EISDIR', `${path} is a directory`)
    const reader = new GroupReader(store, path, stat.uid, group, consumerName('work'), policy)
    const held = new HeldMessages(heartbeatInterval(policy.visibilityMs), lost => {
      note(`message ${lost.delivery.id} is no longer held by this worker; another may run it too`)
    })
    const retries = new Retries(held, policy.visibilityMs, (failed, err) => {
      note(`message ${failed.delivery.id}: setting when it comes back failed: ${err.message}; it will be handed out again within ${secondsText(policy.visibilityMs)}`)
    })
    return await new Worker(reader, command, pool, held, retries, retryPolicy).run()
  }, { appendsOrWaits: true })
}

/** One line on stderr: stdout belongs to the commands. */
function note (line: string): void {
  process.stderr.write(`dnpipes: ${line}\n`)
}

/** 2000 -> '2.0 s', 1250 -> '1.25 s', 50 -> '0.05 s'. */
export function secondsText (ms: number): string {
  const seconds = ms / 1000
  return `${Number.isInteger(seconds) ? seconds.toFixed(1) : String(Number(seconds.toFixed(3)))} s`
}

class Worker {
  /** The signal that had running commands killed. */
  private killedBy: NodeJS.Signals | undefined
  private cannotRun = false

  constructor (
    private readonly reader: GroupReader,
    private readonly command: string[],
    private readonly pool: WorkPool,
    private readonly held: HeldMessages,
    private readonly retries: Retries,
    private readonly retryPolicy: RetryPolicy
  ) {}

  async run (): Promise<number> {
    const onSignal = (signal: NodeJS.Signals): void => this.stopFor(signal)
    // A closed terminal (SIGHUP) stops the worker as SIGTERM does: the commands run detached.
    for (const signal of STOP_SIGNALS) process.on(signal, onSignal)
    try {
      if (await this.take()) note(`topic ${this.reader.path} was removed; stopping`)
    } finally {
      // Also when a claim failed for good: the commands running now still decide about their messages.
      this.pool.drain()
      await this.pool.drained()
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal)
      await this.retries.close()
      this.held.close()
      await this.reader.leave().catch(err => topicsLog('leaving group %s of %s: %s', this.reader.group, this.reader.path, (err as Error).message))
    }
    if (this.cannotRun) return 1
    return this.killedBy ? 128 + constants.signals[this.killedBy] : 0
  }

  /** Claims and starts messages while the pool takes them; true when the topic went away. */
  private async take (): Promise<boolean> {
    while (await this.pool.vacancy()) {
      const delivery = await this.reader.next(this.pool.taking)
      if (!delivery) return !this.pool.taking.aborted
      // Started even when a stop came during the claim: a claimed message is run or let go, never dropped.
      this.pool.add(this.work(delivery))
    }
    return false
  }

  private stopFor (signal: NodeJS.Signals): void {
    const running = this.pool.running
    if (this.pool.stop() === 'draining') {
      if (running > 0) note(`${signal}: waiting for ${running} running command${running === 1 ? '' : 's'}; ${signal} again kills ${running === 1 ? 'it' : 'them'}`)
    } else if (running > 0) {
      this.killedBy ??= signal
    }
  }

  /** Runs the command for one message, holding the message meanwhile; never rejects. */
  private async work (delivery: Delivery): Promise<void> {
    const message: HeldMessage = { reader: this.reader, delivery }
    this.held.add(message)
    let retrying = false
    try {
      if (this.pool.killing.aborted) return note(`message ${delivery.id}: not run, stopping; ${this.fate(delivery)}`)
      const outcome = await this.spawnFor(delivery)
      if ('code' in outcome && outcome.code === 0) return await this.acknowledge(delivery)
      if ('error' in outcome) {
        this.cannotRun = true
        this.pool.drain()
        return note(`message ${delivery.id}: cannot run ${this.command[0]}: ${outcome.error.message}; stopping`)
      }
      const how = 'code' in outcome ? `exited with ${outcome.code}` : `was killed by ${outcome.signal}`
      const delayMs = retryDelayMs(this.retryPolicy, delivery.deliveries)
      note(`message ${delivery.id}: ${this.command[0]} ${how}; ${this.fate(delivery, delayMs)}`)
      retrying = true
      await this.retries.bringBack(message, delayMs)
    } catch (err) {
      note(`message ${delivery.id}: ${(err as Error).message}; ${this.fate(delivery)}`)
    } finally {
      // A failed job is the retries' to let go, at its time.
      if (!retrying) this.held.delete(message)
    }
  }

  private async acknowledge (delivery: Delivery): Promise<void> {
    try {
      await this.reader.acknowledge(delivery)
    } catch (err) {
      note(`message ${delivery.id}: done, but acknowledging it failed: ${(err as Error).message}; ${this.fate(delivery)}`)
    }
  }

  /** What becomes of a message not acknowledged now, and when when it is known (a retry). */
  private fate (delivery: Delivery, inMs?: number): string {
    const when = inMs === undefined ? '' : ` in ${secondsText(inMs)}`
    return delivery.deliveries >= this.reader.policy.maxDeliveries
      ? `it will be moved to ${this.reader.path}${DEAD_LETTER_SUFFIX}${when}`
      : `it will be handed out again${when}`
  }

  /**
   * The command with the message on its stdin, in a process group of its own: a Ctrl-C at the
   * terminal reaches only dnpipes, which lets the commands finish, and kills their whole group
   * at the second.
   */
  private spawnFor (delivery: Delivery): Promise<Outcome> {
    return new Promise(resolve => {
      const [file, ...args] = this.command as [string, ...string[]]
      const child = spawn(file, args, {
        detached: true,
        stdio: ['pipe', 'inherit', 'inherit'],
        env: { ...process.env, DNPIPES_MESSAGE_ID: delivery.id, DNPIPES_DELIVERY: String(delivery.deliveries) }
      })
      const kill = (): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
        } catch {} // the group is gone already
      }
      const settle = (outcome: Outcome): void => {
        this.pool.killing.removeEventListener('abort', kill)
        resolve(outcome)
      }
      this.pool.killing.addEventListener('abort', kill, { once: true })
      child.once('error', error => settle({ error }))
      child.once('exit', (code, signal) => settle(signal ? { signal } : { code: code ?? 0 }))
      // A command that does not read its input closes the pipe early: not a failure of ours.
      child.stdin!.on('error', () => undefined)
      child.stdin!.end(delivery.data)
    })
  }
}
