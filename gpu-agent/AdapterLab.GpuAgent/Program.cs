using AdapterLab.GpuAgent;

using AdapterLab.Training.Native;

try
{
    await AgentApp.Create(args).RunAsync();
    return 0;
}
catch (LibTorchLocationException ex)
{
    // A wrong libtorch installation is a configuration error: say so, without a stack trace, and exit non-zero.
    Console.Error.WriteLine($"adapterlab agent: {ex.Message}");
    return 3;
}
