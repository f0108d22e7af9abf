import type { Schedule } from '../types'

/** A script's schedule reply: ms until the next due ('' for none) and the last announcement's id. */
export function scheduleOf (dueIn: Buffer | string | undefined, announced: Buffer | string | undefined): Schedule {
  const due = dueIn?.toString() ?? ''
  return { announced: announced?.toString() || '0-0', ...(due === '' ? {} : { dueInMs: Number(due) }) }
}
