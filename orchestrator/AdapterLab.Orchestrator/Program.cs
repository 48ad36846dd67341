using AdapterLab.Orchestrator;

await OrchestratorApp.Create(args).RunAsync();
