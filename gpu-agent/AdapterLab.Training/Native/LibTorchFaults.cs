namespace AdapterLab.Training.Native;

/// <summary>
/// Failures that come from the binding, not from the run. TorchSharp 0.107 passes a temporary <c>Scalar</c> (the
/// implicit <c>1</c> behind <c>a + b</c>, a <c>double</c> behind <c>x * s</c>) to libtorch as a bare handle, so the
/// runtime may finalise it while libtorch still reads it; libtorch then throws from <c>c10/core/Scalar.h</c>
/// ("toFloat", "Unknown scalar type"). Seen about once in 150 runs of 400 steps. Our own hot paths hold their scalars
/// explicitly (AdamW, SGD, dense losses); TorchSharp's operators cannot be reached, so an attempt that hits it is an
/// infrastructure failure: requeued and resumed from its last checkpoint, within <c>retry.maxAttempts</c>.
/// </summary>
public static class LibTorchFaults
{
    public static bool IsScalarRace(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            var m = e.Message;
            if (m.Contains("Unknown scalar type", StringComparison.Ordinal)
                || (m.Contains("c10/core/Scalar.h", StringComparison.Ordinal) && m.Contains("Exception raised from to", StringComparison.Ordinal)))
                return true;
        }
        return false;
    }
}
