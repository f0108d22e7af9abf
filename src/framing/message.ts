/**
 * A message as it is stored in a topic. `verbatim` messages render as their payload alone;
 * the others are lines, rendered as payload + "\n". The split keeps the stored payload what
 * another Redis client expects (a line without its newline) while every byte written through
 * the filesystem still reads back exactly.
 */
export interface Message {
  payload: Buffer
  verbatim: boolean
}

/** Largest payload of one message; longer lines are split into verbatim fragments. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024

export type Framing = 'line' | 'write'

export const FRAMINGS: readonly Framing[] = ['line', 'write']
