namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>
/// A plugin library registered with TensorRT's process-wide plugin registry (IPluginRegistry::loadLibrary; the
/// library must export getCreators and setLoggerFinder). Dispose deregisters it: dispose engines and networks that use
/// its plugins first.
/// </summary>
public sealed unsafe class TrtPluginLibrary : IDisposable
{
    private readonly TrtPluginLibraryHandle _handle;

    private TrtPluginLibrary(TrtPluginLibraryHandle handle, string path)
    {
        _handle = handle;
        Path = path;
    }

    public string Path { get; }

    public static TrtPluginLibrary Load(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        var utf8 = TrtNative.Utf8(fullPath, nameof(path));
        TrtShimLibrary.EnsureLoaded();
        srd_plugin_library* library = null;
        fixed (byte* p = utf8)
        {
            TrtNative.Check(SrdTrtNative.srd_plugin_library_load(p, &library), nameof(SrdTrtNative.srd_plugin_library_load));
        }

        var handle = new TrtPluginLibraryHandle();
        handle.Adopt(library);
        return new TrtPluginLibrary(handle, fullPath);
    }

    public void Dispose() => _handle.Dispose();
}
