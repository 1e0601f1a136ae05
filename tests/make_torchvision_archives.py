"""Write PT2 archives of torchvision models with torch, for tests/test_torchvision_archives.py.

Run with a Python that has torch and torchvision (not minexport's):

    /path/to/venv/bin/python tests/make_torchvision_archives.py [--out DIR] [--only NAME ...]

For each model (random init, never downloaded weights; small configurations
so that archives stay small and minexport runs them in seconds) this script
exports the eval-mode model with torch.export (plus VARIANTS: a dynamic batch
size, a program saved after run_decompositions, channels-last weights),
saves `<name>.pt2`, and saves
`<name>.npz` with the input (`in_0`), torch's outputs of the exported program
(`out_<i>`, pytree-flattened), torch's outputs after run_decompositions()
(`core_<i>`), and `meta`: a JSON string with the torch and torchvision
versions, the input shapes, the output tree, and timings (export, eager run).

Archives already in DIR that were written by the same torch version are kept,
so a second run costs only the imports.  DIR defaults to
<system temp dir>/minexport-tv-archives (the test looks there too).
"""
import argparse
import json
import os
import sys
import tempfile
import time
import warnings

DEFAULT_DIR = os.path.join(tempfile.gettempdir(), "minexport-tv-archives")


# ------------------------------------------------------------------ models --
# Each builder returns (model, example input shape).  Configurations are the
# smallest each family's public class accepts, or the smallest named variant.
def _vit(tv):
    return tv.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=64,
                                       mlp_dim=128, num_classes=10), (1, 3, 32, 32)


def _swin(tv, v2=False):
    from torchvision.models import swin_transformer as st
    extra = dict(block=st.SwinTransformerBlockV2, downsample_layer=st.PatchMergingV2) if v2 else {}
    return st.SwinTransformer(patch_size=[4, 4], embed_dim=32, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4],
                              num_classes=10, **extra), (1, 3, 32, 32)


def _maxvit(tv):
    return tv.models.MaxVit(input_size=(64, 64), stem_channels=16, partition_size=4, block_channels=[32, 64],
                            block_layers=[1, 1], head_dim=16, stochastic_depth_prob=0.0, num_classes=10), (1, 3, 64, 64)


def _convnext(tv):
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    return ConvNeXt([CNBlockConfig(32, 64, 1), CNBlockConfig(64, None, 1)], num_classes=10), (1, 3, 64, 64)


def _vgg(tv):
    # VGG's classifier is Linear(512*7*7, 4096): 400 MB.  Keep the class (features,
    # adaptive 7x7 pool, the classifier's layer pattern) with a short, narrow stack.
    from torch import nn
    from torchvision.models.vgg import VGG, make_layers
    model = VGG(make_layers([16, "M", 32, "M", 64, "M", 512, "M"], batch_norm=True), num_classes=10)
    model.classifier = nn.Sequential(nn.Linear(512 * 7 * 7, 32), nn.ReLU(True), nn.Dropout(),
                                     nn.Linear(32, 32), nn.ReLU(True), nn.Dropout(), nn.Linear(32, 10))
    return model, (1, 3, 64, 64)


def _resnet(tv):
    from torchvision.models.resnet import BasicBlock, ResNet
    return ResNet(BasicBlock, [1, 1, 1, 1], num_classes=10), (1, 3, 64, 64)


def _resnext(tv):
    from torchvision.models.resnet import Bottleneck, ResNet
    return ResNet(Bottleneck, [1, 1, 1, 1], groups=4, width_per_group=16, num_classes=10), (1, 3, 64, 64)


def _densenet(tv):
    return tv.models.DenseNet(growth_rate=8, block_config=(2, 2), num_init_features=16, bn_size=2,
                              num_classes=10), (1, 3, 64, 64)


def _small_resnet_backbone():
    from torchvision.models._utils import IntermediateLayerGetter
    from torchvision.models.resnet import BasicBlock, ResNet
    return IntermediateLayerGetter(ResNet(BasicBlock, [1, 1, 1, 1]), {"layer4": "out"})


def _fcn(tv):
    from torchvision.models.segmentation.fcn import FCN, FCNHead
    return FCN(_small_resnet_backbone(), FCNHead(512, 4)), (1, 3, 64, 64)


def _deeplabv3(tv):
    from torchvision.models._utils import IntermediateLayerGetter
    from torchvision.models.segmentation.deeplabv3 import DeepLabHead, DeepLabV3
    backbone = IntermediateLayerGetter(tv.models.mobilenet_v3_small().features, {"12": "out"})
    return DeepLabV3(backbone, DeepLabHead(576, 4)), (1, 3, 64, 64)


def _lraspp(tv):
    return tv.models.segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None,
                                                            num_classes=4), (1, 3, 64, 64)


def _r3d(tv):
    # r3d_18 is [2, 2, 2, 2] blocks (130 MB); one block per stage keeps the family (3x3x3 convs) at 57 MB.
    from torchvision.models.video.resnet import BasicBlock, BasicStem, Conv3DSimple, VideoResNet
    return VideoResNet(BasicBlock, [Conv3DSimple] * 4, [1, 1, 1, 1], BasicStem, num_classes=10), (1, 3, 4, 32, 32)


def _s3d(tv):
    # S3D ends in AvgPool3d((2, 7, 7)) after /8 in time and /32 in space: 13 x 224 x 224 is about the least it takes.
    return tv.models.video.s3d(weights=None, num_classes=10), (1, 3, 13, 224, 224)


def _named(fn_name, shape=(1, 3, 64, 64), **kw):
    def build(tv):
        return getattr(tv.models, fn_name)(weights=None, num_classes=10, **kw), shape
    build.__name__ = fn_name
    return build


MODELS = {
    # classification
    "vit": _vit,
    "swin": _swin,
    "swin_v2": lambda tv: _swin(tv, v2=True),
    "maxvit": _maxvit,
    "convnext": _convnext,
    "efficientnet_b0": _named("efficientnet_b0"),
    "googlenet": _named("googlenet", (1, 3, 64, 64), aux_logits=False, init_weights=True),
    "mobilenet_v3_small": _named("mobilenet_v3_small"),
    "mobilenet_v2": _named("mobilenet_v2"),
    "regnet_y_400mf": _named("regnet_y_400mf"),
    "shufflenet_v2_x0_5": _named("shufflenet_v2_x0_5"),
    "squeezenet1_1": _named("squeezenet1_1"),
    "vgg": _vgg,
    "resnet": _resnet,
    "resnext": _resnext,
    "densenet": _densenet,
    "mnasnet0_5": _named("mnasnet0_5"),
    # segmentation
    "fcn": _fcn,
    "deeplabv3": _deeplabv3,
    "lraspp": _lraspp,
    # video
    "r3d": _r3d,
    "s3d": _s3d,
}

# Archives that exercise more of the format on a small model: a dynamic batch
# size (symbolic sizes, range constraints; also run at batch 3), the program
# saved after run_decompositions() (dialect ATEN), and channels-last weights
# (torch stores their storage as it lies, with the tensors' strides).
VARIANTS = {"convnext_dynamic": ("convnext", "dynamic"), "densenet_aten": ("densenet", "aten"),
            "densenet_channels_last": ("densenet", "channels_last")}
ALL = list(MODELS) + list(VARIANTS)


# ------------------------------------------------------------------ writing --
def _best_time(fn, repeat=3):
    """Best of `repeat` timed calls after a warm-up (first calls pick kernels); one call if a call is slow."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        if best > 0.5:
            break
    return best


def _fingerprint():
    """A hash of what decides an archive's content (the model definitions, _perturb, make_one): an archive
    made by other definitions is made again; edits elsewhere in this script keep the cache."""
    import hashlib
    import inspect
    source = inspect.getsource(sys.modules[__name__])
    models = source[source.index("- models --\n"):source.index("- writing --\n")]
    parts = [models] + [inspect.getsource(f) for f in (_perturb, _outputs, make_one)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _cached(out_dir, name, torch_version):
    npz = os.path.join(out_dir, f"{name}.npz")
    if not (os.path.exists(npz) and os.path.exists(os.path.join(out_dir, f"{name}.pt2"))):
        return False
    import numpy as np
    try:
        with np.load(npz) as data:
            meta = json.loads(str(data["meta"]))
        return (meta["torch"], meta.get("generator")) == (torch_version, _fingerprint())
    except Exception:
        return False


def _perturb(model, torch):
    """Move every parameter and batch-norm statistic off its initial value (seeded).

    torchvision zero-initialises some heads (ViT's) and biases, and batch norm
    starts as the identity (mean 0, variance 1): the outputs would be zeros, or
    the normalisation untested.  Small noise on everything keeps each model's
    scale while making every weight matter.
    """
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn_like(b) * 0.1)
            elif name.endswith("running_var"):
                b.copy_(torch.rand_like(b) + 0.5)


def _outputs(program, x, torch):
    from torch.utils import _pytree
    with torch.no_grad():
        outs, spec = _pytree.tree_flatten(program.module()(x))
    return [o.detach().numpy() for o in outs], spec


def make_one(name, out_dir):
    """Export, save and record one model (or variant); returns a one-line summary."""
    import numpy as np
    import torch
    import torchvision as tv

    family, how = VARIANTS.get(name, (name, "plain"))
    torch.manual_seed(0)
    model, shape = MODELS[family](tv)
    _perturb(model, torch)
    model.eval()
    if how == "channels_last":
        model = model.to(memory_format=torch.channels_last)
    if how == "dynamic":
        shape = (2,) + tuple(shape[1:])
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
    dynamic = ({0: torch.export.Dim("batch", min=1, max=16)},) if how == "dynamic" else None
    t0 = time.perf_counter()
    with torch.no_grad():
        ep = torch.export.export(model, (x,), dynamic_shapes=dynamic)
    export_s = time.perf_counter() - t0
    with torch.no_grad():
        eager_s = _best_time(lambda: model(x))
    core = ep.run_decompositions()
    if how == "aten":
        ep = core          # the archive holds the decomposed program (dialect ATEN)
    outs, spec = _outputs(ep, x, torch)
    arrays = {"in_0": x.numpy()}
    arrays.update({f"out_{i}": o for i, o in enumerate(outs)})
    arrays.update({f"core_{i}": o for i, o in enumerate(_outputs(core, x, torch)[0])})
    if how == "dynamic":
        # another batch size, which the program must accept too
        x3 = torch.randn(3, *shape[1:], generator=torch.Generator().manual_seed(2))
        arrays["alt_in_0"] = x3.numpy()
        arrays.update({f"alt_out_{i}": o for i, o in enumerate(_outputs(ep, x3, torch)[0])})
    meta = {"torch": torch.__version__, "torchvision": tv.__version__, "generator": _fingerprint(),
            "variant": how, "input_shapes": [list(shape)], "outputs": str(spec), "export_s": export_s,
            "torch_eager_s": eager_s, "params": sum(p.numel() for p in model.parameters()),
            "max_abs_out": max(float(np.abs(o).max()) for o in outs)}
    pt2 = os.path.join(out_dir, f"{name}.pt2")
    torch.export.save(ep, os.path.join(out_dir, f"partial_{name}.pt2"))
    os.replace(os.path.join(out_dir, f"partial_{name}.pt2"), pt2)
    np.savez(os.path.join(out_dir, f"partial_{name}.npz"), meta=np.array(json.dumps(meta)), **arrays)
    os.replace(os.path.join(out_dir, f"partial_{name}.npz"), os.path.join(out_dir, f"{name}.npz"))
    return (f"{name}: {meta['params'] / 1e6:.2f}M params, archive {os.path.getsize(pt2) / 1e6:.1f} MB, "
            f"max|out| {meta['max_abs_out']:.3g}, export {export_s:.1f}s, eager {eager_s * 1e3:.1f} ms")


def _make_or_say_why(name, out_dir):
    """(name, ok, summary line): a model torch cannot export must not stop the others."""
    import torch
    torch.set_num_threads(1)
    try:
        return name, True, make_one(name, out_dir)
    except Exception as e:
        return name, False, f"{name}: FAILED in torch: {type(e).__name__}: {str(e).splitlines()[0][:300]}"


def main(argv=None):
    """Write every (or each --only) model's archive into --out, skipping those already there."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.environ.get("MINEXPORT_TV_ARCHIVES", DEFAULT_DIR))
    parser.add_argument("--only", nargs="*", choices=sorted(ALL), help="models to write (default: all)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="processes (default: 2)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")    # torchvision's deprecation notices are not this script's output
    import torch
    # One thread: on a small shared machine torch's thread pool spins against other work, and both the
    # generation time and the eager times the report compares with vary tenfold.
    torch.set_num_threads(1)
    _fingerprint()      # fails here, not once per model, if the script's own markers are broken
    os.makedirs(args.out, exist_ok=True)
    start = time.perf_counter()
    todo = []
    for name in args.only or ALL:
        if _cached(args.out, name, torch.__version__):
            print(f"{name}: cached")
        else:
            todo.append(name)
    failed = []
    # export is single-threaded Python work: one process per core makes the archives in about half the time
    jobs = max(1, min(args.jobs, len(todo)))
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(jobs) as pool:
            results = pool.map(_make_or_say_why, todo, [args.out] * len(todo))
            for name, ok, line in results:
                print(line, flush=True)
                failed += [] if ok else [name]
    else:
        for name in todo:
            _, ok, line = _make_or_say_why(name, args.out)
            print(line, flush=True)
            failed += [] if ok else [name]
    print(f"make_torchvision_archives: {time.perf_counter() - start:.1f}s, into {args.out}"
          + (f"; torch failed on {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
