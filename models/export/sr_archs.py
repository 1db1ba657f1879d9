"""Super-resolution architectures for the default model and the test fixtures.

Every module here is written for this project from the papers' architecture descriptions (and, for DITN-Real, from the
parameter names and shapes of the authors' published checkpoint), so that the exported ONNX graphs carry the same
operator patterns as the published models:

* DitnReal          DITN-Real exactly as published (Liu et al., ACM MM 2023); loads DITN_Real_x4.pth strictly.
* EsrtStyle         ESRT-style CNN backbone + efficient transformer (Lu et al., CVPRW 2022), Fold/Unfold as convs.
* PlksrStyle        PLKSR-style partial large-kernel CNN (Lee et al., 2024), deploy-friendly Slice+Conv+Concat form.
* IgconvStyle       a CNN body with an IGConv-style implicit sub-pixel upsampler (Lee et al., 2024), baked per scale.
* SwinStyle         SwinIR/SRFormer-style shifted-window multi-head attention (Liu et al. 2021, Liang et al. 2021).
* ShvitStyle        SHViT-style single-head attention over a downsampled map (Yun & Ro, CVPR 2024) inside an SR net.
* PlainSr           a few convolutions + PixelShuffle, the attention-free baseline.

Shapes are written so that torch.onnx tracing records them from the input (Shape/Gather/Div…), never as constants of
the export size: no Python branch depends on H or W, and padding always runs (a zero pad is legal in ONNX Pad).
"""

import contextlib
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


_bake_shapes = False


@contextlib.contextmanager
def baked_shapes():
    """Within this block shape_of() returns Python ints, so a trace bakes every size into the graph as a constant: what
    code calling int(x.size(2)), or a hard-coded image size, produces. Only the static-reshape lint fixture uses it."""
    global _bake_shapes
    previous, _bake_shapes = _bake_shapes, True
    try:
        yield
    finally:
        _bake_shapes = previous


def shape_of(x):
    return tuple(int(d) for d in x.shape) if _bake_shapes else x.shape


def pad_to_multiple(x, multiple, mode="reflect"):
    """Pads H and W at the bottom/right up to a multiple; the amounts come from the traced input shape."""
    _, _, h, w = shape_of(x)
    pad_h = (multiple - h % multiple) % multiple
    pad_w = (multiple - w % multiple) % multiple
    return F.pad(x, (0, pad_w, 0, pad_h), mode=mode)


def repeat_channels_interleaved(x, repeats):
    """repeat_interleave(x, repeats, dim=1) as Unsqueeze -> Expand -> Reshape, which every backend handles."""
    b, c, h, w = x.shape
    return x.unsqueeze(2).expand(b, c, repeats, h, w).reshape(b, c * repeats, h, w)


# ---------------------------------------------------------------------------------------------------------------------
# 1. DITN-Real
# Parameter names follow the checkpoint: sft, UFONE.0.{ITLs,SALs}.i..., conv_after_body, upsample.0.


class DitnGatedFeedForward(nn.Module):
    """GDFN: 1x1 expand to 2*hidden -> depth-wise 3x3 -> split -> gelu(x1) * x2 -> 1x1 back."""

    def __init__(self, dim, expansion, bias):
        super().__init__()
        hidden = int(dim * expansion)
        self.project_in = nn.Conv2d(dim, hidden * 2, 1, bias=bias)
        self.dwconv = nn.Conv2d(hidden * 2, hidden * 2, 3, padding=1, groups=hidden * 2, bias=bias)
        self.project_out = nn.Conv2d(hidden, dim, 1, bias=bias)

    def forward(self, x):
        x1, x2 = self.dwconv(self.project_in(x)).chunk(2, dim=1)
        return self.project_out(F.gelu(x1) * x2)


class DitnInnerPatchAttention(nn.Module):
    """ISA: single-head channel-wise attention inside one patch; the softmax runs over channels (C x C scores)."""

    def __init__(self, dim, bias):
        super().__init__()
        self.temperature = nn.Parameter(torch.ones(1, 1, 1))
        self.qkv = nn.Linear(dim, dim * 3)
        self.project_out = nn.Conv2d(dim, dim, 1, bias=bias)

    def forward(self, x):
        b, c, h, w = x.shape
        tokens = x.flatten(2).transpose(1, 2)  # (B', N, C) with N = h*w pixels of the patch
        q, k, v = self.qkv(tokens).chunk(3, dim=-1)
        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)  # (B', C, N)
        q = F.normalize(q, dim=-1)
        k = F.normalize(k, dim=-1)
        attn = (q @ k.transpose(-2, -1)) * self.temperature
        attn = attn.softmax(dim=-1)
        out = (attn @ v).reshape(b, c, h, w)
        return self.project_out(out)


class DitnInnerTransformerLayer(nn.Module):
    """ITL: LayerNorm replaced by tanh + 1x1 conv in front of the attention and of the feed-forward."""

    def __init__(self, dim, ffn_expansion, bias):
        super().__init__()
        self.conv1 = nn.Conv2d(dim, dim, 1)
        self.attn = DitnInnerPatchAttention(dim, bias)
        self.conv2 = nn.Conv2d(dim, dim, 1)
        self.ffn = DitnGatedFeedForward(dim, ffn_expansion, bias)

    def forward(self, x):
        x = x + self.attn(self.conv1(torch.tanh(x)))
        return x + self.ffn(self.conv2(torch.tanh(x)))


class DitnSpatialDilatedAttention(nn.Module):
    """SDA: a = 1x1 -> dw5x5 -> dw7x7 dilation 3 -> 1x1 on half the projection, gating the other half."""

    def __init__(self, dim):
        super().__init__()
        self.proj_first = nn.Sequential(nn.Conv2d(dim, dim * 2, 1))
        self.DConvs = nn.Sequential(
            nn.Conv2d(dim, dim, 5, padding=2, groups=dim),
            nn.Conv2d(dim, dim, 7, padding=9, dilation=3, groups=dim),
            nn.Conv2d(dim, dim, 1),
        )
        self.proj_last = nn.Sequential(nn.Conv2d(dim, dim, 1))
        # Per-channel output scale, zero at initialisation so a fresh layer starts as the identity.
        self.scale = nn.Parameter(torch.zeros(1, dim, 1, 1))

    def forward(self, x):
        a, x = self.proj_first(x).chunk(2, dim=1)
        a = self.DConvs(a)
        return self.proj_last(x * a) * self.scale


class DitnSpatialAttentionLayer(nn.Module):
    """SAL: the ITL layout with SDA in place of the inner-patch attention, on the whole feature map."""

    def __init__(self, dim, ffn_expansion, bias):
        super().__init__()
        self.conv1 = nn.Conv2d(dim, dim, 1)
        self.SDA = DitnSpatialDilatedAttention(dim)
        self.conv2 = nn.Conv2d(dim, dim, 1)
        self.ffn = DitnGatedFeedForward(dim, ffn_expansion, bias)

    def forward(self, x):
        x = x + self.SDA(self.conv1(torch.tanh(x)))
        return x + self.ffn(self.conv2(torch.tanh(x)))


class DitnUnfoldOnce(nn.Module):
    """UFONE: unfold into patches once, run every ITL on the patch batch, fold back once, then the SALs."""

    def __init__(self, dim, itl_blocks, sal_blocks, ffn_expansion, bias, patch_size):
        super().__init__()
        self.patch_size = patch_size
        self.ITLs = nn.Sequential(*[DitnInnerTransformerLayer(dim, ffn_expansion, bias) for _ in range(itl_blocks)])
        self.SALs = nn.Sequential(*[DitnSpatialAttentionLayer(dim, ffn_expansion, bias) for _ in range(sal_blocks)])

    def forward(self, x):
        b, c, h, w = x.shape
        p = self.patch_size
        patches = x.view(b, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5).reshape(-1, c, p, p)
        patches = self.ITLs(patches)
        x = patches.view(b, h // p, w // p, c, p, p).permute(0, 3, 1, 4, 2, 5).reshape(b, c, h, w)
        return self.SALs(x)


class DitnReal(nn.Module):
    """DITN-Real (the authors' only released class); defaults are the published x4 configuration (444,112 params)."""

    def __init__(self, inp_channels=3, dim=60, ITL_blocks=4, SAL_blocks=4, UFONE_blocks=1, ffn_expansion_factor=2,
                 bias=False, patch_size=8, upscale=4):
        super().__init__()
        self.patch_size = patch_size
        self.upscale = upscale
        self.sft = nn.Conv2d(inp_channels, dim, 3, padding=1)
        self.UFONE = nn.Sequential(*[
            DitnUnfoldOnce(dim, ITL_blocks, SAL_blocks, ffn_expansion_factor, bias, patch_size)
            for _ in range(UFONE_blocks)
        ])
        self.conv_after_body = nn.Conv2d(dim, dim, 3, padding=1)
        self.upsample = nn.Sequential(nn.Conv2d(dim, inp_channels * upscale * upscale, 3, padding=1),
                                      nn.PixelShuffle(upscale))

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        x = pad_to_multiple(x, self.patch_size, mode="reflect")
        shallow = self.sft(x)
        deep = self.conv_after_body(self.UFONE(shallow)) + shallow
        out = self.upsample(deep)
        return out[:, :, :h * self.upscale, :w * self.upscale]


# ---------------------------------------------------------------------------------------------------------------------
# 2. ESRT-style: lightweight CNN backbone (HPB) + efficient transformer with the feature-split attention


class EsrtResidualUnit(nn.Module):
    """ESRT's one_conv/ARFB idea: Conv -> PReLU -> Conv with learnable scalar weights on both residual paths."""

    def __init__(self, dim):
        super().__init__()
        self.conv1 = nn.Conv2d(dim, dim, 3, padding=1)
        self.act = nn.PReLU(dim)
        self.conv2 = nn.Conv2d(dim, dim, 3, padding=1)
        self.weight_body = nn.Parameter(torch.ones(1))
        self.weight_skip = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return self.weight_skip * x + self.weight_body * self.conv2(self.act(self.conv1(x)))


class EsrtChannelAttention(nn.Module):
    """CALayer: global average pool -> 1x1 -> ReLU -> 1x1 -> sigmoid, scaling the channels."""

    def __init__(self, dim, reduction=8):
        super().__init__()
        self.squeeze = nn.Conv2d(dim, dim // reduction, 1)
        self.excite = nn.Conv2d(dim // reduction, dim, 1)

    def forward(self, x):
        s = x.mean(dim=(2, 3), keepdim=True)
        return x * torch.sigmoid(self.excite(F.relu(self.squeeze(s))))


class EsrtHighPreservingBlock(nn.Module):
    """HPB: low frequencies at half resolution (AvgPool + shared convs + bilinear Resize align_corners=True) and the
    high-frequency residual x - up(down(x)), fused by concat + 1x1 + channel attention. H and W must be even."""

    def __init__(self, dim, low_steps=2):
        super().__init__()
        self.head = EsrtResidualUnit(dim)
        self.low = EsrtResidualUnit(dim)  # shared weights, applied low_steps times like ESRT's decoder_low
        self.low_steps = low_steps
        self.high = EsrtResidualUnit(dim)
        self.fuse = nn.Conv2d(dim * 2, dim, 1)
        self.attention = EsrtChannelAttention(dim)

    def forward(self, x):
        x = self.head(x)
        low = F.avg_pool2d(x, 2)
        for _ in range(self.low_steps):
            low = self.low(low)
        low_up = F.interpolate(low, size=(x.shape[2], x.shape[3]), mode="bilinear", align_corners=True)
        high = self.high(x - F.interpolate(F.avg_pool2d(x, 2), size=(x.shape[2], x.shape[3]), mode="bilinear",
                                           align_corners=True))
        return self.attention(self.fuse(torch.cat([high, low_up], dim=1))) + x


def _unfold_identity_weight(channels, k):
    """Weight of a grouped Conv2d(C -> C*k*k, k, groups=C) equal to nn.Unfold(k, padding=k//2): output channel
    c*k*k + i*k + j copies input channel c at kernel offset (i, j)."""
    weight = torch.zeros(channels * k * k, 1, k, k)
    for c in range(channels):
        for i in range(k):
            for j in range(k):
                weight[c * k * k + i * k + j, 0, i, j] = 1.0
    return weight


def _fold_identity_weight(channels, k):
    """Weight of a grouped Conv2d(C*k*k -> C, k, groups=C) equal to nn.Fold(k, padding=k//2) at stride 1: the sum over
    the k*k patches covering a pixel, i.e. the unfold kernel flipped (a transposed convolution as a plain one)."""
    weight = torch.zeros(channels, k * k, k, k)
    for c in range(channels):
        for i in range(k):
            for j in range(k):
                weight[c, i * k + j, k - 1 - i, k - 1 - j] = 1.0
    return weight


class EsrtEfficientAttention(nn.Module):
    """EMHA: reduce 288 -> 144, qkv, 8 heads of 18, the feature-split module (s segments along the tokens) written as
    one batched attention on (B, heads, s, N/s, d) tensors, scale (288/heads)^-0.5 = 1/6, project back to 288."""

    def __init__(self, dim, heads=8, segments=4):
        super().__init__()
        reduced = dim // 2
        self.heads = heads
        self.segments = segments
        self.head_dim = reduced // heads
        # ESRT takes the scale from the unreduced width: (288 / 8)^-0.5.
        self.scale = (dim // heads) ** -0.5
        self.reduce = nn.Linear(dim, reduced, bias=False)
        self.qkv = nn.Linear(reduced, reduced * 3, bias=False)
        self.proj = nn.Linear(reduced, dim)

    def forward(self, x):
        b, n, _ = x.shape
        x = self.reduce(x)
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # (B, heads, N, d)
        # FSM: contiguous token segments = one reshape, so the whole split attention is a single batched MatMul.
        q = q.reshape(b, self.heads, self.segments, -1, self.head_dim)
        k = k.reshape(b, self.heads, self.segments, -1, self.head_dim)
        v = v.reshape(b, self.heads, self.segments, -1, self.head_dim)
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        out = (attn @ v).reshape(b, self.heads, n, self.head_dim).transpose(1, 2).reshape(b, n, -1)
        return self.proj(out)


class EsrtTransformerBlock(nn.Module):
    """MLABlock (the ET): 3x3 unfold to tokens of C*9, pre-norm EMHA and MLP with residuals, fold back (sum)."""

    def __init__(self, channels, heads=8, segments=4, mlp_hidden=72):
        super().__init__()
        self.k = 3
        self.channels = channels
        dim = channels * self.k * self.k
        self.register_buffer("unfold_weight", _unfold_identity_weight(channels, self.k), persistent=False)
        self.register_buffer("fold_weight", _fold_identity_weight(channels, self.k), persistent=False)
        self.norm1 = nn.LayerNorm(dim)
        self.attn = EsrtEfficientAttention(dim, heads, segments)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_hidden), nn.ReLU(inplace=True), nn.Linear(mlp_hidden, dim))

    def forward(self, x):
        b, _, h, w = x.shape
        tokens = F.conv2d(x, self.unfold_weight, padding=self.k // 2, groups=self.channels)
        tokens = tokens.flatten(2).transpose(1, 2)  # (B, N, C*9)
        tokens = tokens + self.attn(self.norm1(tokens))
        tokens = tokens + self.mlp(self.norm2(tokens))
        patches = tokens.transpose(1, 2).reshape(b, -1, h, w)
        return F.conv2d(patches, self.fold_weight, padding=self.k // 2, groups=self.channels)


def _pixel_shuffle_upsampler(dim, scale):
    layers = []
    for _ in range(int(math.log2(scale))):
        layers += [nn.Conv2d(dim, dim * 4, 3, padding=1), nn.PixelShuffle(2)]
    return nn.Sequential(*layers)


class EsrtStyle(nn.Module):
    """ESRT-style network: head -> HPBs -> concat + 3x3 -> efficient transformer -> 3x3 (weighted residual) ->
    reduce -> upsampler tail, plus ESRT's parallel upsampler on the head output. Reflect-pads H and W to even sizes so
    that AvgPool/Resize round-trip and the token count N is a multiple of the 4 FSM segments (ESRT itself falls back
    to 5 uneven chunks when N % 4 != 0)."""

    def __init__(self, n_feats=32, n_hpb=3, heads=8, segments=4, mlp_hidden=72, upscale=4, light_skip_path=False):
        super().__init__()
        self.upscale = upscale
        self.head = nn.Conv2d(3, n_feats, 3, padding=1)
        self.hpbs = nn.ModuleList([EsrtHighPreservingBlock(n_feats) for _ in range(n_hpb)])
        self.merge = nn.Conv2d(n_feats * n_hpb, n_feats, 3, padding=1)
        self.transformer = EsrtTransformerBlock(n_feats, heads, segments, mlp_hidden)
        self.after_transformer = nn.Conv2d(n_feats, n_feats, 3, padding=1)
        self.weight_transformer = nn.Parameter(torch.ones(1))
        self.weight_skip = nn.Parameter(torch.ones(1))
        self.reduce = nn.Conv2d(n_feats, n_feats, 3, padding=1)
        self.tail = nn.Sequential(_pixel_shuffle_upsampler(n_feats, upscale), nn.Conv2d(n_feats, 3, 3, padding=1))
        if light_skip_path:
            # ESRT's parallel path repeats the tail's upsampler; one conv + PixelShuffle(s) keeps a fixture small.
            self.up = nn.Sequential(nn.Conv2d(n_feats, 3 * upscale * upscale, 3, padding=1), nn.PixelShuffle(upscale))
        else:
            self.up = nn.Sequential(_pixel_shuffle_upsampler(n_feats, upscale), nn.Conv2d(n_feats, 3, 3, padding=1))

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        x = pad_to_multiple(x, 2, mode="reflect")
        head = self.head(x)
        feats = []
        y = head
        for hpb in self.hpbs:
            y = hpb(y)
            feats.append(y)
        y = self.merge(torch.cat(feats, dim=1))
        y = self.weight_skip * y + self.weight_transformer * self.after_transformer(self.transformer(y))
        out = self.tail(self.reduce(y)) + self.up(head)
        return out[:, :, :h * self.upscale, :w * self.upscale]


# ---------------------------------------------------------------------------------------------------------------------
# 3. PLKSR-style


class PlksrPartialLargeKernelConv(nn.Module):
    """PLKConv2d: a dense k x k conv on the first `partial` channels only. `in_place=False` is the deploy-friendly
    Slice + Conv + Concat form; `in_place=True` is PLKSR's eval-mode `x[:, :p] = conv(x[:, :p])` (ONNX ScatterND)."""

    def __init__(self, dim, partial, kernel_size, in_place=False):
        super().__init__()
        self.partial = partial
        self.in_place = in_place
        self.conv = nn.Conv2d(partial, partial, kernel_size, padding=kernel_size // 2)

    def forward(self, x):
        if self.in_place:
            x[:, :self.partial] = self.conv(x[:, :self.partial])
            return x
        return torch.cat([self.conv(x[:, :self.partial]), x[:, self.partial:]], dim=1)


class PlksrBlock(nn.Module):
    """PLKBlock: DCCM (3x3 expand, GELU, 3x3 reduce) -> partial large-kernel conv -> element-wise attention
    x * sigmoid(conv3x3(x)) -> 1x1, with a residual."""

    def __init__(self, dim, partial, kernel_size, in_place=False):
        super().__init__()
        self.channel_mixer = nn.Sequential(nn.Conv2d(dim, dim * 2, 3, padding=1), nn.GELU(),
                                           nn.Conv2d(dim * 2, dim, 3, padding=1))
        self.large_kernel = PlksrPartialLargeKernelConv(dim, partial, kernel_size, in_place)
        self.attention_conv = nn.Conv2d(dim, dim, 3, padding=1)
        self.refine = nn.Conv2d(dim, dim, 1)

    def forward(self, x):
        y = self.large_kernel(self.channel_mixer(x))
        y = y * torch.sigmoid(self.attention_conv(y))
        return x + self.refine(y)


class PlksrStyle(nn.Module):
    """PLKSR-style: 3x3 -> PLKBlocks -> 3x3 to 3*s^2, plus the input repeated s^2 times per channel, -> PixelShuffle.
    Any H, W (no padding)."""

    def __init__(self, dim=32, n_blocks=2, kernel_size=17, partial=16, upscale=4, in_place=False):
        super().__init__()
        self.upscale = upscale
        self.first = nn.Conv2d(3, dim, 3, padding=1)
        self.blocks = nn.Sequential(*[PlksrBlock(dim, partial, kernel_size, in_place) for _ in range(n_blocks)])
        self.last = nn.Conv2d(dim, 3 * upscale * upscale, 3, padding=1)
        self.shuffle = nn.PixelShuffle(upscale)

    def forward(self, x):
        y = self.last(self.blocks(self.first(x)))
        return self.shuffle(y + repeat_channels_interleaved(x, self.upscale * self.upscale))


# ---------------------------------------------------------------------------------------------------------------------
# 4. IGConv-style multi-scale upsampler


class IgconvResidualBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv1 = nn.Conv2d(dim, dim, 3, padding=1)
        self.conv2 = nn.Conv2d(dim, dim, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(x)))


class ImplicitGridConv(nn.Module):
    """IGConv-style upsampler: the weights of the sub-pixel conv (out_ch*s^2, dim, k, k) and its bias are generated
    from the scale. For each of the s x s sub-pixel positions, the position's centre in [-1, 1]^2 goes through learnable
    Fourier features (frequencies, plus a phase from the cell size 2/s), cos/sin, and an MLP whose output is that
    position's kernel. `instantiate(s)` bakes the result into a plain Conv2d + PixelShuffle (scale is not a runtime
    input in the deployed graph). The geometric ensemble of the paper is omitted."""

    def __init__(self, dim, out_channels=3, kernel_size=3, implicit_dim=128, latent_layers=3, max_scale=4):
        super().__init__()
        self.dim = dim
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.max_scale = max_scale
        half = implicit_dim // 2
        self.freq = nn.Parameter(torch.randn(half, 2) * 2.0)
        self.phase = nn.Linear(1, half)
        layers = []
        for _ in range(latent_layers):
            layers += [nn.Linear(implicit_dim, implicit_dim), nn.ReLU(inplace=True)]
        self.latent = nn.Sequential(*layers)
        self.to_kernel = nn.Linear(implicit_dim, out_channels * (dim * kernel_size * kernel_size + 1))

    def kernel_for_scale(self, scale):
        """(weight (out_ch*s^2, dim, k, k), bias (out_ch*s^2)) in PixelShuffle's channel order c*s^2 + i*s + j."""
        if not 1 <= scale <= self.max_scale:
            raise ValueError(f"scale {scale} outside 1..{self.max_scale}")
        centres = (torch.arange(scale, dtype=torch.float32) * 2 + 1) / scale - 1
        grid = torch.stack(torch.meshgrid(centres, centres, indexing="ij"), dim=-1).reshape(-1, 2)  # (s*s, 2) row-major
        cell = torch.full((scale * scale, 1), 2.0 / scale)
        z = math.pi * grid @ self.freq.t() + self.phase(cell)
        out = self.to_kernel(self.latent(torch.cat([torch.cos(z), torch.sin(z)], dim=-1)))  # (s*s, out*(dim*k*k+1))
        k, c = self.kernel_size, self.out_channels
        n_weight = c * self.dim * k * k
        fan_in_scale = (self.dim * k * k) ** -0.5
        weight = out[:, :n_weight].reshape(scale * scale, c, self.dim, k, k).transpose(0, 1)
        weight = weight.reshape(c * scale * scale, self.dim, k, k) * fan_in_scale
        bias = out[:, n_weight:].reshape(scale * scale, c).t().reshape(c * scale * scale) * 0.1
        return weight, bias

    def forward(self, x, scale):
        weight, bias = self.kernel_for_scale(scale)
        return F.pixel_shuffle(F.conv2d(x, weight, bias, padding=self.kernel_size // 2), scale)

    @torch.no_grad()
    def instantiate(self, scale):
        weight, bias = self.kernel_for_scale(scale)
        conv = nn.Conv2d(self.dim, weight.shape[0], self.kernel_size, padding=self.kernel_size // 2)
        conv.weight.copy_(weight)
        conv.bias.copy_(bias)
        return nn.Sequential(conv, nn.PixelShuffle(scale))


class IgconvBody(nn.Module):
    def __init__(self, dim=32, n_blocks=4):
        super().__init__()
        self.first = nn.Conv2d(3, dim, 3, padding=1)
        self.blocks = nn.Sequential(*[IgconvResidualBlock(dim) for _ in range(n_blocks)])
        self.last = nn.Conv2d(dim, dim, 3, padding=1)

    def forward(self, x):
        shallow = self.first(x)
        return shallow + self.last(self.blocks(shallow))


class IgconvStyle(nn.Module):
    """One multi-scale network: a shared CNN body and one IGConv-style upsampler. `forward(x, scale)` is the training
    form; `at_scale(s)` returns the deployable single-scale module (shared body + baked conv + PixelShuffle)."""

    def __init__(self, dim=32, n_blocks=4, implicit_dim=128, latent_layers=3, max_scale=4):
        super().__init__()
        self.body = IgconvBody(dim, n_blocks)
        self.upsampler = ImplicitGridConv(dim, 3, 3, implicit_dim, latent_layers, max_scale)

    def forward(self, x, scale):
        return self.upsampler(self.body(x), scale)

    def at_scale(self, scale):
        return IgconvAtScale(self.body, self.upsampler.instantiate(scale))


class IgconvAtScale(nn.Module):
    def __init__(self, body, upsampler):
        super().__init__()
        self.body = body
        self.upsampler = upsampler

    def forward(self, x):
        return self.upsampler(self.body(x))


# ---------------------------------------------------------------------------------------------------------------------
# 5. Swin/SRFormer-style shifted-window multi-head attention


def window_partition(x, window):
    """(B, H, W, C) -> (B*nW, window*window, C): the standard reshape/transpose partition."""
    b, h, w, c = shape_of(x)
    x = x.view(b, h // window, window, w // window, window, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, window * window, c)


def window_reverse(windows, window, b, h, w):
    c = windows.shape[-1]
    x = windows.view(b, h // window, w // window, window, window, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(b, h, w, c)


def shifted_window_mask(h, w, window, shift):
    """The (nW, N, N) additive mask of shifted-window attention (-100 between tokens from different image regions after
    the cyclic shift). Built from arange comparisons instead of Swin's slice assignments so that it follows H and W
    in the exported graph."""
    rows = torch.arange(h)
    cols = torch.arange(w)
    region_rows = (rows >= h - window).long() + (rows >= h - shift).long()
    region_cols = (cols >= w - window).long() + (cols >= w - shift).long()
    region = (region_rows.unsqueeze(1) * 3 + region_cols.unsqueeze(0)).view(h // window, window, w // window, window)
    region = region.permute(0, 2, 1, 3).reshape(-1, window * window)
    different = region.unsqueeze(1) != region.unsqueeze(2)
    return different.float() * -100.0


class SwinWindowAttention(nn.Module):
    """Multi-head self-attention inside each window with a learned relative-position bias."""

    def __init__(self, dim, window, heads):
        super().__init__()
        self.window = window
        self.heads = heads
        self.head_dim = dim // heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.randn((2 * window - 1) ** 2, heads) * 0.02)
        coords = torch.stack(torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")).flatten(1)
        relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (window - 1)
        self.register_buffer("relative_position_index", relative[..., 0] * (2 * window - 1) + relative[..., 1],
                             persistent=False)

    def forward(self, x, mask=None):
        n = self.window * self.window
        c = x.shape[-1]
        qkv = self.qkv(x).reshape(-1, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = q @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(n, n, -1)
        attn = attn + bias.permute(2, 0, 1).unsqueeze(0)
        if mask is not None:
            windows = mask.shape[0]
            attn = attn.view(-1, windows, self.heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.heads, n, n)
        attn = attn.softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(-1, n, c))


class SwinBlock(nn.Module):
    def __init__(self, dim, window, heads, shift, mlp_ratio=2.0):
        super().__init__()
        self.window = window
        self.shift = shift
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SwinWindowAttention(dim, window, heads)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x, mask):
        """x: (B, H, W, C) with H, W multiples of the window."""
        b, h, w, c = shape_of(x)
        y = self.norm1(x)
        if self.shift:
            y = torch.roll(y, shifts=(-self.shift, -self.shift), dims=(1, 2))
        y = self.attn(window_partition(y, self.window), mask if self.shift else None)
        y = window_reverse(y, self.window, b, h, w)
        if self.shift:
            y = torch.roll(y, shifts=(self.shift, self.shift), dims=(1, 2))
        x = x + y
        return x + self.mlp(self.norm2(x))


class SwinGroup(nn.Module):
    """RSTB: alternating regular / shifted window blocks, then a 3x3 conv, with a residual around the group."""

    def __init__(self, dim, depth, window, heads, mlp_ratio):
        super().__init__()
        self.blocks = nn.ModuleList([
            SwinBlock(dim, window, heads, 0 if i % 2 == 0 else window // 2, mlp_ratio) for i in range(depth)
        ])
        self.conv = nn.Conv2d(dim, dim, 3, padding=1)

    def forward(self, x, mask):
        y = x.permute(0, 2, 3, 1)
        for block in self.blocks:
            y = block(y, mask)
        return x + self.conv(y.permute(0, 3, 1, 2))


class SwinStyle(nn.Module):
    """SwinIR-light-style: 3x3 -> groups of shifted-window blocks -> LayerNorm -> 3x3 + residual -> 3x3 to 3*s^2 ->
    PixelShuffle. Reflect-pads H and W to a multiple of the window and crops the output."""

    def __init__(self, dim=64, depths=(2, 2), heads=4, window=8, mlp_ratio=2.0, upscale=4):
        super().__init__()
        self.window = window
        self.upscale = upscale
        self.first = nn.Conv2d(3, dim, 3, padding=1)
        self.groups = nn.ModuleList([SwinGroup(dim, d, window, heads, mlp_ratio) for d in depths])
        self.norm = nn.LayerNorm(dim)
        self.after_body = nn.Conv2d(dim, dim, 3, padding=1)
        self.upsample = nn.Sequential(nn.Conv2d(dim, 3 * upscale * upscale, 3, padding=1), nn.PixelShuffle(upscale))

    def forward(self, x):
        _, _, h, w = shape_of(x)
        x = pad_to_multiple(x, self.window, mode="reflect")
        _, _, padded_h, padded_w = shape_of(x)
        mask = shifted_window_mask(padded_h, padded_w, self.window, self.window // 2)
        shallow = self.first(x)
        y = shallow
        for group in self.groups:
            y = group(y, mask)
        y = self.norm(y.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        y = self.after_body(y) + shallow
        return self.upsample(y)[:, :, :h * self.upscale, :w * self.upscale]


# ---------------------------------------------------------------------------------------------------------------------
# 6. SHViT-style single-head attention


class ShvitSingleHeadAttention(nn.Module):
    """SHSA on the first `partial` channels: GroupNorm(1) -> stride-`down` patchify -> 1x1 to q, k (qk_dim) and v
    (partial) -> one head over all (H/down)*(W/down) positions: softmax((q^T k) * qk_dim^-0.5), v @ attn^T ->
    nearest upsample back -> concat with the untouched channels -> ReLU -> 1x1."""

    def __init__(self, dim, partial, qk_dim=16, down=2):
        super().__init__()
        self.dim = dim
        self.partial = partial
        self.qk_dim = qk_dim
        self.down = down
        self.scale = qk_dim ** -0.5
        self.pre_norm = nn.GroupNorm(1, partial)
        self.downsample = nn.Conv2d(partial, partial, down, stride=down)
        self.qkv = nn.Conv2d(partial, qk_dim * 2 + partial, 1)
        self.proj = nn.Sequential(nn.ReLU(), nn.Conv2d(dim, dim, 1))

    def forward(self, x):
        x1, x2 = torch.split(x, [self.partial, self.dim - self.partial], dim=1)
        y = self.downsample(self.pre_norm(x1))
        b, _, h, w = y.shape
        q, k, v = self.qkv(y).split([self.qk_dim, self.qk_dim, self.partial], dim=1)
        q, k, v = q.flatten(2), k.flatten(2), v.flatten(2)
        attn = (q.transpose(-2, -1) @ k) * self.scale
        attn = attn.softmax(dim=-1)
        y = (v @ attn.transpose(-2, -1)).reshape(b, self.partial, h, w)
        y = F.interpolate(y, scale_factor=self.down, mode="nearest")
        return self.proj(torch.cat([x1 + y, x2], dim=1))


class ShvitBlock(nn.Module):
    """SHViT block: depth-wise 3x3 token mixer, single-head attention, 1x1 FFN, each with a residual."""

    def __init__(self, dim, partial, qk_dim, down):
        super().__init__()
        self.mixer = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)
        self.attention = ShvitSingleHeadAttention(dim, partial, qk_dim, down)
        self.ffn = nn.Sequential(nn.Conv2d(dim, dim * 2, 1), nn.ReLU(), nn.Conv2d(dim * 2, dim, 1))

    def forward(self, x):
        x = x + self.mixer(x)
        x = x + self.attention(x)
        return x + self.ffn(x)


class ShvitStyle(nn.Module):
    """3x3 -> SHViT blocks -> 3x3 + residual -> 3x3 to 3*s^2 -> PixelShuffle. Reflect-pads to a multiple of `down`."""

    def __init__(self, dim=48, partial=16, qk_dim=16, down=2, n_blocks=3, upscale=4):
        super().__init__()
        self.down = down
        self.upscale = upscale
        self.first = nn.Conv2d(3, dim, 3, padding=1)
        self.blocks = nn.Sequential(*[ShvitBlock(dim, partial, qk_dim, down) for _ in range(n_blocks)])
        self.after_body = nn.Conv2d(dim, dim, 3, padding=1)
        self.upsample = nn.Sequential(nn.Conv2d(dim, 3 * upscale * upscale, 3, padding=1), nn.PixelShuffle(upscale))

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        x = pad_to_multiple(x, self.down, mode="reflect")
        shallow = self.first(x)
        y = self.after_body(self.blocks(shallow)) + shallow
        return self.upsample(y)[:, :, :h * self.upscale, :w * self.upscale]


# ---------------------------------------------------------------------------------------------------------------------
# 7. Plain baseline


class PlainSr(nn.Module):
    def __init__(self, dim=32, upscale=4):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, dim, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(dim, dim, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(dim, 3 * upscale * upscale, 3, padding=1),
            nn.PixelShuffle(upscale),
        )

    def forward(self, x):
        return self.body(x)


def count_parameters(module):
    return sum(p.numel() for p in module.parameters())
