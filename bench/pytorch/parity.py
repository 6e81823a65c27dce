#!/usr/bin/env python3
"""PyTorch side of bench/parity.ts: load the project's initial weights into the
peer model (bench/pytorch/seq2seq_peer.py), train on the given batches with
Adam and global-norm clipping, print the per-step losses as a JSON list.

Weight mapping (project name -> PyTorch): fused GRU gates [r; z; n] stored
[in, 3H] are nn.GRU's weight_ih transposed; the decoder's input weights for
[emb(y); context] are the project's decoder/l0/Wx stacked over decoder/Wfeed;
linear layers are stored [in, out] (transposed), the output projection
[vocab, hidden] as nn.Linear.
"""
import argparse
import importlib.util
import json
import os

import torch
import torch.nn.functional as F

spec = importlib.util.spec_from_file_location("peer", os.path.join(os.path.dirname(__file__), "seq2seq_peer.py"))
peer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(peer)


def load(model, w):
    t = lambda name: w[name].t()
    with torch.no_grad():
        model.src_emb.weight.copy_(w["encoder/embedding"])
        model.tgt_emb.weight.copy_(w["decoder/embedding"])
        for suffix, d in (("", "fwd"), ("_reverse", "bwd")):
            getattr(model.encoder, "weight_ih_l0" + suffix).copy_(t(f"encoder/l0/{d}/Wx"))
            getattr(model.encoder, "weight_hh_l0" + suffix).copy_(t(f"encoder/l0/{d}/Wh"))
            getattr(model.encoder, "bias_ih_l0" + suffix).copy_(w[f"encoder/l0/{d}/bx"])
            getattr(model.encoder, "bias_hh_l0" + suffix).copy_(w[f"encoder/l0/{d}/bh"])
        model.bridge.weight.copy_(t("decoder/Wbridge"))
        model.bridge.bias.copy_(w["decoder/bbridge"])
        model.w_k.weight.copy_(t("attention/Wk"))
        model.w_q.weight.copy_(t("attention/Wq"))
        model.v.weight.copy_(t("attention/v"))
        model.decoder.weight_ih.copy_(torch.cat([w["decoder/l0/Wx"], w["decoder/Wfeed"]], 0).t())
        model.decoder.weight_hh.copy_(t("decoder/l0/Wh"))
        model.decoder.bias_ih.copy_(w["decoder/l0/bx"])
        model.decoder.bias_hh.copy_(w["decoder/l0/bh"])
        model.w_o.weight.copy_(t("decoder/Watt"))
        model.w_o.bias.copy_(w["decoder/batt"])
        model.out.weight.copy_(w["decoder/Wout"])
        model.out.bias.copy_(w["decoder/bout"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True, help="folder with weights.json and batches.json from bench/parity.ts")
    ap.add_argument("--lr", type=float, required=True)
    ap.add_argument("--clip", type=float, default=5.0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    with open(os.path.join(args.dir, "batches.json"), encoding="utf-8") as f:
        data = json.load(f)
    with open(os.path.join(args.dir, "weights.json"), encoding="utf-8") as f:
        w = {x["name"]: torch.tensor(x["values"], dtype=torch.float32).reshape(x["shape"]) for x in json.load(f)}
    model = peer.Seq2Seq(data["srcVocabSize"], data["tgtVocabSize"], w["encoder/embedding"].shape[1], w["decoder/Watt"].shape[1])
    load(model, w)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    losses = []
    for batch in data["batches"]:
        b = peer.tensors(batch)
        opt.zero_grad(set_to_none=True)
        hidden = model.decode(b["src"], b["lengths"], b["src_mask"], b["tgt_in"])
        nll = F.cross_entropy(model.out(hidden), b["tgt_out"], reduction="none")
        loss = (nll * b["tgt_mask"]).sum() / max(b["tokens"], 1)
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        losses.append(loss.item())
    print(json.dumps(losses))


if __name__ == "__main__":
    main()
