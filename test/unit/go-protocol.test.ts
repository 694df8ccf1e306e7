import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decideGoProtocol, judgeGoProtocol } from '../../src/render/go-protocol.js';
import { scanGoSource } from '../../src/render/go-source.js';
import { parseGoMod } from '../../src/render/go-module.js';
import { main } from '../../src/cli/main.js';
import { memoryStream } from '../helpers/memory-io.js';
import { definitionText, writeTree } from './definitions/fixture.js';

async function folderWith(files: Record<string, string>): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'neurons-go-protocol-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(folder, name)), { recursive: true });
    await writeFile(path.join(folder, name), content);
  }
  return folder;
}

/** A stdin/stdout worker whose comments, strings and vendored dependency all talk of the job folder. */
const stdioWorker = {
  'go.mod': 'module example.com/stdio\n\ngo 1.19\n\nrequire example.com/jobpaths v1.0.0\n',
  'main.go': `package main

// Cortex mounts the job at /job/input/input.json, but this worker does not read it: see README.
import (
	"encoding/json"
	"fmt"
	"os"

	"example.com/jobpaths"
)

/* Not read either: "input/input.json" */
func main() {
	var in map[string]interface{}
	json.NewDecoder(os.Stdin).Decode(&in)
	_ = jobpaths.Name
	fmt.Println(\`{"success": true, "note": "not /job/input/input.json"}\`)
}
`,
  'vendor/modules.txt': '# example.com/jobpaths v1.0.0\n## explicit\nexample.com/jobpaths\n',
  'vendor/example.com/jobpaths/paths.go':
    'package jobpaths\n\nconst Name = "/job"\n\nconst Input = "/job/input/input.json"\n\nvar _ = os.Args\n',
  'main_test.go': 'package main\n\nconst fixture = "/job/input/input.json"\n',
};

/** A job-folder worker that takes the folder from its first argument. */
const jobWorker = {
  'go.mod': 'module example.com/job\n\ngo 1.19\n',
  'main.go': `package main

import (
	"os"
	"path/filepath"
)

func main() {
	dir := "/job"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	// Reading stdin (os.Stdin) is what the old protocol did; not this worker.
	raw, _ := os.ReadFile(filepath.Join(dir, "input", "input.json"))
	os.WriteFile(filepath.Join(dir, "output", "output.json"), raw, 0o644)
}
`,
};

describe('Go sources as code', () => {
  it('drops comments, sets literals apart and reads imports with their names', () => {
    const source = scanGoSource(
      'a.go',
      'package main\n// os.Stdin\nimport (\n\tx "os"\n\t"github.com/ilyaglow/go-cortex"\n)\nimport "fmt"\nvar s = "os.Stdin /* no */"\nvar r = \'"\'\nvar t = `a"b`\n',
    );
    expect(source.packageName).toBe('main');
    expect(source.imports).toEqual([
      { name: 'x', path: 'os' },
      { name: 'cortex', path: 'github.com/ilyaglow/go-cortex' },
      { name: 'fmt', path: 'fmt' },
    ]);
    expect(source.code).not.toContain('Stdin');
    expect(source.strings).toContain('os.Stdin /* no */');
    expect(source.strings).toContain('a"b');
  });

  it('needs no proxy for a requirement replaced by a folder of the module', () => {
    expect(
      parseGoMod(
        'module x\nrequire (\n\tex.example/lib v0.0.0\n\tex.example/other v1.0.0\n)\nreplace ex.example/lib => ./lib\nreplace (\n\tex.example/other => ex.example/fork v1.0.1\n)\n',
      ).requires,
    ).toEqual(['ex.example/other']);
  });

  it('reads the module path and its requirements from go.mod', () => {
    expect(
      parseGoMod(
        'module example.com/x // the module\n\ngo 1.19\nrequire a.example/b v1.0.0\nrequire (\n\tc.example/d v0.1.0 // indirect\n)\n',
      ),
    ).toEqual({ path: 'example.com/x', requires: ['a.example/b', 'c.example/d'] });
  });
});

describe('the protocol of a Go worker, from its code', () => {
  it('a stdin/stdout worker is judged stdio, though its vendored code, comments, strings and tests name /job', async () => {
    const decision = await decideGoProtocol(await folderWith(stdioWorker), 'example.com/stdio', {});
    expect(decision.protocol).toBe('stdio');
    expect(decision.reasons).toContain('reads os.Stdin (main.go)');
    expect(decision.reasons.join('\n')).not.toMatch(/job|vendor|main_test/);
  });

  it('a worker that opens input/input.json in the folder os.Args[1] names is judged job', async () => {
    const decision = await decideGoProtocol(await folderWith(jobWorker), 'example.com/job', {});
    expect(decision.protocol).toBe('job');
    expect(decision.reasons).toEqual([
      'opens "input.json" (main.go)',
      'names the job folder "/job" (main.go)',
      'takes the job folder from its first argument (os.Args[1]) (main.go)',
    ]);
  });

  it('follows the packages of its own module that the main package imports, never vendor/', async () => {
    const folder = await folderWith({
      'go.mod': 'module example.com/split\n\ngo 1.19\n',
      'main.go': 'package main\n\nimport "example.com/split/internal/job"\n\nfunc main() { job.Run() }\n',
      'internal/job/job.go': 'package job\n\nimport "os"\n\nfunc Run() { os.ReadFile("/job/input/input.json") }\n',
    });
    expect(await decideGoProtocol(folder, 'example.com/split', {})).toEqual({
      protocol: 'job',
      reasons: ['opens "/job/input/input.json" (internal/job/job.go)'],
    });
  });

  it('a known worker library says stdio through the calls made to it', () => {
    const source = scanGoSource(
      'main.go',
      'package main\nimport cx "github.com/ilyaglow/go-cortex"\nfunc main() { in, _, _ := cx.NewInput(); cx.SayReport(in, nil) }\n',
    );
    expect(judgeGoProtocol([source])).toEqual({
      protocol: 'stdio',
      reasons: [
        'calls NewInput, SayReport of github.com/ilyaglow/go-cortex, which reads the job on stdin and prints the report on stdout (main.go)',
      ],
    });
  });

  it('knows a package by the name the file imports it under', () => {
    const aliased = judgeGoProtocol([
      scanGoSource(
        'main.go',
        'package main\nimport sys "os"\nfunc main() { dir := sys.Args[1]; sys.ReadFile(dir + "/input/input.json") }\n',
      ),
    ]);
    expect(aliased).toEqual({
      protocol: 'job',
      reasons: [
        'opens "/input/input.json" (main.go)',
        'takes the job folder from its first argument (os.Args[1]) (main.go)',
      ],
    });
    // A variable called os is not the os package.
    expect(
      judgeGoProtocol([
        scanGoSource('main.go', 'package main\nfunc main() { os := struct{ Stdin int }{}; _ = os.Stdin }\n'),
      ]).reasons,
    ).not.toContain('reads os.Stdin (main.go)');
  });

  it('with no sign, or signs of both, the adapter wraps it (it serves both)', () => {
    expect(judgeGoProtocol([scanGoSource('main.go', 'package main\nfunc main() {}\n')]).protocol).toBe('stdio');
    const both = judgeGoProtocol([
      scanGoSource(
        'main.go',
        'package main\nimport "os"\nfunc main() { os.Stdin.Read(nil); os.Open("/job/input/input.json") }\n',
      ),
    ]);
    expect(both.protocol).toBe('stdio');
    expect(both.reasons.at(-1)).toMatch(/reads stdin and the job folder both/);
  });

  it('neurons.json has the last word', async () => {
    expect(await decideGoProtocol(await folderWith(jobWorker), 'example.com/job', { protocol: 'stdio' })).toEqual({
      protocol: 'stdio',
      reasons: ['set in neurons.json'],
    });
  });
});

describe('neurons generate', () => {
  /** A repository of Go workers: each folder's files, and a definition whose command is `<Dir>/<dir>`. */
  async function goRepository(folders: Record<string, Record<string, string>>): Promise<string> {
    const tree: Record<string, string> = {};
    for (const [directory, files] of Object.entries(folders)) {
      tree[`analyzers/${directory}/${directory}.json`] = definitionText({
        name: directory,
        command: `${directory}/${directory.toLowerCase()}`,
      });
      for (const [name, content] of Object.entries(files)) tree[`analyzers/${directory}/${name}`] = content;
    }
    return writeTree(tree);
  }

  async function generate(repo: string, env: Record<string, string> = {}) {
    const stdout = memoryStream();
    const stderr = memoryStream();
    const state = await mkdtemp(path.join(tmpdir(), 'neurons-no-env-'));
    const io = {
      cwd: repo,
      env: { NEURONS_REGISTRY: 'registry.example', NEURONS_BASE_GO: 'mirror/go:1.19', XDG_STATE_HOME: state, ...env },
      stdout,
      stderr,
    };
    const code = await main(['generate', '--offline', '--repo', repo, '--out', path.join(state, 'out')], io);
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  }

  it('says, for each Go worker, the protocol it speaks and why', async () => {
    const repo = await goRepository({ Piped: stdioWorker, Folder: jobWorker });
    const result = await generate(repo);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => line.startsWith('go '));
    expect(lines).toEqual([
      'go      analyzers/Folder: job (job folder, run as is): opens "input.json" (main.go); names the job folder "/job" (main.go); takes the job folder from its first argument (os.Args[1]) (main.go)',
      'go      analyzers/Piped: stdio (stdin/stdout, run through the job adapter): reads os.Stdin (main.go); prints to stdout (main.go)',
    ]);
  });

  it('refuses Go code without go.mod before anything is built, naming the folder and the fix', async () => {
    const repo = await goRepository({ Old: { 'main.go': 'package main\nfunc main() {}\n' } });
    const result = await generate(repo);
    // A worker problem (exit 1), as every render error.
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('RENDER_GO_NO_MODULE');
    expect(result.stderr).toContain('analyzers/Old');
    expect(result.stderr).toContain('go mod init');
  });
});
