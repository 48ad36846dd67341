using AdapterLab.Orchestrator.Scheduling;

namespace AdapterLab.Orchestrator.Sweeps;

/// <summary>Wakes the sweep driver (a trial paused or ended).</summary>
public sealed class SweepSignal : WakeSignal;
