import Docker from 'dockerode';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentState } from '../../src/state/environment-state.js';
import { prepareJobFolder, type JobRequest } from '../../src/runner/prepare-job.js';
import { runJob } from '../../src/runner/run-job.js';
import { environmentState, runCli, uniqueNamespace, type CliResult } from '../helpers/environment.js';
import { inNamespace, removeReferences } from '../helpers/test-images.js';

function definition(name: string): string {
  return JSON.stringify({
    name,
    version: '1.0',
    author: 'neurons tests',
    url: 'https://example.org',
    license: 'AGPL-V3',
    description: `${name}: a Go worker of the integration tests`,
    dataTypeList: ['file', 'other'],
    command: `${name}/${name.toLowerCase()}`,
    baseConfig: name,
  });
}

/**
 * A job-folder worker whose one dependency is vendored by hand (vendor/modules.txt and the package's source): it
 * builds only with -mod=vendor, since the environment has no module proxy and the base image says GOFLAGS=-mod=mod.
 */
const vendored: Record<string, string> = {
  'go.mod': 'module example.com/govendored\n\ngo 1.19\n\nrequire example.com/greet v1.0.0\n',
  'vendor/modules.txt': '# example.com/greet v1.0.0\n## explicit\nexample.com/greet\n',
  'vendor/example.com/greet/greet.go':
    'package greet\n\n// Hello greets what it is given.\nfunc Hello(what string) string { return "hello, " + what }\n',
  'main.go': `package main

import (
	"encoding/json"
	"os"
	"path/filepath"

	"example.com/greet"
)

func main() {
	dir := os.Args[1]
	raw, err := os.ReadFile(filepath.Join(dir, "input", "input.json"))
	if err != nil {
		panic(err)
	}
	var in struct{ Data string }
	json.Unmarshal(raw, &in)
	report, _ := json.Marshal(map[string]interface{}{"success": true, "full": map[string]string{"greeting": greet.Hello(in.Data), "folder": dir}})
	os.WriteFile(filepath.Join(dir, "output", "output.json"), report, 0o644)
}
`,
};

/**
 * A stdin/stdout worker that shows what the job adapter does: it reads a file observable by the path it is given,
 * writes a report of its own when asked, and fails on stderr when asked.
 */
const probe: Record<string, string> = {
  'go.mod': 'module example.com/goprobe\n\ngo 1.19\n',
  'main.go': `package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	var in struct {
		Data string \`json:"data"\`
		File string \`json:"file"\`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "bad input:", err)
		os.Exit(2)
	}
	switch {
	case in.File != "":
		content, err := os.ReadFile(in.File)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cannot read the file:", err)
			os.Exit(1)
		}
		sum := sha256.Sum256(content)
		out, _ := json.Marshal(map[string]interface{}{"success": true, "full": map[string]interface{}{"path": in.File, "size": len(content), "sha256": hex.EncodeToString(sum[:])}})
		fmt.Println(string(out))
	case in.Data == "own-report" && len(os.Args) > 1:
		os.WriteFile(filepath.Join(os.Args[1], "output", "output.json"), []byte(\`{"success":true,"full":{"written":"by the worker"}}\`), 0o644)
		fmt.Println("report written")
	case in.Data == "fail":
		fmt.Fprintln(os.Stderr, "the lookup service refused the request")
		os.Exit(3)
	default:
		fmt.Println("[1, 2, 3]")
	}
}
`,
};

describe('Go workers as they are written, built on the live engine', () => {
  const docker = new Docker();
  let state: EnvironmentState;
  let repo: string;
  let namespace: string;
  let build: CliResult;

  beforeAll(async () => {
    state = await environmentState();
    repo = await mkdtemp(path.join(tmpdir(), 'neurons-go-workers-'));
    namespace = uniqueNamespace('go');
    for (const [directory, files] of Object.entries({ GoVendored: vendored, GoProbe: probe })) {
      for (const [name, content] of Object.entries({ ...files, [`${directory}.json`]: definition(directory) })) {
        const file = path.join(repo, 'analyzers', directory, name);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content);
      }
    }
    // No module proxy anywhere: NEURONS_GOPROXY empty is no proxy.
    build = await runCli(['build', '--repo', repo, '--namespace', namespace, '--all'], { NEURONS_GOPROXY: '' });
  });

  afterAll(async () => {
    await removeReferences(docker, inNamespace(namespace));
  });

  async function run(name: string, request: Partial<JobRequest>) {
    const job = await mkdtemp(path.join(tmpdir(), 'neurons-go-job-'));
    await prepareJobFolder(job, {
      dataType: 'other',
      observable: { data: '' },
      tlp: 2,
      pap: 2,
      message: '',
      parameters: {},
      config: {},
      ...request,
    });
    const result = await runJob(docker, `${state.registry.host}/${namespace}/${name}:1.0`, job, {
      timeoutMs: 120_000,
      network: 'none',
    });
    return {
      ...result,
      report: JSON.parse(await readFile(path.join(job, 'output', 'output.json'), 'utf8')) as Record<string, unknown>,
    };
  }

  it('builds both, a vendored module with no module proxy', () => {
    expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0);
  });

  it('runs the vendored job-folder worker as is, with the job folder as argument', async () => {
    const entrypoint = (await docker.getImage(`${state.registry.host}/${namespace}/govendored:1.0`).inspect()).Config
      .Entrypoint;
    expect(entrypoint).toEqual(['/worker/GoVendored/govendored']);
    const result = await run('govendored', { observable: { data: 'world' } });
    expect(result.report, result.logs).toEqual({ success: true, full: { greeting: 'hello, world', folder: '/job' } });
  });

  it('a file observable reaches a stdin/stdout worker as a path it can open', async () => {
    const content = Buffer.from('a file submitted to the analyzer\n');
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'neurons-go-file-')), 'sample.txt');
    await writeFile(file, content);
    const result = await run('goprobe', { dataType: 'file', observable: { file } });
    expect(result.report, result.logs).toEqual({
      success: true,
      full: {
        path: '/job/input/attachment',
        size: content.length,
        sha256: createHash('sha256').update(content).digest('hex'),
      },
    });
  });

  it('the adapter keeps a report the worker wrote itself', async () => {
    const result = await run('goprobe', { observable: { data: 'own-report' } });
    expect(result.report).toEqual({ success: true, full: { written: 'by the worker' } });
    expect(result.logs).toContain('report written');
  });

  it('the adapter keeps stderr as the errorMessage when there is no report, and the exit code', async () => {
    const result = await run('goprobe', { observable: { data: 'fail' } });
    expect(result.report).toMatchObject({ success: false, errorMessage: 'the lookup service refused the request' });
    expect(result.exitCode).toBe(3);
    // JSON that is not an object is not a report.
    const notReport = await run('goprobe', { observable: { data: 'other' } });
    expect(notReport.report).toMatchObject({
      success: false,
      errorMessage: 'worker printed no JSON report and wrote no output/output.json',
    });
  });
});
