import Docker from 'dockerode';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueServerCertificate } from '../../src/ca/certificates.js';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { prepareJobFolder } from '../../src/runner/prepare-job.js';
import { runJob } from '../../src/runner/run-job.js';
import { environmentState, runCli, uniqueNamespace, type CliResult } from '../helpers/environment.js';
import { layersHold, scanEngine } from '../helpers/image-scan.js';
import { inNamespace, removeReferences } from '../helpers/test-images.js';

/** A zip archive of stored (uncompressed) files, as a Go module proxy serves a module version. */
function zipOf(files: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const nameBytes = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Go's `h1:` hash (golang.org/x/mod/sumdb/dirhash Hash1) of named files, as go.sum records it. */
function hash1(files: Record<string, string>): string {
  const summary = Object.keys(files)
    .sort()
    .map(
      (name) =>
        `${createHash('sha256')
          .update(files[name] ?? '')
          .digest('hex')}  ${name}\n`,
    )
    .join('');
  return `h1:${createHash('sha256').update(summary).digest('base64')}`;
}

const greetMod = 'module example.com/greet\n\ngo 1.19\n';
const greetFiles = {
  'example.com/greet@v1.0.0/go.mod': greetMod,
  'example.com/greet@v1.0.0/greet.go':
    'package greet\n\nfunc Hello(what string) string { return "hello from the proxy, " + what }\n',
};

describe('an unvendored Go module builds from the configured module proxy, whose credentials stay out of the engine', () => {
  const docker = new Docker();
  const proxyPassword = `gop-${randomBytes(12).toString('base64url')}`;
  const served: Array<{ path: string; authorized: boolean }> = [];
  let state: EnvironmentState;
  let proxy: Server;
  let namespace: string;
  let build: CliResult;

  beforeAll(async () => {
    state = await environmentState();
    const ca = createCertificateAuthority({ commonName: 'neurons go proxy test', days: 1 });
    const certificate = issueServerCertificate(ca, { hosts: ['localhost'], ips: ['127.0.0.1'], days: 1 });
    const expected = `Basic ${Buffer.from(`go-test:${proxyPassword}`).toString('base64')}`;
    const answers: Record<string, Buffer> = {
      '/example.com/greet/@v/list': Buffer.from('v1.0.0\n'),
      '/example.com/greet/@v/v1.0.0.info': Buffer.from('{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}'),
      '/example.com/greet/@v/v1.0.0.mod': Buffer.from(greetMod),
      '/example.com/greet/@v/v1.0.0.zip': zipOf(greetFiles),
    };
    proxy = createServer(
      { cert: `${certificate.certificatePem}${ca.certificatePem}`, key: certificate.keyPem },
      (request, response) => {
        const authorized = request.headers.authorization === expected;
        served.push({ path: request.url ?? '', authorized });
        const body = answers[request.url ?? ''];
        if (!authorized) response.writeHead(401, { 'www-authenticate': 'Basic realm="go"' }).end();
        else if (body) response.writeHead(200).end(body);
        else response.writeHead(404).end();
      },
    );
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as AddressInfo;

    const repo = await mkdtemp(path.join(tmpdir(), 'neurons-go-proxy-'));
    const folder = path.join(repo, 'analyzers', 'GoProxied');
    await mkdir(folder, { recursive: true });
    const files: Record<string, string> = {
      'GoProxied.json': JSON.stringify({
        name: 'GoProxied',
        version: '1.0',
        author: 'neurons tests',
        url: 'https://example.org',
        license: 'AGPL-V3',
        description: 'A Go worker whose dependency comes from a module proxy',
        dataTypeList: ['other'],
        command: 'GoProxied/goproxied',
        baseConfig: 'GoProxied',
      }),
      'go.mod': 'module example.com/goproxied\n\ngo 1.19\n\nrequire example.com/greet v1.0.0\n',
      'go.sum': `example.com/greet v1.0.0 ${hash1(greetFiles)}\nexample.com/greet v1.0.0/go.mod ${hash1({ 'go.mod': greetMod })}\n`,
      'main.go':
        'package main\n\nimport (\n\t"encoding/json"\n\t"fmt"\n\t"os"\n\n\t"example.com/greet"\n)\n\nfunc main() {\n\tvar in struct{ Data string }\n\tjson.NewDecoder(os.Stdin).Decode(&in)\n\tout, _ := json.Marshal(map[string]interface{}{"success": true, "full": map[string]string{"greeting": greet.Hello(in.Data)}})\n\tfmt.Println(string(out))\n}\n',
    };
    for (const [name, content] of Object.entries(files)) await writeFile(path.join(folder, name), content);
    const caFile = path.join(repo, 'proxy-ca.pem');
    await writeFile(caFile, ca.certificatePem);
    namespace = uniqueNamespace('goproxy');
    build = await runCli(['build', '--repo', repo, '--namespace', namespace, '--all'], {
      NEURONS_GOPROXY: `https://go-test:${proxyPassword}@127.0.0.1:${port}/`,
      NEURONS_TRUST_CA: caFile,
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => proxy.close(resolve));
    await removeReferences(docker, inNamespace(namespace));
  });

  it('downloads the requirement from the proxy with its credentials, and the worker runs', async () => {
    expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0);
    expect(served.filter((request) => request.authorized && request.path.endsWith('.zip'))).not.toEqual([]);
    expect(`${build.stdout}${build.stderr}`).not.toContain(proxyPassword);
    const job = await mkdtemp(path.join(tmpdir(), 'neurons-go-proxy-job-'));
    await prepareJobFolder(job, {
      dataType: 'other',
      observable: { data: 'world' },
      tlp: 2,
      pap: 2,
      message: '',
      parameters: {},
      config: {},
    });
    const run = await runJob(docker, `${state.registry.host}/${namespace}/goproxied:1.0`, job, {
      timeoutMs: 120_000,
      network: 'none',
    });
    expect(JSON.parse(await readFile(path.join(job, 'output', 'output.json'), 'utf8')), run.logs).toEqual({
      success: true,
      full: { greeting: 'hello from the proxy, world' },
    });
  });

  it('leaves the proxy password in no image, history, label or cached builder stage, nor in the download step layer', async () => {
    const { scanned, leaks } = await scanEngine(docker, { 'module proxy password': proxyPassword });
    expect(scanned).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
    const { port } = proxy.address() as AddressInfo;
    const downloadSteps: string[] = [];
    for (const image of await docker.listImages({ all: true })) {
      const history = await docker
        .getImage(image.Id)
        .history()
        .catch(() => []);
      if (JSON.stringify(history[0] ?? {}).includes(`NEURONS_GOPROXY=https://127.0.0.1:${port}/`))
        downloadSteps.push(image.Id);
    }
    expect(downloadSteps.length).toBeGreaterThan(0);
    for (const id of downloadSteps) expect(await layersHold(docker, id, [proxyPassword]), id).toEqual([]);
  });
});
