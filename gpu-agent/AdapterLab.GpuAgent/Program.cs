using AdapterLab.GpuAgent;

await AgentApp.Create(args).RunAsync();
