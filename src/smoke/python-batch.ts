import path from 'node:path';
import { TOP_LEVEL_IMPORTS_FUNCTION } from './python-imports.js';

/**
 * A batch of Python processes run by one interpreter: `<python> -c PYTHON_BATCH_DRIVER <batch root>` reads the
 * requests from `plan.json` in the batch root, imports once the modules the scripts import at top level from the
 * image (the standard library and installed packages, never the worker's own files), then forks one process per
 * request. Each child becomes what `<python> <script> <args>` (or `<python> -c <code> <args>`) would have been: the
 * same interpreter, environment and working directory; `sys.argv`, `sys.path[0]`, a fresh `__main__` module and the
 * script's absolute file name as Python sets them; stdin from /dev/null; stdout and stderr to `log-<i>`. The child
 * ends as the interpreter would (an uncaught exception prints its traceback and exits 1, `sys.exit` gives its code or
 * prints its message, Ctrl-C ends by SIGINT; threads are waited for, `atexit` functions run, what only the script's
 * globals hold is released, a file left open among them flushed, standard streams flushed), without tearing down the
 * preloaded modules: their pages are the driver's, shared until written, and a teardown would copy each one (about
 * 30 ms of a job's 31). The driver writes each status to `exit-<i>` (128 + signal for a killed one), as a shell would.
 * What the preload made is frozen out of the collector's sight (`gc.freeze`) for the same reason.
 *
 * What a fresh interpreter would do differently: the preloaded modules are not imported again, nothing else. A module
 * is preloaded only when no folder of the worker's scripts (nor the working directory) holds a module of the same
 * name, nor of any module it imports in turn, so that each script would import that very file; one that fails to
 * import (or would import a worker's own module) is forgotten, left for each child to import on its own. Before a
 * child runs, any module of a name the worker's folders hold is forgotten too (the driver's own imports included).
 *
 * Once the preload is done, the driver writes `ready` in the batch root (a batch killed before it has not started
 * its first request). Should a preloaded module have started a thread, forking is not safe (a lock that thread holds
 * stays held in the child): each request then runs in an interpreter started afresh, as it would alone.
 */
export const PYTHON_BATCH_DRIVER = String.raw`
import sys
initial = set(sys.modules)
import builtins, importlib.machinery, json, os, types

root = sys.argv[1]
with open(os.path.join(root, "plan.json")) as handle:
    plan = json.load(handle)
base_path = sys.path[1:]


def threading_active():
    # Threads started by preloaded modules; the threading module itself is left unimported if nothing needed it.
    module = sys.modules.get("threading")
    return module.active_count() if module else 1


${TOP_LEVEL_IMPORTS_FUNCTION}

def preload(requests):
    import importlib
    scripts = [os.path.abspath(request["script"]) for request in requests if "script" in request]
    folders = {os.path.dirname(os.path.realpath(script)) for script in scripts} | {os.getcwd()}
    names = []
    for script in scripts:
        try:
            names.extend(top_level_imports(script))
        except BaseException:
            continue
    # Every name the worker's folders hold (module.py, package/, module.*.so): a fresh interpreter would import the
    # worker's own, directly or from another module. Such an import fails here, and takes what imported it along.
    own = {entry.split(".")[0] for folder in folders for entry in os.listdir(folder)}

    class Shadowed:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if path is None and name in own:
                raise ImportError("the worker has its own %s" % name)
            return None

    sys.path[:] = base_path
    sys.meta_path.insert(0, Shadowed)
    try:
        for name in dict.fromkeys(names):
            before = set(sys.modules)
            try:
                importlib.import_module(name)
            except BaseException:
                for module in set(sys.modules) - before:
                    del sys.modules[module]
    finally:
        sys.meta_path.remove(Shadowed)
        sys.path[:] = [""] + base_path
    return own


try:
    own = preload(plan)
except BaseException:
    own = None
sys.stdout.flush()
sys.stderr.flush()
# A preloaded module that started a thread makes forking unsafe (a lock held by that thread stays held in the
# child): each request then runs in an interpreter of its own, started afresh.
threaded = threading_active() > 1
# What the preload made stays out of the collector's sight: a child's collections then leave the pages it shares with
# the driver alone (each page they touched would be copied).
import gc
if not threaded and hasattr(gc, "freeze"):
    gc.freeze()
with open(os.path.join(root, "ready"), "w") as handle:
    handle.write("threaded\n" if threaded else "forks\n")


def fresh(request, log):
    import subprocess
    argv = [request["script"]] if "script" in request else ["-c", request["code"]]
    with open(os.devnull) as null:
        code = subprocess.call([sys.executable or "python3"] + argv + request["args"], stdin=null, stdout=log, stderr=log)
    return 128 - code if code < 0 else code


for index, request in enumerate(plan):
    if threaded:
        with open(os.path.join(root, "log-%d" % index), "wb") as log:
            code = fresh(request, log)
    else:
        pid = os.fork()
        if pid == 0:
            break
        status = os.waitpid(pid, 0)[1]
        code = 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    with open(os.path.join(root, "exit-%d" % index), "w") as handle:
        handle.write("%d\n" % code)
else:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)

log = os.open(os.path.join(root, "log-%d" % index), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.dup2(log, 1)
os.dup2(log, 2)
os.close(log)
null = os.open(os.devnull, os.O_RDONLY)
os.dup2(null, 0)
os.close(null)

main = types.ModuleType("__main__")
main.__builtins__ = builtins
main.__annotations__ = {}
if "script" in request:
    source_name = os.path.abspath(request["script"])
    sys.argv[:] = [request["script"]] + request["args"]
    sys.path[:] = [os.path.dirname(os.path.realpath(source_name))] + base_path
    main.__file__ = source_name
    main.__cached__ = None
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", source_name)
    with open(source_name, "rb") as handle:
        source = handle.read()
else:
    source_name = "<string>"
    sys.argv[:] = ["-c"] + request["args"]
    sys.path[:] = [""] + base_path
    main.__loader__ = importlib.machinery.BuiltinImporter
    source = request["code"]
main.__spec__ = None
# What the worker's folders would shadow (or, should the preload have failed, all but what the interpreter starts
# with) is forgotten: the job imports it as a fresh interpreter would, the worker's own first.
for name in [name for name in sys.modules if name not in initial]:
    if own is None or name.split(".")[0] in own:
        del sys.modules[name]
sys.modules["__main__"] = main


def finish(code, interrupted):
    # The interpreter's own end, but for tearing down every module: the preloaded ones live in pages shared with the
    # driver, and tearing them down would copy each page it touched (about 30 ms for requests and its imports).
    # Threads not marked daemon are waited for, exit functions run, what only the script's globals held is released
    # (a file left open is flushed and closed), standard streams flushed (120 if they cannot be, as Python says).
    threading = sys.modules.get("threading")
    if threading is not None and hasattr(threading, "_shutdown"):
        threading._shutdown()
    import atexit
    atexit._run_exitfuncs()
    main.__dict__.clear()
    gc.collect()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BaseException:
            code = 120
    if interrupted:
        import signal
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(code)


def ended(error):
    # What the interpreter makes of an exception that ends the script: sys.exit's code (its message printed when it
    # is not a number), else the traceback (without the driver's frame) and 1.
    if isinstance(error, SystemExit):
        status = error.code
        if status is None:
            return 0
        if isinstance(status, int):
            return status & 0xFF
        try:
            sys.stderr.write("%s\n" % (status,))
        except BaseException:
            pass
        return 1
    trace = error.__traceback__
    if trace is not None and trace.tb_next is not None:
        error.__traceback__ = trace = trace.tb_next
    sys.last_type, sys.last_value, sys.last_traceback = type(error), error, trace
    sys.excepthook(type(error), error, trace)
    return 1


try:
    exec(compile(source, source_name, "exec"), main.__dict__)
    status = 0
    interrupted = False
except BaseException as error:
    interrupted = isinstance(error, KeyboardInterrupt)
    status = ended(error)
finish(status, interrupted)
`;

/** One request of a batch, as the driver reads it from `plan.json`. */
export type PythonBatchRequest = { script: string; args: string[] } | { code: string; args: string[] };

/** Python interpreters by name: `python`, `python3`, `python3.11`, with or without a folder. */
const PYTHON = /^python(3(\.\d+)?)?$/;

/**
 * The driver's plan when every request is `<python> <script> <args>` or `<python> -c <code> <args>` with one and
 * the same interpreter; undefined when any is not (options before the script, another program), and for no request.
 */
export function pythonBatchPlan(argvs: string[][]): { interpreter: string; plan: PythonBatchRequest[] } | undefined {
  const interpreter = argvs[0]?.[0];
  if (interpreter === undefined || !PYTHON.test(path.posix.basename(interpreter))) return undefined;
  const plan: PythonBatchRequest[] = [];
  for (const [program, first, ...rest] of argvs) {
    if (program !== interpreter || first === undefined) return undefined;
    if (first === '-c') {
      const [code, ...args] = rest;
      if (code === undefined) return undefined;
      plan.push({ code, args });
    } else if (first.startsWith('-')) return undefined;
    else plan.push({ script: first, args: rest });
  }
  return { interpreter, plan };
}
