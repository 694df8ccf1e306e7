import type { ResolvedRegistry } from '../config/load-config.js';
import { RegistryClient } from './client.js';

/** A client for a configured registry: its CA, TLS mode, client certificate and credentials. */
export function registryClientFor(registry: Pick<ResolvedRegistry, 'host' | 'ca' | 'plainHttp' | 'insecure' | 'credentials' | 'clientCertificate'>): RegistryClient {
  return new RegistryClient({
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

  for(registry: ResolvedRegistry): RegistryClient {
    let client = this.clients.get(registry.host);
    if (!client) {
      client = registryClientFor(registry);
      this.clients.set(registry.host, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.close()));
  }
}
