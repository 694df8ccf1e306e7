import type { Descriptor } from '../registry/manifest.js';
import type { RegistryClient } from '../registry/client.js';
import { ensureBlob, type BlobOutcome } from '../oci/write.js';

/**
 * Where the bytes of a blob can come from: built in this run (`bytes`), or already in a repository of some registry
 * (a base image, the dependency cache). Placing it in a repository mounts it when that repository lives on the same
 * registry, and reads it (once) only when it must cross from one registry to another.
 */
export interface BlobSource {
  descriptor: Descriptor;
  bytes?: Buffer;
  /**
   * Made by this run, small and all but certainly new to the registry (an image configuration, which records the
   * build inputs): uploaded without asking first whether the repository holds it. Sending it again changes nothing.
   */
  fresh?: boolean;
  from?: { client: RegistryClient; host: string; repository: string };
}

export class BlobPlacer {
  private readonly read = new Map<string, Promise<Buffer>>();
  /** Where this run already placed each blob (`host` -> repositories): the next repository mounts it from there. */
  private readonly placed = new Map<string, Map<string, string[]>>();
  /** How each blob got where it is, for the run's log and the tests. */
  readonly outcomes: Array<{ digest: string; repository: string; outcome: BlobOutcome }> = [];

  /** Placements in flight, by registry and digest: the next one waits, then mounts from where the first put it. */
  private readonly inflight = new Map<string, Promise<void>>();

  /**
   * Places one blob in one repository. Placements of the same blob on the same registry run one after the other, so
   * that however many repositories, units or runs' parts want it at once, it crosses to that registry once.
   */
  place(client: RegistryClient, host: string, repository: string, source: BlobSource): Promise<BlobOutcome> {
    const key = `${host}\0${source.descriptor.digest}`;
    const before = this.inflight.get(key) ?? Promise.resolve();
    const mine = before.then(() => this.placeNow(client, host, repository, source));
    this.inflight.set(
      key,
      mine.then(
        () => undefined,
        () => undefined,
      ),
    );
    return mine;
  }

  private async placeNow(
    client: RegistryClient,
    host: string,
    repository: string,
    source: BlobSource,
  ): Promise<BlobOutcome> {
    const { digest } = source.descriptor;
    const sameRegistry = source.from?.host === host;
    const placedHere = this.placed.get(digest)?.get(host) ?? [];
    // The blob's own repository first (a base image's, the dependency cache): the token its unit asked for covers it
    // (authorizeUnit); where this run placed it since, after.
    const mountFrom = [
      ...new Set([...(sameRegistry && source.from ? [source.from.repository] : []), ...placedHere]),
    ].filter((from) => from !== repository);
    const bytes = source.bytes ?? (sameRegistry || placedHere.length > 0 ? undefined : await this.bytesOf(source));
    const outcome = await ensureBlob(client, repository, source.descriptor, {
      ...(bytes ? { bytes } : {}),
      mountFrom,
      ...(source.fresh ? { fresh: true } : {}),
    });
    this.outcomes.push({ digest, repository, outcome });
    const byHost = this.placed.get(digest) ?? new Map<string, string[]>();
    byHost.set(host, [...(byHost.get(host) ?? []), repository]);
    this.placed.set(digest, byHost);
    return outcome;
  }

  private bytesOf(source: BlobSource): Promise<Buffer> {
    const { from, descriptor } = source;
    if (!from) throw new Error(`blob ${descriptor.digest} has neither bytes nor a repository to come from`);
    let pending = this.read.get(descriptor.digest);
    if (!pending) {
      pending = from.client.readBlob(from.repository, descriptor.digest);
      this.read.set(descriptor.digest, pending);
    }
    return pending;
  }
}
