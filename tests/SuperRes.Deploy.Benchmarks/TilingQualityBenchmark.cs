using System.Diagnostics;
using System.Globalization;
using SuperRes.Deploy.Engines.Analysis;
using SuperRes.Deploy.Engines.Graph;
using SuperRes.Deploy.Engines.Imaging;
using SuperRes.Deploy.Engines.Onnx;
using SuperRes.Deploy.Engines.Runtime;
using SuperRes.Deploy.Engines.Upscaling;
using SuperRes.Deploy.Engines.Validation.Metrics;

namespace SuperRes.Deploy.Benchmarks;

/// <summary>
/// Seam measurement behind the default --overlap: tiled vs whole-image upscale of real images with the default model,
/// PSNR of the float outputs (peak 1) and of the 8-bit outputs (peak 255), and the largest 8-bit difference, for a grid
/// of tile sizes and overlaps. Quality, not timing: it prints a table for docs/cli.md.
/// </summary>
internal static class TilingQualityBenchmark
{
    /// <summary>
    /// For each image and tile size T and overlap O: the image is cropped to T + 3 (T − O) pixels square, so that 4×4
    /// tiles overlap by exactly O; the tiled result is compared with one whole-image run of the same crop.
    /// </summary>
    public static void Run(string root, string modelPath, IReadOnlyList<(string Folder, string Image)> images, IReadOnlyList<int> tiles, IReadOnlyList<int> overlaps, int threads)
    {
        using var model = OnnxModel.Load(modelPath);
        var analysis = ModelAnalysis.Run(OnnxGraph.FromModel(model));
        using var runner = new OrtRunner(new OrtRunnerOptions { ModelPath = modelPath, IntraOpThreads = threads });
        var info = UpscaleModelInfo.FromRunner(runner).WithAnalysis(analysis);
        Console.WriteLine($"model {Path.GetFileName(modelPath)}: {info}");
        Console.WriteLine("| image | crop | tile | overlap | tiles | PSNR float (dB) | PSNR 8-bit (dB) | max 8-bit diff | tiled time (s) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (folder, name) in images)
        {
            var source = ImageFile.Read(Path.Combine(root, "tests", "fixtures", "datasets", "Set5", folder, name + ".png"));
            foreach (var tile in tiles)
            {
                foreach (var overlap in overlaps.Where(o => o <= tile / 2))
                {
                    var size = tile + (3 * (tile - overlap));
                    if (size > Math.Min(source.Width, source.Height))
                    {
                        continue;
                    }

                    var image = source.Crop(0, 0, size, size);
                    var whole = new TiledUpscaler(runner, info, new TileSettings(0, 0)).Upscale(image);
                    var whole8 = whole.Quantized(8);
                    var clock = Stopwatch.StartNew();
                    var upscaler = new TiledUpscaler(runner, info, new TileSettings(tile, overlap));
                    var plan = upscaler.Plan(image.Width, image.Height);
                    var tiled = upscaler.Upscale(image);
                    var seconds = clock.Elapsed.TotalSeconds;
                    var tiled8 = tiled.Quantized(8);
                    var maxDiff = 0;
                    var a = tiled8.Samples;
                    var b = whole8.Samples;
                    for (var i = 0; i < a.Length; i++)
                    {
                        maxDiff = Math.Max(maxDiff, Math.Abs(Quantization.Quantize(a[i], 255) - Quantization.Quantize(b[i], 255)));
                    }

                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {folder}/{name} | {size}² | {tile} | {overlap} (actual ≥ {plan.Columns.MinimumOverlap}) | {plan.Columns.Origins.Count}×{plan.Rows.Origins.Count} | {Psnr(tiled, whole):F2} | {Psnr(tiled8, whole8):F2} | {maxDiff} | {seconds:F1} |"));
                }
            }
        }
    }

    /// <summary>PSNR with peak 1 over every sample (∞ for identical images, printed as "inf").</summary>
    public static double Psnr(Image candidate, Image reference)
    {
        var comparison = TensorComparer.Compare(candidate.Samples, reference.Samples, [1, candidate.Channels, candidate.Height, candidate.Width],
            new ComparisonOptions { PsnrPeak = 1 });
        return comparison.Psnr;
    }
}
