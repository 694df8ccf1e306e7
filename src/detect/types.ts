/** One path a comparison of two commits found changed. */
export interface ChangedFile {
  status: 'added' | 'modified' | 'deleted' | 'renamed' | 'type-changed';
  /** Relative to the repository folder, with `/` separators; for a rename, the new path. */
  path: string;
  /** The old path of a rename: callers treat both sides as changed. */
  previousPath?: string;
}

/** Why no list of changes could be made; callers then treat everything as changed. */
export type UnusableReason =
  'no-base' | 'zero-base' | 'unknown-base' | 'shallow-without-base' | 'first-commit' | 'not-a-repository';

export type GitChanges =
  | { usable: true; base: string; head: string; files: ChangedFile[] }
  | { usable: false; reason: UnusableReason; detail: string };
