/** POSIX error names the topic layer reports; the FUSE side turns them into errno values. */
export type TopicErrorCode =
  | 'ENOENT' | 'EEXIST' | 'ENOTDIR' | 'EISDIR' | 'ENOTEMPTY' | 'EINVAL' | 'ENAMETOOLONG'
  | 'EPERM' | 'EXDEV' | 'EBADF' | 'ENOTSUP' | 'EILSEQ' | 'ESTALE' | 'EROFS' | 'EIO' | 'ETIMEDOUT' | 'ENOSPC' | 'EACCES'

export class TopicError extends Error {
  constructor (readonly code: TopicErrorCode, message: string) {
    super(message)
    this.name = 'TopicError'
  }
}

export function isTopicError (err: unknown): err is TopicError {
  return err instanceof TopicError
}
