/**
 * The layers of `src/`, lowest first: a folder may import only folders of a lower layer. Folders of one layer are
 * siblings and import nothing of each other (`allowedImports` would declare an interface between two). The stages run
 * in this order too: what a stage needs from another is below it.
 */
export const layers: Record<string, { layer: number; owns: string }> = {
  errors: { layer: 0, owns: 'coded errors and problems, exit codes' },
  util: {
    layer: 1,
    owns: 'atomic writes, limits, masking, printable text, the ZIP writer, git commands, validators built ahead',
  },
  state: { layer: 2, owns: 'the state directories (the local environment record)' },
  trust: { layer: 2, owns: 'PEM bundles, the trust store, certificate chains' },
  transport: {
    layer: 3,
    owns: 'the one HTTP transport: trust, timeouts, retries, budgets; GitHub and trusted fetches',
  },
  registry: { layer: 4, owns: 'the registry HTTP API: endpoints, tokens, manifests, blobs, Docker credentials' },
  oci: { layer: 5, owns: 'OCI objects: platforms, deterministic tar and layers, images and indexes, base images' },
  images: { layer: 6, owns: 'image names, tags and channels, references in every form, labels' },
  definitions: { layer: 7, owns: 'discovery and validation of worker definitions, report templates, baselines' },
  config: { layer: 8, owns: 'neurons.json, environment variables and flags, resolved to one configuration' },
  inputs: { layer: 9, owns: 'build inputs and their digest, the files of a worker folder' },
  engine: { layer: 9, owns: 'the Docker engine: builds, progress streams, saved archives' },
  ca: { layer: 9, owns: 'the private CA: certificates, inspection, engine trust' },
  'github-actions': { layer: 9, owns: 'workflow commands, job summary and outputs' },
  deps: { layer: 10, owns: 'dependency layers made on the host for any platform' },
  render: { layer: 11, owns: 'Dockerfiles from templates, base image pinning, Go protocol detection' },
  plan: { layer: 12, owns: 'what to build and tag, decided from the registry; shards' },
  runner: { layer: 12, owns: 'running a job exactly as Cortex does' },
  smoke: { layer: 13, owns: 'smoke tests of built images' },
  assemble: { layer: 14, owns: 'images assembled in the registry from layers' },
  'engine-build': { layer: 15, owns: 'images built by the engine: folder builds and flavor images' },
  detect: { layer: 16, owns: 'what changed: git, pull requests, build-input digests' },
  generate: { layer: 16, owns: 'the generated Dockerfiles on disk' },
  push: { layer: 16, owns: 'pushing engine-built images, image metadata' },
  publish: { layer: 16, owns: 'the publication layout and its targets (folder, HTTP, GitHub release, OCI, S3)' },
  init: { layer: 16, owns: 'what neurons init writes' },
  catalog: { layer: 17, owns: 'engine catalogs, the signed index, the page, refresh' },
  update: { layer: 18, owns: 'the engine-side updater' },
  'pipeline-context': {
    layer: 18,
    owns: "the pipeline's options, report and outcomes, and what one run's units share",
  },
  environment: { layer: 18, owns: 'the local environment: engine, registry, mirror, package index, base images' },
  watch: { layer: 19, owns: 'the watcher for repositories without CI' },
  'pipeline-engine-unit': { layer: 19, owns: 'the pipeline for a folder the engine built: smoke test, save or push' },
  'pipeline-assembled-unit': { layer: 19, owns: 'the pipeline for a folder assembled in the registry' },
  'pipeline-catalog': { layer: 19, owns: 'the catalog stage of the pipeline' },
  'pipeline-detect': {
    layer: 19,
    owns: 'the detection stage of the pipeline, and what it starts for the folders it decides to build',
  },
  pipeline: { layer: 20, owns: 'the pipeline: stages in order' },
  cli: { layer: 21, owns: 'the command line: one file per command' },
  index: { layer: 22, owns: 'the library entry point' },
};

export function layerOf(unit: string): number | undefined {
  return layers[unit]?.layer;
}

/** Imports between siblings, or up, declared as interfaces: `from -> to`. None today. */
export const allowedImports = new Set<string>();
