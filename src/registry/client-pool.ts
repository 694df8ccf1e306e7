import type { ResolvedRegistry } from './endpoint.js';
import { logRetries } from '../transport/http-transport.js';
import { RegistryClient } from './client.js';
import type { ContentStore } from './content-store.js';

/** A client for a configured registry: its CA, TLS mode, client certificate and credentials; `log` hears retries. */
export function registryClientFor(
  registry: Pick<ResolvedRegistry, 'host' | 'ca' | 'plainHttp' | 'insecure' | 'credentials' | 'clientCertificate'>,
  log?: (line: string) => void,
  content?: ContentStore,
): RegistryClient {
  return new RegistryClient({
    ...(log ? { onRetry: logRetries(log, 'registry') } : {}),
    ...(content ? { content } : {}),
    host: registry.host,
    ca: registry.ca,
    plainHttp: registry.plainHttp,
    insecure: registry.insecure,
    ...(registry.clientCertificate ? { clientCertificate: registry.clientCertificate } : {}),
    ...(registry.credentials ? { credentials: registry.credentials } : {}),
  });
}

/** One client per registry of a run: connections and bearer tokens are reused across all its requests. */
export class RegistryClientPool {
  private readonly clients = new Map<string, RegistryClient>();
  private readonly log: ((line: string) => void) | undefined;
  private readonly content: ContentStore | undefined;

  /**
   * `log` hears every retry of every client (one line each), so a run says what it waited out; `content` keeps what
   * digests name between runs (content-store.ts), for every registry of the run.
   */
  constructor(log?: (line: string) => void, options: { content?: ContentStore } = {}) {
    this.log = log;
    this.content = options.content;
  }

  for(registry: ResolvedRegistry): RegistryClient {
    let client = this.clients.get(registry.host);
    if (!client) {
      client = registryClientFor(registry, this.log, this.content);
      this.clients.set(registry.host, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.close()));
    await this.content?.close?.();
  }
}
