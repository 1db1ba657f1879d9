using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SuperRes.Deploy.Engines.Validation.Metrics;

/// <summary>
/// Structural similarity as the MATLAB <c>ssim_index</c> of Wang et al. (2004) computes it, the version SR papers use:
/// an 11×11 Gaussian window with σ = 1.5 normalised to sum 1, K1 = 0.01, K2 = 0.03, dynamic range L, statistics
/// filtered with 'valid' borders (the map is (H − 10) × (W − 10)), no downsampling, and the mean of the SSIM map.
/// </summary>
/// <remarks>
/// The Gaussian window is separable (fspecial's 2-D window is the outer product of the normalised 1-D one), so each
/// of μx, μy, E[x²], E[y²], E[xy] is filtered along rows then columns, streaming over rows with an 11-row ring: memory is
/// O(width), time O(22 × 5 × pixels) in double precision, vectorised with <see cref="Vector{T}"/> (sums kept in registers,
/// fused multiply-add, the symmetric window folded).
/// </remarks>
public static class Ssim
{
    /// <summary>Side of the Gaussian window.</summary>
    public const int WindowSize = 11;

    /// <summary>Standard deviation of the Gaussian window.</summary>
    public const double Sigma = 1.5;

    private static readonly double[] Gaussian = BuildGaussian();

    /// <summary>Fills the two rows (reference, candidate) of image row <c>y</c>; each span has the image width.</summary>
    public delegate void RowReader(int y, Span<double> reference, Span<double> candidate);

    /// <summary>The mean SSIM of two row-major planes of equal size, both at least 11×11, with dynamic range <paramref name="peak"/>.</summary>
    public static double Mean(ReadOnlySpan<double> reference, ReadOnlySpan<double> candidate, int width, int height, double peak = 255)
    {
        if (reference.Length != (long)width * height || candidate.Length != reference.Length)
        {
            throw new ArgumentException($"planes of {reference.Length} and {candidate.Length} values do not match {width}×{height}");
        }

        var a = reference.ToArray();
        var b = candidate.ToArray();
        return Mean(width, height, (y, ra, rb) =>
        {
            a.AsSpan(y * width, width).CopyTo(ra);
            b.AsSpan(y * width, width).CopyTo(rb);
        }, peak);
    }

    /// <summary>The mean SSIM of two planes read one row at a time through <paramref name="readRow"/>.</summary>
    // AggressiveOptimization on the hot loops: a CLI process calls them a few hundred times at most, which tiered
    // compilation would run in unoptimized tier-0 code (Vector<T> operations as calls) until it promotes them.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Mean(int width, int height, RowReader readRow, double peak = 255)
    {
        ArgumentNullException.ThrowIfNull(readRow);
        if (width < WindowSize || height < WindowSize)
        {
            throw new ArgumentException($"SSIM needs at least {WindowSize}×{WindowSize} pixels, got {width}×{height}");
        }

        var c1 = (0.01 * peak) * (0.01 * peak);
        var c2 = (0.03 * peak) * (0.03 * peak);
        var outWidth = width - WindowSize + 1;
        var outHeight = height - WindowSize + 1;

        // ring[q][slot]: row-filtered quantity q (x, y, x², y², xy) of input row (slot mod 11).
        var ring = new double[5][][];
        for (var q = 0; q < 5; q++)
        {
            ring[q] = new double[WindowSize][];
            for (var s = 0; s < WindowSize; s++)
            {
                ring[q][s] = new double[outWidth];
            }
        }

        var rowA = new double[width];
        var rowB = new double[width];
        var products = new double[3][];
        for (var q = 0; q < 3; q++)
        {
            products[q] = new double[width];
        }

        var vertical = new double[5][];
        for (var q = 0; q < 5; q++)
        {
            vertical[q] = new double[outWidth];
        }

        double total = 0;
        for (var y = 0; y < height; y++)
        {
            readRow(y, rowA, rowB);
            Multiply(rowA, rowA, products[0]);
            Multiply(rowB, rowB, products[1]);
            Multiply(rowA, rowB, products[2]);
            var slot = y % WindowSize;
            FilterRow(rowA, ring[0][slot]);
            FilterRow(rowB, ring[1][slot]);
            FilterRow(products[0], ring[2][slot]);
            FilterRow(products[1], ring[3][slot]);
            FilterRow(products[2], ring[4][slot]);
            if (y < WindowSize - 1)
            {
                continue;
            }

            var top = (y - WindowSize + 1) % WindowSize;
            for (var q = 0; q < 5; q++)
            {
                FilterColumns(ring[q], top, vertical[q]);
            }

            total += SumMapRow(vertical, c1, c2);
        }

        return total / ((double)outWidth * outHeight);
    }

    /// <summary>Sum over one row of the SSIM map from the filtered statistics.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumMapRow(double[][] filtered, double c1, double c2)
    {
        var muA = filtered[0];
        var muB = filtered[1];
        var aa = filtered[2];
        var bb = filtered[3];
        var ab = filtered[4];
        var n = muA.Length;
        var i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var vc1 = new Vector<double>(c1);
            var vc2 = new Vector<double>(c2);
            var two = new Vector<double>(2.0);
            var acc = Vector<double>.Zero;
            for (; i <= n - Vector<double>.Count; i += Vector<double>.Count)
            {
                var ma = new Vector<double>(muA, i);
                var mb = new Vector<double>(muB, i);
                var maa = ma * ma;
                var mbb = mb * mb;
                var mab = ma * mb;
                var varA = new Vector<double>(aa, i) - maa;
                var varB = new Vector<double>(bb, i) - mbb;
                var cov = new Vector<double>(ab, i) - mab;
                acc += ((two * mab) + vc1) * ((two * cov) + vc2) / ((maa + mbb + vc1) * (varA + varB + vc2));
            }

            sum = Vector.Sum(acc);
        }

        for (; i < n; i++)
        {
            var maa = muA[i] * muA[i];
            var mbb = muB[i] * muB[i];
            var mab = muA[i] * muB[i];
            sum += ((2 * mab) + c1) * ((2 * (ab[i] - mab)) + c2) / ((maa + mbb + c1) * (aa[i] - maa + bb[i] - mbb + c2));
        }

        return sum;
    }

    /// <summary>
    /// 'valid' horizontal Gaussian filtering, output[x] = Σk g[k] · input[x + k], summed in registers; the window is
    /// symmetric (g[k] = g[10 − k]), so pairs of inputs are added before multiplying.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FilterRow(double[] input, double[] output)
    {
        var g = Gaussian;
        ref var src = ref MemoryMarshal.GetArrayDataReference(input);
        ref var target = ref MemoryMarshal.GetArrayDataReference(output);
        var n = output.Length;
        Vector<double> g0 = new(g[0]), g1 = new(g[1]), g2 = new(g[2]), g3 = new(g[3]), g4 = new(g[4]), g5 = new(g[5]);
        var x = 0;
        for (; x <= n - Vector<double>.Count; x += Vector<double>.Count)
        {
            var i = (nuint)x;
            var sum = Vector.LoadUnsafe(ref src, i + 5) * g5;
            sum = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref src, i) + Vector.LoadUnsafe(ref src, i + 10), g0, sum);
            sum = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref src, i + 1) + Vector.LoadUnsafe(ref src, i + 9), g1, sum);
            sum = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref src, i + 2) + Vector.LoadUnsafe(ref src, i + 8), g2, sum);
            sum = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref src, i + 3) + Vector.LoadUnsafe(ref src, i + 7), g3, sum);
            sum = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref src, i + 4) + Vector.LoadUnsafe(ref src, i + 6), g4, sum);
            sum.StoreUnsafe(ref target, i);
        }

        for (; x < n; x++)
        {
            double sum = 0;
            for (var k = 0; k < WindowSize; k++)
            {
                sum += g[k] * input[x + k];
            }

            output[x] = sum;
        }
    }

    /// <summary>'valid' vertical Gaussian filtering of the 11 ring rows starting at slot <paramref name="top"/> (symmetric, like <see cref="FilterRow"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FilterColumns(double[][] ring, int top, double[] output)
    {
        var g = Gaussian;
        var n = output.Length;
        ref var target = ref MemoryMarshal.GetArrayDataReference(output);
        ref var r0 = ref MemoryMarshal.GetArrayDataReference(ring[top % WindowSize]);
        ref var r1 = ref MemoryMarshal.GetArrayDataReference(ring[(top + 1) % WindowSize]);
        ref var r2 = ref MemoryMarshal.GetArrayDataReference(ring[(top + 2) % WindowSize]);
        ref var r3 = ref MemoryMarshal.GetArrayDataReference(ring[(top + 3) % WindowSize]);
        ref var r4 = ref MemoryMarshal.GetArrayDataReference(ring[(top + 4) % WindowSize]);
        ref var r5 = ref MemoryMarshal.GetArrayDataReference(ring[(top + 5) % WindowSize]);
        ref var r6 = ref MemoryMarshal.GetArrayDataReference(ring[(top + 6) % WindowSize]);
        ref var r7 = ref MemoryMarshal.GetArrayDataReference(ring[(top + 7) % WindowSize]);
        ref var r8 = ref MemoryMarshal.GetArrayDataReference(ring[(top + 8) % WindowSize]);
        ref var r9 = ref MemoryMarshal.GetArrayDataReference(ring[(top + 9) % WindowSize]);
        ref var r10 = ref MemoryMarshal.GetArrayDataReference(ring[(top + 10) % WindowSize]);
        Vector<double> g0 = new(g[0]), g1 = new(g[1]), g2 = new(g[2]), g3 = new(g[3]), g4 = new(g[4]), g5 = new(g[5]);
        var x = 0;
        for (; x <= n - Vector<double>.Count; x += Vector<double>.Count)
        {
            var i = (nuint)x;
            var sum = Vector.LoadUnsafe(ref r5, i) * g5;
            sum = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref r0, i) + Vector.LoadUnsafe(ref r10, i), g0, sum);
            sum = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref r1, i) + Vector.LoadUnsafe(ref r9, i), g1, sum);
            sum = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref r2, i) + Vector.LoadUnsafe(ref r8, i), g2, sum);
            sum = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref r3, i) + Vector.LoadUnsafe(ref r7, i), g3, sum);
            sum = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref r4, i) + Vector.LoadUnsafe(ref r6, i), g4, sum);
            sum.StoreUnsafe(ref target, i);
        }

        for (; x < n; x++)
        {
            double sum = 0;
            for (var k = 0; k < WindowSize; k++)
            {
                sum += g[k] * ring[(top + k) % WindowSize][x];
            }

            output[x] = sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Multiply(ReadOnlySpan<double> x, ReadOnlySpan<double> y, Span<double> product)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
            var vp = MemoryMarshal.Cast<double, Vector<double>>(product);
            for (var v = 0; v < vx.Length; v++)
            {
                vp[v] = vx[v] * vy[v];
            }

            i = vx.Length * Vector<double>.Count;
        }

        for (; i < x.Length; i++)
        {
            product[i] = x[i] * y[i];
        }
    }

    private static double[] BuildGaussian()
    {
        var g = new double[WindowSize];
        double sum = 0;
        for (var k = 0; k < WindowSize; k++)
        {
            var x = k - (WindowSize / 2);
            g[k] = Math.Exp(-(x * x) / (2 * Sigma * Sigma));
            sum += g[k];
        }

        for (var k = 0; k < WindowSize; k++)
        {
            g[k] /= sum;
        }

        return g;
    }
}
