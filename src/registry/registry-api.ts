import type { ContentStore } from './content-store.js';
import { createHash } from 'node:crypto';
import type { RetryEvent } from '../transport/http-transport.js';

/* What the registry client and its callers share: where a registry is, how it answered, and digests. */

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistryEndpoint {
  /** `host[:port]` as in image references, e.g. `127.0.0.1:5443` or `docker.io`. */
  host: string;
  /** Extra CA certificates (PEM) trusted for this registry, on top of the system store. */
  ca?: string[];
  credentials?: RegistryCredentials;
  /** Plain HTTP (only for registries on loopback that serve no TLS). */
  plainHttp?: boolean;
  /** Skip TLS verification: the only way to, set explicitly per registry and logged loudly by the caller. */
  insecure?: boolean;
  /** A client certificate and key (PEM), for registries that require mutual TLS. */
  clientCertificate?: { cert: string; key: string };
  /** Told of every retry (a transient failure and the wait before the next attempt), for the run's log. */
  onRetry?: (event: RetryEvent) => void;
  /** Manifests and configurations by digest, kept between runs (content-store.ts): read once, not every run. */
  content?: ContentStore;
}

export interface ManifestInfo {
  digest: string;
  mediaType: string;
  size: number;
}

export interface ImageConfig {
  config?: { Labels?: Record<string, string> | null; Entrypoint?: string[] | null; Env?: string[] | null };
  architecture?: string;
  os?: string;
}

/** Docker Hub's image references say `docker.io`; its API lives elsewhere. */
export function apiHost(host: string): string {
  return host === 'docker.io' || host === 'index.docker.io' ? 'registry-1.docker.io' : host;
}

/** The OCI digest (`sha256:...`) of some bytes. */
export const digestOf = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export interface RegistryResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text (empty for HEAD), and as bytes. */
  body: string;
  bytes: Buffer;
  /** Attempts the transport made for it (retries of a transient failure included). */
  attempts?: number;
}

export interface CallOptions {
  /**
   * Whether the request may be sent again after a transient failure. Default: GET and HEAD only. A manifest PUT is
   * (same bytes, same tag), and so is the POST that opens an upload session (an unused session expires); a PUT or
   * PATCH into an upload session is not: the session may be gone after the first attempt (`registry/artifact.ts`
   * restarts the upload instead).
   */
  retry?: boolean;
}
