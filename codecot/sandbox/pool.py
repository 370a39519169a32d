"""`SandboxPool`: long-lived sandbox workers, one guarded fork per job.

The pool starts `jobs` worker processes (`python -m codecot.sandbox.worker`, with
PYTHONHASHSEED=0), each with the task and `preload` modules imported. It sends each payload
to an idle worker (up to `DEPTH` queued per worker so a worker never waits for the pool),
collects the replies, and yields results in input order. A worker that dies is restarted:
the job it was running gets a `crash` result, jobs queued behind it are sent again.

Every payload gets exactly one result dict with at least `id`, `ok`, `error`, `error_kind`
and `stdout`. Not thread-safe: use one pool per thread.

A task module may define `prepare_payload(payload) -> payload`: the pool imports the module
and passes every payload through it before sending it, in the pool's own process.  It is for
work that runs none of the payload's code (the tracer compiles the record there, see
`codecot.trace.tracer.prepare_payload`), done once in a warm process instead of in a freshly
forked child.  If it raises, the payload is sent as it was.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import json
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from codecot.sandbox.limits import Limits
from codecot.sandbox.protocol import FrameReader, compact_decoder, dumps, frame, write_all
from codecot.sandbox.worker import signal_name

DEPTH = 2
"""Payloads queued per worker."""
WATCHDOG_SLACK = 10.0
"""Seconds beyond `wall_seconds` before a silent worker is presumed stuck and killed."""
START_TIMEOUT = 120.0

_PASSED_ENV = frozenset(
    {"PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "PYTHONUTF8"}
)
_PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


LANDLOCK_ENV = "CODECOT_LANDLOCK"
"""Environment variable with the default Landlock mode (for benchmarks): one of
`LANDLOCK_MODES`; unset means `once`."""
LANDLOCK_MODES = ("once", "per-child", "off")
_WARNED: set[str] = set()

DIR_PREFIX = "codecot-sandbox-"
OWNER_FILE = "owner.pid"
"""In each pool's directory: the process id and host name of the pool's owner, so that a later
pool on the same host can remove the directory of an owner that was killed before it could
close its pool (a temp dir shared with other hosts or PID namespaces is left alone)."""


def _owner_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # PermissionError: alive, another user's
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def owner_line() -> str:
    """What this process writes in the owner file of its pools' directories."""
    return f"{os.getpid()} {socket.gethostname()}"


def sweep_stale_dirs(root: str | None = None) -> list[str]:
    """Remove pool directories under `root` (the temp dir) whose owner process is gone.

    Only directories whose owner file names this host and a process that no longer exists are
    removed; returns their paths."""
    root = root or tempfile.gettempdir()
    removed: list[str] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(DIR_PREFIX):
            continue
        try:
            with open(os.path.join(entry.path, OWNER_FILE)) as owner:
                pid_text, host = owner.read().split(maxsplit=1)
            pid = int(pid_text)
        except (OSError, ValueError):
            continue
        if host.strip() == socket.gethostname() and pid != os.getpid() and not _owner_alive(pid):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
    return removed


@functools.cache
def _sweep_once() -> None:
    """`sweep_stale_dirs` of the temp dir, the first time a pool of this process opens."""
    sweep_stale_dirs()


def _payload_hook(task: str) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """The task module's `prepare_payload`, if it can be imported and has one."""
    module_name = task.partition(":")[0]
    try:
        module = importlib.import_module(module_name)
    except Exception:  # the worker reports a task it cannot import
        return None
    hook = getattr(module, "prepare_payload", None)
    return hook if callable(hook) else None


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        print(message, file=sys.stderr)


class SandboxError(RuntimeError):
    """The sandbox could not start (e.g. the task module does not import)."""


_CUT_MARKER = re.compile(r"\[\.\.\. (\d+) chars cut\]\Z")


def cap_task_output(text: str, cap: int) -> str:
    """`cap_output` for output a task captured and capped itself: the count of its trailing
    `[... N chars cut]` marker, if any, is carried over."""
    found = _CUT_MARKER.search(text)
    if found is None:
        return cap_output(text, cap)
    return cap_output(text[: found.start()], cap, int(found.group(1)))


def cap_output(text: str, cap: int, cut: int = 0) -> str:
    """`text` cut to `cap` characters, with a `[... N chars cut]` marker when anything was."""
    if len(text) > cap:
        cut += len(text) - cap
        text = text[:cap]
    return f"{text}[... {cut} chars cut]" if cut else text


def failure(record_id: Any, kind: str, error: str, stdout: str = "") -> dict[str, Any]:
    """A sandbox-level failure result."""
    return {"id": record_id, "ok": False, "error": error, "error_kind": kind, "stdout": stdout}


@dataclass
class _Job:
    index: int
    record_id: Any
    data: bytes


@dataclass
class _WorkerProc:
    proc: subprocess.Popen[bytes]
    reader: FrameReader
    stdin_fd: int
    queue: deque[_Job] = field(default_factory=deque)
    head_since: float = 0.0
    meta: bytes | None = None
    info: dict[str, Any] = field(default_factory=dict)


class SandboxPool:
    """A pool of sandbox workers running `task` ("module:function") on JSON payloads."""

    def __init__(
        self,
        jobs: int | None = None,
        limits: Limits = Limits(),  # noqa: B008 - Limits is frozen
        task: str = "codecot.sandbox.tasks:exec_call",
        preload: tuple[str, ...] = (),
        landlock: str | None = None,
        *,
        _audit_hook: bool = True,
    ) -> None:
        if landlock is None:
            landlock = os.environ.get(LANDLOCK_ENV, "once") or "once"
        if landlock not in LANDLOCK_MODES:
            raise ValueError(f"landlock must be one of {', '.join(LANDLOCK_MODES)}, got {landlock!r}")
        self.landlock = landlock
        # Tests only: run children without the audit hook, to check the kernel layers alone.
        self._audit_hook = _audit_hook
        if jobs is None:
            jobs = os.cpu_count() or 1
        if jobs < 1:
            raise ValueError(f"jobs must be >= 1, got {jobs}")
        self.jobs = jobs
        self.limits = limits
        self.task = task
        self.preload = tuple(preload)
        _sweep_once()
        self.base_dir = tempfile.mkdtemp(prefix=DIR_PREFIX)
        with open(os.path.join(self.base_dir, OWNER_FILE), "w") as owner:
            owner.write(owner_line())
        self.restarts = 0
        self._serial = 0
        self._closed = False
        self._workers: list[_WorkerProc] = []
        self._results: dict[int, dict[str, Any]] = {}
        self._retry: deque[_Job] = deque()
        self._next_index = 0
        self._selector = selectors.DefaultSelector()
        self._decode = compact_decoder()
        self._prepare = _payload_hook(task)
        try:
            started = [self._spawn() for _ in range(jobs)]
            for worker in started:
                self._handshake(worker)
                self._add(worker)
        except BaseException:
            self.close()
            raise

    # -- public API -----------------------------------------------------------------------

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers and remove the pool's temporary directory. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for worker in self._workers:
            self._stop(worker, graceful=True)
        self._workers.clear()
        self._selector.close()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers."""
        return [w.proc.pid for w in self._workers]

    def worker_info(self) -> list[dict[str, Any]]:
        """What each worker reported at start (pid, whether the network namespace worked)."""
        return [dict(w.info) for w in self._workers]

    def confinement(self) -> dict[str, Any]:
        """Which confinement layers every current worker's children get.

        Keys: `rlimits`, `private_dir`, `wall_clock` (always true), `audit_hook`, `netns`,
        `tmpfs`, `landlock` (bools, true only if true for every worker); with Landlock, also
        `landlock_abi`, `landlock_fs_rights` (the handled write rights), `landlock_net_denied`,
        `landlock_scopes`; without it, `landlock_error` (why not)."""
        infos = [w.info for w in self._workers]
        layers: dict[str, Any] = {"rlimits": True, "private_dir": True, "wall_clock": True}
        for key in ("audit_hook", "netns", "tmpfs", "landlock"):
            layers[key] = bool(infos) and all(bool(i.get(key)) for i in infos)
        first = infos[0] if infos else {}
        if layers["landlock"]:
            layers["landlock_abi"] = min(int(i.get("abi", 0)) for i in infos)
            for key in ("fs_rights", "net_denied", "scopes"):
                layers["landlock_" + key] = list(first.get(key, []))
        else:
            failed = next((i for i in infos if not i.get("landlock")), first)
            layers["landlock_error"] = str(failed.get("landlock_error", "unknown"))
        return layers

    def confinement_line(self) -> str:
        """`confinement()` in one line, e.g. `sandbox: rlimits, private dir, wall clock, audit
        hook, netns, tmpfs, landlock ABI 7 (13 fs write rights, tcp denied, scopes: signal,
        abstract_unix)`."""
        layers = self.confinement()
        names = [
            name.replace("_", " ")
            for name in ("rlimits", "private_dir", "wall_clock", "audit_hook", "netns", "tmpfs")
            if layers[name]
        ]
        if layers["landlock"]:
            scopes = ", ".join(layers["landlock_scopes"]) or "none"
            tcp = "tcp denied, " if layers["landlock_net_denied"] else ""
            rights = len(layers["landlock_fs_rights"])
            names.append(
                f"landlock ABI {layers['landlock_abi']} ({rights} fs write rights, {tcp}"
                f"scopes: {scopes})"
            )
        else:
            names.append(f"NO landlock ({layers['landlock_error']})")
        return "sandbox: " + ", ".join(names)

    def run(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Run one payload and return its result."""
        return next(iter(self.map([payload])))

    def map(self, payloads: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Run every payload; yields one result per payload, in input order.

        Payloads are read lazily; at most a bounded number run ahead of the consumer.
        """
        if self._closed:
            raise SandboxError("the pool is closed")
        return self._map(iter(payloads))

    # -- scheduling -----------------------------------------------------------------------

    def _map(self, source: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        # Indices are pool-wide, and replies are filed in self._results by whichever map is
        # polling, so maps may nest (e.g. `run` inside a loop over `map`).
        order: deque[int] = deque()  # this map's jobs, in input order, not yet yielded
        exhausted = False
        ahead = max(64, 16 * self.jobs)
        try:
            while True:
                for worker in list(self._workers):
                    while worker in self._workers and len(worker.queue) < DEPTH:
                        if self._retry:
                            self._send(worker, self._retry.popleft())
                            continue
                        if exhausted or len(order) >= ahead:
                            break
                        try:
                            payload = next(source)
                        except StopIteration:
                            exhausted = True
                            break
                        index = self._next_index
                        self._next_index += 1
                        order.append(index)
                        encoded = self._encode(index, payload)
                        if isinstance(encoded, dict):  # refused before it reached a worker
                            self._results[index] = encoded
                        else:
                            self._send(worker, encoded)
                while order and order[0] in self._results:
                    yield self._results.pop(order.popleft())
                if exhausted and not order:
                    return
                if any(w.queue for w in self._workers):
                    self._poll()
        finally:
            self._abandon(order)

    def _encode(self, index: int, payload: Any) -> _Job | dict[str, Any]:
        """The job for `payload`, or its `bad_record` result if it cannot be sent."""
        if not isinstance(payload, dict):
            kind = type(payload).__name__
            return failure(None, "bad_record", f"payload is {kind}, not a dict")
        record_id = payload.get("id")
        if self._prepare is not None:
            with contextlib.suppress(Exception):  # then the child does that work itself
                payload = self._prepare(payload)
        try:
            return _Job(index, record_id, frame(dumps(payload)))
        except (TypeError, ValueError) as exc:
            return failure(record_id, "bad_record", f"payload is not JSON-serializable: {exc}")

    def _send(self, worker: _WorkerProc, job: _Job) -> None:
        if not worker.queue:
            worker.head_since = time.monotonic()
        worker.queue.append(job)
        try:
            write_all(worker.stdin_fd, job.data)
        except OSError:
            self._worker_died(worker)

    def _poll(self) -> None:
        """Wait for replies (or a stuck worker) and file them into `self._results`."""
        now = time.monotonic()
        budget = self.limits.wall_seconds + WATCHDOG_SLACK
        deadlines = [w.head_since + budget for w in self._workers if w.queue]
        timeout = max(0.0, min(deadlines) - now) if deadlines else None
        events = self._selector.select(timeout)
        for key, _ in events:
            worker: _WorkerProc = key.data
            if worker not in self._workers:
                continue
            try:
                alive = worker.reader.read_some()
            except OSError:
                alive = False
            if not alive:
                self._worker_died(worker)
                continue
            self._take_replies(worker)
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.queue and now - worker.head_since > budget:
                self._worker_died(worker, reason="stopped responding")

    def _take_replies(self, worker: _WorkerProc) -> None:
        while True:
            data = worker.reader.next_frame()
            if data is None:
                return
            if worker.meta is None:
                worker.meta = data
                continue
            meta, worker.meta = worker.meta, None
            job = worker.queue.popleft()
            worker.head_since = time.monotonic()
            self._results[job.index] = self._compose(job.record_id, meta, data)

    def _compose(self, record_id: Any, meta_raw: bytes, body: bytes) -> dict[str, Any]:
        """The result dict for one reply (meta + task body)."""
        try:
            meta = self._decode(meta_raw)
        except ValueError:
            return failure(record_id, "crash", "worker sent a malformed reply")
        cap = self.limits.output_chars
        stdout = cap_output(str(meta.get("stdout", "")), cap, int(meta.get("cut", 0) or 0))
        if meta.get("error_kind"):
            return failure(record_id, str(meta["error_kind"]), str(meta.get("error")), stdout)
        try:
            result = self._decode(body)
        except ValueError:
            return failure(record_id, "crash", "task result is not valid JSON", stdout)
        if not isinstance(result, dict):
            return failure(record_id, "crash", "task result is not a JSON object", stdout)
        result["id"] = record_id
        result.setdefault("error", None)
        result.setdefault("error_kind", None)
        if "ok" not in result:
            result["ok"] = result["error"] is None and result["error_kind"] is None
        task_stdout = result.get("stdout")
        # A task that captured output itself (the tracer runs code twice) knows better.
        result["stdout"] = (
            cap_task_output(task_stdout, cap)
            if task_stdout and isinstance(task_stdout, str)
            else stdout
        )
        return result

    def _abandon(self, order: deque[int]) -> None:
        """A map ended early: collect the replies it is still owed, so workers stay in step."""
        owed = set(order)
        while not self._closed and any(job.index in owed for w in self._workers for job in w.queue):
            self._poll()
        self._retry = deque(job for job in self._retry if job.index not in owed)
        for index in owed:
            self._results.pop(index, None)

    # -- worker lifecycle -----------------------------------------------------------------

    def _spawn(self) -> _WorkerProc:
        self._serial += 1
        # Workers (and so the untrusted code) see only a minimal environment: no tokens.
        env = {k: v for k, v in os.environ.items() if k in _PASSED_ENV}
        env["PYTHONHASHSEED"] = "0"
        # Bind every symbol at start: a lazy binding in a child writes (copies) a page each.
        env["LD_BIND_NOW"] = "1"
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PROJECT_ROOT, env.get("PYTHONPATH", "")) if p
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "codecot.sandbox.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=self.base_dir,
            close_fds=True,
        )
        assert proc.stdin is not None and proc.stdout is not None
        worker = _WorkerProc(proc, FrameReader(proc.stdout.fileno()), proc.stdin.fileno())
        config = {
            "task": self.task,
            "preload": list(self.preload),
            "limits": self.limits.to_dict(),
            "base_dir": os.path.join(self.base_dir, f"w{self._serial}"),
            "landlock": self.landlock,
            "audit_hook": self._audit_hook,
        }
        write_all(worker.stdin_fd, frame(dumps(config)))
        return worker

    def _handshake(self, worker: _WorkerProc) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            data = worker.reader.next_frame()
            if data is not None:
                break
            remaining = deadline - time.monotonic()
            sel = selectors.DefaultSelector()
            sel.register(worker.reader.fd, selectors.EVENT_READ)
            ok = bool(sel.select(max(0.0, remaining))) if remaining > 0 else False
            sel.close()
            if not ok or not worker.reader.read_some():
                self._stop(worker, graceful=False)
                raise SandboxError(f"sandbox worker for {self.task!r} did not start")
        info = json.loads(data)
        if not info.get("ready"):
            self._stop(worker, graceful=False)
            raise SandboxError(f"sandbox worker for {self.task!r} failed: {info.get('error')}")
        worker.info = info
        if not info.get("landlock") and self.landlock != "off":
            _warn_once(f"sandbox: Landlock unavailable ({info.get('landlock_error')}); file-system "
                       "confinement falls back to the audit hook alone")

    def _add(self, worker: _WorkerProc) -> None:
        self._workers.append(worker)
        self._selector.register(worker.reader.fd, selectors.EVENT_READ, worker)

    def _worker_died(self, worker: _WorkerProc, reason: str = "") -> None:
        """Report the job a lost worker was running, requeue the rest, start a replacement."""
        self._selector.unregister(worker.reader.fd)
        self._workers.remove(worker)
        self._stop(worker, graceful=False)
        code = worker.proc.returncode
        if not reason:
            if code is not None and code < 0:
                reason = f"died (killed by {signal_name(-code)})"
            else:
                reason = f"died (exit status {code})"
        if worker.queue:
            job = worker.queue.popleft()
            self._results[job.index] = failure(
                job.record_id, "crash", f"sandbox worker {reason} while running this job"
            )
            self._retry.extend(worker.queue)
        self.restarts += 1
        replacement = self._spawn()
        self._handshake(replacement)
        self._add(replacement)

    def _stop(self, worker: _WorkerProc, graceful: bool) -> None:
        proc = worker.proc
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        if graceful:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=self.limits.wall_seconds + 5)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
