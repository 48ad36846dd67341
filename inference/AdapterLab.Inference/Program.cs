using AdapterLab.Inference;
using AdapterLab.Training.Native;

try
{
    await InferenceApp.Create(args).RunAsync();
    return 0;
}
catch (LibTorchLocationException ex)
{
    Console.Error.WriteLine($"adapterlab inference: {ex.Message}");
    return 3;
}
