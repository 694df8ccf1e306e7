import { createHash, timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import path from 'node:path';

export interface PackageIndexOptions {
  /** Folder of wheel files. */
  root: string;
  host: string;
  port: number;
  certificatePem: string;
  keyPem: string;
  username: string;
  password: string;
}

/** PEP 503 normalized project name. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * A PEP 503 "simple" package index over HTTPS with basic authentication, serving the wheels in `root`:
 * what fixture workers install their requirements from, with no internet.
 */
export function startPackageIndex(options: PackageIndexOptions): Promise<Server> {
  const expected = Buffer.from(`Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`);
  const server = createServer({ cert: options.certificatePem, key: options.keyPem }, (request, response) => {
    const given = Buffer.from(request.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      response.writeHead(401, { 'www-authenticate': 'Basic realm="neurons-index"' }).end('unauthorized\n');
      return;
    }
    const files = readdirSync(options.root).filter((file) => file.endsWith('.whl'));
    const url = new URL(request.url ?? '/', 'https://index');
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] === 'simple' && parts.length === 1) {
      const projects = [...new Set(files.map((file) => normalizeProjectName(file.split('-')[0] ?? '')))].sort();
      const links = projects.map((project) => `<a href="/simple/${project}/">${project}</a>`).join('\n');
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!DOCTYPE html><html><body>\n${links}\n</body></html>\n`);
      return;
    }
    if (parts[0] === 'simple' && parts.length === 2) {
      const project = normalizeProjectName(parts[1] ?? '');
      const matching = files.filter((file) => normalizeProjectName(file.split('-')[0] ?? '') === project);
      if (matching.length === 0) {
        response.writeHead(404).end('not found\n');
        return;
      }
      const links = matching
        .map((file) => {
          const digest = createHash('sha256')
            .update(readFileSync(path.join(options.root, file)))
            .digest('hex');
          return `<a href="/packages/${escapeHtml(file)}#sha256=${digest}">${escapeHtml(file)}</a>`;
        })
        .join('\n');
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<!DOCTYPE html><html><body>\n${links}\n</body></html>\n`);
      return;
    }
    if (parts[0] === 'packages' && parts.length === 2 && files.includes(parts[1] ?? '')) {
      response
        .writeHead(200, { 'content-type': 'application/octet-stream' })
        .end(readFileSync(path.join(options.root, parts[1] ?? '')));
      return;
    }
    response.writeHead(404).end('not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}

// Run as a service: `node package-index-server.js <config.json>` (started by `neurons env up`).
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1])) && process.argv[2]) {
  const config = JSON.parse(readFileSync(process.argv[2], 'utf8')) as Omit<
    PackageIndexOptions,
    'certificatePem' | 'keyPem'
  > & {
    certificateFile: string;
    keyFile: string;
  };
  await startPackageIndex({
    ...config,
    certificatePem: readFileSync(config.certificateFile, 'utf8'),
    keyPem: readFileSync(config.keyFile, 'utf8'),
  });
  process.stdout.write(`package index listening on https://${config.host}:${config.port}/simple/\n`);
}
