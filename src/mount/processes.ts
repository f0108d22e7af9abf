import { promises as fs } from 'node:fs'

/**
 * What /proc tells about the process that made a request (FUSE gives its thread id): which
 * process a thread belongs to, and whether a process that is closing its files dies of a
 * signal. Reads are asynchronous: the requesting process waits for the daemon's answer, and a
 * synchronous call would stall the mount.
 */

/** The thread group (process) id in a /proc/TID/status text. */
export function threadGroupIn (status: string): number | undefined {
  const match = /^Tgid:\s*(\d+)/m.exec(status)
  return match ? Number(match[1]) : undefined
}

/**
 * exit_code (field 52) of a /proc/PID/stat text, in waitpid(2)'s form: set as soon as the
 * process begins to exit, before its files are closed; 0 while it runs.
 */
export function exitCodeIn (stat: string): number | undefined {
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ')
  const code = fields[52 - 3]
  return code === undefined ? undefined : Number(code)
}

/** Whether a waitpid(2) status says "terminated by a signal" (WIFSIGNALED). */
export function killedBySignal (status: number): boolean {
  const signal = status & 0x7f
  return signal !== 0 && signal !== 0x7f
}

/** The process of thread `tid`; undefined when it is gone. */
export async function processOf (tid: number): Promise<number | undefined> {
  try {
    return threadGroupIn(await fs.readFile(`/proc/${tid}/status`, 'utf8'))
  } catch {
    return undefined
  }
}

/**
 * Whether thread `tid`, closing a file now, is exiting because of a signal (SIGKILL, SIGTERM, a
 * crash). A process that is gone already, or unreadable, counts as killed: what it held must
 * not be taken as done.
 */
export async function dyingOfSignal (tid: number): Promise<boolean> {
  try {
    const code = exitCodeIn(await fs.readFile(`/proc/${tid}/stat`, 'utf8'))
    return code === undefined || killedBySignal(code)
  } catch {
    return true
  }
}
