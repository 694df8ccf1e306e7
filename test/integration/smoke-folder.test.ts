import Docker from 'dockerode';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage } from '../../src/engine/docker-build.js';
import type { Flavor, WorkerFolder } from '../../src/definitions/types.js';
import { createTar } from '../../src/oci/tar.js';
import { smokeTestFolder } from '../../src/smoke/smoke-folder.js';
import { smokeTestFlavor, type SmokeCase, type SmokeResult } from '../../src/smoke/smoke-test.js';
import { environmentState, uniqueNamespace } from '../helpers/environment.js';

const docker = new Docker();

/**
 * A worker that reports the container it ran in (its host name) and whether /job held anything but its input when
 * it started: the folder's jobs share a container, each must find a clean /job.
 */
const reporter = (name: string) => `import json, os, socket, sys
job = sys.argv[1]
leftovers = sorted(set(os.listdir(job)) - {"input", "output"}) + sorted(os.listdir(os.path.join(job, "output")))
os.makedirs(os.path.join(job, "output"), exist_ok=True)
with open(os.path.join(job, "output", "stray.txt"), "w") as handle:
    handle.write("left by ${name}")
value = socket.gethostname() if not leftovers else "dirty: " + ",".join(leftovers)
report = {"success": True, "summary": {"taxonomies": [{"level": "info", "namespace": "${name}", "predicate": "Host", "value": value}]}, "full": {}}
with open(os.path.join(job, "output", "output.json"), "w") as handle:
    json.dump(report, handle)
`;

const files: Record<string, string> = {
  'first.py': reporter('First'),
  'second.py': reporter('Second'),
  'crashes.py': 'import json\nraise RuntimeError("boom in the third flavor")\n',
};

/** Hosts named in a passed job's detail (`success; First:Host="<host>" (exit code 0)`). */
function hostOf(result: SmokeResult | undefined): string {
  const job = result?.cases.find((smokeCase: SmokeCase) => smokeCase.name.startsWith('generated job'));
  return /:Host="([^"]+)"/.exec(job?.detail ?? '')?.[1] ?? `no host in ${JSON.stringify(result?.cases)}`;
}

describe('smoke test of the flavors of one folder in one container, against the real engine', () => {
  const tag = uniqueNamespace('smoke-folder');
  const images: string[] = [];
  let repo: string;
  let worker: WorkerFolder;
  const flavors: Flavor[] = [];

  beforeAll(async () => {
    const host = (await environmentState()).registry.host;
    repo = await mkdtemp(path.join(tmpdir(), 'neurons-smoke-folder-'));
    const scripts = ['first.py', 'second.py', 'crashes.py'];
    for (const script of scripts) {
      // One filesystem (same base, same files, same working directory), three entry points: a folder's flavors.
      const dockerfile = `FROM ${host}/base/python:3.11-bookworm\nWORKDIR /worker\nCOPY worker/ /worker/Trio/\nENTRYPOINT ["python3", "Trio/${script}"]\n`;
      const context = createTar(
        Object.entries({ Dockerfile: dockerfile, ...prefixed(files) }).map(([name, content]) => ({
          name,
          type: 'file' as const,
          mode: 0o644,
          data: Buffer.from(content),
        })),
      );
      const image = `neurons-smoke-folder/trio-${script.replace('.py', '')}:${tag}`;
      await buildImage(docker, context, {
        tag: image,
        dockerfile: 'Dockerfile',
        buildArgs: {},
        labels: {},
        registryAuth: {},
        file: 'analyzers/Trio',
      });
      images.push(image);
      const name = `Trio_${script.replace('.py', '')}`;
      flavors.push({
        file: `analyzers/Trio/${name}.json`,
        id: `${name}_1_0`,
        definition: {
          name,
          version: '1.0',
          author: 'test',
          url: '',
          license: 'AGPL-V3',
          description: '',
          dataTypeList: ['domain'],
          command: `Trio/${script}`,
          baseConfig: 'Trio',
        },
      });
    }
    worker = {
      kind: 'analyzer',
      directory: 'Trio',
      path: 'analyzers/Trio',
      runtime: 'python',
      flavors,
      definitionFiles: flavors.map((flavor) => flavor.file),
      errorCount: 0,
    };
  });

  afterAll(async () => {
    for (const image of images)
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    if (repo) await rm(repo, { recursive: true, force: true });
  });

  const options = (scriptChecks = new Map<string, Promise<SmokeCase>>()) => ({
    repo,
    worker,
    timeoutMs: 60_000,
    network: 'none',
    scriptChecks,
  });

  it('runs the passing flavors in one container, each on a clean /job, and reports as a lone run would', async () => {
    const results = await smokeTestFolder(docker, {
      ...options(),
      images: images.map((image, index) => ({ image, flavor: flavors[index] as Flavor })),
    });
    expect(results.map((result) => [result.flavorId, result.passed])).toEqual([
      ['Trio_first_1_0', true],
      ['Trio_second_1_0', true],
      ['Trio_crashes_1_0', false],
    ]);
    const [first, second, crashes] = results;
    // One container for both jobs: the same host name; neither found what the other left in /job.
    expect(hostOf(first)).toMatch(/^[0-9a-f]{12}$/);
    expect(hostOf(second)).toBe(hostOf(first));
    // Each case as a container of its own gives it, in the same order; the script check ran once for the filesystem.
    const lone = await smokeTestFlavor(docker, {
      ...options(),
      image: images[1] as string,
      flavor: flavors[1] as Flavor,
    });
    expect(hostOf(lone)).not.toBe(hostOf(second));
    expect(second?.cases.map((smokeCase) => smokeCase.name)).toEqual(lone.cases.map((smokeCase) => smokeCase.name));
    expect(second?.cases[1]).toEqual(lone.cases[1]);
    expect(second?.cases[1]?.detail).toMatch(/every top-level import of \/worker\/Trio\/second\.py resolves: json/);
    // The failing flavor is tested again alone: its problem is exactly the one a lone run gives.
    const crashedAlone = await smokeTestFlavor(docker, {
      ...options(),
      image: images[2] as string,
      flavor: flavors[2] as Flavor,
    });
    expect(crashes?.problem).toEqual(crashedAlone.problem);
    expect(crashes?.problem?.message).toMatch(/RuntimeError: boom in the third flavor/);
  });

  it('tests an image it cannot inspect alone, and the others of the folder still together', async () => {
    const results = await smokeTestFolder(docker, {
      ...options(),
      images: [
        { image: images[0] as string, flavor: flavors[0] as Flavor },
        { image: `${tag}-missing/trio:none`, flavor: flavors[1] as Flavor },
      ],
    });
    expect(results[0]?.passed).toBe(true);
    // An image the engine does not have cannot be inspected: tested alone, it fails as a lone run does.
    expect(results[1]?.passed).toBe(false);
    expect(results[1]?.cases.map((smokeCase) => smokeCase.detail).join('\n')).toMatch(
      /did not start|could not be inspected/,
    );
  });
});

function prefixed(worker: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(worker).map(([name, content]) => [`worker/${name}`, content]));
}
