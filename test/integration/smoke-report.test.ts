import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import type { Problem } from '../../src/errors/problem.js';
import { environmentState, registryClient, runCli, uniqueNamespace, type CliResult } from '../helpers/environment.js';
import { writeFiles } from '../helpers/test-images.js';

/**
 * Workers with their own Dockerfile (built as they are, on the environment's base images), so these tests depend on
 * no template: each speaks the /job protocol itself, or fails to.
 */
function definition(name: string, command: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify(
    {
      name,
      version: '1.0',
      author: 'neurons tests',
      url: 'https://example.org',
      license: 'AGPL-V3',
      description: `${name}: a smoke test subject`,
      dataTypeList: ['domain'],
      command,
      baseConfig: name,
      ...extra,
    },
    null,
    2,
  );
}

/** One Go program, three faults: its flavors choose one through their config (`mode`), which the job carries. */
const goFaults = `package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

func main() {
	job := "/job"
	if len(os.Args) > 1 {
		job = os.Args[1]
	}
	raw, err := os.ReadFile(job + "/input/input.json")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot read the input:", err)
		os.Exit(2)
	}
	var input struct {
		Config struct {
			Mode string \`json:"mode"\`
		} \`json:"config"\`
	}
	if err := json.Unmarshal(raw, &input); err != nil {
		fmt.Fprintln(os.Stderr, "cannot parse the input:", err)
		os.Exit(2)
	}
	switch input.Config.Mode {
	case "no-report":
		fmt.Println("GoFaults: looked at the observable and forgot the report")
	case "invalid-json":
		os.MkdirAll(job+"/output", 0o755)
		os.WriteFile(job+"/output/output.json", []byte("{\\"success\\": true, \\"full\\": {"), 0o644)
		fmt.Println("GoFaults: wrote half a report")
	case "hangs":
		fmt.Println("GoFaults: waiting for a service that never answers")
		for {
			time.Sleep(time.Hour)
		}
	}
}
`;

const faultRepo = (base: EnvironmentState['baseImages']): Record<string, string> => ({
  'neurons.json': JSON.stringify({
    workers: { Untestable: { smoke: { skip: 'needs a licensed sandbox the CI does not have' } } },
  }),
  'analyzers/GoFaults/main.go': goFaults,
  'analyzers/GoFaults/Dockerfile': `FROM ${base.go}\nWORKDIR /src\nCOPY main.go .\nRUN CGO_ENABLED=0 go build -o /worker/faults main.go\nENTRYPOINT ["/worker/faults"]\n`,
  'analyzers/GoFaults/GoFaults_NoReport.json': definition('GoFaults_NoReport', 'GoFaults/main.go', {
    config: { mode: 'no-report' },
  }),
  'analyzers/GoFaults/GoFaults_InvalidJson.json': definition('GoFaults_InvalidJson', 'GoFaults/main.go', {
    config: { mode: 'invalid-json' },
  }),
  'analyzers/GoFaults/GoFaults_Hangs.json': definition('GoFaults_Hangs', 'GoFaults/main.go', {
    config: { mode: 'hangs' },
  }),
  'analyzers/NodeThrows/index.js': "throw new Error('NodeThrows cannot start: its API client is not configured');\n",
  'analyzers/NodeThrows/Dockerfile': `FROM ${base.node}\nWORKDIR /worker\nCOPY . /worker/NodeThrows/\nENTRYPOINT ["node", "NodeThrows/index.js"]\n`,
  'analyzers/NodeThrows/NodeThrows.json': definition('NodeThrows', 'NodeThrows/index.js'),
  // No sample job and no data type: nothing can prove it writes a report.
  'analyzers/NoDataTypes/run.sh': '#!/bin/sh\nexit 0\n',
  'analyzers/NoDataTypes/Dockerfile': `FROM ${base.python}\nCOPY run.sh /worker/run.sh\nENTRYPOINT ["/bin/sh", "/worker/run.sh"]\n`,
  'analyzers/NoDataTypes/NoDataTypes.json': definition('NoDataTypes', 'NoDataTypes/run.sh', { dataTypeList: [] }),
  // Would fail its test (no report), but its settings say why it is not tested.
  'analyzers/Untestable/run.sh': '#!/bin/sh\nexit 0\n',
  'analyzers/Untestable/Dockerfile': `FROM ${base.python}\nCOPY run.sh /worker/run.sh\nENTRYPOINT ["/bin/sh", "/worker/run.sh"]\n`,
  'analyzers/Untestable/Untestable.json': definition('Untestable', 'Untestable/run.sh'),
});

interface Outcome {
  id: string;
  status: string;
  problem?: Problem;
}

function summaryOf(result: CliResult): { outcomes: Outcome[] } {
  const line = result.stdout.split('\n').find((text) => text.includes('"type":"summary"'));
  if (!line) throw new Error(`no summary\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(line) as { outcomes: Outcome[] };
}

describe('smoke tests prove a report, on images built by the real engine', () => {
  let state: EnvironmentState;
  const work: string[] = [];

  beforeAll(async () => {
    state = await environmentState();
  });

  afterAll(async () => {
    for (const directory of work) await rm(directory, { recursive: true, force: true });
  });

  it('fails and does not push a worker that writes no report, half a report, hangs, or throws at start, and shows why', async () => {
    const repo = await mkdtemp(path.join(tmpdir(), 'neurons-smoke-report-'));
    work.push(repo);
    await writeFiles(repo, faultRepo(state.baseImages));
    const namespace = uniqueNamespace('smoke-report');
    // A short timeout for the one that hangs; the others end at once.
    const result = await runCli(['push', '--repo', repo, '--namespace', namespace, '--json'], {
      NEURONS_SMOKE_TIMEOUT: '20',
    });
    const all = `${result.stdout}\n${result.stderr}`;
    expect(result.status, all).toBe(1);
    const outcomes = new Map(summaryOf(result).outcomes.map((outcome) => [outcome.id, outcome]));
    const failure = (id: string): Problem => {
      const outcome = outcomes.get(id);
      expect(outcome, all).toMatchObject({ status: 'failed', problem: { code: expect.stringMatching(/^SMOKE_/) } });
      return outcome?.problem as Problem;
    };

    const noReport = failure('GoFaults_NoReport_1_0');
    expect(noReport).toMatchObject({ code: 'SMOKE_FAILED', file: 'analyzers/GoFaults/GoFaults_NoReport.json' });
    expect(noReport.message).toMatch(
      /generated job \(domain\): no output\/output\.json, exit code 0; last log lines:\n\s*GoFaults: looked at the observable and forgot the report/,
    );
    expect(noReport.hint).toContain('--network none');

    const invalid = failure('GoFaults_InvalidJson_1_0');
    expect(invalid.message).toMatch(
      /generated job \(domain\): output\/output\.json is not valid JSON .*exit code 0; last log lines:\n\s*GoFaults: wrote half a report/,
    );

    const hangs = failure('GoFaults_Hangs_1_0');
    expect(hangs.message).toMatch(
      /generated job \(domain\): timed out after 20 s: the container was killed; last log lines:\n\s*GoFaults: waiting for a service that never answers/,
    );

    const throws = failure('NodeThrows_1_0');
    expect(throws.message).toMatch(/generated job \(domain\): no output\/output\.json, exit code 1; last log lines:/);
    expect(throws.message).toContain('Error: NodeThrows cannot start: its API client is not configured');
    // Its syntax is fine: the job is what caught it.
    expect(throws.message).not.toContain('syntax:');

    expect(failure('NoDataTypes_1_0')).toMatchObject({
      code: 'SMOKE_NO_CHECK',
      file: 'analyzers/NoDataTypes/NoDataTypes.json',
      hint: expect.stringContaining('"skip"'),
    });

    // The reason to skip is printed, and that worker alone is pushed.
    expect(outcomes.get('Untestable_1_0'), all).toMatchObject({ status: 'pushed' });
    expect(result.stderr).toMatch(
      /smoke test of \S+\/untestable:1\.0\S* skipped: workers\.Untestable\.smoke\.skip: needs a licensed sandbox the CI does not have/,
    );
    // The cause reaches the log too, beyond the first line the summary table shows.
    expect(result.stderr).toContain('GoFaults: wrote half a report');

    const client = registryClient(state);
    try {
      for (const name of ['gofaults_noreport', 'gofaults_invalidjson', 'gofaults_hangs', 'nodethrows', 'nodatatypes']) {
        expect(await client.headManifest(`${namespace}/${name}`, '1'), name).toBeUndefined();
      }
      expect(await client.headManifest(`${namespace}/untestable`, '1')).toBeDefined();
    } finally {
      await client.close();
    }
  });

  describe('a worker that needs the network', () => {
    let server: Server;
    let requests = 0;

    beforeAll(async () => {
      server = createServer((_request, response) => {
        requests += 1;
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ status: 'green' }));
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
    });

    afterAll(async () => {
      server.close();
      await once(server, 'close');
    });

    it('fails its smoke test cleanly without network, and passes with smoke.network', async () => {
      const repo = await mkdtemp(path.join(tmpdir(), 'neurons-smoke-network-'));
      work.push(repo);
      const { port } = server.address() as AddressInfo;
      const worker = `const fs = require('fs');
const http = require('http');
const path = require('path');
const job = process.argv[2] || '/job';
const input = JSON.parse(fs.readFileSync(path.join(job, 'input', 'input.json'), 'utf8'));
const write = (report) => {
  fs.mkdirSync(path.join(job, 'output'), { recursive: true });
  fs.writeFileSync(path.join(job, 'output', 'output.json'), JSON.stringify(report));
};
const request = http.get(input.config.status_url, (response) => {
  let body = '';
  response.on('data', (chunk) => (body += chunk));
  response.on('end', () => write({ success: true, summary: { taxonomies: [{ level: 'info', namespace: 'Status', predicate: 'Service', value: JSON.parse(body).status }] }, full: JSON.parse(body), artifacts: [], operations: [] }));
});
request.on('error', (error) => {
  console.error('status service unreachable:', error.message);
  write({ success: false, errorMessage: 'cannot reach the status service: ' + error.message });
});
request.setTimeout(5000, () => request.destroy(new Error('no answer in 5 s')));
`;
      await writeFiles(repo, {
        'analyzers/NeedsNetwork/index.js': worker,
        'analyzers/NeedsNetwork/Dockerfile': `FROM ${state.baseImages.node}\nWORKDIR /worker\nCOPY . /worker/NeedsNetwork/\nENTRYPOINT ["node", "NeedsNetwork/index.js"]\n`,
        'analyzers/NeedsNetwork/NeedsNetwork.json': definition('NeedsNetwork', 'NeedsNetwork/index.js', {
          config: { status_url: `http://127.0.0.1:${port}/status` },
        }),
        'analyzers/NeedsNetwork/tests/status/input/input.json': JSON.stringify({
          data: 'example.org',
          dataType: 'domain',
          tlp: 2,
          pap: 2,
          message: '',
          parameters: {},
          config: {},
        }),
      });
      const namespace = uniqueNamespace('smoke-network');

      const offline = await runCli(['build', '--repo', repo, '--namespace', namespace, '--json']);
      const offlineAll = `${offline.stdout}\n${offline.stderr}`;
      expect(offline.status, offlineAll).toBe(1);
      const [failed] = summaryOf(offline).outcomes;
      expect(failed, offlineAll).toMatchObject({
        id: 'NeedsNetwork_1_0',
        status: 'failed',
        problem: { code: 'SMOKE_FAILED', file: 'analyzers/NeedsNetwork/NeedsNetwork.json' },
      });
      // A clean failure of the worker (its own errorMessage), and the way out named in the hint.
      expect(failed?.problem?.message).toMatch(
        /status: the worker reported a failure: cannot reach the status service: /,
      );
      expect(failed?.problem?.message).toContain('status service unreachable');
      expect(failed?.problem?.hint).toContain('workers.NeedsNetwork.smoke.network: true');
      expect(requests).toBe(0);

      await writeFile(
        path.join(repo, 'neurons.json'),
        JSON.stringify({ workers: { NeedsNetwork: { smoke: { network: true } } } }),
      );
      const online = await runCli(['build', '--repo', repo, '--namespace', namespace, '--json']);
      const onlineAll = `${online.stdout}\n${online.stderr}`;
      expect(online.status, onlineAll).toBe(0);
      expect(summaryOf(online).outcomes, onlineAll).toMatchObject([{ id: 'NeedsNetwork_1_0', status: 'built' }]);
      expect(online.stderr).toMatch(/smoke test of \S+ passed: status: success; Status:Service="green"/);
      expect(requests).toBeGreaterThan(0);
    });
  });
});
