import type { Publication } from './publication.js';

/**
 * Where catalogs are published: a folder, an HTTP(S) server that takes PUT, the assets of a GitHub release, or an
 * OCI artifact. Every target switches a publication in one step (see `publish/publication.ts`): a reader sees the
 * previous publication or the new one, never a mix, and a publisher that loses a race has changed nothing a reader
 * uses: it fails with `CATALOG_PUBLISH_CONFLICT`, and the catalog stage starts again from what is published now.
 */
export interface PublishTarget {
  readonly description: string;
  /** Where a reader finds `file` once published: a path, a URL, or the artifact and the file's title. */
  locate(file: string): string;
  /**
   * The file as last published, or undefined. Reading `index.json` takes a fresh look at the target and records
   * the version seen: `publish` commits only if the index is still that one.
   */
  read(file: string): Promise<Buffer | undefined>;
  /** Writes the content-addressed files, then the index (the commit point), then the named copies. */
  publish(publication: Publication): Promise<void>;
  close(): Promise<void>;
}
