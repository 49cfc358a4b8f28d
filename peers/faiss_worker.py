"""FAISS as a peer of vectro's benchmarks: a worker that builds and searches one FAISS index.

vectro starts it with python3 (or VECTRO_PYTHON) and talks JSON lines over stdio, one request and one
answer at a time. Vectors never travel as JSON: vectro writes them to raw float32 files (row-major,
count x dim) and this worker writes result ids and distances to raw int32 and float32 files. Searches are timed here, around the
FAISS calls only, the way vectro times its own indexes, so the figures compare like with like.

Requests (`op`):
  build   factory, metric (l2|ip|cosine), dim, base (path), count, efc (or null), refine (0: none), threads
  search  queries (path), count, k, params ({"efSearch": 64} or {"nprobe": 16}), threads, warmup,
          passes ({min, max, minSeconds, maxSeconds, passSeconds, passQueries}), ids and distances
          (paths to write: count x k int32, -1 for none; float32, FAISS's own distances)
  quit
Answers: {"ok": true, ...} or {"ok": false, "kind": "factory"|"request"|"internal", "message": "..."}.
The first line it writes is {"type": "ready", ...} or {"type": "error", "kind": "import", ...}.
"""

import json
import resource
import sys
import time


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


try:
    import numpy as np
    import faiss
except Exception as e:  # noqa: BLE001 - any import failure means the same thing to the user
    send({"type": "error", "kind": "import", "message": f"{type(e).__name__}: {e}"})
    sys.exit(3)


class RequestError(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def first_line(e):
    text = str(e).strip().splitlines()
    # FAISS errors read "Error in <function> at <file>:<line>: <what>"; keep the what.
    line = text[-1] if text else type(e).__name__
    return line.split(": ", 1)[-1] if line.startswith("Error in ") else line


def read_rows(path, count, dim):
    x = np.fromfile(path, dtype=np.float32)
    if x.size != count * dim:
        raise RequestError("request", f"{path}: holds {x.size} floats, expected {count} x {dim}")
    return x.reshape(count, dim)


def hnsw_of(index):
    """The HNSW structure inside `index` (through a refine wrapper), or None."""
    index = faiss.downcast_index(index)
    if isinstance(index, faiss.IndexRefine):
        index = faiss.downcast_index(index.base_index)
    return index.hnsw if hasattr(index, "hnsw") else None


class Worker:
    def __init__(self):
        self.index = None
        self.metric = "l2"

    def build(self, r):
        factory = r["factory"] + (",RFlat" if r.get("refine") else "")
        self.metric = r["metric"]
        metric = faiss.METRIC_L2 if r["metric"] == "l2" else faiss.METRIC_INNER_PRODUCT
        x = read_rows(r["base"], r["count"], r["dim"])
        if r["metric"] == "cosine":
            faiss.normalize_L2(x)
        try:
            index = faiss.index_factory(r["dim"], factory, metric)
        except Exception as e:  # noqa: BLE001
            raise RequestError("factory", f"FAISS refuses the factory string '{factory}': {first_line(e)}")
        hnsw = hnsw_of(index)
        if hnsw is not None and r.get("efc"):
            hnsw.efConstruction = r["efc"]
        faiss.omp_set_num_threads(r["threads"])
        t0 = time.perf_counter()
        if not index.is_trained:
            index.train(x)
        index.add(x)
        seconds = time.perf_counter() - t0
        if r.get("refine"):
            faiss.downcast_index(index).k_factor = float(r["refine"])
        self.index = index
        return {
            "build_seconds": seconds,
            "index_bytes": int(faiss.serialize_index(index).size),
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "type": type(faiss.downcast_index(index)).__name__,
        }

    def search(self, r):
        if self.index is None:
            raise RequestError("request", "search before build")
        index = self.index
        q = read_rows(r["queries"], r["count"], self.index.d)
        if self.metric == "cosine":
            faiss.normalize_L2(q)
        space = faiss.ParameterSpace()
        for name, value in r["params"].items():
            try:
                space.set_index_parameter(index, name, value)
            except Exception as e:  # noqa: BLE001
                raise RequestError("request", f"cannot set {name} = {value} on {type(faiss.downcast_index(index)).__name__}: {first_line(e)}")
        k, nq, p = r["k"], r["count"], r["passes"]
        ids = np.full((nq, k), -1, dtype=np.int64)
        dists = np.zeros((nq, k), dtype=np.float32)
        faiss.omp_set_num_threads(1)
        for i in range(min(nq, r["warmup"])):
            index.search(q[i : i + 1], k)
        # Timed passes, as vectro's measure(): at least `min`, more while under minSeconds, none
        # started after maxSeconds; a pass stops timing after passSeconds once passQueries are done.
        best = (0.0, 0, [])
        answered = 0
        started = time.perf_counter()
        lat = [0.0] * nq
        for pass_no in range(p["max"]):
            spent = time.perf_counter() - started
            if (spent >= p["minSeconds"]) if pass_no >= p["min"] else (pass_no > 0 and spent >= p["maxSeconds"]):
                break
            timed = 0
            t0 = time.perf_counter()
            while timed < nq:
                s = time.perf_counter()
                dist, found = index.search(q[timed : timed + 1], k)
                lat[timed] = (time.perf_counter() - s) * 1000
                if pass_no == 0:
                    ids[timed] = found[0]
                    dists[timed] = dist[0]
                timed += 1
                if timed >= p["passQueries"] and time.perf_counter() - t0 > p["passSeconds"]:
                    break
            if pass_no == 0:
                answered = timed
            qps = timed / (time.perf_counter() - t0)
            if qps > best[0]:
                best = (qps, timed, lat[:timed])
        faiss.omp_set_num_threads(r["threads"])
        fastest = float("inf")
        b = time.perf_counter()
        pass_no = 0
        while pass_no < p["min"] or time.perf_counter() - b < p["minSeconds"]:
            if pass_no > 0 and time.perf_counter() - b >= p["maxSeconds"]:
                break
            b0 = time.perf_counter()
            dist, found = index.search(q, k)
            fastest = min(fastest, time.perf_counter() - b0)
            if pass_no == 0 and answered < nq:
                ids[answered:] = found[answered:]
                dists[answered:] = dist[answered:]
            pass_no += 1
        ids.astype(np.int32).tofile(r["ids"])
        dists.astype(np.float32).tofile(r["distances"])
        return {"qps": best[0], "timed": best[1], "latencies_ms": best[2], "batch_qps": nq / fastest}


def main():
    send({"type": "ready", "faiss": faiss.__version__, "numpy": np.__version__, "python": sys.version.split()[0]})
    worker = Worker()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            if r["op"] == "quit":
                break
            send({"ok": True, **getattr(worker, r["op"])(r)})
        except RequestError as e:
            send({"ok": False, "kind": e.kind, "message": str(e)})
        except Exception as e:  # noqa: BLE001 - reported to vectro, which prints one line
            send({"ok": False, "kind": "internal", "message": f"{type(e).__name__}: {first_line(e)}"})


if __name__ == "__main__":
    main()
