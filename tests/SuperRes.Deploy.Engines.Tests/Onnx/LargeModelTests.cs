using System.Diagnostics;
using Onnx;
using SuperRes.Deploy.Engines;
using SuperRes.Deploy.Engines.Onnx;

namespace SuperRes.Deploy.Tests.Onnx;

/// <summary>The tests below read gigabytes of sparse files: run them one at a time, apart from the rest.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LargeSparseFiles
{
    public const string Name = "large sparse files";
}

/// <summary>
/// Multi-GB models built from sparse files (holes cost no disk and read as zeros fast): lazy loading, offsets past
/// 2^31, one tensor over 2 GiB, totals over protobuf's 2 GiB limit.
/// </summary>
[Collection(LargeSparseFiles.Name)]
public sealed class LargeModelTests
{
    private const long GiB = 1L << 30;
    private const long MiB = 1L << 20;

    [Fact]
    public void Loading_a_model_with_gigabytes_of_external_data_reads_none_of_it_and_reading_one_tensor_reads_only_that_one()
    {
        using var folder = new TempFolder();
        var pattern = OnnxTestModels.RandomBytes((int)MiB, 21);
        using (var data = File.Create(folder.File("weights.bin")))
        {
            data.SetLength(4 * GiB);
            data.Position = 3 * GiB + (GiB / 2);
            data.Write(pattern);
        }

        var graph = new GraphProto { Name = "lazy" };
        for (var i = 0; i < 3; i++)
        {
            graph.Initializer.Add(OnnxTestModels.External($"big{i}", TensorProto.Types.DataType.Float, [GiB / 4], "weights.bin", i * GiB, GiB));
        }

        graph.Initializer.Add(OnnxTestModels.External("small", TensorProto.Types.DataType.Uint8, [MiB], "weights.bin", 3 * GiB + (GiB / 2), MiB));
        var path = OnnxTestModels.WriteFile(OnnxTestModels.Model(graph), folder.Path);
        OnnxModel.Load(path).Dispose(); // JIT and type loading out of the way of the measurements below.

        var before = GC.GetAllocatedBytesForCurrentThread();
        using var model = OnnxModel.Load(path);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 * MiB, "loading allocated as if it read the data");
        Assert.Equal(0, model.ExternalBytesRead);

        before = GC.GetAllocatedBytesForCurrentThread();
        var small = model.ReadTensorBytes(model.Proto.Graph.Initializer[3]);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < MiB + (256 << 10));
        Assert.Equal(pattern, small);
        Assert.Equal(MiB, model.ExternalBytesRead);

        // A 1 GiB tensor streams through a small buffer: it is read once, never held whole.
        before = GC.GetAllocatedBytesForCurrentThread();
        var sink = new CountingStream();
        model.CopyTensorTo(model.Proto.Graph.Initializer[1], sink);
        Assert.Equal(GiB, sink.Length);
        Assert.Equal(MiB + GiB, model.ExternalBytesRead);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 * MiB, "streaming a tensor allocated as if it held it whole");
    }

    [Fact]
    public void Model_over_two_gigabytes_with_a_tensor_over_two_gigabytes_is_saved_to_external_data_and_reloaded()
    {
        using var folder = new TempFolder();
        const long hugeBytes = 2 * GiB + (GiB / 4); // one tensor larger than any managed array
        var tailOffset = hugeBytes + (64 << 10);
        var sentinels = new Dictionary<long, byte[]>
        {
            [0] = OnnxTestModels.RandomBytes(64, 1),
            [(1L << 31) + 4096] = OnnxTestModels.RandomBytes(64, 2),
            [hugeBytes - 64] = OnnxTestModels.RandomBytes(64, 3),
        };
        var tail = OnnxTestModels.RandomBytes((int)MiB, 4);
        using (var data = File.Create(folder.File("src.bin")))
        {
            data.SetLength(tailOffset + MiB);
            foreach (var (offset, bytes) in sentinels)
            {
                data.Position = offset;
                data.Write(bytes);
            }

            data.Position = tailOffset;
            data.Write(tail);
        }

        var graph = new GraphProto { Name = "huge" };
        graph.Initializer.Add(OnnxTestModels.External("huge", TensorProto.Types.DataType.Float, [hugeBytes / 4], "src.bin", 0, hugeBytes));
        graph.Initializer.Add(OnnxTestModels.External("tail", TensorProto.Types.DataType.Uint8, [MiB], "src.bin", tailOffset, null));
        graph.Initializer.Add(OnnxTestModels.Raw("bias", TensorProto.Types.DataType.Float, [4], OnnxTestModels.RandomBytes(16, 5)));
        var path = OnnxTestModels.WriteFile(OnnxTestModels.Model(graph), folder.Path, "src.onnx");

        using var model = OnnxModel.Load(path);
        var readWhole = Assert.Throws<DeployException>(() => model.ReadTensorBytes(model.Proto.Graph.Initializer[0]));
        Assert.Contains("read it as a stream", readWhole.Message, StringComparison.Ordinal);

        // Inline is impossible (protobuf's 2 GiB limit) and says so, leaving nothing behind.
        Directory.CreateDirectory(folder.File("inline"));
        var inline = Assert.Throws<DeployException>(() => model.Save(folder.File("inline/m.onnx"), new OnnxSaveOptions { ForceInline = true }));
        Assert.Equal(FailureKind.BadInput, inline.Kind);
        Assert.Contains("over protobuf's 2 GiB limit", inline.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(folder.File("inline")));

        // Without options, a model this big gets external data anyway.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = model.SaveWithSummary(folder.File("out/m.onnx"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * MiB, "saving held a large tensor in memory");
        Assert.Equal(folder.File("out/m.onnx.data"), result.DataPath);
        Assert.Equal(2, result.ExternalTensors); // huge and tail; the 16-byte bias stays inline
        var allocated = AllocatedBytesOnDisk(result.DataPath!);
        if (allocated is not null)
        {
            Assert.True(allocated < 64 * MiB, $"the zero runs of the source were written out ({allocated} bytes on disk)");
        }

        using var saved = OnnxModel.Load(result.ModelPath);
        var (hugeOut, tailOut, biasOut) = (saved.Proto.Graph.Initializer[0], saved.Proto.Graph.Initializer[1], saved.Proto.Graph.Initializer[2]);
        Assert.True(TensorData.IsExternal(hugeOut) && TensorData.IsExternal(tailOut) && !TensorData.IsExternal(biasOut));
        Assert.True(TensorData.ResolveExternal(tailOut, saved.BaseDirectory, "m.onnx").Offset > int.MaxValue);
        using (var stream = saved.OpenTensorStream(hugeOut))
        {
            Assert.Equal(hugeBytes, stream.Length);
            foreach (var (offset, bytes) in sentinels)
            {
                stream.Position = offset;
                var read = new byte[bytes.Length];
                stream.ReadExactly(read);
                Assert.Equal(bytes, read);
            }
        }

        Assert.Equal(tail, saved.ReadTensorBytes(tailOut));
        Assert.Equal(model.ReadTensorBytes(model.Proto.Graph.Initializer[2]), saved.ReadTensorBytes(biasOut));
    }

    [Fact]
    public void Model_file_over_two_gigabytes_is_refused_before_parsing()
    {
        using var folder = new TempFolder();
        using (var file = File.Create(folder.File("big.onnx")))
        {
            file.SetLength((2 * GiB) + 10);
        }

        var error = Assert.Throws<DeployException>(() => OnnxModel.Load(folder.File("big.onnx")));
        Assert.Contains("an ONNX protobuf cannot exceed 2 GiB", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Blocks the file really occupies (holes excluded), from stat(1); null where stat is unavailable.</summary>
    private static long? AllocatedBytesOnDisk(string path)
    {
        try
        {
            using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
            var fields = stat.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            stat.WaitForExit();
            return stat.ExitCode == 0 ? long.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture) * long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>A write-only sink that only counts what it is given.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
    }
}
