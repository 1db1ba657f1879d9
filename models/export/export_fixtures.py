"""Exports the fixture models (random, seeded weights) to ONNX: opset 17, input `input` [N,3,H,W], output `output`.

Usage (Debian's python3, which has torch and onnx):
    /usr/bin/python3 models/export/export_fixtures.py                      # small fixtures -> tests/fixtures/models
    /usr/bin/python3 models/export/export_fixtures.py --out DIR             # same, elsewhere
    /usr/bin/python3 models/export/export_fixtures.py --paper-size DIR      # published-size configurations
    /usr/bin/python3 models/export/export_fixtures.py --large DIR           # one ~200 MB model for load/save benchmarks

Each model is built right after torch.manual_seed(its seed), then every parameter that is still constant after
initialisation (LayerNorm weights, zero-initialised scales, ...) gets seeded noise, so no branch of a random-weight
fixture is silently an identity; re-running writes byte-identical files.
"""

import argparse
import dataclasses
import os
import sys
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_common import (count_softmax_attention, declare_dynamic_input, export_onnx, op_histogram,  # noqa: E402
                           save_atomically, OUTPUT_NAME)
from lint_models import AttentionWithScoreConsumer, LetterboxCropNet, ShapeContradictionNet  # noqa: E402
from sr_archs import (DitnReal, EsrtStyle, IgconvStyle, PlainSr, PlksrStyle, ShvitStyle, SwinStyle,  # noqa: E402
                      baked_shapes, count_parameters)

# Baking sizes on purpose (lint_static_reshape) makes the tracer warn that the trace will not generalise.
warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_OUT = os.path.join(REPO_ROOT, "tests", "fixtures", "models")
SAMPLE_HW = (32, 32)


@dataclasses.dataclass
class Fixture:
    name: str
    module: torch.nn.Module
    attention_blocks: int  # expected MatMul -> (Mul/Add) -> Softmax -> MatMul chains
    summary: str
    kind: str = "dynamic"  # dynamic | static_declared_dynamic | data_dependent
    scale: int = 4


def seeded(seed, build):
    """Builds a module under a fixed seed and puts seeded noise on parameters that initialisation left constant."""
    torch.manual_seed(seed)
    module = build()
    generator = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for _, parameter in sorted(module.named_parameters()):
            if parameter.numel() == 1 or torch.all(parameter == parameter.flatten()[0]):
                parameter.add_(torch.randn(parameter.shape, generator=generator) * 0.1)
    return module.eval()


def small_fixtures():
    """The committed fixtures (each < 2 MB)."""
    igconv = seeded(14, lambda: IgconvStyle(dim=32, n_blocks=4, implicit_dim=128, latent_layers=3))
    fixtures = [
        Fixture("ditn_small", seeded(11, lambda: DitnReal(dim=24, ITL_blocks=4, SAL_blocks=2)), 4,
                "DITN-Real layout at dim 24 (4 ITL, 2 SAL): channel-wise ISA attention 24x24 per 8x8 patch"),
        Fixture("esrt_style", seeded(12, lambda: EsrtStyle(n_feats=32, n_hpb=1, light_skip_path=True)), 1,
                "ESRT-style: HPB CNN + efficient transformer, 8 heads d=18, FSM as one 5-D attention"),
        Fixture("plksr_style", seeded(13, lambda: PlksrStyle(dim=32, n_blocks=2, kernel_size=17, partial=16)), 0,
                "PLKSR-style: partial 17x17 conv on 16 channels (Slice+Conv+Concat), element-wise attention"),
    ]
    for scale in (2, 3, 4):
        fixtures.append(Fixture(f"igconv_x{scale}", igconv.at_scale(scale).eval(), 0,
                                f"IGConv-style: shared CNN body + implicit sub-pixel conv baked at x{scale}",
                                scale=scale))
    fixtures += [
        Fixture("swin_style", seeded(15, lambda: SwinStyle(dim=64, depths=(2, 2), heads=4, window=8)), 4,
                "Swin/SRFormer-style: 4 window-attention blocks (2 shifted, masked), 4 heads d=16, window 8"),
        Fixture("shvit_style", seeded(16, lambda: ShvitStyle(dim=48, partial=16, qk_dim=16, down=2, n_blocks=3)), 3,
                "SHViT-style: single-head attention (d=16) over a 2x-downsampled map, GroupNorm(1), 3 blocks"),
        Fixture("plain_sr", seeded(17, lambda: PlainSr(dim=32)), 0, "plain baseline: 3 convs + ReLU + PixelShuffle(4)"),
        Fixture("lint_static_reshape", seeded(18, lambda: SwinStyle(dim=32, depths=(2,), heads=2, window=8)), 2,
                "Swin-style exported at a fixed 32x32 (Reshape targets baked) with the input declared [N,3,H,W]",
                kind="static_declared_dynamic"),
        Fixture("lint_scatternd", seeded(19, lambda: PlksrStyle(dim=32, n_blocks=1, kernel_size=13, partial=16,
                                                                in_place=True)), 0,
                "PLKSR eval-mode in-place x[:, :16] = conv(x[:, :16]): ScatterND with an index-building chain"),
        Fixture("lint_shape_contradiction", seeded(20, lambda: ShapeContradictionNet()), 0,
                "a branch resized to a constant 32x32 added to the HxW features: valid only at 32x32"),
        Fixture("lint_data_dependent", seeded(21, lambda: LetterboxCropNet()), 0,
                "crops black letterbox rows found by NonZero: output height depends on the pixel values",
                kind="data_dependent"),
        Fixture("attention_extra_consumer", seeded(22, lambda: AttentionWithScoreConsumer()), 1,
                "single-head global attention whose softmax scores also feed a ReduceSum gate (must stay unfused)"),
    ]
    return fixtures


def paper_size_fixtures():
    """Published-size configurations with random weights (too large to commit)."""
    igconv = seeded(44, lambda: IgconvStyle(dim=64, n_blocks=16, implicit_dim=256, latent_layers=4))
    fixtures = [
        Fixture("ditn_real_paper", seeded(41, lambda: DitnReal()), 4, "DITN-Real, published configuration"),
        Fixture("esrt_paper", seeded(42, lambda: EsrtStyle(n_feats=32, n_hpb=3)), 1,
                "ESRT-style at the paper's width: 3 HPBs, full upsampler on both paths"),
        Fixture("plksr_paper", seeded(43, lambda: PlksrStyle(dim=64, n_blocks=28, kernel_size=17, partial=16)), 0,
                "PLKSR 64/28/17 (7,386,096 params)"),
    ]
    for scale in (2, 3, 4):
        fixtures.append(Fixture(f"igconv_paper_x{scale}", igconv.at_scale(scale).eval(), 0,
                                f"IGConv-style, EDSR-baseline-sized body, x{scale}", scale=scale))
    fixtures += [
        Fixture("swin_paper", seeded(45, lambda: SwinStyle(dim=60, depths=(6, 6, 6, 6), heads=6, window=8)), 24,
                "SwinIR-light-sized: 4 groups x 6 blocks, 6 heads d=10"),
        Fixture("shvit_paper", seeded(46, lambda: ShvitStyle(dim=96, partial=32, qk_dim=16, down=2, n_blocks=6)), 6,
                "SHViT-style, dim 96, partial 32, 6 blocks"),
    ]
    return fixtures


def large_fixtures():
    return [Fixture("large_plksr_200mb",
                    seeded(61, lambda: PlksrStyle(dim=192, n_blocks=21, kernel_size=17, partial=48)), 0,
                    "PLKSR-style at dim 192, 21 blocks (~50 M params, ~200 MB) for ONNX load/save benchmarks")]


def export_fixture(fixture, out_dir):
    path = os.path.join(out_dir, fixture.name + ".onnx")
    if fixture.kind == "static_declared_dynamic":
        with baked_shapes():
            proto = export_onnx(fixture.module, path, SAMPLE_HW, dynamic=False)
        declare_dynamic_input(proto)
        out_shape = proto.graph.output[0].type.tensor_type.shape
        for dim, name in zip(out_shape.dim, ("N", None, "H_out", "W_out")):
            if name is not None:
                dim.Clear()
                dim.dim_param = name
        save_atomically(proto, path)
    elif fixture.kind == "data_dependent":
        proto = export_onnx(fixture.module, path, SAMPLE_HW,
                            output_axes={OUTPUT_NAME: {0: "N", 2: "H_cropped", 3: "W_out"}})
    else:
        proto = export_onnx(fixture.module, path, SAMPLE_HW)
    found = count_softmax_attention(proto)
    if found != fixture.attention_blocks:
        raise SystemExit(f"error: {fixture.name}: {found} attention blocks in the graph, expected "
                         f"{fixture.attention_blocks}")
    size = os.path.getsize(path)
    print(f"{fixture.name:26s} {size:>11,d} B  {count_parameters(fixture.module):>11,d} params  "
          f"attention {found}")
    return proto, size


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help="folder for the small fixtures (default tests/fixtures/models)")
    parser.add_argument("--paper-size", metavar="DIR", help="also write the published-size configurations to DIR")
    parser.add_argument("--large", metavar="DIR", help="also write the ~200 MB model to DIR")
    parser.add_argument("--only-extra", action="store_true", help="skip the small fixtures (with --paper-size/--large)")
    parser.add_argument("--histogram", action="store_true", help="print each model's operator histogram")
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    jobs = []
    if not args.only_extra:
        jobs.append((small_fixtures, args.out, 2 * 1024 * 1024))
    if args.paper_size:
        jobs.append((paper_size_fixtures, args.paper_size, None))
    if args.large:
        jobs.append((large_fixtures, args.large, None))
    for build, out_dir, size_limit in jobs:
        os.makedirs(out_dir, exist_ok=True)
        for fixture in build():
            proto, size = export_fixture(fixture, out_dir)
            if args.histogram:
                print("    ", dict(sorted(op_histogram(proto).items())))
            if size_limit is not None and size >= size_limit:
                raise SystemExit(f"error: {fixture.name} is {size} bytes, over the {size_limit}-byte fixture limit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
