#!/usr/bin/python3
"""Tests of tools/torch_reference.py's parts that parity rests on, each against an
independent reference: its task permutations against ewcl's own (libewcl through ctypes),
its metrics against hand-computed matrices, its IDX reader on defective files, its penalty
against the per-task sum, its batched Fisher against a per-sample loop, its Philox against
Random123's known answers, and a whole --ewcl-random run against `ewcl train`'s.

Run by ctest with EWCL_SOURCE_DIR, EWCL_LIBRARY (libewcl.so) and EWCL_PROGRAM (ewcl) set. Without PyTorch the
tests that need it are skipped and, when the rest pass, the exit status is 77 (skipped)."""
import contextlib
import ctypes
import gzip
import importlib.util
import io
import csv
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get("EWCL_SOURCE_DIR",
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
spec = importlib.util.spec_from_file_location(
    "torch_reference", os.path.join(SOURCE_DIR, "tools", "torch_reference.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)

try:
    import numpy as np
    import torch
except ImportError:
    torch = None


class TaskGenerator(ctypes.Structure):
    """ewcl_task_generator of include/ewcl/data.h."""
    _fields_ = [("name", ctypes.c_char_p), ("seed", ctypes.c_uint64),
                ("make_permutation", ctypes.c_void_p)]


class Permutations(unittest.TestCase):
    def ewcl_permutation(self, lib, seed, task, size):
        generator = TaskGenerator()
        lib.ewcl_task_generator_permuted(ctypes.byref(generator), ctypes.c_uint64(seed))
        perm = (ctypes.c_uint32 * size)()
        error = ctypes.create_string_buffer(8192)  # an ewcl_error, with room to spare
        status = lib.ewcl_task_permutation(ctypes.byref(generator), ctypes.c_size_t(task),
                                           perm, ctypes.c_size_t(size), error)
        self.assertEqual(status, 0)
        return list(perm)

    def test_same_permutations_as_ewcl(self):
        path = os.environ.get("EWCL_LIBRARY")
        if not path:
            self.fail("EWCL_LIBRARY (the path of libewcl.so) is not set")
        lib = ctypes.CDLL(path)
        for seed in (0, 1, 2, 2**63 - 1):
            for task in (0, 1, 7, 4095):
                for size in (1024, 7, 1):
                    with self.subTest(seed=seed, task=task, size=size):
                        self.assertEqual(ref.task_permutation(seed, task, size),
                                         self.ewcl_permutation(lib, seed, task, size))

    def test_tasks_differ(self):
        self.assertNotEqual(ref.task_permutation(0, 0, 1024), ref.task_permutation(0, 1, 1024))
        self.assertNotEqual(ref.task_permutation(0, 0, 1024), ref.task_permutation(1, 0, 1024))
        self.assertEqual(sorted(ref.task_permutation(3, 5, 1024)), list(range(1024)))


class Metrics(unittest.TestCase):
    # After task 1 task 1 scores 0.9; after task 2 it rises to 0.95 (its best), task 2 scores
    # 0.8; after task 3: 0.7, 0.85, 0.9. Entries right of the diagonal are never used.
    R = [[0.9, 0.1, 0.1], [0.95, 0.8, 0.1], [0.7, 0.85, 0.9]]

    def test_average_accuracy(self):
        self.assertAlmostEqual(ref.average_accuracy(self.R, 0), 0.9)
        self.assertAlmostEqual(ref.average_accuracy(self.R, 1), 0.875)
        self.assertAlmostEqual(ref.average_accuracy(self.R, 2), 0.8166666666666667)

    def test_bwt(self):
        # ((0.7 − 0.9) + (0.85 − 0.8)) / 2
        self.assertAlmostEqual(ref.bwt(self.R), -0.075)

    def test_forgetting_uses_the_best_earlier_accuracy(self):
        # task 1: best 0.95 − final 0.7 = 0.25; task 2: best 0.8 − final 0.85 = −0.05
        self.assertAlmostEqual(ref.forgetting(self.R), 0.1)

    def test_one_task_has_no_transfer(self):
        self.assertNotEqual(ref.bwt([[0.5]]), ref.bwt([[0.5]]))  # NaN
        self.assertIsNone(ref.json_number(ref.forgetting([[0.5]])))


class IdxReader(unittest.TestCase):
    def write(self, name, data, compress=False):
        path = os.path.join(self.dir.name, name + (".gz" if compress else ""))
        with (gzip.open if compress else open)(path, "wb") as f:
            f.write(data)
        return path

    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def expect_failure(self, path, words):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as stop:
            ref.read_idx(path, 0x803, 3)
        self.assertEqual(stop.exception.code, 1)
        line = err.getvalue()
        self.assertEqual(line.count("\n"), 1)
        self.assertIn(path, line)
        self.assertIn(words, line)

    def test_valid_gzip(self):
        pixels = bytes(range(2 * 3 * 4))
        path = self.write("x", struct.pack(">IIII", 0x803, 2, 3, 4) + pixels, compress=True)
        self.assertEqual(ref.read_idx(path, 0x803, 3), ([2, 3, 4], pixels))

    def test_wrong_magic(self):
        self.expect_failure(self.write("x", struct.pack(">IIII", 0x801, 1, 1, 1) + b"\0"),
                            "magic 0x00000801, expected 0x00000803")

    def test_truncated(self):
        self.expect_failure(self.write("x", struct.pack(">IIII", 0x803, 2, 2, 2) + b"\0" * 7),
                            "23 bytes, expected 24")

    def test_short_header(self):
        self.expect_failure(self.write("x", b"\0\0\x08"), "shorter than an IDX header")


def args_for(*flags):
    return ref.parse_args(list(flags))


@unittest.skipIf(torch is None, "PyTorch not installed (apt-get install python3-torch)")
class PenaltyState(unittest.TestCase):
    def setUp(self):
        g = torch.Generator().manual_seed(1)
        self.shapes = [(3, 4), (3,)]
        self.rand = lambda: [torch.rand(s, generator=g, dtype=torch.float64)
                             for s in self.shapes]
        self.params = [torch.nn.Parameter(torch.randn(s, generator=g, dtype=torch.float64))
                       for s in self.shapes]

    def direct(self, tasks, lamda):
        """(λ/2) Σ_t F_t (θ − θ*_t)² and its gradient, by autograd."""
        value = sum(0.5 * lamda * (f * (p - a) ** 2).sum()
                    for fisher, anchor in tasks for f, a, p in zip(fisher, anchor, self.params))
        grads = torch.autograd.grad(value, self.params)
        return value.item(), grads

    def consolidate(self, penalty, fisher, anchor):
        with torch.no_grad():
            saved = [p.detach().clone() for p in self.params]
            for p, a in zip(self.params, anchor):
                p.copy_(a)
            penalty.consolidate(self.params, fisher)
            for p, s in zip(self.params, saved):
                p.copy_(s)

    def check_step(self, penalty, tasks, lamda, lr):
        value, grads = self.direct(tasks, lamda)
        self.assertAlmostEqual(penalty.value(self.params), value, places=9)
        before = [p.detach().clone() for p in self.params]
        for p in self.params:
            p.grad = torch.zeros_like(p)  # the penalty alone
        penalty.step(self.params, lr, 0.0)
        for p, b, g in zip(self.params, before, grads):
            self.assertTrue(torch.allclose(p.detach(), b - lr * g, rtol=0, atol=1e-12))

    def test_separate_is_the_sum_of_per_task_penalties(self):
        penalty = ref.Penalty(torch, self.params, args_for("--lamda", "7", "--lr", "0.01"))
        tasks = [(self.rand(), self.rand()), (self.rand(), self.rand())]
        for fisher, anchor in tasks:
            self.consolidate(penalty, fisher, anchor)
        self.check_step(penalty, tasks, 7.0, 0.01)

    def test_online_decays_the_fisher_and_keeps_the_last_anchor(self):
        penalty = ref.Penalty(torch, self.params, args_for(
            "--lamda", "3", "--lr", "0.01", "--ewc-mode", "online", "--gamma", "0.5"))
        (f1, a1), (f2, a2) = (self.rand(), self.rand()), (self.rand(), self.rand())
        self.consolidate(penalty, f1, a1)
        self.consolidate(penalty, f2, a2)
        decayed = [0.5 * x + y for x, y in zip(f1, f2)]
        self.check_step(penalty, [(decayed, a2)], 3.0, 0.01)

    def test_overwrite_keeps_only_the_last_task(self):
        penalty = ref.Penalty(torch, self.params, args_for("--ewc-mode", "overwrite"))
        (f1, a1), (f2, a2) = (self.rand(), self.rand()), (self.rand(), self.rand())
        self.consolidate(penalty, f1, a1)
        self.consolidate(penalty, f2, a2)
        self.check_step(penalty, [(f2, a2)], 40.0, 0.1)

    def test_implicit_step_solves_the_proximal_problem(self):
        # θ' minimises |θ − (θ₀ − lr·g)|²/(2·lr) + penalty(θ): (θ' − θ₀)/lr + g + ∇penalty(θ') = 0
        lamda, lr = 40.0, 0.1
        penalty = ref.Penalty(torch, self.params, args_for("--penalty-step", "implicit"))
        tasks = [(self.rand(), self.rand()), (self.rand(), self.rand())]
        for fisher, anchor in tasks:
            self.consolidate(penalty, fisher, anchor)
        before = [p.detach().clone() for p in self.params]
        gradient = self.rand()
        for p, g in zip(self.params, gradient):
            p.grad = g.clone()
        penalty.step(self.params, lr, 0.0)
        _, pull = self.direct(tasks, lamda)
        for p, b, g, d in zip(self.params, before, gradient, pull):
            residual = (p.detach() - b) / lr + g + d
            self.assertLess(residual.abs().max().item(), 1e-10)


@unittest.skipIf(torch is None, "PyTorch not installed (apt-get install python3-torch)")
class BatchedFisher(unittest.TestCase):
    """estimate_fisher against the definition: the mean over samples of each sample's own
    squared gradient of −log p(label | x), one backward pass per sample."""

    def setUp(self):
        g = np.random.default_rng(3)
        images = g.integers(0, 256, size=(9, 3, 2), dtype=np.uint8)
        labels = g.integers(0, ref.CLASSES, size=9).astype(np.uint8)
        self.data = ref.TaskData(torch, np, images, labels, 2, 1.0 / 255.0, -0.5)
        self.args = args_for("--hidden-size", "6", "--hidden-layer-num", "1", "--random-seed", "5")
        self.layers = ref.build_model(torch, self.args, self.data.pixels.shape[1],
                                      ref.TorchRandom(torch, np, self.args))
        self.layers.double()
        self.perm = torch.randperm(self.data.pixels.shape[1])
        self.subset = torch.tensor([4, 0, 7, 2, 8])

    def per_sample(self, label_of):
        """Σ over samples (and classes, weighted, for `all`) of squared gradients / N."""
        params = [p for layer in self.layers for p in (layer.weight, layer.bias)]
        total = [torch.zeros_like(p) for p in params]
        for i in self.subset:
            x, y = self.data.batch(self.perm, i.view(1))
            log_p = torch.log_softmax(ref.forward(torch, self.layers, x.double(), self.args),
                                      dim=1)[0]
            for label, weight in label_of(log_p.detach(), y.item()):
                grads = torch.autograd.grad(-log_p[label], params, retain_graph=True)
                for t, g in zip(total, grads):
                    t.add_(weight * g * g / len(self.subset))
        return total

    def check(self, labels, label_of):
        self.args.fisher_labels = labels
        batched = ref.estimate_fisher(torch, self.layers, DoubleData(self.data), self.perm,
                                      self.subset, self.args, None, 0)
        for b, r in zip(batched, self.per_sample(label_of)):
            self.assertTrue(torch.allclose(b, r, rtol=1e-10, atol=1e-14))
        self.assertGreater(sum(b.sum().item() for b in batched), 0.0)

    def test_true_labels(self):
        self.check("true", lambda log_p, y: [(y, 1.0)])

    def test_predicted_labels(self):
        self.check("pred", lambda log_p, y: [(log_p.argmax().item(), 1.0)])

    def test_exact_expectation_over_classes(self):
        self.check("all", lambda log_p, y: [(c, log_p[c].exp().item())
                                            for c in range(ref.CLASSES)])


@unittest.skipIf(torch is None, "PyTorch (and NumPy) not installed")
class Philox(unittest.TestCase):
    """Random123's known answers for Philox-4x32-10 (its kat_vectors: zeros, ones, π)."""

    def test_known_answers(self):
        cases = [((0, 0, 0, 0), 0, (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
                 ((0xFFFFFFFF,) * 4, 0xFFFFFFFFFFFFFFFF,
                  (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
                 ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), 0x299F31D0A4093822,
                  (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1))]
        for counter, key, expected in cases:
            with self.subTest(counter=counter):
                words = ref.philox4x32_10(np, counter, key)
                self.assertEqual(tuple(int(w) for w in words), expected)


@unittest.skipIf(torch is None, "PyTorch not installed (apt-get install python3-torch)")
class EwclRandomRun(unittest.TestCase):
    """With --ewcl-random a run draws everything random as ewcl does: the same seed gives
    `ewcl train`'s run up to rounding. A small generated set, every random choice in use
    (initial weights, two epochs of shuffles, evaluation and Fisher subsets, dropout on the
    pixels and both hidden layers, the Fisher's dropout and sampled labels)."""

    FLAGS = ["--task-number", "3", "--epochs-per-task", "2", "--hidden-size", "24",
             "--hidden-layer-num", "1", "--batch-size", "40", "--test-size", "150",
             "--loss-log-interval", "10", "--eval-log-interval", "25", "--consolidate",
             "--fisher-estimation-sample-size", "700", "--fisher-labels", "sample",
             "--fisher-dropout", "--penalty-step", "implicit", "--lamda", "20",
             "--random-seed", "11", "--quiet"]

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        data = os.path.join(cls.dir.name, "data")
        os.mkdir(data)
        error = ctypes.create_string_buffer(8192)
        lib = ctypes.CDLL(os.environ["EWCL_LIBRARY"])
        status = lib.ewcl_idx_write_synthetic(
            data.encode(), ctypes.c_size_t(1200), ctypes.c_size_t(300), ctypes.c_size_t(10),
            ctypes.c_size_t(10), ctypes.c_size_t(10), ctypes.c_uint64(4), ctypes.c_bool(False),
            error)
        assert status == 0, error.value
        cls.flags = cls.FLAGS + ["--data-dir", data]
        cls.ewcl = cls.run_ewcl("ewcl")
        cls.same = cls.run_reference("torch-ewcl-random", ["--ewcl-random"])
        cls.own = cls.run_reference("torch-own-random", [])

    @classmethod
    def run_ewcl(cls, name):
        folder = os.path.join(cls.dir.name, name)
        done = subprocess.run([os.environ["EWCL_PROGRAM"], "train", *cls.flags,
                               "--log-dir", folder], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return cls.read(folder)

    @classmethod
    def run_reference(cls, name, extra):
        folder = os.path.join(cls.dir.name, name)
        with contextlib.redirect_stdout(io.StringIO()):
            assert ref.main(cls.flags + extra + ["--log-dir", folder]) == 0
        return cls.read(folder)

    @staticmethod
    def read(folder):
        with open(os.path.join(folder, "metrics.csv")) as f:
            rows = [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(f)]
        with open(os.path.join(folder, "summary.json")) as f:
            return rows, json.load(f)["accuracy"]

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_same_log_as_ewcl(self):
        # Rounding alone (float32, other summation orders) moves a loss by about 1e-7
        # relative here; a different mask, shuffle or weight moves it by percents.
        ewcl, same = self.ewcl[0], self.same[0]
        self.assertEqual([(r["iteration"], r["kind"]) for r in ewcl],
                         [(r["iteration"], r["kind"]) for r in same])
        self.assertGreater(sum(r["kind"] == "loss" and float(r["ewc_loss"]) > 0 for r in ewcl), 3)
        for a, b in zip(ewcl, same):
            for key in a.keys() - {"iteration", "kind", "task", "epoch"}:
                with self.subTest(iteration=a["iteration"], kind=a["kind"], column=key):
                    self.assertAlmostEqual(float(a[key]), float(b[key]),
                                           delta=1e-4 * max(1.0, abs(float(a[key]))))

    def test_same_accuracy_matrix_as_ewcl(self):
        # 300 test images a task: one image is 0.0033; allow one to tip either way.
        for row_ewcl, row_same in zip(self.ewcl[1], self.same[1]):
            for a, b in zip(row_ewcl, row_same):
                self.assertLessEqual(abs(a - b), 1.0 / 300 + 1e-12)

    def test_own_random_streams_give_another_run(self):
        first_loss = lambda rows: float(next(r for r in rows if r["kind"] == "loss")["ce_loss"])
        self.assertGreater(abs(first_loss(self.ewcl[0]) - first_loss(self.own[0])), 1e-3)


class DoubleData:
    """A TaskData whose batches are in double precision, for tight comparisons."""

    def __init__(self, data):
        self.data = data

    def batch(self, perm, indices):
        x, y = self.data.batch(perm, indices)
        return x.double(), y


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    if not result.wasSuccessful():
        sys.exit(1)
    sys.exit(77 if torch is None else 0)
