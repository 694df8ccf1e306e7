import { describe, expect, it } from 'vitest';
import {
  markerDifferingFromTarget,
  parsePipReport,
  requirementMarkers,
  sourceOption,
  stripCredentials,
} from '../../../src/deps/pip-report.js';
import { indexSecrets, missingDistribution, pipEnvironment } from '../../../src/deps/pip.js';

/** Shaped as pip 23.2 writes `--report` (trimmed to what is read). */
const report = JSON.stringify({
  version: '1',
  pip_version: '23.2.1',
  install: [
    {
      download_info: {
        url: 'https://pip:s3cret@index.example/packages/urllib3-2.2.3-py3-none-any.whl',
        archive_info: { hash: 'sha256=aa11', hashes: { sha256: 'aa11' } },
      },
      requested: false,
      metadata: {
        name: 'urllib3',
        version: '2.2.3',
        requires_dist: ["brotli>=1.0.9; platform_python_implementation == 'CPython' and extra == 'brotli'"],
      },
    },
    {
      download_info: {
        url: 'https://index.example/packages/Requests-2.32.3-py3-none-any.whl',
        archive_info: { hash: 'sha256=bb22' },
      },
      requested: true,
      metadata: { name: 'Requests', version: '2.32.3', requires_dist: ['urllib3<3,>=1.21.1', 'certifi>=2017.4.17'] },
    },
    {
      download_info: { url: 'https://index.example/packages/certifi.whl' },
      metadata: { name: 'certifi', version: '2024.8.30' },
    },
  ],
  environment: { platform_machine: 'x86_64', python_version: '3.11', sys_platform: 'linux' },
});

describe('pip installation reports', () => {
  it('gives every package with its exact version, hash and URL without credentials, sorted by name', () => {
    const parsed = parsePipReport(report);
    expect(parsed.packages).toEqual([
      {
        name: 'Requests',
        version: '2.32.3',
        sha256: 'bb22',
        url: 'https://index.example/packages/Requests-2.32.3-py3-none-any.whl',
      },
      { name: 'certifi', version: '2024.8.30', url: 'https://index.example/packages/certifi.whl' },
      {
        name: 'urllib3',
        version: '2.2.3',
        sha256: 'aa11',
        url: 'https://index.example/packages/urllib3-2.2.3-py3-none-any.whl',
      },
    ]);
    expect(JSON.stringify(parsed)).not.toContain('s3cret');
    expect(parsed.host).toEqual({ machine: 'x86_64', pythonVersion: '3.11', os: 'linux' });
    expect(parsed.markers).toEqual([
      "urllib3: brotli>=1.0.9; platform_python_implementation == 'CPython' and extra == 'brotli'",
    ]);
    expect(parsed.direct).toEqual([]);
  });

  it('says which packages come from a URL or a path rather than the index', () => {
    const direct = JSON.stringify({
      install: [
        {
          download_info: { url: 'https://git.example/tool.zip' },
          is_direct: true,
          metadata: { name: 'tool', version: '0.1' },
        },
      ],
    });
    expect(parsePipReport(direct).direct).toEqual(['tool']);
  });

  it('finds the options of a requirements file that choose where packages come from', () => {
    expect(sourceOption('requests\n--extra-index-url https://other.example/simple\n')).toBe('--extra-index-url');
    expect(sourceOption('-i https://other.example/simple\nrequests\n')).toBe('-i');
    expect(sourceOption('--find-links=./wheels\n')).toBe('--find-links');
    expect(sourceOption('-r base.txt\n-c constraints.txt\nrequests\n')).toBeUndefined();
  });

  it('refuses an entry without a version', () => {
    expect(() => parsePipReport(JSON.stringify({ install: [{ metadata: { name: 'x' } }] }))).toThrow(
      /without a name or version/,
    );
  });

  it('strips credentials from URLs, even unparsable ones', () => {
    expect(stripCredentials('https://u:p@host/simple/')).toBe('https://host/simple/');
    expect(stripCredentials('not a url //u:p@host/x')).toBe('not a url //host/x');
  });

  it('gives pip the credentials in its environment, with the URL, and takes every password for a secret', () => {
    const index = {
      url: 'https://index.example/simple/',
      extraUrl: 'https://x:inline-pass@mirror.example/simple/',
      username: 'ci@corp',
      password: 'p@ss/word',
      caFile: '/ca.pem',
    };
    const env = pipEnvironment(index);
    expect(env['PIP_INDEX_URL']).toBe('https://ci%40corp:p%40ss%2Fword@index.example/simple/');
    expect(env['PIP_CERT']).toBe('/ca.pem');
    expect(env['PIP_CONFIG_FILE']).toBe('/dev/null');
    expect(indexSecrets(index)).toEqual(['p@ss/word', 'inline-pass']);
    expect(indexSecrets(undefined)).toEqual([]);
  });

  it('finds the requirement pip had no distribution for', () => {
    expect(
      missingDistribution(
        'ERROR: Could not find a version that satisfies the requirement lxml==5.3.0 (from versions: none)\nERROR: No matching distribution found for lxml==5.3.0\n',
      ),
    ).toBe('lxml==5.3.0');
    expect(missingDistribution('ERROR: 401 Client Error: Unauthorized')).toBeUndefined();
  });
});

describe('environment markers pip would evaluate for the host', () => {
  const host = { machine: 'x86_64', pythonVersion: '3.11', os: 'linux' };
  const markers = [
    'a: numpy; platform_machine == "aarch64"',
    'b: tomli; python_version < "3.11"',
    "c: x; extra == 'socks'",
  ];

  it('are harmless when the host and the target agree on them', () => {
    expect(markerDifferingFromTarget(markers, host, { ...host })).toBeUndefined();
  });

  it('are reported when the target has another machine or Python version', () => {
    expect(markerDifferingFromTarget(markers, host, { ...host, machine: 'aarch64' })).toBe(markers[0]);
    expect(markerDifferingFromTarget(markers, host, { ...host, pythonVersion: '3.12' })).toBe(markers[1]);
  });

  it('always count for variables no target shares with the host (kernel, full version)', () => {
    expect(markerDifferingFromTarget(['x; python_full_version >= "3.11.4"'], host, { ...host })).toBe(
      'x; python_full_version >= "3.11.4"',
    );
  });

  it('only look after the semicolon (a package name is not a marker)', () => {
    expect(
      markerDifferingFromTarget(['platform_machine_tools: y; extra == "z"'], host, { ...host, machine: 'aarch64' }),
    ).toBeUndefined();
  });

  it('are read from the requirement lines that have one, comments aside', () => {
    expect(
      requirementMarkers('requests==2.32.3\n# not; this\nnumpy; platform_machine == "x86_64"  # comment\n'),
    ).toEqual(['numpy; platform_machine == "x86_64"']);
  });
});
