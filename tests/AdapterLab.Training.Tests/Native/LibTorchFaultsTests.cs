using AdapterLab.Training.Api;
using AdapterLab.Training.Native;

namespace AdapterLab.Training.Tests.Native;

/// <summary>The binding's scalar race is told apart from a run's own failures (its text as libtorch raised it in a bench run).</summary>
public sealed class LibTorchFaultsTests
{
    private const string Seen = "step 208 failed: Expected false to be true, but got false.  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)\nException raised from toFloat at /pytorch/c10/core/Scalar.h:140 (most recent call first):\nframe #0: c10::Error::Error";

    [Fact]
    public void The_scalar_race_is_recognised_wherever_it_is_wrapped()
    {
        Assert.True(LibTorchFaults.IsScalarRace(new TrainingFailedException(Seen, 207)));
        Assert.True(LibTorchFaults.IsScalarRace(new TrainingFailedException("step 3 failed", 2, new InvalidOperationException(Seen))));
        Assert.True(LibTorchFaults.IsScalarRace(new TrainingFailedException("step 9 failed: Unknown scalar type", 8)));
    }

    [Theory]
    [InlineData("loss became NaN at step 12 (classification/loss NaN)")]
    [InlineData("step 5 failed: mat1 and mat2 shapes cannot be multiplied (16x96 and 64x10)")]
    [InlineData("step 5 failed: CUDA out of memory. Tried to allocate 2.00 GiB")]
    public void A_runs_own_failure_is_not(string message) =>
        Assert.False(LibTorchFaults.IsScalarRace(new TrainingFailedException(message, 4)));
}

/// <summary>An explicit CUDA request on a host without CUDA is refused with its reason, never trained on the CPU instead.</summary>
public sealed class DeviceChoiceTests
{
    [Fact]
    public void Cuda_without_a_device_is_refused_and_auto_falls_back()
    {
        if (TorchSharp.torch.cuda.is_available()) return; // a GPU host: both choices are legitimate there
        var error = Assert.Throws<TrainingFailedException>(() => AdapterLab.Training.Runs.RunFacts.ChooseDevice("cuda"));
        Assert.Contains("resources.device is cuda but this agent has no CUDA device", error.Message);
        Assert.Equal(TorchSharp.DeviceType.CPU, AdapterLab.Training.Runs.RunFacts.ChooseDevice("auto").type);
    }
}
