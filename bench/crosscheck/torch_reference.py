#!/usr/bin/env python3
"""Independent PyTorch reference for the adaptation methods of Adapter Lab (bench/results/crosscheck.md).

Written from the papers' released code, not from the platform's C#:
  - ViT block and attention as in timm's VisionTransformer (pre-norm, exact GELU, LayerNorm eps 1e-6);
  - AdaptFormer's Adapter and Block.forward (ShoufaChen/AdaptFormer, models/custom_modules.py and
    models/vision_transformer.py): s * up(dropout(relu(down(x)))), parallel = beside the MLP reading the post-attention
    residual stream, sequential = after the MLP with its own residual; optional LayerNorm "in"/"out";
  - VPT (KMnP/vpt, src/models/vit_prompt/vit.py): prompts inserted after CLS; deep = the prompt slots overwritten
    with each layer's own prompts before every block;
  - LoRA (microsoft/LoRA, loralib/layers.py): W x + (B A x) * alpha / r on the query and value projections;
  - BitFit (Ben Zaken et al.): biases only;
  - the MAE-style linear head: BatchNorm1d(affine=False) then Linear (MAE main_linprobe.py), plain Linear for full fine-tuning.
For each case the platform wrote (inputs, parameters, loss, gradients, parameters after one AdamW step), this script
rebuilds the model from the same parameters, computes the same step in float64 with torch.optim.AdamW, and compares.

Usage: torch_reference.py <folder of cases> <result.json> <tolerance>
"""
import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8), "I64": (torch.int64, 8)}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        dtype, _ = DTYPES[info["dtype"]]
        a, b = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[a:b]), dtype=dtype).reshape(info["shape"]) if b > a else torch.zeros(info["shape"], dtype=dtype)
        tensors[name] = t.clone()
    return tensors, meta


class Adapter(nn.Module):
    """AdaptFormer's Adapter (custom_modules.py), dropout off for the check."""

    def __init__(self, d, bottleneck, scale, learnable, norm):
        super().__init__()
        self.norm_option = norm
        if norm != "none":
            self.adapter_norm = nn.LayerNorm(d, eps=1e-6)
        self.learnable = learnable
        if learnable:
            self.scale = nn.Parameter(torch.ones(1))
        else:
            self.s = scale
        self.down = nn.Linear(d, bottleneck)
        self.up = nn.Linear(bottleneck, d)

    def forward(self, x, add_residual=True):
        residual = x
        if self.norm_option == "in":
            x = self.adapter_norm(x)
        down = F.relu(self.down(x))
        up = self.up(down)
        up = up * (self.scale if self.learnable else self.s)
        if self.norm_option == "out":
            up = self.adapter_norm(up)
        return up + residual if add_residual else up


class LoRA(nn.Module):
    """loralib's low-rank branch: (B A x) * alpha / r."""

    def __init__(self, d, r, alpha):
        super().__init__()
        self.a = nn.Parameter(torch.zeros(r, d))
        self.b = nn.Parameter(torch.zeros(d, r))
        self.scaling = alpha / r

    def forward(self, x):
        return (x @ self.a.t() @ self.b.t()) * self.scaling


class Attention(nn.Module):
    def __init__(self, d, heads, lora):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.proj = (nn.Linear(d, d) for _ in range(4))
        if lora:
            self.lora_q = LoRA(d, *lora)
            self.lora_v = LoRA(d, *lora)
        self.has_lora = lora is not None

    def forward(self, x):
        b, n, d = x.shape
        q, k, v = self.q(x), self.k(x), self.v(x)
        if self.has_lora:
            q = q + self.lora_q(x)
            v = v + self.lora_v(x)
        h = self.heads
        q, k, v = (t.reshape(b, n, h, d // h).permute(0, 2, 1, 3) for t in (q, k, v))
        attn = (q @ k.transpose(-2, -1)) * (d // h) ** -0.5
        out = attn.softmax(dim=-1) @ v
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class Mlp(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    """timm's pre-norm block with AdaptFormer's adapter placement (vision_transformer.py Block.forward)."""

    def __init__(self, d, heads, hidden, adapter, placement, lora):
        super().__init__()
        self.norm1 = nn.LayerNorm(d, eps=1e-6)
        self.attn = Attention(d, heads, lora)
        self.norm2 = nn.LayerNorm(d, eps=1e-6)
        self.mlp = Mlp(d, hidden)
        self.placement = placement
        if adapter is not None:
            self.adapter = Adapter(d, *adapter)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        has = hasattr(self, "adapter")
        if has and self.placement == "parallel":
            adapt_x = self.adapter(x, add_residual=False)
        residual = x
        x = self.mlp(self.norm2(x))
        if has:
            if self.placement == "sequential":
                x = self.adapter(x)
            else:
                x = x + adapt_x
        return residual + x


class PatchEmbed(nn.Module):
    def __init__(self, d, patch):
        super().__init__()
        self.proj = nn.Conv2d(3, d, kernel_size=patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class ViT(nn.Module):
    def __init__(self, params, heads, patch, method):
        super().__init__()
        d = params["cls_token"].shape[-1]
        depth = 1 + max(int(k.split(".")[1]) for k in params if k.startswith("blocks."))
        hidden = params["blocks.0.mlp.fc1.weight"].shape[0]
        classes = params["head.weight"].shape[0]
        name = method["name"]
        self.patch_embed = PatchEmbed(d, patch)
        self.cls_token = nn.Parameter(torch.zeros_like(params["cls_token"]))
        self.pos_embed = nn.Parameter(torch.zeros_like(params["pos_embed"]))
        layers = method.get("layers") or list(range(depth))
        adapter = None
        if name == "adaptformer":
            adapter = (method.get("bottleneck", 8), method.get("scale", 0.1) or 0.1, bool(method.get("learnableScale")), method.get("adapterNorm", "none") or "none")
        lora = (method.get("rank", 8), method.get("alpha", 16)) if name == "lora" else None
        placement = method.get("placement", "parallel") or "parallel"
        self.blocks = nn.ModuleList(
            Block(d, heads, hidden, adapter if i in layers else None, placement, lora) for i in range(depth))
        self.norm = nn.LayerNorm(d, eps=1e-6)
        self.deep = name == "vpt-deep"
        if name in ("vpt-shallow", "vpt-deep"):
            self.prompt_embeddings = nn.Parameter(torch.zeros_like(params["prompt_embeddings"]))
        if name != "full-finetune":
            self.head_norm = nn.BatchNorm1d(d, affine=False)
        self.head = nn.Linear(d, classes)

    def forward(self, pixels):
        x = self.patch_embed(pixels)
        b = x.shape[0]
        x = torch.cat([self.cls_token.expand(b, -1, -1), x], dim=1) + self.pos_embed
        prompts = getattr(self, "prompt_embeddings", None)
        n = 0 if prompts is None else prompts.shape[1]
        for i, block in enumerate(self.blocks):
            if prompts is not None and (i == 0 or self.deep):
                p = prompts[i if self.deep else 0].unsqueeze(0).expand(b, -1, -1)
                rest = x[:, 1:] if i == 0 else x[:, 1 + n:]
                x = torch.cat([x[:, :1], p, rest], dim=1)
            x = block(x)
        x = self.norm(x)[:, 0]
        if hasattr(self, "head_norm"):
            x = self.head_norm(x)
        return self.head(x)


TRAINS = {
    "linear-probe": lambda n: n.startswith("head."),
    "full-finetune": lambda n: True,
    "vpt-shallow": lambda n: n.startswith("head.") or n.startswith("prompt_embeddings"),
    "vpt-deep": lambda n: n.startswith("head.") or n.startswith("prompt_embeddings"),
    "adaptformer": lambda n: n.startswith("head.") or ".adapter." in n,
    "lora": lambda n: n.startswith("head.") or ".lora_" in n,
    "bitfit": lambda n: n.startswith("head.") or n.endswith(".bias"),
}


def check(path, tolerance):
    t, meta = read_safetensors(path)
    method = json.loads(meta["method"])
    params = {k[len("param."):]: v for k, v in t.items() if k.startswith("param.")}
    buffers = {k[len("buffer."):]: v for k, v in t.items() if k.startswith("buffer.")}
    model = ViT(params, int(meta["heads"]), int(meta["patch"]), method).double()
    state = {k: v.double() for k, v in params.items()}
    state.update({k: (v if v.dtype == torch.int64 else v.double()) for k, v in buffers.items()})
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if missing or unexpected:
        raise SystemExit(f"{meta['case']}: parameter names differ: missing {missing[:5]}, unexpected {unexpected[:5]}")
    model.load_state_dict({k: state[k].reshape(own[k].shape) for k in own})
    trains = TRAINS[method["name"]]
    trainable = [(n, p) for n, p in model.named_parameters() if trains(n)]
    for n, p in model.named_parameters():
        p.requires_grad_(trains(n))
    decay = json.loads(meta["weight_decay"])
    groups = {}
    for n, p in trainable:
        groups.setdefault(decay[n], []).append(p)
    lr = float(meta["lr"])
    opt = torch.optim.AdamW([{"params": ps, "weight_decay": wd} for wd, ps in groups.items()], lr=lr, betas=(0.9, 0.999), eps=1e-8)
    model.train()
    images = t["input.images"].double()
    labels = t["input.labels"].long()
    loss = F.cross_entropy(model(images), labels)
    opt.zero_grad()
    loss.backward()
    grad_diff = 0.0
    names = [n for n, _ in trainable]
    platform_names = sorted(k[len("grad."):] for k in t if k.startswith("grad."))
    if sorted(names) != platform_names:
        raise SystemExit(f"{meta['case']}: trainable tensors differ: platform {platform_names[:6]}…, reference {sorted(names)[:6]}…")
    for n, p in trainable:
        grad_diff = max(grad_diff, (p.grad - t["grad." + n].double()).abs().max().item())
    opt.step()
    step_diff = max((p.detach() - t["updated." + n].double()).abs().max().item() for n, p in trainable)
    loss_platform = float(meta["loss"])
    loss_diff = abs(loss.item() - loss_platform)
    # A control that the comparison can fail: the same reference with one element of the method's own first tensor
    # (not the head, where there is one) moved by a ramp from -1e-3 to 1e-3 (a constant shift can be invisible: LayerNorm and softmax ignore it) must differ from the platform by more than the tolerance.
    model.load_state_dict({k: state[k].reshape(own[k].shape) for k in own})
    name, moved = next(((n, p) for n, p in trainable if not n.startswith("head.")), trainable[0])
    with torch.no_grad():
        moved.add_(torch.linspace(-1e-3, 1e-3, moved.numel(), dtype=moved.dtype).reshape(moved.shape))
    model.zero_grad()
    F.cross_entropy(model(images), labels).backward()
    control = max((p.grad - t["grad." + n].double()).abs().max().item() for n, p in trainable)
    passed = loss_diff <= tolerance and grad_diff <= tolerance and step_diff <= tolerance and control > tolerance
    return {
        "case": meta["case"], "tensors": len(trainable), "loss_platform": loss_platform, "loss_reference": loss.item(),
        "loss_diff": loss_diff, "max_grad_diff": grad_diff, "max_step_diff": step_diff,
        "control_tensor": name, "control_grad_diff": control, "passed": passed,
    }


def main():
    folder, output, tolerance = sys.argv[1], sys.argv[2], float(sys.argv[3])
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    cases = []
    for f in sorted(os.listdir(folder)):
        if f.endswith(".safetensors"):
            r = check(os.path.join(folder, f), tolerance)
            print(f"  {r['case']}: loss {r['loss_reference']:.10f} vs {r['loss_platform']:.10f}, "
                  f"max grad diff {r['max_grad_diff']:.1e}, after the step {r['max_step_diff']:.1e}, "
                  f"control {r['control_grad_diff']:.1e}: {'match' if r['passed'] else 'DIFFERS'}")
            cases.append(r)
    with open(output, "w") as f:
        json.dump({"torch": torch.__version__, "tolerance": tolerance, "cases": cases,
                   "passed": bool(cases) and all(c["passed"] for c in cases)}, f, indent=2)


if __name__ == "__main__":
    main()
