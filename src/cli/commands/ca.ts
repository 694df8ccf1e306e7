import { isIP } from 'node:net';
import path from 'node:path';
import type { CliIo, Command, ParsedValues } from '../command.js';
import { configOption } from '../common-options.js';
import {
  initCertificateAuthority,
  issueCertificateFiles,
  readCertificateAuthority,
  type IssueRequest,
  type WrittenFiles,
} from '../../ca/ca-folder.js';
import { formatInspection, inspectChain, loadTargetChain, parseInspectTarget } from '../../ca/inspect.js';
import { defaultDockerCertsDirectory, trustEngine } from '../../ca/trust-engine.js';
import { configuredCas } from '../../config/load-config.js';
import { environmentDirectory, readEnvironmentState } from '../../state/environment-state.js';
import { EnvironmentError, ExitCode, UsageError } from '../../errors/neurons-error.js';
import { distinguishedName } from '../../trust/certificate-summary.js';
import { readCaFile } from '../../trust/trust-store.js';

interface Action {
  /** The options this action takes: any other is a usage error rather than silently ignored. */
  options: string[];
  run(io: CliIo, values: ParsedValues, operands: string[]): Promise<number>;
}

function usage(message: string, hint: string): UsageError {
  return new UsageError({ code: 'USAGE', message, hint });
}

function single(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  if (Array.isArray(value)) {
    if (value.length > 1) throw usage(`--${name} is given ${value.length} times`, `give one --${name} here`);
    return value[0] === undefined ? undefined : String(value[0]);
  }
  return typeof value === 'string' ? value : undefined;
}

function list(values: ParsedValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value.map(String) : [];
}

function days(values: ParsedValues, fallback: number): number {
  const text = single(values, 'days');
  if (text === undefined) return fallback;
  const parsed = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(parsed >= 1 && parsed <= 36_500))
    throw usage(`--days '${text}' is not a number of days`, 'give a whole number from 1 to 36500');
  return parsed;
}

function describeWritten(written: WrittenFiles, what: string): string {
  return [
    `${what}: ${written.certificateFile}`,
    `  key:      ${written.keyFile} (mode 0600: keep it private)`,
    `  subject:  ${distinguishedName(written.certificate.subject)}`,
    ...(written.certificate.subjectAltName ? [`  names:    ${written.certificate.subjectAltName}`] : []),
    `  valid to: ${new Date(written.certificate.validTo).toISOString()}`,
    `  sha256:   ${written.certificate.fingerprint256}`,
  ].join('\n');
}

const dnsName = /^(\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

function issueRequest(values: ParsedValues): IssueRequest {
  const hosts = list(values, 'host');
  const ips = list(values, 'ip');
  const name = single(values, 'name');
  if (values['client']) {
    if (!name)
      throw usage('a client certificate needs --name CN', 'e.g. `neurons ca issue --client --ca DIR --name ci-runner`');
    if (hosts.length + ips.length > 0)
      throw usage('--host and --ip are for server certificates', 'drop them with --client');
    return { kind: 'client', commonName: name, days: days(values, 825) };
  }
  if (name)
    throw usage('--name is for CA and client certificates', 'a server certificate is named by its --host values');
  if (hosts.length + ips.length === 0)
    throw usage(
      'a server certificate needs --host NAME (or --ip ADDR)',
      'e.g. `neurons ca issue --ca DIR --host registry.example.org`',
    );
  for (const host of hosts)
    if (!dnsName.test(host)) throw usage(`--host '${host}' is not a DNS name`, 'give addresses with --ip');
  for (const ip of ips) if (isIP(ip) === 0) throw usage(`--ip '${ip}' is not an IP address`, 'give names with --host');
  return { kind: 'server', hosts, ips, days: days(values, 825) };
}

const actions: Record<string, Action> = {
  init: {
    options: ['output', 'name', 'days', 'force'],
    async run(io, values) {
      const out = path.resolve(io.cwd, single(values, 'output') ?? '.');
      const written = await initCertificateAuthority({
        out,
        commonName: single(values, 'name') ?? 'neurons private CA',
        days: days(values, 3650),
        force: Boolean(values['force']),
      });
      io.stdout.write(`${describeWritten(written, 'CA created')}\nnext: neurons ca issue --ca ${out} --host NAME\n`);
      return ExitCode.ok;
    },
  },
  issue: {
    options: ['ca', 'host', 'ip', 'days', 'output', 'client', 'name'],
    async run(io, values) {
      const caDirectory = single(values, 'ca');
      if (!caDirectory)
        throw usage(
          'issue needs --ca DIR, the folder of ca.crt and ca.key',
          'create one with `neurons ca init --output DIR`',
        );
      const request = issueRequest(values);
      const ca = await readCertificateAuthority(path.resolve(io.cwd, caDirectory));
      const written = await issueCertificateFiles(ca, request, path.resolve(io.cwd, single(values, 'output') ?? '.'));
      io.stdout.write(`${describeWritten(written, `${request.kind} certificate (leaf + CA chain)`)}\n`);
      return ExitCode.ok;
    },
  },
  inspect: {
    options: ['ca', 'json', 'repo', 'config'],
    async run(io, values, operands) {
      if (operands.length !== 1)
        throw usage(
          'inspect takes one https URL or PEM file',
          'e.g. `neurons ca inspect https://registry.example.org:5000`',
        );
      const targetText = operands[0] ?? '';
      const target = parseInspectTarget(targetText, io.cwd);
      // What neurons itself would trust for that host: the configuration's CAs (of the repository, or --config),
      // on top of those given with --ca.
      const configFile = single(values, 'config');
      const configured = await configuredCas(path.resolve(io.cwd, single(values, 'repo') ?? '.'), io.env, {
        ...(configFile ? { configFile: path.resolve(io.cwd, configFile) } : {}),
        ...(target.kind === 'url' ? { host: target.port === 443 ? target.host : `${target.host}:${target.port}` } : {}),
      });
      const givenCas = [
        ...list(values, 'ca').flatMap((file) => readCaFile(path.resolve(io.cwd, file))),
        ...configured.pems,
      ];
      let chain;
      try {
        chain = await loadTargetChain(target);
      } catch (error) {
        if (error instanceof UsageError || target.kind === 'file') throw error;
        const code = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
        throw new EnvironmentError(
          {
            code: 'CA_INSPECT_UNREACHABLE',
            message: `no certificate from ${target.host}:${target.port}: ${code} (${(error as Error).message})`,
            hint: 'check the host and port, and that the server speaks TLS there',
          },
          error,
        );
      }
      const report = inspectChain(chain.certificates, {
        target: targetText,
        host: target.kind === 'url' ? target.host : undefined,
        givenCas,
        env: io.env,
        now: new Date(),
        clientCertificateRequired: chain.clientCertificateRequired,
      });
      io.stdout.write(values['json'] ? `${JSON.stringify(report, null, 2)}\n` : formatInspection(report));
      return report.ok ? ExitCode.ok : ExitCode.failure;
    },
  },
  'trust-engine': {
    options: ['registry', 'ca', 'certs-dir', 'client-cert', 'client-key'],
    async run(io, values) {
      const registry = single(values, 'registry');
      if (!registry)
        throw usage(
          'trust-engine needs --registry HOST:PORT',
          'e.g. `neurons ca trust-engine --registry registry.example.org:5000 --ca ca.crt`',
        );
      const given = single(values, 'ca');
      const caFile = given
        ? path.resolve(io.cwd, given)
        : (await readEnvironmentState(environmentDirectory(io.env)))?.caFile;
      if (!caFile)
        throw usage(
          'trust-engine needs --ca FILE (no local environment to take its CA from)',
          'give the CA that issued the registry certificate',
        );
      const certsDirectory = path.resolve(
        io.cwd,
        single(values, 'certs-dir') ?? io.env['NEURONS_DOCKER_CERTS_DIR'] ?? defaultDockerCertsDirectory,
      );
      const clientCert = single(values, 'client-cert');
      const clientKey = single(values, 'client-key');
      if ((clientCert === undefined) !== (clientKey === undefined))
        throw usage(
          '--client-cert and --client-key go together',
          'give both, as `neurons ca issue --client` wrote them',
        );
      const client =
        clientCert && clientKey
          ? { certFile: path.resolve(io.cwd, clientCert), keyFile: path.resolve(io.cwd, clientKey) }
          : undefined;
      const result = await trustEngine({ registry, caFile, certsDirectory, ...(client ? { client } : {}) });
      if (result.status === 'denied') {
        io.stderr.write(`neurons ca: cannot write ${result.file}: ${result.reason}\nrun as root:\n`);
        io.stdout.write(`${result.commands.join('\n')}\n`);
        return ExitCode.usage;
      }
      const presents = client ? ' and presents the client certificate (client.cert, client.key)' : '';
      io.stdout.write(
        result.status === 'written'
          ? `the Docker engine now trusts ${registry}${presents}: wrote ${path.dirname(result.file)}\n`
          : `already trusted: ${path.dirname(result.file)} holds this CA${client ? ' and client certificate' : ''}\n`,
      );
      return ExitCode.ok;
    },
  },
};

export const caCommand: Command = {
  name: 'ca',
  summary:
    'Private CA: create one, issue server/client certificates, inspect a TLS chain, make the Docker engine trust a registry',
  usage: [
    'neurons ca init [--output DIR] [--name CN] [--days N] [--force]',
    '       neurons ca issue --ca DIR --host NAME... [--ip ADDR...] [--days N] [--output DIR]',
    '       neurons ca issue --ca DIR --client --name CN [--days N] [--output DIR]',
    '       neurons ca inspect <https-url|pem-file> [--ca FILE...] [--repo DIR] [--config FILE] [--json]',
    '       neurons ca trust-engine --registry HOST:PORT [--ca FILE] [--client-cert FILE --client-key FILE] [--certs-dir DIR]',
  ].join('\n'),
  positionals: true,
  options: {
    output: {
      type: 'string',
      value: 'DIR',
      description: '(init, issue) where the files are written',
      default: 'the current folder',
      aliases: ['out'],
    },
    name: {
      type: 'string',
      value: 'CN',
      description: '(init, issue --client) the common name',
      default: 'neurons private CA (init)',
    },
    days: {
      type: 'string',
      value: 'N',
      description: '(init, issue) validity in days',
      default: '3650 for a CA, 825 for a certificate',
    },
    force: { type: 'boolean', description: '(init) replace an existing CA' },
    ca: {
      type: 'string',
      multiple: true,
      value: 'DIR|FILE',
      description: '(issue) the CA folder; (inspect) CA files to verify with, repeatable; (trust-engine) the CA file',
      default: "(trust-engine) the local environment's CA",
    },
    host: {
      type: 'string',
      multiple: true,
      value: 'NAME',
      description: '(issue) a DNS name of the server; repeatable',
    },
    ip: {
      type: 'string',
      multiple: true,
      value: 'ADDR',
      description: '(issue) an IP address of the server; repeatable',
    },
    client: { type: 'boolean', description: '(issue) a client certificate for mutual TLS' },
    json: { type: 'boolean', description: '(inspect) the report as JSON' },
    registry: { type: 'string', value: 'HOST:PORT', description: '(trust-engine) the registry the engine must trust' },
    'certs-dir': {
      type: 'string',
      value: 'DIR',
      description: "(trust-engine) the engine's certificate folder",
      default: '/etc/docker/certs.d',
    },
    'client-cert': {
      type: 'string',
      value: 'FILE',
      description: '(trust-engine) the client certificate the engine presents (with --client-key)',
    },
    'client-key': { type: 'string', value: 'FILE', description: '(trust-engine) the key of --client-cert' },
    repo: {
      type: 'string',
      value: 'DIR',
      description: '(inspect) the repository whose configuration adds trusted CAs',
      default: 'the current folder',
    },
    config: configOption,
  },
  async run(io, values, positionals) {
    const [name, ...operands] = positionals;
    const action = name === undefined ? undefined : actions[name];
    if (!action)
      throw usage(`unknown ca action '${name ?? ''}'`, 'use `neurons ca init`, `issue`, `inspect` or `trust-engine`');
    const foreign = Object.keys(values).filter(
      (option) => values[option] !== undefined && option !== 'help' && !action.options.includes(option),
    );
    if (foreign.length > 0)
      throw usage(
        `${foreign.map((option) => `--${option}`).join(', ')} is not an option of \`ca ${name ?? ''}\``,
        `its options: ${action.options.map((option) => `--${option}`).join(' ')}`,
      );
    if (name !== 'inspect' && operands.length > 0)
      throw usage(`unexpected argument '${operands[0] ?? ''}'`, 'options are written --name value');
    return action.run(io, values, operands);
  },
};
