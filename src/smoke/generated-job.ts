import type { Definition, WorkerKind } from '../definitions/types.js';
import { attachmentName, buildJobInput } from '../runner/prepare-job.js';

/** A job made up for a flavor without sample jobs: what `input/` holds, as the engine would write it. */
export interface GeneratedJob {
  /** Shown in results and messages: `generated job (ip)`. */
  name: string;
  dataType: string;
  /** `input/input.json`. */
  input: Record<string, unknown>;
  /** A file observable's attachment, written as `input/<name>`. */
  attachment?: { name: string; content: string };
}

/**
 * Harmless values of the engine's observable types: documentation addresses and names (RFC 5737, 2606, 5398), so a
 * worker given the network reaches nobody real. Another type gets a plain word.
 */
const observableValues: Record<string, string> = {
  ip: '198.51.100.7',
  domain: 'example.org',
  fqdn: 'www.example.org',
  hostname: 'host.example.org',
  url: 'http://www.example.org/index.html',
  uri_path: '/index.html',
  mail: 'analyst@example.org',
  mail_subject: 'Quarterly invoice',
  filename: 'invoice.pdf',
  // The MD5 of an empty file.
  hash: 'd41d8cd98f00b204e9800998ecf8427e',
  registry: 'HKEY_LOCAL_MACHINE\\Software\\Example',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)',
  'autonomous-system': 'AS64496',
  regexp: 'example',
  other: 'example',
};

/** The attachment of a `file` job: small, plain text, under the engine's own attachment name. */
export const sampleFile = { filename: 'sample.txt', content: 'neurons smoke test: a small plain text file\n' };

const now = 1_700_000_000_000;
const common = { createdBy: 'analyst@example.org', createdAt: now, tlp: 2, pap: 2, tags: [] as string[] };

/** Minimal TheHive objects, as TheHive sends them to a responder (`data` is the object itself). */
const entities: Record<string, Record<string, unknown>> = {
  'thehive:case': {
    _id: '~4096',
    _type: 'case',
    id: '~4096',
    caseId: 1,
    title: 'Smoke test case',
    description: 'A case made up by neurons',
    severity: 2,
    startDate: now,
    owner: 'analyst@example.org',
    flag: false,
    status: 'Open',
    customFields: {},
    ...common,
  },
  'thehive:alert': {
    _id: '~8192',
    _type: 'alert',
    id: '~8192',
    type: 'external',
    source: 'neurons',
    sourceRef: 'smoke-1',
    title: 'Smoke test alert',
    description: 'An alert made up by neurons',
    severity: 2,
    date: now,
    status: 'New',
    artifacts: [],
    customFields: {},
    ...common,
  },
  'thehive:case_task': {
    _id: '~12288',
    _type: 'case_task',
    id: '~12288',
    title: 'Smoke test task',
    group: 'default',
    status: 'Waiting',
    flag: false,
    order: 0,
    ...common,
  },
  'thehive:case_artifact': {
    _id: '~16384',
    _type: 'case_artifact',
    id: '~16384',
    dataType: 'domain',
    data: 'example.org',
    message: '',
    ioc: false,
    sighted: false,
    ...common,
  },
  'thehive:case_task_log': {
    _id: '~20480',
    _type: 'case_task_log',
    id: '~20480',
    message: 'Smoke test log',
    status: 'Ok',
    ...common,
  },
};

/** A TheHive type this table lacks gets an object of its kind all the same. */
function entityFor(dataType: string): Record<string, unknown> {
  const type = dataType.replace(/^thehive:/, '');
  return entities[dataType] ?? { _id: '~4096', _type: type, id: '~4096', title: 'Smoke test object', ...common };
}

/**
 * The one job made up for a flavor: its first data type (analyzers: an observable of that type, a small file for
 * `file`; responders: a TheHive object of that type), the flavor's config, TLP and PAP amber. Undefined when the
 * flavor lists no data type: nothing can be made up then.
 */
export function generateJob(
  kind: WorkerKind,
  definition: Pick<Definition, 'dataTypeList'>,
  config: Record<string, unknown>,
): GeneratedJob | undefined {
  const dataType = Array.isArray(definition.dataTypeList)
    ? definition.dataTypeList.find((type) => typeof type === 'string' && type !== '')
    : undefined;
  if (dataType === undefined) return undefined;
  const request = { dataType, tlp: 2, pap: 2, message: 'neurons smoke test', parameters: {}, config };
  const name = `generated job (${dataType})`;
  if (kind === 'responder')
    return { name, dataType, input: buildJobInput({ ...request, observable: { data: entityFor(dataType) } }) };
  if (dataType === 'file') {
    return {
      name,
      dataType,
      input: buildJobInput({ ...request, observable: { file: sampleFile.filename } }),
      attachment: { name: attachmentName, content: sampleFile.content },
    };
  }
  return {
    name,
    dataType,
    input: buildJobInput({ ...request, observable: { data: observableValues[dataType] ?? 'example' } }),
  };
}
