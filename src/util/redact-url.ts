/** A Redis URL as it may be shown: its password replaced by ***, or nothing of it when it does not parse. */
export function redactUrl (value: string): string {
  try {
    const url = new URL(value)
    if (url.password) url.password = '***'
    return url.toString()
  } catch {
    return 'the Redis URL given (it does not parse as a URL)'
  }
}
