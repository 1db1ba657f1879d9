"""Checks the DITN-Real x4 module + published weights in PyTorch: PSNR-Y / SSIM-Y on a dataset's x4 pairs.

Usage (Debian's python3, which has torch):
    /usr/bin/python3 models/export/check_ditn_quality.py --weights ../shared/models/DITN_Real_x4.pth \
        --dataset tests/fixtures/datasets/Set5 [--dataset ../shared/datasets/Set14] [--min-psnr 32.05]

Evaluation protocol (the one SR papers use): the LR image in [0, 1] RGB goes through the model, the output is clamped
and quantised to uint8, then both SR and HR are converted to Y (ITU-R BT.601, 16-235, MATLAB rgb2ycbcr coefficients) in
float64 without rounding, `scale` pixels are cropped from each border, and PSNR (peak 255) and SSIM (11x11 Gaussian,
sigma 1.5, K1 0.01, K2 0.03, valid window) are averaged over the images.
A dataset folder holds HR images in GTmod12/ or HR/ and the inputs in LRbicx4/ with the same file names.
"""

import argparse
import math
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sr_archs import DitnReal  # noqa: E402


def load_ditn_real(weights_path):
    model = DitnReal()
    state = torch.load(weights_path, map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval()


def read_rgb_uint8(path):
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def rgb_to_y(image_uint8):
    """BT.601 luma in [16, 235] from uint8 RGB, as float64 (MATLAB rgb2ycbcr before its final rounding)."""
    rgb = image_uint8.astype(np.float64)
    return 16.0 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0


def psnr(a, b):
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)


def _gaussian_valid_filter(image, kernel_1d):
    """Separable 'valid' correlation with a symmetric 1-D kernel (same numbers as a 2-D Gaussian filter + crop)."""
    size = kernel_1d.size
    rows = sum(kernel_1d[i] * image[i:image.shape[0] - size + 1 + i, :] for i in range(size))
    return sum(kernel_1d[i] * rows[:, i:rows.shape[1] - size + 1 + i] for i in range(size))


def ssim(a, b):
    c1 = (0.01 * 255) ** 2
    c2 = (0.03 * 255) ** 2
    x = np.arange(11, dtype=np.float64) - 5
    kernel = np.exp(-(x ** 2) / (2 * 1.5 ** 2))
    kernel /= kernel.sum()
    mu_a = _gaussian_valid_filter(a, kernel)
    mu_b = _gaussian_valid_filter(b, kernel)
    var_a = _gaussian_valid_filter(a * a, kernel) - mu_a ** 2
    var_b = _gaussian_valid_filter(b * b, kernel) - mu_b ** 2
    cov = _gaussian_valid_filter(a * b, kernel) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return float(ssim_map.mean())


@torch.no_grad()
def upscale(model, lr_uint8):
    x = torch.from_numpy(lr_uint8.astype(np.float32) / 255.0).permute(2, 0, 1).unsqueeze(0)
    y = model(x).clamp(0.0, 1.0)[0].permute(1, 2, 0).numpy()
    return np.round(y * 255.0).astype(np.uint8)


def hr_folder(dataset):
    for name in ("GTmod12", "HR"):
        if os.path.isdir(os.path.join(dataset, name)):
            return os.path.join(dataset, name)
    raise SystemExit(f"error: no GTmod12/ or HR/ folder in {dataset}")


def evaluate(model, dataset, scale=4):
    hr_dir = hr_folder(dataset)
    lr_dir = os.path.join(dataset, f"LRbicx{scale}")
    rows = []
    for name in sorted(os.listdir(hr_dir)):
        if not name.lower().endswith(".png"):
            continue
        hr = read_rgb_uint8(os.path.join(hr_dir, name))
        lr = read_rgb_uint8(os.path.join(lr_dir, name))
        if lr.shape[0] * scale != hr.shape[0] or lr.shape[1] * scale != hr.shape[1]:
            raise SystemExit(f"error: {name}: LR {lr.shape[:2]} x{scale} does not match HR {hr.shape[:2]}")
        sr = upscale(model, lr)
        y_sr = rgb_to_y(sr)[scale:-scale, scale:-scale]
        y_hr = rgb_to_y(hr)[scale:-scale, scale:-scale]
        rows.append((name, psnr(y_sr, y_hr), ssim(y_sr, y_hr)))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", required=True, help="the authors' DITN_Real_x4.pth")
    parser.add_argument("--dataset", required=True, action="append", help="dataset folder (repeatable)")
    parser.add_argument("--min-psnr", type=float, default=None,
                        help="exit 1 when the first dataset's mean PSNR-Y is below this")
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model = load_ditn_real(args.weights)
    first_mean = None
    for dataset in args.dataset:
        rows = evaluate(model, dataset)
        for name, p, s in rows:
            print(f"  {name:16s} PSNR-Y {p:7.3f} dB  SSIM-Y {s:.4f}")
        mean_p = sum(r[1] for r in rows) / len(rows)
        mean_s = sum(r[2] for r in rows) / len(rows)
        print(f"{os.path.basename(os.path.normpath(dataset))}: {len(rows)} images, "
              f"mean PSNR-Y {mean_p:.3f} dB, mean SSIM-Y {mean_s:.4f}")
        if first_mean is None:
            first_mean = mean_p
    if args.min_psnr is not None and first_mean < args.min_psnr:
        print(f"FAIL: mean PSNR-Y {first_mean:.3f} dB is below {args.min_psnr} dB")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
