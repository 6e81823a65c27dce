#!/usr/bin/env python3
"""The standard PyTorch attention recipe, as the quality anchor of `npm run bench:quality`.

Unlike `seq2seq_peer.py` (which copies this project's model to compare speed and
exact losses), this is what a PyTorch user would write from the tutorials and
papers, with PyTorch's own default initialisation everywhere:
  - nn.Embedding for source and target (N(0, 1), the padding row zero);
  - a bidirectional nn.GRU encoder with `--enc-hidden` units per direction over
    packed sequences (padding skipped);
  - decoder start state s_0 = tanh(W_b mean_j h_j + b_b), the mean over real tokens;
  - Bahdanau (additive) attention e_tj = v^T tanh(W_q s_{t-1} + W_k h_j), padding
    masked before the softmax (Bahdanau et al. 2015, eq. 6);
  - an nn.GRUCell decoder reading [E y_{t-1}; c_t];
  - the "deep output": logits = W_o [s_t; c_t; E y_{t-1}] + b_o (Bahdanau et al.
    2015, appendix A.2.2, without the maxout);
  - cross-entropy summed over non-padding targets divided by their number, Adam,
    clip_grad_norm_, teacher forcing, a constant learning rate.

It reads the data the project's pipeline produced (so both sides see the same
token ids): a job file (JSON) with
  batches: path of a batch file (bench/lib/batches.ts: batches[].pairs[].{src,tgt},
           ids without <bos>/<eos>; this reader adds <eos> to sources, <bos>/<eos>
           to targets, as the project does),
  valid:   [{src, tgt}] pairs for teacher-forced validation perplexity,
  test:    [[ids]] source sentences to translate greedily after training (optional),
  srcVocabSize, tgtVocabSize, emb, hidden, encHidden, lr, clip, seed,
  evalSteps: steps after which to print the validation perplexity,
  maxSteps (0 = none), minutes (0 = none): when to stop (cycling through the batches),
  translateAtMinutes: training minutes after which to translate the test sources too
                     (the end of training always translates them),
  maxOutputRatio: decoded length limit ceil(ratio * srcLen) + 5, as the project's,
  hypotheses: where to write the test translations: JSON {"<minutes>": [[ids]]}, one
              entry per translation point, the final one under "final".
Training time excludes validation and translation. Prints one JSON object per line:
{"step", "valid_ppl", "seconds"} at each eval step, {"translated_at_minutes", "step"}
at each translation point, then {"done": true, "steps", "seconds", "tokens_per_second"}.

Run with one thread: OPENBLAS_NUM_THREADS=1 (and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
unset for Debian's torch); the script calls torch.set_num_threads(1) itself.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD, BOS, EOS = 0, 2, 3


class RecipeModel(nn.Module):
    """Encoder-decoder with Bahdanau attention and a deep output (see the module doc)."""

    def __init__(self, src_vocab, tgt_vocab, emb, hidden, enc_hidden):
        super().__init__()
        self.src_emb = nn.Embedding(src_vocab, emb, padding_idx=PAD)
        self.tgt_emb = nn.Embedding(tgt_vocab, emb, padding_idx=PAD)
        self.encoder = nn.GRU(emb, enc_hidden, batch_first=True, bidirectional=True)
        enc_out = 2 * enc_hidden
        self.init_state = nn.Linear(enc_out, hidden)
        self.att_keys = nn.Linear(enc_out, hidden, bias=False)
        self.att_query = nn.Linear(hidden, hidden, bias=False)
        self.att_v = nn.Linear(hidden, 1, bias=False)
        self.cell = nn.GRUCell(emb + enc_out, hidden)
        self.output = nn.Linear(hidden + enc_out + emb, tgt_vocab)

    def encode(self, src, lengths):
        """src [b, s] -> annotations h [b, s, 2*enc], their keys [b, s, hidden], mask [b, s], s_0 [b, hidden]."""
        packed = pack_padded_sequence(self.src_emb(src), lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.encoder(packed)
        h, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        mask = (src != PAD).float()
        mean = (h * mask.unsqueeze(2)).sum(1) / mask.sum(1, keepdim=True)
        return h, self.att_keys(h), mask, torch.tanh(self.init_state(mean))

    def step(self, y_prev, state, h, keys, mask):
        """One decoder step: logits [b, V] and the new state [b, hidden] (and the attention weights)."""
        e = self.tgt_emb(y_prev)
        scores = self.att_v(torch.tanh(keys + self.att_query(state).unsqueeze(1))).squeeze(2)
        alpha = torch.softmax(scores.masked_fill(mask == 0, float("-inf")), dim=1)
        context = torch.bmm(alpha.unsqueeze(1), h).squeeze(1)
        state = self.cell(torch.cat([e, context], 1), state)
        return self.output(torch.cat([state, context, e], 1)), state

    def forward(self, src, lengths, tgt_in):
        """Teacher-forced logits [b, t, V]."""
        h, keys, mask, state = self.encode(src, lengths)
        logits = []
        for t in range(tgt_in.shape[1]):
            o, state = self.step(tgt_in[:, t], state, h, keys, mask)
            logits.append(o)
        return torch.stack(logits, 1)


def pad_sources(sources):
    seqs = [list(s) + [EOS] for s in sources]
    width = max(len(s) for s in seqs)
    return torch.tensor([s + [PAD] * (width - len(s)) for s in seqs]), torch.tensor([len(s) for s in seqs])


def batch_tensors(pairs):
    src, lengths = pad_sources([p["src"] for p in pairs])
    width = max(len(p["tgt"]) for p in pairs) + 1
    tgt_in = torch.tensor([[BOS] + p["tgt"] + [PAD] * (width - 1 - len(p["tgt"])) for p in pairs])
    tgt_out = torch.tensor([p["tgt"] + [EOS] + [PAD] * (width - 1 - len(p["tgt"])) for p in pairs])
    return src, lengths, tgt_in, tgt_out


def nll(model, pairs):
    """(sum of token NLLs in nats, tokens) of a batch under teacher forcing."""
    src, lengths, tgt_in, tgt_out = batch_tensors(pairs)
    logits = model(src, lengths, tgt_in)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[2]), tgt_out.reshape(-1), ignore_index=PAD, reduction="sum")
    return loss, int((tgt_out != PAD).sum())


def valid_perplexity(model, pairs):
    model.eval()
    total, tokens = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(pairs), 128):
            loss, n = nll(model, pairs[i:i + 128])
            total += float(loss)
            tokens += n
    model.train()
    return math.exp(total / max(tokens, 1))


def greedy(model, sources, ratio):
    """Greedy translations (ids without <eos>), at most ceil(ratio * (len + 1)) + 5 tokens each."""
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(sources), 128):
            chunk = sources[i:i + 128]
            src, lengths = pad_sources(chunk)
            limits = [math.ceil(ratio * (len(s) + 1)) + 5 for s in chunk]
            h, keys, mask, state = model.encode(src, lengths)
            y = torch.full((len(chunk),), BOS, dtype=torch.long)
            hyps = [[] for _ in chunk]
            done = [False] * len(chunk)
            for t in range(max(limits)):
                logits, state = model.step(y, state, h, keys, mask)
                y = logits.argmax(1)
                for j, w in enumerate(y.tolist()):
                    if done[j]:
                        continue
                    if w == EOS or t >= limits[j]:
                        done[j] = True
                    else:
                        hyps[j].append(w)
                if all(done):
                    break
            out += hyps
    model.train()
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--job", required=True, help="job file (JSON, see the module doc)")
    job = json.load(open(p.parse_args().job))
    torch.set_num_threads(1)
    torch.manual_seed(job.get("seed", 0))
    batches = json.load(open(job["batches"]))["batches"]
    model = RecipeModel(job["srcVocabSize"], job["tgtVocabSize"], job["emb"], job["hidden"], job["encHidden"])
    opt = torch.optim.Adam(model.parameters(), lr=job["lr"])
    eval_steps = set(job.get("evalSteps", []))
    max_steps, budget = job.get("maxSteps", 0), job.get("minutes", 0) * 60
    test, ratio = job.get("test"), job.get("maxOutputRatio", 1.5)
    pending = sorted(job.get("translateAtMinutes", [])) if test else []
    translations = {}
    start = time.time()
    steps = tokens = 0
    train_seconds = 0.0
    while True:
        while pending and train_seconds >= pending[0] * 60:
            translations[str(pending[0])] = greedy(model, test, ratio)
            print(json.dumps({"translated_at_minutes": pending.pop(0), "step": steps}), flush=True)
        if (max_steps and steps >= max_steps) or (budget and train_seconds >= budget):
            break
        t = time.time()
        pairs = batches[steps % len(batches)]["pairs"]
        opt.zero_grad()
        loss, n = nll(model, pairs)
        (loss / n).backward()
        nn.utils.clip_grad_norm_(model.parameters(), job["clip"])
        opt.step()
        train_seconds += time.time() - t
        steps += 1
        tokens += n
        if steps in eval_steps:
            print(json.dumps({"step": steps, "valid_ppl": valid_perplexity(model, job["valid"]), "seconds": round(train_seconds, 1)}), flush=True)
    if test and job.get("hypotheses"):
        translations["final"] = greedy(model, test, ratio)
        json.dump(translations, open(job["hypotheses"], "w"))
    print(json.dumps({"done": True, "steps": steps, "seconds": round(train_seconds, 1), "tokens_per_second": round(tokens / max(train_seconds, 1e-9)),
                      "wall_seconds": round(time.time() - start, 1)}), flush=True)


if __name__ == "__main__":
    main()
