/** Writes to stdout, resolving once the bytes are handed over (respects back-pressure). */
export function writeOut (chunk: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(chunk, err => err ? reject(err) : resolve())
  })
}
