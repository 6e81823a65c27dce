#!/usr/bin/env python3
"""PyTorch peer of the Seq2Seq Lab training benchmark (`npm run bench`).

The same network as the project's model (src/core/model/*) with GRU cells,
one layer, a bidirectional encoder, Bahdanau attention and bridge `both`:
  - source embedding, bidirectional GRU encoder with `--encoder-hidden` units
    per direction (`model.encoderHiddenSize`; packed sequences, so padding is
    skipped), whose outputs h_j have D = 2 * encoder-hidden features;
  - bridge s_0 = tanh(W_b [h_fwd_final; h_bwd_final] + b_b), W_b [D -> hidden];
  - Bahdanau attention score(s, h_j) = v^T tanh(W_q s_{t-1} + W_k h_j) with the
    previous decoder state as query, padding masked before the softmax;
  - GRU decoder reading [E y_{t-1}; c_t];
  - the readout r_t of `--readout` (`model.readout`, see
    src/core/model/decoder.ts):
      deep:        r_t = [s_t; c_t; E y_{t-1}];
      maxout:      z = W_r [s_t; c_t; E y_{t-1}] + b_r with 2 * `--readout-size`
                   outputs, r_t = max(z[:, :R], z[:, R:]) (the maximum of the
                   two halves, R = readout size);
      attentional: r_t = tanh(W_o [s_t; c_t] + b_o), `hidden` features;
  - output projection W_out r_t + b_out stored [vocab, features] (nn.Linear),
    cross-entropy summed over non-padding targets and divided by their number;
  - Adam, gradients clipped by global norm (clip_grad_norm_).
Optionally the same candidate-set ("sampled") softmax as the project's
`train.softmaxCandidates`: the k most frequent ids, the batch's gold ids and
k ids drawn uniformly from the rest, whose logits get -log(draw/pool); it
scores the readout features against the candidates' rows of W_out.

The model's sizes are all arguments (bench/run.ts passes those of the
configuration it measures); bench/pytorch/parity.py reuses this class with
the sizes read off the project's weights.

Reads the batch file written by bench/run.ts (JSON: srcVocabSize,
tgtVocabSize, batches[].pairs[].{src,tgt} ids without <bos>/<eos>), trains
for warm-up + timed steps, and prints one JSON object on stdout.

`--processes N` trains data-parallel as PyTorch users do on several cores or
machines: N processes under DistributedDataParallel (gloo), each with
`--threads` threads and its contiguous share of every batch, the gradients
all-reduced in buckets while the backward pass runs (Li et al. 2020,
"PyTorch Distributed: Experiences on Accelerating Data Parallel Training").
"""
import argparse
import json
import math
import os
import sys
import tempfile
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD, BOS, EOS = 0, 2, 3
READOUTS = ("deep", "maxout", "attentional")  # model.readout


class Seq2Seq(nn.Module):
    """The project's model (see the module doc); `decode` returns the readout features, `out` the logits."""

    def __init__(self, src_vocab, tgt_vocab, emb, hidden, encoder_hidden, readout, readout_size=0):
        super().__init__()
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {', '.join(READOUTS)} (got {readout!r})")
        if readout == "maxout" and readout_size < 1:
            raise ValueError(f"the maxout readout needs a positive readout size (got {readout_size})")
        enc_out = 2 * encoder_hidden  # D: both directions
        self.readout = readout
        self.src_emb = nn.Embedding(src_vocab, emb)
        self.encoder = nn.GRU(emb, encoder_hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(enc_out, hidden)
        self.tgt_emb = nn.Embedding(tgt_vocab, emb)
        self.w_k = nn.Linear(enc_out, hidden, bias=False)
        self.w_q = nn.Linear(hidden, hidden, bias=False)
        self.v = nn.Linear(hidden, 1, bias=False)
        self.decoder = nn.GRUCell(emb + enc_out, hidden)
        deep = hidden + enc_out + emb  # [s_t; c_t; E y_{t-1}]
        if readout == "attentional":
            self.w_o = nn.Linear(hidden + enc_out, hidden)  # project: decoder/Watt, decoder/batt
            features = hidden
        elif readout == "maxout":
            self.w_r = nn.Linear(deep, 2 * readout_size)  # project: decoder/Wreadout, decoder/breadout
            features = readout_size
        else:
            features = deep
        self.out = nn.Linear(features, tgt_vocab)  # weight [vocab, features]

    def decode(self, src, src_lengths, src_mask, tgt_in):
        """Readout features r_t [batch * tgtLen, features] under teacher forcing (batch-major)."""
        b, s = src.shape
        packed = pack_padded_sequence(self.src_emb(src), src_lengths, batch_first=True, enforce_sorted=False)
        enc_packed, h_n = self.encoder(packed)
        enc, _ = pad_packed_sequence(enc_packed, batch_first=True, total_length=s)  # [b, s, D]
        state = torch.tanh(self.bridge(torch.cat([h_n[0], h_n[1]], dim=1)))
        keys = self.w_k(enc)  # precomputed once per batch
        bias = (src_mask - 1.0) * 1e9
        emb = self.tgt_emb(tgt_in)  # [b, t, emb]
        states, contexts = [], []
        for t in range(tgt_in.shape[1]):
            scores = self.v(torch.tanh(keys + self.w_q(state).unsqueeze(1))).squeeze(2) + bias
            weights = torch.softmax(scores, dim=1)
            context = torch.bmm(weights.unsqueeze(1), enc).squeeze(1)
            state = self.decoder(torch.cat([emb[:, t], context], dim=1), state)
            states.append(state)
            contexts.append(context)
        n = b * tgt_in.shape[1]
        s_t = torch.stack(states, dim=1).reshape(n, -1)
        c_t = torch.stack(contexts, dim=1).reshape(n, -1)
        if self.readout == "attentional":
            return torch.tanh(self.w_o(torch.cat([s_t, c_t], dim=1)))
        deep = torch.cat([s_t, c_t, emb.reshape(n, -1)], dim=1)
        if self.readout == "deep":
            return deep
        z1, z2 = self.w_r(deep).chunk(2, dim=1)  # the two halves of W_r [s; c; E y] + b_r
        return torch.maximum(z1, z2)


def tensors(batch):
    pairs = batch["pairs"]
    s_len = max(len(p["src"]) for p in pairs) + 1
    t_len = max(len(p["tgt"]) for p in pairs) + 1
    n = len(pairs)
    src = torch.full((n, s_len), PAD, dtype=torch.long)
    tgt_in = torch.full((n, t_len), PAD, dtype=torch.long)
    tgt_out = torch.full((n, t_len), PAD, dtype=torch.long)
    lengths = []
    for i, p in enumerate(pairs):
        x = p["src"] + [EOS]
        src[i, : len(x)] = torch.tensor(x)
        lengths.append(len(x))
        y = p["tgt"]
        tgt_in[i, : len(y) + 1] = torch.tensor([BOS] + y)
        tgt_out[i, : len(y) + 1] = torch.tensor(y + [EOS])
    src_mask = (src != PAD).float()  # real tokens and <eos>: ids are never PAD inside a sentence
    tgt_mask = (tgt_out != PAD).float().reshape(-1)
    return {
        "src": src,
        "lengths": torch.tensor(lengths),
        "src_mask": src_mask,
        "tgt_in": tgt_in,
        "tgt_out": tgt_out.reshape(-1),
        "tgt_mask": tgt_mask,
        "tokens": int(tgt_mask.sum().item()),
        "size": n,
    }


def candidate_logits(model, features, tgt_out, tgt_mask, k, generator, batch=None):
    """Logits over the candidate set and the targets re-indexed into it (see module doc).

    `features` are the readout features from `Seq2Seq.decode`, whatever the readout:
    they are scored against the candidates' rows of W_out (model.out.weight [vocab, features]).
    `batch` (tensors of the whole batch) supplies the gold ids when `tgt_out` is one process's
    share of it: every process then draws the same candidates, as one process would for the batch.
    """
    vocab = model.out.weight.shape[0]
    whole = batch if batch is not None else {"tgt_out": tgt_out, "tgt_mask": tgt_mask}
    golds = torch.unique(whole["tgt_out"][whole["tgt_mask"] > 0])
    golds = golds[golds >= k]
    rest = torch.ones(vocab, dtype=torch.bool)
    rest[:k] = False
    rest[golds] = False
    pool_ids = rest.nonzero().squeeze(1)
    pool = pool_ids.numel()
    draw = min(k, pool)
    sampled = pool_ids[torch.randperm(pool, generator=generator)[:draw]]
    ids = torch.cat([torch.arange(k), golds, sampled])
    offsets = torch.zeros(ids.numel())
    if draw > 0:
        offsets[k + golds.numel():] = -math.log(draw / pool)
    position = torch.zeros(vocab, dtype=torch.long)
    position[ids] = torch.arange(ids.numel())
    logits = features @ model.out.weight[ids].t() + model.out.bias[ids] + offsets
    return logits, position[tgt_out]


def cpu_jiffies(pids=("self",)):
    """(busy jiffies of the machine, niced ones included, jiffies of all CPUs, the jiffies of `pids`
    (this process; with --processes, every process of the peer)), or None off Linux."""
    try:
        with open("/proc/stat") as f:
            user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in f.readline().split()[1:9])
        own = 0
        for pid in pids:
            with open(f"/proc/{pid}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            own += int(rest[11]) + int(rest[12])
        return (user + nice + system + irq + softirq + steal, user + nice + system + idle + iowait + irq + softirq + steal, own)
    except OSError:
        return None


def foreign_share(a, b):
    """Share of the CPUs other processes used between two `cpu_jiffies` readings, or None."""
    if a is None or b is None or b[1] == a[1]:
        return None
    return max(0.0, ((b[0] - a[0]) - (b[2] - a[2])) / (b[1] - a[1]))


def share_of(batch, rank, world):
    """This process's contiguous share of a batch's pairs (as the project's data parallelism cuts it)."""
    pairs = batch["pairs"]
    per = math.ceil(len(pairs) / world)
    mine = pairs[rank * per:(rank + 1) * per]
    if not mine:
        raise ValueError(f"a batch of {len(pairs)} pairs leaves process {rank} of {world} without a share")
    return {"pairs": mine}


class Step(nn.Module):
    """One training step's loss as a module, so that DistributedDataParallel can wrap it.

    With `world` processes each computes the summed cross-entropy of its share divided by the
    whole batch's target tokens, times `world`: DDP averages the gradients over the processes,
    so the update is the one of the whole batch's per-token mean (as in one process).
    """

    def __init__(self, model, k, generator, world):
        super().__init__()
        self.model, self.k, self.generator, self.world = model, k, generator, world

    def forward(self, b, whole):
        features = self.model.decode(b["src"], b["lengths"], b["src_mask"], b["tgt_in"])
        if self.k:
            logits, targets = candidate_logits(self.model, features, b["tgt_out"], b["tgt_mask"], self.k, self.generator, whole)
        else:
            logits, targets = self.model.out(features), b["tgt_out"]
        nll = F.cross_entropy(logits, targets, reduction="none")
        return (nll * b["tgt_mask"]).sum() / max(whole["tokens"], 1) * self.world


def train(rank, world, args, init_file):
    """Train warm-up + timed steps in process `rank` of `world`; rank 0 prints the JSON result."""
    torch.set_num_threads(args.threads)
    if world > 1:
        dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    torch.manual_seed(42)
    with open(args.batches, encoding="utf-8") as f:
        data = json.load(f)
    batches = [tensors(b) for b in data["batches"]]
    shares = [tensors(share_of(b, rank, world)) for b in data["batches"]] if world > 1 else batches
    model = Seq2Seq(data["srcVocabSize"], data["tgtVocabSize"], args.embedding, args.hidden, args.encoder_hidden, args.readout, args.readout_size)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    generator = torch.Generator().manual_seed(7)
    k = args.softmax_candidates if 0 < args.softmax_candidates < data["tgtVocabSize"] else 0
    net = Step(model, k, generator, world)
    if world > 1:
        net = DistributedDataParallel(net)  # gradients all-reduced in buckets during the backward pass
    pids = ("self",)
    if world > 1:
        every = [None] * world
        dist.all_gather_object(every, os.getpid())
        pids = tuple(every)

    def step(i):
        opt.zero_grad(set_to_none=True)
        loss = net(shares[i], batches[i])
        loss.backward()
        if args.clip > 0:  # 0 = no clipping, as train.clipNorm
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        return loss.detach()

    def whole_loss(loss):
        if world > 1:
            dist.all_reduce(loss)
            loss = loss / world
        return loss.item()

    # Warm-up on batches counted from the end; the timed steps are batches 0, 1, 2, … whatever the
    # warm-up and the dropped steps (a dropped step is taken again on the same batch), so every row —
    # one thread or two, ours or this peer — times the same batches (bucketed real batches differ in length).
    for w in range(args.warmup):
        step(len(batches) - 1 - w % len(batches))
    times, tokens, sentences, losses, foreign = [], 0, 0, [], []
    seen, started = 0, time.perf_counter()
    while len(times) < args.steps:
        i = len(times) % len(batches)
        if world > 1:
            dist.barrier()  # every process starts the step together
        cpu0 = cpu_jiffies(pids)
        t0 = time.perf_counter()
        loss = step(i)
        ms = (time.perf_counter() - t0) * 1000
        f = foreign_share(cpu0, cpu_jiffies(pids))
        seen += 1
        out_of_time = time.perf_counter() - started > args.max_seconds
        drop = f is not None and f > args.max_foreign and not out_of_time
        if world > 1:
            # Rank 0 decides (its clock, its reading) so that every process takes the same steps.
            flag = torch.tensor([1 if drop else 0, ms])
            dist.broadcast(flag, 0)
            drop, ms = bool(flag[0].item()), float(flag[1].item())
        loss = whole_loss(loss)
        if drop:
            continue
        losses.append(loss)
        times.append(ms)
        foreign.append(f)
        tokens += batches[i]["tokens"]
        sentences += batches[i]["size"]
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    if rank == 0:
        report(model, times, tokens, sentences, losses, foreign, seen, world)
    if world > 1:
        # A spawned process can hang in the interpreter's exit after gloo (threads it leaves behind):
        # its work is done and its output flushed, so it leaves without the interpreter's teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def report(model, times, tokens, sentences, losses, foreign, seen, world):
    """Print the JSON result of the timed steps."""
    total = sum(times) / 1000
    srt = sorted(times)

    def q(p):
        h = (len(srt) - 1) * p
        lo, hi = math.floor(h), math.ceil(h)
        return srt[lo] + (h - lo) * (srt[hi] - srt[lo])

    print(json.dumps({
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "processes": world,
        "parameters": sum(p.numel() for p in model.parameters()),
        "stepMs": {"n": len(times), "median": q(0.5), "p95": q(0.95), "mean": total * 1000 / len(times), "min": srt[0], "max": srt[-1]},
        "tokensPerSec": tokens / total,
        "sentencesPerSec": sentences / total,
        "firstLoss": losses[0],
        "lastLoss": losses[-1],
        "stepsSeen": seen,
        "foreignCpu": max((x for x in foreign if x is not None), default=None),
    }), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batches", required=True, help="batch file written by bench/run.ts")
    ap.add_argument("--embedding", type=int, required=True)
    ap.add_argument("--hidden", type=int, required=True, help="decoder units (model.hiddenSize)")
    ap.add_argument("--encoder-hidden", type=int, required=True, help="encoder units per direction (the resolved model.encoderHiddenSize)")
    ap.add_argument("--readout", choices=READOUTS, required=True, help="model.readout")
    ap.add_argument("--readout-size", type=int, default=0, help="model.readoutSize: units of the maxout readout (required for maxout)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads in each process")
    ap.add_argument("--processes", type=int, default=1,
                    help="data-parallel processes (DistributedDataParallel over gloo, PyTorch's standard data "
                         "parallelism): each trains its contiguous share of every batch")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--softmax-candidates", type=int, default=0)
    ap.add_argument("--lr", type=float, default=0.003)
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--max-foreign", type=float, default=1.0,
                    help="keep only timed steps during which other processes used at most this share of the CPUs "
                         "(/proc/stat minus this peer's processes; Linux), taking more steps until --steps are kept")
    ap.add_argument("--max-seconds", type=float, default=600.0, help="with --max-foreign: stop looking for clean steps after this long")
    args = ap.parse_args()
    if args.readout == "maxout" and args.readout_size < 1:
        ap.error("--readout maxout needs --readout-size")
    if args.processes < 1:
        ap.error("--processes must be at least 1")
    if args.processes == 1:
        train(0, 1, args, None)
        return
    with tempfile.TemporaryDirectory() as tmp:
        # The processes find each other through a file (no network port needed).
        mp.spawn(train, args=(args.processes, args, os.path.join(tmp, "rendezvous")), nprocs=args.processes, join=True)


if __name__ == "__main__":
    main()
