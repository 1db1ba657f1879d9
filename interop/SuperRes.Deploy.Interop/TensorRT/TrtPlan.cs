using System.Buffers.Binary;

namespace SuperRes.Deploy.Interop.TensorRT;

/// <summary>A serialized TensorRT engine (plan) in managed memory.</summary>
public sealed class TrtPlan(byte[] bytes)
{
    private readonly byte[] _bytes = bytes ?? throw new ArgumentNullException(nameof(bytes));

    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>The plan header's TensorRT version, or null when the bytes are not a plan.</summary>
    public TrtPlanHeader? Header => TrtPlanHeader.TryRead(_bytes);
}

/// <summary>
/// The undocumented plan header trtexec --getPlanVersionOnly reads (TensorRT 8.6+): uint32 tag 0x74727466, uint32
/// serialization version 0, and bytes 24..27 = major, minor, patch, build of the TensorRT that built the plan.
/// Read without TensorRT, e.g. for packaging metadata.
/// </summary>
public sealed record TrtPlanHeader(int Major, int Minor, int Patch, int Build)
{
    public const uint Tag = 0x74727466;

    public Version Version => new(Major, Minor, Patch, Build);

    public static TrtPlanHeader? TryRead(ReadOnlySpan<byte> plan)
    {
        if (plan.Length < 28
            || BinaryPrimitives.ReadUInt32LittleEndian(plan) != Tag
            || BinaryPrimitives.ReadUInt32LittleEndian(plan[4..]) != 0)
        {
            return null;
        }

        return new TrtPlanHeader(plan[24], plan[25], plan[26], plan[27]);
    }
}
