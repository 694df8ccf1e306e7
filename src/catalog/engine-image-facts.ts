import { buildInputLabel } from '../inputs/build-inputs.js';
import { claimOf, revisionLabel } from '../images/worker-labels.js';
import type { EngineInspect } from '../plan/decide-local.js';
import { onceByReference, type ImageFacts, type ImageVerifier } from './image-facts.js';

/**
 * The catalog stage's image check of a local run (`--local`): what the engine's image store says of each reference
 * (`docker image inspect`), the same labels the registry check reads from an image's configuration. The digest
 * recorded is the engine's image id: an image that never left the engine has no manifest digest.
 */
export function createEngineImageVerifier(inspect: EngineInspect): ImageVerifier {
  const counts = { manifests: 0, labelled: 0, known: 0 };
  const read = async (reference: string): Promise<ImageFacts> => {
    counts.labelled += 1;
    const image = await inspect(reference);
    if (!image) return { state: 'missing' };
    return {
      state: 'labelled',
      digest: image.id,
      claim: claimOf(image.labels),
      recorded: { buildInputDigest: image.labels[buildInputLabel], revision: image.labels[revisionLabel] },
    };
  };
  return { counts, facts: onceByReference(read) };
}
