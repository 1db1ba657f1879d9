"""Small models whose exported graphs carry the deployment hazards the project's lint and fusion passes must catch.

Each exports to a valid ONNX file (onnx.checker passes); the hazard only shows once H and W vary, or in the data.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from sr_archs import PlainSr


class ShapeContradictionNet(nn.Module):
    """A global-context branch resized to a constant 32x32 (the export size) and added to the HxW feature map: the
    Add broadcasts only when H = W = 32, so the declared dynamic input contradicts the graph for any other size."""

    def __init__(self, dim=16, context_size=(32, 32), upscale=4):
        super().__init__()
        self.context_size = context_size
        self.first = nn.Conv2d(3, dim, 3, padding=1)
        self.context = nn.Conv2d(3, dim, 3, padding=1)
        self.upsample = nn.Sequential(nn.Conv2d(dim, 3 * upscale * upscale, 3, padding=1), nn.PixelShuffle(upscale))

    def forward(self, x):
        context = self.context(F.interpolate(x, size=self.context_size, mode="bilinear", align_corners=False))
        return self.upsample(F.relu(self.first(x) + context))


class LetterboxCropNet(nn.Module):
    """Upscales, then crops away the black letterbox rows of the input: the rows come from NonZero on the data, so
    the output height is data-dependent (ReduceMin/ReduceMax over NonZero -> Slice). Expects at least one non-black
    row (ReduceMin of an empty tensor fails)."""

    def __init__(self, dim=16, upscale=4, threshold=0.02):
        super().__init__()
        self.upscale = upscale
        self.threshold = threshold
        self.body = PlainSr(dim, upscale)

    def forward(self, x):
        y = self.body(x)
        row_is_content = x.amax(dim=(0, 1, 3)) > self.threshold
        rows = torch.nonzero(row_is_content)
        top = rows.min() * self.upscale
        bottom = (rows.max() + 1) * self.upscale
        return y[:, :, top:bottom, :]


class AttentionWithScoreConsumer(nn.Module):
    """Single-head global attention (d=16) whose softmax scores have a second consumer: the attention each position
    receives (the column sums) gates the features. A fusion pass must leave this attention unfused."""

    def __init__(self, dim=32, qk_dim=16, upscale=4):
        super().__init__()
        self.dim = dim
        self.qk_dim = qk_dim
        self.scale = qk_dim ** -0.5
        self.first = nn.Conv2d(3, dim, 3, padding=1)
        self.qkv = nn.Conv2d(dim, qk_dim * 2 + dim, 1)
        self.proj = nn.Conv2d(dim, dim, 1)
        self.upsample = nn.Sequential(nn.Conv2d(dim, 3 * upscale * upscale, 3, padding=1), nn.PixelShuffle(upscale))

    def forward(self, x):
        f = self.first(x)
        b, c, h, w = f.shape
        q, k, v = self.qkv(f).split([self.qk_dim, self.qk_dim, self.dim], dim=1)
        q, k, v = q.flatten(2).transpose(1, 2), k.flatten(2).transpose(1, 2), v.flatten(2).transpose(1, 2)
        scores = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)  # (B, HW, HW)
        attended = (scores @ v).transpose(1, 2).reshape(b, c, h, w)
        received = scores.sum(dim=1).reshape(b, 1, h, w)  # the extra consumer of the softmax output
        f = f + self.proj(attended) * torch.sigmoid(received)
        return self.upsample(f)
