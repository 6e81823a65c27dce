#!/usr/bin/env python3
"""PyTorch side of bench/parity.ts: load the project's initial weights into the
peer model (bench/pytorch/seq2seq_peer.py), train on the given batches with
Adam and global-norm clipping, print the per-step losses as a JSON list.

The peer is built from the weights themselves (`sizes`): embedding, decoder
and encoder units (per direction) from the tables' shapes, the readout from
which readout parameters exist (decoder/Watt: attentional, decoder/Wreadout:
maxout, neither: deep), the maxout's size from decoder/Wreadout's width.

Weight mapping (project name -> PyTorch): fused GRU gates [r; z; n] stored
[in, 3H] are nn.GRU's weight_ih transposed; the decoder's input weights for
[emb(y); context] are the project's decoder/l0/Wx stacked over decoder/Wfeed;
linear layers are stored [in, out] (transposed): attention/Wq, Wk, v,
decoder/Wbridge, and the readout's decoder/Watt (attentional, w_o) or
decoder/Wreadout (maxout, w_r) with their biases; the output projection
decoder/Wout [vocab, features] as nn.Linear's weight. Every project parameter
must be mapped (an unknown name is an error), and `dump` writes exactly the
names of the peer's readout, so its weights load into the project's model.
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


def sizes(w):
    """Peer constructor arguments (emb, hidden, encoder_hidden, readout, readout_size) read off the project's weights."""
    if "decoder/Watt" in w:
        readout, readout_size = "attentional", 0
    elif "decoder/Wreadout" in w:
        readout, readout_size = "maxout", w["decoder/Wreadout"].shape[1] // 2
    else:
        readout, readout_size = "deep", 0
    return {
        "emb": w["decoder/embedding"].shape[1],
        "hidden": w["decoder/l0/Wh"].shape[0],
        "encoder_hidden": w["encoder/l0/fwd/Wh"].shape[0],
        "readout": readout,
        "readout_size": readout_size,
    }


def readout_pairs(model):
    """(project name, peer tensor, transposed) of the readout's own parameters."""
    if model.readout == "attentional":
        return [("decoder/Watt", model.w_o.weight, True), ("decoder/batt", model.w_o.bias, False)]
    if model.readout == "maxout":
        return [("decoder/Wreadout", model.w_r.weight, True), ("decoder/breadout", model.w_r.bias, False)]
    return []


def pairs(model):
    """(project name, peer tensor, transposed) of every parameter except decoder/l0/Wx and decoder/Wfeed (one peer tensor)."""
    out = [
        ("encoder/embedding", model.src_emb.weight, False),
        ("decoder/embedding", model.tgt_emb.weight, False),
        ("decoder/Wbridge", model.bridge.weight, True),
        ("decoder/bbridge", model.bridge.bias, False),
        ("attention/Wk", model.w_k.weight, True),
        ("attention/Wq", model.w_q.weight, True),
        ("attention/v", model.v.weight, True),
        ("decoder/l0/Wh", model.decoder.weight_hh, True),
        ("decoder/l0/bx", model.decoder.bias_ih, False),
        ("decoder/l0/bh", model.decoder.bias_hh, False),
        ("decoder/Wout", model.out.weight, False),
        ("decoder/bout", model.out.bias, False),
    ]
    for suffix, d in (("", "fwd"), ("_reverse", "bwd")):
        out += [
            (f"encoder/l0/{d}/Wx", getattr(model.encoder, "weight_ih_l0" + suffix), True),
            (f"encoder/l0/{d}/Wh", getattr(model.encoder, "weight_hh_l0" + suffix), True),
            (f"encoder/l0/{d}/bx", getattr(model.encoder, "bias_ih_l0" + suffix), False),
            (f"encoder/l0/{d}/bh", getattr(model.encoder, "bias_hh_l0" + suffix), False),
        ]
    return out + readout_pairs(model)


def load(model, w):
    """Copy the project's weights `w` (name -> tensor) into the peer. @raises ValueError on an unmapped name or a shape mismatch."""
    mapped = pairs(model)
    unknown = set(w) - {name for name, _, _ in mapped} - {"decoder/l0/Wx", "decoder/Wfeed"}
    if unknown:
        raise ValueError(f"project parameters the peer does not have: {', '.join(sorted(unknown))}")
    with torch.no_grad():
        for name, p, transposed in mapped:
            value = w[name].t() if transposed else w[name]
            if tuple(value.shape) != tuple(p.shape):
                raise ValueError(f"{name}: shape {list(w[name].shape)} does not fit the peer's {list(p.shape)}{' (transposed)' if transposed else ''}")
            p.copy_(value)
        model.decoder.weight_ih.copy_(torch.cat([w["decoder/l0/Wx"], w["decoder/Wfeed"]], 0).t())


def dump(model, path):
    """Write the peer's weights under the project's parameter names (the inverse of `load`)."""
    emb = model.tgt_emb.weight.shape[1]
    ws = {name: (p.detach().t() if transposed else p.detach()).contiguous() for name, p, transposed in pairs(model)}
    ws["decoder/l0/Wx"] = model.decoder.weight_ih[:, :emb].detach().t().contiguous()
    ws["decoder/Wfeed"] = model.decoder.weight_ih[:, emb:].detach().t().contiguous()
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
    model = peer.Seq2Seq(data["srcVocabSize"], data["tgtVocabSize"], **sizes(w))
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
        features = model.decode(b["src"], b["lengths"], b["src_mask"], b["tgt_in"])
        nll = F.cross_entropy(model.out(features), b["tgt_out"], reduction="none")
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
