using static TorchSharp.torch;

namespace AdapterLab.Training.Optimisation;

/// <summary>
/// A first-order optimiser over named parameters whose whole state is a set of named tensors plus a step count,
/// so a checkpoint can hold it as plain safetensors entries and a resumed run continues bit for bit.
/// </summary>
public interface IParameterOptimizer
{
    /// <summary>Optimiser steps taken so far (AdamW's bias correction depends on it).</summary>
    long Steps { get; set; }

    void ZeroGrad();

    /// <summary>One update at learning rate <paramref name="learningRate"/>; parameters without a gradient are skipped.</summary>
    void Step(double learningRate);

    /// <summary>State tensors keyed "{parameter}/{slot}" (live tensors: copy into them to restore).</summary>
    IReadOnlyDictionary<string, Tensor> State { get; }
}
