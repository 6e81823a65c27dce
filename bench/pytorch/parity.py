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
import time

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


def dump(model, path):
    """Write the peer's weights under the project's parameter names (the inverse of `load`)."""
    t = lambda x: x.detach().t().contiguous()
    d = lambda x: x.detach()
    emb = model.tgt_emb.weight.shape[1]
    ws = {
        "encoder/embedding": d(model.src_emb.weight), "decoder/embedding": d(model.tgt_emb.weight),
        "decoder/Wbridge": t(model.bridge.weight), "decoder/bbridge": d(model.bridge.bias),
        "attention/Wk": t(model.w_k.weight), "attention/Wq": t(model.w_q.weight), "attention/v": t(model.v.weight),
        "decoder/l0/Wx": t(model.decoder.weight_ih[:, :emb]), "decoder/Wfeed": t(model.decoder.weight_ih[:, emb:]),
        "decoder/l0/Wh": t(model.decoder.weight_hh), "decoder/l0/bx": d(model.decoder.bias_ih), "decoder/l0/bh": d(model.decoder.bias_hh),
        "decoder/Watt": t(model.w_o.weight), "decoder/batt": d(model.w_o.bias),
        "decoder/Wout": d(model.out.weight), "decoder/bout": d(model.out.bias),
    }
    for suffix, dd in (("", "fwd"), ("_reverse", "bwd")):
        ws[f"encoder/l0/{dd}/Wx"] = t(getattr(model.encoder, "weight_ih_l0" + suffix))
        ws[f"encoder/l0/{dd}/Wh"] = t(getattr(model.encoder, "weight_hh_l0" + suffix))
        ws[f"encoder/l0/{dd}/bx"] = d(getattr(model.encoder, "bias_ih_l0" + suffix))
        ws[f"encoder/l0/{dd}/bh"] = d(getattr(model.encoder, "bias_hh_l0" + suffix))
    with open(path, "w", encoding="utf-8") as f:
        json.dump([{"name": k, "shape": list(v.shape), "values": v.reshape(-1).tolist()} for k, v in ws.items()], f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batches", required=True, help="batch file written by bench/parity.ts (bench/lib/batches.ts format)")
    ap.add_argument("--weights", required=True, help="initial weights under the project's parameter names")
    ap.add_argument("--lr", type=float, required=True)
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--minutes", type=float, default=0, help="train for this long (cycling through the batches) instead of one pass")
    ap.add_argument("--dump", help="write the trained weights here, under the project's names")
    args = ap.parse_args()
    torch.set_num_threads(1)
    with open(args.batches, encoding="utf-8") as f:
        data = json.load(f)
    with open(args.weights, encoding="utf-8") as f:
        w = {x["name"]: torch.tensor(x["values"], dtype=torch.float32).reshape(x["shape"]) for x in json.load(f)}
    model = peer.Seq2Seq(data["srcVocabSize"], data["tgtVocabSize"], w["encoder/embedding"].shape[1], w["decoder/Watt"].shape[1])
    load(model, w)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    losses = []
    batches = [peer.tensors(b) for b in data["batches"]] if args.minutes else None
    start = time.perf_counter()
    step = 0
    while True:
        if args.minutes:
            if time.perf_counter() - start >= args.minutes * 60:
                break
            b = batches[step % len(batches)]
        elif step < len(data["batches"]):
            b = peer.tensors(data["batches"][step])
        else:
            break
        step += 1
        opt.zero_grad(set_to_none=True)
        hidden = model.decode(b["src"], b["lengths"], b["src_mask"], b["tgt_in"])
        nll = F.cross_entropy(model.out(hidden), b["tgt_out"], reduction="none")
        loss = (nll * b["tgt_mask"]).sum() / max(b["tokens"], 1)
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        losses.append(loss.item())
    if args.dump:
        dump(model, args.dump)
    print(json.dumps(losses))


if __name__ == "__main__":
    main()
