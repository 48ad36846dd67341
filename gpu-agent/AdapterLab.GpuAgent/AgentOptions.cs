namespace AdapterLab.GpuAgent;

/// <summary>Agent settings (section <c>Agent</c>).</summary>
public sealed class AgentOptions
{
    public const string Section = "Agent";

    /// <summary>Stable id of this agent (its queue is named after it). Default: host name + process id.</summary>
    public string Id { get; set; } = "";
    public string Pool { get; set; } = "cpu";
    public int Slots { get; set; } = 1;
    /// <summary><c>auto</c> (cuda when available), <c>cpu</c> or <c>cuda</c>.</summary>
    public string Device { get; set; } = "auto";
    /// <summary>Base URL of the web API (agent endpoints for blobs).</summary>
    public string ApiUrl { get; set; } = "http://127.0.0.1:5080";
    /// <summary>Agent token: the web API's agent endpoints and (as the broker password of <c>agent:&lt;id&gt;</c>) the broker.</summary>
    public string Token { get; set; } = "";
    /// <summary>A pool's enrolment secret: with no <see cref="Token"/>, the agent enrols once and keeps its identity (<see cref="AgentIdentity"/>).</summary>
    public string EnrolmentSecret { get; set; } = "";
    /// <summary>How long enrolment waits for the web API to come up.</summary>
    public double EnrolmentWaitSeconds { get; set; } = 120;
    public string DataRoot { get; set; } = "";
    /// <summary>An installed libtorch to use instead of the packaged one (also <c>ADAPTERLAB_LIBTORCH_DIR</c>; Training's LibTorchLocation).</summary>
    public string LibTorchDirectory { get; set; } = "";
    public string WorkDirectory { get; set; } = "";
    /// <summary>Heartbeat interval when no attempt told otherwise.</summary>
    public double HeartbeatSeconds { get; set; } = 3;
    /// <summary>Torch intra-op threads per attempt (0: libtorch default).</summary>
    public int Threads { get; set; }
    /// <summary>Broker users whose work and cancellations this agent accepts: the orchestrator's.</summary>
    public List<string> OrchestratorBrokerUsers { get; set; } = ["adapterlab-orchestrator"];
    /// <summary>Metric batches are flushed at least this often.</summary>
    public double FlushSeconds { get; set; } = 0.5;
    /// <summary>On a graceful shutdown, how long running attempts get to checkpoint and hand themselves back
    /// (<see cref="Running.AgentDrain"/>); a pod's termination grace period must be longer.</summary>
    public double DrainSeconds { get; set; } = 60;

    public string ResolvedId => string.IsNullOrWhiteSpace(Id) ? $"{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}" : Id;
    public string ResolvedWorkDirectory => string.IsNullOrWhiteSpace(WorkDirectory) ? Path.Combine(Path.GetTempPath(), "adapterlab-agent", ResolvedId) : WorkDirectory;
}
