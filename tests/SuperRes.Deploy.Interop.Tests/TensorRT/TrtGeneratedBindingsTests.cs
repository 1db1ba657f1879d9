using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using SuperRes.Deploy.Interop.TensorRT;
using SuperRes.Deploy.Tests;

namespace SuperRes.Deploy.Interop.Tests.TensorRT;

/// <summary>The generated bindings against the header they come from: layouts, drift, exports, handle coverage.</summary>
[Collection(TrtDoubleTests.Name)]
public sealed class TrtGeneratedBindingsTests
{
    private const string GeneratedNamespace = "SuperRes.Deploy.Interop.TensorRT";
    private static readonly Assembly Interop = typeof(TrtShimLibrary).Assembly;

    [Fact]
    public void Every_generated_struct_has_the_size_and_field_offsets_the_C_compiler_gives_it()
    {
        var checkedEntries = 0;
        foreach (var type in NativeStructs())
        {
            Assert.Equal(TrtDoubleNative.srd_layout_probe_get(type.Name), Marshal.SizeOf(type));
            checkedEntries++;
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public))
            {
                var cOffset = TrtDoubleNative.srd_layout_probe_get($"{type.Name}.{field.Name}");
                Assert.True(cOffset >= 0, $"{type.Name}.{field.Name} is not in srd_trt.h");
                Assert.Equal(cOffset, (long)Marshal.OffsetOf(type, field.Name));
                checkedEntries++;
            }
        }

        foreach (var type in Interop.GetTypes().Where(t => t.IsEnum && t.Namespace == GeneratedNamespace && TrtDoubleNative.srd_layout_probe_get(CName(t)) >= 0))
        {
            var cName = CName(type);
            Assert.Equal(TrtDoubleNative.srd_layout_probe_get(cName), Marshal.SizeOf(Enum.GetUnderlyingType(type)));
            checkedEntries++;
        }

        // Every entry of the probe (generated from the header) was matched by a C# declaration.
        Assert.Equal(TrtDoubleNative.srd_layout_probe_count(), checkedEntries);
    }

    [Fact]
    public void Dims_struct_is_72_bytes_with_the_shape_after_four_bytes_of_padding()
    {
        Assert.Equal(72, Marshal.SizeOf<srd_dims>());
        Assert.Equal(8, (int)Marshal.OffsetOf<srd_dims>(nameof(srd_dims.d)));
        var dims = TrtDims.Parse("1x3x720x1280").ToNative();
        Assert.Equal(TrtDims.Parse("1x3x720x1280"), TrtDims.FromNative(dims));
    }

    [SkippableFact]
    public void Committed_bindings_equal_a_fresh_generation_from_the_header()
    {
        var python = "/usr/bin/python3";
        Skip.IfNot(File.Exists(python), "Debian's /usr/bin/python3 is not installed");
        Skip.IfNot(Run(python, "-c \"import clang.cindex\"").ExitCode == 0,
            "python3-clang-14 is not installed (scripts/setup installs it)");
        var output = RepoPaths.NewTempDirectory("srd-trt-bindings");
        try
        {
            var probe = Path.Combine(output, "probe.g.c");
            var generator = RepoPaths.Combine("interop", "generation", "generate_trt_bindings.py");
            var recipe = RepoPaths.Combine("interop", "generation", "trt-bindings.rsp");
            var result = Run(python, $"\"{generator}\" @\"{recipe}\" --output \"{output}\" --probe-output \"{probe}\"");
            Assert.True(result.ExitCode == 0, result.Output);

            var committed = RepoPaths.Combine("interop", "SuperRes.Deploy.Interop", "TensorRT", "Generated");
            var generatedFiles = Directory.GetFiles(output, "*.cs").Select(Path.GetFileName).Order().ToList();
            Assert.Equal(Directory.GetFiles(committed).Select(Path.GetFileName).Order(), generatedFiles);
            foreach (var file in generatedFiles)
            {
                Assert.True(
                    File.ReadAllText(Path.Combine(committed, file!)) == File.ReadAllText(Path.Combine(output, file!)),
                    $"Generated/{file} differs from a fresh generation: rerun interop/generation (see its README)");
            }

            var committedProbe = RepoPaths.Combine("tests", "native", "trt_layout_probe", "srd_trt_layout_probe.g.c");
            Assert.True(File.ReadAllText(committedProbe) == File.ReadAllText(probe),
                "srd_trt_layout_probe.g.c differs from a fresh generation: rerun interop/generation");
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void The_double_exports_every_function_of_the_generated_bindings()
    {
        var library = NativeLibrary.Load(TrtDoubleNative.DoublePath);
        var missing = NativeFunctionNames().Where(name => !NativeLibrary.TryGetExport(library, name, out _)).ToList();

        Assert.Empty(missing);
        Assert.True(NativeFunctionNames().Count() >= 70);
    }

    [Fact]
    public void Every_handle_type_has_exactly_one_SafeHandle_whose_release_calls_its_destroy()
    {
        var handleTypes = Interop.GetTypes()
            .Where(t => t.IsValueType && !t.IsEnum && t.Namespace == GeneratedNamespace && t.Name.StartsWith("srd_", StringComparison.Ordinal))
            .Where(t => t.GetFields(BindingFlags.Instance | BindingFlags.Public).Length == 0)
            .ToList();
        var safeHandles = Interop.GetTypes()
            .Where(t => !t.IsAbstract && t.BaseType is { IsGenericType: true } b && b.GetGenericTypeDefinition() == typeof(TrtSafeHandle<>))
            .ToList();

        Assert.Equal(11, handleTypes.Count);
        foreach (var handleType in handleTypes)
        {
            var owners = safeHandles.Where(h => h.BaseType!.GetGenericArguments()[0] == handleType).ToList();
            Assert.True(owners.Count == 1, $"{handleType.Name} has {owners.Count} SafeHandle types");
            Assert.Contains($"{handleType.Name}_destroy", NativeFunctionNames());
        }
    }

    private static IEnumerable<Type> NativeStructs() => Interop.GetTypes().Where(t =>
        t.IsValueType && !t.IsEnum && t.Namespace == GeneratedNamespace && t.Name.StartsWith("srd_", StringComparison.Ordinal)
        && t.StructLayoutAttribute?.Value == LayoutKind.Explicit);

    private static IEnumerable<string> NativeFunctionNames() => typeof(SrdTrtNative)
        .GetMethods(BindingFlags.Static | BindingFlags.NonPublic)
        .Where(m => m.GetCustomAttribute<LibraryImportAttribute>() is not null)
        .Select(m => m.Name);

    /// <summary>TrtBuilderFlag -> srd_builder_flag (the generator's naming rule, reversed).</summary>
    private static string CName(Type enumType) =>
        "srd" + string.Concat(enumType.Name["Trt".Length..].Select(c => char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : c.ToString()));

    private static (int ExitCode, string Output) Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Root,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }
}
