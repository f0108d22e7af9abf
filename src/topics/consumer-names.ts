import { hostname } from 'node:os'

/**
 * The consumer name of this process in every group it reads: "mount@HOST:PID" or "work@…",
 * so that `XINFO CONSUMERS` and `dnpipes stat` say where a message is held. A mount's is its
 * mount process's pid, which its servers share (restart/supervisor.ts).
 */
export function consumerName (role: 'mount' | 'work', pid = process.pid): string {
  return `${role}@${hostname()}:${pid}`
}

/**
 * Whether `name` is of the form consumerName gives, and so a consumer of ours that a sweep may
 * remove (TopicEngine.sweepConsumers); sweep.lua has the same rule. Another client's consumers
 * are its own business, even idle and empty.
 */
export function isOurConsumer (name: string): boolean {
  return /^(mount|work)@.*:\d+$/.test(name)
}
