import type Docker from 'dockerode';

export interface Leak {
  image: string;
  secret: string;
  where: string;
}

/**
 * Every image the engine holds, tagged, dangling or intermediate (the classic builder's cache of builder stages),
 * searched for the secrets: history (each step's command, with the build arguments it saw) and the whole inspect
 * document (configuration, environment, labels, the configuration of the container each step ran in).
 */
export async function scanEngine(
  docker: Docker,
  secrets: Record<string, string>,
): Promise<{ scanned: number; leaks: Leak[] }> {
  const ids = [...new Set((await docker.listImages({ all: true })).map((image) => image.Id))];
  const leaks: Leak[] = [];
  let scanned = 0;
  for (const id of ids) {
    let documents: Record<string, string>;
    try {
      const image = docker.getImage(id);
      documents = { history: JSON.stringify(await image.history()), inspect: JSON.stringify(await image.inspect()) };
    } catch (error) {
      // Removed since the listing (the engine is shared with other test runs): nothing left to leak.
      if ((error as { statusCode?: number }).statusCode === 404) continue;
      throw error;
    }
    scanned += 1;
    for (const [name, secret] of Object.entries(secrets)) {
      for (const [where, text] of Object.entries(documents))
        if (text.includes(secret)) leaks.push({ image: id, secret: name, where });
    }
  }
  return { scanned, leaks };
}

/** Whether the image's layers (as `docker save` exports them, uncompressed) hold any of the secrets. */
export async function layersHold(docker: Docker, id: string, secrets: string[]): Promise<string[]> {
  const found = new Set<string>();
  const longest = Math.max(...secrets.map((secret) => secret.length));
  let tail = Buffer.alloc(0);
  for await (const chunk of (await docker.getImage(id).get()) as AsyncIterable<Buffer>) {
    // Keep the end of the previous chunk: a secret may straddle two.
    const window = Buffer.concat([tail, chunk]);
    for (const secret of secrets) if (window.includes(secret)) found.add(secret);
    tail = window.subarray(Math.max(0, window.length - longest));
  }
  return [...found];
}
