# -*- coding: utf-8 -*-
"""corral's 2.7 locker, run INSIDE a Python 2.7 toolchain env holding pip 20.3.4 and pip-tools 5.5.0.

    python _piptools_driver.py REQUEST.json RESULT.json

REQUEST: {"requirements": [[kind, name, requirement], ...], "pins": {name: version}, "cache_dir": folder}
          (the indexes [primary, *extras]: PIP_INDEX_URL and the space-separated PIP_EXTRA_INDEX_URL, never a file,
          as a URL may hold a credential)
RESULT:  {"packages": [{"name", "version", "index", "files": [{"filename", "url", "sha256", "kind"}],
          "directory": path, "dependencies": [names]}], "selections": [[kind, name, [names]]],
          "marker_env": {...}, "pip": version, "pip_tools": version}  or  {"error": text}

pip-tools' own resolver (the one `pip-compile` runs) finds the versions, with the previous pins as
preferences (its LocalRequirementsRepository: a pin is kept while every requirement allows it). Markers are
evaluated by this interpreter, so the result is for this Python on this platform only. Every file of each
pinned version that this interpreter can install (its wheels, its sdist) is recorded with its sha256 (the
index's `#sha256=` fragment, else the file is downloaded and hashed). sdist-only packages are handled as pip
handles them: their metadata is built here (setup.py egg_info or PEP 517).

Plain Python 2.7 on purpose (it runs on the target interpreter); pip and pip-tools are pinned, so the internal
API used here never changes under it.
"""

from __future__ import absolute_import, print_function

import json
import os
import sys
import traceback


def _key(name):
    return name.replace("_", "-").replace(".", "-").lower()


def _page_url(link):
    page = link.comes_from
    return getattr(page, "url", page) or ""


def _index_of(link, index_urls):
    page = _page_url(link)
    for url in index_urls:
        if page.startswith(url.rstrip("/") + "/"):
            return url
    return None


def _build_indexes_from_environment():
    """A build's isolated pip gets its indexes from the environment, not `-i URL` on its command line.

    pip 20.3.4 starts that pip with `-i URL --extra-index-url URL`, which every local user may read
    (/proc/PID/cmdline) and a URL may hold a credential. The child inherits this process's PIP_INDEX_URL and
    PIP_EXTRA_INDEX_URL, which hold the very indexes the finder was given (`Locker`), so it reads the same.
    """
    from pip._internal import build_env

    plain = build_env.call_subprocess

    def call_subprocess(cmd, *args, **kwargs):
        kept, at = [], 0
        end = cmd.index("--") if "--" in cmd else len(cmd)  # the requirements follow
        while at < len(cmd):
            if at < end and cmd[at] in ("-i", "--extra-index-url") and at + 1 < end:
                at += 2
                continue
            kept.append(cmd[at])
            at += 1
        return plain(kept, *args, **kwargs)

    build_env.call_subprocess = call_subprocess


class Locker(object):
    """One resolution: pins, files and the dependency graph with extras."""

    def __init__(self, request):
        from piptools.cache import DependencyCache
        from piptools.repositories import LocalRequirementsRepository, PyPIRepository

        self.index_urls = [os.environ["PIP_INDEX_URL"]] + os.environ.get("PIP_EXTRA_INDEX_URL", "").split()
        # no index flags: pip's parser reads both variables (a flag as well would give an extra index twice)
        pip_args = ["--cache-dir", os.path.join(request["cache_dir"], "pip")]
        self.pypi = PyPIRepository(pip_args, cache_dir=os.path.join(request["cache_dir"], "pip-tools"))
        self.repository = self.pypi
        pins = request.get("pins") or {}
        if pins:
            from pip._internal.req.constructors import install_req_from_line

            existing = {}
            for name, version in sorted(pins.items()):
                existing[_key(name)] = install_req_from_line(str("%s==%s" % (name, version)))
            self.repository = LocalRequirementsRepository(existing, self.pypi, reuse_hashes=False)
        self.cache = DependencyCache(os.path.join(request["cache_dir"], "pip-tools"))
        self.resolver = None
        self.pinned = {}
        self._deps = {}

    def resolve(self, requirements):
        from pip._internal.req.constructors import install_req_from_line
        from piptools.resolver import Resolver
        from piptools.utils import key_from_ireq

        roots = {}
        constraints = []
        for kind, name, text in requirements:
            ireq = install_req_from_line(str(text), comes_from="pyproject.toml")
            if ireq.markers is not None and not ireq.markers.evaluate():
                roots.setdefault((kind, name), [])
                continue
            roots.setdefault((kind, name), []).append((key_from_ireq(ireq), tuple(sorted(ireq.extras))))
            constraints.append(ireq)
        self.resolver = Resolver(
            constraints, self.repository, cache=self.cache, prereleases=False, clear_caches=False, allow_unsafe=True
        )
        results = self.resolver.resolve(max_rounds=20)
        self.pinned = dict((key_from_ireq(ireq), ireq) for ireq in results)
        return roots

    def dependencies(self, key, extra):
        """(key, extras) of what `key` needs with one extra (or none): cached by pip-tools per version."""
        from piptools.utils import is_pinned_requirement, key_from_ireq, make_install_requirement

        memo = (key, extra)
        if memo not in self._deps:
            ireq = self.pinned[key]
            if is_pinned_requirement(ireq) and not ireq.link:
                version = next(iter(ireq.specifier)).version
                ireq = make_install_requirement(ireq.name, version, (extra,) if extra else ())
                found = self.resolver._iter_dependencies(ireq)  # noqa: SLF001 - pip-tools 5.5.0 is pinned
            elif extra:
                found = []  # a URL requirement's dependencies are known only with all its extras (below)
            else:
                found = self.repository.get_dependencies(ireq)
            self._deps[memo] = sorted(set((key_from_ireq(d), tuple(sorted(d.extras))) for d in found))
        return self._deps[memo]

    def closure(self, roots):
        expanded = {}
        stack = list(roots)
        while stack:
            key, extras = stack.pop()
            if key not in self.pinned:
                continue
            done = expanded.get(key)
            todo = [None] if done is None else []
            todo += [e for e in extras if done is None or e not in done]
            expanded.setdefault(key, set()).update(extras)
            for extra in todo:
                stack.extend(self.dependencies(key, extra))
        return expanded

    def files(self, ireq):
        """Every file of the pinned version this interpreter can install, with sha256 and the index it came from."""
        from pip._vendor.packaging.version import parse

        version = parse(next(iter(ireq.specifier)).version)
        found = []
        for candidate in self.pypi.find_all_candidates(ireq.name):
            if parse(str(candidate.version)) != version:
                continue
            link = candidate.link
            if link.hash_name == "sha256" and link.hash:
                digest = link.hash
            else:
                digest = self.pypi._get_file_hash(link).split(":", 1)[1]  # noqa: SLF001 - pinned pip-tools
            found.append(
                {
                    "filename": link.filename,
                    "url": link.url_without_fragment,
                    "sha256": digest,
                    "kind": "wheel" if link.is_wheel else "sdist",
                    "yanked": bool(link.is_yanked),
                    "index": _index_of(link, self.index_urls),
                }
            )
        usable = [f for f in found if not f["yanked"]] or found
        return sorted(usable, key=lambda f: f["filename"])

    def package(self, key, ireq, dependencies):
        from piptools.utils import is_pinned_requirement

        entry = {"name": ireq.name, "dependencies": sorted(dependencies)}
        link = ireq.link if not is_pinned_requirement(ireq) else None
        if link is not None and link.is_file and link.is_existing_dir():
            entry["directory"] = link.file_path
            return entry
        if link is not None:
            digest = sorted(self.pypi.get_hashes(ireq))
            entry["version"] = _url_version(ireq)
            entry["files"] = [
                {
                    "filename": link.filename,
                    "url": link.url_without_fragment,
                    "sha256": digest[0].split(":", 1)[1] if digest else None,
                    "kind": "archive",
                    "index": None,
                }
            ]
            return entry
        entry["version"] = next(iter(ireq.specifier)).version
        entry["files"] = self.files(ireq)
        if not entry["files"]:
            raise RuntimeError("the index lists no installable file of %s %s" % (ireq.name, entry["version"]))
        indexes = [f["index"] for f in entry["files"] if f["index"]]
        entry["index"] = indexes[0] if indexes else None
        return entry


def _url_version(ireq):
    """The version a URL requirement's metadata states (pip prepared it while resolving), else None."""
    try:
        return str(ireq.metadata["Version"])
    except Exception:  # noqa: BLE001 - PEP 751 allows an archive without a version
        return None


def lock(request):
    """The RESULT document for one REQUEST."""
    import pip
    from pip._vendor.packaging.markers import default_environment
    from piptools.logging import log

    log.verbosity = -1  # only errors reach stderr; corral reports what happened
    _build_indexes_from_environment()
    locker = Locker(request)
    roots = locker.resolve(request["requirements"])
    selections = []
    graph = {}
    for (kind, name), wanted in sorted(roots.items()):
        reached = locker.closure(wanted)
        selections.append([kind, name, sorted(reached)])
        for key, extras in reached.items():
            edges = graph.setdefault(key, set())
            for extra in [None] + sorted(extras):
                edges.update(dep for dep, _ in locker.dependencies(key, extra))
    packages = []
    for key in sorted(locker.pinned):
        if key in graph:
            packages.append(locker.package(key, locker.pinned[key], graph[key] - set([key])))
    try:
        import pkg_resources

        pip_tools = pkg_resources.get_distribution("pip-tools").version
    except Exception:  # noqa: BLE001 - informational only
        pip_tools = "?"
    return {
        "packages": packages,
        "selections": selections,
        "marker_env": default_environment(),
        "pip": pip.__version__,
        "pip_tools": pip_tools,
    }


def main(argv):
    with open(argv[1]) as stream:
        request = json.load(stream)
    try:
        result = lock(request)
        code = 0
    except Exception as err:  # noqa: BLE001 - every failure becomes a message for corral
        text = str(err) or err.__class__.__name__
        result = {"error": text, "kind": err.__class__.__name__, "traceback": traceback.format_exc()}
        code = 1
    except SystemExit as err:  # pip raises it on some fatal errors
        result = {"error": "pip stopped (exit code %s)" % err.code, "kind": "SystemExit"}
        code = 1
    with open(argv[2], "w") as stream:
        json.dump(result, stream)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
