/**
 * The labels that say which worker a flavor image is: written by the flavor template (`templates/partials/labels.hbs`,
 * on every flavor image, a worker's own Dockerfile included, since its flavors are built on top of it) and read back
 * by the catalog stage before an entry may name the image.
 */
export const workerIdLabel = 'io.neurons.worker-id';
export const workerKindLabel = 'io.neurons.worker-kind';
export const versionLabel = 'org.opencontainers.image.version';
/** The commit of the sources an image was made from (absent outside git): what the catalog index records of it. */
export const revisionLabel = 'org.opencontainers.image.revision';

/** A flavor as the engine knows it: its id (`name_version`, see createWorkerId), kind and version. */
export interface WorkerIdentity {
  id: string;
  kind: 'analyzer' | 'responder';
  version: string;
}

/** What an image's labels say it is; a label it lacks is undefined. */
export interface LabelClaim {
  id: string | undefined;
  kind: string | undefined;
  version: string | undefined;
}

export function claimOf(labels: Record<string, string>): LabelClaim {
  return { id: labels[workerIdLabel], kind: labels[workerKindLabel], version: labels[versionLabel] };
}

export function sameClaim(left: LabelClaim, right: LabelClaim): boolean {
  return left.id === right.id && left.kind === right.kind && left.version === right.version;
}

/** Whether the labels say exactly this flavor: its id, its kind and its version. */
export function claimsIdentity(claim: LabelClaim, identity: WorkerIdentity): boolean {
  return sameClaim(claim, identity);
}

/** `HashCalc_MD5_1_0 (analyzer, version 1.0)`, or what is missing. */
export function describeClaim(claim: LabelClaim): string {
  if (claim.id === undefined && claim.kind === undefined && claim.version === undefined) return 'no worker labels';
  return `${claim.id ?? 'no worker id'} (${claim.kind ?? 'no kind'}, version ${claim.version ?? 'unknown'})`;
}
