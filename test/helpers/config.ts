import type { Config } from '../../src/config/load-config.js';

/** A configuration with fixed values, independent of any local environment. */
export const testConfig: Config = {
  registries: [],
  baseImages: { python: 'mirror/python:3.11', go: 'mirror/go:1.19', node: 'mirror/node:18' },
  packageIndex: {
    url: 'https://index.example/simple/',
    extraUrl: undefined,
    credentials: { username: 'u', password: 'index-secret' },
    caPem: 'PEM',
  },
  npmRegistry: undefined,
  goProxy: undefined,
  templates: {},
  workers: {},
  trust: { caPems: [], runtime: false },
  platforms: [{ os: 'linux', architecture: 'amd64' }],
  smoke: { emulated: 'per-dependency-layer' },
  assemble: true,
  channel: 'stable',
  latest: false,
  output: '/tmp/out',
  sources: [],
  notice: undefined,
};
