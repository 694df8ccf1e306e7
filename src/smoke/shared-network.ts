import type Docker from 'dockerode';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** How long the holder lives at most (it removes itself then): a run that outlives it starts another. */
const HOLDER_SECONDS = 3600;

/**
 * One network namespace with nothing but loopback, shared by a run's batch containers that get no network. A
 * container started with network `none` gets a namespace of its own, which costs the engine about 0.1 s of CPU and
 * of wall time per container; one that joins this one's (`container:<id>`) costs nothing more. Held by a container
 * (`/bin/sh -c 'exec sleep …'`, labelled `io.neurons.smoke-network`) started ahead from a base image the engine has
 * (`warm`), else from the third batch's image; removed by `close` and by the engine once its time is up. Where it
 * cannot start, batches get `none` as before.
 */
export class SharedNoNetwork {
  private holder: { id: Promise<string | undefined>; until: number } | undefined;
  private asked = 0;
  private closing: Promise<void> = Promise.resolve();

  constructor(private readonly docker: Docker) {}

  /**
   * The network mode for a batch of `image` without network. Unless `warm` started the holder, the first two batches
   * get namespaces of their own (`none`): a run of one folder (a change), on one platform or two, does not pay for
   * the holder, whose start costs what a namespace does; the next ones share the holder's.
   */
  async network(image: string): Promise<string> {
    this.asked += 1;
    if (this.asked <= 2 && !this.holder) return 'none';
    if (!this.holder || Date.now() > this.holder.until) {
      // Renewed well before the old one ends: a batch that just joined it keeps its namespace.
      this.holder = { id: this.start(image), until: Date.now() + (HOLDER_SECONDS / 2) * 1000 };
    }
    const id = await this.holder.id;
    return id ? `container:${id}` : 'none';
  }

  /**
   * Starts the holder now, from the first of `images` the engine has (a base image, there before the run pulls
   * anything), for a run about to test: it starts while the run uploads and pulls, and the first batch joins it
   * instead of waiting for a namespace of its own. Nothing when none of them is there (a runner whose engine has no
   * base image: the first batch gets `none`), or when the holder runs already.
   */
  warm(images: string[]): void {
    if (this.holder) return;
    const id = (async (): Promise<string | undefined> => {
      // After what the caller starts next: the engine's client may load first (dockerode, about 90 ms).
      await nextTurn();
      for (const image of images) {
        const present = await this.docker
          .getImage(image)
          .inspect()
          .then(
            () => true,
            () => false,
          );
        if (present) return this.start(image);
      }
      return undefined;
    })();
    this.holder = { id, until: Date.now() + (HOLDER_SECONDS / 2) * 1000 };
    // None started: the batches waiting get `none`, the next ones start a holder from their own image.
    void id.then((started) => {
      if (!started && this.holder?.id === id) this.holder = undefined;
    });
  }

  /**
   * Removes the holder. A call while another removes it waits for that one: a run closes the tester once its tests
   * are over, and again as it ends.
   */
  close(): Promise<void> {
    const holder = this.holder;
    this.holder = undefined;
    if (!holder) return this.closing;
    this.closing = (async () => {
      const id = await holder.id;
      if (id)
        await this.docker
          .getContainer(id)
          .remove({ force: true })
          .catch(() => undefined);
    })();
    return this.closing;
  }

  private async start(image: string): Promise<string | undefined> {
    try {
      const container = await this.docker.createContainer({
        Image: image,
        Entrypoint: ['/bin/sh', '-c', `exec sleep ${HOLDER_SECONDS}`],
        Cmd: [],
        Labels: { 'io.neurons.smoke-network': 'holder' },
        HostConfig: { NetworkMode: 'none', AutoRemove: true },
      });
      await container.start();
      return container.id;
    } catch {
      return undefined;
    }
  }
}
