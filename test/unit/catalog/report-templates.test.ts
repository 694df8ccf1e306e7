import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { refreshCatalogs } from '../../../src/catalog/refresh-catalogs.js';
import { generateSigningKeys } from '../../../src/catalog/signing.js';
import { folderTarget } from '../../../src/publish/targets.js';
import { crc32, writeZip } from '../../../src/util/zip.js';
import { runCli } from '../ca/helpers.js';

const run = promisify(execFile);
const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../analyzers-fixture');
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/**
 * What TheHive's "Import templates" makes of an archive (ReportTemplateSrv.importZipFile), in Python's zipfile, an
 * independent reader: every non-folder `.html` entry, the analyzer from the first path component, the report type
 * from the second (`long` for any name it does not know); with each entry's bytes checked against its CRC.
 */
async function importedByTheHive(
  zip: Buffer,
): Promise<Array<{ analyzerId: string; reportType: string; content: string; utf8Flag: boolean }>> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'neurons-zip-')), 'report-templates.zip');
  await writeFile(file, zip);
  const script = [
    'import json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'assert z.testzip() is None',
    'out = []',
    'for info in z.infolist():',
    '    if info.is_dir() or not info.filename.endswith(".html"): continue',
    '    analyzer, ext = (info.filename + "/").split("/", 2)[:2]',
    '    kind = ext[:-5] if ext.endswith(".html") else ext',
    '    out.append({"analyzerId": analyzer, "reportType": kind if kind in ("long", "short") else "long", "content": z.read(info).decode("utf-8"), "utf8Flag": bool(info.flag_bits & 0x800)})',
    'print(json.dumps(out))',
  ].join('\n');
  const { stdout } = await run('python3', ['-c', script, file]);
  // Info-ZIP's own test of the archive, a second independent reader.
  await run('unzip', ['-tqq', file]);
  return JSON.parse(stdout) as Array<{ analyzerId: string; reportType: string; content: string; utf8Flag: boolean }>;
}

describe('the ZIP writer', () => {
  it('computes CRC-32 as zlib does', () => {
    for (const size of [0, 1, 7, 1000, 65_537]) {
      const bytes = randomBytes(size);
      expect(crc32(bytes)).toBe(zlibCrc32(bytes));
    }
  });

  it('writes an archive Python and Info-ZIP read back byte for byte, UTF-8 names flagged, deflated or stored', async () => {
    const long = Buffer.from(`<div class="panel">${'<p>{{content.full}}</p>\n'.repeat(200)}</div>\n`);
    const entries = [
      { name: 'VirusTotal_GetReport_3_1/long.html', bytes: long },
      { name: 'VirusTotal_GetReport_3_1/short.html', bytes: Buffer.from('<span>x</span>') },
      { name: 'Détecteur_1_0/long.html', bytes: Buffer.from('<p>é</p>') },
    ];
    const zip = writeZip(entries);
    // Deflate made the long template smaller; the archive is far smaller than its content.
    expect(zip.length).toBeLessThan(long.length / 4);
    const read = await importedByTheHive(zip);
    expect(read.map(({ analyzerId, reportType }) => `${analyzerId}/${reportType}`)).toEqual([
      'Détecteur_1_0/long',
      'VirusTotal_GetReport_3_1/long',
      'VirusTotal_GetReport_3_1/short',
    ]);
    expect(
      read.find((entry) => entry.analyzerId === 'VirusTotal_GetReport_3_1' && entry.reportType === 'long')?.content,
    ).toBe(long.toString());
    expect(read.map((entry) => entry.utf8Flag)).toEqual([true, false, false]);
  });

  it('gives the same bytes for the same entries in any order, and other bytes for other content', () => {
    const a = { name: 'A_1_0/long.html', bytes: Buffer.from('<p>a</p>') };
    const b = { name: 'B_1_0/short.html', bytes: Buffer.from('<p>b</p>') };
    expect(writeZip([a, b]).equals(writeZip([b, a]))).toBe(true);
    expect(writeZip([a, b]).equals(writeZip([a, { ...b, bytes: Buffer.from('<p>B</p>') }]))).toBe(false);
  });

  it('refuses a name that would leave the folder it is extracted into', () => {
    for (const name of ['../x.html', '/etc/x', 'a//b', 'a/./b', ''])
      expect(() => writeZip([{ name, bytes: Buffer.from('x') }])).toThrow(RangeError);
  });
});

describe('report-templates.zip beside the catalogs', () => {
  let work: string;
  let repo: string;
  let keys: ReturnType<typeof generateSigningKeys>;
  const templates = (): string => path.join(repo, 'thehive-templates');
  const catalog = (out: string, ...extra: string[]) =>
    runCli(
      [
        'catalog',
        '--repo',
        repo,
        '--no-verify',
        '--registry',
        'registry.example/acme',
        '--out',
        out,
        '--sign',
        path.join(work, 'index.key'),
        ...extra,
      ],
      work,
    );
  const index = async (out: string) =>
    JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8')) as {
      serial: number;
      attachments?: Record<string, { sha256: string; bytes: number }>;
    };

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'neurons-templates-'));
    repo = path.join(work, 'repo');
    await cp(fixture, repo, { recursive: true });
    keys = generateSigningKeys();
    await writeFile(path.join(work, 'index.key'), keys.privateKeyPem, { mode: 0o600 });
    await writeFile(path.join(work, 'index.pub'), keys.publicKeyPem);
    await mkdir(path.join(templates(), 'EmailHeaders_2_0_1'), { recursive: true });
    await writeFile(
      path.join(templates(), 'EmailHeaders_2_0_1', 'long.html'),
      '<div ng-if="success">{{content.headers.length}} headers</div>\n',
    );
    await writeFile(
      path.join(templates(), 'EmailHeaders_2_0_1', 'short.html'),
      '<span class="label label-info">{{t.namespace}}</span>\n',
    );
    await mkdir(path.join(templates(), 'FileTriage_1_0'), { recursive: true });
    await writeFile(path.join(templates(), 'FileTriage_1_0', 'long.html'), '<pre>{{content | json}}</pre>\n');
  });

  it('validate lists the templates, and warns of what TheHive would misread or not show', async () => {
    await mkdir(path.join(templates(), 'Retired_1_0'));
    await writeFile(path.join(templates(), 'Retired_1_0', 'long.html'), '<p>retired</p>\n');
    await writeFile(path.join(templates(), 'FileTriage_1_0', 'extra.html'), '<p>would replace long.html</p>\n');
    await writeFile(path.join(templates(), 'stray.html'), '<p>no analyzer</p>\n');
    try {
      const result = await runCli(['validate', '--repo', repo, '--json'], work);
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as {
        reportTemplates: { state: string; files: string[] };
        warnings: Array<{ code: string; file: string }>;
      };
      expect(report.reportTemplates).toEqual({
        state: 'ready',
        analyzers: 3,
        files: [
          'EmailHeaders_2_0_1/long.html',
          'EmailHeaders_2_0_1/short.html',
          'FileTriage_1_0/long.html',
          'Retired_1_0/long.html',
        ],
      });
      expect(report.warnings.map(({ code, file }) => `${code} ${file}`)).toEqual([
        'TEMPLATES_UNKNOWN_FILE thehive-templates/FileTriage_1_0/extra.html',
        'TEMPLATES_NO_WORKER thehive-templates/Retired_1_0',
        'TEMPLATES_STRAY_FILE thehive-templates/stray.html',
      ]);
    } finally {
      await rm(path.join(templates(), 'Retired_1_0'), { recursive: true });
      await rm(path.join(templates(), 'FileTriage_1_0', 'extra.html'));
      await rm(path.join(templates(), 'stray.html'));
    }
  });

  it.each([
    [
      'a link out of the repository',
      'TEMPLATES_OUTSIDE_REPOSITORY',
      async (file: string) => symlink('/etc/hostname', file),
    ],
    [
      'bytes that are not UTF-8',
      'TEMPLATES_ENCODING',
      async (file: string) => writeFile(file, Buffer.from([0x3c, 0x70, 0x3e, 0xff, 0xfe])),
    ],
    [
      'more than 1 MiB',
      'TEMPLATES_TOO_LARGE',
      async (file: string) => writeFile(file, Buffer.alloc(1024 * 1024 + 1, 0x20)),
    ],
  ])('refuses %s with a coded error naming the file', async (_case, code, make) => {
    const file = path.join(templates(), 'EmailHeaders_2_0_1', 'short.html');
    const saved = await readFile(file);
    await rm(file);
    await make(file);
    try {
      const result = await runCli(['validate', '--repo', repo], work);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('thehive-templates/EmailHeaders_2_0_1/short.html');
      expect(result.stdout).toContain(code);
      expect(result.stdout).toContain('report templates: not published');
    } finally {
      await rm(file);
      await writeFile(file, saved);
    }
  });

  it('publishes the archive TheHive imports, listed and hashed in the signed index; an unchanged one is not written again', async () => {
    const out = path.join(work, 'out');
    const first = await catalog(out);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/report-templates\.zip\s+\d+ bytes/);
    const zip = await readFile(path.join(out, 'report-templates.zip'));
    const listed = (await index(out)).attachments?.['report-templates.zip'];
    expect(listed).toEqual({ sha256: sha256(zip), bytes: zip.length });
    expect((await readFile(path.join(out, `report-templates-${sha256(zip)}.zip`))).equals(zip)).toBe(true);
    expect((await importedByTheHive(zip)).map(({ analyzerId, reportType }) => `${analyzerId}/${reportType}`)).toEqual([
      'EmailHeaders_2_0_1/long',
      'EmailHeaders_2_0_1/short',
      'FileTriage_1_0/long',
    ]);
    expect(await readFile(path.join(out, 'catalog.html'), 'utf8')).toContain('href="report-templates.zip"');
    // The engine side still verifies the index that lists it.
    const update = await runCli(
      ['update', '--catalog', out, '--key', path.join(work, 'index.pub'), '--state', path.join(work, 'state')],
      work,
    );
    expect(update.stderr).not.toMatch(/INDEX_|CATALOG_HASH|CATALOG_NOT_INDEXED/);

    const again = await catalog(out);
    expect(again.code, again.stderr).toBe(0);
    expect((await index(out)).attachments?.['report-templates.zip']).toEqual(listed);
    expect((await readdir(out)).filter((file) => file.startsWith('report-templates-'))).toEqual([
      `report-templates-${sha256(zip)}.zip`,
    ]);
  });

  it('keeps the published archive while a template is invalid, and withdraws it when the folder is gone', async () => {
    const out = path.join(work, 'keep');
    expect((await catalog(out)).code).toBe(0);
    const published = (await index(out)).attachments?.['report-templates.zip'];
    const file = path.join(templates(), 'FileTriage_1_0', 'long.html');
    await writeFile(file, '<pre>{{content | json}}</pre><p>edited</p>\n');
    const broken = path.join(templates(), 'EmailHeaders_2_0_1', 'short.html');
    await writeFile(broken, Buffer.from([0xc3, 0x28]));
    const refused = await catalog(out);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('TEMPLATES_ENCODING');
    // Nothing half-published: the archive the index lists is the last valid one, not a partial one.
    expect((await index(out)).attachments?.['report-templates.zip']).toEqual(published);
    expect(sha256(await readFile(path.join(out, 'report-templates.zip')))).toBe(published?.sha256);

    await writeFile(broken, '<span>fixed</span>\n');
    expect((await catalog(out)).code).toBe(0);
    const edited = (await index(out)).attachments?.['report-templates.zip'];
    expect(edited?.sha256).not.toBe(published?.sha256);
    expect(
      (await importedByTheHive(await readFile(path.join(out, 'report-templates.zip')))).find(
        (entry) => entry.analyzerId === 'FileTriage_1_0',
      )?.content,
    ).toContain('edited');

    // `catalog --refresh` re-signs what is published, the archive with it.
    const refreshed = await refreshCatalogs({
      targets: [folderTarget(out)],
      verifier: () => ({
        check: async () => ({ ok: true, digest: `sha256:${'0'.repeat(64)}`, verified: false }),
        counts: { manifests: 0, labelled: 0, known: 0 },
      }),
      signingKey: { pem: keys.privateKeyPem, origin: 'test' },
      allowUnsigned: false,
      allowPartial: false,
      expiresInDays: 30,
      now: new Date(),
    });
    expect(refreshed.index.attachments?.['report-templates.zip']).toEqual(edited);

    const moved = path.join(work, 'templates-aside');
    await cp(templates(), moved, { recursive: true });
    await rm(templates(), { recursive: true });
    try {
      expect((await catalog(out)).code).toBe(0);
      expect((await index(out)).attachments).toBeUndefined();
      expect(await readdir(out)).not.toContain('report-templates.zip');
      expect(await readFile(path.join(out, 'catalog.html'), 'utf8')).not.toContain('report-templates.zip');
    } finally {
      await cp(moved, templates(), { recursive: true });
    }
  });
});
