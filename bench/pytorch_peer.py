#!/usr/bin/env python3
"""PyTorch peer of Regulab's step benchmarks (npm run bench): one training step of the same model.

Prints one JSON line: case, impl, ms_per_step (median wall time), cpu_ms_per_step (median process CPU
time, every thread: the steadier figure on a loaded machine), peak_rss_mb, threads, torch version,
and blas: the BLAS library torch's matmuls run on here (Debian's torch takes whichever
libblas.so.3 the alternatives system points to: OpenBLAS with libopenblas0-pthread installed, else
the reference BLAS, ~19x slower on a 100 x 100 x 400 product).

  charlm-step: batch 32, 50 steps, embedding 64 over 50 symbols, LSTM 256, dense 50,
               softmax cross-entropy, Adam.
  pmnist-step: batch 100, 784 steps, 1 input, LSTM 100, dense 10, softmax cross-entropy, RMSprop.
  impl fused:   torch.nn.LSTM (cuDNN-style fused op; no zoneout possible).
  impl zoneout: torch.nn.LSTMCell loop with zoneout (charlm z_c 0.5, z_h 0.05; pmnist 0.15 shared).
  charlm-ln-step: charlm-step with a layer-normalised LSTM (Ba et al. 2016), impl zoneout only.
  pmnist-bn-step: pmnist-step with recurrent batch norm (Cooijmans et al. 2017), impl zoneout only.
               PyTorch has no fused normalised LSTM: its users write the cell loop (NormLstm), with
               the same normalisation as Regulab's (packages/core/src/layers/recurrent/
               lstm-normalization.ts) and the same zoneout; W.x_t of every step and its
               normalisation are computed before the loop, in one matmul, and read with
               unbind, as a careful user would (NormLstm's comment: why not wx[:, t]).
  cnn-step:    batch 64, 28x28x1 -> conv 32 3x3 valid -> ReLU -> max-pool 2 -> conv 64 3x3 valid ->
               ReLU -> max-pool 2 -> dense 128 ReLU -> dropout 0.5 -> dense 10, cross-entropy, Adam.
  mlp-step:    batch 128, 784 -> dense 1024 ReLU -> dropout 0.5 -> dense 1024 ReLU -> dropout 0.5 ->
               dense 10, cross-entropy, Adam. (impl fused only: the plain nn.Sequential model.)

Usage: pytorch_peer.py --case charlm-step --impl fused --threads 1 --repeats 20
"""
import argparse
import json
import resource
import statistics
import time

import torch
import torch.nn as nn

CASES = {
    "charlm-step": dict(batch=32, steps=50, vocab=50, embed=64, units=256, classes=50, zc=0.5, zh=0.05, opt="adam"),
    "pmnist-step": dict(batch=100, steps=784, vocab=None, embed=1, units=100, classes=10, zc=0.15, zh=0.15, opt="rmsprop"),
}


# The normalised cases: the base case's model with this normalisation in its LSTM.
NORMALIZED = {
    "charlm-ln-step": ("charlm-step", "layer"),
    "pmnist-bn-step": ("pmnist-step", "batch"),
}

EPS = 1e-3  # Regulab's (Keras's) epsilon for both normalisations
MOMENTUM = 0.99  # Regulab's normMomentum: m <- 0.99 m + 0.01 stat


FEEDFORWARD = {
    "cnn-step": dict(batch=64, input=(1, 28, 28)),
    "mlp-step": dict(batch=128, input=(784,)),
}


def loaded_blas():
    """The BLAS shared library mapped into this process (torch's matmuls), by file name."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.rsplit("/", 1)[-1]}
    except OSError:
        return "unknown"
    if any("openblas" in p for p in paths):
        return "openblas"
    return "reference" if any("/blas/libblas.so" in p for p in paths) else ",".join(sorted(paths)) or "none"


def feedforward(case):
    """The issue-12 models (PyTorch's NCHW is its native and fastest layout)."""
    if case == "mlp-step":
        return nn.Sequential(
            nn.Linear(784, 1024), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(1024, 1024), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(1024, 10),
        )
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 10),
    )


class StepNorm(nn.Module):
    """Regulab's normalisation of one quantity of F = blocks x H features (step-normalization.ts).

    layer: N(v) = gamma * (v - mean(v)) / sqrt(var(v) + eps) over the F features of each example
           (scope 'fused', Ba et al. eq. 20-22); gamma starts at 1.
    batch: N(v) = gamma * (v - mu_k) / sqrt(var_k + eps) per feature over the batch at step k while
           training (biased variance), moving averages per step for inference; gamma starts at 0.1
           (Cooijmans et al.). As in Regulab (StepStatistics.record / update), a call keeps each
           step's batch statistics and finish() moves the moving averages of all steps at once,
           m_k <- 0.99 m_k + 0.01 stat_k.
    beta (the cell's only): an added shift, starting at 0.
    """

    def __init__(self, kind, features, steps, beta=False):
        super().__init__()
        self.kind, self.features = kind, features
        self.gamma = nn.Parameter(torch.full((features,), 1.0 if kind == "layer" else 0.1))
        self.beta = nn.Parameter(torch.zeros(features)) if beta else None
        self.stats = []  # this call's per-step (mean, var), detached: batch norm, training
        if kind == "batch":
            self.register_buffer("moving_mean", torch.zeros(steps, features))
            self.register_buffer("moving_variance", torch.ones(steps, features))

    def forward(self, v):
        """v [B, F] (one step: called once per step, in order) or [T, B, F] (every step at once)."""
        if self.kind == "layer":
            return nn.functional.layer_norm(v, (self.features,), self.gamma, self.beta, EPS)
        var, mean = torch.var_mean(v, -2, unbiased=False, keepdim=True)  # [1, F] or [T, 1, F]
        self.stats.append((mean.detach(), var.detach()))
        out = (v - mean) * torch.rsqrt(var + EPS) * self.gamma
        return out if self.beta is None else out + self.beta

    def finish(self):
        """Batch norm, training: moves the per-step moving averages by this call's statistics."""
        if not self.stats:
            return
        with torch.no_grad():
            mean = torch.cat([m.reshape(-1, self.features) for m, _ in self.stats])  # [T, F]
            var = torch.cat([v.reshape(-1, self.features) for _, v in self.stats])  # [T, F]
            self.moving_mean.mul_(MOMENTUM).add_(mean, alpha=1 - MOMENTUM)
            self.moving_variance.mul_(MOMENTUM).add_(var, alpha=1 - MOMENTUM)
        self.stats = []


class NormLstm(nn.Module):
    """Normalised LSTM cell loop with zoneout, Regulab's semantics (lstm-normalization.ts):

    a_t = N_x(W x_t) + N_h(U h_{t-1}) + b;  i, f, o = sigma(.), g = tanh(.)
    c_t = f * c_{t-1} + i * g;  h_t = o * tanh(N_c(c_t)), then zoneout on c_t and h_t.

    Written as a competent PyTorch user writes a cell loop: N_x(W x_t) + b of every step in one
    time-major [T, B, 4H] tensor before the loop, taken apart with unbind(0) (one backward node that
    stacks the T step gradients once), and the batch-norm moving averages moved once per call.

    Why the first version was slow (issue 13: pmnist-bn-step did not finish one step in 5 min of
    CPU; charlm-ln-step took ~1.5 s): it read step t of the precomputed [B, T, 4H] tensor, which
    needs a gradient, as wx[:, t]: a slice and a select. The backward of each allocates a
    zero-filled tensor of the whole [B, T, 4H] (125 MB at pmnist's 100 x 784 x 400) to hold one
    step's gradient, and the engine adds it to the sum of the other steps': O(T) work per step,
    O(T^2) per sequence (~0.5 TB of memory traffic at T = 784). Profiled (torch.autograd.profiler,
    T = 49): aten::fill_ 56% and aten::add 30% of the step's CPU, from SliceBackward0 and
    SelectBackward0; a step's CPU time went 0.7, 2.2, 7.6, 27.5 s at T = 25, 49, 98, 196 (now
    0.5, 1.0, 1.5 s at T = 49, 98, 196: linear). unbind has no such cost, nor has indexing a tensor
    that needs no gradient (the unnormalised loop's e[:, t]). Not the cause: denormals
    (torch.set_flush_denormal(True) changes nothing measurable), threads, the per-step in-place
    updates of the moving statistics (8 small ops a step; now once per call, as Regulab does).
    What remains (pmnist-bn-step, 1 thread, 2026-12-03, load 5-12 on 2 cores): 15.1 s of CPU a
    step (19 ms per time step) with the reference BLAS this machine now has; 11.7 s with OpenBLAS
    (LD_LIBRARY_PATH to libopenblas0-pthread's libblas.so.3), 4.6 s with OpenBLAS and glibc's
    mmap/trim thresholds raised (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ = 1 GiB): the rest
    is eager autograd's per-op cost over 784 steps and page faults on the 125 MB [T, B, 4H]
    tensors and the ~2.5 GB the steps keep for backward. The peer runs as a user runs it: no
    malloc tuning (Regulab's native addon tunes its own process's malloc at load).
    """

    def __init__(self, kind, inputs, units, steps):
        super().__init__()
        self.units = units
        self.w = nn.Linear(inputs, 4 * units, bias=False)
        self.u = nn.Linear(units, 4 * units, bias=False)
        self.b = nn.Parameter(torch.zeros(4 * units))
        self.nx = StepNorm(kind, 4 * units, steps)
        self.nh = StepNorm(kind, 4 * units, steps)
        self.nc = StepNorm(kind, units, steps, beta=True)

    def forward(self, e, zc, zh, shared):
        """e [B, T, E]; zoneout rates of c and h; shared: one mask for both (as the base peer's pmnist)."""
        B, T, _ = e.shape
        H = self.units
        wx = self.nx(self.w(e.transpose(0, 1))) + self.b  # [T, B, 4H], all steps at once
        h = e.new_zeros(B, H)
        c = e.new_zeros(B, H)
        outs = []
        for wx_t in wx.unbind(0):  # T x [B, 4H]
            a = wx_t + self.nh(self.u(h))  # [B, 4H]
            i, f, g, o = a.chunk(4, 1)
            c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h_new = torch.sigmoid(o) * torch.tanh(self.nc(c_new))
            dc = (torch.rand_like(c) < zc).float()  # 1 = keep the previous state
            dh = dc if shared else (torch.rand_like(h) < zh).float()
            c = dc * c + (1 - dc) * c_new
            h = dh * h + (1 - dh) * h_new
            outs.append(h)
        for n in (self.nx, self.nh, self.nc):
            n.finish()
        return torch.stack(outs, 1)  # [B, T, H]


class Model(nn.Module):
    def __init__(self, c, impl, norm=None):
        super().__init__()
        self.c, self.impl = c, impl
        self.emb = nn.Embedding(c["vocab"], c["embed"]) if c["vocab"] else None
        if norm is not None:
            self.norm_lstm = NormLstm(norm, c["embed"], c["units"], c["steps"])
        elif impl == "fused":
            self.rnn = nn.LSTM(c["embed"], c["units"], batch_first=True)
        else:
            self.cell = nn.LSTMCell(c["embed"], c["units"])
        self.out = nn.Linear(c["units"], c["classes"])

    def forward(self, x):
        c = self.c
        e = self.emb(x) if self.emb is not None else x  # [B, T, E]
        if hasattr(self, "norm_lstm"):
            shared = c["zc"] == c["zh"] and self.emb is None
            seq = self.norm_lstm(e, c["zc"], c["zh"], shared)  # [B, T, H]
        elif self.impl == "fused":
            seq, _ = self.rnn(e)  # [B, T, H]
        else:
            B = e.shape[0]
            h = e.new_zeros(B, c["units"])
            s = e.new_zeros(B, c["units"])
            outs = []
            for t in range(e.shape[1]):
                h_new, s_new = self.cell(e[:, t], (h, s))
                dc = (torch.rand_like(s) < c["zc"]).float()  # 1 = keep the previous cell
                dh = dc if c["zc"] == c["zh"] and self.emb is None else (torch.rand_like(h) < c["zh"]).float()
                s = dc * s + (1 - dc) * s_new
                h = dh * h + (1 - dh) * h_new
                outs.append(h)
            seq = torch.stack(outs, 1)
        if self.emb is None:
            return self.out(seq[:, -1])  # pmnist: classify from the last state
        return self.out(seq.reshape(-1, c["units"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True, choices=list(CASES) + list(NORMALIZED) + list(FEEDFORWARD))
    ap.add_argument("--impl", required=True, choices=["fused", "zoneout"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.case in FEEDFORWARD:
        f = FEEDFORWARD[a.case]
        model = feedforward(a.case)
        model.train()
        opt = torch.optim.Adam(model.parameters(), 1e-3)
        x = torch.rand(f["batch"], *f["input"])
        y = torch.randint(0, 10, (f["batch"],))
    else:
        base, norm = NORMALIZED.get(a.case, (a.case, None))
        if norm is not None and a.impl == "fused":
            ap.error(f"{a.case}: PyTorch has no fused normalised LSTM; use --impl zoneout (the cell loop)")
        c = CASES[base]
        model = Model(c, a.impl, norm)
        opt = torch.optim.Adam(model.parameters(), 1e-3) if c["opt"] == "adam" else torch.optim.RMSprop(model.parameters(), 1e-3)
        if c["vocab"]:
            x = torch.randint(0, c["vocab"], (c["batch"], c["steps"]))
            y = torch.randint(0, c["classes"], (c["batch"] * c["steps"],))
        else:
            x = torch.rand(c["batch"], c["steps"], 1)
            y = torch.randint(0, c["classes"], (c["batch"],))
    loss_fn = nn.CrossEntropyLoss()
    times = []
    cpu = []
    for i in range(a.warmup + a.repeats):
        c0 = time.process_time()
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        dt = (time.perf_counter() - t0) * 1000
        dc = (time.process_time() - c0) * 1000
        if i >= a.warmup:
            times.append(dt)
            cpu.append(dc)
    print(json.dumps({
        "case": a.case,
        "impl": f"pytorch-{a.impl}",
        "ms_per_step": round(statistics.median(times), 3),
        "cpu_ms_per_step": round(statistics.median(cpu), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "repeats": a.repeats,
        "threads": a.threads,
        "torch": torch.__version__,
        "blas": loaded_blas(),
    }))


if __name__ == "__main__":
    main()
