#!/usr/bin/env python3
"""GPU benchmark of the FusedAttention CUDA kernels against PyTorch's scaled_dot_product_attention, in float16,
side by side in one run, with the memory-bandwidth floor of each configuration.

Needs a CUDA GPU, PyTorch with CUDA, and libsrd_fused_attention_cuda.so built by the CMake superbuild on that
machine (it is built whenever a CUDA compiler is found):

    cmake --preset default && cmake --build --preset default --target srd_fused_attention_cuda
    python3 plugins/fused_attention/bench/bench_cuda_vs_sdpa.py \
        --lib artifacts/native/lib/libsrd_fused_attention_cuda.so [--repeats 50] [--esrt-full]

Configurations (1080p-sized):
  ditn    DITN-Real on a 1920x1080 input: 135 x 240 = 32 400 patches of 60 channel-tokens, d = 64, normalised Q/K,
          temperature scale. Torch side: F.normalize on Q and K, then SDPA.
  window  Swin-style 8x8 windows on a 1920x1080 feature map: 32 400 windows, 6 heads, 64 tokens, d = 32, with a
          [1, 6, 64, 64] relative-position bias (SDPA attn_mask).
  esrt    ESRT's attention for a 1920x1080 x4 output (480x270 input): 8 heads x 4 segments of 32 400 tokens, d = 18,
          scale 1/6. --esrt-full uses a 1920x1080 *input* instead (518 400 tokens per segment; very long).
Timing: CUDA events around each call, median over --repeats after 3 warm-ups. Memory floor: bytes of Q, K, V, the
output (and bias) divided by the device-to-device copy bandwidth measured in the same run.
"""
import argparse
import ctypes
import statistics

import torch
import torch.nn.functional as F


class Params(ctypes.Structure):
    """srd_fa_params from include/srd_fused_attention.h (104 bytes)."""

    _fields_ = [
        ("batch", ctypes.c_int64),
        ("heads", ctypes.c_int64),
        ("query_len", ctypes.c_int64),
        ("key_len", ctypes.c_int64),
        ("head_dim", ctypes.c_int64),
        ("value_dim", ctypes.c_int64),
        ("input_layout", ctypes.c_int32),
        ("output_layout", ctypes.c_int32),
        ("scale", ctypes.c_float),
        ("flags", ctypes.c_uint32),
        ("has_bias", ctypes.c_int32),
        ("reserved", ctypes.c_int32),
        ("bias_dims", ctypes.c_int64 * 4),
    ]


FLAG_NORMALIZE_QK = 0x1
DTYPE_FLOAT16 = 1


def time_ms(fn, repeats):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def copy_bandwidth():
    """Device-to-device copy bandwidth in bytes/s (read + write)."""
    a = torch.empty(1 << 30, dtype=torch.uint8, device="cuda")
    b = torch.empty_like(a)
    ms = time_ms(lambda: b.copy_(a), 20)
    return 2 * a.numel() / (ms * 1e-3)


def run(lib, name, batch, heads, tokens, dim, normalize, scale, bias_shape, repeats, bandwidth):
    torch.manual_seed(0)
    shape = (batch, heads, tokens, dim)
    q = torch.randn(shape, dtype=torch.float16, device="cuda")
    k = torch.randn(shape, dtype=torch.float16, device="cuda")
    v = torch.randn(shape, dtype=torch.float16, device="cuda")
    bias = torch.randn(bias_shape, dtype=torch.float16, device="cuda") if bias_shape else None
    out = torch.empty_like(q)

    params = Params()
    params.batch, params.heads, params.query_len, params.key_len = batch, heads, tokens, tokens
    params.head_dim = params.value_dim = dim
    params.input_layout = params.output_layout = 0
    params.scale = scale
    params.flags = FLAG_NORMALIZE_QK if normalize else 0
    params.has_bias = 1 if bias is not None else 0
    if bias is not None:
        for i, d in enumerate(bias_shape):
            params.bias_dims[i] = d
    stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)
    bias_ptr = ctypes.c_void_p(bias.data_ptr()) if bias is not None else None

    def ours():
        status = lib.srd_fa_cuda_forward(ctypes.byref(params), DTYPE_FLOAT16, ctypes.c_void_p(q.data_ptr()),
                                         ctypes.c_void_p(k.data_ptr()), ctypes.c_void_p(v.data_ptr()), bias_ptr,
                                         ctypes.c_void_p(out.data_ptr()), stream)
        if status != 0:
            buf = ctypes.create_string_buffer(1024)
            lib.srd_fa_cuda_last_error(buf, 1024, None)
            raise RuntimeError(f"srd_fa_cuda_forward: {buf.value.decode()}")

    def theirs():
        qq, kk = (F.normalize(q, dim=-1), F.normalize(k, dim=-1)) if normalize else (q, k)
        return F.scaled_dot_product_attention(qq, kk, v, attn_mask=bias, scale=scale)

    ours_ms = time_ms(ours, repeats)
    torch_ms = time_ms(theirs, repeats)
    reference = theirs().float()
    ours()
    torch.cuda.synchronize()
    rel_l2 = ((out.float() - reference).norm() / reference.norm()).item()
    moved = (q.numel() + k.numel() + v.numel() + out.numel() + (bias.numel() if bias is not None else 0)) * 2
    floor_ms = moved / bandwidth * 1e3
    print(f"| {name} | {tuple(shape)} | {ours_ms:.3f} | {torch_ms:.3f} | {torch_ms / ours_ms:.2f}x | "
          f"{floor_ms:.3f} | {floor_ms / ours_ms:.0%} | {rel_l2:.1e} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lib", required=True, help="path to libsrd_fused_attention_cuda.so")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--esrt-full", action="store_true", help="ESRT on a 1920x1080 input (518 400 tokens)")
    args = parser.parse_args()
    lib = ctypes.CDLL(args.lib)
    lib.srd_fa_cuda_forward.restype = ctypes.c_int
    lib.srd_fa_cuda_forward.argtypes = [ctypes.POINTER(Params), ctypes.c_int32] + [ctypes.c_void_p] * 6
    lib.srd_fa_cuda_last_error.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p]
    bandwidth = copy_bandwidth()
    print(f"GPU: {torch.cuda.get_device_name()}, PyTorch {torch.__version__}, CUDA {torch.version.cuda}; "
          f"copy bandwidth {bandwidth / 1e9:.0f} GB/s; medians of {args.repeats} runs\n")
    print("| Config | Q shape [B,H,N,d] | FusedAttention (ms) | torch SDPA (ms) | Speed-up | Bandwidth floor (ms) "
          "| Floor / ours | Rel. L2 vs torch |")
    print("|---|---|---|---|---|---|---|---|")
    run(lib, "DITN-Real 1920x1080 input", 32400, 1, 60, 64, True, 10.0, None, args.repeats, bandwidth)
    run(lib, "8x8 windows, 6 heads, 1920x1080", 32400, 6, 64, 32, False, 32 ** -0.5, (1, 6, 64, 64), args.repeats,
        bandwidth)
    esrt_tokens = 1920 * 1080 // 4 if args.esrt_full else 480 * 270 // 4
    run(lib, f"ESRT {'1920x1080 input' if args.esrt_full else '480x270 input (x4 = 1080p)'}", 8, 4, esrt_tokens, 18,
        False, 1.0 / 6.0, None, max(3, args.repeats // 10), bandwidth)


if __name__ == "__main__":
    main()
