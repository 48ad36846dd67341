namespace AdapterLab.Orchestrator.Scheduling;

/// <summary>Wakes the dispatcher (a submission, a freed slot, a cancel).</summary>
public sealed class DispatchSignal : WakeSignal;
