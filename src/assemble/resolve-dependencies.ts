import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { indexIdentity } from '../inputs/build-inputs.js';
import type { Config, ResolvedRegistry } from '../config/load-config.js';
import type { WorkerFolder } from '../definitions/types.js';
import {
  layerKey as dependencyLayerKey,
  resolveDependencies,
  type DependencyRequest,
  type DependencyResolution,
} from '../deps/dependency-layer.js';
import { hostPythonVersion } from '../deps/pip.js';
import { pythonHomeOf, pythonVersionOf } from '../deps/python-platform.js';
import { recall, remember, resolutionKey, type ResolutionCache } from '../deps/resolution-cache.js';
import { parseImageReference } from '../images/reference.js';
import { cacheDirectory } from '../util/cache-directory.js';
import { resolveBaseImage, type BasePlatformImage, type ResolvedBaseImage } from '../oci/base-image.js';
import { formatPlatform, type Platform } from '../oci/platform.js';
import type { RegistryClientPool } from '../registry/client-pool.js';
import type { RegistryClient } from '../registry/client.js';
import { HttpTransport } from '../transport/http-transport.js';

/** What one platform of a folder's image gets: exact packages resolved on the host, or a container install. */
export interface PlatformDependencies {
  image: BasePlatformImage;
  /** `resolved`: exact versions (the layer's key is theirs); `engine`: installed in a container (keyed by the files); `none`. */
  resolution: DependencyResolution;
  /** The key of the dependency layer in the registry cache. */
  key: string | undefined;
  /** The request the layer is installed from. */
  request: DependencyRequest;
}

export interface UnitDependencies {
  base: ResolvedBaseImage;
  /** `host/repository` of the base image. */
  baseName: string;
  baseClient: RegistryClient;
  platforms: PlatformDependencies[];
  /** What the build inputs record: per platform, the exact versions (or how they are installed). */
  summary: string;
}

const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** Where resolutions are remembered: `$XDG_CACHE_HOME/neurons/resolutions` (or `NEURONS_CACHE_DIR`). */
export function resolutionDirectory(env: NodeJS.ProcessEnv): string {
  return path.join(cacheDirectory(env), 'resolutions');
}

/**
 * Resolves the dependencies of the folders a run assembles, before anything is decided: the exact versions are build
 * inputs, so a new release of a transitive dependency rebuilds exactly the images that resolve it. Shared by every
 * folder of a run: base images are read once, index pages fetched once, pip run once per distinct question.
 */
export class DependencyResolver {
  private readonly bases = new Map<string, Promise<ResolvedBaseImage>>();
  private readonly pages = new Map<string, Promise<Buffer | undefined>>();
  private readonly answers = new Map<string, Promise<DependencyResolution>>();
  private transport: HttpTransport | undefined;
  private scratch: Promise<string> | undefined;
  private readonly cache: ResolutionCache;

  constructor(
    private readonly config: Config,
    private readonly clients: RegistryClientPool,
    env: NodeJS.ProcessEnv,
  ) {
    this.cache = { directory: resolutionDirectory(env), fetchPage: (url) => this.page(url) };
  }

  async close(): Promise<void> {
    await this.transport?.close();
    if (this.scratch) await rm(await this.scratch, { recursive: true, force: true });
  }

  baseClient(host: string): RegistryClient {
    const registry = this.config.registries.find((candidate) => candidate.host === host);
    const anonymous: ResolvedRegistry = {
      host,
      namespace: '',
      credentials: undefined,
      ca: this.config.trust.caPems,
      plainHttp: false,
      insecure: false,
    };
    return this.clients.for(registry ?? anonymous);
  }

  base(reference: string, platforms: Platform[], file: string): Promise<ResolvedBaseImage> {
    const key = `${reference}\0${platforms.map(formatPlatform).join(',')}`;
    let pending = this.bases.get(key);
    if (!pending) {
      const parsed = parseImageReference(reference);
      pending = resolveBaseImage(
        this.baseClient(parsed.host),
        parsed.repository,
        parsed.digest ?? parsed.tag ?? 'latest',
        platforms,
        file,
      );
      this.bases.set(key, pending);
    }
    return pending;
  }

  /** One folder's dependencies on each platform. */
  async resolve(
    repo: string,
    worker: WorkerFolder,
    requirements: string | undefined,
    baseImage: string,
    platforms: Platform[],
  ): Promise<UnitDependencies> {
    // The layer key needs the host's Python (see compilesBytecodeFor): asked now, it answers while the base is read.
    if (worker.runtime !== 'node') void hostPythonVersion().catch(() => undefined);
    const base = await this.base(baseImage, platforms, worker.path);
    const parsed = parseImageReference(baseImage);
    const runtime = worker.runtime === 'node' ? 'node' : 'python';
    const folder = path.join(repo, worker.path);
    const index = this.config.packageIndex;
    const caFile = index?.caPem ? await this.caFile(index.caPem) : undefined;
    const resolved = await Promise.all(
      base.images.map(async (image): Promise<PlatformDependencies> => {
        const pythonVersion = runtime === 'python' ? pythonVersionOf(image.config) : undefined;
        const pythonHome = runtime === 'python' ? pythonHomeOf(image.config) : undefined;
        const request: DependencyRequest = {
          runtime,
          platform: image.platform,
          baseDigest: image.manifestDigest,
          folder,
          ...(requirements ? { requirements } : {}),
          ...(pythonVersion ? { pythonVersion } : {}),
          ...(pythonHome ? { pythonHome } : {}),
          ...(index
            ? {
                index: {
                  url: index.url,
                  ...(index.extraUrl ? { extraUrl: index.extraUrl } : {}),
                  ...(index.credentials
                    ? { username: index.credentials.username, password: index.credentials.password }
                    : {}),
                  ...(caFile ? { caFile } : {}),
                },
              }
            : {}),
          ...(this.config.npmRegistry ? { npmRegistry: this.config.npmRegistry } : {}),
          file: worker.path,
        };
        const resolution = await this.answer(request);
        return { image, resolution, request, key: await this.layerKey(request, resolution) };
      }),
    );
    const summary = JSON.stringify(
      resolved.map(({ image, resolution }) => [
        formatPlatform(image.platform),
        resolution.kind === 'resolved'
          ? resolution.packages.map((item) => `${item.name}==${item.version}`)
          : resolution.kind,
      ]),
    );
    return {
      base,
      baseName: `${parsed.host}/${base.repository}`,
      baseClient: this.baseClient(parsed.host),
      platforms: resolved,
      summary,
    };
  }

  /** pip's answer for one folder and platform: remembered while the index pages it came from are unchanged. */
  private answer(request: DependencyRequest): Promise<DependencyResolution> {
    if (request.runtime !== 'python' || !request.requirements || !request.pythonVersion)
      return resolveDependencies(request);
    const requirementsFile = path.join(request.folder, request.requirements);
    if (!existsSync(requirementsFile)) return resolveDependencies(request);
    const question = (async () => {
      const indexUrls = [request.index?.url, request.index?.extraUrl].filter((url): url is string => Boolean(url));
      const key = resolutionKey({
        requirements: await readFile(requirementsFile),
        platform: formatPlatform(request.platform),
        pythonVersion: request.pythonVersion,
        indexUrls,
      });
      let pending = this.answers.get(key);
      if (!pending) {
        pending = (async (): Promise<DependencyResolution> => {
          const packages = await recall(this.cache, key);
          if (packages)
            return {
              kind: 'resolved',
              packages,
              key: await dependencyLayerKey(request, packages),
            };
          const fresh = await resolveDependencies(request);
          if (fresh.kind === 'resolved')
            await remember(this.cache, key, indexUrls, fresh.packages).catch(() => undefined);
          return fresh;
        })();
        this.answers.set(key, pending);
      }
      const answer = await pending;
      // The same question for another base digest: the packages hold, the layer key is this base's.
      return answer.kind === 'resolved'
        ? {
            ...answer,
            key: await dependencyLayerKey(request, answer.packages),
          }
        : answer;
    })();
    return question;
  }

  /** The dependency layer's key: the exact versions when resolved on the host, else the files that declare them. */
  private async layerKey(request: DependencyRequest, resolution: DependencyResolution): Promise<string | undefined> {
    if (resolution.kind === 'none') return undefined;
    if (resolution.kind === 'resolved') return resolution.key;
    const files: Record<string, string> = {};
    for (const name of request.runtime === 'python'
      ? [request.requirements ?? 'requirements.txt']
      : ['package.json', 'package-lock.json', 'npm-shrinkwrap.json']) {
      const file = path.join(request.folder, name);
      if (existsSync(file)) files[name] = sha256(await readFile(file));
    }
    const index =
      request.runtime === 'python'
        ? [indexIdentity(request.index?.url ?? ''), indexIdentity(request.index?.extraUrl ?? '')]
        : [indexIdentity(request.npmRegistry ?? '')];
    return sha256(
      JSON.stringify({
        layout: 'neurons-dependencies-container/2',
        runtime: request.runtime,
        platform: formatPlatform(request.platform),
        base: request.baseDigest,
        files,
        index,
      }),
    );
  }

  private caFile(pem: string): Promise<string> {
    this.scratch ??= mkdtemp(path.join(tmpdir(), 'neurons-resolve-'));
    return this.scratch.then(async (directory) => {
      const file = path.join(directory, `ca-${sha256(pem).slice(7, 19)}.pem`);
      if (!existsSync(file)) await writeFile(file, pem);
      return file;
    });
  }

  /** One index page, fetched once per run, with the index's credentials and CA. */
  private page(url: string): Promise<Buffer | undefined> {
    let pending = this.pages.get(url);
    if (!pending) {
      const index = this.config.packageIndex;
      this.transport ??= new HttpTransport({
        ca: [...(index?.caPem ? [index.caPem] : []), ...this.config.trust.caPems],
        headersTimeoutMs: 30_000,
        bodyTimeoutMs: 60_000,
      });
      const headers: Record<string, string> = { accept: 'text/html' };
      if (index?.credentials)
        headers['authorization'] =
          `Basic ${Buffer.from(`${index.credentials.username}:${index.credentials.password}`).toString('base64')}`;
      const transport = this.transport;
      pending = transport
        .request({ method: 'GET', url, headers })
        .then((response) => (response.statusCode === 200 ? response.bytes : undefined));
      this.pages.set(url, pending);
    }
    return pending;
  }
}
