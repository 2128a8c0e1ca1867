#!/usr/bin/python3
"""Formats the results folder of tools/bench.sh as one Markdown report (stdout): ewcl's
figures per device and, where the peers ran, the ratios ewcl / peer. Only the standard
library: it runs wherever bench.sh does."""
import glob
import json
import os
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def ratio(ours, theirs):
    return f"{ours / theirs:.2f}" if ours and theirs else "-"


def gemm_section(out, device, gemm, openblas):
    peer = {r["shape"]: r for r in openblas["results"]} if openblas else {}
    out.append(f"GEMM, GFLOP/s (median of 5; estimated peak {gemm['estimated_peak_gflops']:.0f}"
               " = compute units x clock x float vector width x 2, an estimate)\n")
    out.append("| shape | m x n x k | engine | ewcl | % of peak | OpenBLAS | ewcl / OpenBLAS |")
    out.append("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for r in gemm["results"]:
        theirs = peer.get(r["shape"], {}).get("gflops")
        out.append(f"| {r['shape']} | {r['m']}x{r['n']}x{r['k']} | {r['engine']} | "
                   f"{r['gflops']:.1f} | {100 * r['peak_fraction']:.0f}% | "
                   f"{theirs:.1f} | {ratio(r['gflops'], theirs)} |" if theirs else
                   f"| {r['shape']} | {r['m']}x{r['n']}x{r['k']} | {r['engine']} | "
                   f"{r['gflops']:.1f} | {100 * r['peak_fraction']:.0f}% | - | - |")
    out.append("")


def device_section(out, folder, device):
    def part(name):
        return load(os.path.join(folder, f"device{device}-{name}.json"))
    gemm, step, fisher = part("gemm"), part("step"), part("fisher")
    update, startup, epoch = part("update"), part("startup"), part("epoch")
    name = next((p["device"] for p in (gemm, step, fisher, epoch) if p), f"device {device}")
    out.append(f"### Device {device}: {name}\n")
    if gemm:
        gemm_section(out, device, gemm, load(os.path.join(folder, "openblas.json")))
    if step:
        out.append("| training step, batch | median ms | min-max ms | images/s |")
        out.append("| ---: | ---: | ---: | ---: |")
        for b in step["batches"]:
            s = b["step"]
            out.append(f"| {b['batch']} | {s['median_ms']:.2f} | {s['min_ms']:.2f}-"
                       f"{s['max_ms']:.2f} | {b['images_per_second']:.0f} |")
        out.append("")
    if fisher:
        out.append(f"| Fisher from {fisher['samples']} images, labels | median ms | min-max ms |")
        out.append("| --- | ---: | ---: |")
        for m in fisher["labels"]:
            out.append(f"| {m['labels']} | {m['median_ms']:.2f} | {m['min_ms']:.2f}-"
                       f"{m['max_ms']:.2f} |")
        out.append("")
    if epoch:
        e = epoch["epoch"]
        out.append(f"Epoch ({epoch['images']} images, batch {epoch['batch']}, profiling on): "
                   f"median {e['median_s']:.2f} s (min {e['min_s']:.2f}, max {e['max_s']:.2f}),"
                   f" {epoch['images_per_second']:.0f} images/s\n")
        out.append("| kernel family | s / epoch | share |")
        out.append("| --- | ---: | ---: |")
        for f in epoch["families"]:
            name = "idle / launch gaps" if f["family"] == "idle" else f["family"]
            if f.get("commands_per_epoch", 1):
                out.append(f"| {name} | {f['median_s']:.3f} | {100 * f['share']:.1f}% |")
        out.append("")
    if update:
        out.append(f"Fused EWC update: median {update['median']:.0f} us, "
                   f"{update['gb_per_s']:.1f} GB/s.\n")
    if startup:
        out.append("Startup to a ready runtime: " + ", ".join(
            f"{k} {startup[k]['median_s']:.3f} s" for k in ("cold", "warm", "pocl-only")) + ".\n")


def peer_section(out, folder):
    rows = []
    for label, name in (("one epoch (1 task x 1 epoch)", "epoch"),
                        ("whole --consolidate run", "run")):
        ours = load(os.path.join(folder, f"ewcl-{name}", "summary.json"))
        theirs = load(os.path.join(folder, f"torch-{name}", "summary.json"))
        if not ours or not theirs:
            continue
        a, b = ours["seconds"], theirs["seconds"]
        key = "train" if name == "epoch" else "total"
        rows.append(f"| {label}: {key} s | {a[key]:.2f} | {b[key]:.2f} | {ratio(a[key], b[key])} |")
        if name == "run":
            fa = [x for x in a.get("fisher_per_task") or [] if x]
            fb = [x for x in b.get("fisher_per_task") or [] if x]
            if fa and fb:
                ma, mb = 1e3 * sum(fa) / len(fa), 1e3 * sum(fb) / len(fb)
                rows.append(f"| Fisher + consolidation per task, ms | {ma:.1f} | {mb:.1f} | "
                            f"{ratio(ma, mb)} |")
            rows.append(f"| average accuracy after the last task | "
                        f"{ours['final_average_accuracy']:.4f} | "
                        f"{theirs['final_average_accuracy']:.4f} | |")
    if rows:
        # PyTorch's epoch at each thread count tried; the runs above are at the faster.
        tried = {int(p.rsplit("-", 1)[1]): load(os.path.join(p, "summary.json"))
                 for p in glob.glob(os.path.join(folder, "torch-epoch-*")) if os.path.isdir(p)}
        epochs = ", ".join(f"{t} thread(s) {s['seconds']['train']:.2f} s"
                           for t, s in sorted(tried.items()) if s)
        threads = (load(os.path.join(folder, "torch-run", "summary.json")) or {}).get(
            "device", {}).get("compute_units", "?")
        out.append(f"### ewcl train vs the PyTorch reference (tools/torch_reference.py, {threads} "
                   "thread(s), OMP_WAIT_POLICY=PASSIVE)\n")
        if epochs:
            out.append(f"PyTorch's epoch by thread count: {epochs}; the faster times the runs.\n")
        out.append("| measure | ewcl | PyTorch | ewcl / PyTorch |")
        out.append("| --- | ---: | ---: | ---: |")
        out.extend(rows)
        out.append("")


def main():
    folder = sys.argv[1]
    machine = load(os.path.join(folder, "machine.json")) or {}
    out = [f"## ewcl benchmarks, {machine.get('date', '?')}\n",
           f"Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores; "
           f"load average {machine.get('load_before', '?')} before, "
           f"{machine.get('load_after', '?')} after; {machine.get('mode', '')}.\n"]
    devices = sorted({int(os.path.basename(p)[6:].split("-")[0])
                      for p in glob.glob(os.path.join(folder, "device*-*.json"))})
    for d in devices:
        device_section(out, folder, d)
    peer_section(out, folder)
    print("\n".join(out))


if __name__ == "__main__":
    main()
