#!/usr/bin/python3
"""ewcl train's experiment in plain PyTorch: the reference ewcl is compared with.

Same network (distinct hidden layers, dropout on the pixels and after every hidden ReLU,
Xavier-normal weights and zero biases), same data (MNIST-format IDX files, 28x28 padded to
32x32, normalised with the training set's pixel mean and std), the SAME pixel permutation
per task as ewcl for a seed (ewcl's xoshiro256** generator and Fisher-Yates shuffle,
reimplemented below), same schedule, Fisher estimate and consolidation modes, same metrics,
and config.json / summary.json / metrics.csv in --log-dir with ewcl's schema, so that
`ewcl report` reads both. By default weights, dropout masks, shuffles and subsets come from
torch's own seeded generators: runs are reproducible, and their spread over seeds is
PyTorch's own. With --ewcl-random they come from ewcl's generators instead (xoshiro256**
for the initial weights, shuffles and subsets, Philox-4x32-10 for dropout masks and sampled
Fisher labels, with ewcl's seeds, streams and step numbers), so that the two runs of one
seed differ only in floating-point rounding: a comparison free of seed noise.

Run it with Debian's Python, where python3-torch installs (a pyenv `python3` on PATH has no
torch):  /usr/bin/python3 tools/torch_reference.py [flags]   (or tools/torch_reference.py)
It sets OMP_WAIT_POLICY=PASSIVE (busy-waiting threads made PyTorch 3-50x slower on 2 cores)
and --threads BLAS/OpenMP threads, 1 unless told otherwise; which count is fastest depends on
the machine (tools/bench.sh tries 1 and one per core).
"""
import argparse
import gzip
import json
import math
import os
import platform
import sys
import time

PROG = "torch_reference.py"
DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = 10
FISHER_BATCH_CAP = 1024  # as ewcl: the Fisher and evaluation run in batches of up to 1024


def fail(message, code):
    """One line on stderr, then the exit code (1 runtime, 2 usage), as ewcl does."""
    print(f"{PROG}: {message}", file=sys.stderr)
    sys.exit(code)


# ---- ewcl's random generators ---------------------------------------------------------------
# Copies of src/runtime/rng.c, src/data/tasks.c and cl/philox.clh, so that task t of seed s
# permutes the pixels exactly as ewcl's does, and (with --ewcl-random) every other random
# choice is ewcl's too.

MASK32 = (1 << 32) - 1
MASK64 = (1 << 64) - 1
SPLITMIX_STEP = 0x9E3779B97F4A7C15
PERMUTED_TAG = 0x7065726D75746564  # "permuted"
# Tags of src/train/train_session.c: one generator per use of the seed.
SHUFFLE_TAG = 0x73687566666C6521  # "shuffle!"
EVAL_TAG = 0x6576616C73756273  # "evalsubs"
FISHER_TAG = 0x6669736865727375  # "fishersu"
# Philox streams of src/nn/mlp_pass.c (pixels 0, hidden layer l's output 1 + l) and
# src/ewc/fisher.c (sampled labels).
INPUT_DROPOUT_STREAM = 0
FISHER_LABEL_STREAM = 0x45574331  # "EWC1"


class Xoshiro256:
    """xoshiro256** seeded through SplitMix64 (ewcl_rng)."""

    def __init__(self, seed):
        state = seed & MASK64
        self.s = []
        for _ in range(4):
            state = (state + SPLITMIX_STEP) & MASK64
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK64

    def next(self):
        s = self.s
        result = (self._rotl((s[1] * 5) & MASK64, 7) * 9) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def below(self, bound):
        """Uniform in [0, bound) by rejecting the top partial block (ewcl_rng_below)."""
        limit = MASK64 - MASK64 % bound
        while True:
            x = self.next()
            if x < limit:
                return x % bound

    def uniform(self):
        """[0, 1) from 53 random bits (ewcl_rng_uniform)."""
        return (self.next() >> 11) * 2.0**-53

    def normal(self):
        """Box-Muller, one draw per call (ewcl_rng_normal; Python's math is the C library's)."""
        u1 = 1.0 - self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(6.283185307179586476925286766559 * u2)

    def shuffle(self, items):
        """Fisher-Yates in place (ewcl_rng_shuffle)."""
        for i in range(len(items), 1, -1):
            j = self.below(i)
            items[i - 1], items[j] = items[j], items[i - 1]

    def subset(self, n, count):
        """`count` of 0 .. n-1 by a partial Fisher-Yates (train_draw_subset)."""
        pool = list(range(n))
        for i in range(count):
            j = i + self.below(n - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:count]


def task_permutation(seed, task, size):
    """ewcl's `permuted` task generator: input p of task `task` is padded pixel perm[p]."""
    perm = list(range(size))
    Xoshiro256(((seed ^ PERMUTED_TAG) + 4 * SPLITMIX_STEP * task) & MASK64).shuffle(perm)
    return perm


def philox4x32_10(np, counter, key):
    """Philox-4x32-10 (cl/philox.clh): four counter words (uint64 arrays or ints holding
    32-bit values, broadcast together) and a 64-bit key to the four output words."""
    x, y, z, w = np.broadcast_arrays(*(np.asarray(c, dtype=np.uint64) for c in counter))
    k0, k1 = key & MASK32, key >> 32 & MASK32
    m0, m1, low, shift = (np.uint64(v) for v in (0xD2511F53, 0xCD9E8D57, MASK32, 32))
    for _ in range(10):
        p0, p1 = m0 * x, m1 * z
        x, y, z, w = ((p1 >> shift) ^ y ^ np.uint64(k0), p1 & low,
                      (p0 >> shift) ^ w ^ np.uint64(k1), p0 & low)
        k0, k1 = (k0 + 0x9E3779B9) & MASK32, (k1 + 0xBB67AE85) & MASK32
    return x, y, z, w


# ---- Flags -------------------------------------------------------------------------------


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line and exit 2, as in ewcl."""

    def error(self, message):
        fail(message, 2)


def checked(kind, low, high, open_low=False):
    """A flag value of `kind` in [low, high] ((low, high] when open_low), finite."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a {kind.__name__}") from None
        inside = (value > low if open_low else value >= low) and value <= high
        if (kind is float and not math.isfinite(value)) or not inside:
            bracket = "(" if open_low else "["
            raise argparse.ArgumentTypeError(f"'{text}' is not in {bracket}{low}, {high}]")
        return value

    return parse


def probability(text):
    value = checked(float, 0.0, 1.0)(text)
    if value >= 1.0:
        raise argparse.ArgumentTypeError(f"'{text}' is not a probability in [0, 1)")
    return value


def mean_std(text):
    parts = text.split(",")
    try:
        mean, std = (float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not MEAN,STD") from None
    if not (math.isfinite(mean) and math.isfinite(std) and std > 0):
        raise argparse.ArgumentTypeError(f"'{text}' needs a finite mean and a std > 0")
    return mean, std


def parse_args(argv):
    p = OneLineParser(
        prog=PROG,
        description="ewcl train's permuted-MNIST continual-learning experiment in PyTorch "
        "(the parity reference). Flags, defaults and output files are ewcl train's.",
    )
    count = lambda high: checked(int, 1, high)  # noqa: E731
    a = p.add_argument
    a("--hidden-size", type=count(65536), default=400)
    a("--hidden-layer-num", type=checked(int, 0, 100), default=2)
    a("--hidden-dropout-prob", type=probability, default=0.5)
    a("--input-dropout-prob", type=probability, default=0.2, help="dropout on the pixels")
    a("--task-number", type=count(4096), default=8)
    a("--epochs-per-task", type=count(100000), default=3)
    a("--lamda", "--lambda", dest="lamda", type=checked(float, 0.0, 1e12), default=40.0,
      help="EWC strength of the penalty (lambda/2)*sum F*(theta - theta*)^2")
    a("--lr", type=checked(float, 0.0, 1e4, open_low=True), default=0.1)
    a("--weight-decay", type=checked(float, 0.0, 1e4), default=0.0)
    a("--batch-size", type=count(65536), default=128)
    a("--test-size", type=count(10**9), default=1024)
    a("--fisher-estimation-sample-size", type=count(10**9), default=1024)
    a("--random-seed", type=checked(int, 0, 2**63 - 1), default=0)
    a("--no-gpus", action="store_true", help="accepted for ewcl's sake; always the CPU")
    a("--eval-log-interval", type=count(10**9), default=250)
    a("--loss-log-interval", type=count(10**9), default=250)
    a("--consolidate", action="store_true", help="EWC on (off: plain SGD)")
    a("--data-dir", help=f"IDX files (default: $EWCL_DATA_DIR, else {DEFAULT_DATA_DIR})")
    a("--ewc-mode", choices=["separate", "online", "overwrite"], default="separate")
    a("--gamma", type=checked(float, 0.0, 1.0), default=1.0, help="online mode's decay")
    a("--fisher-labels", choices=["true", "sample", "pred", "all"], default="true")
    a("--fisher-dropout", action="store_true", help="estimate the Fisher with dropout on")
    a("--penalty-step", choices=["explicit", "implicit"], default="explicit")
    a("--pad", type=checked(int, 0, 64), help="zero pixels on each side (2: 28x28 -> 32x32)")
    a("--no-pad", action="store_true", help="= --pad 0")
    a("--consolidate-last", action="store_true",
      help="with --consolidate, also consolidate after the last task (as ewcl)")
    a("--normalize", type=mean_std, metavar="MEAN,STD",
      help="normalisation constants (default: the training set's pixel mean and std)")
    a("--ewcl-random", action="store_true",
      help="initial weights, shuffles, subsets, dropout masks and sampled labels from ewcl's "
      "generators, so that a seed's run differs from ewcl's only in rounding")
    a("--threads", type=count(1024), default=1, help="PyTorch and BLAS threads (1)")
    a("--quiet", action="store_true", help="print only the summary")
    a("-v", "--verbose", action="store_true",
      help="each task's Fisher per layer: sum, max, zero entries (as ewcl train -v)")
    a("--log-dir", help="write config.json, metrics.csv and summary.json into this folder")
    args = p.parse_args(argv)
    # The same refusals as ewcl train: contradictions are errors, never a silent winner.
    if args.no_pad and args.pad is not None:
        p.error("--no-pad and --pad contradict each other")
    if args.consolidate_last and not args.consolidate:
        p.error("--consolidate-last needs --consolidate")
    args.pad = 0 if args.no_pad else 2 if args.pad is None else args.pad
    return args


# ---- Data --------------------------------------------------------------------------------


def read_idx(path, magic, rank):
    """An IDX file (raw or gzip'd) as (dims, payload bytes), validated before use."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        fail(f"{path}: cannot read: {e}", 1)
    header = 4 + 4 * rank
    if len(raw) < header:
        fail(f"{path}: {len(raw)} bytes, shorter than an IDX header", 1)
    found = int.from_bytes(raw[0:4], "big")
    if found != magic:
        fail(f"{path}: magic 0x{found:08x}, expected 0x{magic:08x}", 1)
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    expected = header + math.prod(dims)
    if len(raw) != expected:
        fail(f"{path}: {len(raw)} bytes, expected {expected} for dimensions {dims}", 1)
    return dims, raw[header:]


def find_file(data_dir, name):
    for suffix in ("", ".gz"):  # raw first, as ewcl
        path = os.path.join(data_dir, name + suffix)
        if os.access(path, os.R_OK):
            return path
    fail(f"data directory '{data_dir}' has no readable {name} or {name}.gz "
         "(MNIST-format IDX files expected)", 1)


def load_pair(np, data_dir, prefix):
    images_path = find_file(data_dir, f"{prefix}-images-idx3-ubyte")
    labels_path = find_file(data_dir, f"{prefix}-labels-idx1-ubyte")
    (count, rows, cols), pixels = read_idx(images_path, 0x803, 3)
    (label_count,), labels = read_idx(labels_path, 0x801, 1)
    if label_count != count:
        fail(f"{labels_path}: {label_count} labels for {count} images", 1)
    labels = np.frombuffer(labels, dtype=np.uint8)
    if count > 0 and labels.max() >= CLASSES:
        fail(f"{labels_path}: label {labels.max()} outside 0 to {CLASSES - 1}", 1)
    return np.frombuffer(pixels, dtype=np.uint8).reshape(count, rows, cols), labels


def resolve_data_dir(flag):
    if flag:
        return flag
    if os.environ.get("EWCL_DATA_DIR"):
        return os.environ["EWCL_DATA_DIR"]
    if os.path.isdir(DEFAULT_DATA_DIR):
        return DEFAULT_DATA_DIR
    fail(f"no data: {DEFAULT_DATA_DIR} has no Fashion-MNIST; install the Debian package "
         "dataset-fashion-mnist, or pass --data-dir DIR (or set EWCL_DATA_DIR)", 1)


class TaskData:
    """A set's padded images as bytes [N, 1024] and its labels; a batch of task t is
    gathered, permuted and normalised on demand (as ewcl's batch kernel does), so that the
    eight tasks cost no more memory than one."""

    def __init__(self, torch, np, images, labels, pad, scale, shift):
        padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad)))
        self.torch = torch
        self.pixels = torch.from_numpy(padded.reshape(len(images), -1))
        self.labels = torch.from_numpy(labels.astype(np.int64))
        self.scale, self.shift = scale, shift

    def __len__(self):
        return len(self.labels)

    def batch(self, perm, indices):
        x = self.pixels.index_select(0, indices).index_select(1, perm).float()
        return x.mul_(self.scale).add_(self.shift), self.labels.index_select(0, indices)


def pixel_stats(np, images):
    """The training set's pixel mean and std in [0, 1], in double precision (as ewcl)."""
    histogram = np.bincount(images.reshape(-1), minlength=256).astype(np.float64)
    values = np.arange(256, dtype=np.float64)
    n = histogram.sum()
    mean = (histogram * values).sum() / n
    std = math.sqrt((histogram * (values - mean) ** 2).sum() / n)
    return mean / 255.0, std / 255.0


# ---- The network, the Fisher, the penalty --------------------------------------------------


def build_model(torch, args, input_size, random):
    """Linear layers 1024 -> 400 -> 400 -> 400 -> 10, each its own weights (pytorch-ewc's
    shared hidden block is its defect 1), Xavier-normal weights (drawn by `random`) and zero
    biases."""
    sizes = [input_size] + [args.hidden_size] * (1 + args.hidden_layer_num) + [CLASSES]
    layers = torch.nn.ModuleList(
        torch.nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1))
    random.init_weights(layers)
    for layer in layers:
        torch.nn.init.zeros_(layer.bias)
    return layers


def forward(torch, layers, x, args, drop=None, keep=None):
    """Logits. With `drop` (a TorchRandom/EwclRandom dropout), dropout on the pixels and
    after every hidden ReLU, each site its own stream as in ewcl. With `keep`, each layer's
    input and output (pre-activation) are appended to it for the Fisher."""
    F = torch.nn.functional
    if drop is not None:
        x = drop(x, args.input_dropout_prob, INPUT_DROPOUT_STREAM)
    for i, layer in enumerate(layers):
        z = layer(x)
        if keep is not None:
            keep.append((x, z))
        if i + 1 == len(layers):
            return z
        x = F.relu(z)
        if drop is not None:
            x = drop(x, args.hidden_dropout_prob, 1 + i)


def fisher_batch_size(args):
    """ewcl's: the MLP's largest batch, the training batch or up to 1024 Fisher samples."""
    return max(args.batch_size, min(args.fisher_estimation_sample_size, FISHER_BATCH_CAP))


def estimate_fisher(torch, layers, data, perm, subset, args, random, tasks):
    """The diagonal Fisher over `subset`, batched: per layer F(W) = (δ∘δ)ᵀ(a∘a)/N and
    F(b) = Σ δ∘δ/N, with a the layer's input and δ each sample's own gradient of its
    log-likelihood at the layer's output (autograd of the summed loss gives every row its
    own sample's gradient). No per-sample loop. `tasks` (consolidated so far) and the batch
    number make ewcl's step key of the Fisher's dropout masks and sampled labels."""
    F = torch.nn.functional
    fisher = [torch.zeros_like(p) for layer in layers for p in (layer.weight, layer.bias)]
    n, size = len(subset), fisher_batch_size(args)
    for index, first in enumerate(range(0, n, size)):
        step = 1 << 63 | tasks << 32 | index
        x, y = data.batch(perm, subset[first:first + size])
        keep = []
        drop = random.dropout(step) if args.fisher_dropout else None
        logits = forward(torch, layers, x, args, drop, keep)
        log_p = F.log_softmax(logits, dim=1)
        outputs = [z for _, z in keep]
        if args.fisher_labels == "all":
            # The exact expectation over classes: one backward per class, rows weighted by
            # the model's probability of that class.
            weights = log_p.detach().exp()
            passes = [(torch.full_like(y, c), weights[:, c]) for c in range(CLASSES)]
        elif args.fisher_labels == "sample":
            passes = [(random.sample_labels(logits.detach(), step), None)]
        elif args.fisher_labels == "pred":
            passes = [(log_p.detach().argmax(dim=1), None)]
        else:
            passes = [(y, None)]
        for c, (labels, weight) in enumerate(passes):
            nll = F.nll_loss(log_p, labels, reduction="sum")
            deltas = torch.autograd.grad(nll, outputs, retain_graph=c + 1 < len(passes))
            with torch.no_grad():
                for l, ((a, _), delta) in enumerate(zip(keep, deltas)):
                    d2 = delta * delta
                    if weight is not None:
                        d2 = d2 * weight[:, None]
                    fisher[2 * l].addmm_(d2.t(), a.detach() * a.detach(), alpha=1.0 / n)
                    fisher[2 * l + 1].add_(d2.sum(dim=0), alpha=1.0 / n)
    return fisher


class TorchRandom:
    """The default: PyTorch's own seeded generators, one per use of the seed as ewcl keeps
    one per use of its own."""

    def __init__(self, torch, np, args):
        self.torch = torch
        torch.manual_seed(8 * args.random_seed)  # initial weights and dropout masks
        self.shuffle_gen, self.eval_gen, self.fisher_gen, self.label_gen = (
            torch.Generator().manual_seed(8 * args.random_seed + s) for s in (1, 2, 3, 4))

    def init_weights(self, layers):
        for layer in layers:
            self.torch.nn.init.xavier_normal_(layer.weight)

    def eval_subset(self, n, count):
        return self.torch.randperm(n, generator=self.eval_gen)[:count]

    def epoch_order(self, n):
        return self.torch.randperm(n, generator=self.shuffle_gen)

    def fisher_subset(self, n, count):
        return self.torch.randperm(n, generator=self.fisher_gen)[:count]

    def dropout(self, step):
        return lambda x, p, stream: self.torch.nn.functional.dropout(x, p, True)

    def sample_labels(self, logits, step):
        probabilities = self.torch.softmax(logits, dim=1)
        return self.torch.multinomial(probabilities, 1, generator=self.label_gen).squeeze(1)


class EwclRandom:
    """ewcl's generators, seeds, streams and step numbers (src/train/train_session.c,
    src/nn/mlp_init.c, src/nn/mlp_pass.c, src/ewc/fisher.c, cl/elementwise.cl, cl/ewc.cl)."""

    def __init__(self, torch, np, args):
        self.torch, self.np, self.seed = torch, np, args.random_seed
        self.shuffle_rng = Xoshiro256(self.seed ^ SHUFFLE_TAG)
        self.eval_rng = Xoshiro256(self.seed ^ EVAL_TAG)
        self.fisher_rng = Xoshiro256(self.seed ^ FISHER_TAG)
        self.order = None  # ewcl shuffles the previous epoch's order again

    def init_weights(self, layers):
        """Layer by layer from the seed's own generator, W in ewcl's in×out row-major order
        (torch's weight transposed), each entry std·N(0, 1) in double rounded to float."""
        torch, rng = self.torch, Xoshiro256(self.seed)
        for layer in layers:
            out, inputs = layer.weight.shape
            std = math.sqrt(2.0 / (inputs + out))
            draws = [std * rng.normal() for _ in range(inputs * out)]
            weight = torch.tensor(draws, dtype=torch.float64).float().reshape(inputs, out)
            with torch.no_grad():
                layer.weight.copy_(weight.t())

    def eval_subset(self, n, count):
        return self.torch.tensor(self.eval_rng.subset(n, count))

    def epoch_order(self, n):
        if self.order is None:
            self.order = list(range(n))
        self.shuffle_rng.shuffle(self.order)
        return self.torch.tensor(self.order)

    def fisher_subset(self, n, count):
        return self.torch.tensor(self.fisher_rng.subset(n, count))

    def words(self, count, stream, step):
        """Philox words 0 .. count-1 of (stream, step): word e % 4 of block e / 4."""
        np = self.np
        blocks = np.arange((count + 3) // 4, dtype=np.uint64)
        words = philox4x32_10(np, (blocks, stream, step & MASK32, step >> 32), self.seed)
        return np.stack(words, axis=1).reshape(-1)[:count]

    def dropout(self, step):
        def drop(x, p, stream):
            if p == 0.0:
                return x
            p = float(self.np.float32(p))  # ewcl's p is a float
            threshold = math.ceil(p * 16777216.0)  # kept when word/2^24 >= p, in integers
            scale = float(self.np.float32(1.0 / (1.0 - p)))
            kept = self.words(x.numel(), stream, step) >> self.np.uint64(8) >= threshold
            mask = self.torch.from_numpy(kept).reshape(x.shape).to(x.dtype).mul_(scale)
            return x * mask
        return drop

    def sample_labels(self, logits, step):
        """Inverse CDF of the softmax at u from word 0 of block `row` (cl/ewc.cl)."""
        torch, np = self.torch, self.np
        rows = np.arange(logits.shape[0], dtype=np.uint64)
        first = philox4x32_10(np, (rows, FISHER_LABEL_STREAM, step & MASK32, step >> 32),
                              self.seed)[0]
        u = torch.from_numpy(((first >> np.uint64(8)).astype(np.float64) * 2.0**-24))
        below = (logits - logits.max(dim=1, keepdim=True).values).exp().cumsum(dim=1)
        u = u.to(below.dtype) * below[:, -1]
        return (below <= u[:, None]).sum(dim=1).clamp(max=logits.shape[1] - 1)


class Penalty:
    """The EWC state in constant memory: S (the summed or decayed Fisher), M = Σ F_t θ*_t
    and C = Σ F_t θ*_t², so that the penalty (λ/2) Σ_t F_t (θ − θ*_t)² has gradient
    λ (S θ − M) and value (λ/2)(Σ S θ² − 2 Σ M θ + C).
      separate: S += F, M += F θ, C += Σ F θ²    (the paper: one penalty per task)
      online:   S = γ S + F, M = S θ, C = Σ S θ² (θ* ← θ; overwrite is γ = 0)"""

    def __init__(self, torch, params, args):
        self.torch = torch
        self.lamda, self.lr = args.lamda, args.lr
        self.mode, self.gamma = args.ewc_mode, args.gamma
        self.implicit = args.penalty_step == "implicit"
        self.S = [torch.zeros_like(p) for p in params]
        self.M = [torch.zeros_like(p) for p in params]
        self.C = 0.0
        self.tasks = 0

    def consolidate(self, params, fisher):
        with self.torch.no_grad():
            decay = 0.0 if self.mode == "overwrite" else self.gamma
            for S, M, p, f in zip(self.S, self.M, params, fisher):
                if self.mode == "separate":
                    S.add_(f)
                    M.addcmul_(f, p)
                else:
                    S.mul_(decay).add_(f)
                    M.copy_(S * p)
            if self.mode == "separate":
                self.C += sum((f.double() * p.double() ** 2).sum().item()
                              for f, p in zip(fisher, params))
            else:
                self.C = sum((S.double() * p.double() ** 2).sum().item()
                             for S, p in zip(self.S, params))
            # The implicit step divides by 1 + lr·λ·S: fixed until the next task.
            self.denominator = [1.0 + self.lr * self.lamda * S for S in self.S]
        self.tasks += 1
        return max(S.max().item() for S in self.S)

    def value(self, params):
        if self.tasks == 0:
            return 0.0
        total = self.C
        for S, M, p in zip(self.S, self.M, params):
            p = p.detach().double()
            total += (S.double() * p * p).sum().item() - 2.0 * (M.double() * p).sum().item()
        return 0.5 * self.lamda * total

    def step(self, params, lr, weight_decay):
        """θ ← θ − lr·(g + wd·θ + λ(Sθ − M)), PyTorch's SGD with the penalty's gradient, or
        the implicit (proximal) step θ ← (θ − lr·(g + wd·θ) + lr·λ·M) / (1 + lr·λ·S)."""
        with self.torch.no_grad():
            for i, p in enumerate(params):
                g = p.grad
                if weight_decay:
                    g.add_(p, alpha=weight_decay)
                if self.tasks and self.lamda and not self.implicit:
                    g.addcmul_(self.S[i], p, value=self.lamda).add_(self.M[i], alpha=-self.lamda)
                p.add_(g, alpha=-lr)
                if self.tasks and self.lamda and self.implicit:
                    p.add_(self.M[i], alpha=lr * self.lamda).div_(self.denominator[i])


# ---- Metrics (as src/train/train_metrics.c) ------------------------------------------------


def average_accuracy(r, i):
    return sum(r[i][: i + 1]) / (i + 1)


def bwt(r):
    t = len(r)
    if t < 2:
        return float("nan")
    return sum(r[t - 1][j] - r[j][j] for j in range(t - 1)) / (t - 1)


def forgetting(r):
    t = len(r)
    if t < 2:
        return float("nan")
    # Best over rows j .. T−2 (before task j was trained its accuracy is chance), minus final.
    best = [max(r[i][j] for i in range(j, t - 1)) for j in range(t - 1)]
    return sum(best[j] - r[t - 1][j] for j in range(t - 1)) / (t - 1)


# ---- Files (ewcl's schema, see src/report/report_json.c) -----------------------------------


def json_number(x):
    return x if isinstance(x, int) or math.isfinite(x) else None


def write_file(path, text):
    """Atomically, as ewcl: a temporary file, then a rename."""
    temporary = path + ".tmp"
    with open(temporary, "w") as f:
        f.write(text)
    os.replace(temporary, path)


def write_json(path, value):
    write_file(path, json.dumps(value, indent="\t") + "\n")


def device_info(torch, threads):
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            name = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"name": name, "runtime": "pytorch", "type": "cpu", "vendor": "",
            "platform": f"PyTorch {torch.__version__}", "driver_version": torch.__version__,
            "opencl_c_version": "", "compute_units": threads}


def config_json(args, implementation, device, data_dir):
    return {
        "implementation": implementation,
        "device": device,
        "data_dir": data_dir,
        "network": {"hidden_size": args.hidden_size, "hidden_layer_num": args.hidden_layer_num,
                    "hidden_dropout": args.hidden_dropout_prob,
                    "input_dropout": args.input_dropout_prob, "pytorch_ewc_compat": False,
                    "gemm": "pytorch"},
        "schedule": {"task_number": args.task_number, "epochs_per_task": args.epochs_per_task,
                     "batch_size": args.batch_size, "lr": args.lr,
                     "weight_decay": args.weight_decay, "seed": args.random_seed},
        "ewc": {"consolidate": args.consolidate, "mode": args.ewc_mode, "lambda": args.lamda,
                "gamma": args.gamma, "fisher_labels": args.fisher_labels,
                "fisher_dropout": args.fisher_dropout, "penalty_step": args.penalty_step,
                "fisher_sample_size": args.fisher_estimation_sample_size},
        "logging": {"test_size": args.test_size, "eval_log_interval": args.eval_log_interval,
                    "loss_log_interval": args.loss_log_interval},
        "inputs": {"pad": args.pad, "mean": args.normalize[0] if args.normalize else None,
                   "std": args.normalize[1] if args.normalize else None},
    }


def summary_json(run, implementation, device):
    r, seconds = run.accuracy, run.seconds
    t = len(r)
    return {
        "implementation": implementation,
        "device": device,
        "task_count": t,
        "accuracy": r,
        "average_accuracy": run.averages,
        "final_average_accuracy": run.averages[-1],
        "bwt": json_number(bwt(r)),
        "forgetting": json_number(forgetting(r)),
        "seconds": dict(seconds, total=sum(seconds.values()), fisher_per_task=run.fisher_per_task),
        "iterations": run.iteration,
        "train_images": run.train_images,
        "images_per_second": run.train_images / seconds["train"] if seconds["train"] else 0.0,
        "parameter_count": run.parameter_count,
        "normalisation": {"mean": run.mean, "std": run.std},
    }


def metrics_csv(rows, tasks):
    """ewcl's metrics.csv: one row per loss report, periodic evaluation and task end."""
    head = "iteration,kind,task,epoch,ce_loss,ewc_loss,total_loss"
    lines = [head + "".join(f",precision_{j + 1}" for j in range(tasks))]
    for iteration, kind, task, epoch, losses, precisions in rows:
        fields = [str(iteration), kind, str(task + 1), str(epoch + 1)]
        fields += [f"{x:.9g}" for x in losses] if losses else ["", "", ""]
        fields += [f"{p:.9g}" for p in precisions] + [""] * (tasks - len(precisions))
        lines.append(",".join(fields))
    return "\n".join(lines) + "\n"


# ---- The run ------------------------------------------------------------------------------


class Run:
    """The loop's state: clocks per phase, the accuracy matrix, the log rows."""

    def __init__(self, tasks):
        self.seconds = {"setup": 0.0, "train": 0.0, "fisher": 0.0, "eval": 0.0}
        self.phase, self.since = "setup", time.perf_counter()
        self.accuracy = [[0.0] * tasks for _ in range(tasks)]
        self.averages = [0.0] * tasks
        self.fisher_per_task = [0.0] * tasks
        self.iteration = self.train_images = 0
        self.rows = []

    def switch(self, phase):
        now = time.perf_counter()
        self.seconds[self.phase] += now - self.since
        self.phase, self.since = phase, now


def evaluate(torch, layers, data, perm, indices, args):
    correct = 0
    with torch.no_grad():
        for first in range(0, len(indices), FISHER_BATCH_CAP):
            x, y = data.batch(perm, indices[first:first + FISHER_BATCH_CAP])
            logits = forward(torch, layers, x, args)
            correct += (logits.argmax(dim=1) == y).sum().item()
    return correct / len(indices)


def train(torch, args, train_set, test_set, run, say, random):
    input_size = train_set.pixels.shape[1]
    layers = build_model(torch, args, input_size, random)
    params = [p for layer in layers for p in (layer.weight, layer.bias)]
    run.parameter_count = sum(p.numel() for p in params)
    perms = [torch.tensor(task_permutation(args.random_seed, t, input_size), dtype=torch.int64)
             for t in range(args.task_number)]
    eval_subset = random.eval_subset(len(test_set), args.test_size)
    test_all = torch.arange(len(test_set))
    penalty = Penalty(torch, params, args)
    F = torch.nn.functional
    n, size = len(train_set), args.batch_size
    batches = (n + size - 1) // size
    T, E = args.task_number, args.epochs_per_task

    def check_loss(task, epoch, batch, ce, ewc):
        if math.isfinite(ce + ewc):
            return
        unstable = (args.consolidate and args.penalty_step == "explicit"
                    and args.lr * args.lamda * penalty.max_importance >= 2.0)
        hint = (", a smaller lambda, or the implicit penalty step (lr·λ·max(S) ≥ 2 makes the "
                "explicit one unstable)" if unstable else "")
        raise FloatingPointError(
            f"training diverged at task {task + 1}/{T}, epoch {epoch + 1}/{E}, step "
            f"{batch}/{batches} (iteration {run.iteration}): cross-entropy {ce:g}, EWC loss "
            f"{ewc:g}; try a smaller learning rate than lr = {args.lr:g}{hint}")

    penalty.max_importance = 0.0
    run.switch("train")
    for task in range(T):
        perm = perms[task]
        for epoch in range(E):
            order = random.epoch_order(n)
            for batch in range(batches):
                x, y = train_set.batch(perm, order[batch * size:(batch + 1) * size])
                logits = forward(torch, layers, x, args, random.dropout(run.iteration))
                loss = F.cross_entropy(logits, y)
                for p in params:
                    p.grad = None
                loss.backward()
                penalty.step(params, args.lr, args.weight_decay)
                run.iteration += 1
                run.train_images += len(y)
                last = (loss, logits, y, epoch, batch + 1)
                if run.iteration % args.loss_log_interval == 0:
                    log_losses(run, penalty, params, task, last, check_loss, say, T, E, batches)
                if run.iteration % args.eval_log_interval == 0:
                    run.switch("eval")
                    acc = [evaluate(torch, layers, test_set, perms[j], eval_subset, args)
                           for j in range(task + 1)]
                    run.rows.append((run.iteration, "eval", task, epoch, None, acc))
                    say(f"evaluation at iteration {run.iteration} ({args.test_size} test images "
                        "per task):" + "".join(f" task {j + 1} {a:.4f}" for j, a in enumerate(acc)))
                    run.switch("train")
        # The task's end: a last look at the loss (unlogged, as ewcl), then the accuracy
        # matrix's row.
        check_loss(task, last[3], last[4], last[0].item(), penalty.value(params))
        run.switch("eval")
        row = [evaluate(torch, layers, test_set, perms[j], test_all, args) for j in range(T)]
        run.accuracy[task] = row
        run.averages[task] = average_accuracy(run.accuracy, task)
        run.rows.append((run.iteration, "task_end", task, E - 1, None, row[: task + 1]))
        line = (f"after task {task + 1}/{T}: accuracy"
                + "".join(f" {a:.4f}" for a in row[: task + 1])
                + f" (average {run.averages[task]:.4f})")
        if args.consolidate and (task + 1 < T or args.consolidate_last):
            run.switch("fisher")
            start = time.perf_counter()
            subset = random.fisher_subset(n, args.fisher_estimation_sample_size)
            fisher = estimate_fisher(torch, layers, train_set, perm, subset, args, random,
                                     penalty.tasks)
            penalty.max_importance = penalty.consolidate(params, fisher)
            run.fisher_per_task[task] = time.perf_counter() - start
            line += (f"; Fisher + consolidation {1e3 * run.fisher_per_task[task]:.1f} ms, max "
                     f"importance {penalty.max_importance:.3g}")
            if args.verbose:
                line += "".join(fisher_stats(fisher))
            product = args.lr * args.lamda * penalty.max_importance
            if args.penalty_step == "explicit" and product >= 2.0:
                say(f"warning: EWC penalty step unstable: lr·λ·max(S) = {product:.3g} ≥ 2")
        run.switch("train")
        say(line)
    run.switch("setup")


def fisher_stats(fisher):
    """Lines as `ewcl train -v` prints them: per layer (weights and bias together)."""
    for l in range(len(fisher) // 2):
        w, b = fisher[2 * l], fisher[2 * l + 1]
        total = w.double().sum().item() + b.double().sum().item()
        top = max(w.max().item(), b.max().item())
        zeros = int((w == 0).sum().item() + (b == 0).sum().item())
        yield (f"\n  Fisher of layer {l + 1}: sum {total:.4g}, max {top:.4g}, zero entries "
               f"{zeros} of {w.numel() + b.numel()}")


def log_losses(run, penalty, params, task, last, check_loss, say, T, E, batches):
    loss, logits, y, epoch, batch = last
    ce = loss.item()
    ewc = penalty.value(params)
    precision = (logits.argmax(dim=1) == y).float().mean().item()
    run.rows.append((run.iteration, "loss", task, epoch, (ce, ewc, ce + ewc), []))
    check_loss(task, epoch, batch, ce, ewc)
    say(f"task {task + 1}/{T} | epoch {epoch + 1}/{E} | progress {batch}/{batches} "
        f"({100.0 * batch / batches:3.0f}%) | prec {precision:.4f} | loss ce {ce:.4f} / "
        f"ewc {ewc:.4g} / total {ce + ewc:.4f}")


def print_summary(run, args, device, implementation):
    r, t = run.accuracy, len(run.accuracy)
    print("\naccuracy R[i][j] (row: after training task i; column: full test set of task j;\n"
          "entries right of the diagonal are tasks not yet trained, unused by the metrics)")
    print(" " * 9 + "".join(f"{'task ' + str(j + 1):>9}" for j in range(t)) + f"{'average':>10}")
    for i in range(t):
        print(f"after {i + 1:<3}" + "".join(f"{a:9.4f}" for a in r[i]) + f"{run.averages[i]:10.4f}")
    print(f"\naverage accuracy after task {t}: {run.averages[-1]:.4f}")
    if t >= 2:
        print(f"backward transfer (BWT): {bwt(r):+.4f}  (sum over tasks 1..{t - 1} of "
              f"R[{t}][j] - R[j][j], divided by T-1 = {t - 1})")
        print(f"forgetting: {forgetting(r):.4f}  (mean over tasks 1..{t - 1} of best accuracy "
              "- final accuracy)")
    s = run.seconds
    fisher_tasks = sum(1 for x in run.fisher_per_task if x > 0)
    fisher_each = f" ({1e3 * s['fisher'] / fisher_tasks:.1f} ms/task)" if fisher_tasks else ""
    print(f"time: training {s['train']:.1f} s ({s['train'] / (t * args.epochs_per_task):.2f} "
          f"s/epoch), Fisher {s['fisher']:.2f} s{fisher_each}, evaluation {s['eval']:.1f} s, "
          f"setup {s['setup']:.1f} s; total {sum(s.values()):.1f} s")
    print(f"speed: {run.train_images / s['train']:.0f} training images/s "
          f"({run.iteration} iterations)")
    print(f"device: {device['name']} [{implementation}, {args.threads} thread(s)]; "
          f"{run.parameter_count} parameters; {'EWC' if args.consolidate else 'plain SGD'}")


def main(argv):
    started = time.perf_counter()
    args = parse_args(argv)
    # Before torch starts its thread pools: sleeping, not spinning, idle threads, and as
    # many BLAS threads as asked for (Debian's torch calls the system BLAS, e.g. OpenBLAS).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    try:
        import numpy as np
        import torch
    except ImportError:
        hint = (" or run it with /usr/bin/python3, where Debian installs it"
                if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3")
                else "")
        fail(f"PyTorch not installed (apt-get install python3-torch){hint}", 2)
    torch.set_num_threads(args.threads)
    implementation = f"pytorch {torch.__version__}"
    if args.ewcl_random:
        implementation += " (ewcl's random streams)"
    device = device_info(torch, args.threads)
    if args.log_dir:
        try:
            os.makedirs(args.log_dir, exist_ok=True)
            write_json(os.path.join(args.log_dir, "config.json"),
                       config_json(args, implementation, device, None))
        except OSError as e:
            fail(f"--log-dir '{args.log_dir}': {e.strerror}", 1)

    data_dir = resolve_data_dir(args.data_dir)
    train_images, train_labels = load_pair(np, data_dir, "train")
    test_images, test_labels = load_pair(np, data_dir, "t10k")
    if args.test_size > len(test_labels):
        fail(f"--test-size {args.test_size} is larger than the test set "
             f"({len(test_labels)} images)", 2)
    if args.consolidate and args.fisher_estimation_sample_size > len(train_labels):
        fail(f"--fisher-estimation-sample-size {args.fisher_estimation_sample_size} is larger "
             f"than the training set ({len(train_labels)} images)", 2)

    run = Run(args.task_number)
    mean, std = args.normalize or pixel_stats(np, train_images)
    run.mean, run.std = mean, std
    # x = pixel·scale + shift in float32, ewcl's constants: (pixel/255 − mean)/std.
    scale, shift = float(np.float32(1.0 / (255.0 * std))), float(np.float32(-mean / std))
    train_set = TaskData(torch, np, train_images, train_labels, args.pad, scale, shift)
    test_set = TaskData(torch, np, test_images, test_labels, args.pad, scale, shift)

    say = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    failure = None
    try:
        random = (EwclRandom if args.ewcl_random else TorchRandom)(torch, np, args)
        train(torch, args, train_set, test_set, run, say, random)
    except FloatingPointError as e:
        failure = str(e)
    if args.log_dir:
        config = config_json(args, implementation, device, data_dir)
        write_json(os.path.join(args.log_dir, "config.json"), config)
        write_file(os.path.join(args.log_dir, "metrics.csv"),
                   metrics_csv(run.rows, args.task_number))
        if failure is None:
            write_json(os.path.join(args.log_dir, "summary.json"),
                       summary_json(run, implementation, device))
    if failure is not None:
        fail(failure, 1)
    print_summary(run, args, device, implementation)
    print(f"wall time: {time.perf_counter() - started:.1f} s (process, data loading included)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
