# Runs inside a build env (Python 3.6+), with the project folder as working directory: calls the PEP 517 hooks
# corral needs of the project's build backend and writes the answers as one JSON object to the file named last on
# the command line (the backend may print to stdout: setuptools does).
#   build_hook_server.py both BACKEND BACKEND_PATH_JSON DIR OUT_JSON
#       {"requires": get_requires_for_build_wheel({}), "metadata": prepare_metadata_for_build_wheel(DIR, {}) or null}
#       The backend is imported once; each hook then runs in a child forked from that state, which ends as a fresh
#       interpreter ends (exit handlers, flushed streams), so a hook's changes to the process (sys.argv, the working
#       folder, the environment, modules) never reach the next one: what PEP 517's "each hook in a fresh
#       subprocess" asks for, without importing the backend twice. The metadata hook runs only when the requires
#       hook asked for nothing more (else "metadata" is null: the caller installs those and asks again). Off Linux,
#       or when importing the backend started a thread, the requires hook runs here and "metadata" is null.
#       Once the backend is imported, no hook runs before a line "go" comes on standard input (anything else, or
#       its end: exit 0, no answer): the caller may start this while it still checks that the env is the right one.
#   build_hook_server.py requires BACKEND BACKEND_PATH_JSON OUT_JSON        -> {"requires": [...], "metadata": null}
#   build_hook_server.py metadata BACKEND BACKEND_PATH_JSON DIR OUT_JSON    -> {"requires": null, "metadata": "..."}
import importlib
import json
import os
import sys
import zipfile
from typing import Any, List


def _backend(spec: str, paths: List[str]) -> Any:
    for path in reversed(paths):
        sys.path.insert(0, os.path.abspath(path))
    module_name, _, attrs = spec.partition(":")
    obj = importlib.import_module(module_name.strip())  # type: Any
    for attr in filter(None, attrs.strip().split(".")):
        obj = getattr(obj, attr)
    return obj


def _requires(backend: Any) -> List[str]:
    hook = getattr(backend, "get_requires_for_build_wheel", None)
    return [str(r) for r in hook({})] if hook is not None else []


def _metadata(backend: Any, folder: str) -> str:
    hook = getattr(backend, "prepare_metadata_for_build_wheel", None)
    if hook is not None:
        return str(hook(folder, {}))
    wheel = os.path.join(folder, backend.build_wheel(folder, {}))  # no metadata hook: PEP 517's fallback
    with zipfile.ZipFile(wheel) as archive:
        name = next(n.split("/")[0] for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        archive.extractall(folder, [n for n in archive.namelist() if n.startswith(name + "/")])
    return name


def _write(path: str, answer: Any) -> None:
    with open(path, "w") as handle:
        json.dump(answer, handle)


def _in_child(backend: Any, phase: str, folder: str, out: str) -> int:
    """Fork; the child runs one hook, writes its answer to `out` and exits the way a fresh interpreter does."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        answer = _requires(backend) if phase == "requires" else _metadata(backend, folder)  # type: Any
        _write(out, answer)
        sys.exit(0)  # SystemExit unwinds to the interpreter's own exit: threads joined, atexit run, streams flushed
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    sys.stderr.write("the build backend's %s hook ended by signal %d\n" % (phase, os.WTERMSIG(status)))
    return 1


def _forked(backend: Any, folder: str, out: str) -> int:
    """Both hooks, each in a child of this process; then end without running the children's exit handlers again."""
    answer = {"requires": None, "metadata": None}  # type: Any
    code = _in_child(backend, "requires", folder, out + ".requires")
    if code == 0:
        with open(out + ".requires") as handle:
            answer["requires"] = json.load(handle)
        if answer["requires"] == []:
            code = _in_child(backend, "metadata", folder, out + ".metadata")
            if code == 0:
                with open(out + ".metadata") as handle:
                    answer["metadata"] = json.load(handle)
    if code == 0:
        _write(out, answer)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the exit handlers imported with the backend belong to the hooks' processes, which ran them
    return code  # pragma: no cover - not reached


def main() -> int:
    mode, spec, paths = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    out = sys.argv[-1]  # read first: setuptools' hooks rewrite sys.argv (they run `egg_info` / `dist_info`)
    folder = sys.argv[4] if mode != "requires" else ""
    backend = _backend(spec, paths)
    if mode == "both":
        import threading

        if sys.stdin.readline().strip() != "go":
            return 0
        if sys.platform.startswith("linux") and threading.active_count() == 1:  # macOS: fork without exec is unsafe
            return _forked(backend, folder, out)
        mode = "requires"
    if mode == "requires":
        _write(out, {"requires": _requires(backend), "metadata": None})
    else:
        _write(out, {"requires": None, "metadata": _metadata(backend, folder)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
