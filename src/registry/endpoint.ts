/** A registry as every command uses it: where, as whom, and how its TLS is trusted (resolved from the configuration). */
export interface ResolvedRegistry {
  host: string;
  namespace: string;
  credentials: { username: string; password: string } | undefined;
  /** PEM text of extra CAs trusted for this registry. */
  ca: string[];
  plainHttp: boolean;
  /** TLS verification off for this registry: explicit in the configuration, warned about on every run. */
  insecure: boolean;
  /** Client certificate and key (PEM text) for mutual TLS. */
  clientCertificate?: { cert: string; key: string };
}
